"""Checks on what a name points at: lame delegations, MX hosts that do not resolve, and CNAMEs
into hosting services that would let anyone claim the name (``dangling.ns``, ``dangling.mx``,
``dangling.service``). Whether their domains are registered is the
registration checks' part (``unregistered.domain`` with the role "name server" or "mail
server")."""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from typing import Any

from domainwatch.checks import CheckResult
from domainwatch.names import display_name, is_under
from domainwatch.store import FindingDraft
from domainwatch.takeover import ServiceMatch

#: A host lookup that settled the question; anything else (servfail, timeout) is unknown.
HOST_GONE = ("nxdomain", "no_address")


@functools.cache
def hosting_providers() -> list[dict[str, Any]]:
    """DNS hosts that let anyone create a zone (``data/dns-hosting-providers.json``)."""
    text = (files("domainwatch.data") / "dns-hosting-providers.json").read_text("utf-8")
    providers: list[dict[str, Any]] = json.loads(text)["providers"]
    return providers


def sitting_duck(host: str) -> str | None:
    """The provider whose name server ``host`` is, if anyone can create zones there."""
    for provider in hosting_providers():
        if any(is_under(host, suffix) for suffix in provider["ns_suffixes"]):
            return str(provider["provider"])
    return None


def check_mx(name: str, mx: list[str], hosts: dict[str, tuple[list[str], str]]) -> CheckResult:
    """``dangling.mx``: an MX host of ``name`` does not resolve. ``hosts`` maps host names
    to their addresses and, when none, why."""
    targets = [record.split()[-1] for record in mx if record.split()]
    if any(not hosts[t][0] and hosts[t][1] not in HOST_GONE for t in targets):
        return CheckResult()
    result = CheckResult(evaluated={"dangling.mx"})
    for target in targets:
        addresses, why = hosts[target]
        if not addresses:
            reason = "does not exist" if why == "nxdomain" else "has no address"
            result.findings.append(FindingDraft(
                "dangling.mx", "high",
                f"{display_name(name)}: mail server {display_name(target)} {reason}; mail "
                "for the domain goes nowhere, or to whoever creates that name",
                {"name": name, "mx": target, "lookup": why}, subject=target))
    return result


def check_ns(name: str, delegations: list[dict[str, Any]]) -> CheckResult:
    """``dangling.ns``: a zone ``name`` lives in is lamely delegated, or one of its name
    servers' host names does not resolve. ``delegations`` are ``Delegation.as_dict()`` of
    those zones; an ``unknown`` one (its parent could not be asked) evaluates nothing."""
    if any(delegation["status"] == "unknown" for delegation in delegations):
        return CheckResult()
    result = CheckResult(evaluated={"dangling.ns"})
    for delegation in delegations:
        bad = [server for server in delegation["servers"]
               if server["outcome"] != "authoritative"]
        if not bad:
            continue
        ducks = sorted({duck for server in bad if (duck := sitting_duck(server["host"]))})
        what = "; ".join(
            f"{display_name(server['host'])}"
            + (f" ({server['address']})" if server["address"] else "")
            + f" {_OUTCOMES.get(server['outcome'], server['outcome'])}" for server in bad)
        summary = (f"{display_name(name)}: the delegation of {display_name(delegation['zone'])}"
                   f" is lame: {what}")
        if ducks:
            summary += f"; {', '.join(ducks)} lets anyone create that zone"
        result.findings.append(FindingDraft(
            "dangling.ns", "critical" if ducks else "high", summary,
            {**delegation, "sitting_duck_providers": ducks}, subject=delegation["zone"]))
    return result


_OUTCOMES = {
    "refused": "refuses the zone",
    "servfail": "answers SERVFAIL",
    "not_authoritative": "does not answer authoritatively",
    "timeout": "does not answer",
    "error": "cannot be asked",
    "nxdomain": "does not exist",
    "no_address": "has no address",
}


#: How sure a service signature is, as the severity of a match.
SEVERITY_BY_CONFIDENCE = {"high": "critical", "medium": "high", "low": "medium"}


def check_service(name: str, matched: ServiceMatch | None) -> CheckResult:
    """``dangling.service``: the name's CNAME chain enters a hosting service that answers
    "no such site / bucket", so anyone could claim it there."""
    result = CheckResult(evaluated={"dangling.service"})
    if matched is not None:
        service = matched.service
        result.findings.append(FindingDraft(
            "dangling.service", SEVERITY_BY_CONFIDENCE[service.confidence],
            f"{display_name(name)} points at {service.name} ({service.provider}), which "
            f"answers that there is no such site or bucket: anyone can claim "
            f"{display_name(matched.evidence.get('target', ''))} there and serve this name",
            {"name": name, "service": service.name, "provider": service.provider,
             "confidence": service.confidence, "reference": service.reference,
             **matched.evidence}, subject=str(matched.evidence.get("target", ""))))
    return result
