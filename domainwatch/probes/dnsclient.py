"""Multiplexed asyncio DNS stub client.

Many queries share a few long-lived, connected UDP sockets per resolver.  A
response is accepted only if its id, question name (case-insensitively), type and
class match an outstanding query on the socket it arrived on; anything else is
counted and dropped.  Each attempt has its own timeout; a failed attempt is
retried on the next resolver (or the next socket of the only one).  Truncated
answers are asked again over a short-lived TCP connection.

The hot path is callback driven (:meth:`DNSClient.submit_cb` calls back,
:meth:`DNSClient.submit` returns a future; neither creates a task), and timeouts
are found by a periodic sweep of the queries in flight instead of one timer per
query.  (Nothing else refers to a query once it is answered: a query kept alive
for the timeout, e.g. in a FIFO of deadlines, outlives a few garbage collections
and makes the full collections both frequent and slow.)
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import socket
import struct
import time
from collections.abc import Callable
from typing import Literal

from domainwatch.probes.dnswire import (
    CLASS_IN,
    QTYPES,
    Message,
    WireError,
    decode_message,
    encode_query,
    query_suffix,
    read_question,
)

QueryStatus = Literal[
    "ok", "nodata", "nxdomain", "servfail", "refused", "formerr", "timeout", "error"
]

_RCODE_STATUS: dict[int, QueryStatus] = {
    1: "formerr",
    2: "servfail",
    3: "nxdomain",
    5: "refused",
}
_ID = struct.Struct("!H")
# Answered with one of these, an attempt is tried again on another resolver, if there is one.
_RETRY_ELSEWHERE = frozenset(("servfail", "refused"))


class Answer:
    """The outcome of one query after all its attempts; ``qtype`` is the type asked."""

    __slots__ = ("detail", "message", "qtype", "resolver", "status", "tcp")

    def __init__(
        self,
        status: QueryStatus,
        message: Message | None = None,
        detail: str = "",
        resolver: tuple[str, int] | None = None,
        tcp: bool = False,
    ) -> None:
        self.status: QueryStatus = status
        self.message = message
        self.detail = detail
        self.resolver = resolver
        self.tcp = tcp
        self.qtype = 0

    def __repr__(self) -> str:
        rcode = None if self.message is None else self.message.rcode
        return f"Answer({self.status!r}, rcode={rcode}, detail={self.detail!r})"


def status_of(message: Message, qtype: int) -> QueryStatus:
    rcode = message.rcode
    if rcode == 0:
        for rr in message.answer:
            if rr.rtype == qtype:
                return "ok"
        return "nodata"
    return _RCODE_STATUS.get(rcode, "error")


def _grow_receive_buffer(sock: socket.socket | None, size: int) -> None:
    """Make room for a burst of answers: the default (~200 KiB) overflows with a
    couple of thousand queries in flight and the kernel silently drops answers."""
    if sock is None or size <= 0:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) < size:
            # SO_RCVBUF is capped at net.core.rmem_max; with CAP_NET_ADMIN this is not.
            sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), size)
    except OSError:
        pass


class _IdSource:
    """Unpredictable 16-bit query ids, drawn from os.urandom in blocks."""

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: list[int] = []

    def next(self) -> int:
        if not self._ids:
            block = os.urandom(4096)
            self._ids = list(struct.unpack(f"!{len(block) // 2}H", block))
        return self._ids.pop()


class _Query:
    __slots__ = (
        "attempt",
        "callback",
        "deadline",
        "endpoint",
        "known",
        "last",
        "packet_tail",
        "pinned",
        "qid",
        "qname",
        "qtype",
        "question",
        "resolver_offset",
    )

    def __init__(
        self,
        qname: bytes,
        qtype: int,
        callback: Callable[[Answer], object],
        qname_text: str | None,
        suffix: bytes,
        header: bytes,
    ) -> None:
        self.qname = qname
        self.qtype = qtype
        # `suffix` is the question's type and class, then the OPT record if any.
        self.question = qname + suffix[:4]
        self.packet_tail = header + qname + suffix  # the query without its id
        self.known = None if qname_text is None else (qname, qtype, qname_text)
        self.callback: Callable[[Answer], object] | None = callback
        self.attempt = 0
        self.deadline = 0.0
        self.resolver_offset = 0
        self.pinned = -1
        self.endpoint: _Endpoint | None = None
        self.qid = -1
        self.last: Answer | None = None


class _Endpoint:
    """One connected, non-blocking UDP socket to one resolver, with its outstanding
    queries by id.  It is read directly from the event loop's reader callback,
    draining every queued datagram per wake-up (an asyncio datagram transport
    delivers one datagram per loop iteration, which costs more than the decoding)."""

    # Datagrams handled per wake-up before the loop gets a turn.
    BATCH = 256

    def __init__(
        self,
        client: DNSClient,
        resolver: tuple[str, int],
        loop: asyncio.AbstractEventLoop,
        receive_buffer: int,
    ) -> None:
        self.client = client
        self.resolver = resolver
        self.pending: dict[int, _Query] = {}
        self.loop = loop
        family = socket.AF_INET6 if ":" in resolver[0] else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            _grow_receive_buffer(sock, receive_buffer)
            sock.connect(resolver)
        except OSError:
            sock.close()
            raise
        self.sock: socket.socket | None = sock
        loop.add_reader(sock.fileno(), self._readable)

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            self.loop.remove_reader(sock.fileno())
            sock.close()

    def send(self, packet: bytes) -> None:
        """Send; on failure the query is left to its timeout, or failed at once if the
        socket reports an ICMP error from an earlier datagram."""
        sock = self.sock
        if sock is None:
            return
        try:
            sock.send(packet)
        except (BlockingIOError, InterruptedError):
            self.client.stats["send_errors"] += 1
        except OSError as exc:
            self.client.stats["send_errors"] += 1
            self._network_error(exc)

    def _readable(self) -> None:
        sock = self.sock
        if sock is None:
            return
        recv = sock.recv
        datagram_received = self.datagram_received
        for _ in range(self.BATCH):
            try:
                data = recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._network_error(exc)
                return
            datagram_received(data)
            if self.sock is None:
                return

    def datagram_received(self, data: bytes) -> None:
        client = self.client
        if len(data) < 12:
            client.stats["malformed"] += 1
            return
        query = self.pending.get((data[0] << 8) | data[1])
        if query is None or not data[2] & 0x80:
            client.stats["unmatched"] += 1
            return
        expected = query.question
        known = query.known
        if (
            data[4] != 0
            or data[5] != 1
            or not (
                data.startswith(expected, 12)
                or data[12 : 12 + len(expected)].lower() == expected
            )
        ):
            known = None
            try:
                question = read_question(data)[2]
            except WireError:
                question = None
            if question is None or question != (query.qname, query.qtype, CLASS_IN):
                client.stats["mismatched"] += 1
                return
        try:
            message = decode_message(data, known)
        except WireError:
            client.stats["malformed"] += 1
            return
        del self.pending[query.qid]
        client._attempt_answered(query, message)

    def _network_error(self, exc: OSError) -> None:
        # On a connected socket this is an ICMP error (port/host unreachable) for some
        # earlier datagram; it cannot be tied to one query, so all of them fail here.
        self.client.stats["network_errors"] += 1
        pending, self.pending = self.pending, {}
        detail = f"{type(exc).__name__}: {exc.strerror or exc}"
        for query in pending.values():
            self.client._attempt_failed(query, "error", detail)


class DNSClient:
    """Asyncio stub client multiplexing queries over a few UDP sockets per resolver."""

    def __init__(
        self,
        resolvers: list[tuple[str, int]],
        *,
        timeout: float = 2.0,
        retries: int = 2,
        concurrency: int = 500,
        edns: bool = True,
        edns_payload: int = 1232,
        sockets_per_resolver: int = 4,
        receive_buffer: int = 4 << 20,
        initial_window: int = 100,
    ) -> None:
        if not resolvers:
            raise ValueError("no resolvers given")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if retries < 0:
            raise ValueError("retries must not be negative")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.resolvers = list(resolvers)
        self.timeout = timeout
        self.retries = retries
        self.concurrency = concurrency
        self.edns_payload: int | None = edns_payload if edns else None
        self.sockets_per_resolver = max(1, sockets_per_resolver)
        self.receive_buffer = receive_buffer
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "queries",
                "sent",
                "retries",
                "timeouts",
                "tcp_fallbacks",
                "network_errors",
                "send_errors",
                "unmatched",
                "mismatched",
                "malformed",
            ),
            0,
        )
        # Every query's header after its id (flags and counts) is the same.
        self._query_header = encode_query(0, b"\x00", 0, edns_payload=self.edns_payload)[2:12]
        # By query type: the question's type and class, then the OPT record if any.
        self._query_suffixes: dict[int, bytes] = {}
        self._endpoints: list[list[_Endpoint]] = []
        self._next_socket = 0
        self._next_resolver = 0
        self._active = list(range(len(self.resolvers)))
        self._ids = _IdSource()
        self._inflight = 0
        # Slow start: the window of queries in flight opens by one per answer, up to
        # `concurrency`, so a resolver is not hit by thousands of datagrams at once (more
        # than fit in its socket buffer: they would be dropped and cost a timeout each).
        self._window = min(concurrency, initial_window)
        self._backlog: collections.deque[_Query] = collections.deque()
        self._sweeper: asyncio.Task[None] | None = None
        self._tcp_tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        try:
            for resolver in self.resolvers:
                group: list[_Endpoint] = []
                self._endpoints.append(group)
                for _ in range(self.sockets_per_resolver):
                    group.append(_Endpoint(self, resolver, loop, self.receive_buffer))
        except BaseException:
            await self.close()
            raise
        self._sweeper = loop.create_task(self._sweep())

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        for task in list(self._tcp_tasks):
            task.cancel()
        tasks = [t for t in (self._sweeper, *self._tcp_tasks) if t is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for group in self._endpoints:
            for endpoint in group:
                pending, endpoint.pending = endpoint.pending, {}
                for query in pending.values():
                    self._complete(query, Answer("error", detail="client closed"))
                endpoint.close()
        while self._backlog:
            query = self._backlog.popleft()
            self._deliver(query, Answer("error", detail="client closed"))

    @property
    def in_flight(self) -> int:
        return self._inflight

    async def query(self, qname_wire: bytes, qtype: int | str) -> Answer:
        return await self.submit(qname_wire, qtype)

    def use_resolvers(self, indices: list[int]) -> None:
        """Send later queries only to these resolvers (indices into ``resolvers``)."""
        if not indices:
            raise ValueError("at least one resolver must stay in use")
        self._active = list(indices)

    def submit(
        self, qname_wire: bytes, qtype: int | str, *, resolver: int | None = None
    ) -> asyncio.Future[Answer]:
        """Start a query for ``qname_wire`` (see :func:`encode_name`); the future
        always resolves to an :class:`Answer`, never to an exception.  With
        ``resolver`` (an index into ``resolvers``) every attempt goes to that one."""
        if self._loop is None:
            raise RuntimeError("DNSClient is not started")
        future: asyncio.Future[Answer] = self._loop.create_future()

        def resolve(answer: Answer) -> None:
            if not future.done():
                future.set_result(answer)

        self.submit_cb(qname_wire, qtype, resolve, resolver=resolver)
        return future

    def submit_cb(
        self,
        qname_wire: bytes,
        qtype: int | str,
        callback: Callable[[Answer], object],
        *,
        resolver: int | None = None,
        qname_text: str | None = None,
    ) -> None:
        """Like :meth:`submit`, but ``callback`` is called (once) with the answer.
        ``qname_text`` (the name in presentation form, lower-case, no trailing dot)
        spares decoding the question of the response."""
        if self._loop is None or self._closed:
            raise RuntimeError("DNSClient is not started or already closed")
        if isinstance(qtype, str):
            qtype = QTYPES[qtype.upper()]
        suffix = self._query_suffixes.get(qtype)
        if suffix is None:
            suffix = query_suffix(qtype, edns_payload=self.edns_payload)
            self._query_suffixes[qtype] = suffix
        query = _Query(qname_wire, qtype, callback, qname_text, suffix, self._query_header)
        self.stats["queries"] += 1
        if resolver is not None:
            query.pinned = resolver
        else:
            query.resolver_offset = self._next_resolver
            self._next_resolver += 1
        if self._inflight >= self._window:
            self._backlog.append(query)
        else:
            self._inflight += 1
            self._send(query)

    def _send(self, query: _Query) -> None:
        if query.pinned >= 0:
            group = self._endpoints[query.pinned]
        else:
            active = self._active
            group = self._endpoints[active[(query.resolver_offset + query.attempt) % len(active)]]
        self._next_socket += 1
        endpoint = group[self._next_socket % len(group)]
        if endpoint.sock is None:
            self._attempt_failed(query, "error", "socket closed", resend=False)
            return
        pending = endpoint.pending
        qid = self._ids.next()
        while qid in pending:
            qid = self._ids.next()
        query.qid = qid
        query.endpoint = endpoint
        pending[qid] = query
        query.deadline = time.monotonic() + self.timeout
        self.stats["sent"] += 1
        endpoint.send(_ID.pack(qid) + query.packet_tail)

    def _attempt_answered(self, query: _Query, message: Message) -> None:
        if self._window < self.concurrency:
            self._window += 1
        endpoint = query.endpoint
        resolver = endpoint.resolver if endpoint is not None else None
        if message.truncated:
            self.stats["tcp_fallbacks"] += 1
            assert self._loop is not None and resolver is not None
            task = self._loop.create_task(self._tcp_fallback(query, resolver))
            self._tcp_tasks.add(task)
            task.add_done_callback(self._tcp_tasks.discard)
            return
        status = status_of(message, query.qtype)
        answer = Answer(status, message, resolver=resolver)
        if status in _RETRY_ELSEWHERE and len(self._active) > 1 and query.pinned < 0:
            self._attempt_failed(query, status, "", answer=answer)
            return
        self._complete(query, answer)

    def _attempt_failed(
        self,
        query: _Query,
        status: QueryStatus,
        detail: str,
        *,
        answer: Answer | None = None,
        resend: bool = True,
    ) -> None:
        endpoint = query.endpoint
        resolver = endpoint.resolver if endpoint is not None else None
        query.last = answer or Answer(status, detail=detail, resolver=resolver)
        query.endpoint = None
        if resend and query.attempt < self.retries and not self._closed:
            query.attempt += 1
            self.stats["retries"] += 1
            self._send(query)
            return
        self._complete(query, query.last)

    def _complete(self, query: _Query, answer: Answer) -> None:
        query.endpoint = None
        self._release()
        self._deliver(query, answer)

    @staticmethod
    def _deliver(query: _Query, answer: Answer) -> None:
        callback, query.callback = query.callback, None
        if callback is not None:
            answer.qtype = query.qtype
            callback(answer)

    def _release(self) -> None:
        self._inflight -= 1
        if self._closed:
            return
        while self._backlog and self._inflight < self._window:
            query = self._backlog.popleft()
            self._inflight += 1
            self._send(query)

    async def _sweep(self) -> None:
        tick = min(0.05, self.timeout / 10)
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            for group in self._endpoints:
                for endpoint in group:
                    expired = [q for q in endpoint.pending.values() if q.deadline <= now]
                    for query in expired:
                        # Failing one may have failed others (a network error) or sent
                        # them again: endpoint.pending is read afresh every time.
                        if endpoint.pending.get(query.qid) is query and query.deadline <= now:
                            del endpoint.pending[query.qid]
                            self.stats["timeouts"] += 1
                            detail = f"no answer within {self.timeout:g}s"
                            self._attempt_failed(query, "timeout", detail)

    async def _tcp_fallback(self, query: _Query, resolver: tuple[str, int]) -> None:
        try:
            answer = await asyncio.wait_for(
                self.tcp_query(resolver, query.qname, query.qtype), self.timeout
            )
        except TimeoutError:
            self.stats["timeouts"] += 1
            self._attempt_failed(query, "timeout", f"no answer over TCP within {self.timeout:g}s")
            return
        except (OSError, WireError, asyncio.IncompleteReadError) as exc:
            self._attempt_failed(query, "error", f"TCP fallback failed: {exc}")
            return
        self._complete(query, answer)

    async def tcp_query(self, resolver: tuple[str, int], qname: bytes, qtype: int) -> Answer:
        """One query over a fresh TCP connection (no timeout of its own)."""
        reader, writer = await asyncio.open_connection(resolver[0], resolver[1])
        try:
            qid = self._ids.next()
            packet = encode_query(qid, qname, qtype, edns_payload=self.edns_payload)
            writer.write(struct.pack("!H", len(packet)) + packet)
            await writer.drain()
            while True:
                length = struct.unpack("!H", await reader.readexactly(2))[0]
                data = await reader.readexactly(length)
                qid_got, flags, question = read_question(data)
                if qid_got == qid and flags & 0x8000 and question == (qname, qtype, CLASS_IN):
                    break
                self.stats["mismatched"] += 1
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        message = decode_message(data)
        return Answer(status_of(message, qtype), message, resolver=resolver, tcp=True)
