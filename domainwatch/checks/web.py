"""Checks on what the web probe saw: sites that are not there, not used, or not ours any more.

Pure functions: one register entry, its web observation, its DNS fingerprint and its
baselines in; the rules evaluated and the findings that hold out. The observation is judged
in the form it is stored in (:class:`~domainwatch.probes.web_record.WebRecord`), so that a
scan and a recheck of the stored observation judge alike. ``unused.*`` rules apply to
active entries only (an offline entry's duty is deregistration, already reported by
``unused.offline_still_resolving``); ``hijacked.*`` rules apply whatever the state: a closed
site whose domain was taken over is the case this project exists for.

Every hijack, redirect and cloaking finding carries a ``capture``: the request made, the
response headers, the first part of the body as received, the redirect chain, the addresses
and the certificate at that moment, and when.

One module, a little over 600 lines: one family of rules judged together from one page
judgement (:class:`Judgement`: placeholder, illicit signals, injected links and scripts),
which the home page, the crawl's pages and the linked hosts share.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from domainwatch import clock
from domainwatch.checks import CheckResult
from domainwatch.host_lists import common_script_host, official_host
from domainwatch.lexicon import IllicitScore, packaged_lexicon, score_zones
from domainwatch.names import display_name, is_under, registrable_domain
from domainwatch.placeholders import match_placeholder
from domainwatch.probes.links import FlaggedPage
from domainwatch.probes.page import Link, Page, decode_sketch, similarity
from domainwatch.probes.web_record import CloakFetch, Landing, WebRecord, headers_evidence
from domainwatch.rules import rule_ids
from domainwatch.settings import WebCheckSettings
from domainwatch.store import FindingDraft

UNUSED_RULES = rule_ids(stage="web", category="unused")
HIJACK_RULES = rule_ids(stage="web", category="hijacked")
#: The subject of ``hijacked.content`` found on the pages beyond the home page.
SITE_PAGES = "pages"
#: The subject of ``hijacked.content`` raised for external scripts alone.
SCRIPTS = "scripts"
#: The rules whose presence keeps a first observation from becoming the baseline: the page's
#: own hijack signals, judged without one.
HIJACK_SIGNALS = rule_ids(stage="web", category="hijacked", baseline=False)
PLACEHOLDER_KINDS = {"server-default": "a web server's default page",
                     "panel-default": "a hosting panel's default page",
                     "parked": "a parked-domain page",
                     "under-construction": "an under-construction page",
                     "empty": "an empty page"}


@dataclass
class Judgement:
    """What the content of one page says, computed once and shared by the rules."""

    illicit: IllicitScore
    placeholder: Any
    hidden_injection: dict[str, Any] | None
    signals: list[str] = field(default_factory=list)
    scripts: dict[str, Any] | None = None


def judge(landing: Landing, settings: WebCheckSettings, own: set[str],
          baseline: dict[str, Any] | None = None) -> Judgement:
    page = landing.page
    illicit = score_zones(page.zones())
    redirects = page.meta_refresh is not None or bool(page.script_redirects)
    placeholder = match_placeholder(page.title, page.text, landing.html, links=page.link_count,
                                    scripts=page.scripts, redirects=redirects)
    signals = sorted({signal.term for signal in illicit.signals})
    return Judgement(illicit, placeholder, injected_links(page, settings, own, baseline),
                     signals, script_signals(page, settings, own, baseline))


def commercial(host: str, settings: WebCheckSettings, own: set[str]) -> bool:
    """Whether ``host`` is somebody else's business: not under the owner's control (see
    :func:`allowed`) and not an official site (central media, national public services)."""
    return not allowed(host, settings, own) and not official_host(host)


def injected_links(page: Page, settings: WebCheckSettings, own: set[str],
                   baseline: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The blocks of links to unrelated commercial hosts that make an injection, judged by
    where they point, else None.

    A block is a hidden block, a block a script writes, or the visible links of one
    container (a ``<div>``, a list, a table cell). Links to the owner's hosts, to
    government domains and to official sites never count: a hidden drop-down of links to
    人民网 and 新华网 is a menu. A block is an injection when it holds

    * hidden, at least ``hidden_links`` links to commercial hosts, or two such hosts with
      spam anchor texts or spam host names, or one with both;
    * written by a script, the same, whether shown or not;
    * shown, three commercial hosts or more with spam anchor texts or two spam host names,
      or (against a baseline) at least ``hidden_links`` commercial hosts the baseline's page
      did not link to, making up most of the block.
    """
    lexicon = packaged_lexicon()
    known = None
    if baseline and baseline.get("data") and baseline["data"].get("links") is not None:
        known = {item["host"] for item in baseline["data"]["links"]}
    groups: dict[int, list[Link]] = {}
    for link in page.links:
        if not link.hidden and link.block is None:
            groups.setdefault(link.group, []).append(link)
    candidates: list[tuple[str, str, list[str], str, int]] = []
    for block in page.hidden:
        technique = "written by script" if block.written else "hidden"
        candidates.append((technique, block.reason, block.hosts, block.text, block.links))
    for links in groups.values():
        hosts = list(dict.fromkeys(link.host for link in links))
        if len(hosts) >= 3:
            candidates.append(("link-block", "shown", hosts,
                               " ".join(link.text for link in links), len(links)))
    found: list[dict[str, Any]] = []
    total = 0
    for technique, reason, hosts, text, count in candidates:
        foreign = [host for host in hosts if commercial(host, settings, own)]
        if not foreign:
            continue
        spam_hosts = {host: [term.term for term in lexicon.host_signals(host)]
                      for host in foreign}
        spam_hosts = {host: terms for host, terms in spam_hosts.items() if terms}
        anchors = score_zones({"links": text}, lexicon)
        spam_anchors = sorted({signal.term for signal in anchors.signals
                               if signal.weight > lexicon.mitigable_weight})
        spammy = len(spam_hosts) >= 2 or (len(foreign) >= 2 and bool(spam_anchors)) \
            or anchors.flagged or (bool(spam_hosts) and bool(spam_anchors))
        new_hosts = [host for host in foreign if known is not None and host not in known]
        if technique == "link-block":
            injected = (spammy and len(foreign) >= 3) or (
                len(new_hosts) >= settings.hidden_links and len(foreign) * 4 >= len(hosts) * 3)
        else:
            links_out = count if len(foreign) == len(hosts) else len(foreign)
            injected = spammy or links_out >= settings.hidden_links
        if not injected:
            continue
        total += count
        found.append({"technique": technique, "reason": reason, "links": count,
                      "hosts": foreign[:50], "spam_hosts": spam_hosts,
                      "spam_anchors": spam_anchors[:10], "new_hosts": new_hosts[:50],
                      "text": text[:500]})
    if not found:
        return None
    return {"blocks": found[:5], "links": total}


