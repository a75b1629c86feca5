"""A scan: register → probes → observations → checks → findings, for some names, as one run.

Besides the register's entries, a full scan probes the discovered names that are not in the
register (zone files, zone transfers, certificate logs: ``register.unlisted``) and one random
name under each managed domain (``register.wildcard``).

Results are written in small transactions as they arrive, each name's observation, checks
and findings together, so a scan killed at any moment leaves a consistent database; the next
scan of the same names resumes the interrupted run instead of starting over.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gc
import hashlib
import resource
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

from domainwatch.baseline import dns_baseline, tls_baseline, web_baseline
from domainwatch.checks import CheckResult
from domainwatch.checks.delegation import check_mx, check_ns, check_service
from domainwatch.checks.dns import check_dns
from domainwatch.checks.links import RULES as LINK_RULES
from domainwatch.checks.links import (
    HostState,
    check_links,
    link_dependencies,
    unknown_hosts,
    with_references,
)
from domainwatch.checks.register import check_register_entry, check_unlisted, check_wildcard
from domainwatch.checks.registration import (
    CONCLUSIVE,
    LINK_RULE,
    Dependency,
    check_registration,
    dependencies,
)
from domainwatch.checks.registration import RULES as REGISTRATION_RULES
from domainwatch.checks.tls import check_tls
from domainwatch.checks.web import (
    HIJACK_SIGNALS,
    SITE_PAGES,
    check_dns_change,
    check_site_pages,
    check_web,
    own_hosts,
    page_content,
)
from domainwatch.clock import now as clock_now
from domainwatch.clock import parse as parse_time
from domainwatch.names import governments_by_division, registrable_domain
from domainwatch.probes.delegation import Delegation, HostAnswer, Resolve, check_delegation
from domainwatch.probes.dns import (
    DNSObservation,
    DNSProbe,
    HostLookups,
    ResolverConfig,
    ResolverUnreachable,
)
from domainwatch.probes.links import (
    CrawledPage,
    Crawler,
    Reference,
    SiteCrawl,
    outbound_references,
    references_from,
)
from domainwatch.probes.tls import TrustStore
from domainwatch.probes.web import WebObservation, WebProbe
from domainwatch.probes.web_processes import (
    WorkerJob,
    probe_in_processes,
    share_out,
    web_processes,
)
from domainwatch.probes.whois import Referral, WhoisClient, WhoisRecord, is_fresh
from domainwatch.reconcile import ZoneIndex, managed_domains, managing_domain
from domainwatch.settings import WebStage, WhoisSettings
from domainwatch.store import Confirmation, FindingChanges, RunLock, Store, utcnow
from domainwatch.takeover import (
    Service,
    fetch,
    load_services,
    match,
    needs_tls,
    service_domains,
    services_for,
)

T = TypeVar("T")
FLUSH_EVERY = 500
FLUSH_SECONDS = 1.0
WILDCARD_LABEL = "dw-wildcard-check-"
# The catalogue's service domains (scan.service_domains_due): asked a few a run, each again
# after a week; the rest of a run's answers come from the database.
SERVICE_DOMAINS_PER_RUN = 4
SERVICE_DOMAIN_REFRESH = timedelta(days=7)
WHOIS_FINGERPRINT = ("status", "registrar", "registrant", "name_servers", "created", "expires")
WEB_FLUSH_EVERY = 200
LINK_HOSTS_IN_FLIGHT = 64
# the outcome's ending for a site whose crawl the run's page budget left for a later run
DEFERRED_CRAWL = "crawl=deferred"
#: A register entry's own findings that make a link to it dead, and how that reads.
DEAD_RULES = {"unused.no_dns": "does not resolve", "unused.no_web": "has no web server answering",
              "dangling.cname": "points at a CNAME target that does not exist"}


class ScanError(Exception):
    """A scan that cannot start, such as a name that is not in the register."""


@dataclass
class StageTime:
    """Where a scan's time went: wall seconds and CPU seconds of the scanning process, and
    the scanning process's peak memory (RSS) by the end of the stage."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_mib: float = 0.0


@dataclass
class ScanSummary:
    run_id: int
    names_total: int
    names_scanned: int = 0
    resumed_after: int = 0
    observations_changed: int = 0
    unresolved: dict[str, dict[str, str]] = field(default_factory=dict)
    whois_checked: int = 0
    whois_unknown: dict[str, str] = field(default_factory=dict)
    whois_held: dict[str, str] = field(default_factory=dict)  # domain → service
    web_checked: int = 0
    web_unanswered: int = 0
    web_processes: int = 1
    link_hosts_checked: int = 0
    pages_crawled: int = 0
    crawls_incomplete: int = 0
    # sites the run's page budget left for a later run (their last crawl's links checked)
    crawls_deferred: int = 0
    changes: FindingChanges = field(default_factory=FindingChanges)
    seconds: float = 0.0
    stages: dict[str, StageTime] = field(default_factory=dict)


