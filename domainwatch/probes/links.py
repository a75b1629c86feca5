"""The hosts a site sends its visitors to: outbound references of its pages.

The Subei case: nothing was wrong with the county portal itself, but a column of it linked
to a bureau site whose domain was later taken over. :func:`outbound_references` lists, for
every other host a page refers to, where: the page, the element (``a``, ``script``,
``iframe``, ``stylesheet``, ``image``) and, for links, the link text (投资肃北). The scan then
checks every distinct host once (``checks/links.py``).

This release reads the page each entry's visit lands on; following same-site links deeper
(navigation, 友情链接 pages) is the next step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domainwatch.probes.page import Page

MAX_REFERENCES_PER_HOST = 5
MAX_HOSTS_PER_PAGE = 300


@dataclass(frozen=True)
class Reference:
    """Where a page refers to another host."""

    page: str
    element: str
    text: str = ""
    url: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"page": self.page, "element": self.element, "text": self.text, "url": self.url}


def outbound_references(page: Page, page_url: str,
                        own: set[str]) -> dict[str, list[Reference]]:
    """Every host other than ``own`` that ``page`` links to (visibly) or loads from, with at
    most :data:`MAX_REFERENCES_PER_HOST` references each."""
    found: dict[str, list[Reference]] = {}

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
            add(link.host, Reference(page_url, "a", link.text, link.url))
    for host, kinds in page.resources.items():
        for kind in kinds:
            add(host, Reference(page_url, kind))
    return found
