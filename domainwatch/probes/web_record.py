"""What the web probe saw of one name, in the form it is kept and judged in.

A :class:`WebRecord` holds everything the web and certificate checks read: each visit's
hops (and why the first failed), the addresses, the certificates, the page the visit
landed on (the request made, the response headers kept as evidence, size, encoding, times,
the external scripts read into it) and that page fetched again as crawlers and with search
referers, with the bodies every page was read from. A scan makes one from its live
observation with the pages it has read already (``WebObservation.record``); a recheck
rebuilds one from the stored observation and its bodies (:meth:`WebRecord.from_stored`),
reading each body again with the same reader, so that the checks judge both alike.

The stored form is the web observation's data (:meth:`WebRecord.data`): the fingerprint
and the summary the commands show, and under ``record`` what only a judgement needs, with
the bodies by :func:`~domainwatch.store.body_hash` (the store keeps each distinct text once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from domainwatch.probes.page import Page, encode_sketch, parse_page, read_page_script
from domainwatch.store import body_hash

MAX_BODY_EVIDENCE = 4096
MAX_HTML_MATCHED = 65_536
EVIDENCE_HEADERS = ("server", "content-type", "content-length", "location", "set-cookie",
                    "x-powered-by", "via", "refresh", "last-modified", "date")


class NotRejudgeable(Exception):
    """A stored observation that cannot be judged again (kept before its page bodies were,
    or a body is missing): the name must be scanned again."""


@dataclass
class Hop:
    """One step of a visit: the request made and what came back."""

    url: str
    kind: str  # "start", "http", "meta", "script"
    address: str | None = None
    status: int | None = None
    location: str | None = None
    error: str | None = None
    phase: str | None = None
    tls_version: str | None = None
    certificate: str | None = None  # SHA-256 of the leaf

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value is not None}


@dataclass
class VisitHops:
    """One scheme's visit as kept: its hops, from ``/`` to where it ended."""

    scheme: str
    hops: list[Hop] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        """Whether any HTTP answer came back at all (an error page counts)."""
        return any(hop.status is not None for hop in self.hops)

    @property
    def failure(self) -> str | None:
        """Why the first hop got no answer, if it did not."""
        first = self.hops[0] if self.hops else None
        if first is None or first.status is not None:
            return None
        return first.error

    def redirect_hops(self) -> list[Hop]:
        return [hop for hop in self.hops if hop.kind != "start"]


@dataclass
class Landing:
    """The page a visit ended on, read from ``body`` (decoded, capped as fetched)."""

    url: str
    address: str
    status: int | None
    headers: dict[str, str]
    size: int
    truncated: bool
    encoding: str
    page: Page
    body: str
    requested_at: str
    request_headers: dict[str, str]
    #: the scripts from other sites that were fetched and read: URL, status, size, error
    scripts: list[dict[str, Any]] = field(default_factory=list)
    #: the code of those read into ``page``, by URL, in the order they were read
    script_code: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def body_start(self) -> str:
        """The first part of the body, as evidence."""
        return self.body[:MAX_BODY_EVIDENCE]

    @property
    def html(self) -> str:
        """The part of the body the placeholder signatures match."""
        return self.body[:MAX_HTML_MATCHED]


@dataclass
class CloakFetch:
    """The landing page fetched as a crawler or with a search-engine Referer."""

    label: str
    request_headers: dict[str, str]
    status: int | None
    location: str | None
    error: str | None
    page: Page | None
    body: str

    @property
    def body_start(self) -> str:
        return self.body[:MAX_BODY_EVIDENCE]


