"""What a fetched page says: title, keywords and description, visible text by zone, links,
hidden blocks, what its scripts do, redirects in the body.

:func:`parse_page` reads decoded HTML with lxml and never runs a script. The visible text is
what a browser would show: no scripts, styles or comments, and nothing inside an element
hidden by its ``style`` or ``hidden`` attribute or by a class or id that the page's own
``<style>`` hides. What is hidden is kept apart, as :class:`HiddenBlock` with the reason:
black-hat SEO injects its link and keyword blocks into otherwise normal pages exactly that
way — ``display:none``, off-screen positions and ``text-indent``, zero-size and clipped
boxes, 0–1 px fonts, transparent text, text in the colour of a known background,
``<noscript>``, tiny or unreadably fast marquees. The visible text is also kept by zone
(headings, link texts, ``alt``/``title`` attributes, the rest), because the same word means
more in some places than in others (:func:`domainwatch.lexicon.score_zones`).

Inline scripts are read statically (:mod:`domainwatch.probes.scripts`): the markup they
write is read like the page's own, as a block of its own (hidden when the script or the
markup hides it), their navigations are kept with the condition around them, and the titles
they switch to count as titles. A script over 64 KB (a library) is read at its two ends,
where injections are prepended or appended, unless it is packed.

The text fingerprint has two parts. :func:`text_hash` changes whenever the visible text
changes at all. :func:`sketch` is a bottom-k MinHash of the text's character 5-grams
(whitespace removed, so it works for Chinese, which has no spaces, and for English alike):
:func:`similarity` of two sketches estimates the Jaccard similarity of the two texts'
5-gram sets, with a standard error of at most 1/(2·√k) ≈ 0.044 for k = 128 and exact for
texts of fewer than k distinct 5-grams. It costs about 0.2 ms for a 10 000-character text
(numpy: one vectorised rolling hash and a partial sort); ``bench/bench_similarity.py``
measures the cost and the error on real-sized pages.

Size: one pass over one document. The walker's state (the zones, the hidden blocks and
why, the links and their blocks) is what every part of this module reads or fills.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import numpy as np

from domainwatch.names import url_host
from domainwatch.probes.scripts import ScriptReading, read_script

SKETCH_SIZE = 128
SHINGLE = 5
MAX_TEXT = 200_000
MAX_TITLE = 300
MAX_LINKS = 1000
MAX_LINK_TEXT = 200
MAX_HIDDEN_TEXT = 2000
MAX_HIDDEN_BLOCKS = 20
_INVISIBLE = {"script", "style", "noscript", "template", "head", "svg", "object", "iframe",
              "select", "option", "textarea", "canvas"}
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")
_REFRESH = re.compile(r"""^\s*(\d*\.?\d*)\s*[;,]?\s*(?:url\s*=\s*)?["']?\s*([^"'\s][^"']*)?""",
                      re.IGNORECASE)
_SCRIPT_REDIRECT = re.compile(
    r"""(?:\b(?:window|top|self|parent|document)\s*\.\s*)?\blocation"""
    r"""(?:\s*\.\s*href)?\s*=\s*(["'])([^"'\n]{1,2000})\1"""
    r"""|\blocation\s*\.\s*(?:replace|assign)\s*\(\s*(["'])([^"'\n]{1,2000})\3\s*\)"""
    r"""|\bwindow\s*\.\s*navigate\s*\(\s*(["'])([^"'\n]{1,2000})\5\s*\)""")
_FUNCTION_OPENER = re.compile(r"(?:\bfunction\b[^{;]*\)|=>)\s*$")
_HIDING = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden"
    r"|(?:^|;)\s*(?:left|top|right|text-indent|margin-left|margin-top)\s*:\s*-\s*\d{3,}"
    r"|font-size\s*:\s*(?:0|0?\.\d+|1)(?:px|pt|em|rem|%)?\s*(?:;|$|!)"
    r"|(?:^|;)\s*(?:height|width|max-height|max-width)\s*:\s*[01](?:px)?\s*(?:;|$|!)"
    r"|opacity\s*:\s*0(?:\.0+)?\s*(?:;|$|!)"
    r"|clip\s*:\s*rect\(\s*0(?:px)?[\s,]+0(?:px)?[\s,]+0(?:px)?[\s,]+0(?:px)?\s*\)"
    r"|clip-path\s*:\s*(?:inset\(\s*(?:50|100)%|circle\(\s*0)"
    r"|transform\s*:\s*scale\(\s*0(?:\.0+)?\s*\)",
    re.IGNORECASE)
