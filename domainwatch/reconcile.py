"""The register against the zones: what each side has that the other lacks.

Shared by the ``register.*`` checks and the ``register diff`` view, so that both read the
same facts the same way: which domains the administrator manages, which synced zone a name
belongs to, and whether that zone lists it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domainwatch import clock
from domainwatch.names import government_suffix, is_under, registrable_domain

#: A certificate issued this recently counts as a sign of life even where DNS shows none.
RECENT_CERTIFICATE_DAYS = 90


def managed_domains(entries: Iterable[dict[str, Any]], sources: Iterable[dict[str, Any]],
                    configured: Iterable[str] = ()) -> set[str]:
    """The domains the administrator answers for: the government domains of the register's
    entries, the zones synced or imported, and any configured ones."""
    managed = set(configured)
    for entry in entries:
        if government_suffix(entry["name"]) is not None:
            domain = registrable_domain(entry["name"])
            if domain is not None:
                managed.add(domain)
    managed.update(source["origin"] for source in sources
                   if source["kind"] == "zone" and source["origin"])
    return managed


def managing_domain(name: str, managed: Iterable[str]) -> str | None:
    """The deepest managed domain ``name`` sits under, or None."""
    found = [domain for domain in managed if is_under(name, domain)]
    return max(found, key=len) if found else None


@dataclass
class ZoneIndex:
    """The latest content of every synced zone, for membership questions."""

    zones: dict[str, set[str]] = field(default_factory=dict)
    delegations: dict[str, set[str]] = field(default_factory=dict)
    wildcards: dict[str, list[str]] = field(default_factory=dict)
    synced: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, sources: list[dict[str, Any]],
              discovered: dict[str, list[dict[str, Any]]]) -> ZoneIndex:
        index = cls()
        for source in sources:
            if source["kind"] == "zone":
                index.zones[source["origin"]] = set()
                index.delegations[source["origin"]] = set()
                index.wildcards[source["origin"]] = source["wildcards"]
                index.synced[source["origin"]] = source["last_synced"]
        for name, rows in discovered.items():
            for row in rows:
                if row["kind"] == "zone" and row["present"]:
                    index.zones[row["origin"]].add(name)
                    if "NS" in row["detail"].get("types", []) and name != row["origin"]:
                        index.delegations[row["origin"]].add(name)
        return index

    def zone_of(self, name: str) -> str | None:
        """The deepest synced zone that ``name`` falls in (not counting delegated parts)."""
        zone = managing_domain(name, self.zones)
        if zone is None:
            return None
        if any(is_under(name, cut) and name != cut for cut in self.delegations[zone]):
            return None
        return zone

    def lists(self, name: str) -> bool:
        zone = self.zone_of(name)
        return zone is not None and name in self.zones[zone]


def recent_certificate(rows: list[dict[str, Any]], now: datetime | None = None) -> dict | None:
    """The certificate-log record of a name if its certificate is valid or recently issued."""
    now = now or clock.now()
    recent = clock.iso(now - timedelta(days=RECENT_CERTIFICATE_DAYS))
    current = clock.iso(now)
    for row in rows:
        if row["kind"] != "ct":
            continue
        detail = row["detail"]
        if (detail.get("not_after") or "") > current or (detail.get("not_before") or "") > recent:
            return detail
    return None


def infrastructure_role(rows: list[dict[str, Any]]) -> str | None:
    """"zone apex", "name server" or "mail server" when a zone says the name is one."""
    return next((row["detail"]["role"] for row in rows if row["detail"].get("role")), None)


def answer_of(dns: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a name resolves to, for comparing with a wildcard's answer."""
    return (tuple(sorted(dns.get("a", []) + dns.get("aaaa", []))),
            tuple(dns.get("cname_chain", [])[-1:]))


def register_diff(entries: dict[str, dict[str, Any]], sources: list[dict[str, Any]],
                  discovered: dict[str, list[dict[str, Any]]], managed: set[str],
                  dns_status: dict[str, str]) -> dict[str, Any]:
    """The register against what the synced zones and certificate logs say, both ways.

    ``dns_status`` maps names to the status of their latest DNS observation, where known.
    """
    zones = ZoneIndex.build(sources, discovered)
    unlisted: list[dict[str, Any]] = []
    for name, rows in sorted(discovered.items()):
        listed = [row for row in rows if row["present"]]
        domain = managing_domain(name, managed)
        if name in entries or not listed or domain is None:
            continue
        unlisted.append({
            "name": name, "managed_domain": domain,
            "seen_in": [f"{row['kind']} {row['label']}" for row in listed],
            "types": sorted({t for row in listed for t in row["detail"].get("types", [])}),
            "role": infrastructure_role(listed),
            "certificate": next((row["detail"] for row in listed if row["kind"] == "ct"), None),
            "first_seen": min(row["first_seen"] for row in listed),
            "dns": dns_status.get(name, "not scanned"),
        })
    not_in_zone: list[dict[str, Any]] = []
    deregistered_in_zone: list[dict[str, Any]] = []
    matched: list[str] = []
    for name, entry in sorted(entries.items()):
        zone = zones.zone_of(name)
        if zone is None:
            continue
        row = {"name": name, "state": entry["state"], "owner": entry["owner"], "zone": zone,
               "zone_synced": zones.synced[zone], "dns": dns_status.get(name, "not scanned")}
        if name not in zones.zones[zone]:
            if entry["state"] != "deregistered":
                not_in_zone.append(row)
        elif entry["state"] == "deregistered":
            deregistered_in_zone.append(row)
        else:
            matched.append(name)
    return {
        "zones": [{"zone": s["origin"], "serial": s["serial"], "via": s["via"],
                   "synced": s["last_synced"], "names": s["names"], "wildcards": s["wildcards"]}
                  for s in sources if s["kind"] == "zone"],
        "certificate_logs": [{"via": s["via"], "synced": s["last_synced"], "names": s["names"],
                              "wildcards": s["wildcards"]}
                             for s in sources if s["kind"] == "ct"],
        "unlisted": unlisted,
        "not_in_zone": not_in_zone,
        "deregistered_in_zone": deregistered_in_zone,
        "matched": matched,
    }
