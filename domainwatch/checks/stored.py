"""The web, certificate and site-page checks judged from what is stored, without a scan.

After the lexicon, the placeholder signatures or a rule changed, a name's latest web and
links observations are judged again from their data and the page bodies they hold (each
body read again with the same reader): the result is what a scan that made those
observations gives with today's knowledge, baselines and clock. An observation kept before
page bodies were, or one whose bodies are gone, cannot be judged again: the name must be
scanned again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domainwatch.checks import CheckResult
from domainwatch.checks.tls import check_tls
from domainwatch.checks.web import Judgement, check_site_pages, check_web, own_hosts
from domainwatch.probes.links import flagged_pages_from
from domainwatch.probes.web_record import NotRejudgeable, WebRecord
from domainwatch.settings import WebStage
from domainwatch.store import Store


def judge_stored_web(store: Store, entry: dict[str, Any], dns: dict[str, Any],
                     settings: WebStage, now: datetime | None = None
                     ) -> tuple[CheckResult, Judgement | None] | None:
    """The web and certificate checks of ``entry`` together (what a scan reconciles for
    it, the pages beyond the home page aside), judged from its latest web observation;
    ``dns`` is its DNS fingerprint (the latest DNS observation's data). None when there is
    nothing to judge again: no web observation, or one that cannot be judged again."""
    name = entry["name"]
    latest = store.latest_observation(name, "web")
    if latest is None:
        return None
    row, bodies = latest
    try:
        record = WebRecord.from_stored(row["data"], bodies)
    except NotRejudgeable:
        return None
    baselines = store.baselines(name)
    result, judgement = check_web(entry, record, dns, baselines.get("web"),
                                  store.unchanged_since(name, "web", "text_hash"),
                                  settings.checks, now)
    result.add(check_tls(entry, record, baselines.get("tls"), settings.tls, now))
    return result, judgement


def judge_stored_site_pages(store: Store, entry: dict[str, Any], settings: WebStage
                            ) -> tuple[CheckResult, set[str]] | None:
    """``hijacked.content`` of the pages beyond ``entry``'s home page, from the pages its
    latest crawl flagged (see :func:`check_site_pages`: a page the crawl did not flag was
    not kept), with the subjects to leave alone. None when there is nothing to judge
    again: no crawl, or one whose flagged pages cannot be judged again."""
    latest = store.latest_observation(entry["name"], "links")
    if latest is None:
        return None
    row, bodies = latest
    try:
        pages = flagged_pages_from(row["data"], bodies)
    except NotRejudgeable:
        return None
    return check_site_pages(entry["name"], pages, row["data"].get("flagged_count", 0),
                            row["data"].get("complete", True), settings.checks,
                            own_hosts(entry))
