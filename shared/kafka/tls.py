"""A local certificate authority and the broker's certificate, for SASL_SSL.

Made once, on the local broker's first start, into the secrets directory:
``ca.crt`` (what clients trust: ``TASKFORCE_KAFKA_SSL_CAFILE`` defaults to it),
``ca.key`` and ``broker.pem`` (the broker's key and certificate chain, owner-only).
The broker reads ``broker.pem`` as a PEM keystore, so no Java keytool is needed.
A deployment off one machine brings its own CA and sets the same two paths.
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shared.kafka.security import write_secret

VALID_FOR = datetime.timedelta(days=825)


def ensure_local_ca(secrets_dir: Path, hosts: tuple[str, ...] = ("localhost",)) -> bool:
    """Create the CA and the broker certificate unless both exist; True if created."""
    ca_cert, ca_key = secrets_dir / "ca.crt", secrets_dir / "ca.key"
    broker = secrets_dir / "broker.pem"
    if ca_cert.exists() and ca_key.exists() and broker.exists():
        return False
    now = datetime.datetime.now(datetime.UTC)
    authority_key = ec.generate_private_key(ec.SECP256R1())
    authority = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Taskforce local Kafka CA")])
    authority_cert = (
        x509.CertificateBuilder()
        .subject_name(authority)
        .issuer_name(authority)
        .public_key(authority_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALID_FOR)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(authority_key, hashes.SHA256())
    )
    broker_key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    names += [x509.DNSName(host) for host in hosts]
    broker_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kafka")]))
        .issuer_name(authority)
        .public_key(broker_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALID_FOR)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(authority_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    plain = serialization.NoEncryption()
    write_secret(ca_key, authority_key.private_bytes(pem, pkcs8, plain).decode().strip())
    write_secret(
        broker,
        (
            broker_key.private_bytes(pem, pkcs8, plain)
            + broker_cert.public_bytes(pem)
            + authority_cert.public_bytes(pem)
        )
        .decode()
        .strip(),
    )
    ca_cert.write_text(authority_cert.public_bytes(pem).decode())
    return True
