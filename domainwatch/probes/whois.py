"""WHOIS probe: is a registrable domain registered?

Port 43, asyncio. An answer is classified from the registry table in
``domainwatch/data/whois-registries.json`` into ``registered``, ``unregistered``,
``reserved``, ``rate_limited`` or ``error``. Only a registry's own positive "no such
domain" text makes ``unregistered``: silence, a closed connection, a timeout, a
rate-limit notice, an oversized or unrecognised answer are ``rate_limited`` or
``error``, never ``unregistered``.

Registered answers are read with the table's field labels for their registry: that parse
is the answer, whatever python-whois would make of it. Only an answer read with the
``generic`` shapes (a server the table has no registry for) takes the fields its labels do
not find from python-whois's parser for the domain's suffix. A field nobody could read is
None (unknown), never a guess. A field the answer withholds (``REDACTED FOR PRIVACY``,
``不公开``: the table's ``withheld`` texts) is kept as written, and is unknown too
(:meth:`RegistryTable.withholds`). Times without a zone are the registry's local time
(CNNIC's are Beijing time) and are reported in UTC.

A suffix the table does not know is looked up the way ``whois`` clients do it: IANA's
WHOIS server (``whois.iana.org``, or the ``iana=HOST[:PORT]`` server setting) is asked for
the TLD, its ``refer:`` (or ``whois:``) line names the registry's server, and that server
is asked for the domain. The referral is kept for the client's life and, through a
:class:`ReferralCache`, in the database (:data:`REFERRAL_LIFETIME`); a TLD IANA lists no
WHOIS server for is remembered as such. Answers from such a server are read with the
table's ``generic`` shapes; any other answer is an ``error`` with reason
``unknown_format``, at once: an answer the table cannot read does not get better by
asking again, so only timeouts, dropped connections, empty answers and rate limits are
retried (:data:`RETRIED_REASONS`).

Cache contract (:class:`WhoisCache`): ``get`` returns a stored record still within its
lifetime (:func:`cache_lifetime` of its status, counted from ``asked``), ``put`` stores
one. A database-backed cache stores every :class:`WhoisRecord` field (``name_servers``
as a JSON list) keyed by ``domain``; :meth:`WhoisRecord.as_dict` and
:meth:`WhoisRecord.from_dict` convert.

Size: one protocol, end to end: the registry table it reads answers with, the referral,
the politeness per server and the parsing are used together by :class:`WhoisClient`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

from domainwatch import clock
from domainwatch.names import (
    InvalidName,
    ascii_host,
    display_name,
    is_under,
    normalize_name,
    registrable_domain,
)
from domainwatch.safety import cap, line_safe
from domainwatch.settings import WHOIS_PORT, parse_whois_server

WhoisStatus = Literal["registered", "unregistered", "reserved", "rate_limited", "error"]
STATUSES: tuple[str, ...] = get_args(WhoisStatus)

MAX_ANSWER_BYTES = 64 * 1024
MAX_FIELD_CHARS = 256
MAX_DETAIL_CHARS = 300
MAX_NAME_SERVERS = 32
MAX_NOT_FOUND_CHARS = 16 * 1024
IANA_SERVER: tuple[str, int] = ("whois.iana.org", WHOIS_PORT)
#: The ``[TLD=]HOST[:PORT]`` key that names the referral server instead of a TLD.
IANA_KEY = "iana"
#: Why a record is not conclusive; only these are worth asking again in the same run.
RETRIED_REASONS = frozenset({"timeout", "connection", "empty"})
REGISTRIES_FILE = Path(__file__).resolve().parent.parent / "data" / "whois-registries.json"

# Seconds a record stays fresh in a cache, by status.
CACHE_LIFETIME: dict[str, float] = {
    "registered": 86400.0,
    "reserved": 7 * 86400.0,
    "unregistered": 3600.0,
    "rate_limited": 0.0,
    "error": 0.0,
}

# Seconds a referral stays fresh, by whether IANA named a server.
REFERRAL_LIFETIME: dict[bool, float] = {True: 30 * 86400.0, False: 7 * 86400.0}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ZONE_SUFFIX = re.compile(r"(?:z|[+-]\d{2}:?\d{2}|\b(?:utc|gmt)\b[^\n]*)\s*\)?\s*$", re.IGNORECASE)
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_LABEL_LINE = re.compile(r"^\s*([^:\n]{1,64}?)\s*:[ \t]*(.*?)\s*$")


def _bounded(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    return cap(text, limit)


def clean_value(value: object, limit: int = MAX_FIELD_CHARS) -> str | None:
    """A field value fit to store and print (:func:`~domainwatch.safety.line_safe`: no
    control or format characters, single spaces, at most ``limit`` characters); None when
    nothing is left."""
    return None if value is None else line_safe(value, limit) or None


# --- the registry table -------------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    name: str
    suffixes: tuple[str, ...]
    server: tuple[str, int]
    naive_time_zone: timezone
    python_whois: bool
    answer_format: str
    registered: tuple[str, ...]
    unregistered: tuple[str, ...]
    reserved: tuple[str, ...]
    rate_limited: tuple[str, ...]
    fields: Mapping[str, tuple[str, ...]]
    unregistered_on_first_line: bool = False


def _is_under(domain: str, suffix: str) -> bool:
    return suffix == "" or is_under(domain, suffix)


def fold(text: str) -> str:
    """A WHOIS value as it is compared: single spaces, case folded."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class RegistryTable:
    registries: tuple[Registry, ...]
    common_rate_limited: tuple[str, ...]
    generic: Registry | None = None
    #: The table's ``withheld`` texts, folded (:meth:`withholds`).
    withheld: frozenset[str] = frozenset()

    def withholds(self, value: str) -> bool:
        """Whether a field's ``value`` says the field is withheld (``REDACTED FOR
        PRIVACY``, ``Not Disclosed``, ``不公开``): one of the table's ``withheld`` texts, in
        any case and spacing. Such a field is unknown."""
        return fold(value) in self.withheld

    def for_domain(self, domain: str) -> Registry | None:
        """The registry of the longest suffix ``domain`` sits under."""
        best: Registry | None = None
        best_length = -1
        for registry in self.registries:
            for suffix in registry.suffixes:
                if _is_under(domain, suffix) and len(suffix) > best_length:
                    best, best_length = registry, len(suffix)
        return best


