"""A DNS "server" that never answers: it reads UDP and TCP traffic and says nothing."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading

_MAX_HELD_CONNECTIONS = 1024


class Blackhole:
    """Bind UDP and TCP on (host, port) in a background thread and never reply.

    ``received`` counts what has reached it: UDP datagrams and TCP connections.
    """

    def __init__(self, host: str, port: int = 53) -> None:
        self.host = host
        self.port = port
        self.received = 0
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            udp.bind((self.host, self.port))
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind((self.host, self.port))
            tcp.listen(128)
        except OSError:
            udp.close()
            tcp.close()
            raise
        udp.setblocking(False)
        tcp.setblocking(False)
        self._udp, self._tcp = udp, tcp
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(
            target=self._run, name=f"blackhole-{self.address}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        assert self._wake_w is not None
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        self._thread.join(timeout=5)
        self._thread = None
        for sock in (self._udp, self._tcp, self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._udp = self._tcp = self._wake_r = self._wake_w = None

    def __enter__(self) -> Blackhole:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        assert self._udp and self._tcp and self._wake_r
        held: list[socket.socket] = []
        with selectors.DefaultSelector() as selector:
            selector.register(self._udp, selectors.EVENT_READ, "udp")
            selector.register(self._tcp, selectors.EVENT_READ, "listen")
            selector.register(self._wake_r, selectors.EVENT_READ, "wake")
            running = True
            while running:
                for key, _ in selector.select():
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if key.data == "wake":
                        running = False
                    elif key.data == "udp":
                        self.received += _drain_udp(sock)
                    elif key.data == "listen":
                        with contextlib.suppress(OSError):
                            conn, _ = sock.accept()
                            self.received += 1
                            conn.setblocking(False)
                            if len(held) >= _MAX_HELD_CONNECTIONS:
                                oldest = held.pop(0)
                                selector.unregister(oldest)
                                self._close(oldest)
                            held.append(conn)
                            selector.register(conn, selectors.EVENT_READ, "conn")
                    elif not self._on_readable(sock):
                        selector.unregister(sock)
                        held.remove(sock)
                        self._close(sock)
            for conn in held:
                selector.unregister(conn)
                self._close(conn)

    def _on_readable(self, conn: socket.socket) -> bool:
        """Handle data on a held TCP connection; False once it is to be closed."""
        return _read_some(conn)

    def _close(self, conn: socket.socket) -> None:
        conn.close()


def _drain_udp(sock: socket.socket) -> int:
    """Read and discard what datagrams are waiting (256 at the most); how many."""
    for count in range(256):
        try:
            sock.recvfrom(65535)
        except OSError:  # none waiting (BlockingIOError), or closed
            return count
    return 256


def _read_some(sock: socket.socket) -> bool:
    """Read and discard; False once the peer has closed the connection."""
    try:
        return bool(sock.recv(65535))
    except (BlockingIOError, InterruptedError):
        return True
    except OSError:
        return False
