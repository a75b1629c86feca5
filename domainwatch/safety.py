"""Text safety: hostile text made harmless for the place it is shown, one sanitiser per kind.

Everything domainwatch shows may come from a scanned site, a WHOIS answer or the register's
free text, and is hostile: escape sequences that rewrite a terminal, bidi overrides that make
``moc.live`` read as ``evil.com``, line breaks that add a mail header, cells a spreadsheet runs
as formulas, markup. Every kind of output has its one sanitiser here:

- :func:`terminal_safe`: a terminal line or table cell;
- :func:`csv_safe`: a spreadsheet cell;
- :func:`html_safe`: HTML text or an attribute value;
- :func:`line_safe`: one line of an e-mail (header or body), a webhook message, a log, or a
  value stored to be printed later;
- :func:`json_safe`: a JSON document (``--format json``, a digest's attachment), which must
  parse back to what was written: unsafe characters become ``\\uXXXX`` escapes.

The characters none of them lets through are those of :data:`UNSAFE_CATEGORIES`: C0 and C1
controls (escape, NUL, CR, LF, tab, bell …), format characters (zero-width characters, the
bidi marks, embeddings, overrides and isolates U+200E–U+200F, U+202A–U+202E, U+2066–U+2069,
the byte-order mark, soft hyphen, tag characters …), lone surrogates, and the line and
paragraph separators.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

#: Unicode general categories never shown: Cc controls, Cf format characters, Cs lone
#: surrogates, Zl and Zp line and paragraph separators.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Every code point of UNSAFE_CATEGORIES (Unicode 14, Python 3.11's unicodedata), written out
# because finding them at import takes half a second; tests/test_safety.py checks the list
# against unicodedata, so a newer Python with more of them fails there, not silently here.
_UNSAFE_ABOVE_C0 = (
    r"\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    r"\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    r"\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    r"\U000e0001\U000e0020-\U000e007f")
_UNSAFE = re.compile(rf"[\x00-\x1f{_UNSAFE_ABOVE_C0}]")
# What JSON leaves as it is: json.dumps escapes the C0 controls inside strings, and outside
# them writes only ASCII (and the line breaks of its indentation).
_UNSAFE_IN_JSON = re.compile(f"[{_UNSAFE_ABOVE_C0}]")
# ECMA-48 escape sequences: CSI (colours, cursor, screen clearing), OSC (window title,
# hyperlinks) and the two-character ones. Only a complete sequence of bounded length is
# removed: an ESC ] (or ESC [) never terminated must not take the text after it with it (a
# registrant's "Old Owner\x1b]New Owner" would hide the change), so its ESC falls to the
# unsafe-character replacement and the rest is shown. ``]`` and ``[`` are not two-character
# sequences.
_ANSI = re.compile(r"\x1b(?:\[[0-?]{0,64}[ -/]{0,8}[@-~]|\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)"
                   r"|[@-Z\\^_])")
#: What a spreadsheet reads as the start of a formula (OWASP's CSV injection list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Characters a terminal cell or line keeps by default.
MAX_CELL = 200
REPLACEMENT = "\N{REPLACEMENT CHARACTER}"


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds any character of :data:`UNSAFE_CATEGORIES`."""
    return _UNSAFE.search(text) is not None


def cap(text: str, limit: int | None) -> str:
    """``text`` cut to at most ``limit`` characters, the last one an ellipsis when cut."""
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def _marked(text: str) -> str:
    # Fast path: str.isprintable() is False for every Cc, Cf, Cs, Zl and Zp character
    # (tests/test_safety.py checks it over every code point), and C-fast.
    return text if text.isprintable() else _UNSAFE.sub(REPLACEMENT, text)


def terminal_safe(text: object, limit: int | None = MAX_CELL) -> str:
    """``text`` for a terminal: every unsafe character (escape, CR, LF, bidi override …)
    replaced by U+FFFD, so that the reader sees something was there; cut to ``limit``."""
    return cap(_marked(str(text)), limit)


def csv_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: a cell that would start a formula prefixed with
    ``'``, and unsafe characters replaced by U+FFFD (no line breaks, no tabs). None is an
    empty cell."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + _marked(text)
    return _marked(text)


def html_safe(value: object, limit: int | None = None) -> Markup:
    """``value`` as HTML text or attribute value: unsafe characters replaced by U+FFFD,
    cut to ``limit``, then escaped (``& < > " '``) by MarkupSafe, Jinja's escaper. Markup
    (already safe HTML) is kept as it is."""
    if isinstance(value, Markup):
        return value
    return escape(cap(_marked(str(value)), limit))


def json_safe(document: str) -> str:
    """A JSON document as :func:`json.dumps` writes it with ``ensure_ascii=False``, with every
    unsafe character (C1 controls, bidi overrides and isolates, line and paragraph
    separators …) written as a ``\\uXXXX`` escape: it parses back to the same value, Chinese
    stays readable, and a terminal or pager showing it meets none of them."""
    return _UNSAFE_IN_JSON.sub(_json_escape, document)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON writes a character outside the BMP as its UTF-16 pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def line_safe(text: object, limit: int | None = None) -> str:
    """``text`` as one line for a mail header or body, a webhook message, a log line or a
    stored value: escape sequences removed whole, every other unsafe character (CR, LF,
    NUL, bidi override …) a space, runs of white space one space, no space at either end,
    cut to ``limit``."""
    line = str(text)
    if not line.isprintable():
        line = _UNSAFE.sub(" ", _ANSI.sub("", line))
    return cap(" ".join(line.split()), limit)
