"""DNS probe: resolve each name of the register through a recursive resolver and
describe what the world looks like from there (addresses, CNAME chain, NS, MX,
TXT, enclosing zone) with a typed outcome for every query made.

Stage 1 asks A and AAAA (the fast path); stage 2 asks NS, MX, TXT and SOA and,
once per zone and run, the NS set of the enclosing zone.  Stage 2 is skipped for
names that do not exist (the zone is taken from the SOA in the NXDOMAIN answer's
authority section) and for names whose every stage-1 query timed out (more
queries into a silent zone only hold slots for the full timeout).

Keys of :attr:`DNSObservation.statuses`: the record type for a query at the name
itself; ``"TYPE@target"`` for follow-up queries this probe made along a CNAME
chain (the resolver stopped part-way, or failed and the chain was walked with
CNAME queries to find loops); ``"NS@zone"`` for the NS set of the enclosing
zone (:attr:`DNSObservation.ns_owner` names the zone).

Size: the probe's two stages, its per-run zone cache and the classification of each
outcome share one session per name; :mod:`dnsclient` and :mod:`dnswire` hold the transport.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from domainwatch.names import ascii_host, is_under
from domainwatch.probes.dnsclient import Answer, DNSClient, QueryStatus
from domainwatch.probes.dnswire import (
    QTYPES,
    TYPE_CNAME,
    TYPE_NAMES,
    TYPE_NS,
    TYPE_SOA,
    Message,
    WireError,
    encode_name,
)
from domainwatch.settings import ResolverConfig

__all__ = [
    "FAILURES",
    "DNSObservation",
    "DNSProbe",
    "HostLookups",
    "ObservationStatus",
    "QueryStatus",
    "ResolverConfig",
    "ResolverUnreachable",
    "parse_resolver",
]

ObservationStatus = Literal[
    "resolves", "nxdomain", "no_address", "cname_dangling", "cname_loop", "unresolved"
]
FAILURES: frozenset[str] = frozenset({"servfail", "refused", "formerr", "timeout", "error"})
STAGE1 = ("A", "AAAA")
STAGE2 = ("NS", "MX", "TXT", "SOA")
# How far up the tree to look for the zone of a name that is itself a CNAME.
_MAX_PARENT_STEPS = 4


@dataclass
class DNSObservation:
    name: str
    status: ObservationStatus
    cname_chain: list[str] = field(default_factory=list)
    chain_end: str = "ok"
    a: list[str] = field(default_factory=list)
    aaaa: list[str] = field(default_factory=list)
    ns: list[str] = field(default_factory=list)
    ns_owner: str | None = None
    mx: list[str] = field(default_factory=list)
    txt: list[str] = field(default_factory=list)
    zone: str | None = None
    soa_mname: str | None = None
    statuses: dict[str, str] = field(default_factory=dict)
    ttls: dict[str, int] = field(default_factory=dict)
    error: str | None = None  # set only when the name itself is invalid (then nothing is asked)

    def fingerprint(self) -> dict[str, Any]:
        """Everything but the TTLs, in a stable order; JSON-serialisable."""
        return {
            "name": self.name,
            "status": self.status,
            "cname_chain": list(self.cname_chain),
            "chain_end": self.chain_end,
            "a": sorted(self.a, key=_address_key),
            "aaaa": sorted(self.aaaa, key=_address_key),
            "ns": sorted(self.ns),
            "ns_owner": self.ns_owner,
            "mx": list(self.mx),
            "txt": sorted(self.txt),
            "zone": self.zone,
            "soa_mname": self.soa_mname,
            "statuses": dict(sorted(self.statuses.items())),
            "error": self.error,
        }

    def failures(self) -> dict[str, str]:
        return {k: v for k, v in self.statuses.items() if v in FAILURES}


class ResolverUnreachable(Exception):
    """No configured resolver answered at all."""


def parse_resolver(text: str) -> tuple[str, int]:
    """``"IP"``, ``"IP:PORT"`` or ``"[v6]:PORT"`` (a bare IPv6 address is accepted too)."""
    raw = text.strip()
    if not raw:
        raise ValueError("empty resolver address")
    host, port_text = raw, ""
    if raw.startswith("["):
        match = re.fullmatch(r"\[([^\]]+)\](?::(\d*))?", raw)
        if match is None:
            raise ValueError(f"invalid resolver {text!r}: expected [IPv6]:PORT")
        host, port_text = match.group(1), match.group(2) or ""
        if match.group(2) == "":
            raise ValueError(f"invalid resolver {text!r}: empty port")
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
        if not port_text:
            raise ValueError(f"invalid resolver {text!r}: empty port")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"invalid resolver {text!r}: expected an IP address, IP:PORT or [IPv6]:PORT"
        ) from None
    if raw.startswith("[") and address.version != 6:
        raise ValueError(f"invalid resolver {text!r}: brackets are for IPv6 addresses")
    port = 53
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"invalid resolver {text!r}: port must be 1-65535")
        port = int(port_text)
    return str(address), port


def system_resolvers() -> list[tuple[str, int]]:
    import dns.nameserver
    import dns.resolver

    resolver = dns.resolver.Resolver()
    found: list[tuple[str, int]] = []
    for ns in resolver.nameservers:
        if isinstance(ns, dns.nameserver.Do53Nameserver):
            found.append((ns.address, ns.port))
        elif isinstance(ns, str):
            try:
                found.append((str(ipaddress.ip_address(ns)), resolver.port))
            except ValueError:
                continue
    return found


def normalise_name(name: str) -> str:
    """IDNA (UTS 46) A-label form, lower-case, no trailing dot (:func:`ascii_host`);
    ``ValueError`` when empty or not a valid name."""
    text = ascii_host(name)
    if not text:
        raise ValueError("empty name")
    return text


def _address_key(text: str) -> tuple[int, int]:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return (99, 0)
    return (address.version, int(address))


def _sorted_addresses(records: list[object]) -> list[str]:
    if len(records) == 1:
        return [str(records[0])]
    return sorted((str(r) for r in records), key=_address_key)


def _is_subdomain(name: str, zone: str) -> bool:
    return zone == "." or is_under(name, zone)


def _parent(name: str) -> str | None:
    if name == ".":
        return None
    _, _, rest = name.partition(".")
    return rest or "."


def _min_ttl(message: Message | None) -> int | None:
    if message is None or not message.answer:
        return None
    return min(rr.ttl for rr in message.answer)


def _authority_soa(message: Message | None, name: str) -> tuple[str, str] | None:
    """(zone, mname) of an SOA in the authority section that covers ``name``."""
    if message is None:
        return None
    for rr in message.authority:
        if rr.rtype == TYPE_SOA and _is_subdomain(name, rr.name):
            data = rr.data
            assert isinstance(data, tuple)
            return rr.name, data[0]
    return None


@dataclass(slots=True)
class _Resolution:
    """Where the CNAME chain from a name leads for one record type."""

    chain: list[str]
    end: str  # "ok", "nodata", "nxdomain", "loop", "too_long" or a failure status
    records: list[object]
    end_message: Message | None = None


class _Chain:
    """A CNAME chain being followed for one record type."""

    __slots__ = ("chain", "current", "seen", "walked")

    def __init__(self, name: str) -> None:
        self.chain: list[str] = []
        self.seen = {name}
        self.current = name
        self.walked = False


_ASK = "ask"  # ask the chain's current name again, directly
_WALK = "walk"  # the resolver failed: walk the chain with CNAME queries


def _step(
    state: _Chain, answer: Answer, code: int, hop_limit: int, walk: bool
) -> _Resolution | str:
    """Take one answer for the chain's current name; the rcode of an answer applies
    to the last name of the CNAME chain in it (RFC 6604)."""
    message = answer.message
    progressed = False
    typed = []
    if message is not None:
        targets: dict[str, object] = {}
        for rr in message.answer:
            if rr.rtype == code:
                typed.append(rr)
            elif rr.rtype == TYPE_CNAME:
                targets[rr.name] = rr.data
        chain, seen = state.chain, state.seen
        while state.current in targets:
            target = str(targets[state.current])
            chain.append(target)
            if target in seen:
                return _Resolution(chain, "loop", [], message)
            if len(chain) > hop_limit:
                return _Resolution(chain, "too_long", [], message)
            seen.add(target)
            state.current = target
            progressed = True
    status = answer.status
    if status == "ok" or status == "nodata":
        assert message is not None
        current = state.current
        records = [rr.data for rr in typed if rr.name == current]
        if records:
            return _Resolution(state.chain, "ok", records, message)
        if progressed and _authority_soa(message, current) is None:
            # CNAMEs but neither the final records nor an SOA proving NODATA: the
            # resolver stopped part-way.
            return _ASK
        return _Resolution(state.chain, "nodata", [], message)
    if status == "nxdomain":
        return _Resolution(state.chain, "nxdomain", [], message)
    if walk and status == "servfail" and not state.walked:
        return _WALK
    return _Resolution(state.chain, status, [], message)


class _Session:
    """One name being probed: its queries (memoised, each status recorded once) and,
    while a batch of queries at the name is out on callbacks, what to do once all
    of them have answered."""

    __slots__ = (
        "answers",
        "client",
        "futures",
        "name",
        "obs",
        "on_done",
        "remaining",
        "results",
        "then",
        "wire",
    )

    def __init__(
        self,
        client: DNSClient,
        obs: DNSObservation,
        wire: bytes,
        on_done: Callable[[_Outcome], None],
    ) -> None:
        self.client = client
        self.obs = obs
        self.name = obs.name
        self.wire = wire
        self.on_done = on_done
        self.answers: dict[tuple[str, str], Answer] = {}
        self.futures: dict[tuple[str, str], asyncio.Future[Answer]] = {}
        self.remaining = 0
        self.then: Callable[[_Session], None] | None = None
        # Stage 1 as resolved from its first answers (None: a chain needs more queries).
        self.results: dict[str, _Resolution] | None = None

    def record(self, owner: str, qtype: str, answer: Answer) -> None:
        self.answers[(owner, qtype)] = answer
        obs = self.obs
        if owner == self.name:
            obs.statuses[qtype] = answer.status
            message = answer.message
            if message is not None and message.answer:
                records = message.answer
                obs.ttls[qtype] = (
                    records[0].ttl if len(records) == 1 else min([rr.ttl for rr in records])
                )
        else:
            obs.statuses[f"{qtype}@{owner}"] = answer.status

    def ask_batch(self, qtypes: tuple[str, ...], then: Callable[[_Session], None]) -> None:
        """Ask the name for each of ``qtypes`` at once; ``then(self)`` is called when
        all of them have answered."""
        self.remaining = len(qtypes)
        self.then = then
        submit = self.client.submit_cb
        for qtype in qtypes:
            submit(self.wire, QTYPES[qtype], self._answered, qname_text=self.name)

    def _answered(self, answer: Answer) -> None:
        self.record(self.name, TYPE_NAMES[answer.qtype], answer)
        self.remaining -= 1
        if not self.remaining and self.then is not None:
            self.then(self)

    def start(self, owner: str, qtype: str) -> None:
        key = (owner, qtype)
        if key not in self.answers and key not in self.futures:
            wire = self.wire if owner == self.name else encode_name(owner)
            self.futures[key] = self.client.submit(wire, QTYPES[qtype])

    async def ask(self, owner: str, qtype: str) -> Answer:
        key = (owner, qtype)
        answer = self.answers.get(key)
        if answer is None:
            self.start(owner, qtype)
            # Popped only once answered: a coroutine abandoned while waiting here (see
            # DNSProbe._finish_soon) leaves the query for the one that takes over.
            answer = await self.futures[key]
            self.futures.pop(key, None)
            self.record(owner, qtype, answer)
        return answer


_Outcome = DNSObservation | BaseException


class DNSProbe:
    """Probe names through the configured resolvers (an async context manager)."""

    def __init__(self, config: ResolverConfig) -> None:
        unknown = [t for t in config.record_types if t not in STAGE1 + STAGE2]
        if unknown:
            raise ValueError(f"unsupported record types: {', '.join(unknown)}")
        if not any(t in config.record_types for t in STAGE1):
            raise ValueError("record_types must include A or AAAA")
        if config.hop_limit < 1:
            raise ValueError("hop_limit must be at least 1")
        self.config = config
        self.resolvers = list(config.resolvers) or system_resolvers()
        if not self.resolvers:
            raise ValueError("no resolvers configured and none found in /etc/resolv.conf")
        self._client: DNSClient | None = None
        self._zone_ns: dict[str, asyncio.Future[Answer]] = {}
        self._parent_zone: dict[str, asyncio.Future[tuple[str, str] | None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stage1 = tuple(t for t in STAGE1 if t in config.record_types)
        self._stage2 = tuple(t for t in STAGE2 if t in config.record_types)

    @property
    def stats(self) -> dict[str, int]:
        stats = dict(self._client.stats) if self._client is not None else {}
        stats["zones_cached"] = len(self._zone_ns)
        return stats

    async def __aenter__(self) -> DNSProbe:
        config = self.config
        self._client = DNSClient(
            self.resolvers,
            timeout=config.timeout,
            retries=config.retries,
            concurrency=config.concurrency,
            edns=config.edns,
            edns_payload=config.edns_payload,
            sockets_per_resolver=config.sockets_per_resolver,
        )
        await self._client.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
            self._client = None

    @property
    def client(self) -> DNSClient:
        if self._client is None:
            raise RuntimeError("DNSProbe is used outside 'async with'")
        return self._client

    async def check_resolvers(self) -> None:
        """Ask every resolver for ". NS".  Any answer counts, SERVFAIL included;
        resolvers that do not answer are taken out of rotation.  Raises
        :class:`ResolverUnreachable` if none answers."""
        client = self.client
        futures = [
            client.submit(b"\x00", TYPE_NS, resolver=index) for index in range(len(self.resolvers))
        ]
        answers = [await f for f in futures]
        alive = [i for i, a in enumerate(answers) if a.message is not None]
        if alive:
            client.use_resolvers(alive)
            return
        attempts = client.retries + 1
        problems = []
        for (host, port), answer in zip(self.resolvers, answers, strict=True):
            where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            if answer.status == "timeout":
                what = f"no answer within {client.timeout:g}s ({attempts} attempts)"
            else:
                what = answer.detail or answer.status
                if "refused" in what.lower():
                    what += " (ICMP port unreachable: nothing listening)"
            problems.append(f"{where}: {what}")
        noun = "resolver" if len(problems) == 1 else "resolvers"
        raise ResolverUnreachable(f"DNS {noun} unreachable: " + "; ".join(problems))

    async def probe(self, name: str) -> DNSObservation:
        future: asyncio.Future[_Outcome] = asyncio.get_running_loop().create_future()

        def done(outcome: _Outcome) -> None:
            if not future.done():
                future.set_result(outcome)

        self._start(name, done)
        outcome = await future
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def probe_many(self, names: Iterable[str]) -> AsyncIterator[DNSObservation]:
        """Probe ``names``, yielding observations as they complete.  A bounded number of
        names is in progress at once (enough to keep ``concurrency`` queries in
        flight), so memory stays flat however long ``names`` is."""
        return self._probe_many(iter(names))

    async def _probe_many(self, names: Iterator[str]) -> AsyncIterator[DNSObservation]:
        width = max(1, self.config.concurrency // len(self._stage1))
        loop = asyncio.get_running_loop()
        done: collections.deque[_Outcome] = collections.deque()
        waiter: asyncio.Future[None] | None = None
        in_progress = 0
        exhausted = False

        def deliver(outcome: _Outcome) -> None:
            done.append(outcome)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

        while True:
            while not exhausted and in_progress < width:
                try:
                    name = next(names)
                except StopIteration:
                    exhausted = True
                    break
                in_progress += 1
                self._start(name, deliver)
            if not done:
                if not in_progress:
                    return
                waiter = loop.create_future()
                await waiter
                waiter = None
            while done:
                outcome = done.popleft()
                in_progress -= 1
                if isinstance(outcome, BaseException):
                    raise outcome
                yield outcome

    def _start(self, name: str, on_done: Callable[[_Outcome], None]) -> None:
        """Begin probing ``name``; ``on_done`` gets the observation (or, on a bug,
        the exception).  Stage 1 runs on callbacks; a task is made only for what
        needs more than the first answers (stage 2, chains to follow)."""
        try:
            ascii_name = normalise_name(name)
            wire = encode_name(ascii_name)
        except (ValueError, WireError) as exc:
            on_done(
                DNSObservation(
                    name=name.strip().lower(),
                    status="unresolved",
                    chain_end="error",
                    error=str(exc),
                )
            )
            return
        obs = DNSObservation(name=ascii_name, status="resolves")
        _Session(self.client, obs, wire, on_done).ask_batch(self._stage1, self._stage1_done)

    def _stage1_done(self, session: _Session) -> None:
        """All stage-1 answers are in: classify the name if they suffice, and start
        stage 2 (its queries at the name itself all at once, on callbacks)."""
        try:
            results: dict[str, _Resolution] | None = {}
            hop_limit = self.config.hop_limit
            name = session.name
            for t in self._stage1:
                step = _step(_Chain(name), session.answers[(name, t)], QTYPES[t], hop_limit, True)
                if not isinstance(step, _Resolution):
                    results = None
                    break
                results[t] = step
            session.results = results
            if results is not None:
                obs = session.obs
                self._classify(obs, results)
                if not self._stage2:
                    session.on_done(obs)
                    return
                if obs.status != "nxdomain" and not self._all_timed_out(obs):
                    session.ask_batch(self._stage2, self._finish_soon)
                    return
        except Exception as exc:
            session.on_done(exc)
            return
        self._finish_soon(session)

    def _all_timed_out(self, obs: DNSObservation) -> bool:
        return all(obs.statuses.get(t) == "timeout" for t in self._stage1)

    def _finish_soon(self, session: _Session) -> None:
        """Complete the observation in a task: it may still have to follow a chain or
        look up a zone. Every answer so far is memoised, so nothing is asked twice."""
        task = asyncio.get_running_loop().create_task(self._finish(session))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _finish(self, session: _Session) -> None:
        try:
            obs = await self._complete(session)
        except Exception as exc:
            session.on_done(exc)
        else:
            session.on_done(obs)

    async def _complete(self, session: _Session) -> DNSObservation:
        obs = session.obs
        ascii_name = session.name
        stage1 = self._stage1
        results = session.results
        if results is None:
            results = {qtype: await self._resolve(session, qtype, walk=True) for qtype in stage1}
            session.results = results
            self._classify(obs, results)

        first = results[stage1[0]]
        stage2 = self._stage2
        all_timed_out = self._all_timed_out(obs)
        if not stage2:
            return obs
        if obs.status == "nxdomain" or all_timed_out:
            found = _authority_soa(first.end_message, ascii_name)
            if found is not None:
                obs.zone, obs.soa_mname = found
            if obs.zone is None and "SOA" in stage2 and not all_timed_out:
                await self._find_zone(session, obs)
            if "NS" in stage2 and obs.zone is not None:
                await self._zone_ns_of(obs)
            return obs

        for qtype in stage2:
            session.start(ascii_name, qtype)
        if "MX" in stage2:
            mx = await self._resolve(session, "MX", walk=False)
            obs.mx = [
                f"{pref} {host}"
                for pref, host in sorted(r for r in mx.records if isinstance(r, tuple))
            ]
        if "TXT" in stage2:
            txt = await self._resolve(session, "TXT", walk=False)
            obs.txt = sorted(
                b"".join(r).decode("utf-8", "backslashreplace")
                for r in txt.records
                if isinstance(r, tuple)
            )
        if "SOA" in stage2:
            await self._find_zone(session, obs)
        if "NS" in stage2:
            answer = await session.ask(ascii_name, "NS")
            own = []
            if answer.message is not None and answer.status == "ok":
                own = [
                    rr.data
                    for rr in answer.message.answer
                    if rr.rtype == TYPE_NS and rr.name == ascii_name
                ]
            if own:
                obs.ns = sorted(str(host) for host in own)
                obs.ns_owner = ascii_name
            elif obs.zone is not None:
                await self._zone_ns_of(obs)
        return obs

    async def _resolve(self, session: _Session, qtype: str, *, walk: bool) -> _Resolution:
        """Follow the CNAME chain from the session's name for ``qtype``.

        The chain is read from the answers; if the resolver stops early (NOERROR with
        CNAMEs but no final records and no SOA proving NODATA), the last target is
        asked directly.  If the resolver fails at a name (Unbound answers SERVFAIL
        for CNAME loops, and for chains longer than it will follow), and ``walk`` is
        set, the chain is walked with CNAME queries to tell a loop from a failure.
        """
        hop_limit = self.config.hop_limit
        code = QTYPES[qtype]
        state = _Chain(session.name)
        answer = await session.ask(session.name, qtype)
        while True:
            step = _step(state, answer, code, hop_limit, walk)
            if isinstance(step, _Resolution):
                return step
            if step == _ASK:
                if len(state.chain) > hop_limit:
                    return _Resolution(state.chain, "too_long", [], answer.message)
                answer = await session.ask(state.current, qtype)
                continue
            state.walked = True
            walked = await self._walk(session, state.current, state.chain, state.seen)
            if walked is None:
                return _Resolution(state.chain, answer.status, [], answer.message)
            if walked.end != "ok":
                return walked
            # the walk reached a name that is not an alias: ask it for qtype
            state.chain = walked.chain
            state.seen = {session.name, *walked.chain}
            state.current = walked.chain[-1]
            answer = await session.ask(state.current, qtype)

    async def _walk(
        self, session: _Session, start: str, chain: list[str], seen: set[str]
    ) -> _Resolution | None:
        """Walk the chain from ``start`` with CNAME queries.  None if ``start`` is not
        an alias (or its CNAME could not be read): the caller keeps its own failure."""
        hop_limit = self.config.hop_limit
        chain = list(chain)
        seen = set(seen)
        current = start
        while True:
            answer = await session.ask(current, "CNAME")
            message = answer.message
            target = None
            if answer.status == "ok" and message is not None:
                for rr in message.answer:
                    if rr.rtype == TYPE_CNAME and rr.name == current:
                        target = str(rr.data)
                        break
            if target is None:
                if current == start:
                    return None
                if answer.status == "nxdomain":
                    return _Resolution(chain, "nxdomain", [], message)
                if answer.status in FAILURES:
                    return _Resolution(chain, answer.status, [], message)
                return _Resolution(chain, "ok", [], message)
            chain.append(target)
            if target in seen:
                return _Resolution(chain, "loop", [], message)
            if len(chain) > hop_limit:
                return _Resolution(chain, "too_long", [], message)
            seen.add(target)
            current = target

    def _classify(self, obs: DNSObservation, results: dict[str, _Resolution]) -> None:
        a = results.get("A")
        aaaa = results.get("AAAA")
        if a is not None and a.end == "ok":
            obs.a = _sorted_addresses(a.records)
        if aaaa is not None and aaaa.end == "ok":
            obs.aaaa = _sorted_addresses(aaaa.records)
        ordered = [r for r in (a, aaaa) if r is not None]
        obs.cname_chain = list(max((r.chain for r in ordered), key=len))
        ends = [r.end for r in ordered]
        failures = [e for e in ends if e in FAILURES]
        if "loop" in ends or "too_long" in ends:
            obs.chain_end = "loop" if "loop" in ends else "too_long"
            obs.status = "cname_loop"
        elif obs.a or obs.aaaa:
            obs.chain_end = "ok"
            obs.status = "resolves"
        elif failures:
            obs.chain_end = failures[0]
            obs.status = "unresolved"
        else:
            obs.chain_end = "nxdomain" if "nxdomain" in ends else "nodata"
            if obs.cname_chain:
                obs.status = "cname_dangling"
            elif obs.chain_end == "nxdomain":
                obs.status = "nxdomain"
            else:
                obs.status = "no_address"

    async def _find_zone(self, session: _Session, obs: DNSObservation) -> None:
        name = session.name
        answer = await session.ask(name, "SOA")
        message = answer.message
        if message is None:
            return
        own_cname = False
        for rr in message.answer:
            if rr.name != name:
                continue
            if rr.rtype == TYPE_SOA:
                assert isinstance(rr.data, tuple)
                obs.zone, obs.soa_mname = name, rr.data[0]
                return
            if rr.rtype == TYPE_CNAME:
                own_cname = True
        if not own_cname and not obs.cname_chain:
            found = _authority_soa(message, name)
            if found is not None:
                obs.zone, obs.soa_mname = found
            return
        # An alias is never a zone apex, so its zone is the one its parent is in; the
        # authority section here describes the end of the chain, not the name.
        parent = _parent(name)
        if parent is not None:
            found = await asyncio.shield(self._zone_of(parent))
            if found is not None:
                obs.zone, obs.soa_mname = found

    def _zone_of(self, name: str) -> asyncio.Future[tuple[str, str] | None]:
        future = self._parent_zone.get(name)
        if future is None:
            task = asyncio.get_running_loop().create_task(self._lookup_zone(name))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            self._parent_zone[name] = future = task
        return future

    async def _lookup_zone(self, name: str) -> tuple[str, str] | None:
        current: str | None = name
        for _ in range(_MAX_PARENT_STEPS):
            if current is None:
                return None
            answer = await self.client.submit(encode_name(current), TYPE_SOA)
            message = answer.message
            if message is None or answer.status in FAILURES:
                return None
            aliased = False
            for rr in message.answer:
                if rr.name == current and rr.rtype == TYPE_SOA:
                    assert isinstance(rr.data, tuple)
                    return current, rr.data[0]
                if rr.name == current and rr.rtype == TYPE_CNAME:
                    aliased = True
            if not aliased:
                return _authority_soa(message, current)
            current = _parent(current)
        return None

    async def _zone_ns_of(self, obs: DNSObservation) -> None:
        zone = obs.zone
        assert zone is not None
        future = self._zone_ns.get(zone)
        if future is None:
            future = self.client.submit(encode_name(zone), TYPE_NS)
            self._zone_ns[zone] = future
        answer = await asyncio.shield(future)
        obs.statuses["NS@zone"] = answer.status
        if answer.message is not None and answer.status == "ok":
            obs.ns = sorted(
                str(rr.data)
                for rr in answer.message.answer
                if rr.rtype == TYPE_NS and rr.name == zone
            )
            obs.ns_owner = zone
            if obs.ns:
                ttl = _min_ttl(answer.message)
                if ttl is not None:
                    obs.ttls["NS@zone"] = ttl


class HostLookups:
    """Host names looked up through ``probe``, each asked once however often (and however
    many at once) it is wanted: redirect targets, linked hosts, name servers and mail
    servers shared by many names."""

    def __init__(self, probe: DNSProbe) -> None:
        self.probe = probe
        self._lookups: dict[str, asyncio.Task[DNSObservation]] = {}

    async def observation(self, host: str) -> DNSObservation:
        if host not in self._lookups:
            self._lookups[host] = asyncio.ensure_future(self.probe.probe(host))
        return await self._lookups[host]

    async def addresses(self, host: str) -> list[str]:
        observation = await self.observation(host)
        return observation.a + observation.aaaa
