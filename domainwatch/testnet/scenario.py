"""Scenario model of a local test internet and its TOML loader.

A scenario names authoritative server groups and the zones they serve. Zone
records are validated with dnspython and normalised to zone-file lines with
absolute ASCII (IDNA) owner names, so the server builder only writes text.

Size: the whole scenario language (zones, servers, sites, WHOIS) and its validation, so
that a bad world fails with one message before any server starts.
"""

from __future__ import annotations

import base64
import binascii
import csv
import functools
import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.tokenizer
import dns.tsig
import dns.zonefile

BEHAVIOURS = ("normal", "silent", "refuse", "broken-axfr")
BROKEN_AXFR = "broken-axfr"
KNOT_BEHAVIOURS = ("normal", "refuse")
TRANSFER_MODES = ("allow", "tsig")
TSIG_ALGORITHMS = (
    "hmac-md5",
    "hmac-sha1",
    "hmac-sha224",
    "hmac-sha256",
    "hmac-sha384",
    "hmac-sha512",
)
DEFAULT_SERVER = "default"
DEFAULT_TTL = 300
ROOT = "."
ROOT_NS = "a.root-servers.net"

_IDNA = dns.name.IDNA_2008_Practical
_GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,23}$")
_WORLD_KEYS = {"description", "register", "names"}
_SERVER_KEYS = {"behaviour"}
_ZONE_KEYS = {"origin", "server", "ns", "serve", "records", "ttl", "transfer"}
_TSIG_KEYS = {"name", "algorithm", "secret"}
_SITE_KEYS = {
    "address", "names", "status", "body", "body_file", "content_type", "headers", "http",
    "https", "certificate", "tls", "crawler_body", "referer_status", "referer_location",
    "referer_body", "behaviour", "size", "charset", "pages", "crawler_agents", "referer_engines",
}
_PAGE_KEYS = {"body", "status", "location"}
_PAGE_PATH = re.compile(r"^/[!-~]*$")
_CERTIFICATE_KEYS = {"issuer", "key", "expired", "names", "days"}
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#%&'*+.^_`|~-]+$")
_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8"
REDIRECTS = (301, 302, 303, 307, 308)
HTTP_PORT = 80
HTTPS_PORT = 443
SITE_BEHAVIOURS = ("normal", "hang", "reset", "huge")
FAULTY_BEHAVIOURS = ("hang", "reset", "huge")
TLS_PROFILES = ("modern", "legacy")
CERTIFICATE_ISSUERS = ("local", "other", "self-signed", "none")
DEFAULT_HUGE_SIZE = 50_000_000
MAX_CERTIFICATE_DAYS = 3650
#: The search-engine crawlers the test internet tells apart (by User-Agent), as named in
#: ``Site.crawler_agents``: Baidu, Sogou ("Sogou web spider"), 360, Shenma, Toutiao, Google,
#: Bing.
CRAWLERS = ("Baiduspider", "Sogou", "360Spider", "YisouSpider", "Bytespider", "Googlebot",
            "bingbot")
#: The search engines whose visitors it tells apart (by Referer host), as named in
#: ``Site.referer_engines``; "google" is any google.<suffix>.
SEARCH_ENGINES = ("baidu.com", "sogou.com", "so.com", "sm.cn", "toutiao.com", "google",
                  "bing.com")


class ScenarioError(ValueError):
    """A scenario file or scenario object is invalid."""


@dataclass(frozen=True)
class ServerGroup:
    """One authoritative server (knotd, blackhole or broken-AXFR server) on its own address."""

    name: str
    behaviour: str = "normal"

    @property
    def runs_knot(self) -> bool:
        return self.behaviour in KNOT_BEHAVIOURS


@dataclass(frozen=True)
class TsigKey:
    """The world's TSIG key for zone transfers; `name` is ASCII without final dot."""

    name: str
    algorithm: str
    secret: str

    def dns_key(self) -> dns.tsig.Key:
        # dnspython knows HMAC-MD5 only by its old name HMAC-MD5.SIG-ALG.REG.INT.
        algorithm = dns.tsig.HMAC_MD5 if self.algorithm == "hmac-md5" else self.algorithm
        return dns.tsig.Key(fqdn(self.name), self.secret, algorithm)

    def keyring(self) -> dict[dns.name.Name, dns.tsig.Key]:
        key = self.dns_key()
        return {key.name: key}


@dataclass(frozen=True)
class SiteCertificate:
    """How a site's HTTPS certificate is made (the ``certificate`` table of a site).

    ``issuer``: "local" (the world's CA, through its intermediate), "other" (the unrelated
    "other test CA"), "self-signed", or "none": no certificate, the handshake refused with
    an internal-error alert (a hosting service asked for a name it holds no certificate
    for). ``key``: "" for the world's shared leaf key, or a
    label: sites with the same label share a key, a new label is a new key. ``expired``:
    not_after is in the past. ``names``: the SANs (CN = the first) instead of the site's
    names. ``days``: expires that many days from now instead of in a year.
    """

    issuer: str = "local"
    key: str = ""
    expired: bool = False
    names: tuple[str, ...] = ()
    days: int | None = None


