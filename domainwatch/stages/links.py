"""The crawl and linked-hosts stage: read the active entries' sites for the hosts they refer
to (the ``links`` observation), judge the pages beyond the home page
(``hijacked.site_pages``), then check every host the sites refer to once and judge the links
(:mod:`domainwatch.checks.links`).

The run's page budget reads a different share of a large register each night
(:func:`crawl_order`); a site it leaves for a later run keeps its last crawl's links, checked
again, and what that crawl did not find is not taken as gone.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from domainwatch.checks import CheckResult
from domainwatch.checks.links import RULES as LINK_RULES
from domainwatch.checks.links import HostState, check_links, unknown_hosts
from domainwatch.checks.web import (
    HIJACK_SIGNALS,
    check_site_pages,
    check_web,
    own_hosts,
    page_content,
)
from domainwatch.probes.dns import DNSProbe
from domainwatch.probes.links import Crawler, Reference, SiteCrawl, references_from
from domainwatch.probes.web import WebProbe
from domainwatch.settings import WebStage
from domainwatch.stages import Batch, ScanContext
from domainwatch.store import Store, utcnow

T = TypeVar("T")
LINK_HOSTS_IN_FLIGHT = 64
#: The outcome's ending for a site whose crawl the run's page budget left for a later run.
DEFERRED_CRAWL = "crawl=deferred"
#: The observation of a host outside the register that the entries' pages link to.
LINKED_HOST_PROBE = "linked_host"
#: A register entry's own findings that make a link to it dead, and how that reads.
DEAD_RULES = {"unused.no_dns": "does not resolve", "unused.no_web": "has no web server answering",
              "dangling.cname": "points at a CNAME target that does not exist"}


@dataclass
class CrawlTarget:
    """A site due for the crawl."""

    start: str
    address: str
    hosts: list[str]
    outcome: str  # the scan outcome so far, recorded when the crawl is done


@dataclass
class LinkSources:
    """What the entries' pages refer to, as this run found it."""

    #: entry → outbound host → where its pages refer to it
    references: dict[str, dict[str, list[Reference]]] = field(default_factory=dict)
    #: entries whose crawl the run's page budget cut short (or left for a later run)
    incomplete: set[str] = field(default_factory=set)

    def recall(self, store: Store, name: str) -> None:
        """A site the run's page budget left for a later run: the links found by its last
        crawl are checked again (the hosts a site links to change more often than its
        links), and what that crawl did not find is not taken as gone."""
        latest = store.observations(name, "links", limit=1)
        if latest:
            self.references[name] = references_from(latest[0]["data"])
            self.incomplete.add(name)

    def unreached(self, store: Store, name: str, rules: Iterable[str],
                  present: set[str]) -> set[str]:
        """The subjects of ``name``'s standing findings of ``rules`` that its crawl did not
        come across because the run's page budget cut it short: not seen is not gone."""
        if name not in self.incomplete:
            return set()
        return {row["subject"] for row in store.standing_findings(name, rules)
                if row["subject"] not in present}


async def crawl_sites(context: ScanContext, probe: WebProbe, settings: WebStage,
                      crawl_due: Mapping[str, CrawlTarget], sources: LinkSources) -> None:
    """Read the sites in ``crawl_due`` for the hosts they refer to, the most overdue
    first, ``settings.crawl.sites`` at once, and record each entry as done once its crawl
    is in."""
    store, entries = context.store, context.register.entries
    crawler = Crawler(probe, settings.crawl)
    targets = crawl_order(crawl_due, store.crawl_ages(), entries)
    context.restart_progress("crawl")

    async def crawl(name: str, target: CrawlTarget) -> SiteCrawl:
        inspect = functools.partial(page_content, settings=settings.checks,
                                    own=own_hosts(entries[name]))
        return await crawler.crawl(name, target.start, target.address, target.hosts, inspect)

    def record(crawls: list[SiteCrawl]) -> None:
        _record_crawls(context, settings, sources, crawl_due, crawls)

    batch = Batch[SiteCrawl](record)
    queue = iter(targets)
    finished = 0

    async def reader() -> None:
        # The readers share one iterator: the sites are taken in order, the most
        # overdue first, and no more than ``sites`` are being read at once.
        nonlocal finished
        for name, target in queue:
            batch.add(await crawl(name, target))
            finished += 1
            context.show_progress(finished, len(targets))

    await asyncio.gather(*(reader() for _ in range(settings.crawl.sites)))
    batch.flush()


