"""A scan: register → probes → observations → checks → findings, for some names, as one run.

Results are written in small transactions as they arrive, each name's observation, checks
and findings together, so a scan killed at any moment leaves a consistent database; the next
scan of the same names resumes the interrupted run instead of starting over.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from domainwatch.checks.dns import check_dns
from domainwatch.checks.register import check_register_entry
from domainwatch.probes.dns import DNSObservation, DNSProbe, ResolverConfig, ResolverUnreachable
from domainwatch.store import FindingChanges, RunLock, Store, utcnow

FLUSH_EVERY = 500
FLUSH_SECONDS = 1.0


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


ProgressCallback = Callable[[int, int], None]


def scan(store: Store, names: list[str] | None, config: ResolverConfig,
         progress: ProgressCallback | None = None) -> ScanSummary:
    """Scan ``names`` (all register entries when None) and record what was found."""
    entries = {entry["name"]: entry for entry in store.entries()}
    if names:
        missing = [name for name in names if name not in entries]
        if missing:
            raise ScanError(f"not in the register: {', '.join(missing)} "
                            "(add them with 'domainwatch register import')")
        targets = sorted(set(names))
    else:
        targets = sorted(entries)
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
            asyncio.run(_scan(store, entries, todo, config, summary, progress, len(done)))
        except ResolverUnreachable:
            store.finish_run(run_id, "failed")
            raise
        except BaseException:
            store.finish_run(run_id, "interrupted")
            raise
        store.finish_run(run_id, "complete")
        summary.seconds = time.monotonic() - started
        return summary


async def _scan(store: Store, entries: dict[str, dict[str, Any]], todo: list[str],
                config: ResolverConfig, summary: ScanSummary,
                progress: ProgressCallback | None, already_done: int) -> None:
    async with DNSProbe(config) as probe:
        await probe.check_resolvers()
        batch: list[DNSObservation] = []
        retry: list[str] = []
        last_flush = time.monotonic()
        completed = already_done

        def flush() -> None:
            nonlocal last_flush
            _record(store, entries, batch, summary)
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


def _record(store: Store, entries: dict[str, dict[str, Any]],
            observations: list[DNSObservation], summary: ScanSummary) -> None:
    if not observations:
        return
    at = utcnow()
    with store.transaction():
        for observation in observations:
            entry = entries[observation.name]
            result = check_register_entry(entry)
            fingerprint = observation.fingerprint()
            failures = observation.failures()
            outcome = observation.status + "".join(
                f" {qtype}={status}" for qtype, status in sorted(failures.items()))
            if observation.status == "unresolved":
                summary.unresolved[observation.name] = failures
            else:
                data = {**fingerprint, "ttls": observation.ttls}
                if store.record_observation(observation.name, "dns", fingerprint, data,
                                            summary.run_id, at):
                    summary.observations_changed += 1
                result.add(check_dns(entry, fingerprint))
            summary.changes.add(store.reconcile_findings(
                observation.name, result.evaluated, result.findings, summary.run_id, at))
            store.mark_name_done(summary.run_id, observation.name, outcome)
            summary.names_scanned += 1


def _options(config: ResolverConfig) -> dict[str, Any]:
    return {"resolvers": [f"{host}:{port}" for host, port in config.resolvers],
            "timeout": config.timeout, "retries": config.retries,
            "concurrency": config.concurrency}
