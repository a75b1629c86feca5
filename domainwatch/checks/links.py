"""Checks on the hosts a site refers its visitors to (the Subei case).

Every distinct outbound host of a scan is checked once (:class:`HostState`): does it
resolve, does a web server answer, does it show hijack signals (illicit content, cloaking,
an off-site redirect: the same checks as a register entry's own site). The findings are
raised on the linking entry, with the pages, elements and link texts that refer to the
host, so that the administrator knows which column of which site to fix.

A host whose state could not be had (a DNS failure, the per-run budget) is unknown: while
any of an entry's hosts is unknown, its link rules are not evaluated, so nothing is resolved
on a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domainwatch.checks import CheckResult
from domainwatch.names import display_name, registrable_domain
from domainwatch.probes.links import Reference
from domainwatch.store import FindingDraft

RULES = ("link.dead", "link.hijacked")
CONCLUSIVE = ("registered", "unregistered", "reserved")


@dataclass
class HostState:
    """What one outbound host showed this run. ``state``: ``ok``, ``dead``, ``hijacked`` or
    ``unknown``; ``detail`` says why (the DNS status or the web failures, or the hijack
    findings' summaries and capture)."""

    host: str
    state: str
    detail: dict[str, Any] = field(default_factory=dict)


def check_links(name: str, references: dict[str, list[Reference]],
                states: dict[str, HostState]) -> CheckResult:
    """Evaluate the link rules for the entry ``name`` from its pages' ``references``."""
    known = {host: states.get(host) for host in references}
    if any(state is None or state.state == "unknown" for state in known.values()):
        return CheckResult()
    result = CheckResult(evaluated=set(RULES))
    shown = display_name(name)
    for host, refs in sorted(references.items()):
        state = known[host]
        assert state is not None
        where = _where(refs)
        evidence = {"host": host, "references": [ref.as_dict() for ref in refs],
                    **state.detail}
        if state.state == "dead":
            result.findings.append(FindingDraft(
                "link.dead", "medium",
                f"{shown} links to {display_name(host)}, which {state.detail.get('why', '')}"
                f" ({where})", evidence, subject=host))
        elif state.state == "hijacked":
            signals = "; ".join(state.detail.get("summaries", [])[:2])
            result.findings.append(FindingDraft(
                "link.hijacked", "critical",
                f"{shown} sends its visitors to {display_name(host)}, which shows hijack "
                f"signals ({where}): {signals}", evidence, subject=host))
    return result


def link_domains(name: str, references: dict[str, list[Reference]]) -> dict[str, list[str]]:
    """The registrable domains of the hosts ``name``'s pages refer to (its own domain
    left out), each with those hosts."""
    own = registrable_domain(name)
    domains: dict[str, list[str]] = {}
    for host in sorted(references):
        domain = registrable_domain(host)
        if domain is not None and domain != own:
            domains.setdefault(domain, []).append(host)
    return domains


def check_link_registration(name: str, domains: dict[str, list[str]],
                            references: dict[str, list[Reference]],
                            records: dict[str, dict[str, Any]]) -> CheckResult:
    """``link.unregistered``: a linked host's registrable domain is not registered: one
    registration away from the Subei case. Evaluated only when every linked domain's WHOIS
    answer was conclusive."""
    if any(records.get(domain, {}).get("status") not in CONCLUSIVE for domain in domains):
        return CheckResult()
    result = CheckResult(evaluated={"link.unregistered"})
    shown = display_name(name)
    for domain, hosts in domains.items():
        record = records[domain]
        if record["status"] != "unregistered":
            continue
        refs = [ref for host in hosts for ref in references[host]]
        result.findings.append(FindingDraft(
            "link.unregistered", "critical",
            f"{shown} links to {', '.join(display_name(h) for h in hosts)}, whose domain "
            f"{display_name(domain)} is not registered: anyone can register it and serve "
            f"anything to the site's visitors ({_where(refs)})",
            {"domain": domain, "hosts": hosts, "references": [r.as_dict() for r in refs[:10]],
             "whois": {key: record.get(key) for key in ("status", "server", "detail",
                                                        "asked")}},
            subject=domain))
    return result


def _where(refs: list[Reference]) -> str:
    first = refs[0]
    label = f"link “{first.text}”" if first.element.startswith("a") and first.text \
        else first.element
    more = f" and {len(refs) - 1} more" if len(refs) > 1 else ""
    return f"{label} on {first.page}{more}"
