"""Checks on what the DNS probe saw: names that do not resolve, names that should not, and
CNAME chains that lead nowhere."""

from __future__ import annotations

from typing import Any

from domainwatch.checks import CheckResult
from domainwatch.names import display_name
from domainwatch.rules import rule_ids
from domainwatch.store import FindingDraft
from domainwatch.takeover import catalogue, unclaimable_service

#: What :func:`check_dns` judges; ``hijacked.dns_changed``, of the same stage, needs a baseline
#: (:func:`~domainwatch.checks.web.check_dns_change`).
RULES = rule_ids(stage="dns", baseline=False)


def check_dns(entry: dict[str, Any], dns: dict[str, Any]) -> CheckResult:
    """Evaluate the DNS rules for one register entry and its latest DNS observation.

    ``dns`` is the stored observation (``DNSObservation.fingerprint()``). An unresolved
    observation (timeout, SERVFAIL, …) evaluates nothing: a failure is never "does not exist".
    """
    status = dns["status"]
    if status == "unresolved":
        return CheckResult()
    result = CheckResult(evaluated=set(RULES))
    name = entry["name"]
    shown = display_name(name)
    chain = list(dns.get("cname_chain") or [])
    addresses = list(dns.get("a") or []) + list(dns.get("aaaa") or [])
    base = {"name": name, "status": status, "cname_chain": chain, "addresses": addresses,
            "statuses": dns.get("statuses", {})}

    if status in ("cname_dangling", "cname_loop"):
        end = chain[-1] if chain else name
        if status == "cname_loop":
            summary = f"{shown}: CNAME chain loops ({' → '.join([shown, *chain])})"
            severity = "medium"
        else:
            ending = ("does not exist (NXDOMAIN)" if dns.get("chain_end") == "nxdomain"
                      else "has no address")
            summary = f"{shown}: CNAME chain ends at {display_name(end)}, which {ending}"
            severity = "high"
        evidence = {**base, "target": end, "chain_end": dns.get("chain_end")}
        service = unclaimable_service(end, catalogue()) if status == "cname_dangling" else None
        if service is not None:
            # Still a broken name, but nobody else can create the target to serve it.
            severity = "medium"
            summary += (f"; {service.name} ({service.provider}) does not let anyone else claim "
                        f"it: {service.why_not_claimable}")
            evidence.update(service=service.name, provider=service.provider, claimable=False,
                            why_not_claimable=service.why_not_claimable,
                            reference=service.reference)
        result.findings.append(FindingDraft("dangling.cname", severity, summary, evidence,
                                            subject=end))

    if entry["state"] == "active":
        if status in ("nxdomain", "no_address"):
            reason = ("does not exist (NXDOMAIN)" if status == "nxdomain"
                      else "has no address record (the name exists)")
            result.findings.append(FindingDraft(
                "unused.no_dns", "medium", f"{shown} is active in the register but {reason}",
                base))
    elif status == "resolves" or chain:
        state = entry["state"]
        result.findings.append(FindingDraft(
            "unused.offline_still_resolving", "high",
            f"{shown} is {state} in the register but still resolves"
            + (f" to {', '.join(addresses)}" if addresses else f" (CNAME {display_name(chain[0])})")
            + "; its domain must be deregistered",
            {**base, "state": state}))
    return result