def _time_zone(text: str) -> timezone:
    match = re.fullmatch(r"([+-])(\d{2}):(\d{2})", text)
    if not match:
        raise ValueError(f"bad naive_time_zone {text!r} (want ±HH:MM)")
    sign = 1 if match.group(1) == "+" else -1
    return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))


def _registry(item: Mapping[str, Any], default_fields: Mapping[str, tuple[str, ...]]
              ) -> Registry:
    patterns = {key: tuple(item.get(key, [])) for key in
                ("registered", "unregistered", "reserved", "rate_limited")}
    for key, texts in patterns.items():
        for text in texts:
            try:
                re.compile(text.replace("{domain}", "x"))
            except re.error as error:
                raise ValueError(
                    f"{item['name']}: bad {key} pattern {text!r}: {error}") from None
    python_whois = item.get("python_whois", False)
    if not isinstance(python_whois, bool):
        raise ValueError(f"{item['name']}: python_whois is true or false, not {python_whois!r}")
    fields = item.get("fields")
    return Registry(
        name=item["name"],
        suffixes=tuple(normalize_name(s) for s in item.get("suffixes", [])),
        server=(item.get("server", ""), int(item.get("port", WHOIS_PORT))),
        naive_time_zone=_time_zone(item.get("naive_time_zone", "+00:00")),
        python_whois=python_whois,
        answer_format=item.get("answer_format", "cnnic"),
        fields={key: tuple(labels) for key, labels in fields.items()} if fields is not None
        else default_fields,
        unregistered_on_first_line=bool(item.get("unregistered_on_first_line", False)),
        **patterns,
    )


def load_registries(path: Path | None = None) -> RegistryTable:
    """Read the registry table (default: the packaged ``whois-registries.json``)."""
    document = json.loads((path or REGISTRIES_FILE).read_text(encoding="utf-8"))
    generic = _registry({"name": "generic", **document["generic"]}, {}) \
        if "generic" in document else None
    default_fields = generic.fields if generic is not None else {}
    for item in document["registries"]:
        if "python_whois" in item:
            raise ValueError(f"{item['name']}: python_whois belongs to generic only: a "
                             "registry's answers are read with its own labels")
    registries = tuple(_registry(item, default_fields) for item in document["registries"])
    common = tuple(document.get("common", {}).get("rate_limited", []))
    withheld = frozenset(map(fold, document.get("withheld", {}).get("texts", [])))
    return RegistryTable(registries, common, generic, withheld)