class _StoreWhoisCache:
    """Answers recorded by earlier scans, while their lifetime lasts."""

    def __init__(self, store: Store, refresh: set[str] | None = None) -> None:
        self.store = store
        self.refresh = refresh or set()  # asked afresh whatever was recorded

    def get(self, domain: str) -> WhoisRecord | None:
        if domain in self.refresh:
            return None
        latest = self.store.latest_whois(domain)
        if latest is None:
            return None
        data, confirmed = latest
        record = WhoisRecord.from_dict({**data, "asked": confirmed})
        return record if is_fresh(record) else None

    def put(self, record: WhoisRecord) -> None:
        """The scan records every answer itself, with its run."""

    def get_referral(self, tld: str) -> Referral | None:
        row = self.store.whois_referral(tld)
        referral = Referral(**row) if row is not None else None
        return referral if referral is not None and referral.is_fresh() else None

    def put_referral(self, referral: Referral) -> None:
        self.store.save_whois_referral(referral.tld, referral.server, referral.asked)


@dataclass
class _World:
    """What the checks of one scan read besides the observations."""

    entries: dict[str, dict[str, Any]]
    discovered: dict[str, list[dict[str, Any]]]
    zones: ZoneIndex
    managed: set[str]
    # the register's government portals by division code (the naming rules)
    governments: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    wildcards: dict[str, dict[str, Any]] = field(default_factory=dict)
    dependencies: dict[str, list[Dependency]] = field(default_factory=dict)
    processed: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    web: WebStage | None = None
    # names waiting for the web stage: their DNS outcome, recorded with the web's
    web_queue: dict[str, str] = field(default_factory=dict)
    # active entries' sites waiting for the crawl
    crawl_queue: dict[str, _CrawlTarget] = field(default_factory=dict)
    # active entries' outbound hosts, with where their pages refer to them
    references: dict[str, dict[str, list[Reference]]] = field(default_factory=dict)
    # entries whose crawl the run's page budget cut short
    incomplete: set[str] = field(default_factory=set)


@dataclass
class _CrawlTarget:
    start: str
    address: str
    hosts: list[str]
    outcome: str  # the scan outcome so far, recorded when the crawl is done


ProgressCallback = Callable[[int, int], None]


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
    entries = {entry["name"]: entry for entry in store.entries(compact=True)}
    sources = store.sources()
    discovered = store.discovered()
    world = _World(entries, discovered, ZoneIndex.build(sources, discovered),
                   managed_domains(entries.values(), sources, configured_domains),
                   governments_by_division(entries.values()),
                   web=web if web.enabled else None)
    if world.web is not None and world.web.probe.trust is None:
        world.web.probe.trust = TrustStore(world.web.ca_files, system=world.web.system_trust)
    wildcard_domains: list[str] = []
    if names:
        missing = [name for name in names if name not in entries and name not in discovered]
        if missing:
            raise ScanError(f"neither in the register nor discovered: {', '.join(missing)} "
                            "(add them with 'domainwatch register import')")
        targets = sorted(set(names))
    else:
        candidates = {name for name, rows in discovered.items()
                      if name not in entries and any(row["present"] for row in rows)
                      and managing_domain(name, world.managed) is not None}
        candidates |= {f["name"] for f in store.findings(status="open", rule="register.unlisted")}
        candidates |= {f["name"] for f in store.findings(status="acknowledged",
                                                         rule="register.unlisted")}
        targets = sorted(set(entries) | candidates)
    if check_wildcards if check_wildcards is not None else names is None:
        wildcard_domains = sorted(world.managed)
    if not targets:
        raise ScanError("the register is empty; import one with 'domainwatch register import'")
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
        _recall(store, world, done, run_id)
        todo = [name for name in targets if name not in done]
        started = time.monotonic()
        try:
            with long_lived_heap():
                asyncio.run(_scan(store, world, todo, wildcard_domains, config, summary,
                                  progress, len(done), confirm, whois))
        except ResolverUnreachable:
            store.finish_run(run_id, "failed")
            raise
        except BaseException:
            store.finish_run(run_id, "interrupted")
            raise
        store.finish_run(run_id, "complete")
        summary.seconds = time.monotonic() - started
        return summary


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


def _recall(store: Store, world: _World, done: set[str], run_id: int) -> None:
    """Names an interrupted run already recorded still take part in the checks that look
    across names (servers, registration): from what that run observed."""
    for name in done & set(world.entries):
        latest = store.observations(name, "dns", limit=1)
        last = store.last_scan(name)
        resolved = bool(latest) and last is not None and not last["outcome"].startswith(
            "unresolved")
        fingerprint = latest[0]["data"] if resolved else None
        world.processed[name] = fingerprint
        if fingerprint is not None:
            world.dependencies[name] = dependencies(name, fingerprint)
        links = store.observations(name, "links", limit=1)
        if links and links[0]["last_run"] == run_id:
            world.references[name] = references_from(links[0]["data"])
            if not links[0]["data"].get("complete", True):
                world.incomplete.add(name)
        elif last is not None and last["outcome"].endswith(DEFERRED_CRAWL):
            _recall_links(store, world, name)


