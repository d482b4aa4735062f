#!/usr/bin/env bash
# The compose stack's Kafka broker (apache/kafka image), secured from its very first start.
#
# The image's own start script formats KRaft storage with nothing but a cluster id, so the
# admin and broker SCRAM users could only be added later, through a listener that lets
# someone in unauthenticated. docker-compose.yml runs this script in its place. It
#
#   1. refuses any listener that does not authenticate (SASL_PLAINTEXT or SASL_SSL only);
#   2. writes server.properties from the KAFKA_* variables, the image's convention (KAFKA_
#      dropped, lower case, "_" -> ".", "___" -> "-", "__" -> "_"), plus the JAAS entries
#      of every listener, built here from the TASKFORCE_KAFKA_PASSWORD_* variables;
#   3. formats the storage once, with the SCRAM-SHA-512 users admin and broker (KIP-900);
#   4. writes the client properties the healthcheck logs in with (as broker);
#   5. execs the broker, with the password variables removed from its environment.
#
# Files holding a password are owner-only (umask 077) and written by shell builtins. The
# SCRAM users reach kafka-storage.sh in an @argument file, which its argument parser reads
# one argument per line: no password is ever an argument of a process, so none shows in ps.
#
# The broker keeps the credentials of its first format: changing the admin or broker
# password later takes `docker compose down -v` (which deletes the broker's data).
set -euo pipefail
umask 077

# Where the image has Kafka; tests/ops/test_compose.py points these at stand-ins.
kafka_home=${TASKFORCE_KAFKA_HOME:-/opt/kafka}
config_dir=${TASKFORCE_KAFKA_CONFIG_DIR:-$kafka_home/config/taskforce}
properties=$config_dir/server.properties
healthcheck=$config_dir/healthcheck.properties
# The iterations of the stored SCRAM credential: shared.kafka.security.SCRAM_ITERATIONS.
iterations=8192

fail() {
  echo "kafka-start: $*" >&2
  exit 1
}

# Passwords go unquoted into SCRAM strings and quoted into JAAS strings and a properties
# file, so only characters none of those treat specially are taken (hex and base64 are).
password_pattern='^[A-Za-z0-9._~+/=-]{16,}$'
for variable in TASKFORCE_KAFKA_PASSWORD_ADMIN TASKFORCE_KAFKA_PASSWORD_BROKER \
  TASKFORCE_KAFKA_PASSWORD_CONTROLLER; do
  [[ -n ${!variable:-} ]] || fail "$variable is not set"
  [[ ${!variable} =~ $password_pattern ]] ||
    fail "$variable must be 16 or more of A-Z a-z 0-9 . _ ~ + / = - (openssl rand -hex 32)"
done

: "${CLUSTER_ID:?kafka-start: CLUSTER_ID is not set}"
: "${KAFKA_LOG_DIRS:?kafka-start: KAFKA_LOG_DIRS is not set}"
: "${KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:?kafka-start: KAFKA_LISTENER_SECURITY_PROTOCOL_MAP is not set}"
: "${KAFKA_CONTROLLER_LISTENER_NAMES:?kafka-start: KAFKA_CONTROLLER_LISTENER_NAMES is not set}"
: "${KAFKA_INTER_BROKER_LISTENER_NAME:?kafka-start: KAFKA_INTER_BROKER_LISTENER_NAME is not set}"
[[ $KAFKA_LOG_DIRS != *,* ]] || fail "KAFKA_LOG_DIRS must name one directory"

# Variables of the image and of Kafka's scripts that are not broker properties.
not_properties=" KAFKA_VERSION KAFKA_HEAP_OPTS KAFKA_LOG4J_OPTS KAFKA_OPTS KAFKA_JMX_OPTS \
KAFKA_JVM_PERFORMANCE_OPTS KAFKA_GC_LOG_OPTS KAFKA_LOG4J_ROOT_LOGLEVEL KAFKA_LOG4J_LOGGERS \
KAFKA_TOOLS_LOG4J_LOGLEVEL KAFKA_JMX_HOSTNAME KAFKA_JMX_PORT KAFKA_DEBUG "

scram_module=org.apache.kafka.common.security.scram.ScramLoginModule
plain_module=org.apache.kafka.common.security.plain.PlainLoginModule
broker_password=$TASKFORCE_KAFKA_PASSWORD_BROKER
controller_password=$TASKFORCE_KAFKA_PASSWORD_CONTROLLER

