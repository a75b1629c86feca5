"""A scan: register → probes → observations → checks → findings, for some names, as one run.

Besides the register's entries, a full scan probes the discovered names that are not in the
register (zone files, zone transfers, certificate logs: ``register.unlisted``) and one random
name under each managed domain (``register.wildcard``). The work is done by the stages of
:mod:`domainwatch.stages`, one per probe family, which this module composes.

Results are written in small transactions as they arrive, each name's observation, checks
and findings together, so a scan killed at any moment leaves a consistent database; the next
scan of the same names resumes the interrupted run instead of starting over.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import hashlib
import time
from collections.abc import Iterable, Iterator
from typing import Any

from domainwatch.checks.registration import Dependency
from domainwatch.names import governments_by_division
from domainwatch.probes.dns import DNSProbe, HostLookups, ResolverConfig, ResolverUnreachable
from domainwatch.probes.links import references_from
from domainwatch.probes.tls import TrustStore
from domainwatch.probes.web import WebProbe
from domainwatch.reconcile import ZoneIndex, managed_domains, managing_domain
from domainwatch.settings import WebStage, WhoisSettings
from domainwatch.stages import (
    ProgressCallback,
    RegisterView,
    ScanContext,
    ScanSummary,
    StageTime,
    Stopwatch,
    peak_rss_mib,
    timed,
)
from domainwatch.stages.delegations import check_delegations
from domainwatch.stages.dns import Resolved, resolve_names
from domainwatch.stages.links import (
    DEFERRED_CRAWL,
    LinkSources,
    check_linked_hosts,
    crawl_sites,
)
from domainwatch.stages.registration import check_registrations
from domainwatch.stages.web import fetch_sites
from domainwatch.store import Confirmation, RunLock, Store

__all__ = ["ScanError", "ScanSummary", "StageTime", "long_lived_heap", "peak_rss_mib", "scan"]


class ScanError(Exception):
    """A scan that cannot start, such as a name that is not in the register."""


def scan(store: Store, names: list[str] | None, config: ResolverConfig,
         progress: ProgressCallback | None = None,
         configured_domains: Iterable[str] = (), *, confirm: Confirmation | None = None,
         check_wildcards: bool | None = None, lock: bool = True,
         whois: WhoisSettings | None = None, web: WebStage | None = None) -> ScanSummary:
    """Scan ``names`` (when None: the register and the unlisted discovered names) and record
    what was found. The managed domains' wildcard checks run with a full scan, or when
    ``check_wildcards`` says so; the registration checks when ``whois`` is given; the web
    and certificate stage unless ``web`` is disabled; ``lock`` False when the caller holds
    the run lock."""
    web = web if web is not None else WebStage()
    register = register_view(store, configured_domains)
    if web.enabled and web.probe.trust is None:
        web.probe.trust = TrustStore(web.ca_files, system=web.system_trust)
    targets = names_to_scan(store, register, names)
    wildcard_domains: list[str] = []
    if check_wildcards if check_wildcards is not None else names is None:
        wildcard_domains = sorted(register.managed)
    with RunLock(store.path) if lock else contextlib.nullcontext():
        store.mark_abandoned_runs()
        targets_hash = hashlib.sha256("\n".join(targets).encode()).hexdigest()
        previous = store.resumable_run(targets_hash)
        if previous is not None:
            run_id = previous["id"]
            store.resume_run(run_id)
            done = store.names_done(run_id)
        else:
            run_id = store.start_run(len(targets), targets_hash, _options(config))
            done = set()
        summary = ScanSummary(run_id=run_id, names_total=len(targets), resumed_after=len(done))
        context = ScanContext(store, register, summary, confirm, progress)
        resolved, link_sources = _recall(store, register, done, run_id)
        todo = [name for name in targets if name not in done]
        started = time.monotonic()
        try:
            with long_lived_heap():
                asyncio.run(_scan(context, todo, wildcard_domains, config, resolved,
                                  link_sources, len(done), whois,
                                  web if web.enabled else None))
        except ResolverUnreachable:
            store.finish_run(run_id, "failed")
            raise
        except BaseException:
            store.finish_run(run_id, "interrupted")
            raise
        store.finish_run(run_id, "complete")
        summary.seconds = time.monotonic() - started
        return summary


def register_view(store: Store, configured_domains: Iterable[str] = ()) -> RegisterView:
    """The register, the discovered names and the managed domains, as the checks read them."""
    entries = {entry["name"]: entry for entry in store.entries(compact=True)}
    sources = store.sources()
    discovered = store.discovered()
    return RegisterView(entries, discovered, ZoneIndex.build(sources, discovered),
                        managed_domains(entries.values(), sources, configured_domains),
                        governments_by_division(entries.values()))


def names_to_scan(store: Store, register: RegisterView, names: list[str] | None) -> list[str]:
    """``names``, each of which must be in the register or discovered; when None, the
    register and the unlisted discovered names (those a source still lists under a managed
    domain, and those with a standing ``register.unlisted`` finding)."""
    entries, discovered = register.entries, register.discovered
    if names:
        missing = [name for name in names if name not in entries and name not in discovered]
        if missing:
            raise ScanError(f"neither in the register nor discovered: {', '.join(missing)} "
                            "(add them with 'domainwatch register import')")
        return sorted(set(names))
    candidates = {name for name, rows in discovered.items()
                  if name not in entries and any(row["present"] for row in rows)
                  and managing_domain(name, register.managed) is not None}
    candidates |= {f["name"] for f in store.findings(status="open", rule="register.unlisted")}
    candidates |= {f["name"] for f in store.findings(status="acknowledged",
                                                     rule="register.unlisted")}
    targets = sorted(set(entries) | candidates)
    if not targets:
        raise ScanError("the register is empty; import one with 'domainwatch register import'")
    return targets


@contextlib.contextmanager
def long_lived_heap() -> Iterator[None]:
    """Keep the cyclic garbage collector out of a large scan's way: what is loaded before
    it (the register, the zones, Python's own modules) is frozen out of the collections,
    and the young generation is collected every 50,000 allocations instead of 700. A
    100k-name scan holds hundreds of thousands of long-lived objects that every full
    collection would otherwise walk again (measured: the DNS stage of a 20,000-name scan
    took 7.3 s instead of 11.1)."""
    gc.collect()
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()



def _recall(store: Store, register: RegisterView, done: set[str],
            run_id: int) -> tuple[Resolved, LinkSources]:
    """Names an interrupted run already recorded still take part in the checks that look
    across names (servers, registration): from what that run observed."""
    resolved, sources = Resolved(), LinkSources()
    for name in done & set(register.entries):
        latest = store.observations(name, "dns", limit=1)
        last = store.last_scan(name)
        complete = bool(latest) and last is not None and not last["outcome"].startswith(
            "unresolved")
        resolved.fingerprints[name] = latest[0]["data"] if complete else None
        links = store.observations(name, "links", limit=1)
        if links and links[0]["last_run"] == run_id:
            sources.references[name] = references_from(links[0]["data"])
            if not links[0]["data"].get("complete", True):
                sources.incomplete.add(name)
        elif last is not None and last["outcome"].endswith(DEFERRED_CRAWL):
            sources.recall(store, name)
    return resolved, sources


async def _scan(context: ScanContext, todo: list[str], wildcard_domains: list[str],
                config: ResolverConfig, resolved: Resolved, sources: LinkSources,
                already_done: int, whois: WhoisSettings | None, web: WebStage | None) -> None:
    summary = context.summary
    needs: dict[str, list[Dependency]] = {}
    dns_watch = Stopwatch()
    async with DNSProbe(config) as probe:
        await probe.check_resolvers()
        found = await resolve_names(context, probe, todo, wildcard_domains,
                                    web=web is not None, already_done=already_done)
        resolved.fingerprints.update(found.fingerprints)
        dns_watch.add_to(summary, "dns")
        if resolved.fingerprints:
            with timed(summary, "delegations"):
                needs = await check_delegations(context, probe, config, resolved.fingerprints)
        # A resumed run whose names were all done still owes the link checks.
        if web is not None and (found.sites_due or sources.references):
            await _web_stages(context, web, config, found, resolved, sources)
    if whois is not None and (needs or sources.references):
        with timed(summary, "whois"):
            await check_registrations(context, whois, config, needs, resolved.fingerprints,
                                      sources)


async def _web_stages(context: ScanContext, web: WebStage, config: ResolverConfig,
                      found: Resolved, resolved: Resolved, sources: LinkSources) -> None:
    """Fetch the sites due, crawl the active entries' sites, check the hosts they link to."""
    hosts_config = dataclasses.replace(config, record_types=("A", "AAAA"))
    async with DNSProbe(hosts_config) as host_probe:
        probe = WebProbe(web.probe, HostLookups(host_probe).addresses)
        crawl_due = await fetch_sites(context, probe, web, hosts_config, found.sites_due,
                                      resolved.fingerprints, sources)
        if crawl_due:
            with timed(context.summary, "crawl"):
                await crawl_sites(context, probe, web, crawl_due, sources)
        if web.links and sources.references:
            with timed(context.summary, "linked hosts"):
                await check_linked_hosts(context, probe, host_probe, web, sources)


def _options(config: ResolverConfig) -> dict[str, Any]:
    return {"resolvers": [f"{host}:{port}" for host, port in config.resolvers],
            "timeout": config.timeout, "retries": config.retries,
            "concurrency": config.concurrency}