async def _scan(store: Store, world: _World, todo: list[str], wildcard_domains: list[str],
                config: ResolverConfig, summary: ScanSummary,
                progress: ProgressCallback | None, already_done: int,
                confirm: Confirmation | None, whois: WhoisSettings | None) -> None:
    # The wildcard checks run alongside the names. A discovered name under a domain whose
    # wildcard answer is not in yet is held back until it is: that answer decides whether
    # the name is really live.
    wildcard_probes = {f"{WILDCARD_LABEL}{secrets.token_hex(4)}.{domain}": domain
                       for domain in wildcard_domains}
    waiting_domains = set(wildcard_domains)
    dns_stage = _Stopwatch()
    async with DNSProbe(config) as probe:
        await probe.check_resolvers()
        batch: list[DNSObservation] = []
        wildcards: list[tuple[str, DNSObservation]] = []
        held: list[DNSObservation] = []
        retry: list[str] = []
        last_flush = time.monotonic()
        completed = already_done

        def flush() -> None:
            nonlocal last_flush
            ready: list[DNSObservation] = []
            for observation in batch:
                waits = _waits_for_wildcard(observation.name, world, waiting_domains)
                (held if waits else ready).append(observation)
            _record(store, world, wildcards, ready, summary, confirm)
            batch.clear()
            wildcards.clear()
            last_flush = time.monotonic()

        async def flush_periodically() -> None:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                if time.monotonic() - last_flush >= FLUSH_SECONDS:
                    flush()

        flusher = asyncio.create_task(flush_periodically())
        try:
            async for observation in probe.probe_many([*wildcard_probes, *todo]):
                domain = wildcard_probes.get(observation.name)
                if domain is not None:
                    world.wildcards[domain] = observation.fingerprint()
                    waiting_domains.discard(domain)
                    wildcards.append((domain, observation))
                    batch.extend(held)
                    held.clear()
                    continue
                completed += 1
                if observation.failures():
                    retry.append(observation.name)
                else:
                    batch.append(observation)
                if len(batch) >= FLUSH_EVERY:
                    flush()
                if progress:
                    progress(completed, summary.names_total)
        finally:
            flusher.cancel()
        if flusher.done() and not flusher.cancelled():
            flusher.result()  # re-raises the error of a failed periodic flush
        flush()
        # A name with any failed query is asked again once before it is recorded: a
        # transient timeout should neither look like a change nor leave it unresolved.
        async for observation in probe.probe_many(retry):
            batch.append(observation)
        flush()
        dns_stage.add_to(summary, "dns")
        if world.processed:
            with _timed(summary, "delegations"):
                await _check_servers(store, world, probe, config, summary, confirm)
        # A resumed run whose names were all done still owes the link checks.
        if world.web is not None and (world.web_queue or world.references):
            await _check_web(store, world, config, summary, confirm, progress)
    if whois is not None and (world.dependencies or world.references):
        with _timed(summary, "whois"):
            await _check_registration(store, world, whois, config, summary, confirm)


class _Stopwatch:
    """Wall and CPU time since it was made."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def add_to(self, summary: ScanSummary, stage: str) -> None:
        spent = summary.stages.setdefault(stage, StageTime())
        spent.seconds += time.perf_counter() - self.wall
        spent.cpu_seconds += time.process_time() - self.cpu
        spent.peak_mib = peak_rss_mib()


def peak_rss_mib() -> float:
    """The peak resident memory of this process so far, in MiB. Linux's ``VmHWM``: the
    ``ru_maxrss`` of ``getrusage`` also counts the parent's memory at the fork that started
    this process, which a cron job's or a benchmark's parent can inflate."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:", 1)[1].split()[0]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def _timed(summary: ScanSummary, stage: str) -> Iterator[None]:
    watch = _Stopwatch()
    try:
        yield
    finally:
        watch.add_to(summary, stage)