_default_table: RegistryTable | None = None


def default_registries() -> RegistryTable:
    global _default_table
    if _default_table is None:
        _default_table = load_registries()
    return _default_table


# --- classification -----------------------------------------------------------------------


def _domain_alternation(domain: str) -> str:
    forms = {domain, display_name(domain)}
    return "(?:" + "|".join(re.escape(form) for form in sorted(forms)) + ")"


def _search(patterns: Iterable[str], text: str, domain: str) -> re.Match[str] | None:
    alternation = _domain_alternation(domain)
    for pattern in patterns:
        match = re.search(pattern.replace("{domain}", alternation), text,
                          re.IGNORECASE | re.MULTILINE)
        if match:
            return match
    return None


def _matched_line(text: str, match: re.Match[str]) -> str:
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    line = text[start:] if end < 0 else text[start:end]
    return clean_value(line, 160) or match.group(0)


def _first_line(body: str) -> str:
    """The first line that is not blank and not a ``%`` or ``#`` comment."""
    return next((line for line in body.split("\n")
                 if line.strip() and not line.lstrip().startswith(("%", "#"))), "")


def classify(domain: str, text: str, registry: Registry | None,
             common_rate_limited: Iterable[str] = (), *,
             generic: Registry | None = None) -> tuple[WhoisStatus, str]:
    """Classify one complete answer for ``domain`` (IDNA); returns (status, why).
    ``generic`` reads the answer of a server the table has no ``registry`` for."""
    status, _, why = classify_answer(domain, text, registry, common_rate_limited,
                                     generic=generic)
    return status, why


def classify_answer(domain: str, text: str, registry: Registry | None,
                    common_rate_limited: Iterable[str] = (), *,
                    generic: Registry | None = None) -> tuple[WhoisStatus, str, str]:
    """As :func:`classify`, with the reason of an ``error`` or ``rate_limited`` record
    (``""`` for the conclusive statuses)."""
    if len(text.encode("utf-8", "replace")) > MAX_ANSWER_BYTES:
        return "error", "too_large", f"answer larger than {MAX_ANSWER_BYTES} bytes"
    if _CONTROL.search(text):
        return "error", "malformed", "answer contains control characters"
    body = text.replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        return "error", "empty", "empty answer"
    limits = list(common_rate_limited)
    if registry is None:
        if generic is None:
            return "error", "unknown_format", "no registry texts known for this suffix"
        registry = generic
    limits += registry.rate_limited
    registered = all(_search([p], body, domain) for p in registry.registered) \
        if registry.registered else False
    not_found_text = _first_line(body) if registry.unregistered_on_first_line else body
    not_found = _search(registry.unregistered, not_found_text, domain)
    if registered and not_found:
        return "error", "malformed", "contradictory answer: " + _matched_line(
            not_found_text, not_found)
    if registered:
        return "registered", "", "registry record for " + domain
    limited = _search(limits, body, domain)
    if limited:
        return "rate_limited", "rate_limited", _matched_line(body, limited)
    reserved = _search(registry.reserved, body, domain)
    if reserved:
        return "reserved", "", _matched_line(body, reserved)
    if not_found and len(body) > MAX_NOT_FOUND_CHARS:
        return "error", "malformed", "'no such domain' text in an answer too long to be one"
    if not_found:
        return "unregistered", "", _matched_line(not_found_text, not_found)
    return "error", "unknown_format", "unrecognised answer: " + (
        clean_value(_first_line(body), 120) or "")


# --- parsing registered answers -----------------------------------------------------------


