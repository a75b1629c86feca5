"""The nightly job: scan what is due, record, alert what changed, say how bad it is.

``domainwatch run`` is meant for cron. It scans the names that are due (names with open
findings, recently changed names and high-value entries more often), opens and resolves
findings only after the configured confirmations, and sends each transition once: every
opened, reopened, escalated or resolved finding is queued in the same transaction that
changed it, and stays queued for a channel until that channel took it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domainwatch import clock
from domainwatch.alerts import (
    AlertConfig,
    AlertItem,
    ChannelError,
    Digest,
    EmailChannel,
    describe_channel,
    route,
    send,
)
from domainwatch.config import RunConfigError as RunConfigError
from domainwatch.config import parse_duration as parse_duration
from domainwatch.config import parse_run_config as parse_run_config
from domainwatch.names import display_name, registrable_domain
from domainwatch.probes.dns import ResolverConfig
from domainwatch.reconcile import managed_domains, managing_domain
from domainwatch.scan import ScanSummary, scan
from domainwatch.settings import RunConfig, Schedule, WebStage, WhoisSettings
from domainwatch.store import SEVERITIES, SEVERITY_RANK, RunLock, Store, utcnow

#: Exit codes of ``domainwatch run`` for the worst severity among new transitions.
SEVERITY_EXIT = {"info": 10, "low": 11, "medium": 12, "high": 13, "critical": 14}
EXIT_ALERTS_FAILED = 8
NEW_TRANSITIONS = ("opened", "reopened", "escalated")
#: A name scanned a little less than an interval ago is due: cron fires at slightly
#: different moments, and a run takes time.
SLACK = timedelta(hours=1)


def recheck_intervals(store: Store, schedule: Schedule, now: datetime,
                      configured_domains: list[str]) -> dict[str, timedelta]:
    """Every name a run looks after — the register's entries and the unlisted discovered
    names under managed domains — with how often it is due."""
    with_findings = store.names_with_standing_findings()
    changed = store.names_changed_since(clock.iso(now - schedule.changed_within))
    entries = store.entries()
    intervals: dict[str, timedelta] = {}
    for entry in entries:
        candidates = [schedule.by_state.get(entry["state"], timedelta(days=1))]
        if entry["priority"] == "high":
            candidates.append(schedule.high_value)
        intervals[entry["name"]] = min(candidates)
    managed = managed_domains(entries, store.sources(), configured_domains)
    for name, rows in store.discovered().items():
        if (name not in intervals and any(row["present"] for row in rows)
                and managing_domain(name, managed) is not None):
            intervals[name] = schedule.discovered
    for name in with_findings & set(intervals):
        intervals[name] = min(intervals[name], schedule.open_findings)
    for name in changed & set(intervals):
        intervals[name] = min(intervals[name], schedule.changed)
    return intervals


def due_names(store: Store, schedule: Schedule, now: datetime,
              configured_domains: list[str]) -> list[str]:
    """The names whose recheck is due: never scanned, or scanned an interval ago."""
    last_scanned = {name: clock.parse(at) for name, at in store.last_scanned().items()}
    intervals = recheck_intervals(store, schedule, now, configured_domains)
    return sorted(name for name, interval in intervals.items()
                  if name not in last_scanned or last_scanned[name] + interval - SLACK <= now)


@dataclass
class Delivery:
    target: str
    items: int
    error: str | None = None


@dataclass
class NightlyResult:
    scanned: ScanSummary | None
    new: list[AlertItem]
    resolved: list[AlertItem]
    deliveries: list[Delivery]
    exit_code: int


def run_nightly(store: Store, resolver_config: ResolverConfig, run_config: RunConfig,
                alert_config: AlertConfig | None, *, everything: bool = False,
                configured_domains: list[str] | None = None,
                whois: WhoisSettings | None = None,
                web: WebStage | None = None,
                progress: Callable[[int, int], None] | None = None,
                now: datetime | None = None) -> NightlyResult:
    """One nightly job, under the database's run lock."""
    now = now or clock.now()
    domains = list(configured_domains or [])
    with RunLock(store.path):
        store.mark_abandoned_runs()
        names = (sorted(recheck_intervals(store, run_config.schedule, now, domains))
                 if everything else due_names(store, run_config.schedule, now, domains))
        summary = None
        if names:
            summary = scan(store, names, resolver_config, progress, domains,
                           confirm=run_config.confirm, check_wildcards=True, lock=False,
                           whois=whois, web=web)
        items = _pending_items(store)
        deliveries = _deliver(store, items, alert_config, summary.run_id if summary else 0)
    fresh = [item for item, _, shown in items if not shown]
    new = [item for item in fresh if item.transition in NEW_TRANSITIONS]
    resolved = [item for item in fresh if item.transition == "resolved"]
    worst = min((SEVERITY_RANK[item.severity] for item in new), default=None)
    if worst is not None:
        code = SEVERITY_EXIT[SEVERITIES[worst]]
    elif any(d.error for d in deliveries):
        code = EXIT_ALERTS_FAILED
    else:
        code = 0
    return NightlyResult(summary, new, resolved, deliveries, code)