async def _check_servers(store: Store, world: _World, probe: DNSProbe, config: ResolverConfig,
                         summary: ScanSummary, confirm: Confirmation | None) -> None:
    """The mail servers and the delegations of the names this run scanned."""
    hosts_config = dataclasses.replace(config, record_types=("A", "AAAA"))
    async with DNSProbe(hosts_config) as host_probe:
        lookups = HostLookups(host_probe)

        async def resolve(host: str) -> HostAnswer:
            return _host_answer(await lookups.observation(host))

        parents: dict[str, asyncio.Task[DNSObservation]] = {}

        async def parent_of(zone: str) -> DNSObservation:
            parent = zone.split(".", 1)[1] if "." in zone else "."
            if parent not in parents:
                parents[parent] = asyncio.ensure_future(probe.probe(parent))
            return await parents[parent]

        zones_of = {name: _zones(name, fingerprint)
                    for name, fingerprint in world.processed.items()}
        zones = sorted({zone for found in zones_of.values() for zone in found})
        delegations = dict(zip(zones, await asyncio.gather(
            *(_delegation(zone, parent_of, resolve, config.timeout) for zone in zones)),
            strict=True))
        mail_hosts = {name: [record.split()[-1] for record in (fingerprint or {}).get("mx", [])
                             if record.split()]
                      for name, fingerprint in world.processed.items()}
        resolved = {host: await resolve(host)
                    for host in sorted({h for hosts in mail_hosts.values() for h in hosts})}
    for name in world.processed:
        # A name server known only from the delegation (the name itself did not resolve, or
        # its zone's NS set was not in the answer) is a dependency all the same.
        known = {(need.domain, need.role) for need in world.dependencies.get(name, [])}
        for zone in zones_of[name]:
            for host in delegations[zone].ns:
                domain = registrable_domain(host)
                if domain is not None and (domain, "name server") not in known:
                    known.add((domain, "name server"))
                    world.dependencies.setdefault(
                        name, dependencies(name, None)).append(
                            Dependency(domain, host, "name server"))
    services = load_services()
    claimable = {name: await _service_match(name, fingerprint, services, config.timeout)
                 for name, fingerprint in world.processed.items() if fingerprint is not None}
    at = utcnow()
    with store.transaction():
        for name, fingerprint in world.processed.items():
            result = check_ns(name, [delegations[zone].as_dict() for zone in zones_of[name]])
            if fingerprint is not None:
                result.add(check_mx(name, fingerprint.get("mx", []), resolved))
                matched = claimable[name]
                if matched is not UNKNOWN:
                    result.add(check_service(name, matched))
            summary.changes.add(store.reconcile_findings(
                name, result.evaluated, result.findings, summary.run_id, at, confirm))


UNKNOWN = object()


async def _service_match(name: str, fingerprint: dict[str, Any], services: list[Service],
                         timeout: float) -> Any:
    """The claimable service the name's CNAME chain enters, None, or UNKNOWN when its page
    could not be fetched (a fetch that failed proves nothing)."""
    chain = fingerprint.get("cname_chain", [])
    if not services_for(chain, services):
        return None
    addresses = fingerprint.get("a", []) + fingerprint.get("aaaa", [])
    answer = await fetch(name, addresses[0], timeout=timeout) if addresses else None
    if answer is not None and answer.error:
        return UNKNOWN
    # A service whose unclaimed answer is a failed TLS handshake is asked over HTTPS too.
    tls = (await fetch(name, addresses[0], scheme="https", timeout=timeout)
           if addresses and needs_tls(chain, services) else None)
    return match(chain, fingerprint.get("chain_end", "ok"), answer, services, tls)


def _zones(name: str, fingerprint: dict[str, Any] | None) -> list[str]:
    """The delegated zones a name depends on: its government's domain, and the name itself
    when it is a delegation of its own."""
    zones = []
    domain = registrable_domain(name)
    if domain is not None:
        zones.append(domain)
    if fingerprint and fingerprint.get("ns_owner") == name and name != domain:
        zones.append(name)
    return zones


async def _delegation(zone: str, parent_of: Callable[[str], Awaitable[DNSObservation]],
                      resolve: Resolve, timeout: float) -> Delegation:
    """The NS set of the zone's parent name is the one that holds the delegation."""
    above = await parent_of(zone)
    addresses = [address for host in above.ns for address in (await resolve(host))[0]]
    parent = above.ns_owner or above.name
    if not addresses:
        return Delegation(zone=zone, parent=parent, status="unknown",
                          detail=f"the servers of {parent} could not be found")
    return await check_delegation(zone, parent, addresses, resolve, timeout=timeout)


def _host_answer(observation: DNSObservation) -> HostAnswer:
    addresses = observation.a + observation.aaaa
    if addresses:
        return addresses, "ok"
    if observation.status == "unresolved":
        return [], next(iter(observation.failures().values()), "error")
    if observation.status == "nxdomain" or observation.chain_end == "nxdomain":
        return [], "nxdomain"
    return [], "no_address"


async def _delegations(domains: list[str], config: ResolverConfig) -> dict[str, set[str]]:
    """The name servers of each domain DNS shows delegated (its own NS set answers). A
    failed query proves nothing, so its domain is left out."""
    if not domains:
        return {}
    async with DNSProbe(dataclasses.replace(config, record_types=("A", "NS"))) as probe:
        observations = await asyncio.gather(*(probe.probe(domain) for domain in domains))
    return {obs.name: {host.lower().rstrip(".") for host in obs.ns} for obs in observations
            if obs.ns and obs.ns_owner == obs.name and "NS" not in obs.failures()}


