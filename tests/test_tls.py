"""TLS: self-signed certificates made on request, wss:// servers, clients that trust them, https:// pages."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import ssl
import stat
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import wskit
from wskit import tls

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def cert(tmp_path: Path) -> tls.Certificate:
    return tls.self_signed(directory=tmp_path)


class TestSelfSigned:
    def test_files_and_fingerprint(self, cert: tls.Certificate, tmp_path: Path) -> None:
        assert cert.cert_file.parent == tmp_path and cert.key_file.parent == tmp_path
        assert stat.S_IMODE(cert.key_file.stat().st_mode) == 0o600
        der = ssl.PEM_cert_to_DER_cert(cert.cert_file.read_text())
        assert cert.fingerprint == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
        assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", cert.fingerprint)
        assert str(cert).endswith(f"(SHA-256 {cert.fingerprint})")
        assert len(base64.b64decode(cert.spki_sha256())) == 32

    def test_kept_and_reused_for_the_same_hosts(self, cert: tls.Certificate, tmp_path: Path) -> None:
        assert tls.self_signed(directory=tmp_path).fingerprint == cert.fingerprint
        assert tls.self_signed(["127.0.0.1", "LOCALHOST", "::1"], tmp_path).fingerprint == cert.fingerprint
        other = tls.self_signed(["localhost", "192.0.2.7"], tmp_path)
        assert other.fingerprint != cert.fingerprint

    def test_a_broken_file_is_made_again(self, cert: tls.Certificate, tmp_path: Path) -> None:
        cert.cert_file.write_text("not a certificate")
        again = tls.self_signed(directory=tmp_path)
        assert again.cert_file == cert.cert_file and again.fingerprint != cert.fingerprint

    def test_default_directory_is_the_user_cache(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
        assert tls.self_signed().cert_file.parent == tmp_path / "wskit" / "tls"

    def test_needs_a_host(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="at least one host"):
            tls.self_signed([], tmp_path)


class TestContexts:
    def test_what_is_accepted(self, cert: tls.Certificate) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        assert tls.server_context(None) == (None, None)
        assert tls.server_context(context) == (context, None)
        assert tls.server_context(cert)[1] == cert
        assert tls.server_context((cert.cert_file, cert.key_file))[1] == cert
        assert tls.client_context(None) is None
        assert tls.client_context(cert) is not None
        assert tls.client_context(str(cert.cert_file)) is not None

    @pytest.mark.parametrize("value", ["self_signed", 42, ("only-one",)])
    def test_anything_else_is_refused(self, value: Any) -> None:
        with pytest.raises(TypeError, match="ssl must be"):
            tls.server_context(value)

    def test_client_refuses_junk(self) -> None:
        with pytest.raises(TypeError, match="ssl must be"):
            tls.client_context(42)  # type: ignore[arg-type]


async def tls_echo(**params: Any) -> wskit.WebsocketServerTransport:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(**params), port=0)

    @server.event_handler("on_frame")
    async def echo(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        await conn.send(wskit.TextFrame(f"{conn.url.split(':')[0]}: {getattr(frame, 'text', '')}"))

    await server.start()
    return server


class TestServerAndClient:
    @pytest.mark.parametrize("form", ["certificate", "pair", "path"])
    async def test_wss_round_trip(self, cert: tls.Certificate, form: str) -> None:
        server_side: Any = (cert.cert_file, cert.key_file) if form == "pair" else cert
        server = await tls_echo(ssl=server_side)
        assert server.url.startswith("wss://127.0.0.1:")
        assert server.certificate == cert
        trust: Any = str(cert.cert_file) if form == "path" else cert
        client = wskit.WebsocketClientTransport(server.url, wskit.WebsocketClientParams(ssl=trust))
        replies = client.frames()
        await client.start()
        await client.send(wskit.TextFrame("hello"))
        reply = await replies.get(timeout=5)
        assert isinstance(reply, wskit.TextFrame) and reply.text == "wss: hello"

    async def test_a_client_that_does_not_trust_it_is_refused(self, cert: tls.Certificate) -> None:
        server = await tls_echo(ssl=cert)
        client = wskit.WebsocketClientTransport(server.url)  # the system's CAs: a self-signed cert is unknown
        with pytest.raises(wskit.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.start()

    async def test_self_signed_on_request(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
        server = await tls_echo(ssl="self-signed")
        assert server.certificate is not None
        assert server.certificate.cert_file.is_relative_to(tmp_path)
        client = wskit.WebsocketClientTransport(server.url, wskit.WebsocketClientParams(ssl=server.certificate))
        await client.start()
        assert client.connection is not None

    async def test_the_page_comes_over_https(self, cert: tls.Certificate) -> None:
        server = await tls_echo(ssl=cert, html=wskit.AUDIO_PAGE)
        url = wskit.AUDIO_PAGE.url(server, format="protobuf")
        assert url.startswith("https://127.0.0.1:")

        def get() -> tuple[int, str]:
            with urllib.request.urlopen(url, context=cert.client_context(), timeout=5) as response:
                return response.status, response.read().decode()

        assert await asyncio.to_thread(get) == (200, wskit.AUDIO_PAGE.html)
