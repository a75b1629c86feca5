"""The settings of every stage, in one module that the others import downward.

Only dataclasses and their defaults live here; :mod:`domainwatch.config` reads them from the
configuration file, and the modules that use them (scan, nightly, alerts, the probes and
checks) import them from here. Fields holding a secret (the SMTP password, a webhook's URL
with its token and its signing secret, the TSIG key) are a :class:`Secret`: out of ``repr``,
and, when the configuration names it by environment variable, read only when it is used.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from domainwatch.names import GOVERNMENT_SUFFIXES, InvalidName, normalize_name
from domainwatch.store import Confirmation

if TYPE_CHECKING:
    from domainwatch.probes.tls import TrustStore

# --- secrets -----------------------------------------------------------------------------


class SecretUnavailable(Exception):
    """A secret's environment variable is not set, is empty or holds what cannot be used,
    when the secret is needed; the message names the setting and the variable."""


@dataclass(frozen=True)
class Secret:
    """A password, key or token of the configuration, never in ``repr``.

    Written in the configuration file, or in a file it names (``password_file``), it is
    ``value`` from the start. Named by an environment variable (``password_env``), it is read
    from ``variable`` only when it is used (:meth:`reveal`): a command that does not use it
    (a scan, a report) runs without the variable, and a cron job or a systemd unit needs it
    only for the commands that do. ``setting`` names the setting in messages; ``check``
    says what is wrong with a value read from the environment, if anything (a value given
    in the file was checked when the file was read).
    """

    value: str | None = field(default=None, repr=False)
    variable: str | None = None
    setting: str = field(default="", compare=False)
    check: Callable[[str], str | None] | None = field(default=None, repr=False, compare=False)

    def reveal(self) -> str:
        """The secret; :class:`SecretUnavailable` when its environment variable cannot give
        it."""
        if self.variable is None:
            assert self.value is not None
            return self.value
        value = os.environ.get(self.variable)
        where = f"{self.setting} names the environment variable {self.variable}"
        if value is None:
            raise SecretUnavailable(f"{where}, which is not set")
        if not value:
            raise SecretUnavailable(f"{where}, which is empty")
        problem = self.check(value) if self.check is not None else None
        if problem:
            raise SecretUnavailable(f"{where}, whose value {problem}")
        return value

    def peek(self) -> str | None:
        """The secret, or None where :meth:`reveal` would fail: for naming a channel or
        hiding the secret in a message, which must not fail themselves."""
        try:
            return self.reveal()
        except SecretUnavailable:
            return None


# --- WHOIS servers ---------------------------------------------------------------------

WHOIS_PORT = 43


def parse_whois_server(text: str) -> tuple[str, tuple[str, int]]:
    """``[TLD=]HOST[:PORT]`` (``cn=127.0.0.1:4343``, ``whois.example:43``,
    ``[::1]:43``) → (suffix, (host, port)); the suffix is ``""`` without ``TLD=``."""
    value = text.strip()
    if not value:
        raise ValueError("empty WHOIS server; expected [TLD=]HOST[:PORT]")
    suffix = ""
    if "=" in value:
        suffix_text, value = (part.strip() for part in value.split("=", 1))
        suffix_text = suffix_text.strip(".")
        if not suffix_text:
            raise ValueError(f"{text!r}: empty TLD before '='; expected [TLD=]HOST[:PORT]")
        try:
            suffix = normalize_name(suffix_text)
        except InvalidName as error:
            raise ValueError(f"{text!r}: bad TLD {suffix_text!r}: {error}") from None
    port = WHOIS_PORT
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or not host:
            raise ValueError(f"{text!r}: unclosed '[' in IPv6 address")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{text!r}: unexpected {rest!r} after ']'")
            port_text = rest[1:]
        else:
            port_text = ""
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    else:
        host, port_text = value, ""
    if ":" in host and not value.startswith("["):
        raise ValueError(f"{text!r}: write an IPv6 address as [ADDRESS]:PORT")
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError(f"{text!r}: port {port_text!r} is not a number from 1 to 65535")
        port = int(port_text)
    elif value.endswith(":"):
        raise ValueError(f"{text!r}: empty port after ':'")
    if not host:
        raise ValueError(f"{text!r}: empty host; expected [TLD=]HOST[:PORT]")
    if ":" not in host:
        try:
            host = normalize_name(host)
        except InvalidName as error:
            raise ValueError(f"{text!r}: bad host {host!r}: {error}") from None
    return suffix, (host, port)


# --- DNS -----------------------------------------------------------------------------------

DEFAULT_HOP_LIMIT = 16


@dataclass
class ResolverConfig:
    resolvers: list[tuple[str, int]] = field(default_factory=list)
    timeout: float = 2.0
    retries: int = 2
    concurrency: int = 500
    edns: bool = True
    record_types: tuple[str, ...] = ("A", "AAAA", "NS", "MX", "TXT", "SOA")
    hop_limit: int = DEFAULT_HOP_LIMIT
    sockets_per_resolver: int = 4
    edns_payload: int = 1232


@dataclass(frozen=True)
class TsigKey:
    name: str
    algorithm: str
    secret: Secret = field(repr=False)


# --- registration (WHOIS) ------------------------------------------------------------------

DEFAULT_EXPIRY_WINDOW = timedelta(days=30)


@dataclass
class WhoisSettings:
    """Registration checks in the scan: which WHOIS servers to ask, and how politely.
    ``enabled`` false: settings from the configuration for when a command line asks for
    the checks."""

    servers: dict[str, tuple[str, int]] | None = None
    enabled: bool = True
    timeout: float = 10.0
    retries: int = 2
    min_interval: float = 1.0
    expiry_window: timedelta = DEFAULT_EXPIRY_WINDOW
    # an answer recorded by an earlier scan stands while its status's lifetime lasts
    reuse_answers: bool = True


# --- the web and certificate stage ---------------------------------------------------------

DEFAULT_USER_AGENT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                      "(KHTML, like Gecko) Chrome/130.0 Safari/537.36 domainwatch")
#: The crawlers that matter in China, as they announce themselves. The first is asked every
#: night; of the others (and the referers but the first), one a night in turn (all of them
#: when the page shows another signal), see :meth:`WebProbe.cloak_requests`.
DEFAULT_CRAWLERS = {
    "Baiduspider": "Mozilla/5.0 (compatible; Baiduspider/2.0; "
                   "+http://www.baidu.com/search/spider.html)",
    "Sogou": "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "360Spider": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                 "Gecko) Chrome/50.0.2661.102 Safari/537.36; 360Spider",
    "YisouSpider": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                   "like Gecko) Chrome/69.0.3497.81 YisouSpider/5.0 Safari/537.36",
    "Bytespider": "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
    "Googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
}
#: Where visitors come from when a search engine sent them; the first every night, the
#: others in turn with the crawlers (all when the page shows another signal).
DEFAULT_SEARCH_REFERERS = {
    "baidu.com": "https://www.baidu.com/s?wd={name}",
    "sogou.com": "https://www.sogou.com/web?query={name}",
    "so.com": "https://www.so.com/s?q={name}",
    "sm.cn": "https://m.sm.cn/s?q={name}",
    "toutiao.com": "https://so.toutiao.com/search?keyword={name}",
}
DEFAULT_SEARCH_REFERER = DEFAULT_SEARCH_REFERERS["baidu.com"]


@dataclass
class WebSettings:
    """How the web stage fetches."""

    timeout: float = 10.0
    max_bytes: int = 2_000_000
    max_redirects: int = 10
    concurrency: int = 256
    per_address: int = 8
    user_agent: str = DEFAULT_USER_AGENT
    crawlers: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CRAWLERS))
    search_referers: dict[str, str] = field(
        default_factory=lambda: dict(DEFAULT_SEARCH_REFERERS))
    cloaking: bool = True
    #: crawlers asked every night (the first of ``crawlers`` and this many more in turn);
    #: 0 asks every crawler and every referer every night
    cloak_rotation: int = 1
    #: scripts from other sites' hosts fetched and read per landing page
    external_scripts: int = 2
    # worker processes (0: one per CPU for big stages; 1: none); see web_processes.py
    processes: int = 0
    trust: TrustStore | None = None


@dataclass
class CrawlSettings:
    """How far and how politely a site is read. ``depth`` counts link hops from the home
    page (0: the home page only); ``pages`` is the budget of one site, the home page
    included; ``run_pages`` that of all sites of one run; ``sites`` how many sites are read
    at once."""

    depth: int = 2
    pages: int = 30
    run_pages: int = 50_000
    per_host: int = 2
    interval: float = 0.25
    sites: int = 256


@dataclass
class WebCheckSettings:
    """Thresholds of the web checks (the ``[web]`` section of the configuration)."""

    stale_after: timedelta = timedelta(days=14)
    change_similarity: float = 0.3
    cloaking_similarity: float = 0.5
    hidden_links: int = 5
    allowed_suffixes: tuple[str, ...] = GOVERNMENT_SUFFIXES
    allowed_hosts: tuple[str, ...] = ()


@dataclass
class TlsCheckSettings:
    expiry_window: timedelta = timedelta(days=30)


@dataclass
class WebStage:
    """The web and certificate stage of a scan: how to fetch, and the checks' thresholds.
    ``trust`` is built from ``ca_files`` (and the system's store unless ``system_trust``
    is false) when the scan starts."""

    enabled: bool = True
    links: bool = True
    link_hosts: int = 2000
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    probe: WebSettings = field(default_factory=WebSettings)
    checks: WebCheckSettings = field(default_factory=WebCheckSettings)
    tls: TlsCheckSettings = field(default_factory=TlsCheckSettings)
    ca_files: list[Path] = field(default_factory=list)
    system_trust: bool = True



# --- the nightly job -----------------------------------------------------------------------

@dataclass
class Schedule:
    """How often names are rechecked; the shortest interval that applies wins."""

    by_state: dict[str, timedelta] = field(default_factory=lambda: {
        "active": timedelta(days=1), "offline": timedelta(days=1),
        "deregistered": timedelta(days=7)})
    discovered: timedelta = timedelta(days=1)
    open_findings: timedelta = timedelta(hours=6)
    changed: timedelta = timedelta(hours=6)
    changed_within: timedelta = timedelta(days=7)
    high_value: timedelta = timedelta(hours=6)


@dataclass
class RunConfig:
    schedule: Schedule = field(default_factory=Schedule)
    confirm: Confirmation = field(default_factory=lambda: Confirmation(
        open_default=1, resolve_default=2, open_by={"unused": 2}))


# --- alert channels ------------------------------------------------------------------------

WEBHOOK_KINDS = ("dingtalk", "wecom", "feishu", "json")
SIGNING_KINDS = ("dingtalk", "feishu")
EMAIL_SECURITY = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
EMAIL_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)*")


def checked_address(text: str) -> str | None:
    """``text`` as an e-mail address (its domain lowercased), or None when it is not one."""
    address = text.strip()
    if not EMAIL_ADDRESS.fullmatch(address) or len(address) > 254:
        return None
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def owner_key(owner: str) -> str:
    """An owning unit's name as webhooks' ``owners`` and register entries are compared."""
    return unicodedata.normalize("NFC", owner).strip()


@dataclass
class EmailChannel:
    host: str
    port: int = 25
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password: Secret | None = field(default=None, repr=False)
    sender: str = "domainwatch@localhost"
    timeout: float = 10.0
    ca_file: str | None = None


@dataclass
class WebhookChannel:
    name: str
    kind: Literal["dingtalk", "wecom", "feishu", "json"]
    url: Secret = field(repr=False)  # the group bots' URLs carry their access token
    secret: Secret | None = field(default=None, repr=False)
    owners: list[str] = field(default_factory=list)
    timeout: float = 10.0
    ca_file: str | None = None


@dataclass
class AlertConfig:
    email: EmailChannel | None = None
    default_recipients: list[str] = field(default_factory=list)
    route_by_contact: bool = True
    webhooks: list[WebhookChannel] = field(default_factory=list)
    retries: int = 2
    backoff: float = 1.0