def service_domains_due(delegated: Mapping[str, set[str]],
                        latest: Mapping[str, tuple[dict[str, Any], str] | None],
                        now: datetime) -> tuple[list[str], list[str]]:
    """Which delegated service domains to ask over WHOIS this run: ``(refresh, due)``.

    ``refresh``: those whose name servers in DNS share none with those their last
    registered WHOIS record listed (a domain dropped and caught again gets new ones) —
    asked now, past any cached answer. ``due``: at most :data:`SERVICE_DOMAINS_PER_RUN`
    of those never asked or last confirmed :data:`SERVICE_DOMAIN_REFRESH` ago or more,
    the never asked first, then the oldest. The rest wait for a later run.
    """
    refresh: list[str] = []
    waiting: list[tuple[str, str]] = []
    for domain in sorted(delegated):
        record = latest.get(domain)
        if record is None:
            waiting.append(("", domain))
            continue
        data, confirmed = record
        listed = {host.lower().rstrip(".") for host in data.get("name_servers") or []}
        if data.get("status") == "registered" and listed.isdisjoint(delegated[domain]) \
                and listed:
            refresh.append(domain)
        elif now - parse_time(confirmed) >= SERVICE_DOMAIN_REFRESH:
            waiting.append((confirmed, domain))
    due = [domain for _, domain in sorted(waiting)[:SERVICE_DOMAINS_PER_RUN]]
    return refresh, due


async def _check_registration(store: Store, world: _World, settings: WhoisSettings,
                              config: ResolverConfig, summary: ScanSummary,
                              confirm: Confirmation | None) -> None:
    """Ask about every registrable domain the scanned names depend on or link to, once
    each.

    The domains the catalogue's services serve their customers from (``herokuapp.com``)
    are asked in turn while DNS shows them delegated (:func:`service_domains_due`): a few a
    run, each again after a week, and at once when their name servers change. One that is
    not delegated, or whose NS query fails, is asked every run like any other domain. A
    service domain not asked this run is left out of its names' judgement, its findings as
    they were (asking them all would hold every scan up behind the busiest registry's
    spacing: Verisign's for ``.com``/``.net``).
    """
    linked = {name: link_dependencies(name, found, {need.domain for need in
                                                    world.dependencies.get(name, [])})
              for name, found in world.references.items()}
    services = service_domains(load_services())
    wanted = {need.domain for needs in [*world.dependencies.values(), *linked.values()]
              for need in needs}
    delegated = await _delegations(sorted(wanted & services.keys()), config)
    refresh, due = service_domains_due(
        delegated, {domain: store.latest_whois(domain) for domain in delegated}, clock_now())
    held = set(delegated) - set(refresh) - set(due)
    summary.whois_held = {domain: services[domain].name for domain in held}
    dependencies = {name: [need for need in needs if need.domain not in held]
                    for name, needs in world.dependencies.items()}
    linked = {name: [need for need in needs if need.domain not in held]
              for name, needs in linked.items()}
    domains = sorted(wanted - held)
    stored = _StoreWhoisCache(store, refresh=set(refresh))
    client = WhoisClient(settings.servers, timeout=settings.timeout, retries=settings.retries,
                         min_interval=settings.min_interval,
                         cache=stored if settings.reuse_answers else None, referrals=stored)
    answers = await asyncio.gather(*(client.lookup(domain) for domain in domains))
    records = {domain: record.as_dict() for domain, record in zip(domains, answers, strict=True)}
    at = utcnow()
    with store.transaction():
        for domain, record in records.items():
            if record["status"] not in CONCLUSIVE:
                summary.whois_unknown[domain] = f"{record['status']}: {record['detail']}"
                continue
            summary.whois_checked += 1
            fingerprint = {key: record[key] for key in WHOIS_FINGERPRINT}
            store.record_observation(domain, "whois", fingerprint, record, summary.run_id, at)
        first = {domain: store.first_registered_whois(domain) for domain in records}
        for name in sorted(set(dependencies) | set(linked)):
            needs = dependencies.get(name, [])
            result = check_registration(name, needs, records, first,
                                        expiry_window=settings.expiry_window,
                                        complete=world.processed.get(name) is not None)
            unjudged: set[str] = set()
            if not result.evaluated:
                unjudged |= {need.domain for need in needs}
            # The domains the entry's pages link to are judged one by one, apart from the
            # rest: one that could not be asked (a partner site's registry rate-limits)
            # leaves only its own findings as they were.
            links = CheckResult()
            if name in linked:  # crawled this run: a link that is gone resolves its finding
                links.evaluated = {*REGISTRATION_RULES, LINK_RULE}
            by_domain: dict[str, list[Dependency]] = {}
            for need in linked.get(name, []):
                by_domain.setdefault(need.domain, []).append(need)
            for domain, domain_needs in by_domain.items():
                one = check_registration(name, domain_needs, records, first,
                                         expiry_window=settings.expiry_window)
                if one.evaluated:
                    links.findings += one.findings
                else:
                    unjudged.add(domain)
            unjudged |= _unreached(store, world, name, [LINK_RULE], {
                need.domain for need in [*needs, *linked.get(name, [])]})
            result.add(links)
            drafts = [with_references(draft, world.references.get(name, {}))
                      for draft in result.findings]
            summary.changes.add(store.reconcile_findings(
                name, result.evaluated, drafts, summary.run_id, at, confirm,
                unjudged=unjudged))


