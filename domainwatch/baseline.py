"""Baselines: the fingerprint an administrator accepted as "this is what our site is".

A name's first clean observation (no hijack signal) becomes its provisional baseline on its
own (``first-seen``); :func:`accept` adopts the current fingerprint (``accepted``): the DNS
answers, the page, the certificate, and the WHOIS record of the domains the name depends on.
The findings that compare with a baseline resolve at once, since the current fingerprint is
now the baseline.
"""

from __future__ import annotations

from typing import Any

from domainwatch.names import registrable_domain
from domainwatch.rules import rule_ids
from domainwatch.store import FindingChanges, Store, utcnow

BASELINE_RULES = rule_ids(baseline=True)
DNS_KEYS = ("a", "aaaa", "ns", "cname_chain")
WEB_KEYS = ("final_url", "status", "title", "text_hash", "sketch", "signals")
TLS_KEYS = ("spki_sha256", "issuer", "issuer_cn", "sha256", "self_signed", "not_after")


class NothingToAccept(Exception):
    """The name has never been observed."""


def dns_baseline(fingerprint: dict[str, Any]) -> dict[str, Any]:
    return {key: fingerprint.get(key, []) for key in DNS_KEYS}


def web_baseline(data: dict[str, Any]) -> dict[str, Any] | None:
    """What a web baseline keeps, from a web observation's data."""
    if data.get("text_hash") is None:
        return None
    return {key: data.get(key) for key in WEB_KEYS}


def tls_baseline(data: dict[str, Any]) -> dict[str, Any] | None:
    """What a certificate baseline keeps: the name's own HTTPS endpoint's leaf."""
    hops = data.get("visits", {}).get("https", {}).get("hops", [])
    sha = hops[0].get("certificate") if hops else None
    certificate = data.get("certificates", {}).get(sha) if sha else None
    if certificate is None:
        return None
    return {key: certificate.get(key) for key in TLS_KEYS}


def accept(store: Store, name: str, by: str) -> tuple[dict[str, str], FindingChanges]:
    """Adopt ``name``'s latest observations as its baseline; return what was adopted
    (probe → a short description) and the findings resolved by it."""
    at = utcnow()
    adopted: dict[str, str] = {}
    with store.transaction():
        dns = store.observations(name, "dns", limit=1)
        if dns:
            store.set_baseline(name, "dns", dns_baseline(dns[0]["data"]), at=at, by=by,
                               how="accepted")
            addresses = dns[0]["data"].get("a", []) + dns[0]["data"].get("aaaa", [])
            adopted["dns"] = " ".join(addresses) or dns[0]["data"].get("status", "")
        web = store.observations(name, "web", limit=1)
        if web:
            page = web_baseline(web[0]["data"])
            if page is not None:
                store.set_baseline(name, "web", page, at=at, by=by, how="accepted")
                adopted["web"] = f"{page['final_url']} {page['title']!r}"
            certificate = tls_baseline(web[0]["data"])
            if certificate is not None:
                store.set_baseline(name, "tls", certificate, at=at, by=by, how="accepted")
                adopted["tls"] = f"key {certificate['spki_sha256'][:16]}…, issuer " \
                                 f"{certificate['issuer_cn'] or certificate['issuer']}"
        domains = {f["subject"] for f in store.findings(status="all", name=name,
                                                        rule="unregistered.owner_changed")}
        own = registrable_domain(name)
        if own is not None:
            domains.add(own)
        unsettled = False
        for domain in sorted(domains):
            latest = store.observations(domain, "whois", limit=1)
            if latest and latest[0]["data"].get("status") == "registered":
                store.set_baseline(domain, "whois", latest[0]["data"], at=at, by=by,
                                   how="accepted")
                adopted[f"whois {domain}"] = latest[0]["data"].get("registrant") or "registered"
            elif domain != own:
                unsettled = True
        if not adopted:
            raise NothingToAccept(f"{name} has not been scanned yet; scan it first")
        rules = [rule for rule in BASELINE_RULES
                 if not (unsettled and rule == "unregistered.owner_changed")]
        changes = store.reconcile_findings(name, rules, [], None, at)
    return adopted, changes
