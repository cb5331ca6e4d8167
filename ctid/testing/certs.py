"""Self-signed certificates for tests and demos of TLS listeners (CTIs), made on the spot.

    certfile, keyfile = self_signed(tmp_path)
    config = {"listen": {"ctis": {"enabled": True, "certfile": certfile, "keyfile": keyfile}}}

The pair is made with the `openssl` command when it is installed (Debian: package `openssl`),
else with the `cryptography` package when that is importable; with neither, CertificateError
says so (tests then skip). The key is an unencrypted P-256 key valid for `localhost`,
`127.0.0.1` and `::1` for two days: never use it outside a test or a demo.
"""

from __future__ import annotations

import datetime
import importlib
import ipaddress
import pathlib
import shutil
import subprocess

COMMON_NAME = "localhost"
_DAYS = 2
_ALT_NAMES = "DNS:localhost,IP:127.0.0.1,IP:::1"


class CertificateError(RuntimeError):
    """No way to make a certificate here (neither `openssl` nor `cryptography`)."""


def self_signed(directory: str | pathlib.Path) -> tuple[str, str]:
    """Write `ctid-test.crt` and `ctid-test.key` into `directory`; return their paths."""
    folder = pathlib.Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    certfile, keyfile = folder / "ctid-test.crt", folder / "ctid-test.key"
    openssl = shutil.which("openssl")
    if openssl is not None:
        _with_openssl(openssl, certfile, keyfile)
    else:
        _with_cryptography(certfile, keyfile)
    keyfile.chmod(0o600)
    return str(certfile), str(keyfile)


def _with_openssl(openssl: str, certfile: pathlib.Path, keyfile: pathlib.Path) -> None:
    command = [
        openssl,
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        str(_DAYS),
        "-subj",
        f"/CN={COMMON_NAME}",
        "-addext",
        f"subjectAltName={_ALT_NAMES}",
        "-keyout",
        str(keyfile),
        "-out",
        str(certfile),
    ]
    # A fixed argv with no shell; only the two paths come from the caller.
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    if done.returncode != 0:
        raise CertificateError(f"openssl req failed: {done.stderr.strip()}")


def _with_cryptography(certfile: pathlib.Path, keyfile: pathlib.Path) -> None:
    # Imported by name: cryptography is optional and may be absent (no stubs needed then).
    try:
        x509 = importlib.import_module("cryptography.x509")
        hashes = importlib.import_module("cryptography.hazmat.primitives.hashes")
        serialization = importlib.import_module("cryptography.hazmat.primitives.serialization")
        ec = importlib.import_module("cryptography.hazmat.primitives.asymmetric.ec")
    except ImportError as exc:
        raise CertificateError("neither the openssl command nor cryptography is here") from exc
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, COMMON_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    alt_names = x509.SubjectAlternativeName(
        [
            x509.DNSName(COMMON_NAME),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_DAYS))
        .add_extension(alt_names, critical=False)
        .sign(key, hashes.SHA256())
    )
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
