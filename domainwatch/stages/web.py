"""The web and certificate stage: fetch every resolving register entry's site over HTTP and
HTTPS, record the web observation, judge its page (:mod:`domainwatch.checks.web`) and its
certificate (:mod:`domainwatch.checks.tls`).

An active entry's own site is due for the crawl (:mod:`domainwatch.stages.links`); with a
crawl depth of 0 the links of its home page are recorded here. Every other name is done
here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from domainwatch.baseline import dns_baseline, tls_baseline, web_baseline
from domainwatch.checks.tls import check_tls
from domainwatch.checks.web import HIJACK_SIGNALS, SITE_PAGES, check_web
from domainwatch.probes.dns import ResolverConfig
from domainwatch.probes.links import CrawledPage, SiteCrawl, outbound_references
from domainwatch.probes.web import WebObservation, WebProbe
from domainwatch.probes.web_processes import (
    WorkerJob,
    probe_in_processes,
    share_out,
    web_processes,
)
from domainwatch.settings import WebStage
from domainwatch.stages import Batch, Fingerprint, ScanContext, Stopwatch
from domainwatch.stages.links import CrawlTarget, LinkSources, record_crawl
from domainwatch.store import Store, utcnow


async def fetch_sites(context: ScanContext, probe: WebProbe, settings: WebStage,
                      hosts_config: ResolverConfig, sites_due: Mapping[str, str],
                      fingerprints: Mapping[str, Fingerprint | None],
                      sources: LinkSources) -> dict[str, CrawlTarget]:
    """Fetch, record and judge the sites in ``sites_due`` (name → its outcome so far), in
    worker processes when the settings and the number of sites call for them; return the
    sites due for the crawl. A site's home-page links, when it is not crawled, go to
    ``sources``."""
    watch = Stopwatch()
    targets = []
    for name in sites_due:
        fingerprint = fingerprints.get(name) or {}
        targets.append((name, list(fingerprint.get("a", [])) + list(
            fingerprint.get("aaaa", []))))
    processes = context.summary.web_processes = web_processes(settings.probe.processes,
                                                              len(targets))
    observations = probe.probe_many(targets) if processes < 2 else probe_in_processes([
        WorkerJob(share, dataclasses.replace(settings.probe, trust=None), settings.ca_files,
                  settings.system_trust, hosts_config)
        for share in share_out(targets, processes)])
    context.restart_progress("web")
    recorder = _WebRecorder(context, settings, sites_due, fingerprints, sources)
    batch = Batch[WebObservation](recorder.record)
    addresses = dict(targets)
    again: list[tuple[str, list[str]]] = []
    fetched = 0
    async for observation in observations:
        fetched += 1
        context.show_progress(fetched, len(targets))
        if timed_out(observation):
            again.append((observation.name, addresses[observation.name]))
        else:
            batch.add(observation)
    # A site with a visit that timed out is asked again once, when the rest is done: a busy
    # machine's own delay (its event loops behind on CPU with hundreds of fetches in flight)
    # must not read as a site that is gone.
    async for observation in probe.probe_many(again):
        batch.add(observation)
    batch.flush()
    watch.add_to(context.summary, "web")
    return recorder.crawl_due


def timed_out(observation: WebObservation) -> bool:
    """A visit (over HTTP or HTTPS) ran out of time."""
    return any(visit.failure == "timeout" for visit in observation.visits.values())


class _WebRecorder:
    def __init__(self, context: ScanContext, settings: WebStage, sites_due: Mapping[str, str],
                 fingerprints: Mapping[str, Fingerprint | None], sources: LinkSources) -> None:
        self.context = context
        self.settings = settings
        self.sites_due = sites_due
        self.fingerprints = fingerprints
        self.sources = sources
        self.crawl_due: dict[str, CrawlTarget] = {}

    def record(self, observations: list[WebObservation]) -> None:
        context, settings = self.context, self.settings
        store, summary = context.store, context.summary
        at = utcnow()
        with store.transaction():
            for observation in observations:
                name = observation.name
                entry = context.register.entries[name]
                dns = self.fingerprints.get(name) or {}
                baselines = store.baselines(name)
                record = observation.record()
                data = record.data()
                answered = record.answered()
                if answered:
                    summary.web_checked += 1
                else:
                    summary.web_unanswered += 1
                fingerprint = record.fingerprint()
                result, judgement = check_web(entry, record, dns, baselines.get("web"),
                                              _text_since(store, name, fingerprint, at),
                                              settings.checks)
                if judgement is not None:
                    data["signals"] = judgement.signals
                    data["illicit_score"] = judgement.illicit.score
                    data["placeholder"] = (judgement.placeholder.id
                                           if judgement.placeholder is not None else None)
                context.record(name, "web", fingerprint, data, at, bodies=record.bodies())
                result.add(check_tls(entry, record, baselines.get("tls"), settings.tls))
                # The pages beyond the home page are the crawl's to judge.
                context.reconcile(name, result, at, unjudged={SITE_PAGES})
                clean = judgement is not None and not any(
                    finding.rule in HIJACK_SIGNALS for finding in result.findings)
                if clean:
                    _first_baselines(store, name, baselines, dns, data, at, context.run_id)
                outcome = self.sites_due.get(name, "resolves")
                outcome += " web=" + ("ok" if answered else "no-answer")
                landing = record.landing
                own = [name, *entry.get("hosts", [])]
                # The site's own pages only: not another entry's page it redirects to, not a
                # server's default page (whose links are the vendor's).
                if settings.links and entry["state"] == "active" and landing is not None \
                        and landing.host in own and judgement is not None \
                        and judgement.placeholder is None and (landing.status or 500) < 400:
                    if settings.crawl.depth > 0:
                        self.crawl_due[name] = CrawlTarget(landing.url, landing.address, own,
                                                           outcome)
                        continue
                    home = SiteCrawl(name=name, start=landing.url, pages=[CrawledPage(
                        landing.url, 0, landing.status)])
                    home.add(outbound_references(landing.page, landing.url, own))
                    record_crawl(context, self.sources, home, at)
                context.finish(name, outcome)


def _text_since(store: Store, name: str, fingerprint: dict[str, Any], at: str) -> str | None:
    """Since when the page's text has been what it is now (``at`` when it just changed)."""
    if fingerprint.get("text_hash") is None:
        return None
    if store.latest_value(name, "web", "text_hash") != fingerprint["text_hash"]:
        return at
    return store.unchanged_since(name, "web", "text_hash") or at


def _first_baselines(store: Store, name: str, baselines: dict[str, dict[str, Any]],
                     dns: dict[str, Any], data: dict[str, Any], at: str, run_id: int) -> None:
    """A first clean observation becomes the provisional baseline, part by part. A default
    page or an error is not what the site is: the real page, once it comes, becomes the
    web baseline, rather than a "change" from the placeholder."""
    real_page = not data.get("placeholder") and (data.get("status") or 500) < 400
    wanted = {"dns": dns_baseline(dns) if dns else None,
              "web": web_baseline(data) if real_page else None,
              "tls": tls_baseline(data)}
    for probe, value in wanted.items():
        if value is not None and probe not in baselines:
            store.set_baseline(name, probe, value, at=at, by="domainwatch", how="first-seen",
                               run_id=run_id)