def _pending_items(store: Store) -> list[tuple[AlertItem, int, bool]]:
    """Queued transitions that some channel has not taken yet: the item, its alert id, and
    whether a run already reported it on standard output (then it is only sent again)."""
    rows = store.alerts_to_deliver()
    entries = {entry["name"]: entry for entry in store.entries()}
    items = []
    for row in rows:
        entry = entries.get(row["name"]) or entries.get(
            f"www.{registrable_domain(row['name']) or row['name']}") or {}
        items.append((AlertItem(
            finding_id=row["finding_id"], name=row["name"],
            display_name=display_name(row["name"]), rule=row["rule"],
            severity=row["severity"], transition=row["transition"], summary=row["summary"],
            evidence=row["evidence"], first_seen=row["first_seen"],
            owner=entry.get("owner", ""), contact=entry.get("contact", "")),
            row["alert_id"], row["shown"]))
    return items


def _deliver(store: Store, items: list[tuple[AlertItem, int, bool]],
             config: AlertConfig | None, run_id: int) -> list[Delivery]:
    """Send the queued items to every channel that has not taken them yet."""
    at = utcnow()
    delivered = store.delivered_alerts()
    ids: dict[tuple[int, str], list[int]] = {}
    for item, alert_id, _ in items:
        ids.setdefault((item.finding_id, item.transition), []).append(alert_id)
    deliveries: list[Delivery] = []
    digests = route([item for item, _, _ in items], config, run_id, at) if config else []
    unreachable: list[object] = []
    for digest in digests:
        target = _target(digest)
        wanted = [item for item in digest.items
                  if any((alert_id, target) not in delivered
                         for alert_id in ids[(item.finding_id, item.transition)])]
        if not wanted:
            continue
        alert_ids = [a for item in wanted for a in ids[(item.finding_id, item.transition)]]
        try:
            if any(channel is digest.channel for channel in unreachable):
                raise ChannelError(describe_channel(digest.channel), digest.recipient,
                                   "not tried: the channel did not answer earlier in this run",
                                   0, transient=True)
            send(dataclasses.replace(digest, items=wanted))
        except ChannelError as error:
            if error.transient:
                unreachable.append(digest.channel)
            store.record_deliveries(alert_ids, target, None, str(error))
            deliveries.append(Delivery(target, len(wanted), str(error)))
        else:
            store.record_deliveries(alert_ids, target, utcnow(), "")
            deliveries.append(Delivery(target, len(wanted)))
    store.record_deliveries([alert_id for _, alert_id, shown in items if not shown], "stdout",
                            at, "")
    return deliveries


def _target(digest: Digest) -> str:
    kind = "email" if isinstance(digest.channel, EmailChannel) else "webhook"
    return f"{kind}:{digest.recipient}"
