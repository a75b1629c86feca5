"""Recheck: judge the latest stored observations again, without probing anything.

After the lexicon, the placeholder signatures, the cloud-service catalogue, a rule or the
register changed, ``domainwatch recheck`` brings the findings in line with what the last
scans saw, and says what opened and resolved. Each stage's judgement (:mod:`domainwatch.stages`)
is the one a scan makes, fed from the database instead of the network:

- register and DNS rules: each name's latest DNS observation against its baseline, the
  managed domains' wildcard answers;
- delegations: the zones' stored delegations, the mail hosts' answers, the pages a cloud
  service answered;
- web and certificates (when the web stage is on): the latest web observation with the page
  bodies it holds (:mod:`domainwatch.checks.stored`), and the pages the last crawl flagged;
- links: the latest crawl's references, the linked hosts' stored states (a register
  entry's from its findings, judged just before);
- registration (when WHOIS is on): each domain's latest conclusive WHOIS answer.

What was never observed is not judged: a name never scanned, or whose last scan could not
resolve it, keeps its findings as they were (``not_rejudged`` says why). Confirmations
(``confirm_open_by``, ``confirm_resolve_by``) count scans, and a recheck is not one: what it
opens or resolves does so at once, and a finding a scan left ``pending`` stays pending.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from domainwatch.checks import CheckResult
from domainwatch.checks.links import RULES as LINK_RULES
from domainwatch.checks.links import HostState, link_dependencies
from domainwatch.checks.registration import CONCLUSIVE, LINK_RULE, Dependency
from domainwatch.checks.stored import judge_stored_site_pages, judge_stored_web
from domainwatch.checks.web import SITE_PAGES
from domainwatch.probes.links import references_from
from domainwatch.reconcile import managing_domain
from domainwatch.scan import names_to_scan, register_view
from domainwatch.settings import WebStage, WhoisSettings
from domainwatch.stages import Fingerprint, RegisterView
from domainwatch.stages.delegations import (
    DELEGATION_PROBE,
    MAIL_PROBE,
    SERVICE_PROBE,
    dependencies_of,
    judge_delegations,
    zones,
)
from domainwatch.stages.dns import WILDCARD_PROBE, judge_entry, judge_unlisted, judge_wildcard
from domainwatch.stages.links import (
    DEFERRED_CRAWL,
    LINKED_HOST_PROBE,
    LinkSources,
    entry_state,
    judge_links,
)
from domainwatch.stages.registration import judge_registration, owner_baselines
from domainwatch.store import FindingChanges, RunLock, Store, utcnow
from domainwatch.takeover import load_services

NEVER_SCANNED = "never scanned"
UNRESOLVED = "its last scan could not resolve it"
NOT_KEPT = "its pages were kept by an older version (scan it again)"


@dataclass
class RecheckSummary:
    """What a recheck did: the names it judged again, what opened and resolved, and the
    names it could not judge (name → why)."""

    names_total: int
    names_rechecked: int = 0
    changes: FindingChanges = field(default_factory=FindingChanges)
    not_rechecked: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def recheck(store: Store, names: list[str] | None = None, *,
            configured_domains: Iterable[str] = (), whois: WhoisSettings | None = None,
            web: WebStage | None = None, lock: bool = True) -> RecheckSummary:
    """Judge ``names`` (None: every name a full scan covers, and the managed domains'
    wildcard answers) again from their latest stored observations; ``web`` given: their
    pages and certificates too, ``whois`` given: their registration. Holds the run lock
    unless ``lock`` is False (the caller holds it)."""
    started = time.monotonic()
    register = register_view(store, configured_domains)
    targets = names_to_scan(store, register, names)
    summary = RecheckSummary(len(targets))
    with RunLock(store.path) if lock else contextlib.nullcontext():
        judge = _Recheck(store, register, summary)
        with store.transaction():
            if names is None:
                judge.wildcards()
            fingerprints = judge.dns(targets)
            judge.delegations(fingerprints)
            if web is not None:
                judge.web(fingerprints, web)
        with store.transaction():
            sources = judge.links(fingerprints)
            if whois is not None:
                judge.registration(fingerprints, sources, whois)
    summary.seconds = time.monotonic() - started
    return summary


class _Recheck:
    def __init__(self, store: Store, register: RegisterView, summary: RecheckSummary) -> None:
        self.store = store
        self.register = register
        self.summary = summary
        self.at = utcnow()

    def latest(self, name: str, probe: str) -> dict[str, Any] | None:
        rows = self.store.observations(name, probe, limit=1)
        return rows[0]["data"] if rows else None

    def reconcile(self, name: str, result: CheckResult, unjudged: Iterable[str] = ()) -> None:
        """Reconcile at once; a finding a scan left pending stays pending (its subject is
        left as it is)."""
        pending = {(row["rule"], row["subject"])
                   for row in self.store.findings(status="pending", name=name)}
        held = {draft.subject for draft in result.findings
                if (draft.rule, draft.subject) in pending}
        result.findings = [draft for draft in result.findings if draft.subject not in held]
        self.summary.changes.add(self.store.reconcile_findings(
            name, result.evaluated, result.findings, None, self.at,
            unjudged={*unjudged, *held}))

    def wildcards(self) -> None:
        for domain in sorted(self.register.managed):
            stored = self.latest(domain, WILDCARD_PROBE)
            if stored is not None:
                self.reconcile(domain, judge_wildcard(self.register, domain, stored))

    def dns(self, targets: list[str]) -> dict[str, Fingerprint | None]:
        """Judge each name's register and DNS rules; return the register entries'
        fingerprints (None: the last scan could not resolve the name)."""
        fingerprints: dict[str, Fingerprint | None] = {}
        for name in targets:
            last = self.store.last_scan(name)
            if last is None:
                self.summary.not_rechecked[name] = NEVER_SCANNED
                continue
            stored = self.latest(name, "dns")
            fingerprint = None if last["outcome"].startswith("unresolved") else stored
            if fingerprint is None:
                self.summary.not_rechecked[name] = UNRESOLVED
            entry = self.register.entries.get(name)
            if entry is not None:
                fingerprints[name] = fingerprint
                self.reconcile(name, judge_entry(self.register, entry, fingerprint,
                                                 self.store.baseline(name, "dns")))
            elif fingerprint is not None:
                domain = managing_domain(name, self.register.managed)
                wildcard = self.latest(domain, WILDCARD_PROBE) if domain else None
                self.reconcile(name, judge_unlisted(self.register, name, fingerprint,
                                                    wildcard))
            self.summary.names_rechecked += fingerprint is not None
        return fingerprints

    def web(self, fingerprints: dict[str, Fingerprint | None], settings: WebStage) -> None:
        """The web, certificate and site-page rules of the entries whose last scan fetched
        their site (and read it, for the pages beyond the home page), from what it kept."""
        for name, fingerprint in fingerprints.items():
            last = self.store.last_scan(name)
            if fingerprint is None or last is None:
                continue
            entry = self.register.entries[name]
            rows = self.store.observations(name, "web", limit=1)
            if rows and rows[0]["last_run"] == last["run_id"]:
                judged = judge_stored_web(self.store, entry, fingerprint, settings)
                if judged is None:
                    self.summary.not_rechecked[name] = NOT_KEPT
                else:
                    self.reconcile(name, judged[0], {SITE_PAGES})
            if not settings.links or settings.crawl.depth == 0:
                continue  # the home page's links only: no crawl judged the pages beyond
            rows = self.store.observations(name, "links", limit=1)
            if rows and rows[0]["last_run"] == last["run_id"]:
                pages = judge_stored_site_pages(self.store, entry, settings)
                if pages is None:
                    self.summary.not_rechecked[name] = NOT_KEPT
                else:
                    self.reconcile(name, *pages)

    def delegations(self, fingerprints: dict[str, Fingerprint | None]) -> None:
        services = load_services()
        for name, fingerprint in fingerprints.items():
            delegations = [self.latest(zone, DELEGATION_PROBE)
                           for zone in zones(name, fingerprint)]
            if any(delegation is None for delegation in delegations):
                continue
            self.reconcile(name, judge_delegations(
                name, fingerprint, [d for d in delegations if d is not None],
                self.latest(name, MAIL_PROBE) or {}, self.latest(name, SERVICE_PROBE),
                services))

    def links(self, fingerprints: dict[str, Fingerprint | None]) -> LinkSources:
        """Judge the link rules of the active entries whose sites their last scan read (or
        left for a later run, keeping the crawl before), from that crawl; return what their
        pages refer to."""
        sources = LinkSources()
        for name in fingerprints:
            if self.register.entries[name]["state"] != "active":
                continue
            last = self.store.last_scan(name)
            rows = self.store.observations(name, "links", limit=1)
            if last is None or not rows:
                continue
            if rows[0]["last_run"] == last["run_id"]:
                sources.references[name] = references_from(rows[0]["data"])
                if not rows[0]["data"].get("complete", True):
                    sources.incomplete.add(name)
            elif last["outcome"].endswith(DEFERRED_CRAWL):
                sources.recall(self.store, name)
        states: dict[str, HostState] = {}
        for host in sorted({host for found in sources.references.values() for host in found}):
            state = entry_state(self.store, self.register.entries.get(host), host)
            if state is None:
                known = self.latest(host, LINKED_HOST_PROBE)
                if known is None:
                    continue
                state = HostState(host, known["state"], known["detail"])
            states[host] = state
        for name, found in sources.references.items():
            result, unjudged = judge_links(self.store, name, found, states, sources.unreached(
                self.store, name, LINK_RULES, set(found)))
            self.reconcile(name, result, unjudged)
        return sources

    def registration(self, fingerprints: dict[str, Fingerprint | None],
                     sources: LinkSources, settings: WhoisSettings) -> None:
        name_servers = {}
        for name, fingerprint in fingerprints.items():
            for zone in zones(name, fingerprint):
                stored = self.latest(zone, DELEGATION_PROBE)
                name_servers[zone] = stored["ns"] if stored is not None else []
        needs = dependencies_of(fingerprints, name_servers)
        linked = {name: link_dependencies(name, found, {need.domain
                                                        for need in needs.get(name, [])})
                  for name, found in sources.references.items()}
        domains = {need.domain for found in [*needs.values(), *linked.values()]
                   for need in found}
        records: dict[str, dict[str, Any]] = {}
        for domain in sorted(domains):
            latest = self.store.latest_whois(domain)
            if latest is not None and latest[0].get("status") in CONCLUSIVE:
                records[domain] = latest[0]
        first = owner_baselines(self.store, records)
        for name in sorted(set(needs) | set(linked)):
            own: list[Dependency] = needs.get(name, [])
            links = linked.get(name)
            result, unjudged = judge_registration(
                name, own, links, records, first, settings,
                complete=fingerprints.get(name) is not None,
                references=sources.references.get(name, {}))
            unjudged |= sources.unreached(self.store, name, [LINK_RULE], {
                need.domain for need in [*own, *(links or [])]})
            self.reconcile(name, result, unjudged)
