"""The configuration file (TOML): defaults for options an administrator sets once.

Command-line options override it. Example::

    [scan]
    resolvers = ["10.0.0.53", "10.0.1.53:5353"]
    timeout = 2.0        # seconds per attempt
    retries = 2
    concurrency = 500    # DNS queries in flight

    [register]
    managed_domains = ["jiuquan.gov.cn"]   # beyond those the register's entries imply

    [tsig]                                 # for `register sync --axfr`
    name = "dw-transfer"
    algorithm = "hmac-sha256"
    secret = "base64…"                     # or secret_env = "VAR" or secret_file = "/path"

    [web]                                  # the web and certificate stage
    enabled = true
    ca_files = ["/etc/domainwatch/cfca-root.pem"]   # CAs beyond the system's store
    timeout = 10.0                         # seconds per exchange
    stale_after = "14d"                    # unused.stale
    tls_expiry_window = "30d"              # tls.expiring
    allowed_hosts = ["conac.cn"]           # redirect targets beyond gov.cn and .政务

    [links]                                # the crawl of each site and its linked hosts
    depth = 2                              # link hops from the home page
    pages = 30                             # pages per site

    [run]                                  # the nightly job: see domainwatch.nightly
    [alerts]                               # its channels: see domainwatch.alerts

A secret (``[tsig] secret``, ``[alerts.email] password``, a webhook's ``url`` and ``secret``)
can instead be read from an environment variable (``password_env = "DW_SMTP_PASSWORD"``) or a
file (``password_file = "/etc/domainwatch/smtp-password"``, relative to this file's
directory, a regular file of at most 64 KiB, a byte-order mark and one trailing newline
dropped): exactly one of the three forms, none empty. No message shows a secret's value, nor
does the ``repr`` of the settings holding one. Other file names (``ca_files``, ``ca_file``)
are relative to this file's directory too.

Every table is read through :class:`Section`: unknown keys, types (a boolean is not a
number), ranges, durations and lists of strings are checked the same way everywhere, and
every message names the file, the table and the setting.

One module, over 600 lines: it is the file's whole vocabulary in one place — the
:class:`Section` reader and one short reader per table, each turning its table into the
settings of :mod:`domainwatch.settings`. Split by table, every part would import the same
reader and messages, and a reader would no longer see the tables it checks against (the
rule ids of ``[run]``, the secrets of ``[alerts]`` and ``[tsig]``).
"""

from __future__ import annotations

import base64
import binascii
import math
import os
import re
import stat
import tomllib
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import MISSING, dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from domainwatch.names import InvalidName, normalize_name, registrable_domain
from domainwatch.rules import UnknownRule, check_rule_or_category
from domainwatch.safety import has_unsafe
from domainwatch.settings import (
    DEFAULT_PORTS,
    EMAIL_SECURITY,
    SIGNING_KINDS,
    WEBHOOK_KINDS,
    AlertConfig,
    EmailChannel,
    RunConfig,
    Secret,
    TsigKey,
    WebhookChannel,
    WebStage,
    WhoisSettings,
    checked_address,
    owner_key,
    parse_whois_server,
)
from domainwatch.store import Confirmation

TSIG_ALGORITHMS = ("hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384",
                   "hmac-sha512")
SECRET_FORMS = ("", "_env", "_file")
_DURATION = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_TYPE_NAMES: dict[type, str] = {str: "a string", int: "an integer", float: "a number",
                                bool: "true or false", list: "a list", dict: "a table"}
Number = int | float
NUMBER = (int, float)


def _secret_keys(*keys: str) -> tuple[str, ...]:
    return tuple(f"{key}{form}" for key in keys for form in SECRET_FORMS)


_SCAN_KEYS = ("resolvers", "timeout", "retries", "concurrency")
_REGISTER_KEYS = ("managed_domains",)
_TSIG_KEYS = ("name", "algorithm", *_secret_keys("secret"))
_WHOIS_KEYS = ("enabled", "servers", "timeout", "retries", "min_interval", "expiry_window",
               "reuse_answers")