# Every listener authenticates: none is started as PLAINTEXT or SSL alone.
IFS=, read -ra mappings <<<"$KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"
inter_broker_protocol=
for mapping in "${mappings[@]}"; do
  listener=${mapping%%:*}
  protocol=${mapping#*:}
  case $protocol in
    SASL_PLAINTEXT | SASL_SSL) ;;
    *) fail "listener $listener is $protocol: every listener must authenticate (SASL_*)" ;;
  esac
  [[ $listener != "$KAFKA_INTER_BROKER_LISTENER_NAME" ]] || inter_broker_protocol=$protocol
done
[[ -n $inter_broker_protocol ]] ||
  fail "the inter-broker listener $KAFKA_INTER_BROKER_LISTENER_NAME is not in the protocol map"

mkdir -p "$config_dir"
chmod 700 "$config_dir"
{
  echo "# Written by kafka-start.sh at every start from the container's environment."
  for variable in $(compgen -e); do
    [[ $variable == KAFKA_* && $not_properties != *" $variable "* ]] || continue
    key=${variable#KAFKA_}
    key=${key,,}
    key=${key//_/.}
    key=${key//.../-}
    key=${key//../_}
    printf '%s=%s\n' "$key" "${!variable}"
  done

  echo "# Who each listener takes and, for the broker's own connections, who it is."
  for mapping in "${mappings[@]}"; do
    listener=${mapping%%:*}
    name=${listener,,}
    if [[ ,$KAFKA_CONTROLLER_LISTENER_NAMES, == *,"$listener",* ]]; then
      # One static user: the controller listener serves the metadata log, SCRAM included.
      printf '%s\n' "listener.name.$name.plain.sasl.jaas.config=$plain_module required username=\"controller\" password=\"$controller_password\" user_controller=\"$controller_password\";"
    elif [[ $listener == "$KAFKA_INTER_BROKER_LISTENER_NAME" ]]; then
      printf '%s\n' "listener.name.$name.scram-sha-512.sasl.jaas.config=$scram_module required username=\"broker\" password=\"$broker_password\";"
    else
      printf '%s\n' "listener.name.$name.scram-sha-512.sasl.jaas.config=$scram_module required;"
    fi
  done
} >"$properties.new"
mv "$properties.new" "$properties"

# Storage: formatted once, with the SCRAM users. A directory formatted without them (by an
# earlier, unsecured stack) has no admin that could log in, so the broker does not start on it.
stamp=$KAFKA_LOG_DIRS/.taskforce-secured
if [[ -e $KAFKA_LOG_DIRS/meta.properties ]]; then
  [[ -e $stamp ]] || fail "$KAFKA_LOG_DIRS was formatted without the SCRAM users admin and" \
    "broker; remove the volume (docker compose down -v deletes the broker's data) and start again"
else
  arguments=$(mktemp "$config_dir/.format-arguments.XXXXXX")
  trap 'rm -f "$arguments"' EXIT
  printf -- '--add-scram\nSCRAM-SHA-512=[name=%s,iterations=%s,password=%s]\n' \
    admin "$iterations" "$TASKFORCE_KAFKA_PASSWORD_ADMIN" \
    broker "$iterations" "$TASKFORCE_KAFKA_PASSWORD_BROKER" >"$arguments"
  "$kafka_home/bin/kafka-storage.sh" format --cluster-id "$CLUSTER_ID" --config "$properties" \
    --ignore-formatted "@$arguments"
  rm -f "$arguments"
  trap - EXIT
  echo "SCRAM-SHA-512 users admin, broker; controller listener PLAIN" >"$stamp"
fi

# The healthcheck's login (kafka-broker-api-versions.sh --command-config): the broker's own.
{
  echo "security.protocol=$inter_broker_protocol"
  echo "sasl.mechanism=SCRAM-SHA-512"
  printf '%s\n' "sasl.jaas.config=$scram_module required username=\"broker\" password=\"$broker_password\";"
} >"$healthcheck.new"
mv "$healthcheck.new" "$healthcheck"

unset TASKFORCE_KAFKA_PASSWORD_ADMIN TASKFORCE_KAFKA_PASSWORD_BROKER \
  TASKFORCE_KAFKA_PASSWORD_CONTROLLER broker_password controller_password
exec "$kafka_home/bin/kafka-server-start.sh" "$properties"
