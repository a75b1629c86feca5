"""Placeholder pages (``unused.placeholder``): a site that answers but is not in use.

The check is pure: a page's title, visible text, raw HTML and a few counts in, a match out.
Its vocabulary is a data file, validated when it is loaded, with errors that name the entry
and the problem.

A site that answers with a server's or hosting panel's default page, a host's notice, a
parked or for-sale page or an "under construction" page is not in use. The signatures are
data (``domainwatch/data/placeholder-pages.json``, a list):

``id``
    stable name (``nginx-default``).
``kind``
    ``server-default`` (a web server's own page), ``panel-default`` (what a hosting panel
    such as 宝塔 or phpStudy puts in a new site, or answers for a name it does not serve),
    ``parked`` (the host, registrar or a parking service answers instead of the site:
    parked and for-sale pages, a domain not bound to any site, hosting expired or
    suspended, a site blocked for want of an ICP filing) or ``under-construction``
    (建设中, 维护中, coming soon). ``empty`` is the kind of the code's own rule (below).
``product``
    whose page it is, for people.
``match``
    conditions that must all hold.
``any``
    a list of condition lists, one of which must hold as well. An entry has ``match``,
    ``any`` or both.
``reference``
    where the fingerprint comes from.
``test_page``
    the file under ``tests/data/pages/`` that shows the page.

A condition is ``{"title": s}`` (the title contains ``s``), ``{"text": s}`` (the visible
text contains ``s``), both ignoring the case of ASCII letters; ``{"html": s}`` (the raw HTML
contains ``s``, exactly as written); or ``{"max_text": n}`` (the visible text has at most
``n`` characters besides whitespace). Every way an entry can match (``match`` with one of
the ``any`` lists) must include a title condition or a ``max_text`` bound. A phrase
somewhere in a long page proves nothing: "It works!" in an article about Apache, or
网站建设 in a headline. The bound also makes matching cheap: on a long page no phrase is
looked for beyond the title.

:func:`match_placeholder` returns the first signature in file order that matches, so the
file lists product pages before generic phrases. If none matches, the code's ``empty`` rule
applies: fewer than :data:`EMPTY_TEXT_CHARS` characters of visible text besides whitespace,
no links, no scripts, no frames, forms or embedded objects, and not a redirect. A page with
scripts may be an application that draws itself, and a redirect leads elsewhere; neither
is empty.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domainwatch.datafiles import CONTROL_CHARACTER, DATA_DIR, ENTRY_ID, read_json
from domainwatch.normalize import fold_ascii, has_ascii_letter

PLACEHOLDERS_FILE = DATA_DIR / "placeholder-pages.json"

KINDS = ("server-default", "panel-default", "parked", "under-construction")
EMPTY_KIND = "empty"
EMPTY_ID = "empty-page"
EMPTY_PRODUCT = "no content"
EMPTY_TEXT_CHARS = 20
MAX_TEXT_LIMIT = 5000
CONDITION_KEYS = ("title", "max_text", "text", "html")  # also the order they are tried in

_SIGNATURE_KEYS = {"id", "kind", "product", "match", "any", "reference", "test_page"}
_SIGNATURE_REQUIRED = {"id", "kind", "product", "reference", "test_page"}
_TEST_PAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.html$")
_SPACES = (" ", "\n", "\t", "\r", "\xa0", "\u3000")
# What makes a page without text or links more than empty: it shows or loads something.
_CONTENT_TAG = re.compile(r"<(?:i?frame|form|object|embed|area|video|audio)\b", re.IGNORECASE)


class PlaceholderDataError(ValueError):
    """The placeholder signature file is unreadable or an entry is malformed."""


def _solid_length(text: str) -> int:
    """Characters of ``text`` other than whitespace (spaces, tabs, line breaks, no-break and
    ideographic spaces)."""
    return len(text) - sum(map(text.count, _SPACES))


@dataclass(frozen=True)
class Condition:
    """One condition: ``key`` is ``title``, ``text``, ``html`` or ``max_text``."""

    key: str
    value: str | int
    # Compiled from the value: the string looked for (ASCII folded for title and text),
    # whether the page's text must be folded too (it holds ASCII letters), the max_text bound.
    needle: str = field(default="", repr=False, compare=False)
    cased: bool = field(default=False, repr=False, compare=False)
    limit: int = field(default=0, repr=False, compare=False)

    @classmethod
    def of(cls, key: str, value: str | int) -> Condition:
        if isinstance(value, int):
            return cls(key, value, limit=value)
        if key in ("title", "text"):
            return cls(key, value, fold_ascii(value), has_ascii_letter(value))
        return cls(key, value, value)

    def describe(self) -> str:
        return f"{self.key}: {self.value}"


@dataclass(frozen=True)
class PlaceholderSignature:
    """One entry of the signature file: a default page, a host's notice, a parked or
    for-sale page, or an "under construction" page.

    ``ways`` holds one tuple of conditions per way the signature can match (``match`` with
    each ``any`` list), in the order they are tried: title, max_text, text, html.
    """

    id: str
    kind: str
    product: str
    reference: str
    test_page: str
    ways: tuple[tuple[Condition, ...], ...]


@dataclass(frozen=True)
class PlaceholderMatch:
    """The placeholder a page is: ``id`` of the signature (or ``empty-page``), its kind and
    product, and the conditions that held."""

    id: str
    kind: str
    product: str
    matched: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "product": self.product,
                "matched": list(self.matched)}


def load_placeholders(path: Path | None = None) -> list[PlaceholderSignature]:
    """Read and validate the signature file (default: the packaged placeholder-pages.json)."""
    source = path or PLACEHOLDERS_FILE
    data = read_json(source, PlaceholderDataError)
    if not isinstance(data, list):
        raise PlaceholderDataError(f"{source.name}: must be a JSON list of signatures")
    signatures: list[PlaceholderSignature] = []
    seen: dict[str, int] = {}
    pages: dict[str, int] = {}
    for index, entry in enumerate(data, start=1):
        label = f"entry {index}"
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            label += f" ({entry['id']})"
        try:
            signature = _signature(entry)
        except PlaceholderDataError as exc:
            raise PlaceholderDataError(f"{source.name}: {label}: {exc}") from None
        if signature.id in seen:
            raise PlaceholderDataError(f"{source.name}: {label}: id already used by entry "
                                       f"{seen[signature.id]}")
        if signature.test_page in pages:
            raise PlaceholderDataError(f"{source.name}: {label}: test_page already used by "
                                       f"entry {pages[signature.test_page]}")
        seen[signature.id] = index
        pages[signature.test_page] = index
        signatures.append(signature)
    return signatures


def _signature(entry: object) -> PlaceholderSignature:
    if not isinstance(entry, dict):
        raise PlaceholderDataError("must be an object")
    unknown = sorted(set(entry) - _SIGNATURE_KEYS)
    if unknown:
        raise PlaceholderDataError(f"unknown keys {', '.join(unknown)}")
    missing = sorted(_SIGNATURE_REQUIRED - set(entry))
    if missing:
        raise PlaceholderDataError(f"missing {', '.join(missing)}")
    for key in ("id", "product", "reference", "test_page"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise PlaceholderDataError(f"{key} must be a non-empty string")
    if not ENTRY_ID.match(entry["id"]):
        raise PlaceholderDataError(f"id {entry['id']!r} must be lower-case words joined by -")
    if entry["kind"] not in KINDS:
        raise PlaceholderDataError(f"kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
    if not _TEST_PAGE.match(entry["test_page"]):
        raise PlaceholderDataError(f"test_page {entry['test_page']!r} must be a file name "
                                   "ending in .html")
    if "match" not in entry and "any" not in entry:
        raise PlaceholderDataError("needs match, any or both")
    common = _conditions(entry.get("match", []), "match", allow_empty="any" in entry)
    alternatives = entry.get("any")
    if alternatives is None:
        lists = [common]
    else:
        if not isinstance(alternatives, list) or not alternatives:
            raise PlaceholderDataError("any must be a non-empty list of condition lists")
        lists = [common + _conditions(item, f"any list {number}", allow_empty=False)
                 for number, item in enumerate(alternatives, 1)]
    ways: list[tuple[Condition, ...]] = []
    for number, way in enumerate(lists, 1):
        if not any(c.key in ("title", "max_text") for c in way):
            where = "match" if alternatives is None else f"match with any list {number}"
            raise PlaceholderDataError(f"{where} needs a title condition or a max_text bound "
                                       "(a phrase alone can occur in any long page)")
        ways.append(tuple(sorted(way, key=lambda c: CONDITION_KEYS.index(c.key))))
    return PlaceholderSignature(
        id=entry["id"], kind=entry["kind"], product=entry["product"].strip(),
        reference=entry["reference"].strip(), test_page=entry["test_page"],
        ways=tuple(ways),
    )


def _conditions(value: object, where: str, *, allow_empty: bool) -> list[Condition]:
    if not isinstance(value, list) or (not value and not allow_empty):
        raise PlaceholderDataError(f"{where} must be a non-empty list of conditions")
    return [_condition(item, f"{where}, condition {number}")
            for number, item in enumerate(value, 1)]


def _condition(item: object, where: str) -> Condition:
    if not isinstance(item, dict) or len(item) != 1:
        raise PlaceholderDataError(f"{where} must be an object with one key: "
                                   f"{', '.join(CONDITION_KEYS)}")
    ((key, value),) = item.items()
    if key not in CONDITION_KEYS:
        raise PlaceholderDataError(f"{where}: unknown condition {key!r} (one of "
                                   f"{', '.join(CONDITION_KEYS)})")
    if key == "max_text":
        if (not isinstance(value, int) or isinstance(value, bool)
                or not 1 <= value <= MAX_TEXT_LIMIT):
            raise PlaceholderDataError(f"{where}: max_text must be a whole number from 1 to "
                                       f"{MAX_TEXT_LIMIT}")
        return Condition.of(key, value)
    if not isinstance(value, str) or not value.strip():
        raise PlaceholderDataError(f"{where}: {key} must be a non-empty string")
    if value != value.strip() or CONTROL_CHARACTER.search(value):
        raise PlaceholderDataError(f"{where}: {key} {value!r} has surrounding spaces or "
                                   "control characters")
    return Condition.of(key, value)


@functools.lru_cache(maxsize=1)
def _packaged_placeholders() -> tuple[PlaceholderSignature, ...]:
    return tuple(load_placeholders())


class _PageView:
    """The page as conditions see it; the folded texts and the length are worked out once,
    when first needed."""

    __slots__ = ("_folded_text", "_folded_title", "_solid", "html", "text", "title")

    def __init__(self, title: str, text: str, html: str) -> None:
        self.title = title
        self.text = text
        self.html = html
        self._folded_title: str | None = None
        self._folded_text: str | None = None
        self._solid: int | None = None

    def solid(self) -> int:
        if self._solid is None:
            self._solid = _solid_length(self.text)
        return self._solid

    def holds(self, condition: Condition) -> bool:
        key = condition.key
        if key == "title":
            if self._folded_title is None:
                self._folded_title = fold_ascii(self.title)
            return condition.needle in self._folded_title
        if key == "max_text":
            return len(self.text) <= condition.limit or self.solid() <= condition.limit
        if key == "text":
            if not condition.cased:
                return condition.needle in self.text
            if self._folded_text is None:
                self._folded_text = fold_ascii(self.text)
            return condition.needle in self._folded_text
        return condition.needle in self.html

    def describe(self, condition: Condition) -> str:
        if condition.key == "max_text":
            return f"max_text: {condition.value} (has {self.solid()})"
        return condition.describe()


def match_placeholder(title: str, text: str, html: str, *, links: int, scripts: int,
                      redirects: bool,
                      signatures: list[PlaceholderSignature] | None = None,
                      ) -> PlaceholderMatch | None:
    """The placeholder the page is, or None.

    ``title`` and ``text`` are the page's title and visible text, ``html`` the decoded HTML,
    ``links`` the number of ``<a href>`` links, ``scripts`` the number of script elements.
    ``redirects`` says whether the page sends the browser elsewhere, by a meta refresh or a
    script. The first signature in file order that matches wins. Failing that, the page is
    ``empty`` when it has fewer than :data:`EMPTY_TEXT_CHARS` characters of visible text,
    no links, no scripts, no frame, form or embedded object, and is not a redirect.
    """
    page = _PageView(title, text, html)
    for signature in (_packaged_placeholders() if signatures is None else signatures):
        for way in signature.ways:
            if all(page.holds(condition) for condition in way):
                return PlaceholderMatch(signature.id, signature.kind, signature.product,
                                        tuple(page.describe(c) for c in way))
    if (redirects or links or scripts or page.solid() >= EMPTY_TEXT_CHARS
            or _CONTENT_TAG.search(html)):
        return None
    return PlaceholderMatch(EMPTY_ID, EMPTY_KIND, EMPTY_PRODUCT, (
        f"text: {page.solid()} characters (fewer than {EMPTY_TEXT_CHARS})",
        "links: 0", "scripts: 0", "redirects: no"))

