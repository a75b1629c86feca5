"""The registration stage: ask the registries (WHOIS) about every registrable domain the
scanned names depend on or link to, once each, record the answers and judge them
(:mod:`domainwatch.checks.registration`).

The domains the catalogue's services serve their customers from (``herokuapp.com``) are
asked in turn while DNS shows them delegated (:func:`service_domains_due`): a few a run,
each again after a week, and at once when their name servers change. One that is not
delegated, or whose NS query fails, is asked every run like any other domain. A service
domain not asked this run is left out of its names' judgement, its findings as they were
(asking them all would hold every scan up behind the busiest registry's spacing:
Verisign's for ``.com``/``.net``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from domainwatch.checks import CheckResult
from domainwatch.checks.links import link_dependencies, with_references
from domainwatch.checks.registration import (
    CONCLUSIVE,
    LINK_RULE,
    Dependency,
    check_registration,
    owner_baseline,
)
from domainwatch.checks.registration import RULES as REGISTRATION_RULES
from domainwatch.clock import now as clock_now
from domainwatch.clock import parse as parse_time
from domainwatch.probes.dns import DNSProbe, ResolverConfig
from domainwatch.probes.links import Reference
from domainwatch.probes.whois import Referral, WhoisClient, WhoisRecord, is_fresh
from domainwatch.settings import WhoisSettings
from domainwatch.stages import Fingerprint, ScanContext
from domainwatch.stages.links import LinkSources
from domainwatch.store import Store, utcnow
from domainwatch.takeover import load_services, service_domains

#: The catalogue's service domains: asked this many a run, each again after this long.
SERVICE_DOMAINS_PER_RUN = 4
SERVICE_DOMAIN_REFRESH = timedelta(days=7)
WHOIS_FINGERPRINT = ("status", "registrar", "registrant", "name_servers", "created", "expires")


async def check_registrations(context: ScanContext, settings: WhoisSettings,
                              config: ResolverConfig,
                              needs: Mapping[str, list[Dependency]],
                              fingerprints: Mapping[str, Fingerprint | None],
                              sources: LinkSources) -> None:
    """Ask about the domains of ``needs`` (each name's dependencies) and of the hosts
    ``sources`` says the entries' pages refer to; record and judge the answers.
    ``fingerprints``: the names whose DNS this run saw whole (None: it did not resolve)."""
    store, summary = context.store, context.summary
    linked = {name: link_dependencies(name, found, {need.domain for need in
                                                    needs.get(name, [])})
              for name, found in sources.references.items()}
    services = service_domains(load_services())
    wanted = {need.domain for found in [*needs.values(), *linked.values()] for need in found}
    delegated = await delegated_name_servers(sorted(wanted & services.keys()), config)
    refresh, due = service_domains_due(
        delegated, {domain: store.latest_whois(domain) for domain in delegated}, clock_now())
    held = set(delegated) - set(refresh) - set(due)
    summary.whois_held = {domain: services[domain].name for domain in held}
    needs = {name: [need for need in found if need.domain not in held]
             for name, found in needs.items()}
    linked = {name: [need for need in found if need.domain not in held]
              for name, found in linked.items()}
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
            context.record(domain, "whois", fingerprint, record, at)
        first = owner_baselines(store, records)
        for name in sorted(set(needs) | set(linked)):
            own, links = needs.get(name, []), linked.get(name)
            result, unjudged = judge_registration(
                name, own, links, records, first, settings,
                complete=fingerprints.get(name) is not None,
                references=sources.references.get(name, {}))
            unjudged |= sources.unreached(store, name, [LINK_RULE], {
                need.domain for need in [*own, *(links or [])]})
            context.reconcile(name, result, at, unjudged=unjudged)


def judge_registration(name: str, needs: list[Dependency], linked: list[Dependency] | None,
                       records: dict[str, dict[str, Any]],
                       first: dict[str, dict[str, Any] | None], settings: WhoisSettings, *,
                       complete: bool, references: dict[str, list[Reference]]
                       ) -> tuple[CheckResult, set[str]]:
    """The ``unregistered.*`` rules for ``name``, from stored WHOIS records (``records``:
    each domain's latest answer; ``first``: its first registered one), and the subjects to
    leave as they are (domains whose answer is not conclusive).

    ``needs`` are the name's own dependencies; ``linked`` those of the hosts its pages link
    to (None: its site was not crawled this time, so its link findings stay as they are).
    The linked domains are judged one by one, apart from the rest: one that could not be
    asked (a partner site's registry rate-limits) leaves only its own findings as they
    were."""
    result = check_registration(name, needs, records, first,
                                expiry_window=settings.expiry_window, complete=complete)
    unjudged: set[str] = set()
    if not result.evaluated:
        unjudged |= {need.domain for need in needs}
    links = CheckResult()
    if linked is not None:  # crawled: a link that is gone resolves its finding
        links.evaluated = {*REGISTRATION_RULES, LINK_RULE}
    by_domain: dict[str, list[Dependency]] = {}
    for need in linked or []:
        by_domain.setdefault(need.domain, []).append(need)
    for domain, domain_needs in by_domain.items():
        one = check_registration(name, domain_needs, records, first,
                                 expiry_window=settings.expiry_window)
        if one.evaluated:
            links.findings += one.findings
        else:
            unjudged.add(domain)
    result.add(links)
    result.findings = [with_references(draft, references) for draft in result.findings]
    return result, unjudged


def owner_baselines(store: Store, domains: Iterable[str]) -> dict[str, dict[str, Any] | None]:
    """What each domain's owner is compared with (``unregistered.owner_changed``): its
    accepted WHOIS record and the registered records since, field by field
    (:func:`~domainwatch.checks.registration.owner_baseline`)."""
    return {domain: owner_baseline(store.whois_history(domain), store.baseline(domain, "whois"))
            for domain in domains}


async def delegated_name_servers(domains: list[str],
                                 config: ResolverConfig) -> dict[str, set[str]]:
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
