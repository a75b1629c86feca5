"""Web servers that misbehave the ways nginx cannot: for sites with a fault ``behaviour``.

One :class:`FaultyWebServer` per site, on the site's own address, port 80 and/or 443:

- ``hang``: accepts connections, reads and discards what arrives, never answers (a TLS
  handshake never completes either);
- ``reset``: accepts, waits for the first bytes of the request (or the ClientHello), then
  resets the connection (``SO_LINGER`` 0 and close): the client sees ECONNRESET;
- ``huge``: answers any request ``200`` ``text/html`` with a ``Content-Length`` of the
  site's ``size`` and streams that many bytes of generated HTML (over TLS too on 443,
  with the site's certificate).

A thread accepts (and holds hanging connections); each huge answer streams from a thread
of its own, at most ``MAX_STREAMS`` at once. :meth:`FaultyWebServer.stop` closes the
listening sockets and every held or streaming connection and joins the threads.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

from domainwatch.testnet.scenario import HTTPS_PORT, Site

MAX_HELD_CONNECTIONS = 1024
MAX_STREAMS = 32
_IO_TIMEOUT = 10.0
_MAX_REQUEST = 65536
_BLOCK_LINES = 400
_HEAD = (
    '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
    "<title>政府信息公开 数据下载</title></head><body>\n<h1>政府信息公开 数据下载</h1>\n"
).encode()
_TAIL = b"</body></html>\n"
_LINE = ("<p>{n:08d} 本栏目公开政府信息数据目录，"
         "包括机构职能、政策文件、规划计划、财政资金和统计数据。</p>\n")


class FaultyWebServer:
    """Serve ``site`` (behaviour hang, reset or huge) on its address; ``certificate``
    (chain, key) is for a huge site's HTTPS."""

    def __init__(self, site: Site, certificate: tuple[Path, Path] | None = None) -> None:
        if not site.faulty:
            raise ValueError(f"site {site.names[0]} has behaviour {site.behaviour!r}")
        self.site = site
        self._tls: ssl.SSLContext | None = None
        if site.behaviour == "huge" and site.https:
            if certificate is None:
                raise ValueError("a huge HTTPS site needs its certificate")
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(*certificate)
        self._listeners: dict[socket.socket, int] = {}
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._streams: dict[threading.Thread, socket.socket] = {}
        self._streams_lock = threading.Lock()

    @property
    def address(self) -> str:
        return self.site.address

    def start(self) -> FaultyWebServer:
        try:
            for port in self.site.ports:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                self._listeners[sock] = port
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                sock.bind((self.site.address, port))
                sock.listen(128)
                sock.setblocking(False)
        except OSError:
            self._close_listeners()
            raise
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(
            target=self._run, name=f"faulty-web-{self.site.behaviour}-{self.address}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stopping.set()
        assert self._wake_w is not None
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        self._thread.join(timeout=5)
        self._thread = None
        with self._streams_lock:
            streams = dict(self._streams)
        for conn in streams.values():
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in streams:
            thread.join(timeout=5)
        self._close_listeners()
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._wake_r = self._wake_w = None

    def __enter__(self) -> FaultyWebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _close_listeners(self) -> None:
        for sock in self._listeners:
            sock.close()
        self._listeners = {}

    def _run(self) -> None:
        assert self._wake_r is not None
        held: list[socket.socket] = []
        with selectors.DefaultSelector() as selector:
            for sock in self._listeners:
                selector.register(sock, selectors.EVENT_READ, "listen")
            selector.register(self._wake_r, selectors.EVENT_READ, "wake")
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if key.data == "wake":
                        break
                    if key.data == "listen":
                        conn = self._accept(sock)
                        if conn is None:
                            continue
                        if self.site.behaviour == "huge":
                            self._start_stream(conn, self._listeners[sock] == HTTPS_PORT)
                            continue
                        if len(held) >= MAX_HELD_CONNECTIONS:
                            oldest = held.pop(0)
                            selector.unregister(oldest)
                            oldest.close()
                        held.append(conn)
                        selector.register(conn, selectors.EVENT_READ, "conn")
                    elif not self._on_readable(sock):
                        selector.unregister(sock)
                        held.remove(sock)
            for conn in held:
                selector.unregister(conn)
                conn.close()

    @staticmethod
    def _accept(listener: socket.socket) -> socket.socket | None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return None
        conn.setblocking(False)
        return conn

    def _on_readable(self, conn: socket.socket) -> bool:
        """Handle a held connection; False once it is closed."""
        try:
            data = conn.recv(_MAX_REQUEST)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            conn.close()
            return False
        if data and self.site.behaviour == "hang":
            return True
        if data:  # reset: the request arrived; answer it with a RST
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        return False

    def _start_stream(self, conn: socket.socket, tls: bool) -> None:
        with self._streams_lock:
            if len(self._streams) >= MAX_STREAMS:
                conn.close()
                return
            thread = threading.Thread(target=self._stream, args=(conn, tls), daemon=True,
                                      name=f"faulty-web-stream-{self.address}")
            self._streams[thread] = conn
        thread.start()

    def _stream(self, conn: socket.socket, tls: bool) -> None:
        channel: socket.socket = conn
        try:
            conn.setblocking(True)
            conn.settimeout(_IO_TIMEOUT)
            if tls:
                assert self._tls is not None
                channel = self._tls.wrap_socket(conn, server_side=True)
            request = _read_request(channel)
            if request is None:
                return
            head = (
                "HTTP/1.1 200 OK\r\nServer: nginx\r\n"
                "Content-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {self.site.size}\r\nConnection: close\r\n\r\n"
            ).encode()
            channel.sendall(head)
            if request.startswith(b"HEAD "):
                return
            for chunk in huge_body(self.site.size):
                if self._stopping.is_set():
                    return
                channel.sendall(chunk)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                channel.close()
            with contextlib.suppress(OSError):
                conn.close()
            with self._streams_lock:
                self._streams.pop(threading.current_thread(), None)


def _read_request(channel: socket.socket) -> bytes | None:
    """The request head (up to the blank line, or as much as came); None if none came."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < _MAX_REQUEST:
        chunk = channel.recv(_MAX_REQUEST)
        if not chunk:
            break
        data += chunk
    return data or None


def _block() -> bytes:
    return "".join(_LINE.format(n=n) for n in range(_BLOCK_LINES)).encode()


_BLOCK = _block()


def huge_body(size: int) -> Iterator[bytes]:
    """Exactly ``size`` bytes of HTML (valid UTF-8), generated block by block."""
    if size <= len(_HEAD) + len(_TAIL):
        yield (_HEAD + _TAIL)[:size]
        return
    yield _HEAD
    left = size - len(_HEAD) - len(_TAIL)
    while left >= len(_BLOCK):
        yield _BLOCK
        left -= len(_BLOCK)
    if left:
        yield b"\n" * left
    yield _TAIL
