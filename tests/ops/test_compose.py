"""``docker-compose.yml``, read without Docker: the stack it describes is secured by default.

The file is parsed as YAML (anchors and merge keys resolved, as compose does) and
checked against the project's own names: the principals and their password
variables come from ``shared.kafka``, the broker's security settings from
``deploy/kafka/server.properties``, the provisioning command from the ``taskforce``
command line. The broker's start script (``deploy/compose/kafka-start.sh``) is run
for real with stand-ins for Kafka's own scripts, which record what they were given,
so what it writes and what it passes on a command line are checked too.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

# PyYAML comes with uvicorn[standard] and ships no type stubs.
import yaml  # type: ignore[import-untyped]
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command

from shared.cli import app
from shared.events.catalogue import SERVICES
from shared.kafka.principals import ADMIN, BROKER, CONTROLLER, stack_principals
from shared.kafka.security import MECHANISM, SCRAM_ITERATIONS, password_variable
from shared.settings import PROJECT_ROOT, PlatformSettings

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
SERVER_PROPERTIES = PROJECT_ROOT / "deploy" / "kafka" / "server.properties"
KAFKA_IMAGE_HOME = "/opt/kafka"
PASSWORD_PREFIX = "TASKFORCE_KAFKA_PASSWORD_"
PROVISION_COMMAND = ["taskforce", "kafka", "provision"]
#: A value compose must be given by the caller, or it refuses to start: ``${NAME:?message}``.
REQUIRED = re.compile(r"\$\{(?P<name>[A-Z0-9_]+):\?(?P<message>[^}]+)\}")
#: Environment variables that hold a secret, by name.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|JAAS|CREDENTIAL|TOKEN", re.IGNORECASE)
AUTHENTICATED = {"SASL_PLAINTEXT", "SASL_SSL"}


def load_compose() -> dict[str, Any]:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(compose, dict)
    return compose


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


def services_of(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services = compose["services"]
    assert isinstance(services, dict)
    return services


def environment_of(compose: dict[str, Any], service: str) -> dict[str, str]:
    environment = services_of(compose)[service].get("environment", {})
    # A list (KEY=value) would hide values from these checks; compose takes both.
    assert isinstance(environment, dict), f"{service}: environment must be a mapping"
    return {str(key): str(value) for key, value in environment.items()}


def password_variables(environment: dict[str, str]) -> set[str]:
    return {name for name in environment if name.startswith(PASSWORD_PREFIX)}


def stack_settings(compose: dict[str, Any]) -> PlatformSettings:
    """The settings the compose stack's containers get (the prefix names the principals)."""
    prefix = environment_of(compose, "provision")["TASKFORCE_KAFKA_PREFIX"]
    for service in SERVICES:
        assert environment_of(compose, service)["TASKFORCE_KAFKA_PREFIX"] == prefix
    return PlatformSettings(kafka_prefix=prefix)


