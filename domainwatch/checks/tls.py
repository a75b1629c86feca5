"""Checks on the certificate and TLS of a name's own HTTPS endpoint.

``tls.expiring`` and ``tls.invalid`` judge the certificate the name itself presents (the
first HTTPS hop, before any redirect); ``hijacked.cert_changed`` compares its key and issuer
with the baseline; ``tls.weak`` (added to the catalogue) reports a server that still speaks
only TLS 1.0 or 1.1, which domainwatch reads anyway so that an old site does not look dead.
A self-signed certificate counts as invalid only when the baseline's was not. Entries that
are not active are judged for ``hijacked.cert_changed`` only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domainwatch import clock
from domainwatch.checks import CheckResult
from domainwatch.names import display_name
from domainwatch.probes.web_record import WebRecord
from domainwatch.rules import rule_ids
from domainwatch.settings import TlsCheckSettings
from domainwatch.store import FindingDraft

RULES = rule_ids(stage="tls")
WEAK_VERSIONS = ("TLSv1", "TLSv1.1", "SSLv3")


def check_tls(entry: dict[str, Any], record: WebRecord,
              baseline: dict[str, Any] | None, settings: TlsCheckSettings | None = None,
              now: datetime | None = None) -> CheckResult:
    settings = settings or TlsCheckSettings()
    now = now or datetime.now(UTC)
    certificate = record.leaf_certificate()
    if certificate is None:
        return CheckResult()  # no HTTPS answer with a certificate: nothing to judge
    # A closed site's certificate is no longer the owner's concern, except when it changes:
    # a new key on an offline name is how a takeover shows.
    active = entry["state"] == "active"
    result = CheckResult(evaluated=set(RULES) if active else {"hijacked.cert_changed"})
    name = entry["name"]
    shown = display_name(name)
    summary = {key: certificate[key] for key in (
        "sha256", "spki_sha256", "subject_cn", "sans", "issuer", "issuer_cn", "not_before",
        "not_after", "self_signed", "key", "tls_version", "cipher")}
    base = (baseline or {}).get("data") or {}

    problems = [p for p in certificate["problems"]
                if p != "self_signed" or not base.get("self_signed")]
    if problems and active:
        detail = certificate["detail"]
        severity = "medium" if problems == ["untrusted"] else "high"
        hint = ""
        if problems == ["untrusted"]:
            hint = ("; if it comes from a domestic CA that the system store lacks, add that "
                    "CA with --ca-file")
        result.findings.append(FindingDraft(
            "tls.invalid", severity,
            f"{shown}'s certificate is not valid: "
            + "; ".join(f"{problem.replace('_', ' ')} ({detail.get(problem, '')})"
                        for problem in problems) + hint,
            {"problems": problems, "detail": {p: detail.get(p) for p in problems},
             "certificate": summary}))

    not_after = clock.parse(certificate["not_after"])
    if active and now <= not_after <= now + settings.expiry_window:
        days = (not_after - now).days
        result.findings.append(FindingDraft(
            "tls.expiring", "high" if days < 7 else "medium",
            f"{shown}'s certificate expires in {days} days ({certificate['not_after'][:10]})",
            {"not_after": certificate["not_after"], "days_left": days,
             "window_days": settings.expiry_window.days, "certificate": summary}))

    if active and certificate["tls_version"] in WEAK_VERSIONS:
        result.findings.append(FindingDraft(
            "tls.weak", "low",
            f"{shown} speaks only {certificate['tls_version']} ({certificate['cipher']}), "
            "which current browsers refuse",
            {"tls_version": certificate["tls_version"], "cipher": certificate["cipher"]}))

    if base.get("spki_sha256"):
        changed = []
        if base["spki_sha256"] != certificate["spki_sha256"]:
            changed.append("key")
        if base.get("issuer") != certificate["issuer"]:
            changed.append("issuer")
        if changed:
            result.findings.append(FindingDraft(
                "hijacked.cert_changed", "high",
                f"{shown}'s certificate {' and '.join(changed)} changed from the baseline "
                f"(now issued by {certificate['issuer_cn'] or certificate['issuer']})",
                {"changed": changed, "baseline": base, "certificate": summary,
                 "baseline_adopted": (baseline or {}).get("adopted_at"),
                 "capture": {"at": record.at, "addresses": record.addresses,
                             "certificate": summary}}))
    return result

