"""The hosts a site sends its visitors to: a bounded crawl of the site and the outbound
references of its pages.

The Subei case: nothing was wrong with the county portal itself, but a column of it (投资肃北)
linked to a bureau site whose domain was later taken over. :class:`Crawler` reads a site
from its home page, following links within the site's own hosts breadth-first, a level at a
time, to a depth and a page budget (the navigation, the column pages, the 友情链接 lists),
through the web probe's transport (the scan's own resolver, its caps and decoding).
:func:`outbound_references` lists, for every other host a page refers to, where: the page,
the element (``a``, ``script``, ``iframe``, ``stylesheet``, ``image``, ``form``, ``area``,
``onclick``, ``redirect``) and, for links, the link text. The scan then checks every
distinct host once (``checks/links.py``).

Politeness: at most ``per_host`` requests in flight to one host and ``interval`` seconds
between the starts of two of them; the web probe's ``per_address`` limit holds as well (many
government sites share one hosting server). A page budget per site and one for the whole run
bound the work: the run budget cuts a site short (its crawl is then *incomplete*, and what it
did not reach is not taken as gone), the site budget is the crawl's scope.

The crawl is deterministic for an unchanged site: a level's pages are fetched together but
taken in the order their links appear, so the same pages are read every night and the
references (stored as the ``links`` observation) do not change without reason. Of the pages
read, only those the crawl flagged are kept (:class:`FlaggedPage`, their bodies by hash in
the observation): they can be judged again without a crawl, the others cannot.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from domainwatch.names import ascii_host, url_host
from domainwatch.probes.http import HttpConnection
from domainwatch.probes.page import Page, SiteLink, parse_page
from domainwatch.probes.web import (
    META_REFRESH_MAX_DELAY,
    REDIRECT_STATUSES,
    WebProbe,
    absolute_url,
    request_path,
)
from domainwatch.probes.web_record import NotRejudgeable
from domainwatch.settings import CrawlSettings
from domainwatch.store import body_hash

MAX_REFERENCES_PER_HOST = 5
MAX_HOSTS_PER_PAGE = 300
MAX_HOSTS_PER_SITE = 500
MAX_URL = 2000
#: URLs kept as evidence are cut to this (a hostile page's links can be megabytes long).
MAX_URL_KEPT = 500
MAX_FLAGGED_PAGES = 10
#: Links to these are documents and media, not pages with links of their own.
SKIPPED_EXTENSIONS = frozenset({
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "et", "dps", "ofd", "ceb",
    "caj", "txt", "rtf", "csv", "xml", "json", "zip", "rar", "7z", "gz", "tar", "bz2", "exe",
    "msi", "apk", "ipa", "dmg", "iso", "jpg", "jpeg", "png", "gif", "bmp", "webp", "svg",
    "ico", "tif", "tiff", "psd", "mp3", "mp4", "avi", "flv", "f4v", "wmv", "mov", "mkv", "rm",
    "rmvb", "swf", "wav", "css", "js", "woff", "woff2", "ttf", "eot",
})


#: Looks at a page the crawl read (its URL and the page): what flags it, or None.
Inspect = Callable[[str, Page], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Reference:
    """Where a page refers to another host."""

    page: str
    element: str
    text: str = ""
    url: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"page": self.page, "element": self.element, "text": self.text, "url": self.url}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reference:
        return cls(str(data.get("page", "")), str(data.get("element", "")),
                   str(data.get("text", "")), str(data.get("url", "")))


@dataclass
class CrawledPage:
    """One page the crawl asked for, and what came back."""

    url: str
    depth: int
    status: int | None = None
    error: str | None = None
    location: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value is not None}


@dataclass
class FlaggedPage:
    """A page beyond the home page that the crawl flagged, kept to be judged again: its URL
    and its body (decoded, capped as fetched); ``page`` when it has been read already."""

    url: str
    body: str
    page: Page | None = field(default=None, repr=False)

    def read(self) -> Page:
        if self.page is None:
            self.page = parse_page(self.body, self.url)
        return self.page


@dataclass
class SiteCrawl:
    """What the crawl of one register entry's site found. ``stopped`` says why it ended
    before running out of links (``site budget`` or ``run budget``); a crawl cut by the run
    budget is not ``complete``."""

    name: str
    start: str
    pages: list[CrawledPage] = field(default_factory=list)
    references: dict[str, list[Reference]] = field(default_factory=dict)
    complete: bool = True
    stopped: str | None = None
    # pages beyond the home page that the crawl's ``inspect`` found something on (the
    # first MAX_FLAGGED_PAGES of them), and how many there were
    flagged: list[FlaggedPage] = field(default_factory=list)
    flagged_count: int = 0

    def add(self, found: dict[str, list[Reference]]) -> None:
        for host, references in found.items():
            if host not in self.references and len(self.references) >= MAX_HOSTS_PER_SITE:
                continue
            kept = self.references.setdefault(host, [])
            for reference in references:
                if len(kept) < MAX_REFERENCES_PER_HOST and reference not in kept:
                    kept.append(reference)

    def fingerprint(self) -> dict[str, Any]:
        """What changes when the site's links change (the ``links`` observation's)."""
        return {"references": {host: [ref.as_dict() for ref in refs]
                               for host, refs in sorted(self.references.items())},
                "complete": self.complete}

    def data(self) -> dict[str, Any]:
        """The stored form: the flagged pages' bodies by hash (:meth:`bodies`)."""
        return {**self.fingerprint(), "start": self.start, "stopped": self.stopped,
                "pages": [page.as_dict() for page in self.pages],
                "flagged_pages": [{"url": page.url, "body": body_hash(page.body)}
                                  for page in self.flagged],
                "flagged_count": self.flagged_count}

    def bodies(self) -> dict[str, str]:
        """The flagged pages' bodies, by hash."""
        return {body_hash(page.body): page.body for page in self.flagged}