@dataclass(frozen=True)
class SitePage:
    """Another answer of a site, for ``path`` and every path below it (the longest
    matching ``path`` wins; the site's own ``body`` answers the rest): ``status`` with
    ``body``, or a redirect to ``location``. Written in TOML as ``[site.pages]`` entries,
    ``"/zwgk/" = "<html>…"`` or ``"/go/" = { status = 302, location = "http://…" }``."""

    path: str
    body: str = ""
    status: int = 200
    location: str | None = None


@dataclass(frozen=True)
class Site:
    """A web site on ``address`` for ``names`` (ASCII, lower case): every path answers
    ``status`` with ``body``, over HTTP on port 80 (``http``) and HTTPS on 443 (``https``).

    All fields have defaults after ``names``, so ``dataclasses.replace`` changes any of
    them (validated again by ``LocalInternet.replace_sites``). ``body_parts`` is a
    programmatic alternative to ``body`` for big synthetic worlds: the body is their
    concatenation, and parts shared by several sites are written once into nginx's
    configuration. ``crawler_body`` is served (200) to search-engine crawlers (by
    User-Agent); ``referer_*`` to visitors coming from a search engine (by Referer).
    ``crawler_agents`` names the crawlers (:data:`CRAWLERS`) that get ``crawler_body``,
    ``referer_engines`` the search engines (:data:`SEARCH_ENGINES`) whose visitors get the
    referer answer; both default to all of them (both bodies are served in ``charset``).
    ``behaviour`` other than "normal" is served by a small Python server instead of
    nginx: "hang" (accepts, never answers), "reset" (accepts, reads, resets) or "huge"
    (200 with a generated body of ``size`` bytes). ``charset`` is the encoding the body is
    served in (``gbk`` for the many government sites still in GBK). ``pages`` give
    other paths other answers (:class:`SitePage`), for the crawl of a site's links.
    """

    address: str
    names: tuple[str, ...]
    status: int = 200
    body: str = ""
    content_type: str = DEFAULT_CONTENT_TYPE
    headers: tuple[tuple[str, str], ...] = ()
    http: bool = True
    https: bool = True
    certificate: SiteCertificate = SiteCertificate()
    tls: str = "modern"
    crawler_body: str | None = None
    referer_status: int | None = None
    referer_location: str | None = None
    referer_body: str | None = None
    behaviour: str = "normal"
    size: int = DEFAULT_HUGE_SIZE
    body_parts: tuple[str, ...] = ()
    charset: str = "utf-8"
    pages: tuple[SitePage, ...] = ()
    crawler_agents: tuple[str, ...] = CRAWLERS
    referer_engines: tuple[str, ...] = SEARCH_ENGINES

    @property
    def full_body(self) -> str:
        """The body as served: ``body``, or the concatenation of ``body_parts``."""
        return self.body or "".join(self.body_parts)

    @property
    def faulty(self) -> bool:
        """Served by the Python fault server rather than nginx."""
        return self.behaviour in FAULTY_BEHAVIOURS

    @property
    def ports(self) -> tuple[int, ...]:
        return ((HTTP_PORT,) if self.http else ()) + ((HTTPS_PORT,) if self.https else ())

    @property
    def referer_answer(self) -> tuple[int, str | None, str] | None:
        """(status, location, body) for visitors from a search engine, if cloaked."""
        if (self.referer_status, self.referer_location, self.referer_body) == (None,) * 3:
            return None
        default = 302 if self.referer_location is not None else 200
        status = default if self.referer_status is None else self.referer_status
        return status, self.referer_location, self.referer_body or ""


@dataclass
class Zone:
    """A zone: `origin` is ASCII, lower case, without trailing dot ("." is the root).

    `records` are zone-file lines with absolute owner names; SOA, apex NS,
    delegations and glue are added when the zone file is written.
    """

    origin: str
    server: str = DEFAULT_SERVER
    ns: list[str] = field(default_factory=list)
    serve: bool = True
    records: list[str] = field(default_factory=list)
    ttl: int = DEFAULT_TTL
    parent: str | None = None
    transfer: str | None = None

    @property
    def fqdn(self) -> str:
        return fqdn(self.origin)


