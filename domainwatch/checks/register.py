"""Checks on the register itself: the naming rules of 国办函〔2018〕55号, and the register
against the zones it should match (names opened without approval, entries a zone dropped,
wildcard records)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domainwatch.checks import CheckResult
from domainwatch.names import (
    NamingProblem,
    display_name,
    governments_by_division,
    naming_problems,
)
from domainwatch.reconcile import (
    ZoneIndex,
    answer_of,
    infrastructure_role,
    recent_certificate,
)
from domainwatch.rules import rule_ids
from domainwatch.store import FindingDraft

#: The register rules about an entry: ``register.wildcard`` is raised on a managed domain.
ENTRY_RULES = tuple(rule for rule in rule_ids(stage="register") if rule != "register.wildcard")


def entry_naming_problems(entry: Mapping[str, Any],
                          entries: Mapping[str, Mapping[str, Any]] | None = None,
                          governments: Mapping[str, Mapping[str, Any]] | None = None,
                          ) -> list[NamingProblem]:
    """The naming problems of a register entry, told by the rest of the register
    (``entries`` by name; ``governments`` from them when not given)."""
    if entries is not None and governments is None:
        governments = governments_by_division(entries.values())
    parent = entries.get(entry["parent"]) if entries and entry["parent"] else None
    return naming_problems(entry["name"], entry["parent"], owner=entry.get("owner") or "",
                           site_code=entry.get("site_code") or "",
                           parent_site_code=(parent or {}).get("site_code") or "",
                           governments=governments)


def check_register_entry(entry: dict[str, Any], zones: ZoneIndex | None = None, *,
                         entries: Mapping[str, Mapping[str, Any]] | None = None,
                         governments: Mapping[str, Mapping[str, Any]] | None = None,
                         ) -> CheckResult:
    """Rules about an entry that need no probe. An entry is never unlisted: a finding from
    before it was added resolves here.

    ``entries`` (the register by name) gives the parent's site code, and ``governments``
    (:func:`~domainwatch.names.governments_by_division` of the register, built once per
    scan) the government of the entry's division: with them a department holding a
    second-level domain of its own is told by its site code as well as by its owner.
    """
    result = CheckResult(evaluated=set(ENTRY_RULES))
    for problem in entry_naming_problems(entry, entries, governments):
        result.findings.append(FindingDraft(
            rule="register.naming", severity=problem.severity, summary=problem.summary,
            evidence={"problem": problem.code, **problem.evidence}, subject=problem.code))
    if zones is not None and entry["state"] == "active":
        zone = zones.zone_of(entry["name"])
        if zone is not None and entry["name"] not in zones.zones[zone]:
            result.findings.append(FindingDraft(
                "register.not_in_zone", "medium",
                f"{display_name(entry['name'])} is active in the register but the zone "
                f"{display_name(zone)} (synced {zones.synced[zone]}) no longer contains it",
                {"name": entry["name"], "zone": zone, "zone_synced": zones.synced[zone]}))
    return result


def check_unlisted(name: str, managed_by: str | None, sources: list[dict[str, Any]],
                   dns: dict[str, Any] | None, zones: ZoneIndex,
                   wildcard: dict[str, Any] | None) -> CheckResult:
    """``register.unlisted`` for a discovered name that is not in the register.

    It holds when the name sits under a managed domain, a source still lists it, it is not
    the zone's own infrastructure (apex, name server, mail server), and it is live: it
    resolves (and not merely through a wildcard record), or it has a valid or recently
    issued certificate. ``dns`` None means the name could not be resolved this time; then
    only the certificate can decide, and a DNS-based finding is left as it was.
    """
    listed = [row for row in sources if row["present"]]
    if managed_by is None or not listed or infrastructure_role(listed):
        return CheckResult(evaluated={"register.unlisted"})
    certificate = recent_certificate(listed)
    resolves = dns is not None and dns["status"] in ("resolves", "cname_dangling")
    explicit = zones.lists(name)
    through_wildcard = (resolves and not explicit and wildcard is not None
                        and wildcard.get("status") == "resolves"
                        and answer_of(dns or {}) == answer_of(wildcard))
    if dns is None and certificate is None:
        return CheckResult()
    result = CheckResult(evaluated={"register.unlisted"})
    live = (resolves and not through_wildcard) or certificate is not None
    if not live:
        return result
    seen_in = sorted({f"{row['kind']} {display_name(row['label'])}" for row in listed})
    reason = ("resolves" + (f" to {', '.join(answer_of(dns or {})[0])}"
                            if dns and answer_of(dns)[0] else "")
              if resolves and not through_wildcard else "has a valid certificate")
    result.findings.append(FindingDraft(
        "register.unlisted", "medium",
        f"{display_name(name)} {reason} under {display_name(managed_by)} but is not in the "
        f"register (opened without approval?); seen in {', '.join(seen_in)}",
        {"name": name, "managed_domain": managed_by, "sources": [
            {"kind": row["kind"], "label": row["label"], "first_seen": row["first_seen"],
             "last_seen": row["last_seen"], "detail": row["detail"]} for row in listed],
         "dns_status": dns["status"] if dns else None,
         "addresses": list(answer_of(dns)[0]) if dns else [],
         "certificate": certificate, "listed_in_zone": explicit}))
    return result


def check_wildcard(domain: str, probe_name: str, dns: dict[str, Any],
                   zones: ZoneIndex) -> CheckResult:
    """``register.wildcard``: a random name under a managed domain resolves."""
    if dns["status"] == "unresolved":
        return CheckResult()
    result = CheckResult(evaluated={"register.wildcard"})
    if dns["status"] == "resolves" or dns.get("cname_chain"):
        addresses, target = answer_of(dns)
        result.findings.append(FindingDraft(
            "register.wildcard", "medium",
            f"*.{display_name(domain)} answers for any name (a wildcard record): "
            f"{', '.join(addresses or target) or 'a CNAME'}; wildcards are how spam "
            "'spider pools' use a government domain",
            {"domain": domain, "probe": probe_name, "addresses": list(addresses),
             "cname_chain": dns.get("cname_chain", []),
             "zone_wildcards": zones.wildcards.get(domain, [])},
            subject=f"*.{domain}"))
    return result
