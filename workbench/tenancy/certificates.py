"""Certificates for `bf serve --tls`: a private CA and a server certificate it signs.

`bf certs DIR` writes ca.pem (give it to clients), ca.key, server.pem and
server.key; private keys are readable by their owner only. Keys are ECDSA
P-256; the server certificate names localhost, 127.0.0.1 and ::1 plus any
--host given, and is valid for a year.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from workbench.service.client_auth import with_token

CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY = "ca.pem", "ca.key", "server.pem", "server.key"
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
VALID_DAYS = 365


class CertificateError(Exception):
    pass


@dataclass(frozen=True)
class Issued:
    folder: Path
    hosts: tuple[str, ...]

    @property
    def files(self) -> list[Path]:
        return [self.folder / name for name in (CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY)]


def issue(folder: Path, hosts: tuple[str, ...] = ()) -> Issued:
    folder.mkdir(parents=True, exist_ok=True)
    names = tuple(dict.fromkeys((*DEFAULT_HOSTS, *hosts)))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bf local CA")])
    ca = (_builder(ca_name, ca_name, ca_key.public_key())
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (_builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]), ca_name, server_key.public_key())
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.SubjectAlternativeName([_general_name(h) for h in names]), critical=False)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    _write(folder / CA_CERT, ca.public_bytes(serialization.Encoding.PEM), private=False)
    _write(folder / CA_KEY, _private_pem(ca_key), private=True)
    _write(folder / SERVER_CERT, server.public_bytes(serialization.Encoding.PEM), private=False)
    _write(folder / SERVER_KEY, _private_pem(server_key), private=True)
    return Issued(folder, names)


def server_credentials(folder: Path) -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials([(_read(folder / SERVER_KEY), _read(folder / SERVER_CERT))])


def channel_credentials(ca_file: Path) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(root_certificates=_read(ca_file))


def dial(address: str, credentials: grpc.ChannelCredentials | None = None) -> grpc.Channel:
    """A channel to another node: TLS when `credentials` are given; presenting BF_TOKEN when set."""
    return with_token(grpc.secure_channel(address, credentials) if credentials else grpc.insecure_channel(address))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CertificateError(f"{path}: {error.strerror or error}; `bf certs {path.parent}` makes the certificates") from None


def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=VALID_DAYS)))


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _private_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _write(path: Path, data: bytes, private: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    with os.fdopen(os.open(path, flags, 0o600 if private else 0o644), "wb") as file:
        file.write(data)