async def _check_web(store: Store, world: _World, config: ResolverConfig,
                     summary: ScanSummary, confirm: Confirmation | None,
                     progress: ProgressCallback | None) -> None:
    """Fetch every resolving register entry over HTTP and HTTPS, judge its page and
    certificate, read the active sites for their links, and record each name as done once
    its results are in; then check the hosts the sites link to."""
    assert world.web is not None
    web_stage = _Stopwatch()
    stage = world.web
    hosts_config = dataclasses.replace(config, record_types=("A", "AAAA"))
    async with DNSProbe(hosts_config) as host_probe:
        probe = WebProbe(stage.probe, HostLookups(host_probe).addresses)
        targets = []
        for name in world.web_queue:
            fingerprint = world.processed.get(name) or {}
            targets.append((name, list(fingerprint.get("a", [])) + list(
                fingerprint.get("aaaa", []))))
        processes = summary.web_processes = web_processes(stage.probe.processes, len(targets))
        observations = probe.probe_many(targets) if processes < 2 else probe_in_processes([
            WorkerJob(share, dataclasses.replace(stage.probe, trust=None), stage.ca_files,
                      stage.system_trust, hosts_config)
            for share in share_out(targets, processes)])
        restart = getattr(progress, "restart", None)
        if restart is not None:
            restart("web")
        web_batch = _Batch[WebObservation](
            lambda batch: _record_web(store, world, batch, summary, confirm))
        fetched = 0
        async for observation in observations:
            fetched += 1
            if progress:
                progress(fetched, len(targets))
            web_batch.add(observation)
        web_batch.flush()
        web_stage.add_to(summary, "web")
        if world.crawl_queue:
            with _timed(summary, "crawl"):
                await _crawl_sites(store, world, probe, summary, confirm, progress)
        if stage.links and world.references:
            with _timed(summary, "linked hosts"):
                await _check_links(store, world, probe, host_probe, summary, confirm)


async def _crawl_sites(store: Store, world: _World, probe: WebProbe, summary: ScanSummary,
                       confirm: Confirmation | None,
                       progress: ProgressCallback | None) -> None:
    """Read the active entries' sites for the hosts they refer to, and record each entry
    as done once its crawl is in (the ``links`` observation)."""
    assert world.web is not None
    crawler = Crawler(probe, world.web.crawl)
    targets = crawl_order(world.crawl_queue, store.crawl_ages(), world.entries)
    restart = getattr(progress, "restart", None)
    if restart is not None:
        restart("crawl")

    async def crawl(name: str, target: _CrawlTarget) -> SiteCrawl:
        assert world.web is not None
        inspect = functools.partial(page_content, settings=world.web.checks,
                                    own=own_hosts(world.entries[name]))
        return await crawler.crawl(name, target.start, target.address, target.hosts, inspect)

    crawl_batch = _Batch[SiteCrawl](
        lambda batch: _record_crawls(store, world, batch, summary, confirm))
    queue = iter(targets)
    finished = 0

    async def reader() -> None:
        # The readers share one iterator: the sites are taken in order, the most
        # overdue first, and no more than ``sites`` are being read at once.
        nonlocal finished
        for name, target in queue:
            crawl_batch.add(await crawl(name, target))
            finished += 1
            if progress:
                progress(finished, len(targets))

    await asyncio.gather(*(reader() for _ in range(world.web.crawl.sites)))
    crawl_batch.flush()


class _Batch(Generic[T]):
    """Results kept until ``record`` writes them (one transaction): every
    :data:`WEB_FLUSH_EVERY` of them or :data:`FLUSH_SECONDS`, and at the end."""

    def __init__(self, record: Callable[[list[T]], None]) -> None:
        self.record = record
        self.items: list[T] = []
        self.last_flush = time.monotonic()

    def add(self, item: T) -> None:
        self.items.append(item)
        if len(self.items) >= WEB_FLUSH_EVERY \
                or time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.record(self.items)
        self.items = []
        self.last_flush = time.monotonic()