def references_from(data: dict[str, Any]) -> dict[str, list[Reference]]:
    """A stored ``links`` observation's references."""
    return {host: [Reference.from_dict(ref) for ref in refs]
            for host, refs in (data.get("references") or {}).items()}


def flagged_pages_from(data: dict[str, Any], bodies: Mapping[str, str]) -> list[FlaggedPage]:
    """A stored ``links`` observation's flagged pages, with their ``bodies`` (by hash);
    :class:`NotRejudgeable` when it was kept before their bodies were, or one is missing."""
    if "flagged_pages" not in data:
        if data.get("flagged_count"):
            raise NotRejudgeable("kept before page bodies were kept")
        return []
    pages = []
    for stored in data["flagged_pages"]:
        body = bodies.get(stored["body"])
        if body is None:
            raise NotRejudgeable(f"page body {stored['body'][:16]} is missing")
        pages.append(FlaggedPage(stored["url"], body))
    return pages


def outbound_references(page: Page, page_url: str,
                        own: Iterable[str]) -> dict[str, list[Reference]]:
    """Every host other than ``own`` that ``page`` links to (visibly), loads from or sends
    the browser to, with at most :data:`MAX_REFERENCES_PER_HOST` references each."""
    own = set(own)
    found: dict[str, list[Reference]] = {}
    page_url = page_url[:MAX_URL_KEPT]

    def add(host: str, reference: Reference) -> None:
        if host in own or not host:
            return
        if host not in found and len(found) >= MAX_HOSTS_PER_PAGE:
            return
        references = found.setdefault(host, [])
        if len(references) < MAX_REFERENCES_PER_HOST:
            references.append(reference)

    # Hidden links are an injection, reported with the page's own hijacked.content; the
    # links a visitor can follow are the page's references.
    for link in page.links:
        if not link.hidden:
            add(link.host, Reference(page_url, "a", link.text, link.url[:MAX_URL_KEPT]))
    for host, kinds in page.resources.items():
        for kind in kinds:
            add(host, Reference(page_url, kind))
    for target in _body_redirects(page):
        add(_host_of(target), Reference(page_url, "redirect", "", target[:MAX_URL_KEPT]))
    return found


def _body_redirects(page: Page) -> list[str]:
    targets = list(page.script_redirects)
    if page.meta_refresh is not None and page.meta_refresh[0] <= META_REFRESH_MAX_DELAY:
        targets.insert(0, page.meta_refresh[1])
    return targets