def _line_fields(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.split("\n"):
        match = _LABEL_LINE.match(line)
        if match and match.group(2):
            found.setdefault(match.group(1).lower(), []).append(match.group(2))
    return found


def _first(value: object) -> object:
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def _first_text(values: list[str]) -> str | None:
    return values[0] if values else None


def _to_utc_iso(value: object, raw: str | None, naive_zone: timezone) -> str | None:
    moment: datetime | None = None
    value = _first(value)
    if isinstance(value, datetime):
        moment = value
        if moment.tzinfo is None or (raw is not None and not _ZONE_SUFFIX.search(raw)):
            moment = moment.replace(tzinfo=naive_zone)
    elif raw:
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(raw.strip().replace("/", "-"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=naive_zone)
    if moment is None:
        return None
    try:
        return clock.iso(moment)
    except (OverflowError, ValueError):
        return None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _name_servers(values: Iterable[object]) -> list[str]:
    result: set[str] = set()
    for value in values:
        text = clean_value(value)
        if not text:
            continue
        name, *glue = text.lower().replace(",", " ").split()
        name = name.rstrip(".")
        if "." in name and len(name) <= 253 and _HOSTNAME.match(name) and all(map(_is_ip, glue)):
            result.add(name)
    return sorted(result)[:MAX_NAME_SERVERS]


def _python_whois_entry(domain: str, text: str) -> Mapping[str, Any]:
    """python-whois's parse of ``text`` by its parser for the domain's suffix; empty when it
    cannot read it (a failure leaves the fields unknown)."""
    from whois.exceptions import PywhoisError
    from whois.parser import WhoisEntry

    try:
        entry = WhoisEntry.load(display_name(domain), text)
    # Its own errors, dateutil's (ValueError, OverflowError) and its per-TLD line splitting's.
    except (PywhoisError, ValueError, OverflowError, IndexError):
        return {}
    return entry if isinstance(entry, Mapping) else {}


def parse_registered(domain: str, text: str, registry: Registry) -> dict[str, Any]:
    """registrar, registrant, name_servers, created, expires of a registered answer, read
    with ``registry``'s field labels; what they do not find is None (or no name servers).
    Only a ``python_whois`` entry (the generic shapes) fills those from python-whois."""
    body = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = _line_fields(body)

    def raw(key: str) -> list[str]:
        for label in registry.fields.get(key, ()):
            if lines.get(label.lower()):
                return lines[label.lower()]
        return []

    zone = registry.naive_time_zone
    fields: dict[str, Any] = {
        "registrar": clean_value(_first(raw("registrar"))),
        "registrant": clean_value(_first(raw("registrant"))),
        "name_servers": _name_servers(raw("name_servers")),
        "created": _to_utc_iso(None, _first_text(raw("created")), zone),
        "expires": _to_utc_iso(None, _first_text(raw("expires")), zone),
    }
    if registry.python_whois and not all(fields.values()):
        entry = _python_whois_entry(domain, body)
        servers = entry.get("name_servers")
        found = {
            "registrar": clean_value(_first(entry.get("registrar"))),
            "registrant": next((clean_value(_first(entry.get(key)))
                                for key in ("org", "name", "registrant_name")
                                if clean_value(_first(entry.get(key)))), None),
            "name_servers": _name_servers(
                servers if isinstance(servers, list) else [servers] if servers else []),
            "created": _to_utc_iso(entry.get("creation_date"), None, zone),
            "expires": _to_utc_iso(entry.get("expiration_date"), None, zone),
        }
        fields = {key: value or found[key] for key, value in fields.items()}
    return fields


# --- records and cache --------------------------------------------------------------------


@dataclass
class WhoisRecord:
    domain: str
    status: WhoisStatus
    server: str
    registrar: str | None = None
    registrant: str | None = None
    name_servers: list[str] = field(default_factory=list)
    created: str | None = None
    expires: str | None = None
    detail: str = ""
    raw: str = ""
    asked: str = field(default_factory=clock.utcnow)
    # why an error or rate_limited record is not conclusive (RETRIED_REASONS and others)
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WhoisRecord:
        status = data["status"]
        if status not in STATUSES:
            raise ValueError(f"unknown WHOIS status {status!r}")
        servers = data.get("name_servers") or []
        if isinstance(servers, str):
            servers = json.loads(servers)
        return cls(
            domain=data["domain"], status=status, server=data.get("server", ""),
            registrar=data.get("registrar"), registrant=data.get("registrant"),
            name_servers=list(servers), created=data.get("created"),
            expires=data.get("expires"), detail=data.get("detail", ""),
            raw=data.get("raw", ""), asked=data["asked"], reason=data.get("reason", ""),
        )


def cache_lifetime(status: str) -> float:
    return CACHE_LIFETIME.get(status, 0.0)


def is_fresh(record: WhoisRecord, now: float | None = None) -> bool:
    """True while ``record`` is within its status's lifetime since it was asked."""
    lifetime = cache_lifetime(record.status)
    if lifetime <= 0:
        return False
    try:
        asked = datetime.fromisoformat(record.asked).timestamp()
    except ValueError:
        return False
    return (time.time() if now is None else now) < asked + lifetime


class WhoisCache(Protocol):
    def get(self, domain: str) -> WhoisRecord | None: ...

    def put(self, record: WhoisRecord) -> None: ...


class MemoryWhoisCache:
    """In-memory :class:`WhoisCache`; ``clock`` returns Unix seconds."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._records: dict[str, WhoisRecord] = {}
        self._clock = clock

    def get(self, domain: str) -> WhoisRecord | None:
        record = self._records.get(domain)
        if record is not None and is_fresh(record, self._clock()):
            return record
        return None

    def put(self, record: WhoisRecord) -> None:
        if cache_lifetime(record.status) > 0:
            self._records[record.domain] = record


# --- referral -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Referral:
    """What IANA said about a TLD: its WHOIS server, or None when it lists none."""

    tld: str
    server: str | None
    asked: str = field(default_factory=clock.utcnow)

    def is_fresh(self, now: float | None = None) -> bool:
        try:
            asked = datetime.fromisoformat(self.asked).timestamp()
        except ValueError:
            return False
        lifetime = REFERRAL_LIFETIME[self.server is not None]
        return (time.time() if now is None else now) < asked + lifetime


class ReferralCache(Protocol):
    def get_referral(self, tld: str) -> Referral | None: ...

    def put_referral(self, referral: Referral) -> None: ...


class MemoryReferralCache:
    """In-memory :class:`ReferralCache`; ``clock`` returns Unix seconds."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._referrals: dict[str, Referral] = {}
        self._clock = clock

    def get_referral(self, tld: str) -> Referral | None:
        referral = self._referrals.get(tld)
        return referral if referral is not None and referral.is_fresh(self._clock()) else None

    def put_referral(self, referral: Referral) -> None:
        self._referrals[referral.tld] = referral


_NO_OBJECTS = re.compile(r"^%\s*This query returned 0 objects", re.IGNORECASE | re.MULTILINE)
_TLD_OBJECT = re.compile(r"^\s*domain:\s*\S", re.IGNORECASE | re.MULTILINE)
_REFERRAL_LINE = re.compile(r"^\s*(refer|whois):[ \t]*(\S*)\s*$", re.IGNORECASE | re.MULTILINE)


def parse_referral(text: str) -> str | None:
    """The WHOIS server an IANA answer for a TLD names (``refer:``, else ``whois:``), as a
    lower-case host name or IP address; None when it names none or no usable one."""
    found = {key.lower(): value for key, value in reversed(_REFERRAL_LINE.findall(text))}
    for key in ("refer", "whois"):
        host = found.get(key, "").rstrip(".").lower()
        if host and len(host) <= 253 and (_is_ip(host) or _HOSTNAME.match(host)):
            return host
    return None


# --- port 43 ------------------------------------------------------------------------------


class WhoisQueryError(Exception):
    """A query that produced no complete answer."""


class AnswerTooLarge(WhoisQueryError):
    def __init__(self, limit: int, partial: str) -> None:
        super().__init__(f"answer larger than {limit} bytes")
        self.partial = partial


async def query(domain: str, server: tuple[str, int], timeout: float = 10.0,
                *, max_bytes: int = MAX_ANSWER_BYTES) -> str:
    """Ask ``server`` about ``domain`` (sent in IDNA form) and return the answer, decoded
    as UTF-8 with replacement. Raises TimeoutError, OSError or :class:`WhoisQueryError`."""
    host, port = server
    request = (ascii_host(domain) + "\r\n").encode("ascii")
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            await writer.drain()
            chunks: list[bytes] = []
            size = 0
            while True:
                chunk = await reader.read(16384)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    partial = b"".join(chunks)[:max_bytes].decode("utf-8", "replace")
                    raise AnswerTooLarge(max_bytes, partial)
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)
    return b"".join(chunks).decode("utf-8", "replace")


# --- the client ---------------------------------------------------------------------------


class WhoisClient:
    """Asks WHOIS servers, one client per scan.

    ``servers`` overrides the table's server per suffix (``{"cn": ("127.0.0.1", 4343)}``);
    the ``""`` key is one server for every suffix, the ``"iana"`` key the referral server
    (default :data:`IANA_SERVER`) asked about a TLD that has neither. Each domain is asked
    at most once per client, each TLD's referral too (``referrals`` keeps them across
    clients); queries to one server start at least ``min_interval`` seconds apart,
    queries to different servers run in parallel. Rate limits and the transient errors of
    :data:`RETRIED_REASONS` are retried ``retries`` times, waiting ``backoff`` seconds,
    doubled each time; other errors are final at once.
    """

    def __init__(self, servers: Mapping[str, tuple[str, int]] | None = None, *,
                 timeout: float = 10.0, retries: int = 2, min_interval: float = 1.0,
                 cache: WhoisCache | None = None, backoff: float = 2.0,
                 registries: RegistryTable | None = None,
                 max_answer_bytes: int = MAX_ANSWER_BYTES,
                 referrals: ReferralCache | None = None) -> None:
        overrides = dict(servers or {})
        self.iana = overrides.pop(IANA_KEY, IANA_SERVER)
        self.servers = {(normalize_name(k) if k else ""): v for k, v in overrides.items()}
        self.referrals = referrals
        self.timeout = timeout
        self.retries = max(0, retries)
        self.min_interval = max(0.0, min_interval)
        self.backoff = max(0.0, backoff)
        self.cache = cache
        self.registries = registries or default_registries()
        self.max_answer_bytes = max_answer_bytes
        self.queries_sent = 0
        self.referrals_asked = 0
        self._lookups: dict[str, asyncio.Future[WhoisRecord]] = {}
        self._referral_lookups: dict[str, asyncio.Future[Referral | str]] = {}
        self._turn_locks: dict[tuple[str, int], asyncio.Lock] = {}
        self._last_start: dict[tuple[str, int], float] = {}

    def server_for(self, domain: str) -> tuple[str, int] | None:
        best: tuple[str, int] | None = None
        best_length = -1
        for suffix, server in self.servers.items():
            if _is_under(domain, suffix) and len(suffix) > best_length:
                best, best_length = server, len(suffix)
        if best is not None:
            return best
        registry = self.registries.for_domain(domain)
        return registry.server if registry else None

    async def lookup(self, domain: str) -> WhoisRecord:
        """The WHOIS record of ``domain``'s registrable domain; never raises for bad
        names or network trouble (those are ``error`` records)."""
        try:
            name = normalize_name(domain)
        except InvalidName as error:
            return WhoisRecord(domain=clean_value(domain, 253) or "", status="error",
                               server="", reason="invalid_name",
                               detail=_bounded(f"invalid name: {error}"))
        registrable = registrable_domain(name) or name
        future = self._lookups.get(registrable)
        if future is None:
            future = asyncio.ensure_future(self._lookup(registrable))
            self._lookups[registrable] = future
        return await asyncio.shield(future)

    async def _lookup(self, domain: str) -> WhoisRecord:
        if self.cache is not None:
            cached = self.cache.get(domain)
            if cached is not None:
                return cached
        record = await self._ask(domain)
        if self.cache is not None:
            self.cache.put(record)
        return record

    async def _ask(self, domain: str) -> WhoisRecord:
        if registrable_domain(domain) != domain:
            return WhoisRecord(domain=domain, status="error", server="", reason="public_suffix",
                               detail=f"{domain} is a public suffix, not a registrable domain")
        server = self.server_for(domain)
        if server is None:
            tld = domain.rsplit(".", 1)[-1]
            referral = await self.referral(tld)
            if isinstance(referral, str):
                return WhoisRecord(domain=domain, status="error", server="",
                                   reason="referral_failed", detail=_bounded(referral))
            if referral.server is None:
                return WhoisRecord(domain=domain, status="error", server="", reason="no_server",
                                   detail=f"IANA lists no WHOIS server for .{display_name(tld)}")
            server = (referral.server, WHOIS_PORT)
        registry = self.registries.for_domain(domain)
        attempts: list[str] = []
        record = WhoisRecord(domain=domain, status="error", server=_server_text(server))
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            record = await self._ask_once(domain, server, registry)
            if record.status != "rate_limited" and record.reason not in RETRIED_REASONS:
                break
            attempts.append(f"{record.status}: {record.detail}")
        if record.status not in ("error", "rate_limited"):
            return record
        if len(attempts) > 1:
            record.detail = _bounded(f"after {len(attempts)} attempts: " + "; ".join(
                dict.fromkeys(attempts)))
        return record

    async def referral(self, tld: str) -> Referral | str:
        """IANA's referral for ``tld`` (IDNA), asked at most once per client; a string says
        why it could not be had (not cached beyond the client)."""
        future = self._referral_lookups.get(tld)
        if future is None:
            future = asyncio.ensure_future(self._refer(tld))
            self._referral_lookups[tld] = future
        return await asyncio.shield(future)

    async def _refer(self, tld: str) -> Referral | str:
        if self.referrals is not None:
            cached = self.referrals.get_referral(tld)
            if cached is not None:
                return cached
        await self._wait_turn(self.iana)
        self.referrals_asked += 1
        where = f"IANA referral server {_server_text(self.iana)}"
        try:
            text = await query(tld, self.iana, self.timeout, max_bytes=self.max_answer_bytes)
        except TimeoutError:
            return f"{where}: no complete answer within {self.timeout:g}s"
        except (OSError, WhoisQueryError, UnicodeError) as error:
            return f"{where}: {type(error).__name__}: {error}"
        if _NO_OBJECTS.search(text):
            referral = Referral(tld=tld, server=None)
        elif not _TLD_OBJECT.search(text):
            first = clean_value(_first_line(text.replace("\r\n", "\n")), 120) or "empty answer"
            return f"{where}: unrecognised answer: {first}"
        else:
            referral = Referral(tld=tld, server=parse_referral(text))
        if self.referrals is not None:
            self.referrals.put_referral(referral)
        return referral

    async def _wait_turn(self, server: tuple[str, int]) -> None:
        lock = self._turn_locks.setdefault(server, asyncio.Lock())
        loop = asyncio.get_running_loop()
        async with lock:
            last = self._last_start.get(server)
            if last is not None:
                wait = last + self.min_interval - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            self._last_start[server] = loop.time()

    async def _ask_once(self, domain: str, server: tuple[str, int],
                        registry: Registry | None) -> WhoisRecord:
        await self._wait_turn(server)
        asked = clock.utcnow()
        record = WhoisRecord(domain=domain, status="error", server=_server_text(server),
                             asked=asked)
        self.queries_sent += 1
        try:
            text = await query(domain, server, self.timeout, max_bytes=self.max_answer_bytes)
        except AnswerTooLarge as error:
            record.detail, record.reason = str(error), "too_large"
            record.raw = error.partial
            return record
        except TimeoutError:
            record.detail = f"no complete answer within {self.timeout:g}s"
            record.reason = "timeout"
            return record
        except (OSError, WhoisQueryError, UnicodeError) as error:
            record.detail = _bounded(f"{type(error).__name__}: {error}")
            record.reason = "connection"
            return record
        record.raw = text
        generic = self.registries.generic
        try:
            status, reason, why = classify_answer(
                domain, text, registry, self.registries.common_rate_limited, generic=generic)
            reader = registry or generic
            fields = parse_registered(domain, text, reader) \
                if status == "registered" and reader is not None else {}
        except Exception as error:  # a hostile answer must not end the scan
            record.detail = _bounded(f"unreadable answer: {type(error).__name__}: {error}")
            record.reason = "malformed"
            return record
        record.status, record.reason, record.detail = status, reason, _bounded(why)
        for key, value in fields.items():
            setattr(record, key, value)
        return record


def _server_text(server: tuple[str, int]) -> str:
    host, port = server
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


__all__ = [
    "CACHE_LIFETIME",
    "IANA_KEY",
    "IANA_SERVER",
    "MAX_ANSWER_BYTES",
    "RETRIED_REASONS",
    "AnswerTooLarge",
    "MemoryReferralCache",
    "MemoryWhoisCache",
    "Referral",
    "ReferralCache",
    "Registry",
    "RegistryTable",
    "WhoisCache",
    "WhoisClient",
    "WhoisQueryError",
    "WhoisRecord",
    "WhoisStatus",
    "cache_lifetime",
    "classify",
    "classify_answer",
    "default_registries",
    "is_fresh",
    "load_registries",
    "parse_referral",
    "parse_registered",
    "parse_whois_server",
    "query",
]