_WEB_KEYS = ("enabled", "ca_files", "system_trust", "timeout", "max_bytes", "max_redirects",
             "concurrency", "per_address", "processes", "user_agent", "crawlers",
             "search_referer", "search_referers", "cloaking", "cloak_rotation",
             "external_scripts", "stale_after", "change_similarity", "cloaking_similarity",
             "hidden_links", "allowed_hosts", "tls_expiry_window")
_LINKS_KEYS = ("enabled", "depth", "pages", "run_pages", "per_host", "interval", "sites",
               "hosts")
_INTERVAL_KEYS = {"interval_active": "active", "interval_offline": "offline",
                  "interval_deregistered": "deregistered"}
_RUN_DURATIONS = {"interval_discovered": "discovered",
                  "interval_open_findings": "open_findings", "interval_changed": "changed",
                  "changed_within": "changed_within", "interval_high_value": "high_value"}
_RUN_KEYS = (*_INTERVAL_KEYS, *_RUN_DURATIONS, "confirm_open", "confirm_resolve",
             "confirm_open_by", "confirm_resolve_by")
_ALERTS_KEYS = ("default_recipients", "route_by_contact", "retries", "backoff", "email",
                "webhook")
_EMAIL_KEYS = ("host", "port", "security", "username", *_secret_keys("password"), "sender",
               "timeout", "ca_file")
_WEBHOOK_KEYS = ("name", "kind", *_secret_keys("url", "secret"), "owners", "timeout",
                 "ca_file")
_SECTIONS = ("scan", "register", "tsig", "whois", "web", "links", "run", "alerts")
_WHOLE_NUMBER = "must be a whole number ≥ 1"
#: the most a ``*_file`` secret may hold: a key, a password or a URL is far smaller
SECRET_FILE_LIMIT = 64 * 1024


class ConfigError(Exception):
    """A configuration file that cannot be used."""


class RunConfigError(ConfigError):
    """A [run] setting that cannot be used."""


class AlertConfigError(ConfigError):
    """An ``[alerts]`` table that cannot be used; the message names the setting."""


def parse_duration(text: str) -> timedelta:
    """``30m``, ``6h``, ``7d``."""
    match = _DURATION.match(text)
    if not match:
        raise RunConfigError(f"{text!r} is not a duration like 30m, 6h or 7d")
    value, unit = int(match.group(1)), match.group(2)
    return {"m": timedelta(minutes=value), "h": timedelta(hours=value),
            "d": timedelta(days=value)}[unit]