_COLOUR = re.compile(r"(?:^|;)\s*color\s*:\s*([^;!]+)", re.IGNORECASE)
_BACKGROUND = re.compile(r"background(?:-color)?\s*:\s*([^;!]+)", re.IGNORECASE)
_HEX_COLOUR = re.compile(r"#([0-9a-f]{3}|[0-9a-f]{6})\b", re.IGNORECASE)
_RGB_COLOUR = re.compile(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)", re.IGNORECASE)
_NAMED_COLOURS = {"white": "ffffff", "black": "000000", "red": "ff0000", "silver": "c0c0c0",
                  "gray": "808080", "grey": "808080", "transparent": "transparent"}
WHITE = "ffffff"
UNKNOWN = "unknown"
#: A marquee that scrolls this fast cannot be read: it only carries words for crawlers.
MARQUEE_UNREADABLE_SPEED = 500
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: What holds a block of links together (a list item or a span does not: its siblings
#: are the rest of the block).
_CONTAINERS = frozenset({"div", "ul", "ol", "dl", "p", "td", "th", "table", "footer",
                         "section", "nav", "aside", "center", "marquee", "body", "form",
                         "header", "article", "main"})
MAX_ZONE_TEXT = 20_000
MAX_SCRIPT_URLS = 20
LARGE_SCRIPT = 65_536
LARGE_SCRIPT_END = 8_192
PACKER = "eval(function(p,a,c,k,e,"
_STYLE_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^([a-z0-9]*)([.#])([-_a-zA-Z0-9]+)$")


@dataclass
class Link:
    """An ``<a href>`` of the page: absolute URL, its host (lower case) and link text."""

    url: str
    host: str
    text: str
    hidden: bool = False
    block: HiddenBlock | None = field(default=None, repr=False, compare=False)
    #: links of one container (a div, a list, a table cell) share a number
    group: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "host": self.host, "text": self.text, "hidden": self.hidden}


@dataclass
class HiddenBlock:
    """Text and links a browser does not show, and why (``display:none``, ...)."""

    reason: str
    text: str
    links: int
    hosts: list[str] = field(default_factory=list)
    #: written into the page by a script (then shown or not, as ``reason`` says)
    written: bool = False

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"reason": self.reason, "text": self.text,
                                "links": self.links, "hosts": self.hosts}
        if self.written:
            data["written"] = True
        return data


@dataclass(frozen=True)
class SiteLink:
    """A link within the site (the crawl follows it): absolute URL, the element it came
    from (``a``, ``frame``, ``iframe``, ``area``, ``onclick``) and the link text."""

    url: str
    element: str
    text: str = ""


@dataclass(eq=False)
class Page:
    #: the URL the page was read as (its links are resolved against it, or its ``<base>``)
    url: str = ""
    title: str = ""
    text: str = ""
    links: list[Link] = field(default_factory=list)
    link_count: int = 0
    hidden: list[HiddenBlock] = field(default_factory=list)
    meta_refresh: tuple[float, str] | None = None
    script_redirects: list[str] = field(default_factory=list)
    scripts: int = 0
    resources: dict[str, list[str]] = field(default_factory=dict)
    # only when parse_page is given the site's hosts
    site_links: list[SiteLink] = field(default_factory=list)
    #: meta keywords and description, joined
    meta: str = ""
    #: the visible text by where it stands: headings, links, attributes (alt, title), text
    zone_text: dict[str, str] = field(default_factory=dict)
    #: what the page's scripts do, read statically (see :mod:`domainwatch.probes.scripts`)
    navigations: list[dict[str, Any]] = field(default_factory=list)
    title_switches: list[dict[str, Any]] = field(default_factory=list)
    script_techniques: list[str] = field(default_factory=list)
    #: the scripts it loads from elsewhere, in page order
    script_urls: list[str] = field(default_factory=list)

    @property
    def hidden_text(self) -> str:
        return " ".join(block.text for block in self.hidden)

    def zones(self) -> dict[str, str]:
        """The page's text by zone, as :func:`domainwatch.lexicon.score_zones` scores it:
        what a script writes is ``script``, the titles a script switches to are ``title``."""
        zones = dict(self.zone_text)
        titles = [self.title, *(switch["title"] for switch in self.title_switches)]
        zones["title"] = " ".join(title for title in titles if title)
        zones["meta"] = self.meta
        zones["hidden"] = " ".join(block.text for block in self.hidden if not block.written)
        zones["script"] = " ".join(block.text for block in self.hidden if block.written)
        return zones

    @functools.cached_property
    def text_hash(self) -> str:
        """:func:`text_hash` of the visible text."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:32]

    @functools.cached_property
    def sketch(self) -> list[int]:
        """The similarity sketch of the visible text (see :func:`sketch`)."""
        return sketch(self.text)


def clean_text(text: str) -> str:
    """Whitespace collapsed, control characters gone."""
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    return " ".join(text.split())


def parse_page(html: str, url: str, site: frozenset[str] = frozenset()) -> Page:
    """Read ``html`` (decoded) fetched from ``url``. With ``site`` (the hosts of the site
    the page belongs to), the visible links, frames, image-map areas and ``onclick``
    navigations within those hosts are kept too, in ``site_links``, for a crawl."""
    page = Page(url=url)
    html = _XML_DECLARATION.sub("", html.replace("\x00", ""), count=1)
    if not html.strip():
        return page
    root = _document(html)
    if root is None:
        return page
    base = url
    for element in root.iter("base"):
        href = element.get("href")
        if href:
            base = _join(url, href) or url
            break
    if site:
        site = site | {url_host(base) or ""}
    title = root.find(".//title")
    if title is not None:
        page.title = clean_text(title.text_content())[:MAX_TITLE]
    meta: list[str] = []
    for element in root.iter("meta"):
        name = (element.get("name") or element.get("property") or "").strip().lower()
        if name in ("keywords", "description", "og:title", "og:description"):
            meta.append(element.get("content") or "")
        elif (element.get("http-equiv") or "").strip().lower() == "refresh" \
                and page.meta_refresh is None:
            page.meta_refresh = parse_refresh(element.get("content") or "", base)
    page.meta = clean_text(" ".join(meta))[:MAX_ZONE_TEXT]
    walker = _Walker(page, base, site, _hiding_selectors(root), _page_background(root))
    walker.walk(root, None, walker.background, "text")
    page.text = clean_text(" ".join(walker.texts))[:MAX_TEXT]
    page.zone_text = walker.zone_texts()
    for script in root.iter("script"):
        page.scripts += 1
        source = script.get("src")
        if source:
            _resource(page, base, source, "script")
            target = _join(base, source)
            if target and len(page.script_urls) < MAX_SCRIPT_URLS \
                    and target not in page.script_urls:
                page.script_urls.append(target)
        elif script.text:
            _read_script(page, walker, script.text)
    for tag, attribute, kind in (("iframe", "src", "iframe"), ("frame", "src", "iframe"),
                                 ("link", "href", "stylesheet"), ("img", "src", "image"),
                                 ("form", "action", "form"), ("area", "href", "area")):
        for element in root.iter(tag):
            value = element.get(attribute)
            if value and (tag != "link" or "stylesheet" in (element.get("rel") or "").lower()):
                _resource(page, base, value, kind)
                if site and tag in ("frame", "iframe", "area"):
                    _site_link(page, site, base, value, tag,
                               clean_text(element.get("alt") or element.get("title") or ""))
    # Buttons and menus that navigate with a script: onclick="location.href='…'".
    for element in root.xpath("//*[@onclick]"):
        for target in script_redirects(element.get("onclick") or ""):
            _resource(page, base, target, "onclick")
            if site:
                _site_link(page, site, base, target, "onclick",
                           clean_text(element.text_content())[:MAX_LINK_TEXT])
    return page


def _document(html: str) -> Any:
    try:
        return lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None


def read_page_script(page: Page, code: str, base: str, source: str = "script") -> None:
    """Read a script the page loads (fetched apart: ``source`` names it, ``external script
    URL``) into ``page`` as if it were inline."""
    walker = _Walker(page, base, frozenset(), set(), UNKNOWN)
    _read_script(page, walker, code, source)


def _read_script(page: Page, walker: _Walker, code: str, source: str = "script") -> None:
    """What one inline script writes, where it sends the visitor, which title it sets."""
    if len(code) > LARGE_SCRIPT and PACKER not in code:
        # A library (jQuery is 89 KB): reading it whole costs a fifth of a second. What is
        # injected into one is prepended or appended, so its two ends are read.
        for end in (code[:LARGE_SCRIPT_END], code[-LARGE_SCRIPT_END:]):
            _read_reading(page, walker, read_script(end), source)
        return
    _read_reading(page, walker, read_script(code), source)


def _read_reading(page: Page, walker: _Walker, reading: ScriptReading, source: str) -> None:
    for url in reading.scripts:
        target = _join(walker.base, url)
        if target:
            _resource(page, walker.base, target, "script")
            if len(page.script_urls) < MAX_SCRIPT_URLS and target not in page.script_urls:
                page.script_urls.append(target)
    for technique in reading.techniques:
        if technique not in page.script_techniques:
            page.script_techniques.append(technique)
    for navigation in reading.navigations:
        target = _join(walker.base, navigation.target) if navigation.known else None
        if target is None:
            continue
        if target not in page.script_redirects:
            page.script_redirects.append(target)
        if len(page.navigations) < MAX_HIDDEN_BLOCKS:
            page.navigations.append({"target": target, "method": navigation.method,
                                     "condition": navigation.condition,
                                     "delayed": navigation.delayed,
                                     "techniques": list(reading.techniques)})
    for switch in reading.title_switches:
        title = clean_text(switch.title)[:MAX_TITLE]
        if title and len(page.title_switches) < MAX_HIDDEN_BLOCKS:
            page.title_switches.append({"title": title, "condition": switch.condition,
                                        "techniques": list(reading.techniques)})
    for written in reading.written:
        root = _document(f"<html><body>{written.html}</body></html>")
        if root is None:
            continue
        how = ", ".join([written.method, *reading.techniques])
        if written.condition != "always":
            how += f", {written.condition}"
        reason = f"written by {source} ({how})"
        inner = walker.hiding_inside(root)
        if inner is not None:
            reason += f", hidden: {inner}"
        elif written.hidden:
            reason += ", hidden"
        walker.walk_written(root, reason, written.hidden or inner is not None)


def parse_refresh(value: str, base: str) -> tuple[float, str] | None:
    """``5; url=/x`` (a meta refresh's content, or a ``Refresh`` header) as (delay, URL)."""
    found = _REFRESH.match(value)
    if not found or not found.group(2):
        return None
    target = _join(base, found.group(2).strip())
    if not target:
        return None
    try:
        delay = float(found.group(1)) if found.group(1) not in ("", ".") else 0.0
    except ValueError:
        delay = 0.0
    return delay, target


class _Walker:
    """One walk over a parsed document: the visible text (all of it, for the fingerprint,
    and by zone), links and hidden blocks, into ``page``."""

    def __init__(self, page: Page, base: str, site: frozenset[str],
                 hidden_by_style: set[tuple[str, str]], background: str) -> None:
        self.page = page
        self.base = base
        self.site = site
        self.hidden_by_style = hidden_by_style
        self.background = background
        self.texts: list[str] = []
        self.zones: dict[str, list[str]] = {"headings": [], "links": [], "attributes": [],
                                            "text": []}
        self._attribute_length = 0
        self._groups: dict[Any, int] = {}

    def zone_texts(self) -> dict[str, str]:
        # For the lexicon only: whitespace collapsed, control characters left (they match
        # no word), which saves a search over the page's text per zone.
        return {zone: " ".join(" ".join(parts).split())[:MAX_TEXT if zone == "text" else
                                                        MAX_ZONE_TEXT]
                for zone, parts in self.zones.items()}

    def walk_written(self, root: Any, reason: str, hidden: bool) -> None:
        """Markup a script writes: one block, hidden or not, and its links."""
        block = HiddenBlock(reason=reason, text="", links=0, written=True)
        body = root.find(".//body")
        self._children(body if body is not None else root, block, self.background, "text")
        block.text = clean_text(block.text)[:MAX_HIDDEN_TEXT]
        if (block.text or block.links) and len(self.page.hidden) < MAX_HIDDEN_BLOCKS:
            self.page.hidden.append(block)
        for tag, attribute, kind in (("script", "src", "script"), ("iframe", "src", "iframe"),
                                     ("img", "src", "image")):
            for element in root.iter(tag):
                if element.get(attribute):
                    _resource(self.page, self.base, element.get(attribute), kind)
        for link in self.page.links:
            if link.hidden is False and link.block is block:
                link.hidden = hidden

    def hiding_inside(self, root: Any) -> str | None:
        """The first reason an element of written markup is hidden, if one is."""
        for element in root.iter():
            if isinstance(element.tag, str) and element.tag not in ("html", "body"):
                style = element.get("style")
                reason = self._hidden_reason(element, element.tag, style,
                                             _colour_of(element, style) if style else None,
                                             self.background)
                if reason is not None:
                    return reason
        return None

    def walk(self, element: Any, block: HiddenBlock | None, background: str | None,
             zone: str) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag:
            return
        if tag == "noscript":
            if block is None:
                self._hidden(element, HiddenBlock(reason="noscript", text="", links=0),
                             background, zone)
            else:
                self._children(element, block, background, zone)
            return
        if tag in _INVISIBLE:
            return
        style = element.get("style")
        colour = None
        if style or element.get("bgcolor") or element.get("color"):
            own = _background_of(element, style)
            if own is not None:
                background = own
            colour = _colour_of(element, style)
        if block is None:
            reason = self._hidden_reason(element, tag, style, colour, background)
            if reason is not None:
                self._hidden(element, HiddenBlock(reason=reason, text="", links=0),
                             background, zone)
                return
        if tag in _HEADINGS:
            zone = "headings"
        elif tag == "a":
            zone = "links"
            self._link(element, block)
        if block is None and self._attribute_length < MAX_ZONE_TEXT:
            for name in ("alt", "title"):
                value = element.get(name)
                if value and tag != "html":
                    self.zones["attributes"].append(value)
                    self._attribute_length += len(value)
        self._children(element, block, background, zone)

    def _hidden(self, element: Any, block: HiddenBlock, background: str | None,
                zone: str) -> None:
        self._children(element, block, background, zone)
        block.text = clean_text(block.text)[:MAX_HIDDEN_TEXT]
        if (block.text or block.links) and len(self.page.hidden) < MAX_HIDDEN_BLOCKS:
            self.page.hidden.append(block)

    def _children(self, element: Any, block: HiddenBlock | None, background: str | None,
                  zone: str) -> None:
        # The page's hottest loop: text goes straight to its lists, no call per piece.
        if block is not None:
            if element.text:
                block.text += " " + element.text
            for child in element:
                if isinstance(child.tag, str):
                    self.walk(child, block, background, zone)
                if child.tail:
                    block.text += " " + child.tail
            return
        texts, sink = self.texts, self.zones[zone]
        if element.text:
            texts.append(element.text)
            sink.append(element.text)
        for child in element:
            if isinstance(child.tag, str):
                self.walk(child, None, background, zone)
            if child.tail:
                texts.append(child.tail)
                sink.append(child.tail)

    def _hidden_reason(self, element: Any, tag: str, style: str | None, colour: str | None,
                       background: str | None) -> str | None:
        if element.get("hidden") is not None:
            return "hidden attribute"
        if style:
            found = _HIDING.search(style)
            if found:
                return _hiding_reason(found.group(0))
        if colour is not None and colour == background and colour != UNKNOWN \
                and element.text_content().strip():
            return f"text in the background colour (#{colour})"
        if tag == "marquee":
            for size in (element.get("height"), element.get("width")):
                if size is not None and size.strip().rstrip("px").isdigit() \
                        and int(size.strip().rstrip("px")) <= 5:
                    return "tiny marquee"
            speed = (element.get("scrollamount") or "").strip()
            if speed.isdigit() and int(speed) >= MARQUEE_UNREADABLE_SPEED:
                return f"marquee too fast to read (scrollamount {speed})"
        if self.hidden_by_style:
            for kind, value in [("#", element.get("id") or ""),
                                *((".", c) for c in (element.get("class") or "").split())]:
                if value and (kind, value) in self.hidden_by_style:
                    return f"page style hides {kind}{value}"
        return None

    def _link(self, element: Any, block: HiddenBlock | None) -> None:
        count = len(self.page.links)
        _link(element, self.page, self.base, block, self.site)
        if len(self.page.links) > count:
            container = element.getparent()
            while container is not None and container.tag not in _CONTAINERS:
                container = container.getparent()
            self.page.links[-1].group = self._groups.setdefault(container, len(self._groups))


def _hiding_reason(style: str) -> str:
    """What a hiding style does, named so that a reader can find it in the page."""
    matched = clean_text(style).strip(";! ")
    lowered = matched.lower().replace(" ", "")
    for needle, label in (("display:none", ""), ("visibility:hidden", ""),
                          ("text-indent", "off-screen"), ("font-size", "tiny font"),
                          ("clip", "clipped"), ("opacity", "transparent"),
                          ("transform", "zero-size box"), ("left", "off-screen"),
                          ("top", "off-screen"), ("right", "off-screen"),
                          ("margin", "off-screen"), ("height", "zero-size box"),
                          ("width", "zero-size box")):
        if needle in lowered:
            return f"style {matched}" + (f" ({label})" if label else "")
    return f"style {matched}"


def _colour(value: str) -> str | None:
    """A CSS colour as six lower-case hex digits (or ``transparent``), when it can be read."""
    value = value.strip().lower()
    named = _NAMED_COLOURS.get(value.split()[0] if value else "")
    if named is not None:
        return named
    found = _HEX_COLOUR.search(value)
    if found:
        digits = found.group(1).lower()
        return "".join(c * 2 for c in digits) if len(digits) == 3 else digits
    rgb = _RGB_COLOUR.search(value)
    if rgb:
        return "".join(f"{min(int(part), 255):02x}" for part in rgb.groups())
    return None


def _colour_of(element: Any, style: str | None) -> str | None:
    if style:
        found = _COLOUR.search(style)
        if found:
            return _colour(found.group(1))
    if element.tag == "font" and element.get("color"):
        return _colour(element.get("color"))
    return None


def _background_of(element: Any, style: str | None) -> str | None:
    if style:
        found = _BACKGROUND.search(style)
        if found:
            colour = _colour(found.group(1))
            if colour == "transparent":
                return None  # the parent's shows through
            return UNKNOWN if colour is None else colour  # an image, a gradient
    if element.get("bgcolor"):
        return _colour(element.get("bgcolor")) or UNKNOWN
    return None


def _page_background(root: Any) -> str:
    """The body's background colour, from its attributes or the page's own style; a
    browser's white when the page sets none and loads no style sheet that could; else
    :data:`UNKNOWN` (text the same colour as an unknown background is not judged)."""
    body = root.find(".//body")
    if body is not None:
        own = _background_of(body, body.get("style"))
        if own is not None:
            return own
    for style in root.iter("style"):
        for rule in _STYLE_RULE.finditer(style.text or ""):
            selectors = {part.strip().lower() for part in rule.group(1).split(",")}
            if selectors & {"body", "html"}:
                found = _BACKGROUND.search(rule.group(2))
                if found:
                    return _colour(found.group(1)) or UNKNOWN
    for link in root.iter("link"):
        if "stylesheet" in (link.get("rel") or "").lower():
            return UNKNOWN
    return WHITE


def _hiding_selectors(root: Any) -> set[tuple[str, str]]:
    """Classes and ids that the page's own ``<style>`` blocks hide (the last part of a
    selector: ``.footer .seo`` hides ``.seo``)."""
    selectors: set[tuple[str, str]] = set()
    for style in root.iter("style"):
        for rule in _STYLE_RULE.finditer(style.text or ""):
            if not _HIDING.search(rule.group(2)):
                continue
            for selector in rule.group(1).split(","):
                parts = selector.split()
                if not parts or ":" in parts[-1]:
                    continue  # :hover and the like show as well as hide
                simple = _SIMPLE_SELECTOR.match(parts[-1])
                if simple:
                    selectors.add((simple.group(2), simple.group(3)))
    return selectors


def _link(element: Any, page: Page, base: str, block: HiddenBlock | None,
          site: frozenset[str]) -> None:
    href = element.get("href")
    if not href:
        return
    host = _link_host(href.strip(), base)
    if not host:
        return
    if host in site and block is None:
        _site_link(page, site, base, href, "a",
                   clean_text(element.text_content())[:MAX_LINK_TEXT])
    page.link_count += 1
    if block is not None:
        block.links += 1
        if host not in block.hosts and len(block.hosts) < 50:
            block.hosts.append(host)
    # Links within the page's own host are only counted: the checks ask where a page
    # leads elsewhere, and joining thousands of relative URLs is the slowest part.
    if host != url_host(base) and len(page.links) < MAX_LINKS:
        target = _join(base, href)
        if target is not None:
            text = clean_text(element.text_content())[:MAX_LINK_TEXT]
            page.links.append(Link(target, host, text, hidden=block is not None
                                   and not block.written, block=block))


def _site_link(page: Page, site: frozenset[str], base: str, reference: str, element: str,
               text: str) -> None:
    if len(page.site_links) >= MAX_LINKS:
        return
    target = _join(base, reference)
    if target is not None and url_host(target) in site:
        page.site_links.append(SiteLink(target.split("#", 1)[0], element, text))


_ABSOLUTE = re.compile(r"^(?:(https?):)?//([^/?#\\]*)", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _link_host(href: str, base: str) -> str | None:
    """The host a link leads to, without joining the whole URL."""
    absolute = _ABSOLUTE.match(href)
    if absolute is not None:
        netloc = absolute.group(2).rsplit("@", 1)[-1]
        if netloc.startswith("["):
            host = netloc[1:netloc.find("]")] if "]" in netloc else ""
        else:
            host = netloc.split(":", 1)[0]
        host = host.rstrip(".").lower()
        if not host:
            return None
        return host if host.isascii() else url_host(f"http://{host}/")
    if _SCHEME.match(href) or href.startswith("#"):
        return None  # javascript:, mailto:, tel:, data:, or a place in this page
    return url_host(base)


def _resource(page: Page, base: str, value: str, kind: str) -> None:
    target = _join(base, value)
    host = url_host(target) if target else None
    if host:
        kinds = page.resources.setdefault(host, [])
        if kind not in kinds:
            kinds.append(kind)


def _join(base: str, reference: str) -> str | None:
    reference = reference.strip()
    if reference.lower().startswith(("javascript:", "mailto:", "tel:", "data:", "#")):
        return None
    try:
        joined = urljoin(base, reference)
        scheme = urlsplit(joined).scheme
    except ValueError:
        return None
    return joined if scheme in ("http", "https") else None




def script_redirects(code: str) -> list[str]:
    """Targets of ``location`` assignments in ``code`` that run when the page loads:
    at the top level or inside conditions, not inside a function defined for later."""
    targets: list[str] = []
    for found in _SCRIPT_REDIRECT.finditer(code):
        if _inside_function(code, found.start()):
            continue
        target = found.group(2) or found.group(4) or found.group(6)
        if target and target not in targets:
            targets.append(target)
    return targets


def _inside_function(code: str, position: int) -> bool:
    openers: list[bool] = []
    quote = ""
    index = 0
    while index < position:
        char = code[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char == "{":
            openers.append(bool(_FUNCTION_OPENER.search(code[max(0, index - 200):index])))
        elif char == "}" and openers:
            openers.pop()
        index += 1
    return any(openers)


# --- the text fingerprint ----------------------------------------------------------------


def text_hash(text: str) -> str:
    """SHA-256 (first 128 bits, hex) of the text with whitespace collapsed."""
    return hashlib.sha256(clean_text(text).encode("utf-8")).hexdigest()[:32]


_MULTIPLIER = np.uint64(1_000_003)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def sketch(text: str, size: int = SKETCH_SIZE) -> list[int]:
    """Bottom-``size`` MinHash sketch of the text's character 5-grams, ascending."""
    compact = "".join(text.split()).lower()
    codes = np.frombuffer(compact.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(codes) - SHINGLE + 1
    if count <= 0:
        return [_mix_one(codes)] if len(codes) else []
    hashes = np.zeros(count, dtype=np.uint64)
    for offset in range(SHINGLE):
        hashes = hashes * _MULTIPLIER + codes[offset:offset + count]
    hashes = _mix(hashes)
    if count > 4 * size:
        smallest = np.unique(np.partition(hashes, 4 * size)[:4 * size])
        if len(smallest) >= size:
            return [int(value) for value in smallest[:size]]
    return [int(value) for value in np.unique(hashes)[:size]]


def _mix(values: np.ndarray) -> np.ndarray:
    # splitmix64's finaliser: spreads the rolling hash over all 64 bits.
    values = values ^ (values >> np.uint64(30))
    values = values * _MIX_1
    values = values ^ (values >> np.uint64(27))
    values = values * _MIX_2
    return values ^ (values >> np.uint64(31))


def _mix_one(codes: np.ndarray) -> int:
    value = np.zeros(1, dtype=np.uint64)
    for code in codes:
        value = value * _MULTIPLIER + code
    return int(_mix(value)[0])


def encode_sketch(values: list[int]) -> str:
    """A sketch as stored: its 64-bit values, big-endian, in base64 (1,368 characters for
    128 values, half the size of a JSON list of numbers)."""
    return base64.b64encode(b"".join(value.to_bytes(8, "big") for value in values)).decode()


def decode_sketch(stored: str | list[int]) -> list[int]:
    """A stored sketch (:func:`encode_sketch`, or a plain list) as its values."""
    if isinstance(stored, list):
        return [int(value) for value in stored]
    raw = base64.b64decode(stored)
    return [int.from_bytes(raw[i:i + 8], "big") for i in range(0, len(raw) - 7, 8)]


def similarity(a: list[int], b: list[int], size: int = SKETCH_SIZE) -> float:
    """Estimated Jaccard similarity (0–1) of the texts behind two sketches."""
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    first, second = set(a), set(b)
    union = sorted(first | second)[:size]
    both = sum(1 for value in union if value in first and value in second)
    return both / len(union)
