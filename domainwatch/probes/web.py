"""The web probe: what ``http://NAME/`` and ``https://NAME/`` answer, hop by hop.

Each scheme is visited from ``/`` at the addresses domainwatch resolved itself, following
HTTP redirects, meta refreshes and (on pages that are little more than a redirect) script
redirects, up to a limit; every hop is recorded with its status, target, address and, for
HTTPS, the certificate it presented. A redirect to another host is resolved through the
scan's own resolver, never the system's. The page the visit lands on is read
(:mod:`domainwatch.probes.page`) and every HTTPS hop's certificate judged
(:mod:`domainwatch.probes.tls`). Then, for cloaking, the landing page is fetched again as
each configured search-engine crawler and with a search-engine Referer. The checks judge
what it saw in the form it is stored in (:mod:`domainwatch.probes.web_record`).

Many names are probed at once (``concurrency``), with at most ``per_address`` exchanges in
flight to any one address, so a shared hosting server is not hammered.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from domainwatch import clock
from domainwatch.host_lists import common_script_host, official_host
from domainwatch.names import GOVERNMENT_SUFFIXES, ascii_host, is_under, registrable_domain
from domainwatch.probes.http import HttpAnswer, HttpConnection
from domainwatch.probes.page import Page, parse_page, parse_refresh, read_page_script
from domainwatch.probes.tls import TrustStore, judge_chain
from domainwatch.probes.web_record import CloakFetch, Hop, Landing, VisitHops, WebRecord
from domainwatch.settings import DEFAULT_CRAWLERS as DEFAULT_CRAWLERS
from domainwatch.settings import DEFAULT_SEARCH_REFERER as DEFAULT_SEARCH_REFERER
from domainwatch.settings import DEFAULT_SEARCH_REFERERS as DEFAULT_SEARCH_REFERERS
from domainwatch.settings import DEFAULT_USER_AGENT as DEFAULT_USER_AGENT
from domainwatch.settings import WebSettings

MAX_SCRIPT_BYTES = 262_144
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
SCRIPT_REDIRECT_MAX_TEXT = 200
# A meta refresh later than this is a page that reloads itself, not a redirect.
META_REFRESH_MAX_DELAY = 60.0

Resolve = Callable[[str], Awaitable[list[str]]]
#: The pages of one probe already read, by their bytes: each with the body it was read from.
Pages = dict[bytes, tuple[Page, str]]


@dataclass
class Visit(VisitHops):
    """One scheme's visit: its hops, where it landed, the certificates of its HTTPS hops."""

    landing: Landing | None = None
    certificates: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the landing page's connection, kept open for the crawler and referer fetches
    connection: HttpConnection | None = field(default=None, repr=False)


@dataclass
class WebObservation:
    """What the web probe saw of one name."""

    name: str
    addresses: list[str]
    visits: dict[str, Visit]
    cloaks: list[CloakFetch] = field(default_factory=list)
    at: str = ""

    def landing(self) -> Landing | None:
        """The page a visitor gets: HTTPS when it answers with a page, else HTTP."""
        https, http = self.visits.get("https"), self.visits.get("http")
        for visit in (https, http):
            if visit is not None and visit.landing is not None and visit.landing.status \
                    and visit.landing.status < 400:
                return visit.landing
        for visit in (https, http):
            if visit is not None and visit.landing is not None:
                return visit.landing
        return None

    def answered(self) -> bool:
        return any(visit.answered for visit in self.visits.values())

    def record(self) -> WebRecord:
        """What the checks judge of this observation, with the pages read already."""
        return WebRecord(
            addresses=self.addresses,
            visits={scheme: VisitHops(scheme, visit.hops)
                    for scheme, visit in self.visits.items()},
            certificates={sha: certificate for visit in self.visits.values()
                          for sha, certificate in visit.certificates.items()},
            landing=self.landing(), cloaks=self.cloaks, at=self.at)