class Section:
    """Typed reads from one table of the configuration file.

    ``where`` names the file and the table (``dw.toml: [web]``), and every failure is an
    ``error`` naming the setting: ``{where} {key} {problem}``, or with ``colon`` (the
    [alerts] tables' wording) ``{where} {key}: {problem}``. ``known`` None takes any key
    (a table keyed by rule id); ``prefix`` goes before such keys in messages. ``base`` is
    the directory relative file names are read from.
    """

    def __init__(self, table: object, where: str, known: Iterable[str] | None, *,
                 error: type[ConfigError] = ConfigError, colon: bool = False,
                 base: Path = Path("."), prefix: str = "") -> None:
        if not isinstance(table, dict):
            raise error(f"{where} must be a table")
        if known is not None:
            known = tuple(known)
            unknown = sorted(set(table) - set(known))
            if unknown:
                raise error(f"{where} has no setting {unknown[0]!r} "
                            f"(known: {', '.join(known)})")
        self.table: dict[str, Any] = table
        self.where = where
        self.error = error
        self.colon = colon
        self.base = base
        self.prefix = prefix

    def __contains__(self, key: str) -> bool:
        return key in self.table

    def __bool__(self) -> bool:
        return bool(self.table)

    def fail(self, key: str, problem: str) -> ConfigError:
        return self.error(f"{self.setting(key)} {problem}")

    def setting(self, key: str) -> str:
        """``key`` as messages name it: the file, the table, the setting."""
        return f"{self.where} {self.prefix}{key}{':' if self.colon else ''}"

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        """The value of ``key`` (``default`` when absent), which must be of ``kind``."""
        if key not in self.table:
            return default
        value = self.table[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            wanted = _TYPE_NAMES[kind if isinstance(kind, type) else float]
            problem = f"must be {wanted}, not {_TYPE_NAMES.get(type(value), 'that')}"
            raise self.fail(key, problem if self.colon else f"has the wrong type: {problem}")
        return value

    def number(self, key: str, default: Any, *, kind: type | tuple[type, ...] = NUMBER,
               least: Number | None = None, above: Number | None = None,
               most: Number | None = None, problem: str | None = None) -> Any:
        """A number (a float unless ``kind`` is int) within the bounds given."""
        value = self.get(key, kind, default)
        if key not in self.table:
            return value
        if not math.isfinite(value):
            raise self.fail(key, f"must be a finite number, not {value}")
        if most is not None and not ((least is None or value >= least)
                                     and (above is None or value > above) and value <= most):
            lowest = f"at least {least}" if above is None else f"more than {above}"
            raise self.fail(key, problem or f"is out of range ({lowest}, at most {most})")
        if least is not None and value < least:
            raise self.fail(key, problem or f"must be {least} or more")
        if above is not None and value <= above:
            raise self.fail(key, problem or f"must be greater than {above}")
        return value if kind is int else float(value)

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> Any:
        """Non-empty text without control characters."""
        if required and key not in self.table:
            raise self.fail(key, "is required")
        return self.checked_text(key, self.get(key, str, default))

    def checked_text(self, key: str, value: str | None) -> str | None:
        problem = None if value is None else _text_problem(value)
        if problem:
            raise self.fail(key, problem)
        return value

    def strings(self, key: str, problem: str = "must be a list of non-empty strings"
                ) -> list[str]:
        value = self.get(key, list, [])
        if not all(isinstance(item, str) and item.strip() for item in value):
            raise self.fail(key, problem)
        return list(value)

    def names(self, key: str) -> list[str]:
        """A list of domain names, normalised."""
        names = []
        for text in self.strings(key):
            try:
                names.append(normalize_name(text))
            except InvalidName as error:
                raise self.fail(key, f"holds {text!r}: {error}") from None
        return names

    def duration(self, key: str, default: timedelta) -> timedelta:
        if key not in self.table:
            return default
        value = self.table[key]
        try:
            return parse_duration(value)
        except (RunConfigError, TypeError):
            raise self.fail(key, f"is {value!r}, not a duration like 30m, 6h or 7d") from None

    def mapping(self, key: str, what: str) -> dict[str, str] | None:
        """A non-empty table of labels to non-empty strings, each ``what``; neither labels nor
        values hold control characters (the values go into HTTP requests as they are)."""
        value = self.get(key, dict)
        if value is not None and (not value or not all(
                _plain(label) and isinstance(text, str) and _plain(text)
                for label, text in value.items())):
            raise self.fail(key, f"maps a label to {what} (non-empty text without control "
                                 "characters)")
        return None if value is None else dict(value)

    def secret(self, key: str, *, required: bool = False,
               check: Callable[[str], str | None] | None = None) -> Secret | None:
        """``key`` itself, or the environment variable ``key_env`` names, or the contents of
        the file ``key_file`` names (one of the three); the value never enters a message.
        ``check`` says what is wrong with a value, if anything: checked here, or for an
        environment variable when the secret is used (:meth:`Secret.reveal`), which is also
        when the variable is read."""
        given = [name for name in _secret_keys(key) if name in self.table]
        if len(given) > 1:
            raise self.fail(key, f"is given more than once ({', '.join(given)}): choose one")
        if not given:
            if required:
                raise self.fail(key, "is required")
            return None
        setting = given[0]
        source = self.get(setting, str)
        if setting == key:
            if not source:
                raise self.fail(setting, "must not be empty")
            value = source
        elif not source.strip():
            raise self.fail(setting, "must name " + ("an environment variable"
                                                     if setting.endswith("_env") else "a file"))
        elif setting.endswith("_env"):
            return Secret(variable=source, setting=self.setting(setting), check=check)
        else:
            path = self.base / Path(source).expanduser()
            contents, reason = _read_secret_file(path)
            if contents is None:  # raised here, outside any handler: no exception (and so
                # none of the file's bytes) rides along as __context__
                raise self.fail(setting, f"names the file {path}, which {reason}")
            value = contents.removesuffix("\n").removesuffix("\r")
            if not value:
                raise self.fail(setting, f"names the file {path}, which is empty")
        problem = check(value) if check is not None else None
        if problem:
            raise self.fail(setting, problem)
        return Secret(value, setting=self.setting(setting))

    def readable_file(self, key: str) -> str | None:
        """A file name, relative to ``base`` (the configuration file's directory) unless
        absolute, ``~`` expanded; the file must exist. Returns the resolved name."""
        text = self.text(key)
        if text is None:
            return None
        path = self.base / Path(text).expanduser()
        if not path.is_file():
            raise self.fail(key, f"{path} is not a readable file")
        return str(path)


def _plain(text: str) -> bool:
    """Non-empty text without control characters."""
    return bool(text.strip()) and not has_unsafe(text)


def _text_problem(text: str) -> str | None:
    return None if _plain(text) else "must be non-empty text without control characters"


def _base64_problem(text: str) -> str | None:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return "is not valid base64"
    return None


def _webhook_url_problem(url: str) -> str | None:
    if problem := _text_problem(url):
        return problem
    try:
        parsed = urllib.parse.urlsplit(url)
    except ValueError:  # an unclosed [ of an IPv6 address
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname \
            or " " in url:
        return "must be an http:// or https:// URL with a host"
    try:
        parsed.port  # noqa: B018
    except ValueError:
        return "has an invalid port"
    return None


def _read_secret_file(path: Path) -> tuple[str | None, str]:
    """The text of the secret file ``path`` (a BOM dropped), or None and why it cannot be
    used. The reason never holds the contents: a UnicodeDecodeError does (``.object``), so
    none escapes from here, not even as another exception's ``__context__``."""
    reason = ""
    data = b""
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # /dev/zero, a FIFO, a directory
            return None, "is not a regular file"
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        with os.fdopen(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):  # replaced meanwhile
                return None, "is not a regular file"
            data = file.read(SECRET_FILE_LIMIT + 1)
    except OSError as error:
        reason = f"cannot be read ({error.strerror or type(error).__name__})"
    if reason:
        return None, reason
    if len(data) > SECRET_FILE_LIMIT:
        return None, f"is larger than {SECRET_FILE_LIMIT // 1024} KiB"
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        reason = "cannot be read (not UTF-8 text)"
    return None, reason


@dataclass
class Config:
    resolvers: list[str] = field(default_factory=list)
    timeout: float = 2.0
    retries: int = 2
    concurrency: int = 500
    managed_domains: list[str] = field(default_factory=list)
    tsig: TsigKey | None = None
    run: RunConfig = field(default_factory=RunConfig)
    alerts: AlertConfig | None = None
    whois: WhoisSettings | None = None
    web: WebStage | None = None
    source: str | None = None

    def secret_variables(self) -> list[str]:
        """The environment variables the configuration reads secrets from (``*_env``), each
        once: what a cron job or a systemd unit must be given."""
        secrets: list[Secret | None] = [self.tsig.secret if self.tsig else None]
        if self.alerts is not None:
            if self.alerts.email is not None:
                secrets.append(self.alerts.email.password)
            for webhook in self.alerts.webhooks:
                secrets += [webhook.url, webhook.secret]
        return list(dict.fromkeys(secret.variable for secret in secrets
                                  if secret is not None and secret.variable is not None))


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read configuration file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    unknown = sorted(set(document) - set(_SECTIONS))
    if unknown:
        raise ConfigError(f"{path}: unknown section(s): {', '.join(unknown)} "
                          f"(known: {', '.join(_SECTIONS)})")

    def section(name: str, known: Iterable[str]) -> Section:
        return Section(document.get(name, {}), f"{path}: [{name}]", known, base=path.parent)

    scan = section("scan", _SCAN_KEYS)
    defaults = Config()
    config = Config(
        source=str(path),
        resolvers=scan.strings("resolvers", 'must be a list of "IP[:PORT]" strings'),
        timeout=scan.number("timeout", defaults.timeout, above=0),
        retries=scan.number("retries", defaults.retries, kind=int, least=0),
        concurrency=scan.number("concurrency", defaults.concurrency, kind=int, least=1),
        managed_domains=section("register", _REGISTER_KEYS).names("managed_domains"))
    tsig = section("tsig", _TSIG_KEYS)
    if tsig:
        config.tsig = _tsig(tsig)
    config.run = parse_run_config(document.get("run", {}), str(path))
    config.whois = _whois(section("whois", _WHOIS_KEYS))
    config.web = _web(section("web", _WEB_KEYS))
    _links(section("links", _LINKS_KEYS), config.web)
    if "alerts" in document:
        config.alerts = parse_alert_config(document["alerts"], str(path))
    return config


def _tsig(tsig: Section) -> TsigKey:
    missing = [key for key in ("name", "secret")
               if not any(name in tsig for name in _secret_keys(key))]
    if missing:
        raise ConfigError(f"{tsig.where} needs {' and '.join(missing)}")
    algorithm = tsig.get("algorithm", str, "hmac-sha256").lower()
    if algorithm not in TSIG_ALGORITHMS:
        raise tsig.fail("algorithm", f"{algorithm!r} is not one of {', '.join(TSIG_ALGORITHMS)}")
    secret = tsig.secret("secret", required=True, check=_base64_problem)
    assert secret is not None
    return TsigKey(name=tsig.get("name", str), algorithm=algorithm, secret=secret)


def parse_run_config(table: object, source: str) -> RunConfig:
    """The [run] table of the configuration file ``source``."""
    run = Section(table, f"{source}: [run]", sorted(_RUN_KEYS), error=RunConfigError)
    config = RunConfig()
    schedule = config.schedule
    for key, state in _INTERVAL_KEYS.items():
        schedule.by_state[state] = run.duration(key, schedule.by_state[state])
    for key, attribute in _RUN_DURATIONS.items():
        setattr(schedule, attribute, run.duration(key, getattr(schedule, attribute)))
    confirm = config.confirm
    counts: dict[str, dict[str, int]] = {}
    for key, default in (("confirm_open_by", confirm.open_by),
                         ("confirm_resolve_by", confirm.resolve_by)):
        table_by = Section(run.get(key, dict, default), run.where, None, error=RunConfigError,
                           prefix=f"{key}.")
        counts[key] = {name: table_by.number(name, 1, kind=int, least=1,
                                             problem=_WHOLE_NUMBER) for name in table_by.table}
        for name in counts[key]:
            try:
                check_rule_or_category(name)
            except UnknownRule as error:
                raise RunConfigError(f"{run.where} {key}: {error.args[0]}") from None
    config.confirm = Confirmation(
        run.number("confirm_open", confirm.open_default, kind=int, least=1,
                   problem=_WHOLE_NUMBER),
        run.number("confirm_resolve", confirm.resolve_default, kind=int, least=1,
                   problem=_WHOLE_NUMBER),
        counts["confirm_open_by"], counts["confirm_resolve_by"])
    return config


def _whois(whois: Section) -> WhoisSettings | None:
    """[whois]: registration checks in scans and runs, off unless enabled or servers given
    (``--whois``/``--whois-server`` turn them on and take the other settings from here)."""
    if not whois:
        return None
    servers: dict[str, tuple[str, int]] = {}
    for text in whois.strings("servers"):
        try:
            suffix, address = parse_whois_server(text)
        except ValueError as error:
            raise whois.fail("servers", f"holds {error}") from None
        servers[suffix] = address
    defaults = WhoisSettings()
    return WhoisSettings(
        servers=servers or None,
        enabled=whois.get("enabled", bool, bool(servers)),
        timeout=whois.number("timeout", defaults.timeout, above=0),
        retries=whois.number("retries", defaults.retries, kind=int, least=0),
        min_interval=whois.number("min_interval", defaults.min_interval, least=0),
        expiry_window=whois.duration("expiry_window", defaults.expiry_window),
        reuse_answers=whois.get("reuse_answers", bool, defaults.reuse_answers))


def _referer_label(referer: str) -> str:
    """A search referer's label: the search engine's registrable domain (``baidu.com``)."""
    host = urllib.parse.urlsplit(referer.replace("{name}", "x")).hostname or referer
    return registrable_domain(host) or host


def _web(web: Section) -> WebStage:
    """[web]: the web and certificate stage (on unless ``enabled = false``)."""
    stage = WebStage()
    stage.enabled = web.get("enabled", bool, stage.enabled)
    stage.system_trust = web.get("system_trust", bool, stage.system_trust)
    probe, checks = stage.probe, stage.checks
    probe.timeout = web.number("timeout", probe.timeout, above=0, most=3600)
    for key, least in (("max_bytes", 1), ("max_redirects", 0), ("concurrency", 1),
                       ("per_address", 1), ("processes", 0), ("cloak_rotation", 0),
                       ("external_scripts", 0)):
        setattr(probe, key, web.number(key, getattr(probe, key), kind=int, least=least,
                                       problem="must be a positive number"
                                       + (" or 0" if least == 0 else "")))
    probe.user_agent = web.text("user_agent", probe.user_agent)
    probe.cloaking = web.get("cloaking", bool, probe.cloaking)
    probe.crawlers = web.mapping("crawlers", "a User-Agent string") or probe.crawlers
    referers = web.mapping("search_referers", "a Referer URL ({name} stands for the name)")
    if "search_referer" in web:  # one Referer instead of the list (the older setting)
        if referers is not None:
            raise web.fail("search_referer", "and search_referers: choose one")
        referer = web.get("search_referer", str)
        if referer:  # "" turns the search referer off
            web.checked_text("search_referer", referer)
        referers = {_referer_label(referer): referer} if referer else {}
    if referers is not None:
        probe.search_referers = referers
    for key in ("change_similarity", "cloaking_similarity"):
        setattr(checks, key, web.number(key, getattr(checks, key), above=0, most=1))
    checks.hidden_links = web.number("hidden_links", checks.hidden_links, kind=int, least=1,
                                     problem="must be a positive number")
    checks.allowed_hosts = tuple(web.names("allowed_hosts"))
    checks.stale_after = web.duration("stale_after", checks.stale_after)
    stage.tls.expiry_window = web.duration("tls_expiry_window", stage.tls.expiry_window)
    for item in web.strings("ca_files", "must be a list of file paths"):
        candidate = Path(item).expanduser()
        stage.ca_files.append(candidate if candidate.is_absolute() else web.base / candidate)
    return stage


def _links(links: Section, stage: WebStage) -> None:
    """[links]: the crawl of the active entries' sites and the check of the hosts they
    refer to (part of the web stage; on unless ``enabled = false``)."""
    stage.links = links.get("enabled", bool, stage.links)
    stage.link_hosts = links.number("hosts", stage.link_hosts, kind=int, least=0)
    crawl = stage.crawl
    for key, least in (("depth", 0), ("pages", 1), ("run_pages", 0), ("per_host", 1),
                       ("sites", 1)):
        setattr(crawl, key, links.number(key, getattr(crawl, key), kind=int, least=least))
    crawl.interval = links.number("interval", crawl.interval, least=0)


# --- [alerts] ------------------------------------------------------------------------------

def parse_alert_config(table: object, source: str) -> AlertConfig:
    """The ``[alerts]`` table of the configuration file ``source``, checked throughout."""
    base = Path(source).parent

    def section(value: object, where: str, known: Iterable[str]) -> Section:
        return Section(value, f"{source}: {where}", known, error=AlertConfigError, colon=True,
                       base=base)

    alerts = section(table, "[alerts]", _ALERTS_KEYS)
    recipients: list[str] = []
    for text in alerts.strings("default_recipients"):
        address = checked_address(text)
        if address is None:
            raise alerts.fail("default_recipients", f"{text!r} is not an e-mail address")
        if address.lower() not in (known.lower() for known in recipients):
            recipients.append(address)
    defaults = AlertConfig()
    config = AlertConfig(default_recipients=recipients,
                         route_by_contact=alerts.get("route_by_contact", bool,
                                                     defaults.route_by_contact),
                         retries=alerts.number("retries", defaults.retries, kind=int, least=0),
                         backoff=alerts.number("backoff", defaults.backoff, least=0))
    if "email" in alerts:
        config.email = _email_channel(section(alerts.table["email"], "[alerts.email]",
                                              _EMAIL_KEYS))
        if not recipients:
            raise alerts.fail("default_recipients", "must name at least one address when "
                              "[alerts.email] is set (items whose entry has no e-mail contact "
                              "go there)")
    elif recipients:
        raise alerts.fail("default_recipients", "is set but there is no [alerts.email] to "
                          "send through")
    webhooks = alerts.table.get("webhook", [])
    if not isinstance(webhooks, list):
        raise alerts.fail("webhook", "must be an array of tables: write [[alerts.webhook]]")
    for number, entry in enumerate(webhooks, 1):
        webhook = _webhook_channel(section(entry, f"[[alerts.webhook]] #{number}",
                                           _WEBHOOK_KEYS))
        if any(known.name == webhook.name for known in config.webhooks):
            raise AlertConfigError(f"{source}: [[alerts.webhook]] #{number} name: "
                                   f"{webhook.name!r} is used by an earlier webhook")
        config.webhooks.append(webhook)
    return config


def _field_defaults(cls: type) -> dict[str, Any]:
    """The defaults the dataclass ``cls`` gives its fields (those that have one)."""
    return {item.name: item.default for item in fields(cls) if item.default is not MISSING}


def _email_channel(email: Section) -> EmailChannel:
    defaults = _field_defaults(EmailChannel)
    security = email.text("security", defaults["security"])
    if security not in EMAIL_SECURITY:
        raise email.fail("security", f"{security!r} is not one of {', '.join(EMAIL_SECURITY)}")
    port = email.get("port", int, DEFAULT_PORTS[security])
    if not 1 <= port <= 65535:
        raise email.fail("port", f"{port} is not a port number (1-65535)")
    username = email.text("username")
    password = email.secret("password")
    if (username is None) != (password is None):
        raise email.fail("username" if username is None else "password",
                         "username and password go together")
    if username is not None and security == "none":
        raise email.fail("security", '"starttls" or "ssl" is needed with username/password '
                         "(the password would cross the network in clear)")
    sender_text = email.text("sender", defaults["sender"])
    sender = checked_address(sender_text)
    if sender is None:
        raise email.fail("sender", f"{sender_text!r} is not an e-mail address")
    host = email.text("host", required=True)
    if any(char.isspace() or char in "/@" for char in host):
        raise email.fail("host", f"{host!r} is not a host name or address")
    return EmailChannel(host=host, port=port, security=security, username=username,
                        password=password, sender=sender,
                        timeout=email.number("timeout", defaults["timeout"], above=0),
                        ca_file=email.readable_file("ca_file"))


def _webhook_channel(webhook: Section) -> WebhookChannel:
    name = webhook.text("name", required=True)
    kind = webhook.text("kind", required=True)
    if kind not in WEBHOOK_KINDS:
        raise webhook.fail("kind", f"{kind!r} is not one of {', '.join(WEBHOOK_KINDS)}")
    url = webhook.secret("url", required=True, check=_webhook_url_problem)
    assert url is not None
    secret = webhook.secret("secret", check=_text_problem)
    if secret is not None and kind not in SIGNING_KINDS:
        raise webhook.fail("secret", f"kind {kind} is not signed (only "
                           f"{' and '.join(SIGNING_KINDS)} are); remove it")
    owners = list(dict.fromkeys(owner_key(owner) for owner in webhook.strings("owners")))
    return WebhookChannel(name=name, kind=kind, url=url, secret=secret, owners=owners,
                          timeout=webhook.number("timeout",
                                                 _field_defaults(WebhookChannel)["timeout"],
                                                 above=0),
                          ca_file=webhook.readable_file("ca_file"))
