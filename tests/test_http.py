"""The HTTP transport's connection reuse: the web probe asks the landing page again as a
crawler and with a search Referer over the connection it already has."""

from __future__ import annotations

import asyncio
import gzip
import zlib

from domainwatch.probes.http import HttpAnswer, HttpConnection, fetch
from domainwatch.probes.page import parse_page
from domainwatch.probes.web import _body_redirect

PAGE = b"<html><title>t</title></html>"


class CountingServer:
    """Answers every request on a connection; closes after ``per_connection`` of them."""

    def __init__(self, per_connection: int, *, chunked: bool = False) -> None:
        self.per_connection, self.chunked = per_connection, chunked
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        for _ in range(self.per_connection):
            try:
                request = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            self.requests.append(request)
            if self.chunked:
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"%x\r\n%s\r\n0\r\n\r\n" % (len(PAGE), PAGE))
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(PAGE), PAGE))
            await writer.drain()
        writer.close()

    def run(self, count: int) -> list[HttpAnswer]:
        async def go() -> list[HttpAnswer]:
            server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            async with server:
                connection = HttpConnection("www.a.gov.cn", "127.0.0.1", port=port, timeout=3)
                try:
                    answers = []
                    for number in range(count):
                        answers.append(await connection.get(
                            "/", user_agent=f"agent-{number}",
                            headers={"Referer": "https://www.baidu.com/s?wd=a"}))
                        await asyncio.sleep(0.05)  # let a closing server close
                    return answers
                finally:
                    await connection.close()
        return asyncio.run(go())


def test_one_connection_carries_several_requests() -> None:
    server = CountingServer(per_connection=10)
    answers = server.run(3)
    assert [a.status for a in answers] == [200, 200, 200]
    assert all(a.body == PAGE.decode() and a.error is None for a in answers)
    assert server.connections == 1
    assert b"Connection: keep-alive" in server.requests[0]
    assert b"User-Agent: agent-2" in server.requests[2]
    assert b"Referer: https://www.baidu.com/s?wd=a" in server.requests[1]


def test_a_closed_connection_is_opened_again() -> None:
    server = CountingServer(per_connection=1, chunked=True)
    answers = server.run(3)
    assert [(a.status, a.error) for a in answers] == [(200, None)] * 3
    assert server.connections == 3


def serve_once(response: bytes, max_bytes: int = 262_144) -> HttpAnswer:
    async def go() -> HttpAnswer:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(response)
            await writer.drain()
            writer.close()
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await fetch("www.a.gov.cn", "127.0.0.1", port=port, timeout=3,
                               max_bytes=max_bytes)
    return asyncio.run(go())


def test_gzip_and_deflate_bodies_are_read_although_identity_was_asked() -> None:
    page = "<html><title>政府网站</title><body>内容</body></html>".encode("gbk")
    for coding, body in (("gzip", gzip.compress(page)), ("deflate", zlib.compress(page))):
        answer = serve_once(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=gbk\r\n"
                            b"Content-Encoding: %s\r\nContent-Length: %d\r\n\r\n%s"
                            % (coding.encode(), len(body), body))
        assert answer.body == page.decode("gbk") and not answer.truncated, coding
    bomb = gzip.compress(b"x" * 5_000_000)
    capped = serve_once(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d"
                        b"\r\n\r\n%s" % (len(bomb), bomb), max_bytes=100_000)
    assert len(capped.raw) == 100_000 and capped.truncated


def test_a_refresh_header_is_a_redirect() -> None:
    page = parse_page("<html><body>moved</body></html>", "http://www.a.gov.cn/")
    assert _body_redirect(page, "0; url=http://bet.example/", "http://www.a.gov.cn/") == (
        "http://bet.example/", "meta")
    assert _body_redirect(page, "600", "http://www.a.gov.cn/") == (None, "")