class WebProbe:
    """Visits names over HTTP and HTTPS; ``resolve`` answers other hosts' addresses."""

    def __init__(self, settings: WebSettings, resolve: Resolve) -> None:
        self.settings = settings
        self.resolve = resolve
        self.trust = settings.trust if settings.trust is not None else TrustStore()
        self._slots: dict[str, asyncio.Semaphore] = {}

    async def probe_many(self, targets: Iterable[tuple[str, list[str]]]
                         ) -> AsyncIterator[WebObservation]:
        """Probe ``(name, addresses)`` pairs, yielding observations as they complete."""
        queue = list(targets)
        pending: set[asyncio.Task[WebObservation]] = set()
        index = 0
        try:
            while index < len(queue) or pending:
                while index < len(queue) and len(pending) < self.settings.concurrency:
                    name, addresses = queue[index]
                    pending.add(asyncio.ensure_future(self.probe(name, addresses)))
                    index += 1
                done, pending = await asyncio.wait(pending,
                                                   return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    yield task.result()
        finally:
            for task in pending:
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(*pending, return_exceptions=True)

    async def probe(self, name: str, addresses: list[str]) -> WebObservation:
        at = clock.utcnow()
        host = ascii_host(name)
        # The same bytes served over both schemes and to the crawler are read only once.
        pages: Pages = {}
        visits: list[Visit] = []
        try:
            visits += await asyncio.gather(self._visit(host, "http", addresses, pages),
                                           self._visit(host, "https", addresses, pages))
            http, https = visits
            observation = WebObservation(name=host, addresses=list(addresses),
                                         visits={"http": http, "https": https}, at=at)
            landing = observation.landing()
            if landing is not None and self.settings.external_scripts:
                await self._read_external_scripts(landing)
            if self.settings.cloaking and landing is not None and landing.status is not None:
                # One after another on the landing page's own connection: no new handshake.
                connection = next(v.connection for v in visits if v.landing is landing)
                everyone = suspicious(landing.page, landing.host)
                for label, headers in self.cloak_requests(host, at, everyone):
                    observation.cloaks.append(
                        await self._cloak(landing, label, headers, pages, connection))
            return observation
        finally:
            for visit in visits:
                if visit.connection is not None:
                    await visit.connection.close()

    async def _read_external_scripts(self, landing: Landing) -> None:
        """Fetch and read the scripts the landing page loads from other sites' hosts
        (not the site's own domain, not government, official or common library and
        statistics hosts), at most ``external_scripts`` of them, each capped: an injected
        external script is how many hijacks write into a page that is clean as HTML."""
        own = registrable_domain(landing.host) or landing.host
        wanted = []
        for url in landing.page.script_urls:
            host = (urlsplit(url).hostname or "").lower()
            if host and not is_under(host, own) and not government_host(host) \
                    and not official_host(host) and not common_script_host(host):
                wanted.append(url)
        for url in wanted[:self.settings.external_scripts]:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            record: dict[str, Any] = {"url": url}
            landing.scripts.append(record)
            addresses = await self.addresses(host)
            if not addresses:
                record["error"] = "does not resolve"
                continue
            answer, connection = await self.fetch(host, addresses, parts.scheme, parts.port,
                                                  request_path(parts), {})
            await connection.close()
            record.update({"status": answer.status, "size": len(answer.raw)})
            if answer.error:
                record["error"] = answer.error
            if answer.status == 200 and answer.body:
                code = landing.script_code[url] = answer.body[:MAX_SCRIPT_BYTES]
                read_page_script(landing.page, code, landing.url, f"external script {url}")

    def cloak_requests(self, host: str, at: str, everyone: bool = False
                       ) -> list[tuple[str, dict[str, str]]]:
        """The crawler and search-referer requests for ``host`` on the night of ``at``: the
        first crawler and the first referer always (Baidu's: most cloaking is for them);
        of the others, ``cloak_rotation`` in turn (a night and a host choose where in the
        turn), so that every one is asked within as many nights as there are of them; all
        of them with ``everyone`` (the page shows another signal) or a rotation of 0."""
        settings = self.settings
        crawlers = [(f"crawler {label}", {"User-Agent": agent})
                    for label, agent in settings.crawlers.items()]
        referers = [(f"referer {label}", {"User-Agent": settings.user_agent,
                                          "Referer": template.replace("{name}", host)})
                    for label, template in settings.search_referers.items()]
        if everyone or settings.cloak_rotation == 0:
            return crawlers + referers
        others = _in_turn(crawlers[1:] + referers[1:],
                          _night(at) + zlib.crc32(host.encode()), settings.cloak_rotation)
        return [*crawlers[:1], *referers[:1],
                *(request for request in crawlers[1:] + referers[1:] if request in others)]

    async def _visit(self, host: str, scheme: str, addresses: list[str],
                     pages: Pages) -> Visit:
        visit = Visit(scheme=scheme)
        url = f"{scheme}://{host}/"
        kind = "start"
        seen: set[str] = set()
        known = {host: list(addresses)}
        for _ in range(self.settings.max_redirects + 1):
            if url in seen:
                visit.hops.append(Hop(url=url, kind=kind, error="redirect loop"))
                return visit
            seen.add(url)
            parts = urlsplit(url)
            target = (parts.hostname or "").lower()
            if target not in known:
                known[target] = await self.addresses(target)
            hop = Hop(url=url, kind=kind)
            visit.hops.append(hop)
            if not known[target]:
                hop.error = "does not resolve"
                return visit
            requested_at = clock.utcnow()
            if visit.connection is not None:
                await visit.connection.close()
            answer, visit.connection = await self.fetch(
                target, known[target], parts.scheme, parts.port, request_path(parts), {})
            hop.address, hop.status, hop.error, hop.phase = (
                answer.address, answer.status, answer.error, answer.phase)
            if answer.tls is not None:
                hop.tls_version = answer.tls.version
                hop.certificate = self._certificate(visit, target, answer)
            if answer.status is None:
                return visit
            location = answer.headers.get("location")
            if answer.status in REDIRECT_STATUSES and location:
                await visit.connection.close()
                visit.connection = None
                hop.location = location
                next_url = absolute_url(url, location)
                if next_url is None:
                    hop.error = f"unusable Location {location[:200]!r}"
                    return visit
                url, kind = next_url, "http"
                continue
            page, body = _read(answer, url, pages)
            visit.landing = _landing(url, answer, page, body, requested_at,
                                     {"User-Agent": self.settings.user_agent})
            next_url, kind = _body_redirect(page, answer.headers.get("refresh"), url)
            if next_url is None:
                return visit
            await visit.connection.close()
            visit.connection = None
            hop.location = next_url
            url = next_url
        visit.hops.append(Hop(url=url, kind=kind,
                              error=f"more than {self.settings.max_redirects} redirects"))
        return visit

    async def addresses(self, host: str) -> list[str]:
        """``host``'s addresses from the scan's resolver; none when the lookup fails."""
        try:
            return await self.resolve(host)
        except Exception:  # a failed lookup is "no address" for this hop, nothing more
            return []

    async def fetch(self, host: str, addresses: list[str], scheme: str,
                         port: int | None, path: str, headers: dict[str, str],
                         connection: HttpConnection | None = None
                         ) -> tuple[HttpAnswer, HttpConnection]:
        """Ask the addresses in turn until one connects (or on ``connection``, given);
        the answer and the connection it came over, open if the server keeps it."""
        agent = headers.get("User-Agent", self.settings.user_agent)
        extra = {key: value for key, value in headers.items() if key != "User-Agent"}
        candidates = [connection.address] if connection is not None else addresses[:3]
        answer: HttpAnswer | None = None
        for address in candidates:
            if connection is None or connection.address != address:
                connection = HttpConnection(host, address, scheme=scheme, port=port,
                                            timeout=self.settings.timeout,
                                            max_bytes=self.settings.max_bytes)
            async with self._slot(address):
                answer = await connection.get(path, user_agent=agent, headers=extra)
            if answer.status is not None or answer.phase != "connect":
                break
        assert answer is not None and connection is not None
        return answer, connection

    def _slot(self, address: str) -> asyncio.Semaphore:
        slot = self._slots.get(address)
        if slot is None:
            slot = self._slots[address] = asyncio.Semaphore(self.settings.per_address)
        return slot

    def _certificate(self, visit: Visit, host: str, answer: HttpAnswer) -> str | None:
        assert answer.tls is not None
        if not answer.tls.chain:
            return None
        try:
            summary, verdict = judge_chain(answer.tls.chain, host, self.trust)
        except ValueError:
            return None
        if summary.sha256 not in visit.certificates:
            visit.certificates[summary.sha256] = {
                **summary.as_dict(), "host": host, "tls_version": answer.tls.version,
                "cipher": answer.tls.cipher, "chain_length": len(answer.tls.chain),
                **verdict.as_dict()}
        return summary.sha256

    async def _cloak(self, landing: Landing, label: str, headers: dict[str, str],
                     pages: Pages, connection: HttpConnection) -> CloakFetch:
        parts = urlsplit(landing.url)
        answer, _ = await self.fetch(landing.host, [landing.address], parts.scheme,
                                          parts.port, request_path(parts), headers, connection)
        page, body = _read(answer, landing.url, pages) if answer.status is not None \
            else (None, "")
        return CloakFetch(label=label, request_headers=dict(headers), status=answer.status,
                          location=answer.headers.get("location"), error=answer.error,
                          page=page, body=body)


#: Conditions on which a script sends only some visitors elsewhere: how cloaking is done.
CLOAKING_CONDITIONS = ("search-referrer", "not-spider", "spider")


def suspicious(page: Page, host: str) -> bool:
    """Whether the page of ``host`` shows, besides its words, a sign that it may be
    cloaked: scripts that switch the title, are obfuscated, or send search engines'
    visitors or crawlers (or anyone, on another condition, off site) elsewhere; blocks of
    links to other sites that it hides or writes with a script. A menu of the site's own,
    government or official links hidden until hovered is not a sign."""
    if page.title_switches or page.script_techniques:
        return True
    if any(item["condition"] in CLOAKING_CONDITIONS or (
            item["condition"] != "always" and _elsewhere(item["target"], host))
           for item in page.navigations):
        return True
    return any(_elsewhere(f"http://{other}/", host) for block in page.hidden
               for other in block.hosts)


def _elsewhere(url: str, host: str) -> bool:
    """Whether ``url`` leads off the site of ``host``: not under its registrable domain,
    not government, not official."""
    target = (urlsplit(url).hostname or "").lower()
    own = registrable_domain(host) or host
    return bool(target) and not is_under(target, own) \
        and not government_host(target) and not official_host(target)


def government_host(host: str) -> bool:
    """Whether ``host`` is under ``gov.cn`` or ``.政务``."""
    return any(is_under(host, suffix) for suffix in GOVERNMENT_SUFFIXES)


def _night(at: str) -> int:
    try:
        return datetime.strptime(at[:10], "%Y-%m-%d").toordinal()
    except ValueError:
        return 0


def _in_turn(items: list[Any], turn: int, count: int) -> list[Any]:
    if len(items) <= count:
        return items
    start = turn % len(items)
    return [items[(start + offset) % len(items)] for offset in range(count)]


def _read(answer: HttpAnswer, url: str, pages: Pages) -> tuple[Page, str]:
    """The page ``answer`` holds and its body: the same objects for the same bytes (one
    body is kept, and sent from a worker process, once)."""
    key = hashlib.blake2b(answer.raw, digest_size=16).digest() + answer.encoding.encode()
    read = pages.get(key)
    if read is None:
        read = pages[key] = (parse_page(answer.body, url), answer.body)
    return read


def _landing(url: str, answer: HttpAnswer, page: Page, body: str, requested_at: str,
             request_headers: dict[str, str]) -> Landing:
    return Landing(url=url, address=answer.address, status=answer.status,
                   headers=dict(answer.headers), size=len(answer.raw),
                   truncated=answer.truncated, encoding=answer.encoding, page=page,
                   body=body, requested_at=requested_at, request_headers=request_headers)


def _body_redirect(page: Page, refresh_header: str | None = None,
                   url: str = "") -> tuple[str | None, str]:
    """Where the page sends a browser at once: a ``Refresh`` header or a meta refresh (both
    kind ``meta``), or a script on a page that is little more than the redirect."""
    refresh = page.meta_refresh
    if refresh_header:
        header = parse_refresh(refresh_header, url)
        refresh = header or refresh
    if refresh is not None and refresh[0] <= META_REFRESH_MAX_DELAY:
        return refresh[1], "meta"
    # A page that is little more than a script redirect is left by every browser at once.
    if page.script_redirects and len(page.text) <= SCRIPT_REDIRECT_MAX_TEXT:
        return page.script_redirects[0], "script"
    return None, ""


def absolute_url(base: str, location: str) -> str | None:
    """``location`` (a redirect's) made absolute against ``base``; None unless http(s)."""
    try:
        joined = urljoin(base, location.strip())
        scheme = urlsplit(joined).scheme
        host = urlsplit(joined).hostname
    except ValueError:
        return None
    return joined if scheme in ("http", "https") and host else None


def request_path(parts: Any) -> str:
    """The request target (path and query, percent-encoded) of a split URL."""
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return path
