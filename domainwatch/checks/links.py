"""Checks on the hosts a site refers its visitors to (the Subei case).

Every distinct outbound host of a scan is checked once (:class:`HostState`): does it
resolve, does a web server answer, does it show hijack signals (illicit content, cloaking,
an off-site redirect: the same checks as a register entry's own site). The findings are
raised on the linking entry, with the pages, elements and link texts that refer to the
host, so that the administrator knows which column of which site to fix.

A host whose state could not be had (a DNS failure, the per-run budget) is unknown: the
entry's findings about it are left as they were (:func:`unknown_hosts` lists them for the
store), so nothing is resolved on a guess, while its other hosts are judged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from domainwatch.checks import CheckResult
from domainwatch.checks.registration import Dependency
from domainwatch.names import display_name, registrable_domain
from domainwatch.probes.links import Reference
from domainwatch.rules import rule_ids
from domainwatch.store import FindingDraft

RULES = rule_ids(stage="links")


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
    """Evaluate the link rules for the entry ``name`` from its pages' ``references``; an
    unknown host raises nothing (and its findings are to be left alone:
    :func:`unknown_hosts`)."""
    result = CheckResult(evaluated=set(RULES))
    shown = display_name(name)
    for host, refs in sorted(references.items()):
        state = states.get(host)
        if state is None or state.state == "unknown":
            continue
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


def unknown_hosts(references: dict[str, list[Reference]],
                  states: dict[str, HostState]) -> set[str]:
    """The hosts among ``references`` whose state this run could not tell."""
    return {host for host in references
            if host not in states or states[host].state == "unknown"}


def link_dependencies(name: str, references: dict[str, list[Reference]],
                      known: set[str]) -> list[Dependency]:
    """The registrable domains of the hosts ``name``'s pages refer to, as registration
    dependencies (role ``linked host``): the entry's own domain and the domains in
    ``known`` (already dependencies of another kind) left out."""
    own = registrable_domain(name)
    found: list[Dependency] = []
    seen: set[str] = set()
    for host in sorted(references):
        domain = registrable_domain(host)
        if domain is None or domain == own or domain in known or domain in seen:
            continue
        seen.add(domain)
        found.append(Dependency(domain, host, "linked host"))
    return found


def with_references(draft: FindingDraft, references: dict[str, list[Reference]]
                    ) -> FindingDraft:
    """A registration finding about linked hosts, with where the pages link to them."""
    hosts = [via["host"] for via in draft.evidence.get("depends_via", [])
             if via.get("role") == "linked host"]
    refs = [ref.as_dict() for host in hosts for ref in references.get(host, [])][:10]
    if not refs:
        return draft
    return dataclasses.replace(draft, evidence={**draft.evidence, "references": refs})


def _where(refs: list[Reference]) -> str:
    first = refs[0]
    label = f"link “{first.text}”" if first.element.startswith("a") and first.text \
        else first.element
    more = f" and {len(refs) - 1} more" if len(refs) > 1 else ""
    return f"{label} on {first.page}{more}"
