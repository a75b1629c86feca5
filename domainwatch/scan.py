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
import hashlib
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from domainwatch.checks.dns import check_dns
from domainwatch.checks.register import check_register_entry, check_unlisted, check_wildcard
from domainwatch.probes.dns import DNSObservation, DNSProbe, ResolverConfig, ResolverUnreachable
from domainwatch.reconcile import ZoneIndex, managed_domains, managing_domain
from domainwatch.store import FindingChanges, RunLock, Store, utcnow

FLUSH_EVERY = 500
FLUSH_SECONDS = 1.0
WILDCARD_LABEL = "dw-wildcard-check-"


class ScanError(Exception):
    """A scan that cannot start, such as a name that is not in the register."""


@dataclass
class ScanSummary:
    run_id: int
    names_total: int
    names_scanned: int = 0
    resumed_after: int = 0
    observations_changed: int = 0
    unresolved: dict[str, dict[str, str]] = field(default_factory=dict)
    changes: FindingChanges = field(default_factory=FindingChanges)
    seconds: float = 0.0


@dataclass
class _World:
    """What the checks of one scan read besides the observations."""

    entries: dict[str, dict[str, Any]]
    discovered: dict[str, list[dict[str, Any]]]
    zones: ZoneIndex
    managed: set[str]
    wildcards: dict[str, dict[str, Any]] = field(default_factory=dict)


ProgressCallback = Callable[[int, int], None]


def scan(store: Store, names: list[str] | None, config: ResolverConfig,
         progress: ProgressCallback | None = None,
         configured_domains: Iterable[str] = ()) -> ScanSummary:
    """Scan ``names`` (when None: the register, the unlisted discovered names and the
    managed domains' wildcard checks) and record what was found."""
    entries = {entry["name"]: entry for entry in store.entries()}
    sources = store.sources()
    discovered = store.discovered()
    world = _World(entries, discovered, ZoneIndex.build(sources, discovered),
                   managed_domains(entries.values(), sources, configured_domains))
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
        wildcard_domains = sorted(world.managed)
    if not targets:
        raise ScanError("the register is empty; import one with 'domainwatch register import'")
    with RunLock(store.path):
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
        todo = [name for name in targets if name not in done]
        started = time.monotonic()
        try:
            asyncio.run(_scan(store, world, todo, wildcard_domains, config, summary, progress,
                              len(done)))
        except ResolverUnreachable:
            store.finish_run(run_id, "failed")
            raise
        except BaseException:
            store.finish_run(run_id, "interrupted")
            raise
        store.finish_run(run_id, "complete")
        summary.seconds = time.monotonic() - started
        return summary


async def _scan(store: Store, world: _World, todo: list[str], wildcard_domains: list[str],
                config: ResolverConfig, summary: ScanSummary,
                progress: ProgressCallback | None, already_done: int) -> None:
    async with DNSProbe(config) as probe:
        await probe.check_resolvers()
        if wildcard_domains:
            await _check_wildcards(store, world, probe, wildcard_domains, summary)
        batch: list[DNSObservation] = []
        retry: list[str] = []
        last_flush = time.monotonic()
        completed = already_done

        def flush() -> None:
            nonlocal last_flush
            _record(store, world, batch, summary)
            batch.clear()
            last_flush = time.monotonic()

        async def flush_periodically() -> None:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                if time.monotonic() - last_flush >= FLUSH_SECONDS:
                    flush()

        flusher = asyncio.create_task(flush_periodically())
        try:
            async for observation in probe.probe_many(todo):
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


async def _check_wildcards(store: Store, world: _World, probe: DNSProbe, domains: list[str],
                           summary: ScanSummary) -> None:
    """Ask for a random name under each managed domain; an answer means a wildcard record."""
    probes = {f"{WILDCARD_LABEL}{secrets.token_hex(4)}.{domain}": domain for domain in domains}
    at = utcnow()
    observations = [observation async for observation in probe.probe_many(probes)]
    with store.transaction():
        for observation in observations:
            domain = probes[observation.name]
            fingerprint = observation.fingerprint()
            world.wildcards[domain] = fingerprint
            result = check_wildcard(domain, observation.name, fingerprint, world.zones)
            summary.changes.add(store.reconcile_findings(
                domain, result.evaluated, result.findings, summary.run_id, at))


def _record(store: Store, world: _World, observations: list[DNSObservation],
            summary: ScanSummary) -> None:
    if not observations:
        return
    at = utcnow()
    with store.transaction():
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
            if entry is not None:
                result = check_register_entry(entry, world.zones)
                if resolved:
                    result.add(check_dns(entry, fingerprint))
            else:
                domain = managing_domain(name, world.managed)
                result = check_unlisted(
                    name, domain, world.discovered.get(name, []),
                    fingerprint if resolved else None, world.zones,
                    world.wildcards.get(domain) if domain else None)
            summary.changes.add(store.reconcile_findings(
                name, result.evaluated, result.findings, summary.run_id, at))
            store.mark_name_done(summary.run_id, name, outcome)
            summary.names_scanned += 1


def _options(config: ResolverConfig) -> dict[str, Any]:
    return {"resolvers": [f"{host}:{port}" for host, port in config.resolvers],
            "timeout": config.timeout, "retries": config.retries,
            "concurrency": config.concurrency}

