"""The DNS stage: resolve every name, record its fingerprint, judge it.

Register entries are judged by the register and DNS checks (:mod:`domainwatch.checks.dns`,
:mod:`domainwatch.checks.register`), discovered names outside the register by
``register.unlisted``, each managed domain's random name by ``register.wildcard``. An entry
that resolves to an address is due for the web stage; every other name is done here.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from domainwatch.baseline import dns_baseline
from domainwatch.checks import CheckResult
from domainwatch.checks.dns import check_dns
from domainwatch.checks.register import check_register_entry, check_unlisted, check_wildcard
from domainwatch.checks.web import check_dns_change
from domainwatch.probes.dns import DNSObservation, DNSProbe
from domainwatch.reconcile import managing_domain
from domainwatch.stages import (
    FLUSH_EVERY,
    FLUSH_SECONDS,
    Fingerprint,
    RegisterView,
    ScanContext,
)
from domainwatch.store import utcnow

WILDCARD_LABEL = "dw-wildcard-check-"
#: The observation of a managed domain's random name, kept under the domain.
WILDCARD_PROBE = "wildcard"


@dataclass
class Resolved:
    """What the DNS stage hands on."""

    #: Each register entry it recorded: its fingerprint, or None when it did not resolve
    #: (a timeout or SERVFAIL, never taken for "does not exist").
    fingerprints: dict[str, Fingerprint | None] = field(default_factory=dict)
    #: The entries that resolve to an address, for the web stage: their outcome so far.
    sites_due: dict[str, str] = field(default_factory=dict)


async def resolve_names(context: ScanContext, probe: DNSProbe, names: list[str],
                        wildcard_domains: Iterable[str], *, web: bool,
                        already_done: int = 0) -> Resolved:
    """Resolve ``names`` and each of ``wildcard_domains``' random names, record and judge
    them in transactions of :data:`FLUSH_EVERY` names or :data:`FLUSH_SECONDS`. A name
    with any failed query is asked again once before it is recorded: a transient timeout
    should neither look like a change nor leave it unresolved. ``web``: whether a web stage
    follows (the sites it is owed are then left to it)."""
    stage = _DnsStage(context, web, wildcard_domains)
    retry: list[str] = []
    completed = already_done

    async def flush_periodically() -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            if time.monotonic() - stage.last_flush >= FLUSH_SECONDS:
                stage.flush()

    flusher = asyncio.create_task(flush_periodically())
    try:
        async for observation in probe.probe_many([*stage.wildcard_probes, *names]):
            if stage.take_wildcard(observation):
                continue
            completed += 1
            if observation.failures():
                retry.append(observation.name)
            else:
                stage.add(observation)
            context.show_progress(completed, context.summary.names_total)
    finally:
        flusher.cancel()
    if flusher.done() and not flusher.cancelled():
        flusher.result()  # re-raises the error of a failed periodic flush
    stage.flush()
    async for observation in probe.probe_many(retry):
        stage.add(observation)
    stage.flush()
    return stage.resolved


class _DnsStage:
    """The names waiting to be recorded. A discovered name under a domain whose wildcard
    answer is not in yet is held back until it is: that answer decides whether the name is
    really live."""

    def __init__(self, context: ScanContext, web: bool, wildcard_domains: Iterable[str]) -> None:
        self.context = context
        self.web = web
        self.resolved = Resolved()
        self.wildcard_probes = {f"{WILDCARD_LABEL}{secrets.token_hex(4)}.{domain}": domain
                                for domain in wildcard_domains}
        self.waiting_domains = set(self.wildcard_probes.values())
        self.wildcards: dict[str, Fingerprint] = {}
        self.batch: list[DNSObservation] = []
        self.wildcard_batch: list[tuple[str, DNSObservation]] = []
        self.held: list[DNSObservation] = []
        self.last_flush = time.monotonic()

    def take_wildcard(self, observation: DNSObservation) -> bool:
        domain = self.wildcard_probes.get(observation.name)
        if domain is None:
            return False
        self.wildcards[domain] = observation.fingerprint()
        self.waiting_domains.discard(domain)
        self.wildcard_batch.append((domain, observation))
        self.batch.extend(self.held)
        self.held.clear()
        return True

    def add(self, observation: DNSObservation) -> None:
        self.batch.append(observation)
        if len(self.batch) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        ready: list[DNSObservation] = []
        for observation in self.batch:
            (self.held if self._waits_for_wildcard(observation.name) else ready).append(
                observation)
        self._record(ready)
        self.batch.clear()
        self.wildcard_batch.clear()
        self.last_flush = time.monotonic()

    def _waits_for_wildcard(self, name: str) -> bool:
        register = self.context.register
        if not self.waiting_domains or name in register.entries:
            return False
        return managing_domain(name, register.managed) in self.waiting_domains

    def _record(self, observations: list[DNSObservation]) -> None:
        if not observations and not self.wildcard_batch:
            return
        context, register = self.context, self.context.register
        store = context.store
        at = utcnow()
        with store.transaction():
            for domain, observation in self.wildcard_batch:
                fingerprint = observation.fingerprint()
                if fingerprint["status"] != "unresolved":  # a failure is not an answer
                    context.record(domain, WILDCARD_PROBE, wildcard_fingerprint(fingerprint),
                                   fingerprint, at)
                context.reconcile(domain, judge_wildcard(register, domain, fingerprint), at)
            for observation in observations:
                name = observation.name
                fingerprint = observation.fingerprint()
                failures = observation.failures()
                outcome = observation.status + "".join(
                    f" {qtype}={status}" for qtype, status in sorted(failures.items()))
                resolved = observation.status != "unresolved"
                if resolved:
                    context.record(name, "dns", fingerprint,
                                   {**fingerprint, "ttls": observation.ttls}, at)
                else:
                    context.summary.unresolved[name] = failures
                entry = register.entries.get(name)
                site = False
                if entry is not None:
                    self.resolved.fingerprints[name] = fingerprint if resolved else None
                    baseline = store.baseline(name, "dns")
                    result = judge_entry(register, entry, fingerprint if resolved else None,
                                         baseline)
                    if resolved:
                        site = self.web and bool(fingerprint["a"] or fingerprint["aaaa"])
                        if baseline is None and not self.web:
                            store.set_baseline(name, "dns", dns_baseline(fingerprint), at=at,
                                               by="domainwatch", how="first-seen",
                                               run_id=context.run_id)
                else:
                    domain = managing_domain(name, register.managed)
                    result = judge_unlisted(register, name, fingerprint if resolved else None,
                                            self.wildcards.get(domain) if domain else None)
                context.reconcile(name, result, at)
                if site:
                    self.resolved.sites_due[name] = outcome
                else:
                    context.finish(name, outcome)


def wildcard_fingerprint(fingerprint: Fingerprint) -> Fingerprint:
    """What decides whether a domain's wildcard answer changed: not the random name."""
    return {key: value for key, value in fingerprint.items() if key != "name"}


def judge_entry(register: RegisterView, entry: dict[str, Any],
                fingerprint: Fingerprint | None,
                baseline: dict[str, Any] | None) -> CheckResult:
    """The register and DNS checks of a register entry: its stored fingerprint (None: it
    did not resolve, and only the register's own rules are judged) against its baseline."""
    result = check_register_entry(entry, register.zones, entries=register.entries,
                                  governments=register.governments)
    if fingerprint is not None:
        result.add(check_dns(entry, fingerprint))
        result.add(check_dns_change(entry, fingerprint, baseline))
    return result


def judge_unlisted(register: RegisterView, name: str, fingerprint: Fingerprint | None,
                   wildcard: Fingerprint | None) -> CheckResult:
    """``register.unlisted`` for a discovered name outside the register, from its stored
    fingerprint and its managed domain's wildcard answer."""
    domain = managing_domain(name, register.managed)
    return check_unlisted(name, domain, register.discovered.get(name, []), fingerprint,
                          register.zones, wildcard)


def judge_wildcard(register: RegisterView, domain: str,
                   fingerprint: Fingerprint) -> CheckResult:
    """``register.wildcard`` from the stored answer for a random name under ``domain``."""
    return check_wildcard(domain, fingerprint["name"], fingerprint, register.zones)
