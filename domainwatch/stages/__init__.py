"""The stages of a scan, one per probe family, and what they share.

A scan (:mod:`domainwatch.scan`) composes them in order; each takes the names due to it and
what earlier stages found, probes, records its observations, judges them and reconciles its
rules' findings, and hands on what later stages need:

============================  ==================================================  =========
stage                         takes → gives                                       module
============================  ==================================================  =========
DNS                           names → each entry's fingerprint, the sites due     ``dns``
delegations                   fingerprints → name-server dependencies             ``delegations``
web and certificates          sites due → sites to crawl                          ``web``
crawl and linked hosts        sites to crawl → the hosts each site refers to      ``links``
registration                  dependencies, referred hosts → (WHOIS findings)     ``registration``
============================  ==================================================  =========

A name is done (:meth:`ScanContext.finish`) when the last stage that owes it something has
recorded it: the DNS stage for a name without a site to fetch, the web stage for a site not
crawled, the crawl for the rest. A new probe is a module here, a check family under
:mod:`domainwatch.checks` and a line in the scan.
"""

from __future__ import annotations

import contextlib
import resource
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from domainwatch.checks import CheckResult
from domainwatch.reconcile import ZoneIndex
from domainwatch.store import Confirmation, FindingChanges, Store

T = TypeVar("T")
#: Results kept for one transaction: this many, or this many seconds' worth.
FLUSH_EVERY = 500
WEB_FLUSH_EVERY = 200
FLUSH_SECONDS = 1.0

ProgressCallback = Callable[[int, int], None]
#: A stored DNS fingerprint (:meth:`~domainwatch.probes.dns.DNSObservation.fingerprint`).
Fingerprint = dict[str, Any]


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


@dataclass(frozen=True)
class RegisterView:
    """What the checks read besides the observations: the register and what was
    discovered, as the scan found them when it started."""

    entries: Mapping[str, dict[str, Any]]
    discovered: Mapping[str, list[dict[str, Any]]]
    zones: ZoneIndex
    managed: Collection[str]
    # the register's government portals by division code (the naming rules)
    governments: Mapping[str, Mapping[str, Any]]


@dataclass
class ScanContext:
    """One run of a scan: where it records, what it judges against, what it has done."""

    store: Store
    register: RegisterView
    summary: ScanSummary
    confirm: Confirmation | None = None
    progress: ProgressCallback | None = None

    @property
    def run_id(self) -> int:
        return self.summary.run_id

    def reconcile(self, name: str, result: CheckResult, at: str,
                  unjudged: Collection[str] = ()) -> None:
        """Open, keep and resolve ``name``'s findings of the rules ``result`` evaluated."""
        self.summary.changes.add(self.store.reconcile_findings(
            name, result.evaluated, result.findings, self.run_id, at, self.confirm,
            unjudged=set(unjudged)))

    def record(self, name: str, probe: str, fingerprint: dict[str, Any], data: dict[str, Any],
               at: str, bodies: Mapping[str, str] | None = None) -> None:
        """Record an observation (with the page bodies it refers to by hash); count it when
        it differs from the last one."""
        if self.store.record_observation(name, probe, fingerprint, data, self.run_id, at,
                                         bodies=bodies):
            self.summary.observations_changed += 1

    def finish(self, name: str, outcome: str) -> None:
        """``name`` is done for this run: every stage that owed it something has recorded
        it. A resumed run skips it."""
        self.store.mark_name_done(self.run_id, name, outcome)
        self.summary.names_scanned += 1

    def restart_progress(self, stage: str) -> None:
        """A progress display that counts each stage on its own starts again at ``stage``."""
        restart = getattr(self.progress, "restart", None)
        if restart is not None:
            restart(stage)

    def show_progress(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)


class Stopwatch:
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
def timed(summary: ScanSummary, stage: str) -> Iterator[None]:
    watch = Stopwatch()
    try:
        yield
    finally:
        watch.add_to(summary, stage)


class Batch(Generic[T]):
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
        if self.items:
            self.record(self.items)
        self.items = []
        self.last_flush = time.monotonic()
