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
    secret = "base64…"

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
"""

from __future__ import annotations

import base64
import binascii
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from domainwatch.discovery import TsigKey
from domainwatch.names import InvalidName, normalize_name, registrable_domain
from domainwatch.rules import categories, close_matches, is_rule, rule_ids

if TYPE_CHECKING:
    from domainwatch.alerts import AlertConfig
    from domainwatch.nightly import RunConfig
    from domainwatch.scan import WebStage, WhoisSettings

_SECTIONS: dict[str, dict[str, Any]] = {
    "scan": {"resolvers": list, "timeout": (int, float), "retries": int, "concurrency": int},
    "register": {"managed_domains": list},
    "tsig": {"name": str, "algorithm": str, "secret": str},
    "whois": {"enabled": bool, "servers": list, "timeout": (int, float), "retries": int,
              "min_interval": (int, float), "expiry_window": str, "reuse_answers": bool},
    "web": {"enabled": bool, "ca_files": list, "system_trust": bool, "timeout": (int, float),
            "max_bytes": int, "max_redirects": int, "concurrency": int, "per_address": int,
            "processes": int,
            "user_agent": str, "crawlers": dict, "search_referer": str,
            "search_referers": dict, "cloaking": bool, "cloak_rotation": int,
            "external_scripts": int,
            "stale_after": str, "change_similarity": (int, float),
            "cloaking_similarity": (int, float), "hidden_links": int,
            "allowed_hosts": list, "tls_expiry_window": str},
    "links": {"enabled": bool, "depth": int, "pages": int, "run_pages": int, "per_host": int,
              "interval": (int, float), "sites": int, "hosts": int},
}
TSIG_ALGORITHMS = ("hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384",
                   "hmac-sha512")


class ConfigError(Exception):
    """A configuration file that cannot be used."""


def _default_run_config() -> RunConfig:
    from domainwatch.nightly import RunConfig

    return RunConfig()


@dataclass
class Config:
    resolvers: list[str] = field(default_factory=list)
    timeout: float = 2.0
    retries: int = 2
    concurrency: int = 500
    managed_domains: list[str] = field(default_factory=list)
    tsig: TsigKey | None = None
    run: RunConfig = field(default_factory=_default_run_config)
    alerts: AlertConfig | None = None
    whois: WhoisSettings | None = None
    web: WebStage | None = None
    source: str | None = None


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
    unknown = sorted(set(document) - set(_SECTIONS) - {"run", "alerts"})
    if unknown:
        raise ConfigError(f"{path}: unknown section(s): {', '.join(unknown)} "
                          f"(known: {', '.join([*_SECTIONS, 'run', 'alerts'])})")
    values: dict[str, dict[str, Any]] = {}
    for section, keys in _SECTIONS.items():
        table = document.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] must be a table")
        for key, value in table.items():
            expected = keys.get(key)
            if expected is None:
                raise ConfigError(f"{path}: [{section}] has no setting {key!r} "
                                  f"(known: {', '.join(keys)})")
            if not isinstance(value, expected) or (isinstance(value, bool)
                                                   and expected is not bool):
                raise ConfigError(f"{path}: [{section}] {key} has the wrong type")
        values[section] = table
    config = Config(source=str(path), **values["scan"])
    if not all(isinstance(item, str) for item in config.resolvers):
        raise ConfigError(f"{path}: [scan] resolvers must be a list of \"IP[:PORT]\" strings")
    if config.timeout <= 0 or config.retries < 0 or config.concurrency < 1:
        raise ConfigError(f"{path}: [scan] timeout must be > 0, retries >= 0, concurrency >= 1")
    for domain in values["register"].get("managed_domains", []):
        try:
            config.managed_domains.append(normalize_name(str(domain)))
        except InvalidName as error:
            raise ConfigError(f"{path}: [register] managed_domains: {domain!r}: {error}") from None
    if values["tsig"]:
        config.tsig = _tsig(path, values["tsig"])
    config.run = _parse_run(document.get("run", {}), str(path))
    config.whois = _parse_whois(values["whois"], str(path))
    config.web = _parse_web(values["web"], path)
    _parse_links(values["links"], config.web, path)
    if "alerts" in document:
        config.alerts = _parse_alerts(document["alerts"], str(path))
    return config


def _parse_run(table: object, source: str) -> RunConfig:
    from domainwatch.nightly import RunConfigError, parse_run_config

    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [run] must be a table")
    try:
        run = parse_run_config(table, source)
    except RunConfigError as error:
        raise ConfigError(str(error)) from None
    for setting in ("confirm_open_by", "confirm_resolve_by"):
        for key in table.get(setting, {}):
            _check_rule_or_category(f"{source}: [run] {setting}", key)
    return run


def _check_rule_or_category(setting: str, key: str) -> None:
    """A setting keyed by rule id (``unused.no_web``) or category (``unused``) names one that
    exists: a typo would otherwise be ignored without a word."""
    if is_rule(key) or key in categories():
        return
    category = key.split(".")[0]
    if close := close_matches(key):
        hint = f"did you mean {', '.join(close)}?"
    elif "." in key and category in categories():
        hint = f"the {category} rules: {', '.join(rule_ids(category=category))}"
    else:
        hint = f"the categories: {', '.join(categories())}"
    raise ConfigError(f"{setting}: unknown {'rule id' if '.' in key else 'category'} {key!r} "
                      f"({hint})")


def _parse_whois(table: dict[str, Any], source: str) -> WhoisSettings | None:
    """[whois]: registration checks in scans and runs, off unless enabled or servers given
    (``--whois``/``--whois-server`` turn them on and take the other settings from here)."""
    from domainwatch.nightly import RunConfigError, parse_duration
    from domainwatch.probes.whois import parse_whois_server
    from domainwatch.scan import WhoisSettings

    if not table:
        return None
    settings = WhoisSettings(enabled=table.get("enabled", bool(table.get("servers"))))
    servers: dict[str, tuple[str, int]] = {}
    for text in table.get("servers", []):
        try:
            suffix, address = parse_whois_server(str(text))
        except ValueError as error:
            raise ConfigError(f"{source}: [whois] servers: {error}") from None
        servers[suffix] = address
    settings.servers = servers or None
    if table.get("timeout", 1) <= 0 or table.get("min_interval", 0) < 0:
        raise ConfigError(f"{source}: [whois] timeout must be > 0 and min_interval >= 0")
    for key in ("timeout", "min_interval"):
        if key in table:
            setattr(settings, key, float(table[key]))
    settings.reuse_answers = table.get("reuse_answers", True)
    if "retries" in table:
        if table["retries"] < 0:
            raise ConfigError(f"{source}: [whois] retries must be 0 or more")
        settings.retries = table["retries"]
    if "expiry_window" in table:
        try:
            settings.expiry_window = parse_duration(table["expiry_window"])
        except RunConfigError as error:
            raise ConfigError(f"{source}: [whois] expiry_window: {error}") from None
    return settings


def _referer_label(referer: str) -> str:
    """A search referer's label: the search engine's registrable domain (``baidu.com``)."""
    host = urlsplit(referer.replace("{name}", "x")).hostname or referer
    return registrable_domain(host) or host


def _parse_web(table: dict[str, Any], path: Path) -> WebStage:
    """[web]: the web and certificate stage (on unless ``enabled = false``)."""
    from domainwatch.nightly import RunConfigError, parse_duration
    from domainwatch.scan import WebStage

    stage = WebStage(enabled=table.get("enabled", True),
                     system_trust=table.get("system_trust", True))
    for key in ("timeout", "change_similarity", "cloaking_similarity"):
        if key in table and not (0 < table[key] <= (1 if "similarity" in key else 3600)):
            raise ConfigError(f"{path}: [web] {key} is out of range")
    for key in ("max_bytes", "max_redirects", "concurrency", "per_address", "hidden_links",
                "processes", "cloak_rotation", "external_scripts"):
        if key in table and table[key] < (0 if key in ("max_redirects", "processes",
                                                       "cloak_rotation",
                                                       "external_scripts") else 1):
            raise ConfigError(f"{path}: [web] {key} must be a positive number")
    for key in ("timeout", "max_bytes", "max_redirects", "concurrency", "per_address",
                "user_agent", "cloaking", "processes", "cloak_rotation", "external_scripts"):
        if key in table:
            setattr(stage.probe, key, float(table[key]) if key == "timeout" else table[key])
    for key, what in (("crawlers", "a User-Agent string"),
                      ("search_referers", "a Referer URL ({name} stands for the name)")):
        if key in table:
            if not table[key] or not all(isinstance(v, str) and v.strip()
                                         for v in table[key].values()):
                raise ConfigError(f"{path}: [web] {key} maps a label to {what}")
            setattr(stage.probe, key, dict(table[key]))
    if "search_referer" in table:  # one Referer instead of the list (the older setting)
        if "search_referers" in table:
            raise ConfigError(f"{path}: [web] search_referer and search_referers: choose one")
        referer = table["search_referer"]
        stage.probe.search_referers = {_referer_label(referer): referer} if referer else {}
    for key in ("change_similarity", "cloaking_similarity", "hidden_links"):
        if key in table:
            setattr(stage.checks, key, table[key])
    hosts = []
    for host in table.get("allowed_hosts", []):
        try:
            hosts.append(normalize_name(str(host)))
        except InvalidName as error:
            raise ConfigError(f"{path}: [web] allowed_hosts: {host!r}: {error}") from None
    stage.checks.allowed_hosts = tuple(hosts)
    try:
        if "stale_after" in table:
            stage.checks.stale_after = parse_duration(table["stale_after"])
        if "tls_expiry_window" in table:
            stage.tls.expiry_window = parse_duration(table["tls_expiry_window"])
    except RunConfigError as error:
        raise ConfigError(f"{path}: [web] {error}") from None
    for item in table.get("ca_files", []):
        if not isinstance(item, str):
            raise ConfigError(f"{path}: [web] ca_files must be a list of file paths")
        candidate = Path(item).expanduser()
        stage.ca_files.append(candidate if candidate.is_absolute()
                              else path.parent / candidate)
    return stage


def _parse_links(table: dict[str, Any], stage: WebStage, path: Path) -> None:
    """[links]: the crawl of the active entries' sites and the check of the hosts they
    refer to (part of the web stage; on unless ``enabled = false``)."""
    stage.links = table.get("enabled", True)
    least = {"depth": 0, "pages": 1, "run_pages": 0, "per_host": 1, "interval": 0,
             "sites": 1, "hosts": 0}
    for key, minimum in least.items():
        if key in table and table[key] < minimum:
            raise ConfigError(f"{path}: [links] {key} must be {minimum} or more")
    if "hosts" in table:
        stage.link_hosts = table["hosts"]
    for key in ("depth", "pages", "run_pages", "per_host", "interval", "sites"):
        if key in table:
            setattr(stage.crawl, key, float(table[key]) if key == "interval" else table[key])


def _parse_alerts(table: object, source: str) -> AlertConfig:
    from domainwatch.alerts import AlertConfigError, parse_alert_config

    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [alerts] must be a table")
    try:
        return parse_alert_config(table, source)
    except AlertConfigError as error:
        raise ConfigError(str(error)) from None


def _tsig(path: Path, table: dict[str, str]) -> TsigKey:
    missing = [key for key in ("name", "secret") if key not in table]
    if missing:
        raise ConfigError(f"{path}: [tsig] needs {' and '.join(missing)}")
    algorithm = table.get("algorithm", "hmac-sha256").lower()
    if algorithm not in TSIG_ALGORITHMS:
        raise ConfigError(f"{path}: [tsig] algorithm {algorithm!r} is not one of "
                          f"{', '.join(TSIG_ALGORITHMS)}")
    try:
        base64.b64decode(table["secret"], validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{path}: [tsig] secret is not valid base64") from None
    return TsigKey(name=table["name"], algorithm=algorithm, secret=table["secret"])