def properties(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def kafka_setting(compose: dict[str, Any], key: str) -> str:
    """A broker property as the kafka service's KAFKA_* variables give it."""
    variable = "KAFKA_" + key.replace("_", "__").replace("-", "___").replace(".", "_").upper()
    return environment_of(compose, "kafka")[variable]


def listeners(value: str) -> dict[str, str]:
    """``NAME://host:port,...`` as name -> host:port."""
    found: dict[str, str] = {}
    for item in value.split(","):
        name, _, address = item.strip().partition("://")
        found[name] = address
    return found


def published(mapping: object) -> tuple[str | None, str]:
    """The host address a port mapping binds (None: every interface) and its container port."""
    if isinstance(mapping, dict):
        host_ip = mapping.get("host_ip")
        return (str(host_ip) if host_ip else None), str(mapping["target"])
    parts = str(mapping).split(":")
    host_ip = parts[0] if len(parts) == 3 else None
    return host_ip, parts[-1].split("/")[0]


# -- ports ---------------------------------------------------------------------


def test_no_published_port_binds_every_interface(compose: dict[str, Any]) -> None:
    ports = {name: service.get("ports", []) for name, service in services_of(compose).items()}
    assert ports["kafka"], "the broker is published for host tools"
    for name, mappings in ports.items():
        for mapping in mappings:
            if isinstance(mapping, str):
                assert mapping.startswith("127.0.0.1:"), f"{name}: {mapping} binds every interface"
            host_ip, _ = published(mapping)
            assert host_ip == "127.0.0.1", f"{name}: {mapping} binds every interface"


def test_only_the_host_listener_is_published(compose: dict[str, Any]) -> None:
    bound = listeners(kafka_setting(compose, "listeners"))
    advertised = listeners(kafka_setting(compose, "advertised.listeners"))
    targets = {published(mapping)[1] for mapping in services_of(compose)["kafka"]["ports"]}
    assert targets == {bound["HOST"].rpartition(":")[2]}
    assert advertised["HOST"] == "localhost:9092"
    assert advertised["CLIENT"] == "kafka:9092"
    # The controller listener stays inside the container.
    controller = kafka_setting(compose, "controller.listener.names")
    assert bound[controller].startswith("127.0.0.1:")
    assert controller not in advertised


# -- the broker's security -----------------------------------------------------


def test_every_listener_authenticates(compose: dict[str, Any]) -> None:
    mapped = kafka_setting(compose, "listener.security.protocol.map")
    protocol_map = dict(item.split(":", 1) for item in mapped.split(","))
    unauthenticated = {name: p for name, p in protocol_map.items() if p not in AUTHENTICATED}
    assert not unauthenticated, f"listeners without SASL: {unauthenticated}"
    # A listener missing from the map would not be mapped to SASL at all.
    for setting in ("listeners", "advertised.listeners"):
        assert set(listeners(kafka_setting(compose, setting))) <= set(protocol_map)
    assert kafka_setting(compose, "inter.broker.listener.name") in protocol_map


def test_mechanisms_are_those_of_the_local_broker(compose: dict[str, Any]) -> None:
    local = properties(SERVER_PROPERTIES.read_text())
    assert local["sasl.enabled.mechanisms"] == MECHANISM
    for key in (
        "sasl.enabled.mechanisms",
        "sasl.mechanism.inter.broker.protocol",
        "sasl.mechanism.controller.protocol",
        "listener.name.controller.sasl.enabled.mechanisms",
    ):
        assert kafka_setting(compose, key) == local[key], key


def test_nothing_is_allowed_without_an_acl(compose: dict[str, Any]) -> None:
    local = properties(SERVER_PROPERTIES.read_text())
    assert kafka_setting(compose, "authorizer.class.name") == local["authorizer.class.name"]
    assert local["authorizer.class.name"].endswith(".StandardAuthorizer")
    assert kafka_setting(compose, "allow.everyone.if.no.acl.found") == "false"
    assert kafka_setting(compose, "super.users") == local["super.users"]
    assert kafka_setting(compose, "super.users") == ";".join(
        f"User:{name}" for name in (ADMIN, BROKER, CONTROLLER)
    )
    assert kafka_setting(compose, "auto.create.topics.enable") == "false"


def test_the_healthcheck_logs_in(compose: dict[str, Any]) -> None:
    test = services_of(compose)["kafka"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert test[1].endswith("/kafka-broker-api-versions.sh")
    assert "--command-config" in test
    config = test[test.index("--command-config") + 1]
    assert config.startswith(KAFKA_IMAGE_HOME + "/")


# -- provisioning and the services ---------------------------------------------


def test_provision_runs_taskforce_kafka_provision(compose: dict[str, Any]) -> None:
    provision = services_of(compose)["provision"]
    command = [*provision.get("entrypoint", []), *provision.get("command", [])]
    assert command[:3] == PROVISION_COMMAND
    assert provision["image"] == services_of(compose)["countries"]["image"]
    assert provision["restart"] == "no"
    assert provision["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_the_provision_command_exists_in_the_cli() -> None:
    scripts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts[PROVISION_COMMAND[0]] == "shared.cli:main"
    command = get_command(app)
    for word in PROVISION_COMMAND[1:]:
        assert isinstance(command, TyperGroup), f"{command.name} has no subcommands"
        assert word in command.commands, f"'{word}' is not a command of {command.name}"
        command = command.commands[word]
    assert isinstance(command, TyperCommand), "provision must be a command, not a group"
    assert not isinstance(command, TyperGroup), "provision must be a command, not a group"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_waits_for_the_broker_and_provisioning(
    compose: dict[str, Any], service: str
) -> None:
    depends_on = services_of(compose)[service]["depends_on"]
    assert depends_on["kafka"]["condition"] == "service_healthy"
    assert depends_on["provision"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_gets_only_its_own_password(compose: dict[str, Any], service: str) -> None:
    settings = stack_settings(compose)
    environment = environment_of(compose, service)
    assert environment["TASKFORCE_SERVICE"] == service
    assert password_variables(environment) == {password_variable(settings.principal_of(service))}


def test_every_service_reads_one_revocation_list_on_a_shared_volume(
    compose: dict[str, Any],
) -> None:
    """A token revoked once is refused by every service, not only by the one that wrote it."""
    files = {environment_of(compose, s).get("TASKFORCE_JWT_REVOCATION_FILE") for s in SERVICES}
    assert len(files) == 1 and None not in files, files
    (path,) = files
    assert path is not None
    mounts = [set(services_of(compose)[s].get("volumes", [])) for s in SERVICES]
    shared = set.intersection(*mounts)
    targets = {mount.split(":")[1] for mount in shared}
    assert any(path.startswith(target.rstrip("/") + "/") for target in targets), (path, shared)
    assert all(mount.split(":")[0] in compose["volumes"] for mount in shared)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_keeps_its_keys_and_trail_on_its_own_volume(
    compose: dict[str, Any], service: str
) -> None:
    """The var directory (sealing key, audit trail, spans) must outlive a container."""
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    var_dir = re.search(r"TASKFORCE_VAR_DIR=(\S+)", dockerfile)
    assert var_dir is not None
    var = environment_of(compose, service).get("TASKFORCE_VAR_DIR", var_dir.group(1))
    targets = {m.split(":")[1] for m in services_of(compose)[service]["volumes"]}
    assert var in targets, (var, targets)


def test_provision_gets_admin_and_the_passwords_it_sets(compose: dict[str, Any]) -> None:
    settings = stack_settings(compose)
    environment = environment_of(compose, "provision")
    expected = {password_variable(ADMIN)} | {
        password_variable(principal.name) for principal in stack_principals(settings)
    }
    assert password_variables(environment) == expected
    assert not {name for name in environment if SECRET_NAME.search(name)} - expected


def test_the_broker_gets_only_its_own_passwords(compose: dict[str, Any]) -> None:
    environment = environment_of(compose, "kafka")
    assert password_variables(environment) == {
        password_variable(name) for name in (ADMIN, BROKER, CONTROLLER)
    }


# -- no password in the file ---------------------------------------------------


def test_every_secret_is_required_from_the_caller(compose: dict[str, Any]) -> None:
    secrets_seen = 0
    for service in services_of(compose):
        for name, value in environment_of(compose, service).items():
            required = REQUIRED.fullmatch(value)
            if SECRET_NAME.search(name):
                secrets_seen += 1
                assert required, f"{service}: {name} is not a ${{{name}:?...}} reference"
                # Its own variable: a service's password cannot come from another's.
                assert required["name"] == name, f"{service}: {name} is read from {value}"
            else:
                assert not required, f"{service}: {name} is required but is no secret"
    assert secrets_seen


def test_no_literal_password_or_jaas_in_the_file(compose: dict[str, Any]) -> None:
    text = COMPOSE_FILE.read_text()
    assert not re.search(r"(?i)password\s*[=:]\s*[\"']?(?![\"'$%])\S", text)
    for service in services_of(compose):
        for name, value in environment_of(compose, service).items():
            # JAAS entries are built inside the container, from the password variables.
            assert not re.search(r"(?i)jaas|LoginModule", f"{name}={value}"), f"{service}: {name}"
    secrets = {m["name"] for m in REQUIRED.finditer(text)}
    # What deploy/compose/generate-env.sh generates: the required variables, all secrets.
    assert secrets and all(SECRET_NAME.search(name) for name in secrets)


def test_the_start_script_puts_only_variables_into_passwords() -> None:
    text = (PROJECT_ROOT / "deploy" / "compose" / "kafka-start.sh").read_text()
    values = re.findall(r"(?:password|user_controller)=\\?\"?(.)", text)
    assert values and set(values) <= {"$", "%"}, values


# -- the broker's start script, run with stand-ins for Kafka's scripts -----------

STAND_IN = """#!/usr/bin/env bash
set -eu
record={record}/{name}
printf '%s\\n' "$@" >"$record.args"
for argument in "$@"; do
  case $argument in
    @*)
      cp "${{argument#@}}" "$record.argfile"
      stat -c %a "${{argument#@}}" >"$record.argfile-mode"
      ;;
  esac
done
env >"$record.env"
{extra}
"""


def start_script(compose: dict[str, Any]) -> Path:
    """The repository file the kafka service's entrypoint runs, through its volume."""
    kafka = services_of(compose)["kafka"]
    entrypoint = kafka["entrypoint"]
    assert entrypoint[0].endswith("bash")
    for volume in kafka["volumes"]:
        source, _, target = str(volume).partition(":")
        if target.split(":")[0] == entrypoint[1]:
            assert target.endswith(":ro")
            return (PROJECT_ROOT / source).resolve()
    raise AssertionError(f"{entrypoint[1]} is not mounted from the repository")


class StartRun:
    """One run of kafka-start.sh in a temporary directory standing for the container."""

    def __init__(self, compose: dict[str, Any], root: Path) -> None:
        self.compose = compose
        self.root = root
        self.home = root / "opt-kafka"
        self.data = root / "data"
        self.record = root / "record"
        for directory in (self.home / "bin", self.data, self.record):
            directory.mkdir(parents=True)
        format_marks = 'touch "$KAFKA_LOG_DIRS/meta.properties"'
        for name, extra in (
            ("kafka-storage.sh", format_marks),
            ("kafka-server-start.sh", ""),
        ):
            script = self.home / "bin" / name
            script.write_text(STAND_IN.format(record=self.record, name=name, extra=extra))
            script.chmod(0o755)
        self.passwords = {
            password_variable(name): f"{name}-Pw+/={index}" + "x" * 24
            for index, name in enumerate((ADMIN, BROKER, CONTROLLER))
        }

    def environment(self, **overrides: str) -> dict[str, str]:
        environment: dict[str, str] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for name, value in environment_of(self.compose, "kafka").items():
            required = REQUIRED.fullmatch(value)
            environment[name] = self.passwords[required["name"]] if required else value
        environment["KAFKA_LOG_DIRS"] = str(self.data)
        environment["TASKFORCE_KAFKA_HOME"] = str(self.home)
        environment.update(overrides)
        return environment

    def run(self, **overrides: str) -> subprocess.CompletedProcess[str]:
        bash = shutil.which("bash")
        # A prerequisite of the project (.ci/run is bash): missing, it is a failure, not a skip.
        assert bash is not None, "bash is needed to run the broker's start script"
        return subprocess.run(
            [bash, str(start_script(self.compose))],
            env=self.environment(**overrides),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def recorded(self, name: str) -> str:
        return (self.record / name).read_text()

    def in_container(self, path: str) -> Path:
        """A path of the image (under /opt/kafka) in this stand-in."""
        assert path.startswith(KAFKA_IMAGE_HOME + "/")
        return self.home / path.removeprefix(KAFKA_IMAGE_HOME + "/")


def owner_only(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


@pytest.fixture
def first_start(compose: dict[str, Any], tmp_path: Path) -> StartRun:
    run = StartRun(compose, tmp_path)
    result = run.run()
    assert result.returncode == 0, result.stderr
    return run


def test_first_start_formats_with_the_scram_users_off_the_command_line(
    first_start: StartRun,
) -> None:
    passwords = first_start.passwords
    arguments = first_start.recorded("kafka-storage.sh.args")
    assert arguments.splitlines()[0] == "format"
    assert "--ignore-formatted" in arguments.splitlines()
    for password in passwords.values():
        assert password not in arguments
    expected = "".join(
        f"--add-scram\n{MECHANISM}=[name={name},iterations={SCRAM_ITERATIONS},"
        f"password={passwords[password_variable(name)]}]\n"
        for name in (ADMIN, BROKER)
    )
    assert first_start.recorded("kafka-storage.sh.argfile") == expected
    assert first_start.recorded("kafka-storage.sh.argfile-mode").strip() == "600"
    # The argument file is gone once the storage is formatted.
    assert not list(first_start.in_container(KAFKA_IMAGE_HOME + "/config").rglob(".format-*"))


def test_first_start_writes_an_owner_only_configuration_with_every_listener_secured(
    first_start: StartRun,
) -> None:
    arguments = first_start.recorded("kafka-server-start.sh.args").splitlines()
    config = Path(arguments[0])
    assert owner_only(config) and owner_only(config.parent)
    written = properties(config.read_text())
    local = properties(SERVER_PROPERTIES.read_text())
    for key in (
        "authorizer.class.name",
        "allow.everyone.if.no.acl.found",
        "super.users",
        "auto.create.topics.enable",
        "sasl.enabled.mechanisms",
        "sasl.mechanism.controller.protocol",
    ):
        assert written[key] == local[key], key
    passwords = first_start.passwords
    for name in listeners(written["listeners"]):
        assert any(k.startswith(f"listener.name.{name.lower()}.") and "jaas" in k for k in written)
    client = written["listener.name.client.scram-sha-512.sasl.jaas.config"]
    assert f'username="{BROKER}" password="{passwords[password_variable(BROKER)]}"' in client
    controller = written["listener.name.controller.plain.sasl.jaas.config"]
    controller_password = passwords[password_variable(CONTROLLER)]
    assert f'user_{CONTROLLER}="{controller_password}"' in controller


def test_the_broker_runs_without_the_password_variables(first_start: StartRun) -> None:
    environment = first_start.recorded("kafka-server-start.sh.env")
    assert PASSWORD_PREFIX not in environment
    for password in first_start.passwords.values():
        assert password not in first_start.recorded("kafka-server-start.sh.args")


def test_the_healthcheck_login_is_written_owner_only(
    compose: dict[str, Any], first_start: StartRun
) -> None:
    test = services_of(compose)["kafka"]["healthcheck"]["test"]
    config = first_start.in_container(test[test.index("--command-config") + 1])
    assert owner_only(config)
    written = properties(config.read_text())
    assert written["sasl.mechanism"] == MECHANISM
    assert written["security.protocol"] in AUTHENTICATED
    password = first_start.passwords[password_variable(BROKER)]
    assert f'username="{BROKER}" password="{password}"' in written["sasl.jaas.config"]
    # Its bootstrap address is a listener that takes this login.
    bootstrap = test[test.index("--bootstrap-server") + 1]
    advertised = listeners(kafka_setting(compose, "advertised.listeners"))
    assert advertised[kafka_setting(compose, "inter.broker.listener.name")] == bootstrap


def test_a_restart_keeps_the_storage(first_start: StartRun) -> None:
    (first_start.record / "kafka-storage.sh.args").unlink()
    result = first_start.run()
    assert result.returncode == 0, result.stderr
    assert not (first_start.record / "kafka-storage.sh.args").exists()


def test_storage_formatted_without_scram_users_is_refused(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    run = StartRun(compose, tmp_path)
    (run.data / "meta.properties").write_text("version=1\n")
    result = run.run()
    assert result.returncode != 0
    assert "without the SCRAM users" in result.stderr
    assert not (run.record / "kafka-server-start.sh.args").exists()


def test_a_listener_without_sasl_is_refused(compose: dict[str, Any], tmp_path: Path) -> None:
    run = StartRun(compose, tmp_path)
    protocol_map = kafka_setting(compose, "listener.security.protocol.map")
    result = run.run(
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP=protocol_map.replace(
            "HOST:SASL_PLAINTEXT", "HOST:PLAINTEXT"
        )
    )
    assert result.returncode != 0
    assert "listener HOST is PLAINTEXT" in result.stderr
    assert not (run.record / "kafka-storage.sh.args").exists()
    assert not (run.record / "kafka-server-start.sh.args").exists()


@pytest.mark.parametrize("password", ["", "short", 'with a "quote" and spaces'])
def test_a_missing_or_unusable_password_is_refused(
    compose: dict[str, Any], tmp_path: Path, password: str
) -> None:
    run = StartRun(compose, tmp_path)
    result = run.run(**{password_variable(CONTROLLER): password})
    assert result.returncode != 0
    assert password_variable(CONTROLLER) in result.stderr
    assert not (run.record / "kafka-storage.sh.args").exists()