def _record_crawls(store: Store, world: _World, crawls: list[SiteCrawl],
                   summary: ScanSummary, confirm: Confirmation | None) -> None:
    at = utcnow()
    with store.transaction():
        for crawl in crawls:
            target = world.crawl_queue.pop(crawl.name)
            deferred = not crawl.pages and not crawl.complete
            if deferred:
                _recall_links(store, world, crawl.name)
                summary.crawls_deferred += 1
            else:
                _record_links(store, world, crawl, summary, at)
            result, unjudged = check_site_pages(
                crawl.name, crawl.flagged, crawl.flagged_count, crawl.complete,
                world.web.checks, own_hosts(world.entries[crawl.name]))
            summary.changes.add(store.reconcile_findings(
                crawl.name, result.evaluated, result.findings, summary.run_id, at, confirm,
                unjudged=unjudged))
            store.mark_name_done(summary.run_id, crawl.name, f"{target.outcome} " + (
                DEFERRED_CRAWL if deferred else f"pages={len(crawl.pages)}"))
            summary.names_scanned += 1


def crawl_order(queue: dict[str, T], ages: dict[str, tuple[bool, str]],
                entries: dict[str, dict[str, Any]]) -> list[tuple[str, T]]:
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


def _recall_links(store: Store, world: _World, name: str) -> None:
    """A site the run's page budget left for a later run: the links found by its last
    crawl are checked again (the hosts a site links to change more often than its
    links), and what that crawl did not find is not taken as gone."""
    latest = store.observations(name, "links", limit=1)
    if latest:
        world.references[name] = references_from(latest[0]["data"])
        world.incomplete.add(name)


def _record_links(store: Store, world: _World, crawl: SiteCrawl, summary: ScanSummary,
                  at: str) -> None:
    world.references[crawl.name] = crawl.references
    summary.pages_crawled += len(crawl.pages)
    if not crawl.complete:
        world.incomplete.add(crawl.name)
        summary.crawls_incomplete += 1
    if store.record_observation(crawl.name, "links", crawl.fingerprint(), crawl.data(),
                                summary.run_id, at, bodies=crawl.bodies()):
        summary.observations_changed += 1


async def _check_links(store: Store, world: _World, probe: WebProbe, host_probe: DNSProbe,
                       summary: ScanSummary, confirm: Confirmation | None) -> None:
    """Check every host the entries' pages refer to, once, and raise ``link.*`` on the
    entries that refer to them."""
    assert world.web is not None
    counts = Counter(host for found in world.references.values() for host in found)
    hosts = [host for host, _ in counts.most_common(world.web.link_hosts)]
    states: dict[str, HostState] = {}
    slots = asyncio.Semaphore(LINK_HOSTS_IN_FLIGHT)

    async def check(host: str) -> None:
        async with slots:
            states[host] = await _host_state(store, world, probe, host_probe, host)

    await asyncio.gather(*(check(host) for host in hosts))
    summary.link_hosts_checked = len(states)
    at = utcnow()
    with store.transaction():
        for name, found in world.references.items():
            result = check_links(name, found, states)
            unjudged = unknown_hosts(found, states) | _unreached(store, world, name,
                                                                 LINK_RULES, set(found))
            summary.changes.add(store.reconcile_findings(
                name, result.evaluated, result.findings, summary.run_id, at, confirm,
                unjudged=unjudged))


def _unreached(store: Store, world: _World, name: str, rules: Iterable[str],
               present: set[str]) -> set[str]:
    """The subjects of ``name``'s standing findings of ``rules`` that its crawl did not
    come across because the run's page budget cut it short: not seen is not gone."""
    if name not in world.incomplete:
        return set()
    return {row["subject"] for row in store.standing_findings(name, rules)
            if row["subject"] not in present}


async def _host_state(store: Store, world: _World, probe: WebProbe, host_probe: DNSProbe,
                      host: str) -> HostState:
    """What an outbound host shows: an active register entry's own findings when it has
    been scanned, else a DNS lookup and a visit judged by the hijack checks (an offline
    entry is not held to having a web site, so its own findings cannot say it is gone)."""
    assert world.web is not None
    entry = world.entries.get(host)
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
    state = await _probed_host_state(world, probe, host_probe, host)
    if entry is not None:
        state.detail["register_entry"] = True
    return state


async def _probed_host_state(world: _World, probe: WebProbe, host_probe: DNSProbe,
                             host: str) -> HostState:
    assert world.web is not None
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
    result, _ = check_web(pseudo, web.record(), dns.fingerprint(), None, None, world.web.checks)
    hijacks = [f for f in result.findings if f.rule in HIJACK_SIGNALS]
    if hijacks:
        return HostState(host, "hijacked", {
            "summaries": [f.summary for f in hijacks],
            "capture": hijacks[0].evidence.get("capture")})
    return HostState(host, "ok", {"addresses": addresses})