def script_signals(page: Page, settings: WebCheckSettings, own: set[str],
                   baseline: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """What the page's scripts do that a hijack does, for the evidence: switch the title,
    send visitors elsewhere on a condition, hide what they are (packed, escaped), and load
    scripts from commercial hosts. ``new_external`` are the script hosts the baseline's page
    did not load (all of them without a baseline) that are neither the owner's, nor
    official, nor a common analytics or library host."""
    base_resources = ((baseline or {}).get("data") or {}).get("resources")
    external = [host for host, kinds in page.resources.items()
                if "script" in kinds and commercial(host, settings, own)
                and not common_script_host(host)]
    new_external = [host for host in external
                    if base_resources is None or "script" not in base_resources.get(host, [])]
    lexicon = packaged_lexicon()
    spam_external = {host: [term.term for term in lexicon.host_signals(host)]
                     for host in external}
    spam_external = {host: terms for host, terms in spam_external.items() if terms}
    leaving = [item for item in page.navigations
               if not allowed((urlsplit(item["target"]).hostname or ""), settings, own)]
    if not (page.title_switches or page.script_techniques or leaving or new_external):
        return None
    return {"title_switches": page.title_switches[:5], "techniques": page.script_techniques,
            "navigations": leaving[:5], "external_scripts": external[:20],
            "new_external": new_external[:20], "spam_external": spam_external,
            "baseline": base_resources is not None}


def page_content(url: str, page: Page, settings: WebCheckSettings,
                 own: set[str]) -> dict[str, Any] | None:
    """What a page the crawl read beyond the home page shows of injected content (illicit
    signals, a block of links to other sites), or None when it shows none."""
    illicit = score_zones(page.zones())
    injection = injected_links(page, settings, own)
    if not illicit.flagged and injection is None:
        return None
    return {"url": url, "title": page.title,
            "signals": sorted({signal.term for signal in illicit.signals}) if illicit.flagged
            else [], "illicit": illicit.as_dict() if illicit.flagged else None,
            "hidden_injection": injection}


def check_site_pages(name: str, pages: list[FlaggedPage], flagged_count: int, complete: bool,
                     settings: WebCheckSettings, own: set[str]) -> tuple[CheckResult, set[str]]:
    """``hijacked.content`` for the pages the crawl read beyond the home page (subject
    ``pages``: one finding per site, however many pages), and the subjects to leave alone:
    the home page's finding (the web stage's), and this one when a crawl cut short found
    nothing (not seen is not gone).

    ``pages`` are the pages the crawl flagged and kept (``flagged_count`` in all), each
    judged again (:func:`page_content`). The crawl keeps no other page: judged from what is
    stored, this finding can resolve (no kept page is flagged any more) but cannot come
    up on a page the crawl did not flag; that takes a crawl. Flagged pages beyond those
    kept count as still flagged, and while any are left this finding is not resolved."""
    result = CheckResult(evaluated={"hijacked.content"})
    unjudged = {""}
    flagged = [found for found in (page_content(page.url, page.read(), settings, own)
                                   for page in pages) if found is not None]
    unkept = flagged_count - len(pages)
    if not flagged:
        if not complete or unkept > 0:
            unjudged.add(SITE_PAGES)
        return result, unjudged
    flagged_count = len(flagged) + unkept
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
    return any(is_under(host, suffix)
               for suffix in (*own, *settings.allowed_suffixes, *settings.allowed_hosts))


def own_hosts(entry: dict[str, Any]) -> set[str]:
    hosts = {entry["name"], *entry.get("hosts", [])}
    domain = registrable_domain(entry["name"])
    if domain is not None:
        hosts.add(domain)
    return hosts


def capture(record: WebRecord, landing: Landing | None,
            dns: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request and response that show a finding, as evidence (bounded)."""
    result: dict[str, Any] = {
        "at": record.at,
        "addresses": record.addresses,
        "redirects": {scheme: [hop.as_dict() for hop in visit.hops]
                      for scheme, visit in record.visits.items()},
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
        if landing.scripts:
            result["external_scripts"] = landing.scripts
    certificate = record.leaf_certificate()
    if certificate is not None:
        result["certificate"] = {key: certificate[key] for key in (
            "sha256", "spki_sha256", "subject_cn", "sans", "issuer", "not_before",
            "not_after")}
    return result


def check_web(entry: dict[str, Any], record: WebRecord, dns: dict[str, Any],
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
    landing = record.landing

    if not record.answered():
        failures = {scheme: {"error": visit.failure, "phase": visit.hops[0].phase
                             if visit.hops else None,
                             "address": visit.hops[0].address if visit.hops else None}
                    for scheme, visit in record.visits.items()}
        result.evaluated -= {"unused.placeholder", "unused.stale", *HIJACK_RULES}
        if active:
            reasons = ", ".join(f"{scheme} {failure['error']}"
                                for scheme, failure in failures.items())
            result.findings.append(FindingDraft(
                "unused.no_web", "medium",
                f"{shown} resolves to {', '.join(record.addresses)} but no web server "
                f"answers ({reasons})",
                {"addresses": record.addresses, "failures": failures}))
        return result, None

    result.add(_check_redirects(name, shown, record, landing, dns, settings, own))
    if landing is not None and not allowed(landing.host, settings, own):
        # The visit ended on somebody else's site: that is the redirect finding, whose
        # evidence keeps the page; it is not this name's own content.
        landing = None
    if landing is None:
        result.evaluated -= {"unused.placeholder", "unused.stale", "hijacked.content",
                             "hijacked.cloaking", "hijacked.content_changed"}
        return result, None
    judgement = judge(landing, settings, own, baseline)
    evidence_capture = capture(record, landing, dns)

    content = _content_finding(shown, landing, judgement, evidence_capture)
    if content is not None:
        result.findings.append(content)
    scripts = _script_finding(shown, landing, judgement, evidence_capture)
    if scripts is not None:
        result.findings.append(scripts)

    cloaked = _cloaking(landing, judgement, record.cloaks, settings, own)
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
            since = clock.parse(stale_since)
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


def _content_finding(shown: str, landing: Landing, judgement: Judgement,
                     evidence_capture: dict[str, Any]) -> FindingDraft | None:
    """``hijacked.content`` for the landing page: illicit words (by zone) or injected links.
    The summary and the evidence name the techniques: the zones the words stand in, how
    blocks are hidden or written, what the scripts do."""
    illicit, injection = judgement.illicit, judgement.hidden_injection
    if not illicit.flagged and injection is None:
        return None
    what = []
    techniques: list[str] = []
    if illicit.flagged:
        categories = sorted({s.category for s in illicit.signals})
        zones = illicit.zones()
        techniques += [f"words in {zone}" for zone in zones]
        what.append(f"illicit content ({', '.join(categories)}: "
                    f"{', '.join(judgement.signals[:6])}; in {', '.join(zones[:4])})")
    if injection is not None:
        kinds = []
        for block in injection["blocks"]:
            kind = {"hidden": f"hidden ({block['reason']})", "link-block": "link-block",
                    "written by script": block["reason"]}[block["technique"]]
            if kind not in kinds:
                kinds.append(kind)
        techniques += kinds
        what.append(f"{injection['links']} injected links to other sites "
                    f"({'; '.join(kinds[:3])})")
    scripts = judgement.scripts or {}
    if scripts.get("title_switches"):
        techniques.append("title-switch")
    if any(block["reason"].startswith("written by external script")
           for block in (injection or {}).get("blocks", [])):
        techniques.append("external-script")
    techniques += [f"script {name}" for name in scripts.get("techniques", [])]
    return FindingDraft(
        "hijacked.content", "critical",
        f"{shown} ({landing.url}) carries {' and '.join(what)}",
        {"url": landing.url, "techniques": techniques, "illicit": illicit.as_dict(),
         "hidden_injection": injection, "scripts": judgement.scripts,
         "capture": evidence_capture})


def _script_finding(shown: str, landing: Landing, judgement: Judgement,
                    evidence_capture: dict[str, Any]) -> FindingDraft | None:
    """``hijacked.content`` (subject ``scripts``) for scripts loaded from commercial hosts
    that the baseline's page did not load, or (without a baseline) from hosts whose names
    say what they serve: an injected external script is how many hijacks write their links
    into a page that is clean as HTML. Not raised when the page's own finding already
    stands (its evidence lists the scripts)."""
    scripts = judgement.scripts
    if scripts is None:
        return None
    suspects = scripts["new_external"] if scripts["baseline"] else list(
        scripts["spam_external"])
    if not suspects or judgement.illicit.flagged or judgement.hidden_injection is not None:
        return None
    why = ("the accepted baseline did not load them" if scripts["baseline"]
           else "their names say what they serve")
    return FindingDraft(
        "hijacked.content", "high",
        f"{shown} ({landing.url}) loads scripts from other sites ({', '.join(suspects[:5])}): "
        f"{why}",
        {"url": landing.url, "techniques": ["external-script"], "external_scripts": suspects,
         "scripts": scripts, "capture": evidence_capture}, subject=SCRIPTS)


def _check_redirects(name: str, shown: str, record: WebRecord,
                     landing: Landing | None, dns: dict[str, Any],
                     settings: WebCheckSettings, own: set[str]) -> CheckResult:
    result = CheckResult()
    leaving: dict[str, dict[str, Any]] = {}
    for scheme, visit in record.visits.items():
        for hop in visit.redirect_hops():
            host = (urlsplit(hop.url).hostname or "").lower()
            if host and not allowed(host, settings, own):
                leaving.setdefault(host, {"host": host, "kind": hop.kind, "url": hop.url,
                                          "scheme": scheme})
    if landing is not None:
        how = {item["target"]: item for item in landing.page.navigations}
        for target in landing.page.script_redirects:
            host = (urlsplit(target).hostname or "").lower()
            if host and not allowed(host, settings, own):
                hop = {"host": host, "kind": "script", "url": target,
                       "scheme": urlsplit(landing.url).scheme}
                if target in how:
                    hop.update({key: how[target][key] for key in
                                ("method", "condition", "delayed", "techniques")})
                leaving.setdefault(host, hop)
    destination = None
    if landing is not None and landing.host in leaving:
        signals = score_zones(landing.page.zones())
        destination = {"url": landing.url, "status": landing.status,
                       "title": landing.page.title, "illicit": signals.as_dict()}
    for host, hop in leaving.items():
        kind = {"http": "an HTTP redirect", "meta": "a meta refresh",
                "script": "a script"}.get(hop["kind"], "a redirect")
        if hop["kind"] == "script" and "method" in hop:
            kind = f"a script: {hop['method']}" + (
                "" if hop["condition"] == "always" else f", {hop['condition']}") + (
                ", delayed by a timer (setTimeout, setInterval) or the load event"
                if hop["delayed"] else "")
            hop = {**hop, "how": kind.removeprefix("a script: ")}
        there = ""
        if destination is not None and landing is not None and landing.host == host \
                and destination["illicit"]["flagged"]:
            there = " which carries illicit content"
        result.findings.append(FindingDraft(
            "hijacked.redirect", "critical",
            f"{shown} sends visitors to {display_name(host)} ({kind}, {hop['url']}){there}",
            {"target": hop, "destination": destination if landing is not None
             and landing.host == host else None,
             "capture": capture(record, landing, dns)}, subject=host))
    return result


def _cloaking(landing: Landing, judgement: Judgement, cloaks: list[CloakFetch],
              settings: WebCheckSettings, own: set[str]) -> list[dict[str, Any]]:
    """The special fetches whose answer differs materially from the normal one: sent off
    site, illicit only there, another page, or the same page under another title,
    keywords or description that carry illicit words (a "snapshot hijack": the search
    engine's copy is spam, the visitors' page is clean)."""
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
            special = score_zones(cloak.page.zones())
            if special.flagged and not judgement.illicit.flagged:
                terms = sorted({signal.term for signal in special.signals})[:6]
                reasons.append(f"illicit content only there ({', '.join(terms)}; in "
                               f"{', '.join(special.zones()[:4])})")
            elif (cloak.status // 100) == (landing.status or 0) // 100:
                score = similarity(landing.page.sketch, cloak.page.sketch)
                if score < settings.cloaking_similarity and \
                        cloak.page.title != landing.page.title:
                    reasons.append(f"different page (similarity {score:.2f}, title "
                                   f"{cloak.page.title!r})")
                else:
                    reasons += _head_changed(landing.page, cloak.page)
        if reasons:
            differences.append({
                "label": cloak.label, "request_headers": cloak.request_headers,
                "status": cloak.status, "location": cloak.location,
                "title": cloak.page.title if cloak.page else None,
                "meta": cloak.page.meta if cloak.page else None,
                "similarity": None if score is None else round(score, 3),
                "reasons": reasons, "body_start": cloak.body_start,
                "normal": {"status": landing.status, "title": landing.page.title,
                           "meta": landing.page.meta}})
    return differences


def _head_changed(normal: Page, special: Page) -> list[str]:
    """The title, keywords or description a crawler gets instead of the visitors', when
    what it gets carries illicit words the visitors' does not."""
    reasons = []
    for zone, mine, theirs in (("title", normal.title, special.title),
                               ("meta", normal.meta, special.meta)):
        if mine == theirs or not theirs:
            continue
        words = {signal.term for signal in score_zones({zone: theirs}).signals
                 if signal.weight > packaged_lexicon().mitigable_weight}
        words -= {signal.term for signal in score_zones({zone: mine}).signals}
        if words:
            what = "title" if zone == "title" else "keywords and description"
            reasons.append(f"another {what} for the crawler, same page ({theirs[:120]!r}: "
                           f"{', '.join(sorted(words)[:6])})")
    return reasons


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