@dataclass
class WebRecord:
    """What the web and certificate checks judge of one name (see the module's doc)."""

    addresses: list[str]
    visits: dict[str, VisitHops]
    #: the certificates of every HTTPS hop, by SHA-256
    certificates: dict[str, dict[str, Any]]
    #: the page a visitor gets: HTTPS when it answers with a page, else HTTP
    landing: Landing | None
    cloaks: list[CloakFetch] = field(default_factory=list)
    at: str = ""
    _hashes: dict[str, str] = field(default_factory=dict, init=False, repr=False,
                                    compare=False)

    def answered(self) -> bool:
        return any(visit.answered for visit in self.visits.values())

    def leaf_certificate(self) -> dict[str, Any] | None:
        """The certificate the name's own HTTPS endpoint presented (the first hop's)."""
        visit = self.visits.get("https")
        if visit is None or not visit.hops or visit.hops[0].certificate is None:
            return None
        return self.certificates.get(visit.hops[0].certificate)

    def fingerprint(self) -> dict[str, Any]:
        """The comparable summary: what changes when the site changes."""
        landing = self.landing
        certificate = self.leaf_certificate()
        return {
            "answered": {scheme: visit.answered for scheme, visit in self.visits.items()},
            "final_url": landing.url if landing else None,
            "status": landing.status if landing else None,
            "title": landing.page.title if landing else None,
            "text_hash": landing.page.text_hash if landing else None,
            "redirects": sorted({hop.url for visit in self.visits.values()
                                 for hop in visit.redirect_hops()}),
            "certificate": {"spki_sha256": certificate["spki_sha256"],
                            "issuer": certificate["issuer"]} if certificate else None,
        }

    def data(self) -> dict[str, Any]:
        """The stored form, JSON-serialisable: the fingerprint, what the commands show,
        and under ``record`` what only a judgement needs (bodies by hash)."""
        landing = self.landing
        result: dict[str, Any] = {
            **self.fingerprint(),
            "addresses": self.addresses,
            "visits": {scheme: {"hops": [hop.as_dict() for hop in visit.hops],
                                "failure": visit.failure}
                       for scheme, visit in self.visits.items()},
            "certificates": self.certificates,
            "record": {"at": self.at, "landing": None,
                       "cloaks": [self._cloak_data(cloak) for cloak in self.cloaks]},
        }
        if landing is not None:
            page = landing.page
            headers = headers_evidence(landing.headers)
            result.update({
                "server": headers.get("server", ""),
                "size": landing.size,
                "truncated": landing.truncated,
                "encoding": landing.encoding,
                "sketch": encode_sketch(page.sketch),
                "text_length": len(page.text),
                "links": _outbound(page, landing.host),
                "resources": page.resources,
                "hidden": [block.as_dict() for block in page.hidden],
                "external_scripts": landing.scripts,
            })
            result["record"]["landing"] = {
                "address": landing.address, "headers": headers,
                "requested_at": landing.requested_at,
                "request_headers": landing.request_headers, "page_url": page.url,
                "body": self._hash(landing.body),
                "scripts": [[url, self._hash(code)]
                            for url, code in landing.script_code.items()]}
        return result

    def bodies(self) -> dict[str, str]:
        """The texts :meth:`data` refers to, by hash."""
        texts = []
        if self.landing is not None:
            texts += [self.landing.body, *self.landing.script_code.values()]
        texts += [cloak.body for cloak in self.cloaks if self._own_page(cloak)]
        return {self._hash(text): text for text in texts}

    @classmethod
    def from_stored(cls, data: dict[str, Any], bodies: Mapping[str, str]) -> WebRecord:
        """The record that a stored web observation's ``data`` and its ``bodies`` (by hash)
        hold, every page read again from its body. :class:`NotRejudgeable` when they hold
        none: kept before the bodies were, or a body is missing."""
        stored = data.get("record")
        if not isinstance(stored, dict):
            raise NotRejudgeable("kept before page bodies were kept")

        def body(digest: str) -> str:
            text = bodies.get(digest)
            if text is None:
                raise NotRejudgeable(f"page body {digest[:16]} is missing")
            return text

        try:
            landing = None
            kept = stored["landing"]
            if kept is not None:
                text = body(kept["body"])
                page = parse_page(text, kept["page_url"])
                code = {url: body(digest) for url, digest in kept["scripts"]}
                for url, script in code.items():
                    read_page_script(page, script, data["final_url"], f"external script {url}")
                landing = Landing(
                    url=data["final_url"], address=kept["address"], status=data["status"],
                    headers=kept["headers"], size=data["size"], truncated=data["truncated"],
                    encoding=data["encoding"], page=page, body=text,
                    requested_at=kept["requested_at"], request_headers=kept["request_headers"],
                    scripts=data["external_scripts"], script_code=code)
            cloaks = []
            for cloak in stored["cloaks"]:
                fetched, text = None, ""
                if cloak.get("page") == "landing" and landing is not None:
                    fetched, text = landing.page, landing.body
                elif "body" in cloak:
                    text = body(cloak["body"])
                    fetched = parse_page(text, cloak["page_url"])
                cloaks.append(CloakFetch(cloak["label"], cloak["request_headers"],
                                         cloak.get("status"), cloak.get("location"),
                                         cloak.get("error"), fetched, text))
            visits = {scheme: VisitHops(scheme, [Hop(**hop) for hop in visit["hops"]])
                      for scheme, visit in data["visits"].items()}
            return cls(addresses=data["addresses"], visits=visits,
                       certificates=data["certificates"], landing=landing, cloaks=cloaks,
                       at=stored["at"])
        except (KeyError, TypeError, ValueError) as error:
            raise NotRejudgeable(f"kept in another form ({error!r})") from None

    def _own_page(self, cloak: CloakFetch) -> bool:
        """Whether the fetch read a page of its own (not the landing's very bytes)."""
        return cloak.page is not None and (self.landing is None
                                           or cloak.page is not self.landing.page)

    def _cloak_data(self, cloak: CloakFetch) -> dict[str, Any]:
        """A fetch as stored (what it lacks, left out): its page is the landing page's
        (``page``), one of its own (``body``, ``page_url``) or none."""
        data = {"label": cloak.label, "request_headers": cloak.request_headers,
                "status": cloak.status, "location": cloak.location, "error": cloak.error}
        if cloak.page is not None and self._own_page(cloak):
            data.update(body=self._hash(cloak.body), page_url=cloak.page.url)
        elif cloak.page is not None:
            data["page"] = "landing"
        return {key: value for key, value in data.items() if value is not None}

    def _hash(self, text: str) -> str:
        digest = self._hashes.get(text)
        if digest is None:
            digest = self._hashes[text] = body_hash(text)
        return digest


def _outbound(page: Page, host: str) -> list[dict[str, Any]]:
    """The hosts other than the page's own that it links to, each with its first link
    text and how many links point there (the links checks use them)."""
    hosts: dict[str, dict[str, Any]] = {}
    for link in page.links:
        if link.host == host:
            continue
        entry = hosts.setdefault(link.host, {"host": link.host, "text": link.text,
                                             "url": link.url, "count": 0,
                                             "hidden": link.hidden})
        entry["count"] += 1
        entry["hidden"] = entry["hidden"] and link.hidden
        if not entry["text"] and link.text:
            entry["text"] = link.text
    return sorted(hosts.values(), key=lambda item: item["host"])


def headers_evidence(headers: dict[str, str]) -> dict[str, str]:
    """The response headers worth keeping as evidence, each capped."""
    return {key: value[:500] for key, value in headers.items()
            if key in EVIDENCE_HEADERS or key.startswith("x-")}