def _record_web(store: Store, world: _World, observations: list[WebObservation],
                summary: ScanSummary, confirm: Confirmation | None) -> None:
    if not observations:
        return
    assert world.web is not None
    stage = world.web
    at = utcnow()
    with store.transaction():
        for observation in observations:
            name = observation.name
            entry = world.entries[name]
            dns = world.processed.get(name) or {}
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
                                          stage.checks)
            if judgement is not None:
                data["signals"] = judgement.signals
                data["illicit_score"] = judgement.illicit.score
                data["placeholder"] = (judgement.placeholder.id
                                       if judgement.placeholder is not None else None)
            if store.record_observation(name, "web", fingerprint, data, summary.run_id, at,
                                        bodies=record.bodies()):
                summary.observations_changed += 1
            result.add(check_tls(entry, record, baselines.get("tls"), stage.tls))
            # The pages beyond the home page are the crawl's to judge.
            summary.changes.add(store.reconcile_findings(
                name, result.evaluated, result.findings, summary.run_id, at, confirm,
                unjudged={SITE_PAGES}))
            clean = judgement is not None and not any(
                finding.rule in HIJACK_SIGNALS for finding in result.findings)
            if clean:
                _first_baselines(store, name, baselines, dns, data, at, summary.run_id)
            outcome = world.web_queue.pop(name, "resolves")
            outcome += " web=" + ("ok" if answered else "no-answer")
            landing = record.landing
            own = [name, *entry.get("hosts", [])]
            # The site's own pages only: not another entry's page it redirects to, not a
            # server's default page (whose links are the vendor's).
            if stage.links and entry["state"] == "active" and landing is not None \
                    and landing.host in own and judgement is not None \
                    and judgement.placeholder is None and (landing.status or 500) < 400:
                if stage.crawl.depth > 0:
                    world.crawl_queue[name] = _CrawlTarget(landing.url, landing.address,
                                                           own, outcome)
                    continue
                home = SiteCrawl(name=name, start=landing.url, pages=[CrawledPage(
                    landing.url, 0, landing.status)])
                home.add(outbound_references(landing.page, landing.url, own))
                _record_links(store, world, home, summary, at)
            store.mark_name_done(summary.run_id, name, outcome)
            summary.names_scanned += 1


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


def _waits_for_wildcard(name: str, world: _World, waiting_domains: set[str]) -> bool:
    if not waiting_domains or name in world.entries:
        return False
    return managing_domain(name, world.managed) in waiting_domains


def _record(store: Store, world: _World, wildcards: list[tuple[str, DNSObservation]],
            observations: list[DNSObservation], summary: ScanSummary,
            confirm: Confirmation | None) -> None:
    if not observations and not wildcards:
        return
    at = utcnow()
    with store.transaction():
        for domain, observation in wildcards:
            result = check_wildcard(domain, observation.name, observation.fingerprint(),
                                    world.zones)
            summary.changes.add(store.reconcile_findings(
                domain, result.evaluated, result.findings, summary.run_id, at, confirm))
        for observation in observations:
            name = observation.name
            fingerprint = observation.fingerprint()
            failures = observation.failures()
            outcome = observation.status + "".join(
                f" {qtype}={status}" for qtype, status in sorted(failures.items()))
            resolved = observation.status != "unresolved"
            if resolved:
                data = {**fingerprint, "ttls": observation.ttls}
                if store.record_observation(name, "dns", fingerprint, data, summary.run_id, at):
                    summary.observations_changed += 1
            else:
                summary.unresolved[name] = failures
            entry = world.entries.get(name)
            web_next = False
            if entry is not None:
                result = check_register_entry(entry, world.zones, entries=world.entries,
                                              governments=world.governments)
                world.processed[name] = fingerprint if resolved else None
                if resolved:
                    result.add(check_dns(entry, fingerprint))
                    world.dependencies[name] = dependencies(name, fingerprint)
                    baseline = store.baseline(name, "dns")
                    result.add(check_dns_change(entry, fingerprint, baseline))
                    web_next = world.web is not None and bool(fingerprint["a"]
                                                              or fingerprint["aaaa"])
                    if baseline is None and world.web is None:
                        store.set_baseline(name, "dns", dns_baseline(fingerprint), at=at,
                                           by="domainwatch", how="first-seen",
                                           run_id=summary.run_id)
            else:
                domain = managing_domain(name, world.managed)
                result = check_unlisted(
                    name, domain, world.discovered.get(name, []),
                    fingerprint if resolved else None, world.zones,
                    world.wildcards.get(domain) if domain else None)
            summary.changes.add(store.reconcile_findings(
                name, result.evaluated, result.findings, summary.run_id, at, confirm))
            if web_next:
                world.web_queue[name] = outcome
                continue
            store.mark_name_done(summary.run_id, name, outcome)
            summary.names_scanned += 1


def _options(config: ResolverConfig) -> dict[str, Any]:
    return {"resolvers": [f"{host}:{port}" for host, port in config.resolvers],
            "timeout": config.timeout, "retries": config.retries,
            "concurrency": config.concurrency}