@dataclass
class Scenario:
    """A whole world. `names` are the host names meant to be scanned (ASCII)."""

    description: str
    servers: dict[str, ServerGroup]
    zones: list[Zone]
    names: list[str] = field(default_factory=list)
    register: Path | None = None
    expected: dict[str, str] = field(default_factory=dict)
    source: Path | None = None
    tsig: TsigKey | None = None
    whois: WhoisWorld | None = None
    sites: list[Site] = field(default_factory=list)

    def zone(self, origin: str) -> Zone:
        wanted = to_ascii(origin)
        for zone in self.zones:
            if zone.origin == wanted:
                return zone
        raise KeyError(origin)

    def zones_of(self, server: str) -> list[Zone]:
        return [zone for zone in self.zones if zone.server == server]

    def zone_of(self, name: str) -> Zone | None:
        """The deepest scenario zone containing `name` (ASCII, no final dot)."""
        by_origin = {zone.origin: zone for zone in self.zones}
        labels = name.split(".")
        for start in range(len(labels)):
            zone = by_origin.get(".".join(labels[start:]))
            if zone is not None:
                return zone
        return by_origin.get(ROOT)

    @property
    def record_count(self) -> int:
        return sum(len(zone.records) for zone in self.zones)


def fqdn(name: str) -> str:
    return "." if name == ROOT else f"{name}."


def to_ascii(name: str) -> str:
    """Convert a possibly Unicode host name to lower-case ASCII without final dot."""
    text = name.strip()
    if text in ("", ROOT):
        return ROOT
    try:
        parsed = dns.name.from_text(text, origin=dns.name.root, idna_codec=_IDNA)
    except (dns.exception.DNSException, UnicodeError) as exc:
        raise ScenarioError(f"invalid domain name {name!r}: {exc}") from exc
    return parsed.to_text(omit_final_dot=True).lower() or ROOT


def is_subdomain(name: str, origin: str) -> bool:
    return origin == ROOT or name == origin or name.endswith("." + origin)


def parse_records(origin: str, text: str, ttl: int = DEFAULT_TTL) -> list[str]:
    """Parse zone-file text relative to `origin`; return normalised absolute lines."""
    origin_name = dns.name.from_text(fqdn(origin))
    manager = dns.zonefile.RRSetsReaderManager(origin_name, False, dns.rdataclass.IN)
    try:
        with manager.writer(True) as txn:
            tokenizer = dns.tokenizer.Tokenizer(text, f"zone {origin}", idna_codec=_IDNA)
            reader = dns.zonefile.Reader(
                tokenizer,
                dns.rdataclass.IN,
                txn,
                allow_directives={"$TTL", "$ORIGIN", "$GENERATE"},
                default_ttl=ttl,
            )
            # dnspython silently drops out-of-zone owners; keep them to report them.
            reader.zone_origin = dns.name.root
            reader.read()
    except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
        raise ScenarioError(f"zone {origin}: bad records: {exc}") from exc
    lines: list[str] = []
    for rrset in manager.rrsets:
        owner = rrset.name.to_text().lower()
        if not rrset.name.is_subdomain(origin_name):
            raise ScenarioError(f"zone {origin}: record owner {owner} is outside the zone")
        if rrset.rdtype == dns.rdatatype.CNAME and rrset.name == origin_name:
            raise ScenarioError(f"zone {origin}: a CNAME cannot be at the zone apex")
        if rrset.rdtype == dns.rdatatype.SOA:
            raise ScenarioError(f"zone {origin}: SOA is generated, do not write one")
        rdtype = dns.rdatatype.to_text(rrset.rdtype)
        for rdata in rrset:
            lines.append(f"{owner} {rrset.ttl} IN {rdtype} {rdata.to_text()}")
    return lines


@dataclass
class WhoisWorld:
    """The world's WHOIS server: ``answers`` per registrable domain (a ``WhoisServer``
    spec: status registered / unregistered / reserved / rate_limited / hang / empty /
    expiring, and fields to override), ``default`` for every other domain."""

    answers: dict[str, dict[str, Any]]
    default: str = "registered"