def _record_crawls(context: ScanContext, settings: WebStage, sources: LinkSources,
                   crawl_due: Mapping[str, CrawlTarget], crawls: list[SiteCrawl]) -> None:
    store, summary = context.store, context.summary
    at = utcnow()
    with store.transaction():
        for crawl in crawls:
            target = crawl_due[crawl.name]
            deferred = not crawl.pages and not crawl.complete
            if deferred:
                sources.recall(store, crawl.name)
                summary.crawls_deferred += 1
            else:
                record_crawl(context, sources, crawl, at)
            result, unjudged = check_site_pages(
                crawl.name, crawl.flagged, crawl.flagged_count, crawl.complete,
                settings.checks, own_hosts(context.register.entries[crawl.name]))
            context.reconcile(crawl.name, result, at, unjudged=unjudged)
            context.finish(crawl.name, f"{target.outcome} " + (
                DEFERRED_CRAWL if deferred else f"pages={len(crawl.pages)}"))


def record_crawl(context: ScanContext, sources: LinkSources, crawl: SiteCrawl,
                 at: str) -> None:
    """Record a site's crawl (its ``links`` observation) and what its pages refer to."""
    summary = context.summary
    sources.references[crawl.name] = crawl.references
    summary.pages_crawled += len(crawl.pages)
    if not crawl.complete:
        sources.incomplete.add(crawl.name)
        summary.crawls_incomplete += 1
    context.record(crawl.name, "links", crawl.fingerprint(), crawl.data(), at,
                   bodies=crawl.bodies())


def crawl_order(queue: Mapping[str, T], ages: dict[str, tuple[bool, str]],
                entries: Mapping[str, dict[str, Any]]) -> list[tuple[str, T]]:
    """The sites to crawl, the most overdue first, so that a run's page budget reads a
    different share of a large register each night and comes back to every site in turn:
    sites never crawled, or last cut short, first (portals, the entries others name as
    parent, before the rest), then by the age of their last crawl."""
    parents = {entry.get("parent") for entry in entries.values()}

    def overdue(item: tuple[int, tuple[str, T]]) -> tuple[bool, str, bool, int]:
        index, (name, _) = item
        complete, seen = ages.get(name, (False, ""))
        return complete, seen if complete else "", name not in parents, index

    return [item for _, item in sorted(enumerate(queue.items()), key=overdue)]


async def check_linked_hosts(context: ScanContext, probe: WebProbe, host_probe: DNSProbe,
                             settings: WebStage, sources: LinkSources) -> None:
    """Check every host the entries' pages refer to, once (the ``settings.link_hosts``
    most referred to), and raise ``link.*`` on the entries that refer to them."""
    counts = Counter(host for found in sources.references.values() for host in found)
    hosts = [host for host, _ in counts.most_common(settings.link_hosts)]
    states: dict[str, HostState] = {}
    probed: set[str] = set()
    slots = asyncio.Semaphore(LINK_HOSTS_IN_FLIGHT)

    async def check(host: str) -> None:
        entry = context.register.entries.get(host)
        known = entry_state(context.store, entry, host)
        if known is not None:
            states[host] = known
            return
        async with slots:
            state = await _probed_host_state(probe, host_probe, settings, host)
        if entry is not None:
            state.detail["register_entry"] = True
        states[host] = state
        probed.add(host)

    await asyncio.gather(*(check(host) for host in hosts))
    context.summary.link_hosts_checked = len(states)
    store = context.store
    at = utcnow()
    with store.transaction():
        for host in sorted(probed):
            state = states[host]
            if state.state != "unknown":
                stored = {"state": state.state, "detail": state.detail}
                context.record(host, LINKED_HOST_PROBE, linked_host_fingerprint(stored),
                               stored, at)
        for name, found in sources.references.items():
            result, unjudged = judge_links(store, name, found, states,
                                           sources.unreached(store, name, LINK_RULES,
                                                             set(found)))
            context.reconcile(name, result, at, unjudged=unjudged)