class Crawler:
    """Reads register entries' sites for :meth:`crawl`, sharing the run's page budget and
    the per-host pacing between them."""

    def __init__(self, probe: WebProbe, settings: CrawlSettings) -> None:
        self.probe = probe
        self.settings = settings
        self.pages_left = settings.run_pages
        self._pacers: dict[str, _Pacer] = {}

    async def crawl(self, name: str, start: str, address: str, own: Iterable[str] = (),
                    inspect: Inspect | None = None) -> SiteCrawl:
        """Read the site whose home page is ``start`` (answered from ``address``); its
        pages are those on ``name`` and the hosts in ``own``. ``inspect`` is shown every
        page beyond the home page whose text differs from the home page's (which the web
        stage has judged already); a page it flags (returns something for) is kept in
        ``flagged``, with its body."""
        site = frozenset({ascii_host(name), *(ascii_host(host) for host in own),
                          _host_of(start)})
        crawl = SiteCrawl(name=name, start=start)
        known = {_host_of(start): [address]}
        pool: dict[tuple[str, str, int | None], list[HttpConnection]] = {}
        seen = {_key(start)}
        level: list[SiteLink] = [SiteLink(start, "start")]
        home = ""
        try:
            for depth in range(self.settings.depth + 1):
                batch: list[SiteLink] = []
                for link in level:
                    if len(crawl.pages) + len(batch) >= self.settings.pages:
                        crawl.stopped = "site budget"
                        break
                    if self.pages_left <= 0:
                        crawl.complete, crawl.stopped = False, "run budget"
                        break
                    self.pages_left -= 1
                    batch.append(link)
                results = await asyncio.gather(*(
                    self._read(link.url, depth, site, known, pool, home, inspect)
                    for link in batch))
                following: list[SiteLink] = []
                for link, (record, facts) in zip(batch, results, strict=True):
                    crawl.pages.append(record)
                    nexts: list[SiteLink] = []
                    if record.location is not None:
                        target = absolute_url(record.url, record.location)
                        if target is not None and _host_of(target) in site:
                            nexts.append(SiteLink(target, "redirect", link.text))
                        elif target is not None:
                            crawl.add({_host_of(target): [Reference(
                                record.url, "redirect", link.text, target[:MAX_URL_KEPT])]})
                    if facts is not None:
                        if depth == 0:
                            home = facts.text_hash
                        if facts.flagged is not None:
                            crawl.flagged_count += 1
                            if len(crawl.flagged) < MAX_FLAGGED_PAGES:
                                crawl.flagged.append(facts.flagged)
                        crawl.add(facts.references)
                        nexts += facts.site_links
                        nexts += [SiteLink(target, "redirect", link.text)
                                  for target in facts.redirects]
                    if depth == self.settings.depth:
                        continue
                    for candidate in nexts:
                        key = _key(candidate.url)
                        if key not in seen and _crawlable(candidate.url):
                            seen.add(key)
                            following.append(candidate)
                if crawl.stopped is not None or not following:
                    break
                level = following
        finally:
            for connections in pool.values():
                for connection in connections:
                    await connection.close()
            # A host's pacer is kept while it could still hold another site's request back.
            now = asyncio.get_running_loop().time()
            for host in known:
                pacer = self._pacers.get(host)
                if pacer is not None and not pacer.users and pacer.next_start <= now:
                    del self._pacers[host]
        return crawl

    async def _read(self, url: str, depth: int, site: frozenset[str],
                    known: dict[str, list[str]],
                    pool: dict[tuple[str, str, int | None], list[HttpConnection]],
                    home: str, inspect: Inspect | None) -> tuple[CrawledPage, _PageFacts | None]:
        """Fetch one page; what the crawl needs of it is taken at once (a site's level of
        pages is read together, and many sites at a time: their bodies are not kept)."""
        record = CrawledPage(url=url, depth=depth)
        parts = urlsplit(url)
        host = _host_of(url)
        if host not in known:
            known[host] = await self.probe.addresses(host)
        if not known[host]:
            record.error = "does not resolve"
            return record, None
        connections = pool.setdefault((host, parts.scheme, parts.port), [])
        async with self._pacer(host).turn():
            connection = connections.pop() if connections else None
            answer, connection = await self.probe.fetch(
                host, known[host], parts.scheme, parts.port, request_path(parts), {}, connection)
        connections.append(connection)
        record.status, record.error = answer.status, answer.error
        if answer.status is None:
            return record, None
        location = answer.headers.get("location")
        if answer.status in REDIRECT_STATUSES and location:
            record.location = location[:MAX_URL]
            return record, None
        kind = answer.headers.get("content-type", "text/html").lower()
        if answer.status >= 400 or ("html" not in kind and "xml" not in kind):
            return record, None
        page = parse_page(answer.body, url, site)
        # The home page is the web stage's to judge; a page showing the same text too.
        flagged = None
        if inspect is not None and depth > 0 and page.text_hash != home \
                and inspect(url, page) is not None:
            flagged = FlaggedPage(url, answer.body, page)
        return record, _PageFacts(
            page.text_hash, outbound_references(page, url, site), page.site_links,
            [target for target in _body_redirects(page) if _host_of(target) in site], flagged)

    def _pacer(self, host: str) -> _Pacer:
        pacer = self._pacers.get(host)
        if pacer is None:
            pacer = self._pacers[host] = _Pacer(self.settings.per_host,
                                                self.settings.interval)
        return pacer


class _Pacer:
    """At most ``concurrency`` requests at once to one host, their starts ``interval``
    seconds apart."""

    def __init__(self, concurrency: int, interval: float) -> None:
        self.slots = asyncio.Semaphore(concurrency)
        self.interval = interval
        self.next_start = 0.0
        self.users = 0  # requests waiting for a turn or having one

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        self.users += 1
        try:
            async with self.slots:
                now = asyncio.get_running_loop().time()
                start = max(now, self.next_start)
                self.next_start = start + self.interval
                if start > now:
                    await asyncio.sleep(start - now)
                yield
        finally:
            self.users -= 1


@dataclass
class _PageFacts:
    """What the crawl keeps of a page it read."""

    text_hash: str
    references: dict[str, list[Reference]]
    site_links: list[SiteLink]
    redirects: list[str]  # meta-refresh and script redirects within the site
    flagged: FlaggedPage | None


def _host_of(url: str) -> str:
    return url_host(url) or ""


def _key(url: str) -> tuple[str, str, str]:
    """One page whatever the scheme, port or fragment it is reached by."""
    parts = urlsplit(url)
    return _host_of(url), parts.path or "/", parts.query


def _crawlable(url: str) -> bool:
    if len(url) > MAX_URL:
        return False
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    return "." not in last or last.rsplit(".", 1)[-1].lower() not in SKIPPED_EXTENSIONS
