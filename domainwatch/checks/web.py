"""Checks on what the web probe saw: sites that are not there, not used, or not ours any more.

Pure functions: one register entry, its web observation, its DNS fingerprint and its
baselines in; the rules evaluated and the findings that hold out. ``unused.*`` rules apply to
active entries only (an offline entry's duty is deregistration, already reported by
``unused.offline_still_resolving``); ``hijacked.*`` rules apply whatever the state: a closed
site whose domain was taken over is the case this project exists for.

Every hijack, redirect and cloaking finding carries a ``capture``: the request made, the
response headers, the first part of the body as received, the redirect chain, the addresses
and the certificate at that moment, and when.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from domainwatch.checks import CheckResult
from domainwatch.content import match_placeholder, score_illicit
from domainwatch.names import display_name, registrable_domain
from domainwatch.probes.page import Page, decode_sketch, similarity
from domainwatch.probes.web import CloakFetch, Landing, WebObservation, headers_evidence
from domainwatch.store import FindingDraft

UNUSED_RULES = ("unused.no_web", "unused.placeholder", "unused.stale")
HIJACK_RULES = ("hijacked.content", "hijacked.cloaking", "hijacked.redirect",
                "hijacked.content_changed")
#: The subject of ``hijacked.content`` found on the pages beyond the home page.
SITE_PAGES = "pages"
#: The rules whose presence keeps a first observation from becoming the baseline.
HIJACK_SIGNALS = ("hijacked.content", "hijacked.cloaking", "hijacked.redirect")
GOVERNMENT_SUFFIXES = ("gov.cn", "xn--zfr164b")  # .政务 in IDNA form
PLACEHOLDER_KINDS = {"server-default": "a web server's default page",
                     "panel-default": "a hosting panel's default page",
                     "parked": "a parked-domain page",
                     "under-construction": "an under-construction page",
                     "empty": "an empty page"}


@dataclass
class WebCheckSettings:
    """Thresholds of the web checks (the ``[web]`` section of the configuration)."""

    stale_after: timedelta = timedelta(days=14)
    change_similarity: float = 0.3
    cloaking_similarity: float = 0.5
    hidden_links: int = 5
    allowed_suffixes: tuple[str, ...] = GOVERNMENT_SUFFIXES
    allowed_hosts: tuple[str, ...] = ()


@dataclass
class Judgement:
    """What the content of one page says, computed once and shared by the rules."""

    illicit: Any
    placeholder: Any
    hidden_injection: dict[str, Any] | None
    signals: list[str] = field(default_factory=list)


def judge(landing: Landing, settings: WebCheckSettings, own: set[str]) -> Judgement:
    page = landing.page
    illicit = score_illicit(page.title, page.text, hidden_text=page.hidden_text)
    redirects = page.meta_refresh is not None or bool(page.script_redirects)
    placeholder = match_placeholder(page.title, page.text, landing.html, links=page.link_count,
                                    scripts=page.scripts, redirects=redirects)
    signals = sorted({signal.term for signal in illicit.signals})
    return Judgement(illicit, placeholder, hidden_injection(page, settings, own), signals)


def hidden_injection(page: Page, settings: WebCheckSettings,
                     own: set[str]) -> dict[str, Any] | None:
    """The page's hidden blocks of links to other sites, when they hold enough links to be
    an injection (black-hat SEO), else None."""
    foreign = [block for block in page.hidden
               if sum(1 for host in block.hosts if not allowed(host, settings, own)) > 0]
    foreign_links = sum(block.links for block in foreign)
    if foreign and foreign_links >= settings.hidden_links:
        return {"blocks": [block.as_dict() for block in foreign[:5]], "links": foreign_links}
    return None


def page_content(url: str, page: Page, settings: WebCheckSettings,
                 own: set[str]) -> dict[str, Any] | None:
    """What a page the crawl read beyond the home page shows of injected content (illicit
    signals, a hidden block of links to other sites), or None when it shows none."""
    illicit = score_illicit(page.title, page.text, hidden_text=page.hidden_text)
    injection = hidden_injection(page, settings, own)
    if not illicit.flagged and injection is None:
        return None
    return {"url": url, "title": page.title,
            "signals": sorted({signal.term for signal in illicit.signals}) if illicit.flagged
            else [], "illicit": illicit.as_dict() if illicit.flagged else None,
            "hidden_injection": injection}


def check_site_pages(name: str, flagged: list[dict[str, Any]], flagged_count: int,
                     complete: bool) -> tuple[CheckResult, set[str]]:
    """``hijacked.content`` for the pages the crawl read beyond the home page (subject
    ``pages``: one finding per site, however many pages), and the subjects to leave alone:
    the home page's finding (the web stage's), and this one when a crawl cut short found
    nothing (not seen is not gone)."""
    result = CheckResult(evaluated={"hijacked.content"})
    unjudged = {""}
    if not flagged:
        if not complete:
            unjudged.add(SITE_PAGES)
        return result, unjudged
    first = flagged[0]
    what = []
    if first["signals"]:
        what.append(f"illicit content ({', '.join(first['signals'][:6])})")
    if first["hidden_injection"] is not None:
        what.append(f"a hidden block of {first['hidden_injection']['links']} links to other "
                    "sites")
    more = f" and {flagged_count - 1} more page(s)" if flagged_count > 1 else ""
    result.findings.append(FindingDraft(
        "hijacked.content", "critical",
        f"{display_name(name)}'s page {first['url']}{more} carries {' and '.join(what)}",
        {"pages": flagged, "pages_flagged": flagged_count}, subject=SITE_PAGES))
    return result, unjudged


def allowed(host: str, settings: WebCheckSettings, own: set[str]) -> bool:
    """Whether a redirect or link target stays under the owner's control: a government
    domain, the entry's own registrable domain and declared hosts, or an allowed host (each
    with the names under it)."""
    host = host.rstrip(".").lower()
    return any(host == suffix or host.endswith("." + suffix)
               for suffix in (*own, *settings.allowed_suffixes, *settings.allowed_hosts))


def own_hosts(entry: dict[str, Any]) -> set[str]:
    hosts = {entry["name"], *entry.get("hosts", [])}
    domain = registrable_domain(entry["name"])
    if domain is not None:
        hosts.add(domain)
    return hosts


def capture(observation: WebObservation, landing: Landing | None,
            dns: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request and response that show a finding, as evidence (bounded)."""
    result: dict[str, Any] = {
        "at": observation.at,
        "addresses": observation.addresses,
        "redirects": {scheme: [hop.as_dict() for hop in visit.hops]
                      for scheme, visit in observation.visits.items()},
    }
    if dns is not None:
        result["cname_chain"] = dns.get("cname_chain", [])
    if landing is not None:
        result["request"] = {"method": "GET", "url": landing.url, "address": landing.address,
                             "headers": landing.request_headers, "at": landing.requested_at}
        result["response"] = {"status": landing.status,
                              "headers": headers_evidence(landing.headers),
                              "size": landing.size, "truncated": landing.truncated,
                              "encoding": landing.encoding,
                              "title": landing.page.title,
                              "body_start": landing.body_start}
    certificate = observation.leaf_certificate()
    if certificate is not None:
        result["certificate"] = {key: certificate[key] for key in (
            "sha256", "spki_sha256", "subject_cn", "sans", "issuer", "not_before",
            "not_after")}
    return result


