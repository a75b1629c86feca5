"""Checks on registration: the registrable domains an entry depends on, and whether anyone
could register them.

An entry depends on the registrable domain of every CNAME target, NS host and MX host its
DNS observation shows, and on its own name when that lies outside ``gov.cn`` and ``.政务``
(legacy ``.com``/``.cn`` bureau domains are exactly the ones that lapse).

A dependency's owner is what its WHOIS records said when monitoring began, field by field
(:func:`owner_baseline`): each owner field's first known value, from the record an
administrator accepted or else from the earliest registered record that shows it. A field
a record leaves empty or withholds (``REDACTED FOR PRIVACY``, ``不公开``) is unknown there,
and an unknown is never a change of owner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domainwatch import clock
from domainwatch.checks import CheckResult
from domainwatch.names import display_name, government_suffix, registrable_domain
from domainwatch.probes.whois import default_registries, fold
from domainwatch.rules import rule_ids
from domainwatch.settings import DEFAULT_EXPIRY_WINDOW
from domainwatch.store import FindingDraft

RULES = rule_ids(stage="registration", category="unregistered")
LINK_RULE = "link.unregistered"
CONCLUSIVE = ("registered", "unregistered", "reserved")
#: How a dependency makes a takeover possible, worst first.
SEVERITY_BY_ROLE = {"own name": "critical", "CNAME target": "critical",
                    "name server": "critical", "linked host": "critical",
                    "mail server": "high"}
#: The fields that say who holds a domain; ``created`` changes when it is registered anew
#: (dropped and caught by someone else).
OWNER_FIELDS = ("registrar", "registrant", "name_servers", "created")


@dataclass(frozen=True)
class Dependency:
    domain: str       # the registrable domain
    host: str         # the name that lies in it
    role: str         # "own name", "CNAME target", "name server", "mail server",
                      # "linked host" (a host the entry's page links to or loads from)


def dependencies(name: str, dns: dict[str, Any] | None) -> list[Dependency]:
    """The registrable domains ``name`` depends on, with how."""
    found: list[Dependency] = []
    if government_suffix(name) is None:
        domain = registrable_domain(name)
        if domain is not None:
            found.append(Dependency(domain, name, "own name"))
    if dns is not None:
        hosts = [(target, "CNAME target") for target in dns.get("cname_chain", [])]
        hosts += [(host, "name server") for host in dns.get("ns", [])]
        hosts += [(record.split()[-1], "mail server") for record in dns.get("mx", [])
                  if record.split()]
        for host, role in hosts:
            domain = registrable_domain(host)
            if domain is not None:
                found.append(Dependency(domain, host, role))
    seen: set[tuple[str, str]] = set()
    unique = []
    for dependency in found:
        if (dependency.domain, dependency.role) not in seen:
            seen.add((dependency.domain, dependency.role))
            unique.append(dependency)
    return unique


def check_registration(name: str, needs: list[Dependency], records: dict[str, dict[str, Any]],
                       previous: dict[str, dict[str, Any] | None], *,
                       now: datetime | None = None,
                       expiry_window: timedelta = DEFAULT_EXPIRY_WINDOW,
                       complete: bool = True) -> CheckResult:
    """Evaluate the ``unregistered.*`` rules for one name.

    ``records`` maps each needed domain to its WHOIS record (as a dict) from this run;
    ``previous`` to its owner baseline (:func:`owner_baseline`; one registered record is a
    baseline too), if any. When any needed domain's answer was inconclusive (rate limit,
    error), nothing is evaluated: an unknown is never "unregistered", and a finding is never
    resolved on a guess. ``complete`` False (the name's own DNS failed, so only some of its
    dependencies are known) reports what holds but resolves nothing.
    """
    if any(records.get(need.domain, {}).get("status") not in CONCLUSIVE for need in needs):
        return CheckResult()
    now = now or datetime.now(UTC)
    rules = set(RULES) | ({LINK_RULE} if any(n.role == "linked host" for n in needs) else set())
    result = CheckResult(evaluated=rules if complete else set())
    shown = display_name(name)
    for domain in dict.fromkeys(need.domain for need in needs):
        record = records[domain]
        how = [need for need in needs if need.domain == domain]
        roles = ", ".join(f"{need.role} {display_name(need.host)}" for need in how)
        severity = min((SEVERITY_BY_ROLE[need.role] for need in how),
                       key=("critical", "high").index)
        evidence = {"domain": domain, "depends_via": [
            {"role": need.role, "host": need.host} for need in how], "whois": _whois_evidence(
                record)}
        if record["status"] == "unregistered":
            if all(need.role == "linked host" for need in how):
                hosts = ", ".join(display_name(need.host) for need in how)
                result.findings.append(FindingDraft(
                    LINK_RULE, severity,
                    f"{shown} links to {hosts}, whose domain {display_name(domain)} is not "
                    "registered: anyone can register it and serve anything to the site's "
                    "visitors", evidence, subject=domain))
                continue
            result.findings.append(FindingDraft(
                "unregistered.domain", severity,
                f"{shown} depends on {display_name(domain)} ({roles}), which is not "
                "registered: anyone can register it and take over", evidence, subject=domain))
            continue
        if record["status"] != "registered":
            continue
        expires = record.get("expires")
        if expires and clock.parse(expires) - now <= expiry_window:
            days = (clock.parse(expires) - now).days
            result.findings.append(FindingDraft(
                "unregistered.expiring", "high" if days <= 7 else "medium",
                f"{shown} depends on {display_name(domain)} ({roles}), whose registration "
                + (f"expires in {days} days ({expires[:10]})" if days >= 0
                   else f"expired on {expires[:10]}"),
                {**evidence, "expires": expires, "days_left": days}, subject=domain))
        before = previous.get(domain)
        if before is not None:
            changed = _owner_changes(before, record)
            if changed:
                since = min(_known_since(before, field) for field in changed)
                result.findings.append(FindingDraft(
                    "unregistered.owner_changed", "high",
                    f"{shown} depends on {display_name(domain)} ({roles}), whose "
                    f"{', '.join(changed)} changed since {since[:10] or '?'}",
                    {**evidence, "changed": changed, "since": since or None},
                    subject=domain))
    return result


def known_value(value: Any) -> Any:
    """An owner field's value when it says something; None when it is missing or empty or
    withholds the field (a redaction notice: :meth:`RegistryTable.withholds`)."""
    if not value or (isinstance(value, str) and default_registries().withholds(value)):
        return None
    return value


def owner_baseline(observations: Iterable[Mapping[str, Any]],
                   accepted: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The owner a domain's WHOIS history establishes, to compare its latest record with.

    ``observations`` are the domain's ``whois`` observations as the store keeps them (each
    with ``data``, ``first_seen`` and ``last_seen``; in any order), ``accepted`` its accepted
    ``whois`` baseline (``data`` and ``adopted_at``), if any. Each owner field takes its
    first known value (:func:`known_value`): from the accepted record, then from the
    registered records seen since it was accepted; without one, from every registered
    record, oldest first. The result is shaped as a record (the :data:`OWNER_FIELDS`,
    ``asked``), with ``known_since``: when each known field's value was first seen. None
    when nothing is registered.
    """
    records: list[tuple[str, Mapping[str, Any]]] = []
    if accepted is not None:
        records.append((accepted["adopted_at"], accepted["data"]))
    for row in sorted(observations, key=lambda row: (row["first_seen"], row.get("id", 0))):
        if accepted is None or row["last_seen"] >= accepted["adopted_at"]:
            records.append((row["first_seen"], row["data"]))
    records = [(seen, data) for seen, data in records if data.get("status") == "registered"]
    if not records:
        return None
    baseline: dict[str, Any] = {field: None for field in OWNER_FIELDS}
    baseline["asked"] = records[0][0]
    since: dict[str, str] = {}
    for seen, data in records:
        for field in OWNER_FIELDS:
            if field not in since and known_value(data.get(field)) is not None:
                baseline[field], since[field] = data[field], seen
    baseline["known_since"] = since
    return baseline


def _owner_changes(before: Mapping[str, Any], record: Mapping[str, Any]
                   ) -> dict[str, dict[str, Any]]:
    """The owner fields whose known values differ between ``before`` (a baseline) and
    ``record``, ignoring case. A field either does not know cannot be compared."""
    changes: dict[str, dict[str, Any]] = {}
    for field in OWNER_FIELDS:
        was, now = known_value(before.get(field)), known_value(record.get(field))
        if was is not None and now is not None and _folded(was) != _folded(now):
            changes[field] = {"from": was, "to": now}
    return changes


def _folded(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return sorted(fold(str(part)) for part in value)
    return fold(str(value))


def _known_since(before: Mapping[str, Any], field: str) -> str:
    """When ``before`` first knew ``field``: its ``known_since``, else the record's ``asked``
    ("" when neither says)."""
    return str(before.get("known_since", {}).get(field) or before.get("asked") or "")


def _whois_evidence(record: dict[str, Any]) -> dict[str, Any]:
    keep = ("status", "server", "registrar", "registrant", "name_servers", "created",
            "expires", "detail", "asked")
    return {key: record.get(key) for key in keep}
