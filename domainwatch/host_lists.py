"""The hosts a government page may depend on (``data/official-hosts.json``,
``data/script-hosts.json``): official sites it may link to, and common sources of the scripts
it may load (statistics, maps, libraries). The web probe fetches no external script from
either; the web checks count neither a link to an official site nor a script from either
against a page."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from domainwatch.datafiles import DATA_DIR, read_json

OFFICIAL_HOSTS_FILE = DATA_DIR / "official-hosts.json"
SCRIPT_HOSTS_FILE = DATA_DIR / "script-hosts.json"
#: Second-level domains of .cn that only institutions can hold (education, academies,
#: the military): as official as gov.cn for where a page links.
OFFICIAL_SUFFIXES = ("edu.cn", "ac.cn", "mil.cn")


class HostListError(ValueError):
    """A packaged host list is unreadable or an entry is malformed."""


def load_host_list(path: Path) -> frozenset[str]:
    """The ``hosts`` of a host list (``{"hosts": [{"host": "people.com.cn", ...}]}``), lower
    case, validated."""
    data = read_json(path, HostListError)
    entries = data.get("hosts") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise HostListError(f"{path.name}: hosts must be a non-empty list")
    hosts: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        host = entry.get("host") if isinstance(entry, dict) else None
        if not isinstance(host, str) or not _HOST_NAME.match(host):
            raise HostListError(f"{path.name}: entry {index}: host must be a lower-case "
                                "host name")
        hosts.add(host)
    return frozenset(hosts)


_HOST_NAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]{2,}$")


@functools.lru_cache(maxsize=1)
def _official_hosts() -> frozenset[str]:
    return load_host_list(OFFICIAL_HOSTS_FILE) | frozenset(OFFICIAL_SUFFIXES)


@functools.lru_cache(maxsize=1)
def _script_hosts() -> frozenset[str]:
    return load_host_list(SCRIPT_HOSTS_FILE)


def _listed(host: str, hosts: frozenset[str]) -> bool:
    host = host.rstrip(".").lower()
    while True:
        if host in hosts:
            return True
        if "." not in host:
            return False
        host = host.split(".", 1)[1]


@functools.lru_cache(maxsize=4096)
def official_host(host: str) -> bool:
    """Whether ``host`` is an official site a government page may link to (central media,
    national public services; ``data/official-hosts.json``) or under an institutions-only
    suffix (``edu.cn``, ``ac.cn``, ``mil.cn``)."""
    return _listed(host, _official_hosts())


@functools.lru_cache(maxsize=4096)
def common_script_host(host: str) -> bool:
    """Whether ``host`` is a common source of scripts on government sites (statistics,
    maps, libraries, accessibility toolbars; ``data/script-hosts.json``)."""
    return _listed(host, _script_hosts())