def judge_links(store: Store, name: str, references: dict[str, list[Reference]],
                states: dict[str, HostState], unreached: set[str]
                ) -> tuple[CheckResult, set[str]]:
    """The link rules for the entry ``name``, and the subjects to leave as they are: hosts
    whose state is unknown, and ``unreached`` (what a crawl cut short did not come across)."""
    result = check_links(name, references, states)
    return result, unknown_hosts(references, states) | unreached


def linked_host_fingerprint(stored: dict[str, Any]) -> dict[str, Any]:
    """What decides whether a linked host's state changed: not the capture's times."""
    detail = stored["detail"]
    return {"state": stored["state"],
            "why": detail.get("why") or detail.get("summaries") or detail.get("dns")}


def entry_state(store: Store, entry: dict[str, Any] | None, host: str) -> HostState | None:
    """A linked host's state from its own findings, when it is an active register entry
    that has been scanned; else None, and the host is looked up and visited, the visit
    judged by the hijack checks (an offline entry is not held to having a web site, so its
    own findings cannot say it is gone)."""
    if entry is not None and entry["state"] == "active" and store.last_scan(host) is not None:
        open_rules = {f["rule"]: f for status in ("open", "acknowledged")
                      for f in store.findings(status=status, name=host)}
        hijacks = [f for rule, f in open_rules.items() if rule in HIJACK_SIGNALS]
        if hijacks:
            return HostState(host, "hijacked", {
                "summaries": [f["summary"] for f in hijacks],
                "findings": [f["id"] for f in hijacks], "register_entry": True})
        dead = [f for rule, f in open_rules.items() if rule in DEAD_RULES]
        if dead:
            why = DEAD_RULES[dead[0]["rule"]]
            return HostState(host, "dead", {"why": f"{why} (finding #{dead[0]['id']})",
                                            "findings": [f["id"] for f in dead],
                                            "register_entry": True})
        return HostState(host, "ok", {"register_entry": True})
    return None


async def _probed_host_state(probe: WebProbe, host_probe: DNSProbe, settings: WebStage,
                             host: str) -> HostState:
    dns = await host_probe.probe(host)
    if dns.status == "unresolved":
        return HostState(host, "unknown", {"dns": dns.failures()})
    addresses = dns.a + dns.aaaa
    if not addresses:
        why = ("does not exist (NXDOMAIN)" if dns.status == "nxdomain"
               or dns.chain_end == "nxdomain" else "has no address")
        return HostState(host, "dead", {"why": why, "dns_status": dns.status})
    web = await probe.probe(host, addresses)
    if not web.answered():
        failures = {scheme: visit.failure for scheme, visit in web.visits.items()}
        return HostState(host, "dead", {
            "why": "has no web server answering ("
                   + ", ".join(f"{scheme} {why}" for scheme, why in failures.items()) + ")",
            "addresses": addresses, "failures": failures})
    pseudo = {"name": host, "state": "offline", "hosts": [], "networks": [],
              "nameservers": []}
    result, _ = check_web(pseudo, web.record(), dns.fingerprint(), None, None,
                          settings.checks)
    hijacks = [f for f in result.findings if f.rule in HIJACK_SIGNALS]
    if hijacks:
        return HostState(host, "hijacked", {
            "summaries": [f.summary for f in hijacks],
            "capture": hijacks[0].evidence.get("capture")})
    return HostState(host, "ok", {"addresses": addresses})