def check_web(entry: dict[str, Any], observation: WebObservation, dns: dict[str, Any],
              baseline: dict[str, Any] | None, stale_since: str | None,
              settings: WebCheckSettings | None = None,
              now: datetime | None = None) -> tuple[CheckResult, Judgement | None]:
    """Evaluate the web rules for one entry; also return the landing page's judgement."""
    settings = settings or WebCheckSettings()
    now = now or datetime.now(UTC)
    name = entry["name"]
    shown = display_name(name)
    own = own_hosts(entry)
    active = entry["state"] == "active"
    result = CheckResult(evaluated=set(HIJACK_RULES) | (set(UNUSED_RULES) if active else set()))
    landing = observation.landing()

    if not observation.answered():
        failures = {scheme: {"error": visit.failure, "phase": visit.hops[0].phase
                             if visit.hops else None,
                             "address": visit.hops[0].address if visit.hops else None}
                    for scheme, visit in observation.visits.items()}
        result.evaluated -= {"unused.placeholder", "unused.stale", *HIJACK_RULES}
        if active:
            reasons = ", ".join(f"{scheme} {failure['error']}"
                                for scheme, failure in failures.items())
            result.findings.append(FindingDraft(
                "unused.no_web", "medium",
                f"{shown} resolves to {', '.join(observation.addresses)} but no web server "
                f"answers ({reasons})",
                {"addresses": observation.addresses, "failures": failures}))
        return result, None

    result.add(_check_redirects(name, shown, observation, landing, dns, settings, own))
    if landing is not None and not allowed(landing.host, settings, own):
        # The visit ended on somebody else's site: that is the redirect finding, whose
        # evidence keeps the page; it is not this name's own content.
        landing = None
    if landing is None:
        result.evaluated -= {"unused.placeholder", "unused.stale", "hijacked.content",
                             "hijacked.cloaking", "hijacked.content_changed"}
        return result, None
    judgement = judge(landing, settings, own)
    evidence_capture = capture(observation, landing, dns)

    if judgement.illicit.flagged or judgement.hidden_injection is not None:
        what = []
        if judgement.illicit.flagged:
            categories = sorted({s.category for s in judgement.illicit.signals})
            what.append(f"illicit content ({', '.join(categories)}: "
                        f"{', '.join(judgement.signals[:6])})")
        if judgement.hidden_injection is not None:
            what.append(f"a hidden block of {judgement.hidden_injection['links']} links to "
                        "other sites")
        result.findings.append(FindingDraft(
            "hijacked.content", "critical",
            f"{shown} ({landing.url}) carries {' and '.join(what)}",
            {"url": landing.url, "illicit": judgement.illicit.as_dict(),
             "hidden_injection": judgement.hidden_injection, "capture": evidence_capture}))

    cloaked = _cloaking(landing, judgement, observation.cloaks, settings, own)
    if cloaked:
        what = "; ".join(f"{item['label']}: {', '.join(item['reasons'])}" for item in cloaked)
        result.findings.append(FindingDraft(
            "hijacked.cloaking", "critical",
            f"{shown} answers search engines and their visitors differently ({what})",
            {"url": landing.url, "differences": cloaked, "capture": evidence_capture}))

    web_baseline = (baseline or {}).get("data")
    if web_baseline and web_baseline.get("sketch") is not None and landing.status \
            and landing.status < 400:
        score = similarity(decode_sketch(web_baseline["sketch"]), landing.page.sketch)
        title_changed = (web_baseline.get("title") or "") != landing.page.title
        new_signals = sorted(set(judgement.signals) - set(web_baseline.get("signals", [])))
        if score < settings.change_similarity and (title_changed or new_signals):
            result.findings.append(FindingDraft(
                "hijacked.content_changed", "high",
                f"{shown}'s page departs from its baseline (similarity {score:.2f}"
                + (f", title now {landing.page.title!r}" if title_changed else "")
                + (f", new signals {', '.join(new_signals[:5])}" if new_signals else "") + ")",
                {"similarity": round(score, 3), "threshold": settings.change_similarity,
                 "baseline_title": web_baseline.get("title"), "title": landing.page.title,
                 "new_signals": new_signals, "baseline_adopted": baseline.get("adopted_at")
                 if baseline else None, "capture": evidence_capture}))

    if active:
        if judgement.placeholder is not None and not judgement.illicit.flagged:
            match = judgement.placeholder
            product = "" if match.product.startswith("any") else f" ({match.product})"
            result.findings.append(FindingDraft(
                "unused.placeholder", "medium",
                f"{shown} shows {PLACEHOLDER_KINDS.get(match.kind, 'a placeholder page')}"
                f"{product}",
                {"url": landing.url, "status": landing.status, "title": landing.page.title,
                 "placeholder": match.as_dict(), "body_start": landing.body_start[:1000]}))
        if stale_since is not None and landing.status and landing.status < 400:
            since = datetime.strptime(stale_since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            if now - since > settings.stale_after:
                days = (now - since).days
                result.findings.append(FindingDraft(
                    "unused.stale", "low",
                    f"{shown}'s page text has not changed for {days} days (since "
                    f"{stale_since[:10]})",
                    {"url": landing.url, "unchanged_since": stale_since, "days": days,
                     "limit_days": settings.stale_after.days, "title": landing.page.title}))
        if stale_since is None:
            result.evaluated.discard("unused.stale")
    return result, judgement


def _check_redirects(name: str, shown: str, observation: WebObservation,
                     landing: Landing | None, dns: dict[str, Any],
                     settings: WebCheckSettings, own: set[str]) -> CheckResult:
    result = CheckResult()
    leaving: dict[str, dict[str, Any]] = {}
    for scheme, visit in observation.visits.items():
        for hop in visit.redirect_hops():
            host = (urlsplit(hop.url).hostname or "").lower()
            if host and not allowed(host, settings, own):
                leaving.setdefault(host, {"host": host, "kind": hop.kind, "url": hop.url,
                                          "scheme": scheme})
    if landing is not None:
        for target in landing.page.script_redirects:
            host = (urlsplit(target).hostname or "").lower()
            if host and not allowed(host, settings, own):
                leaving.setdefault(host, {"host": host, "kind": "script", "url": target,
                                          "scheme": urlsplit(landing.url).scheme})
    destination = None
    if landing is not None and landing.host in leaving:
        signals = score_illicit(landing.page.title, landing.page.text,
                                hidden_text=landing.page.hidden_text)
        destination = {"url": landing.url, "status": landing.status,
                       "title": landing.page.title, "illicit": signals.as_dict()}
    for host, hop in leaving.items():
        kind = {"http": "an HTTP redirect", "meta": "a meta refresh",
                "script": "a script"}.get(hop["kind"], "a redirect")
        there = ""
        if destination is not None and landing is not None and landing.host == host \
                and destination["illicit"]["flagged"]:
            there = " which carries illicit content"
        result.findings.append(FindingDraft(
            "hijacked.redirect", "critical",
            f"{shown} sends visitors to {display_name(host)} ({kind}, {hop['url']}){there}",
            {"target": hop, "destination": destination if landing is not None
             and landing.host == host else None,
             "capture": capture(observation, landing, dns)}, subject=host))
    return result


def _cloaking(landing: Landing, judgement: Judgement, cloaks: list[CloakFetch],
              settings: WebCheckSettings, own: set[str]) -> list[dict[str, Any]]:
    """The special fetches whose answer differs materially from the normal one."""
    differences = []
    for cloak in cloaks:
        if cloak.status is None or cloak.page is landing.page:
            continue  # a failed extra fetch proves nothing; the same bytes differ in nothing
        reasons = []
        location_host = ""
        if cloak.location:
            location_host = (urlsplit(cloak.location).hostname or "").lower()
        if cloak.status in (301, 302, 303, 307, 308) and location_host \
                and not allowed(location_host, settings, own):
            reasons.append(f"redirected to {location_host}")
        score = None
        if cloak.page is not None and not reasons:
            special = score_illicit(cloak.page.title, cloak.page.text,
                                    hidden_text=cloak.page.hidden_text)
            if special.flagged and not judgement.illicit.flagged:
                terms = sorted({signal.term for signal in special.signals})[:6]
                reasons.append(f"illicit content only there ({', '.join(terms)})")
            elif (cloak.status // 100) == (landing.status or 0) // 100:
                score = similarity(landing.page.sketch, cloak.page.sketch)
                if score < settings.cloaking_similarity and \
                        cloak.page.title != landing.page.title:
                    reasons.append(f"different page (similarity {score:.2f}, title "
                                   f"{cloak.page.title!r})")
        if reasons:
            differences.append({
                "label": cloak.label, "request_headers": cloak.request_headers,
                "status": cloak.status, "location": cloak.location,
                "title": cloak.page.title if cloak.page else None,
                "similarity": None if score is None else round(score, 3),
                "reasons": reasons, "body_start": cloak.body_start,
                "normal": {"status": landing.status, "title": landing.page.title}})
    return differences


def check_dns_change(entry: dict[str, Any], dns: dict[str, Any],
                     baseline: dict[str, Any] | None) -> CheckResult:
    """``hijacked.dns_changed``: addresses outside the declared networks (or, without
    them, outside the baseline's /24 and /48 blocks), or name servers of another provider
    than declared or than the baseline's."""
    if dns.get("status") != "resolves":
        return CheckResult()
    result = CheckResult(evaluated={"hijacked.dns_changed"})
    name = entry["name"]
    addresses = list(dns.get("a", [])) + list(dns.get("aaaa", []))
    networks = _networks(tuple(entry.get("networks", [])))
    base = (baseline or {}).get("data") or {}
    outside: list[str] = []
    reference = ""
    if networks:
        reference = "declared networks " + ", ".join(str(n) for n in networks)
        outside = [a for a in addresses
                   if not any(_address(a) in network for network in networks)]
    elif base:
        blocks = {_block(a) for a in list(base.get("a", [])) + list(base.get("aaaa", []))}
        if blocks:
            reference = "the baseline's addresses"
            outside = [a for a in addresses if _block(a) not in blocks]
    ns_now = sorted(dns.get("ns", []))
    declared_ns = list(entry.get("nameservers", []))
    ns_moved: list[str] = []
    ns_reference = ""
    if ns_now and declared_ns:
        ns_reference = "declared name servers"
        ns_moved = [host for host in ns_now if host not in declared_ns]
    elif ns_now and base.get("ns") and \
            {_provider(h) for h in ns_now} != {_provider(h) for h in base["ns"]}:
        ns_reference = "the baseline's name servers"
        ns_moved = [host for host in ns_now if host not in base["ns"]]
    if outside or ns_moved:
        parts = []
        if outside:
            parts.append(f"addresses {', '.join(outside)} outside {reference}")
        if ns_moved:
            parts.append(f"name servers {', '.join(ns_moved)} outside {ns_reference}")
        result.findings.append(FindingDraft(
            "hijacked.dns_changed", "high",
            f"{display_name(name)} moved: {'; '.join(parts)}",
            {"addresses": addresses, "outside": outside, "reference": reference,
             "networks": [str(n) for n in networks], "baseline_addresses":
             list(base.get("a", [])) + list(base.get("aaaa", [])),
             "ns": ns_now, "ns_outside": ns_moved, "ns_reference": ns_reference,
             "baseline_ns": base.get("ns", []), "cname_chain": dns.get("cname_chain", []),
             "baseline_adopted": (baseline or {}).get("adopted_at")}))
    return result


@functools.lru_cache(maxsize=1024)
def _networks(texts: tuple[str, ...]
              ) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parsed once: most entries of a register declare the same few networks."""
    return tuple(ipaddress.ip_network(text) for text in texts)


@functools.lru_cache(maxsize=65_536)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def _block(address: str) -> str:
    ip = ipaddress.ip_address(address)
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _provider(host: str) -> str:
    return registrable_domain(host) or host
