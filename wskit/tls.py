"""TLS for servers and clients: a certificate you give, or a self-signed one made on request.

A browser allows the microphone (``getUserMedia``) only in a secure context:
``http://127.0.0.1`` and ``http://localhost`` are one, any other ``http://``
address is not. A kernel in a container or on another host therefore needs
``https://`` for the audio page, and so ``wss://`` for its socket:
``WebsocketServerParams(ssl=...)`` takes an :class:`ssl.SSLContext`, a
``(cert_file, key_file)`` pair, a :class:`Certificate`, or ``"self-signed"``
(one is made with the ``cryptography`` package, ``pip install "wskit[tls]"``,
imported only then). The certificate's SHA-256 fingerprint is what a person
compares with what the browser shows before trusting it.

A client trusts a self-signed server with ``WebsocketClientParams(ssl=cert)``
(the :class:`Certificate`, its PEM file's path, or an ``SSLContext``).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import os
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "Certificate",
    "ClientTLS",
    "ServerTLS",
    "client_context",
    "self_signed",
    "server_context",
]

StrPath = str | os.PathLike[str]

_RENEW_BEFORE = datetime.timedelta(days=1)


def _fingerprint(der: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


@dataclass(frozen=True, slots=True)
class Certificate:
    """A server certificate on disk and how to recognise it.

    Attributes:
        cert_file: the certificate, PEM.
        key_file: its private key, PEM (readable by the owner only when wskit made it).
        fingerprint: SHA-256 of the certificate (DER), as browsers show it: ``"AB:12:…"``.
    """

    cert_file: Path
    key_file: Path
    fingerprint: str

    @classmethod
    def load(cls, cert_file: StrPath, key_file: StrPath) -> Certificate:
        """A certificate you already have (the first one in ``cert_file`` is fingerprinted)."""
        cert_path, key_path = Path(cert_file), Path(key_file)
        der = ssl.PEM_cert_to_DER_cert(cert_path.read_text("ascii"))
        return cls(cert_path, key_path, _fingerprint(der))

    def server_context(self) -> ssl.SSLContext:
        """A server-side context presenting this certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client-side context that trusts exactly this certificate (host names still checked)."""
        return ssl.create_default_context(cafile=str(self.cert_file))

    def spki_sha256(self) -> str:
        """Base64 SHA-256 of the public key: Chromium's ``--ignore-certificate-errors-spki-list`` value."""
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        cert = x509.load_pem_x509_certificate(self.cert_file.read_bytes())
        spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(hashlib.sha256(spki).digest()).decode()

    def __str__(self) -> str:
        return f"{self.cert_file} (SHA-256 {self.fingerprint})"


#: What ``WebsocketServerParams(ssl=...)`` accepts.
ServerTLS = ssl.SSLContext | Certificate | tuple[StrPath, StrPath] | Literal["self-signed"]
#: What ``WebsocketClientParams(ssl=...)`` accepts: a context, or the certificate (or its PEM file) to trust.
ClientTLS = ssl.SSLContext | Certificate | StrPath


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wskit" / "tls"


def _usable(cert_file: Path, key_file: Path, hosts: Sequence[str]) -> bool:
    """An earlier self-signed certificate still valid for a day and naming every host."""
    from cryptography import x509

    if not (cert_file.exists() and key_file.exists()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return False
    have = {str(n) for n in names.get_values_for_type(x509.DNSName)}
    have |= {str(n) for n in names.get_values_for_type(x509.IPAddress)}
    fresh = cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC) > _RENEW_BEFORE
    return fresh and all(_normal(host) in have for host in hosts)


def _normal(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return host.lower()


def self_signed(
    hosts: Sequence[str] = ("localhost", "127.0.0.1", "::1"),
    directory: StrPath | None = None,
    *,
    days: int = 30,
) -> Certificate:
    """A self-signed certificate for ``hosts`` (names and IP addresses), made once and kept.

    It is kept in ``directory`` (default ``$XDG_CACHE_HOME/wskit/tls``, else
    ``~/.cache/wskit/tls``) and reused while it is valid for another day and
    names every host, so a browser's exception for it survives a restarted
    kernel. The key is an ECDSA P-256 key, written readable by the owner only.
    Needs ``cryptography`` (``pip install "wskit[tls]"``).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    wanted = sorted({_normal(h) for h in hosts})
    if not wanted:
        raise ValueError("a certificate needs at least one host name or address")
    folder = Path(directory) if directory is not None else _cache_dir()
    tag = hashlib.sha256(" ".join(wanted).encode()).hexdigest()[:12]
    cert_file, key_file = folder / f"self-signed-{tag}.pem", folder / f"self-signed-{tag}.key"
    if not _usable(cert_file, key_file, wanted):
        names: list[x509.GeneralName] = []
        for host in wanted:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"wskit self-signed ({wanted[0]})")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256())
        )
        folder.mkdir(parents=True, exist_ok=True)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(key_pem)
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Certificate.load(cert_file, key_file)


def server_context(
    value: ServerTLS | None, host: str = "127.0.0.1"
) -> tuple[ssl.SSLContext | None, Certificate | None]:
    """The context a server listens with, and the certificate when wskit knows it.

    ``"self-signed"`` names ``host`` (when it is a specific address) besides
    ``localhost``, ``127.0.0.1`` and ``::1``.
    """
    if value is None:
        return None, None
    if isinstance(value, ssl.SSLContext):
        return value, None
    if isinstance(value, Certificate):
        return value.server_context(), value
    if value == "self-signed":
        hosts = ["localhost", "127.0.0.1", "::1"]
        if host not in ("", "0.0.0.0", "::"):
            hosts.append(host)
        cert = self_signed(hosts)
        return cert.server_context(), cert
    if isinstance(value, tuple) and len(value) == 2:
        cert = Certificate.load(*value)
        return cert.server_context(), cert
    raise TypeError(
        "ssl must be an ssl.SSLContext, a wskit.tls.Certificate, a (cert_file, key_file) pair or 'self-signed', "
        f"not {value!r}"
    )


def client_context(value: ClientTLS | None) -> ssl.SSLContext | None:
    """The context a client connects with: ``None`` leaves websockets' default (the system's CAs)."""
    if value is None or isinstance(value, ssl.SSLContext):
        return value
    if isinstance(value, Certificate):
        return value.client_context()
    if isinstance(value, (str, os.PathLike)):
        return ssl.create_default_context(cafile=os.fspath(value))
    raise TypeError(f"ssl must be an ssl.SSLContext, a wskit.tls.Certificate or a PEM file to trust, not {value!r}")