def _whois_from_table(table: object) -> WhoisWorld | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ScenarioError("[whois] must be a table")
    _check_keys(table, {"default", "answers"}, "[whois]")
    answers = table.get("answers", {})
    if not isinstance(answers, dict) or not all(isinstance(v, dict) for v in answers.values()):
        raise ScenarioError("[whois.answers] must hold one table per domain")
    return WhoisWorld({to_ascii(domain): dict(spec) for domain, spec in answers.items()},
                      str(table.get("default", "registered")))


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario TOML file."""
    source = Path(path)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {source}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: invalid TOML: {exc}") from exc
    scenario = scenario_from_dict(data, base_dir=source.parent)
    scenario.source = source
    return scenario


def scenario_from_dict(data: dict[str, Any], base_dir: Path | None = None) -> Scenario:
    """Build and validate a Scenario from parsed TOML data."""
    _check_keys(data, {"world", "server", "zone", "tsig", "whois", "site"}, "scenario")
    world = data.get("world", {})
    _check_keys(world, _WORLD_KEYS, "[world]")

    servers: dict[str, ServerGroup] = {}
    for name, table in data.get("server", {}).items():
        if not isinstance(table, dict):
            raise ScenarioError(f"[server.{name}] must be a table")
        _check_keys(table, _SERVER_KEYS, f"[server.{name}]")
        servers[name] = ServerGroup(name, table.get("behaviour", "normal"))

    zones: list[Zone] = []
    for index, table in enumerate(data.get("zone", [])):
        zones.append(_zone_from_table(index, table))

    register: Path | None = None
    names: list[str] = []
    if "register" in world:
        register = (base_dir or Path.cwd()) / world["register"]
        names = _register_names(register)
    if "names" in world:
        names += [to_ascii(name) for name in world["names"]]

    scenario = Scenario(
        description=str(world.get("description", "")),
        servers=servers,
        zones=zones,
        names=names,
        register=register,
        tsig=_tsig_from_table(data["tsig"]) if "tsig" in data else None,
        whois=_whois_from_table(data.get("whois")),
        sites=_sites_from_tables(data.get("site", []), base_dir or Path.cwd()),
    )
    validate(scenario)
    if not scenario.names:
        scenario.names = _record_owners(scenario)
    return scenario


def _zone_from_table(index: int, table: Any) -> Zone:
    if not isinstance(table, dict) or "origin" not in table:
        raise ScenarioError(f"[[zone]] #{index + 1} needs an origin")
    origin = to_ascii(str(table["origin"]))
    _check_keys(table, _ZONE_KEYS, f"zone {origin}")
    ttl = table.get("ttl", DEFAULT_TTL)
    if not isinstance(ttl, int) or ttl < 0:
        raise ScenarioError(f"zone {origin}: ttl must be a non-negative integer")
    ns_value = table.get("ns", [ROOT_NS if origin == ROOT else f"ns1.{origin}"])
    if isinstance(ns_value, str):
        ns_value = [ns_value]
    if not ns_value:
        raise ScenarioError(f"zone {origin}: ns must not be empty")
    try:
        ns = [to_ascii(host) for host in ns_value]
    except ScenarioError as exc:
        raise ScenarioError(f"zone {origin}: {exc}") from exc
    serve = table.get("serve", True)
    if not isinstance(serve, bool):
        raise ScenarioError(f"zone {origin}: serve must be true or false")
    records = table.get("records", "")
    if not isinstance(records, str):
        raise ScenarioError(f"zone {origin}: records must be a string")
    transfer = table.get("transfer")
    if transfer is not None and transfer not in TRANSFER_MODES:
        raise ScenarioError(
            f"zone {origin}: transfer {transfer!r} is not one of {TRANSFER_MODES}"
        )
    return Zone(
        origin=origin,
        server=str(table.get("server", DEFAULT_SERVER)),
        ns=ns,
        serve=serve,
        records=parse_records(origin, records, ttl),
        ttl=ttl,
        transfer=transfer,
    )


def _tsig_from_table(table: Any) -> TsigKey:
    if not isinstance(table, dict):
        raise ScenarioError("[tsig] must be a table")
    _check_keys(table, _TSIG_KEYS, "[tsig]")
    missing = sorted(_TSIG_KEYS - set(table))
    if missing:
        raise ScenarioError(f"[tsig]: missing {', '.join(missing)}")
    name, algorithm, secret = (table[key] for key in ("name", "algorithm", "secret"))
    if not all(isinstance(value, str) for value in (name, algorithm, secret)):
        raise ScenarioError("[tsig]: name, algorithm and secret must be strings")
    try:
        ascii_name = to_ascii(name)
    except ScenarioError as exc:
        raise ScenarioError(f"[tsig]: {exc}") from exc
    if ascii_name == ROOT:
        raise ScenarioError("[tsig]: name must not be empty")
    if algorithm.lower() not in TSIG_ALGORITHMS:
        raise ScenarioError(
            f"[tsig]: algorithm {algorithm!r} is not one of {', '.join(TSIG_ALGORITHMS)}"
        )
    try:
        decoded = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ScenarioError(f"[tsig]: secret is not valid base64: {exc}") from exc
    if not decoded:
        raise ScenarioError("[tsig]: secret must not be empty")
    return TsigKey(ascii_name, algorithm.lower(), secret)


def _sites_from_tables(tables: object, base_dir: Path) -> list[Site]:
    if not isinstance(tables, list):
        raise ScenarioError("[[site]] must be an array of tables")
    sites = [_site_from_table(index, table, base_dir) for index, table in enumerate(tables)]
    check_sites(sites)
    return sites


def _site_from_table(index: int, table: object, base_dir: Path) -> Site:
    where = f"[[site]] #{index + 1}"
    if not isinstance(table, dict):
        raise ScenarioError(f"{where} must be a table")
    _check_keys(table, _SITE_KEYS, where)
    address = table.get("address")
    if not isinstance(address, str):
        raise ScenarioError(f"{where}: needs an address (127.x.y.z)")
    names = table.get("names")
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ScenarioError(f"{where}: names must be a non-empty list of host names")
    try:
        ascii_names = tuple(dict.fromkeys(to_ascii(name) for name in names))
    except ScenarioError as exc:
        raise ScenarioError(f"{where}: {exc}") from exc
    where = f"site {ascii_names[0]}"
    if "body" in table and "body_file" in table:
        raise ScenarioError(f"{where}: give body or body_file, not both")
    body = table.get("body", "")
    if "body_file" in table:
        if not isinstance(table["body_file"], str):
            raise ScenarioError(f"{where}: body_file must be a path")
        path = base_dir / table["body_file"]
        try:
            body = path.read_text(encoding="utf-8")
        except (OSError, UnicodeError) as exc:
            raise ScenarioError(f"{where}: cannot read body_file {path}: {exc}") from exc
    headers = table.get("headers", {})
    if not isinstance(headers, dict):
        raise ScenarioError(f"{where}: headers must be a table of name = value")
    behaviour = table.get("behaviour", "normal")
    if "size" in table and behaviour != "huge":
        raise ScenarioError(f'{where}: size goes only with behaviour = "huge"')
    for key in ("status", "referer_status", "size"):
        value = table.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ScenarioError(f"{where}: {key} must be an integer")
    for key in ("http", "https"):
        if not isinstance(table.get(key, True), bool):
            raise ScenarioError(f"{where}: {key} must be true or false")
    for key in ("tls", "behaviour", "content_type", "crawler_body", "referer_location",
                "referer_body", "charset"):
        if key in table and not isinstance(table[key], str):
            raise ScenarioError(f"{where}: {key} must be a string")
    if not isinstance(body, str):
        raise ScenarioError(f"{where}: body must be a string")
    site = Site(
        address=_site_address(address, where),
        names=ascii_names,
        status=table.get("status", 200),
        body=body,
        # A site in another charset says so by default (browsers read the header first).
        content_type=table.get("content_type", DEFAULT_CONTENT_TYPE
                               if table.get("charset", "utf-8").lower() in ("utf-8", "utf8")
                               else f"text/html; charset={table['charset']}"),
        headers=tuple((str(key), value) for key, value in headers.items()),
        http=table.get("http", True),
        https=table.get("https", True),
        certificate=_certificate_from_table(table.get("certificate", {}), where),
        tls=table.get("tls", "modern"),
        crawler_body=table.get("crawler_body"),
        referer_status=table.get("referer_status"),
        referer_location=table.get("referer_location"),
        referer_body=table.get("referer_body"),
        behaviour=behaviour,
        size=table.get("size", DEFAULT_HUGE_SIZE),
        charset=table.get("charset", "utf-8"),
        pages=_pages_from_table(table.get("pages", {}), where),
        crawler_agents=_names_from_table(table, "crawler_agents", CRAWLERS, where),
        referer_engines=_names_from_table(table, "referer_engines", SEARCH_ENGINES, where),
    )
    try:
        site.full_body.encode(site.charset)
        for page in site.pages:
            page.body.encode(site.charset)
    except LookupError:
        raise ScenarioError(f"{where}: charset {site.charset!r} is not an encoding") from None
    except UnicodeEncodeError as exc:
        raise ScenarioError(f"{where}: the body cannot be written in {site.charset}: "
                            f"{exc.reason}") from None
    check_site(site)
    return site


def _names_from_table(table: dict[str, Any], key: str, every: tuple[str, ...],
                      where: str) -> tuple[str, ...]:
    """A list of crawler or search-engine names (a single string is a list of one)."""
    value = table.get(key, list(every))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ScenarioError(f"{where}: {key} must be a list of names from {every}")
    return tuple(value)


def _pages_from_table(table: object, where: str) -> tuple[SitePage, ...]:
    where = f"{where}: pages"
    if not isinstance(table, dict):
        raise ScenarioError(f"{where} must be a table of path = body (or = {{ status, "
                            "location }})")
    pages = []
    for path, value in table.items():
        if isinstance(value, str):
            pages.append(SitePage(path=path, body=value))
            continue
        if not isinstance(value, dict):
            raise ScenarioError(f"{where}: {path!r} must be a body or a table")
        _check_keys(value, _PAGE_KEYS, f"{where}: {path!r}")
        status = value.get("status", 302 if "location" in value else 200)
        location = value.get("location")
        body = value.get("body", "")
        if not isinstance(body, str) or (location is not None and not isinstance(location, str)):
            raise ScenarioError(f"{where}: {path!r}: body and location must be strings")
        pages.append(SitePage(path=path, body=body, status=status, location=location))
    return tuple(pages)


def _certificate_from_table(table: object, where: str) -> SiteCertificate:
    where = f"{where}: certificate"
    if not isinstance(table, dict):
        raise ScenarioError(f"{where} must be a table")
    _check_keys(table, _CERTIFICATE_KEYS, where)
    names = table.get("names", [])
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ScenarioError(f"{where}: names must be a list of host names")
    if "names" in table and not names:
        raise ScenarioError(f"{where}: names must not be empty")
    try:
        ascii_names = tuple(dict.fromkeys(_certificate_name(name) for name in names))
    except ScenarioError as exc:
        raise ScenarioError(f"{where}: {exc}") from exc
    kinds = (("issuer", str, "a string"), ("key", str, "a string"),
             ("expired", bool, "true or false"), ("days", int, "an integer"))
    for key, kind, what in kinds:
        value = table.get(key)
        if value is not None and (not isinstance(value, kind)
                                  or (kind is int and isinstance(value, bool))):
            raise ScenarioError(f"{where}: {key} must be {what}")
    return SiteCertificate(
        issuer=table.get("issuer", "local"),
        key=table.get("key", ""),
        expired=table.get("expired", False),
        names=ascii_names,
        days=table.get("days"),
    )


def _certificate_name(name: str) -> str:
    """A SAN in ASCII; a leading ``*.`` (wildcard) is kept."""
    if name.startswith("*."):
        return "*." + to_ascii(name[2:])
    return to_ascii(name)


def _site_address(text: str, where: str) -> str:
    if not isinstance(text, str):
        raise ScenarioError(f"{where}: address must be a string")
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise ScenarioError(f"{where}: address {text!r} is not an IPv4 address") from None
    if address.version != 4 or address not in _LOOPBACK:
        raise ScenarioError(f"{where}: address {text} is not in 127.0.0.0/8 (loopback only)")
    return str(address)


def check_site(site: Site) -> None:
    """Validate one site (from TOML or built in code); ScenarioError says what is wrong."""
    names = site.names
    if not isinstance(names, tuple) or not names or not all(isinstance(n, str) for n in names):
        raise ScenarioError(f"site {names!r}: names must be a non-empty tuple of host names")
    where = f"site {names[0]}"
    for name in names:
        if not _is_ascii_name(name):
            raise ScenarioError(f"{where}: name {name!r} must be ASCII, lower case, without "
                                "final dot (see scenario.to_ascii)")
    _site_address(site.address, where)
    _check_status(site.status, "status", where)
    for key, value in [("content_type", site.content_type), *site.headers]:
        if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
            raise ScenarioError(f"{where}: {key} must be a one-line string")
    for key, _ in site.headers:
        if not _HEADER_NAME.match(key) or key.lower() in ("content-type", "content-length"):
            raise ScenarioError(f"{where}: {key!r} cannot be a header here (use content_type)")
    if 300 <= site.status < 400 and (site.status not in REDIRECTS or not any(
            key.lower() == "location" for key, _ in site.headers)):
        raise ScenarioError(f"{where}: a 3xx status must be one of {REDIRECTS} with a "
                            "Location header")
    if not isinstance(site.body, str) or not all(isinstance(p, str) for p in site.body_parts):
        raise ScenarioError(f"{where}: body and body_parts must be text")
    if site.body and site.body_parts:
        raise ScenarioError(f"{where}: give body or body_parts, not both")
    if not (site.http or site.https):
        raise ScenarioError(f"{where}: http = false and https = false: it serves nothing")
    if site.tls not in TLS_PROFILES:
        raise ScenarioError(f"{where}: tls {site.tls!r} is not one of {TLS_PROFILES}")
    if site.tls == "legacy" and not site.https:
        raise ScenarioError(f'{where}: tls = "legacy" needs https')
    _check_certificate(site.certificate, where)
    for key in ("crawler_body", "referer_location", "referer_body"):
        value = getattr(site, key)
        if value is not None and not isinstance(value, str):
            raise ScenarioError(f"{where}: {key} must be a string")
    if site.referer_location is not None and any(c in site.referer_location for c in "\r\n\0"):
        raise ScenarioError(f"{where}: referer_location must be a one-line string")
    answer = site.referer_answer
    if answer is not None:
        status, location, _ = answer
        _check_status(status, "referer_status", where)
        redirect = 300 <= status < 400
        if redirect and (status not in REDIRECTS or location is None):
            raise ScenarioError(f"{where}: a 3xx referer_status must be one of {REDIRECTS} "
                                "with a referer_location")
        if redirect and site.referer_body is not None:
            raise ScenarioError(f"{where}: referer_body cannot go with a redirect")
        if not redirect and location is not None:
            raise ScenarioError(f"{where}: referer_location needs a 3xx referer_status")
    _check_names(site.crawler_agents, "crawler_agents", CRAWLERS, site.crawler_body is not None,
                 "crawler_body", where)
    _check_names(site.referer_engines, "referer_engines", SEARCH_ENGINES, answer is not None,
                 "referer answer (referer_status, referer_location or referer_body)", where)
    if site.behaviour not in SITE_BEHAVIOURS:
        raise ScenarioError(
            f"{where}: behaviour {site.behaviour!r} is not one of {SITE_BEHAVIOURS}"
        )
    if site.faulty:
        cloaked = site.crawler_body is not None or answer is not None
        if cloaked or site.body or site.body_parts or site.tls != "modern":
            raise ScenarioError(
                f"{where}: a {site.behaviour!r} site has no body, cloaking or tls profile "
                "(it is not served by nginx)"
            )
    if not isinstance(site.size, int) or isinstance(site.size, bool) or site.size < 0:
        raise ScenarioError(f"{where}: size must be a non-negative number of bytes")
    if site.pages and site.faulty:
        raise ScenarioError(f"{where}: a {site.behaviour!r} site has no pages")
    paths = [page.path for page in site.pages]
    if len(set(paths)) != len(paths):
        raise ScenarioError(f"{where}: pages has a path twice")
    for page in site.pages:
        _check_page(page, where)


def _check_names(names: object, key: str, every: tuple[str, ...], cloaked: bool, what: str,
                 where: str) -> None:
    """``crawler_agents`` / ``referer_engines``: known names, each once, not empty; a
    choice other than all of them needs the answer it chooses for."""
    if not isinstance(names, tuple) or not all(isinstance(name, str) for name in names):
        raise ScenarioError(f"{where}: {key} must be a tuple of names from {every}")
    unknown = [name for name in names if name not in every]
    if unknown:
        raise ScenarioError(f"{where}: {key}: unknown {', '.join(map(repr, unknown))} "
                            f"(known: {', '.join(every)}; names are case-sensitive)")
    if not names:
        raise ScenarioError(f"{where}: {key} is empty: leave it out for all of {every}")
    if len(set(names)) != len(names):
        raise ScenarioError(f"{where}: {key} names one twice")
    if set(names) != set(every) and not cloaked:
        raise ScenarioError(f"{where}: {key} chooses who gets the {what}, but the site has "
                            "none")


def _check_page(page: SitePage, where: str) -> None:
    if not isinstance(page, SitePage):
        raise ScenarioError(f"{where}: pages must be SitePage values")
    where = f"{where}: page {page.path!r}"
    if not isinstance(page.path, str) or not _PAGE_PATH.match(page.path) \
            or any(c in page.path for c in '"{};\\') or page.path == "/":
        raise ScenarioError(f"{where}: a path is '/' and printable ASCII without spaces, "
                            "quotes, braces or ';' (and not '/' alone: that is the body)")
    _check_status(page.status, "status", where)
    redirect = 300 <= page.status < 400
    if redirect != (page.location is not None) or (redirect and page.status not in REDIRECTS):
        raise ScenarioError(f"{where}: a redirect is a status from {REDIRECTS} with a "
                            "location, and only a redirect has a location")
    if page.location is not None and any(c in page.location for c in "\r\n\0"):
        raise ScenarioError(f"{where}: location must be a one-line string")
    if not isinstance(page.body, str):
        raise ScenarioError(f"{where}: body must be text")


def _check_status(status: object, key: str, where: str) -> None:
    if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
        raise ScenarioError(f"{where}: {key} must be an HTTP status from 200 to 599")


def _check_certificate(spec: SiteCertificate, where: str) -> None:
    where = f"{where}: certificate"
    if not isinstance(spec, SiteCertificate):
        raise ScenarioError(f"{where} must be a SiteCertificate")
    if spec.issuer not in CERTIFICATE_ISSUERS:
        raise ScenarioError(
            f"{where}: issuer {spec.issuer!r} is not one of {CERTIFICATE_ISSUERS}"
        )
    if spec.issuer == "none" and spec != SiteCertificate(issuer="none"):
        raise ScenarioError(f'{where}: issuer = "none" takes no other keys')
    if not isinstance(spec.key, str) or len(spec.key) > 64:
        raise ScenarioError(f"{where}: key must be a label of at most 64 characters")
    if not isinstance(spec.expired, bool):
        raise ScenarioError(f"{where}: expired must be true or false")
    if spec.days is not None:
        if (not isinstance(spec.days, int) or isinstance(spec.days, bool)
                or not 0 <= spec.days <= MAX_CERTIFICATE_DAYS):
            raise ScenarioError(f"{where}: days must be from 0 to {MAX_CERTIFICATE_DAYS}")
        if spec.expired:
            raise ScenarioError(f"{where}: give expired or days, not both")
    if not isinstance(spec.names, tuple) or not all(
            isinstance(n, str) and _is_ascii_name(n, wildcard=True) for n in spec.names):
        raise ScenarioError(f"{where}: names must be a tuple of ASCII host names")


@functools.lru_cache(maxsize=65536)
def _is_ascii_name(name: str, wildcard: bool = False) -> bool:
    """Whether ``name`` is already what ``to_ascii`` makes of it (a host name, not ".")."""
    try:
        return name != ROOT and name == (_certificate_name(name) if wildcard else to_ascii(name))
    except ScenarioError:
        return False


def check_sites(sites: list[Site]) -> None:
    """Validate every site and how they share addresses and ports."""
    served: dict[tuple[str, int, str], Site] = {}
    by_address: dict[str, list[Site]] = {}
    for site in sites:
        if not isinstance(site, Site):
            raise ScenarioError(f"sites must be Site objects, not {type(site).__name__}")
        check_site(site)
        by_address.setdefault(site.address, []).append(site)
        for port in site.ports:
            for name in site.names:
                if (site.address, port, name) in served:
                    raise ScenarioError(
                        f"site {name} is defined twice on {site.address} port {port}"
                    )
                served[(site.address, port, name)] = site
    for address, group in by_address.items():
        faulty = [site for site in group if site.faulty]
        if faulty and len(group) > 1:
            other = next(site for site in group if site is not faulty[0])
            raise ScenarioError(
                f"site {faulty[0].names[0]}: a {faulty[0].behaviour!r} site needs an address "
                f"of its own, but {address} also serves site {other.names[0]}"
            )
        profiles = {site.tls for site in group if site.https}
        if len(profiles) > 1:
            raise ScenarioError(
                f"sites on {address} port {HTTPS_PORT} mix tls profiles {sorted(profiles)}: "
                "the TLS version is agreed before the name is known, so give legacy sites "
                "an address of their own"
            )


def validate(scenario: Scenario) -> None:
    """Check server groups and zone tree; set each zone's `parent`."""
    for name, group in scenario.servers.items():
        if not _GROUP_NAME.match(name):
            raise ScenarioError(f"server group name {name!r}: use 1-24 letters, digits, - or _")
        if group.behaviour not in BEHAVIOURS:
            raise ScenarioError(
                f"server group {name}: behaviour {group.behaviour!r} is not one of {BEHAVIOURS}"
            )
    origins: set[str] = set()
    for zone in scenario.zones:
        if zone.origin in origins:
            raise ScenarioError(f"zone {zone.origin} is defined twice")
        origins.add(zone.origin)
        if zone.server not in scenario.servers:
            if zone.server != DEFAULT_SERVER:
                raise ScenarioError(f"zone {zone.origin}: unknown server group {zone.server!r}")
            scenario.servers[DEFAULT_SERVER] = ServerGroup(DEFAULT_SERVER)
        if zone.transfer is not None:
            if scenario.servers[zone.server].behaviour != "normal" or not zone.serve:
                raise ScenarioError(
                    f"zone {zone.origin}: transfer needs a zone served by a normal server"
                )
            if zone.transfer == "tsig" and scenario.tsig is None:
                raise ScenarioError(
                    f'zone {zone.origin}: transfer = "tsig" needs a [tsig] table'
                )
    for zone in scenario.zones:
        zone.parent = _nearest_parent(zone.origin, origins)
        if zone.origin == ROOT:
            group = scenario.servers[zone.server]
            if group.behaviour != "normal" or not zone.serve:
                raise ScenarioError("zone .: the root zone must be served by a normal server")
        elif zone.parent is None:
            raise ScenarioError(
                f'zone {zone.origin}: no parent zone in the scenario (no root zone ".")'
            )
    if ROOT not in origins:
        raise ScenarioError('scenario has no root zone (origin = ".")')
    check_sites(scenario.sites)


def _nearest_parent(origin: str, origins: set[str]) -> str | None:
    if origin == ROOT:
        return None
    labels = origin.split(".")
    for start in range(1, len(labels)):
        candidate = ".".join(labels[start:])
        if candidate in origins:
            return candidate
    return ROOT if ROOT in origins else None


def _check_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {', '.join(unknown)}")


def _register_names(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise ScenarioError(f"cannot read register {path}: {exc}") from exc
    if rows and "name" not in rows[0]:
        raise ScenarioError(f"register {path} has no 'name' column")
    return [to_ascii(row["name"]) for row in rows if row.get("name", "").strip()]


def _record_owners(scenario: Scenario) -> list[str]:
    owners: dict[str, None] = {}
    for zone in scenario.zones:
        for line in zone.records:
            owner = line.split(" ", 1)[0].rstrip(".")
            if owner:
                owners[owner] = None
    return list(owners)
