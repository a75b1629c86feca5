"""The nightly job: scan what is due, record, alert what changed, say how bad it is.

``domainwatch run`` is meant for cron. It scans the names that are due (names with open
findings, recently changed names and high-value entries more often), opens and resolves
findings only after the configured confirmations, and sends each transition once: every
opened, reopened, escalated or resolved finding is queued in the same transaction that
changed it, and stays queued for a channel until that channel took it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

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
from domainwatch.names import display_name, registrable_domain
from domainwatch.probes.dns import ResolverConfig
from domainwatch.reconcile import managed_domains, managing_domain
from domainwatch.scan import ScanSummary, WebStage, WhoisSettings, scan
from domainwatch.store import SEVERITIES, SEVERITY_RANK, Confirmation, RunLock, Store, utcnow

#: Exit codes of ``domainwatch run`` for the worst severity among new transitions.
SEVERITY_EXIT = {"info": 10, "low": 11, "medium": 12, "high": 13, "critical": 14}
EXIT_ALERTS_FAILED = 8
NEW_TRANSITIONS = ("opened", "reopened", "escalated")
#: A name scanned a little less than an interval ago is due: cron fires at slightly
#: different moments, and a run takes time.
SLACK = timedelta(hours=1)
_DURATION = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")


class RunConfigError(Exception):
    """A [run] setting that cannot be used."""


def parse_duration(text: str) -> timedelta:
    """``30m``, ``6h``, ``7d``."""
    match = _DURATION.match(text)
    if not match:
        raise RunConfigError(f"{text!r} is not a duration like 30m, 6h or 7d")
    value, unit = int(match.group(1)), match.group(2)
    return {"m": timedelta(minutes=value), "h": timedelta(hours=value),
            "d": timedelta(days=value)}[unit]


@dataclass
class Schedule:
    """How often names are rechecked; the shortest interval that applies wins."""

    by_state: dict[str, timedelta] = field(default_factory=lambda: {
        "active": timedelta(days=1), "offline": timedelta(days=1),
        "deregistered": timedelta(days=7)})
    discovered: timedelta = timedelta(days=1)
    open_findings: timedelta = timedelta(hours=6)
    changed: timedelta = timedelta(hours=6)
    changed_within: timedelta = timedelta(days=7)
    high_value: timedelta = timedelta(hours=6)


@dataclass
class RunConfig:
    schedule: Schedule = field(default_factory=Schedule)
    confirm: Confirmation = field(default_factory=lambda: Confirmation(
        open_default=1, resolve_default=2, open_by={"unused": 2}))


_INTERVAL_KEYS = {"interval_active": "active", "interval_offline": "offline",
                  "interval_deregistered": "deregistered"}


def parse_run_config(table: dict[str, Any], source: str) -> RunConfig:
    """The [run] table of the configuration file."""
    config = RunConfig()
    known = {*_INTERVAL_KEYS, "interval_discovered", "interval_open_findings",
             "interval_changed", "changed_within", "interval_high_value", "confirm_open",
             "confirm_resolve", "confirm_open_by", "confirm_resolve_by"}
    for key, value in table.items():
        if key not in known:
            raise RunConfigError(f"{source}: [run] has no setting {key!r} "
                                 f"(known: {', '.join(sorted(known))})")
        try:
            if key in _INTERVAL_KEYS:
                config.schedule.by_state[_INTERVAL_KEYS[key]] = parse_duration(value)
            elif key.startswith(("interval_", "changed_within")):
                attribute = key.removeprefix("interval_")
                setattr(config.schedule, attribute, parse_duration(value))
        except (RunConfigError, TypeError, AttributeError):
            raise RunConfigError(f"{source}: [run] {key} = {value!r} is not a duration like "
                                 "30m, 6h or 7d") from None
    confirm = config.confirm
    open_default = table.get("confirm_open", confirm.open_default)
    resolve_default = table.get("confirm_resolve", confirm.resolve_default)
    open_by = table.get("confirm_open_by", confirm.open_by)
    resolve_by = table.get("confirm_resolve_by", confirm.resolve_by)
    for key, value in (("confirm_open", open_default), ("confirm_resolve", resolve_default),
                       *((f"confirm_open_by.{k}", v) for k, v in _table(open_by, source)),
                       *((f"confirm_resolve_by.{k}", v) for k, v in _table(resolve_by, source))):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise RunConfigError(f"{source}: [run] {key} must be a whole number ≥ 1")
    config.confirm = Confirmation(open_default, resolve_default, dict(open_by),
                                  dict(resolve_by))
    return config


def _table(value: object, source: str) -> list[tuple[str, object]]:
    if not isinstance(value, dict):
        raise RunConfigError(f"{source}: [run] confirm_open_by / confirm_resolve_by must be "
                             "tables of category or rule = count")
    return list(value.items())


def recheck_intervals(store: Store, schedule: Schedule, now: datetime,
                      configured_domains: list[str]) -> dict[str, timedelta]:
    """Every name a run looks after — the register's entries and the unlisted discovered
    names under managed domains — with how often it is due."""
    with_findings = {row["name"] for row in store.query(
        "SELECT DISTINCT name FROM findings WHERE status IN ('open', 'acknowledged', "
        "'pending')")}
    since = clock.iso(now - schedule.changed_within)
    changed = {row["name"] for row in store.query(
        "SELECT DISTINCT o.name FROM observations o WHERE o.first_seen >= ? AND o.first_run > "
        "(SELECT min(first_run) FROM observations f WHERE f.name = o.name)", (since,))}
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
    last_scanned = {row["name"]: clock.parse(row["at"]) for row in store.query(
        "SELECT n.name, max(r.started) AS at FROM run_names n JOIN runs r ON r.id = n.run_id "
        "GROUP BY n.name")}
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
    rows = store.query(
        "SELECT a.id AS alert_id, a.transition, f.id AS finding_id, f.name, f.rule, "
        "f.severity, f.summary, f.evidence, f.first_seen, "
        "EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id AND d.target = 'stdout') "
        "AS shown FROM alerts a JOIN findings f ON f.id = a.finding_id "
        "WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id "
        "AND d.target = 'stdout') OR EXISTS (SELECT 1 FROM deliveries d WHERE "
        "d.alert_id = a.id AND d.delivered_at IS NULL) ORDER BY a.id")
    entries = {entry["name"]: entry for entry in store.entries()}
    items = []
    for row in rows:
        entry = entries.get(row["name"]) or entries.get(
            f"www.{registrable_domain(row['name']) or row['name']}") or {}
        items.append((AlertItem(
            finding_id=row["finding_id"], name=row["name"],
            display_name=display_name(row["name"]), rule=row["rule"],
            severity=row["severity"], transition=row["transition"], summary=row["summary"],
            evidence=json.loads(row["evidence"]), first_seen=row["first_seen"],
            owner=entry.get("owner", ""), contact=entry.get("contact", "")),
            row["alert_id"], bool(row["shown"])))
    return items


def _deliver(store: Store, items: list[tuple[AlertItem, int, bool]],
             config: AlertConfig | None, run_id: int) -> list[Delivery]:
    """Send the queued items to every channel that has not taken them yet."""
    at = utcnow()
    delivered = {(row["alert_id"], row["target"]) for row in store.query(
        "SELECT alert_id, target FROM deliveries WHERE delivered_at IS NOT NULL")}
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
            _mark(store, alert_ids, target, None, str(error))
            deliveries.append(Delivery(target, len(wanted), str(error)))
        else:
            _mark(store, alert_ids, target, utcnow(), "")
            deliveries.append(Delivery(target, len(wanted)))
    _mark(store, [alert_id for _, alert_id, shown in items if not shown], "stdout", at, "")
    return deliveries


def _target(digest: Digest) -> str:
    kind = "email" if isinstance(digest.channel, EmailChannel) else "webhook"
    return f"{kind}:{digest.recipient}"


def _mark(store: Store, alert_ids: list[int], target: str, delivered_at: str | None,
          error: str) -> None:
    with store.transaction():
        store.conn.executemany(
            "INSERT INTO deliveries (alert_id, target, delivered_at, attempts, last_error) "
            "VALUES (?, ?, ?, 1, ?) ON CONFLICT (alert_id, target) DO UPDATE SET "
            "delivered_at = COALESCE(deliveries.delivered_at, excluded.delivered_at), "
            "attempts = deliveries.attempts + 1, last_error = excluded.last_error",
            [(alert_id, target, delivered_at, error) for alert_id in alert_ids])
