"""aiohttp without its CA bundle at import (issue 17): still verified on first use."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import os
import ssl
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Run in a fresh process: import the cluster layer, then use aiohttp's default (verified) SSL
# context, as any code that passes no context of its own does.
_CLIENT = """
import asyncio, sys
import claworc_tui.k8s.client  # the cluster client imports aiohttp through k8s.http
import aiohttp, aiohttp.connector as connector

async def main() -> None:
    held = connector._SSL_CONTEXT_VERIFIED.cert_store_stats()["x509_ca"]
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(sys.argv[1]) as resp:
                body = await resp.text()
    except aiohttp.ClientConnectorCertificateError:
        body = "refused"
    print(held, body)

asyncio.run(main())
"""


def _write_ca_and_server_cert(folder: Path) -> tuple[Path, Path, Path]:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "claworc test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
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
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, cert_pem, key_pem = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_pem, cert_pem, key_pem


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
        pass  # the client refused the certificate
    finally:
        writer.close()


async def _fetch(url: str, ca_file: Path | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSL_CERT")}
    if ca_file is not None:
        env["SSL_CERT_FILE"] = str(ca_file)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CLIENT, url, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    assert child.returncode == 0
    return out.decode().split()


async def test_aiohttp_defaults_load_the_ca_certificates_on_their_first_handshake(
    tmp_path: Path,
) -> None:
    ca_pem, cert_pem, key_pem = _write_ca_and_server_cert(tmp_path)
    server_ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ssl.load_cert_chain(cert_pem, key_pem)
    server = await asyncio.start_server(_answer, "127.0.0.1", 0, ssl=server_ssl)
    port = server.sockets[0].getsockname()[1]
    url = f"https://localhost:{port}/"
    async with server:
        # Our CA is the system store (SSL_CERT_FILE): nothing was loaded at import, and the
        # first handshake loads it and verifies against it.
        assert await _fetch(url, ca_pem) == ["0", "hello"]
        # The real system store does not know our CA: verification is on, the server refused.
        assert await _fetch(url, None) == ["0", "refused"]
