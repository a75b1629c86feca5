"""A static reader of page scripts as black-hat SEO writes them; nothing is ever executed.

Hijacked government pages are often clean as HTML and dirty through their inline scripts: a
``document.write`` of a hidden link block (暗链), a jump to a gambling site only for visitors
who come from a search engine, a ``document.title`` rewritten for everyone but Baiduspider
(标题劫持), all of it behind escapes, ``String.fromCharCode``, ``eval`` or Dean Edwards' packer.
:func:`read_script` reads such a script the way a careful person would: a small lexer (strings,
comments, regex literals, templates), bracket matching, then one reader per construct over
the tokens: it folds the constant strings the script builds, undoes the obfuscation and
reports what the script does to the page (:class:`ScriptReading`).

What is recognised
  * String literals with ``\\xNN``, ``\\uNNNN``, ``\\u{...}`` and legacy octal escapes; the
    same escapes in identifiers (``\\u0065val``); template literals (substitutions unknown).
  * Constant folding over a flat, position-aware table of the script's variables (``var``/
    ``let``/``const``/plain assignments, ``+=``, ``arr.push(...)``, ``arr[i] = ...``, the
    parameters of an immediately invoked function bound to its arguments), each evaluated
    lazily, once: ``+`` concatenation, ``[...].join()``, ``.split("").reverse().join("")``,
    ``.replace()`` with a literal pattern, ``substr``/``slice``/``charAt``/``concat``,
    indexing a string array (``_0x12ab[3]``, as obfuscators emit), ``String.fromCharCode``
    (also ``.apply``), ``unescape``/``escape``, ``decodeURIComponent``/``decodeURI``,
    ``atob``, ``Number#toString(radix)``, ``new Array``, object literals, ternaries (both
    branches kept, with their test, where a sink takes one). A loop's counter (``i++``) is
    unknown; an unknown index into a list of markup fragments stands for all of them.
  * ``eval``, ``window["eval"]``, ``execScript``, ``Function``/``new Function`` (also through
    a name's ``.constructor``), string arguments of ``setTimeout``/``setInterval``, the code
    of a created ``<script>`` element, and inline ``<script>`` bodies in written markup: the
    code is decoded and read again, down to :data:`MAX_DEPTH` levels. The
    ``eval(function(p,a,c,k,e,d){...}(...))`` packer (``e``/``r`` variants, radix up to 62)
    is unpacked with the packer's own word substitution, then read again.
  * Sinks: ``document.write``/``writeln`` (all writes of one script under one condition are
    joined before they are judged, as the browser joins them), ``innerHTML``/``outerHTML``
    (also ``+=``), ``insertAdjacentHTML`` and jQuery's ``append``/``prepend``/``after``/
    ``before``/``html``/``appendTo``; navigation by ``location``, ``location.href``,
    ``window.location``, ``self``/``top``/``parent``/``document.location``,
    ``location.replace``/``assign``, ``location["href"]``, ``window["location"]``,
    ``window.open``, ``window.navigate`` and a written ``<meta http-equiv="refresh">``;
    ``document.title`` and the ``<title>`` element's ``innerHTML``/``text``; external scripts
    loaded by ``createElement("script")`` + ``src``, ``$.getScript`` or a written
    ``<script src>`` (:attr:`ScriptReading.scripts`).
  * Whether a sink runs: at the top level, in an IIFE, in a function called from code that
    runs, in a callback of an ordinary call, or (``delayed``) in a callback of
    ``setTimeout``/``setInterval``, ``window.onload``, a ``load``/``DOMContentLoaded``
    listener or jQuery's ready. A sink in a function only bound to a user event (``onclick``,
    ``.click(...)``, ``addEventListener("click", ...)``) or never called in the script (a
    menu's handler, called from an HTML attribute) is not reported.
  * Under which condition it runs: the enclosing ``if``/``else``/``else if`` (braced or not),
    ``a && sink``, ``a || sink`` and ternaries, with the script's variables expanded in the
    test (``var s=document.referrer``, ``var ua=navigator.userAgent.toLowerCase()``,
    ``var re=/spider|bot/i``, ``var isBot=re.test(ua)``, arrays of engine names): a
    search-engine referrer, a crawler user agent (which branch: crawlers only, or everyone but
    crawlers), a mobile user agent, some other test (see :class:`Navigation`).
  * Hiding: all of the written markup's content (text, links, frames, forms) is hidden by its
    own CSS (``display:none``, ``visibility``, off-screen positions, zero size with
    ``overflow:hidden``, 0-1 px fonts, negative ``text-indent``, opacity, clipping, zero-size
    frames, a class or id hidden by a written ``<style>``), or the script hides the element it
    writes into (``.style.display="none"``, ``.style.cssText``, ``setAttribute("style",
    ...)``, jQuery ``.hide()``/``.css()``), before or after writing.

What is deliberately not done
  * Nothing is executed and there is no DOM: values known only at run time (dates, cookies,
    the referrer itself, results of arbitrary functions) stay unknown, and markup is judged on
    what is known of it. No interprocedural evaluation (a function's parameters are unknown,
    except an IIFE's), no scopes (one flat table, in source order), no loops.
  * Obfuscation that needs execution is not undone: string arrays rotated or RC4/base64-decoded
    by a generated function (obfuscator.io's higher settings), custom decoder functions
    (``function d(s){...charCodeAt(i)^5...}``), JSFuck, AAEncode/JJEncode, the packer's
    high-ASCII (radix 95) variant, code reached only through ``[]["constructor"]``.
  * Plain text written around run-time values (a date display, a visit counter) is not
    reported, nor is a write without content (an empty span and a ``<script src>``, the way
    CNZZ and the old Baidu statistics snippets load; a counter's pixel): the scripts such a
    write loads are in :attr:`ScriptReading.scripts`.
  * ``techniques`` names obfuscation undone on the way to something reported (markup, a
    navigation, a title, evaled code); a loaded script's URL is reported without it.

Everything is bounded, for hostile input: :data:`MAX_SCRIPT` characters of code,
:data:`MAX_TOKENS` tokens per piece of code and :data:`MAX_TOKENS_READ` for a script with all
it evals, an evaluation step budget, expression nesting, eval depth, string sizes (checked
before a string is built) and output sizes; every pattern is linear. No exception leaves
:func:`read_script`. A script without any of the words a sink or a decoder needs
(:func:`worth_reading`, a few substring tests) returns at once.

Size: one reader of one language. The lexer, the constant folding and the readers of each
construct share one token stream and one table of folded constants; split into modules they
would only import each other's internals.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote

__all__ = [
    "MAX_DEPTH",
    "MAX_SCRIPT",
    "MAX_TOKENS",
    "Navigation",
    "ScriptReading",
    "TitleSwitch",
    "WrittenMarkup",
    "read_script",
    "worth_reading",
]

MAX_SCRIPT = 500_000
MAX_TOKENS = 100_000
MAX_TOKENS_READ = 120_000  # for a script and all it evals, unpacks or writes
MAX_DEPTH = 5
MAX_HTML = 50_000
MAX_DECODED = 200_000
MAX_TARGET = 2_000
MAX_TITLE = 1_000
MAX_ITEMS = 50
MAX_STRING = 300_000
MAX_LIST = 100_000
MAX_SINKS = 500
MAX_STEPS = 200_000
MAX_EXPR_DEPTH = 60
MAX_REGEX = 400
MAX_TAGS = 5_000
MAX_LEVELS = 256
MAX_SCAN_BACK = 4_000
MAX_CALL_DEPTH = 8

#: Order in which techniques are reported (stable ids).
TECHNIQUES = ("packer", "eval", "hex-escapes", "unicode-escapes", "octal-escapes",
              "fromCharCode", "unescape", "atob", "concatenation", "array-join", "reverse",
              "string-array")


# --- the public result --------------------------------------------------------------------


@dataclass(frozen=True)
class WrittenMarkup:
    """HTML a script writes into the page."""

    html: str  # decoded markup as the browser receives it (at most MAX_HTML characters)
    method: str  # document.write(ln), innerHTML, outerHTML, insertAdjacentHTML, append
    hidden: bool  # all of its content is hidden, by its own CSS or by the script
    condition: str = "always"  # as Navigation.condition: who gets this markup


@dataclass(frozen=True)
class Navigation:
    """A script that sends the visitor elsewhere.

    ``condition`` says who is sent: ``always``; ``search-referrer`` (``document.referrer``
    tested for baidu, sogou, so.com, 360, sm.cn/shenma, google, bing, toutiao, yahoo, soso,
    youdao...); ``not-spider`` (the user agent tested for a crawler, and the jump is in the
    branch where it is not one: everyone but crawlers); ``spider`` (crawlers only); ``mobile``
    (a mobile user agent); ``other`` (some other test: a cookie, a date, the referrer without
    an engine's name). Nested tests give the most telling of these."""

    target: str  # the URL as far as it can be decoded, else the expression's text
    method: str  # location, location.href, location.replace, location.assign, location[...],
    #              top.location, parent.location, window.open, window.navigate, meta-written
    condition: str  # always, search-referrer, not-spider, spider, mobile, other
    delayed: bool  # in a timer or a load handler, or a written refresh with a delay
    known: bool = True  # target is decoded text (a URL); False: it is expression text


@dataclass(frozen=True)
class TitleSwitch:
    """A script that rewrites ``document.title``."""

    title: str
    condition: str  # as Navigation.condition ("not-spider": everyone except crawlers sees it)


@dataclass(frozen=True)
class ScriptReading:
    written: tuple[WrittenMarkup, ...]
    navigations: tuple[Navigation, ...]
    title_switches: tuple[TitleSwitch, ...]
    techniques: tuple[str, ...]  # obfuscation seen and undone, ids from TECHNIQUES
    decoded: str  # the script text after all decoding (capped)
    scripts: tuple[str, ...] = ()  # external scripts it loads (src as written)


_EMPTY = ScriptReading((), (), (), (), "")

# --- the quick exit -----------------------------------------------------------------------

#: A script needs one of these words to write, navigate, set the title, load a script or
#: decode anything; ordinary scripts (counters, menus) mostly have none of them.
_TRIGGERS = ("write", "HTML", "html(", "location", "title", "eval", "Function", "constructor",
             "fromCharCode", "scape", "atob", "decodeURI", "open", "navigate", "setTimeout",
             "setInterval", "reverse", "join", "append", "prepend", "createElement",
             "getScript", "window[", "document[", "self[", "top[", "this[", "\\x", "\\u")
_OCTAL_ESCAPE = re.compile(r"\\[0-7]")


def worth_reading(code: str) -> bool:
    """Cheap test: can ``code`` do anything :func:`read_script` reports?"""
    for word in _TRIGGERS:
        if word in code:
            return True
    return _OCTAL_ESCAPE.search(code) is not None


def read_script(code: str) -> ScriptReading:
    """Read one script statically: what it writes, where it navigates, which title it sets.

    Never raises: hostile or broken input gives an empty (or partial) reading."""
    if not isinstance(code, str) or not code:
        return _EMPTY
    code = code[:MAX_SCRIPT]
    if not worth_reading(code):
        return ScriptReading((), (), (), (), code[:MAX_DECODED])
    try:
        reading = _read(code, 0, None, _Budget())
        if not (reading.written or reading.navigations or reading.title_switches) \
                and "fromCharCode" in code:
            reading = _with_char_code_arrays(code, reading)
        return reading
    except Exception:  # a bug must not stop a scan; the reading is simply empty
        return _EMPTY


_CHAR_CODES = re.compile(r"\[\s*((?:0[xX][0-9a-fA-F]{1,6}|\d{1,7})"
                         r"(?:\s*,\s*(?:0[xX][0-9a-fA-F]{1,6}|\d{1,7})){7,})\s*\]")
MAX_CHAR_CODE_ARRAYS = 5


def _with_char_code_arrays(code: str, reading: ScriptReading) -> ScriptReading:
    """The arrays of character codes a script turns into text in a way the reader does not
    follow (a loop, ``map``): a script that holds ``fromCharCode`` and an array of eight or
    more numbers spelling markup or code is read as if it wrote that markup
    (``document.write`` or ``innerHTML``, whichever the script uses) or ran that code."""
    method = "innerHTML" if "innerHTML" in code and "document.write" not in code \
        else "document.write"
    for found in list(_CHAR_CODES.finditer(code))[:MAX_CHAR_CODE_ARRAYS]:
        numbers = [int(item, 0) for item in found.group(1).replace(" ", "").split(",")]
        if any(not 9 <= number <= 0x10FFFF or 0xD800 <= number <= 0xDFFF
               for number in numbers):
            continue
        text = "".join(map(chr, numbers))[:MAX_HTML]
        if "<" in text and ">" in text:
            decoded = _read(f"document.write({_js_string(text)})", 1, None, _Budget())
            decoded = ScriptReading(
                tuple(WrittenMarkup(item.html, method, item.hidden, item.condition)
                      for item in decoded.written),
                decoded.navigations, decoded.title_switches, decoded.techniques,
                decoded.decoded, decoded.scripts)
        elif "(" in text or "=" in text:
            decoded = _read(text, 1, None, _Budget())
        else:
            continue
        reading = ScriptReading(
            reading.written + decoded.written, reading.navigations + decoded.navigations,
            reading.title_switches + decoded.title_switches,
            tuple(dict.fromkeys((*reading.techniques, "fromCharCode", *decoded.techniques))),
            reading.decoded, reading.scripts + decoded.scripts)
    return reading


def _js_string(text: str) -> str:
    """``text`` as a JavaScript string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\r", "\\r").replace("\u2028", "\\u2028").replace(
        "\u2029", "\\u2029") + '"'


# --- lexer --------------------------------------------------------------------------------

NAME, NUM, STR, TPL, REGEX, PUNCT = range(6)

ESC_ANY = 1  # any escape was cooked
ESC_HEX = 2  # \xNN spelling a letter or digit (CJK too)
ESC_UNI = 4  # \uNNNN / \u{...} spelling a letter or digit, or in an identifier
ESC_OCT = 8  # legacy octal escape spelling a letter or digit
TPL_SUBST = 16  # a template literal with ${...} substitutions (its value is partial)


class _Tok(NamedTuple):
    kind: int
    value: str  # names and punctuators as written; strings cooked; numbers and regexes as source
    start: int
    end: int
    flags: int = 0


_NAME_CHAR = r"(?:[\w$]|[^\x00-\x7f\s]|\\u(?:[0-9a-fA-F]{4}|\{[0-9a-fA-F]{1,6}\}))"
_LEX = re.compile(r"""
  (?P<ws>\s+)
| (?P<html><!--|-->)
| (?P<punct>>>>=|===|!==|\.\.\.|\*\*=|<<=|>>=|>>>|==|!=|<=|>=|&&=|\|\|=|\?\?=|&&|\|\||\?\?
           |\?\.(?!\d)|=>|\+=|-=|\*=|%=|&=|\|=|\^=|\+\+|--|<<|>>|\*\*
           |[-+*%&|^!~<>=?:;,(){}\[\]@\#]|\.(?!\d))
| (?P<name>(?:[A-Za-z_$]|[^\x00-\x7f\s]|\\u(?:[0-9a-fA-F]{4}|\{[0-9a-fA-F]{1,6}\}))""" + _NAME_CHAR
                  + r"""*)
| (?P<num>(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+
           |(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)n?)
| "(?P<dq>[^"\\\n\r]*(?:\\(?:\r\n|[\s\S])[^"\\\n\r]*)*)"?
| '(?P<sq>[^'\\\n\r]*(?:\\(?:\r\n|[\s\S])[^'\\\n\r]*)*)'?
| (?P<tpl>`)
| (?P<comment>//[^\n]*|/\*[\s\S]*?(?:\*/|\Z))
| (?P<slash>/=?)
| (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_TEMPLATE_CHUNK = re.compile(r"[^`\\$]*")
_BRACE_STOP = re.compile(r"[{}'\"`]")
_STRING_END = {'"': re.compile(r'([^"\\\n\r]*(?:\\(?:\r\n|[\s\S])[^"\\\n\r]*)*)"?'),
               "'": re.compile(r"([^'\\\n\r]*(?:\\(?:\r\n|[\s\S])[^'\\\n\r]*)*)'?")}
_ESCAPE = re.compile(r"""\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})
                          |([0-3][0-7]{0,2}|[4-7][0-7]?)|(\r\n|[\s\S]))""", re.VERBOSE)
_NAME_ESCAPE = re.compile(r"\\u(?:([0-9a-fA-F]{4})|\{([0-9a-fA-F]{1,6})\})")
_REGEX_LITERAL = re.compile(
    r"/(?![*/])(?:[^/\\\[\n\r]|\\[^\n\r]|\[(?:[^\]\\\n\r]|\\[^\n\r])*\])+/[A-Za-z]*")
_SINGLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
_LINE_BREAKS = frozenset(("\n", "\r", "\r\n", "\u2028", "\u2029"))
_REGEX_AFTER = frozenset(("return", "typeof", "instanceof", "in", "of", "new", "delete",
                          "void", "throw", "case", "do", "else", "yield", "await"))
_NOT_BEFORE_REGEX = frozenset((")", "]", "++", "--"))
_new = tuple.__new__
#: A ``/`` where a regex literal may start but none does only happens in broken (or
#: hostile) code; after this many such failures every ``/`` is a division.
MAX_REGEX_FAILURES = 200
#: Escapes cooked per script at most (an escaped payload of ~300 KB); beyond, the string
#: literals stay as written.
MAX_ESCAPES = 80_000


def _lex(code: str, limit: int = MAX_TOKENS) -> list[_Tok]:
    """Tokens of ``code``: whitespace and comments dropped, strings cooked, at most
    ``limit``. A regex literal is told from a division by the token before it; template
    literals, regex literals and HTML-like comments are read by hand, everything else by
    one pass of :data:`_LEX`."""
    tokens: list[_Tok] = []
    append = tokens.append
    n = len(code)
    pos = 0
    regex_ok = True
    failures = 0
    escapes = MAX_ESCAPES
    while pos < n:
        resume = -1
        for found in _LEX.finditer(code, pos):
            kind = found.lastgroup
            if kind == "ws" or kind == "comment":
                continue
            if len(tokens) >= limit:
                return tokens
            start, end = found.span()
            if kind == "punct" or kind == "other":
                text = code[start:end]
                append(_new(_Tok, (PUNCT, text, start, end, 0)))
                regex_ok = text not in _NOT_BEFORE_REGEX
            elif kind == "name":
                text = code[start:end]
                flags = 0
                if "\\" in text:
                    text = _NAME_ESCAPE.sub(_name_escape, text)
                    flags = ESC_ANY | ESC_UNI
                append(_new(_Tok, (NAME, text, start, end, flags)))
                regex_ok = text in _REGEX_AFTER
            elif kind == "dq" or kind == "sq":
                body = found.group(kind)
                escapes -= body.count("\\")
                value, flags = _cook(body) if escapes > 0 else (body, 0)
                append(_new(_Tok, (STR, value, start, end, flags)))
                regex_ok = False
            elif kind == "num":
                append(_new(_Tok, (NUM, code[start:end], start, end, 0)))
                regex_ok = False
            elif kind == "slash":
                literal = None
                if regex_ok and failures < MAX_REGEX_FAILURES:
                    literal = _REGEX_LITERAL.match(code, start, min(n, start + MAX_REGEX))
                    if literal is None:
                        failures += 1
                if literal is not None:
                    append(_new(_Tok, (REGEX, literal.group(), start, literal.end(), 0)))
                    regex_ok = False
                    resume = literal.end()
                    break
                append(_new(_Tok, (PUNCT, code[start:end], start, end, 0)))
                regex_ok = True
            elif kind == "tpl":
                token = _template(code, start, 0)
                append(token)
                regex_ok = False
                resume = token.end
                break
            else:  # <!-- anywhere, --> first on its line: comments to the end of the line
                line = code.rfind("\n", 0, start) + 1
                if found.group() == "<!--" or not code[line:start].strip():
                    stop = code.find("\n", start)
                    resume = n if stop < 0 else stop
                    break
                append(_new(_Tok, (PUNCT, "--", start, start + 2, 0)))
                regex_ok = False
                resume = start + 2
                break
        if resume < 0:
            break
        pos = resume
    return tokens


def _name_escape(found: re.Match[str]) -> str:
    return _code_point(int(found.group(1) or found.group(2), 16))


def _code_point(value: int) -> str:
    return chr(value) if value <= 0x10FFFF else "\ufffd"


def _cook(body: str) -> tuple[str, int]:
    """A string literal's body with its escapes undone, and which escapes were used."""
    if "\\" not in body:
        return body, 0
    seen = [ESC_ANY]

    def one(found: re.Match[str]) -> str:
        group = found.lastindex
        text = found.group(group)  # type: ignore[arg-type]
        if group == 5:
            if text in _LINE_BREAKS:
                return ""
            return _SINGLE_ESCAPES.get(text, text)
        if group == 1:
            char, flag = chr(int(text, 16)), ESC_HEX
        elif group == 4:
            char, flag = chr(int(text, 8)), ESC_OCT
        else:
            char, flag = _code_point(int(text, 16)), ESC_UNI
        if char.isalnum():  # a letter or digit needs no escape: it is being hidden
            seen[0] |= flag
        return char

    return _ESCAPE.sub(one, body), seen[0]


def _string(code: str, pos: int) -> _Tok:
    """The string literal whose quote is at ``pos`` (unterminated: up to the line's end)."""
    body = _STRING_END[code[pos]].match(code, pos + 1)
    assert body is not None  # the pattern matches the empty string
    value, flags = _cook(body.group(1))
    return _Tok(STR, value, pos, body.end(), flags)


def _template(code: str, pos: int, depth: int) -> _Tok:
    """A template literal from its opening backtick. ``${...}`` parts are skipped (their
    braces counted, strings and nested templates inside them skipped too)."""
    n = len(code)
    parts: list[str] = []
    flags = 0
    i = pos + 1
    while i < n:
        chunk = _TEMPLATE_CHUNK.match(code, i)
        assert chunk is not None
        parts.append(chunk.group())
        i = chunk.end()
        if i >= n:
            break
        char = code[i]
        if char == "`":
            i += 1
            break
        if char == "\\":
            escape = _ESCAPE.match(code, i)
            if escape is None:  # a lone backslash at the very end
                i += 1
                continue
            cooked, used = _cook(escape.group())
            parts.append(cooked)
            flags |= used
            i = escape.end()
        elif code.startswith("${", i):
            flags |= TPL_SUBST
            i = _skip_braces(code, i + 2, depth)
        else:
            parts.append(char)
            i += 1
    return _Tok(TPL, "".join(parts), pos, i, flags)


def _skip_braces(code: str, i: int, depth: int) -> int:
    """Index after the ``}`` that closes a ``${`` (``i`` is just inside it)."""
    n = len(code)
    level = 1
    while i < n:
        found = _BRACE_STOP.search(code, i)
        if found is None:
            return n
        i = found.start()
        char = code[i]
        if char == "{":
            level += 1
            i += 1
        elif char == "}":
            level -= 1
            i += 1
            if level == 0:
                return i
        elif char == "`":
            if depth >= 16:
                return n
            i = _template(code, i, depth + 1).end
        else:
            i = _string(code, i).end
    return n


def _structure(tokens: list[_Tok]) -> tuple[list[int], list[int]]:
    """For every bracket token the index of its partner and for every token the index of
    the innermost open bracket around it (-1 at the top level). An opener never closed is
    partnered with the closer that ends its parent (or ``len(tokens)``); a stray closer
    has no partner (-1)."""
    n = len(tokens)
    partner = [-1] * n
    enclosing = [-1] * n
    stack: list[int] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for i, token in enumerate(tokens):
        enclosing[i] = stack[-1] if stack else -1
        if token.kind != PUNCT:
            continue
        value = token.value
        if value in ("(", "[", "{"):
            stack.append(i)
        elif value in pairs:
            opener = pairs[value]
            # Recover from a missing closer: close the nearest matching opener within a few
            # levels (the ones above it end here too); else the closer is stray.
            for depth in range(1, min(len(stack), 4) + 1):
                if tokens[stack[-depth]].value == opener:
                    for _ in range(depth - 1):
                        partner[stack.pop()] = i
                    start = stack.pop()
                    partner[start] = i
                    partner[i] = start
                    break
    for i in stack:
        partner[i] = n
    return partner, enclosing


# --- values -------------------------------------------------------------------------------


class _Unknown:
    """A value known only at run time."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


class _Partial(str):
    """The known text of a string that also has parts known only at run time."""

    __slots__ = ()


class _Regex(NamedTuple):
    source: str
    flags: str


class _Ref(NamedTuple):
    """A well-known global (``window``, ``document.location``, ``String.fromCharCode``)."""

    path: tuple[str, ...]


class _Element(NamedTuple):
    """A DOM element: ``#id``, ``tag:title``, ``new:<token>`` (created), ``sel:...``."""

    key: str
    tag: str


class _Markup(NamedTuple):
    """A jQuery object made from markup: ``$("<div>...")``."""

    html: str


class _Func(NamedTuple):
    """A function expression (its body is read by the scan, not evaluated)."""

    start: int


class _Var(NamedTuple):
    value: object
    techniques: frozenset[str]
    tokens: list[_Tok]
    start: int  # token range of the assigned expression, for expanding conditions
    end: int


_WINDOWISH = frozenset(("window", "self", "top", "parent", "globalThis", "this", "frames"))
_GLOBALS = frozenset(("window", "self", "top", "parent", "globalThis", "document", "location",
                      "navigator", "String", "unescape", "escape", "decodeURIComponent",
                      "decodeURI", "encodeURIComponent", "encodeURI", "atob", "btoa", "eval",
                      "Function", "Array", "Number", "parseInt", "parseFloat", "Math", "JSON",
                      "Object", "RegExp", "$", "jQuery", "setTimeout", "setInterval", "frames"))
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _stringy(value: object) -> bool:
    return type(value) is str or type(value) is _Partial


def _is_number(value: object) -> bool:
    return type(value) is int or type(value) is float


def _number(text: str) -> object:
    if text.isdigit() and (text[0] != "0" or len(text) == 1) and len(text) < 16:
        return int(text)
    text = text.replace("_", "")
    if text.endswith("n"):
        text = text[:-1]
    try:
        prefix = text[:2].lower()
        if prefix == "0x":
            return int(text[2:], 16)
        if prefix == "0o":
            return int(text[2:], 8)
        if prefix == "0b":
            return int(text[2:], 2)
        if len(text) > 1 and text[0] == "0" and text.isdigit():
            return int(text, 8) if all(c < "8" for c in text) else int(text)
        if "." in text or "e" in text or "E" in text:
            value = float(text)
            return int(value) if value.is_integer() and abs(value) < 2 ** 53 else value
        return int(text)
    except ValueError:
        return UNKNOWN


def _number_text(value: int | float) -> str:
    if type(value) is int:
        return str(value)
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def _to_text(value: object) -> str | None:
    """JavaScript's ToString where the value is known (a partial string gives its known
    text), else None."""
    kind = type(value)
    if kind is str or kind is _Partial:
        return value  # type: ignore[return-value]
    if kind is int or kind is float:
        return _number_text(value)  # type: ignore[arg-type]
    if kind is bool:
        return "true" if value else "false"
    if kind is list:
        parts = [_to_text(item) for item in value]  # type: ignore[attr-defined]
        if any(part is None for part in parts):
            return None
        return _join(",", parts)  # type: ignore[arg-type]
    return None


def _join(separator: str, parts: list[str]) -> str:
    """``separator.join(parts)``, cut (as partial text) at MAX_STRING before it is built."""
    size = 0
    for count, part in enumerate(parts):
        size += len(part) + len(separator)
        if size > MAX_STRING:
            return _Partial(separator.join(parts[:count + 1])[:MAX_STRING])
    return separator.join(parts)


def _to_number(value: object) -> object:
    if _is_number(value):
        return value
    if type(value) is bool:
        return int(value)  # type: ignore[arg-type]
    if type(value) is str:
        text = value.strip()  # type: ignore[attr-defined]
        if not text:
            return 0
        if len(text) > 40:
            return UNKNOWN
        result = _number(text)
        if result is UNKNOWN:
            try:
                return float(text)
            except ValueError:
                return UNKNOWN
        return result
    return UNKNOWN


def _truthy(value: object) -> bool | None:
    kind = type(value)
    if kind is str or kind is bool:
        return bool(value)
    if kind is int or kind is float:
        return bool(value) and value == value
    if kind in (list, dict, _Regex, _Ref, _Element, _Markup, _Func):
        return True
    return None


def _cap(text: str, partial: bool) -> str:
    if len(text) > MAX_STRING:
        return _Partial(text[:MAX_STRING])
    return _Partial(text) if partial else text


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


_UNESCAPE = re.compile(r"%u([0-9a-fA-F]{4})|%([0-9a-fA-F]{2})")
_ESCAPE_SAFE = frozenset(_DIGITS + "@*_+-./")


def _escape(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPE_SAFE:
            out.append(char)
        elif ord(char) < 256:
            out.append(f"%{ord(char):02X}")
        else:
            out.append(f"%u{ord(char) & 0xFFFF:04X}")
    return "".join(out)


def _atob(text: str) -> str | None:
    data = "".join(text.split())
    data += "=" * (-len(data) % 4)
    try:
        return base64.b64decode(data, validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        return None


def _radix(value: int, radix: int) -> str:
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    value = abs(value)
    digits = []
    while value and len(digits) < 80:
        value, digit = divmod(value, radix)
        digits.append(_DIGITS[digit])
    return sign + "".join(reversed(digits))


def _regex_value(text: str) -> _Regex:
    cut = text.rfind("/")
    return _Regex(text[1:cut], text[cut + 1:])


def _regex_plain(source: str) -> tuple[str, str] | None:
    """A regex that is only literal characters (``("literal", text)``) or one class of
    literal characters (``("class", chars)``); anything else is None."""
    klass = source.startswith("[") and source.endswith("]") and len(source) > 2
    body = source[1:-1] if klass else source
    if klass and body.startswith("^"):
        return None
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            if i + 1 >= len(body):
                return None
            nxt = body[i + 1]
            if nxt in "dDwWsSbBnrtfv0123456789kpPu" and nxt not in "nrtf":
                if nxt == "u" and len(body) >= i + 6:
                    out.append(chr(int(body[i + 2:i + 6], 16)) if all(
                        c in _HEX for c in body[i + 2:i + 6]) else "u")
                    i += 6
                    continue
                return None
            out.append(_SINGLE_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        if klass:
            if char in "[]" or (char == "-" and 0 < i < len(body) - 1):
                return None
        elif char in ".^$|?*+()[]{}":
            return None
        out.append(char)
        i += 1
    return ("class", "".join(out)) if klass else ("literal", "".join(out))


_HEX = frozenset("0123456789abcdefABCDEF")


# --- the evaluator ------------------------------------------------------------------------


class _Exhausted(Exception):
    """The script's evaluation budget is spent."""


class _Budget:
    """Evaluation steps and tokens left for one script and everything read from it (the
    code it evals, unpacks or writes as inline scripts)."""

    __slots__ = ("steps", "tokens")

    def __init__(self) -> None:
        self.steps = MAX_STEPS
        self.tokens = MAX_TOKENS_READ


_BINARY = {"||": 1, "??": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "===": 6,
           "!==": 6, "<": 7, ">": 7, "<=": 7, ">=": 7, "instanceof": 7, "in": 7, "<<": 8,
           ">>": 8, ">>>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10, "**": 11}
_ASSIGN_OPS = frozenset(("=", "+=", "-=", "*=", "/=", "%=", "||=", "&&=", "??=", "|=", "&=",
                         "^=", "<<=", ">>=", ">>>=", "**="))


class _Evaluator:
    """Folds the constant part of one expression: a recursive-descent reader over the
    tokens, with JavaScript's semantics for what it understands and UNKNOWN for the rest.
    The decoding it does is noted in :attr:`techniques`."""

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.tokens = reader.tokens
        self.partner = reader.partner
        self.budget = reader.budget
        self.techniques: set[str] = set()
        self.depth = 0
        self.position = 0  # variables are looked up as they are just before this token

    # -- entry points --

    def value(self, i: int, stop: int, position: int | None = None) -> tuple[object, int]:
        """The value of the assignment expression at token ``i`` and the index after it,
        reading no token at or past ``stop``; variables as they are at ``position``
        (default ``i``). Never raises. Re-entrant: a variable's value is worked out (once)
        while another expression is being read."""
        if self.budget.steps <= 0:
            return UNKNOWN, self.skip(i, stop)
        saved = self.depth, self.position
        self.depth = 0
        self.position = i if position is None else position
        try:
            return self._assign(i, stop)
        except _Exhausted:
            return UNKNOWN, self.skip(i, stop)
        finally:
            self.depth, self.position = saved

    def arguments(self, open_: int, close: int, position: int | None = None) -> list[object]:
        """The values of a call's arguments (``open_`` is its ``(``), as :meth:`value`."""
        if self.budget.steps <= 0:
            return []
        saved = self.depth, self.position
        self.depth = 0
        self.position = open_ if position is None else position
        try:
            return self._args(open_, close)
        except _Exhausted:
            return []
        finally:
            self.depth, self.position = saved

    def skip(self, i: int, stop: int) -> int:
        """Index of the end of the expression at ``i`` without reading it: the next comma,
        semicolon or closing bracket at its level."""
        tokens = self.tokens
        j = i
        while j < stop:
            token = tokens[j]
            if token.kind == PUNCT:
                value = token.value
                if value in (",", ";", ")", "]", "}"):
                    break
                if value in ("(", "[", "{"):
                    j = self._close(j, stop) + 1
                    continue
            j += 1
        return min(j, stop)

    # -- grammar --

    def _step(self) -> None:
        self.budget.steps -= 1
        if self.budget.steps <= 0:
            raise _Exhausted

    def _close(self, i: int, stop: int) -> int:
        close = self.partner[i]
        return close if i < close < stop else stop

    def _is(self, i: int, stop: int, value: str) -> bool:
        if i >= stop:
            return False
        token = self.tokens[i]
        return token.kind == PUNCT and token.value == value

    def _assign(self, i: int, stop: int) -> tuple[object, int]:
        budget = self.budget
        budget.steps -= 1
        if budget.steps <= 0:
            raise _Exhausted
        self.depth += 1
        try:
            if self.depth > MAX_EXPR_DEPTH:
                return UNKNOWN, self.skip(i, stop)
            value, j = self._ternary(i, stop)
            if j < stop:
                token = self.tokens[j]
                if token.kind == PUNCT and token.value in _ASSIGN_OPS:
                    right, k = self._assign(j + 1, stop)
                    if token.value == "+=":
                        right = _plus(value, right, self.techniques)
                    elif token.value != "=":
                        right = UNKNOWN
                    return right, k
            return value, j
        finally:
            self.depth -= 1

    def _ternary(self, i: int, stop: int) -> tuple[object, int]:
        test, j = self._binary(i, stop, 1)
        if j >= stop or self.tokens[j].value != "?" or self.tokens[j].kind != PUNCT:
            return test, j
        yes, j = self._assign(j + 1, stop)
        no: object = UNKNOWN
        if self._is(j, stop, ":"):
            no, j = self._assign(j + 1, stop)
        return _choose(test, yes, no), j

    def _binary(self, i: int, stop: int, lowest: int) -> tuple[object, int]:
        left, j = self._unary(i, stop)
        tokens = self.tokens
        terms: list[object] | None = None  # a run of ``+`` is folded once, not pairwise
        while j < stop:
            token = tokens[j]
            if token.kind == PUNCT or (token.kind == NAME and token.value in ("in",
                                                                               "instanceof")):
                rank = _BINARY.get(token.value)
            else:
                rank = None
            if rank is None or rank < lowest:
                break
            right, k = self._binary(j + 1, stop, rank + 1)
            if k == j + 1:  # no operand
                break
            if token.value == "+":
                if terms is None:
                    terms = [left]
                terms.append(right)
            else:
                if terms is not None:
                    left = _fold_plus(terms, self.techniques)
                    terms = None
                left = self._apply(token.value, left, right)
            j = k
        if terms is not None:
            left = _fold_plus(terms, self.techniques)
        return left, j

    def _apply(self, op: str, left: object, right: object) -> object:
        if op == "+":
            return _plus(left, right, self.techniques)
        if op in ("-", "*", "/", "%"):
            if _is_number(left) and _is_number(right):
                try:
                    if op == "-":
                        return left - right  # type: ignore[operator]
                    if op == "*":
                        result = left * right  # type: ignore[operator]
                        return result if abs(result) < 2 ** 64 else UNKNOWN
                    if op == "/":
                        result = left / right  # type: ignore[operator]
                        return int(result) if result.is_integer() else result
                    return left % right  # type: ignore[operator]
                except (ZeroDivisionError, OverflowError):
                    return UNKNOWN
            return UNKNOWN
        if op in ("||", "??"):
            truth = _truthy(left)
            if truth is True:
                return left
            if truth is False or _stringy(right):
                return right
            return UNKNOWN
        if op == "&&":
            truth = _truthy(left)
            if truth is False:
                return left
            return right if truth is True else UNKNOWN
        return UNKNOWN

    def _unary(self, i: int, stop: int) -> tuple[object, int]:
        budget = self.budget
        budget.steps -= 1
        if budget.steps <= 0:
            raise _Exhausted
        if i >= stop:
            return UNKNOWN, i
        token = self.tokens[i]
        if token.kind == PUNCT and token.value in ("!", "~", "-", "+", "++", "--"):
            self.depth += 1
            try:
                if self.depth > MAX_EXPR_DEPTH:
                    return UNKNOWN, self.skip(i, stop)
                value, j = self._unary(i + 1, stop)
            finally:
                self.depth -= 1
            if token.value == "-":
                return (-value if _is_number(value) else UNKNOWN), j  # type: ignore[operator]
            if token.value == "+":
                return _to_number(value), j
            if token.value == "!":
                truth = _truthy(value)
                return (UNKNOWN if truth is None else not truth), j
            return UNKNOWN, j
        if token.kind == NAME:
            if token.value in ("typeof", "void", "delete", "await"):
                self.depth += 1
                try:
                    if self.depth > MAX_EXPR_DEPTH:
                        return UNKNOWN, self.skip(i, stop)
                    _, j = self._unary(i + 1, stop)
                finally:
                    self.depth -= 1
                return UNKNOWN, j
            if token.value == "new":
                return self._new(i, stop)
        value, j = self._primary(i, stop)
        return self._postfix(value, j, stop, True)

    def _new(self, i: int, stop: int) -> tuple[object, int]:
        callee, j = self._primary(i + 1, stop)
        callee, j = self._postfix(callee, j, stop, False)
        args: list[object] = []
        if self._is(j, stop, "("):
            close = self._close(j, stop)
            args = self._args(j, close)
            j = min(close + 1, stop)
        value: object = UNKNOWN
        if type(callee) is _Ref:
            name = callee.path[-1]
            if name == "Array":
                value = self._call_ref(("Array",), args)
            elif name == "String" and args:
                text = _to_text(args[0])
                value = UNKNOWN if text is None else text
            elif name == "RegExp" and args and type(args[0]) is str:
                flags = args[1] if len(args) > 1 and type(args[1]) is str else ""
                value = _Regex(args[0], flags)  # type: ignore[arg-type]
        return self._postfix(value, j, stop, True)

    def _postfix(self, value: object, j: int, stop: int, calls: bool) -> tuple[object, int]:
        tokens = self.tokens
        while j < stop:
            token = tokens[j]
            if token.kind == TPL:  # a tagged template
                value = UNKNOWN
                j += 1
                continue
            if token.kind != PUNCT:
                break
            what = token.value
            if what in (".", "?."):
                if j + 1 < stop and tokens[j + 1].kind == NAME:
                    name = tokens[j + 1].value
                    k = j + 2
                    if calls and self._is(k, stop, "("):
                        close = self._close(k, stop)
                        value = self._method(value, name, self._args(k, close))
                        j = min(close + 1, stop)
                    else:
                        value = self._member(value, name)
                        j = k
                    continue
                if what == "?." and j + 1 < stop and tokens[j + 1].value in ("(", "["):
                    j += 1
                    continue
                break
            if what == "[":
                close = self._close(j, stop)
                key, _ = self._sequence(j + 1, close)
                k = min(close + 1, stop)
                if calls and type(key) is str and self._is(k, stop, "("):
                    close = self._close(k, stop)
                    value = self._method(value, key, self._args(k, close))  # type: ignore[arg-type]
                    j = min(close + 1, stop)
                else:
                    value = self._index(value, key)
                    j = k
                continue
            if what == "(" and calls:
                close = self._close(j, stop)
                args = self._args(j, close)
                value = self._call_ref(value.path, args) if type(value) is _Ref else UNKNOWN
                j = min(close + 1, stop)
                continue
            if what in ("++", "--"):
                j += 1
                continue
            break
        return value, j

    def _primary(self, i: int, stop: int) -> tuple[object, int]:
        if i >= stop:
            return UNKNOWN, i
        token = self.tokens[i]
        kind = token.kind
        if kind == STR:
            self._escapes(token.flags)
            return token.value, i + 1
        if kind == TPL:
            self._escapes(token.flags)
            if token.flags & TPL_SUBST:
                return _Partial(token.value), i + 1
            return token.value, i + 1
        if kind == NUM:
            return _number(token.value), i + 1
        if kind == REGEX:
            return _regex_value(token.value), i + 1
        if kind == NAME:
            name = token.value
            if i + 1 < stop and self.tokens[i + 1].value == "=>":
                return self._skip_arrow(i, i + 1, stop)
            if name == "function":
                return self._skip_function(i, stop)
            if name in ("true", "false"):
                return name == "true", i + 1
            if name == "this":
                return _Ref(("window",)), i + 1
            var = self.reader.lookup(name, self.position)
            if var is not None:
                self.techniques.update(var.techniques)
                return var.value, i + 1
            if name in _GLOBALS:
                return _Ref((name,)), i + 1
            return UNKNOWN, i + 1
        what = token.value
        if what == "(":
            close = self._close(i, stop)
            if self._is(close + 1, stop, "=>"):
                return self._skip_arrow(i, close + 1, stop)
            value, _ = self._sequence(i + 1, close)
            return value, min(close + 1, stop)
        if what == "[":
            close = self._close(i, stop)
            return self._array(i + 1, close), min(close + 1, stop)
        if what == "{":
            close = self._close(i, stop)
            return self._object(i + 1, close), min(close + 1, stop)
        return UNKNOWN, i

    def _escapes(self, flags: int) -> None:
        if flags & ESC_HEX:
            self.techniques.add("hex-escapes")
        if flags & ESC_UNI:
            self.techniques.add("unicode-escapes")
        if flags & ESC_OCT:
            self.techniques.add("octal-escapes")

    def _skip_function(self, i: int, stop: int) -> tuple[object, int]:
        j = i + 1
        if j < stop and self.tokens[j].kind == NAME:
            j += 1
        if self._is(j, stop, "*"):
            j += 1
        if j < stop and self.tokens[j].kind == NAME:
            j += 1
        if self._is(j, stop, "("):
            j = self._close(j, stop) + 1
        if self._is(j, stop, "{"):
            body = j
            return _Func(body), min(self._close(j, stop) + 1, stop)
        return UNKNOWN, min(j, stop)

    def _skip_arrow(self, start: int, arrow: int, stop: int) -> tuple[object, int]:
        j = arrow + 1
        if self._is(j, stop, "{"):
            return _Func(start), min(self._close(j, stop) + 1, stop)
        return _Func(start), self.skip(j, stop)

    def _sequence(self, i: int, stop: int) -> tuple[object, int]:
        """A comma expression: the value of its last part."""
        value: object = UNKNOWN
        j = i
        while j < stop:
            value, k = self._assign(j, stop)
            if self._is(k, stop, ","):
                j = k + 1
                continue
            return value, k
        return value, j

    def _literal(self, j: int, close: int) -> object:
        """The value of a lone literal at ``j`` (followed by ``,`` or the close), else None:
        the cheap path for the long literal lists obfuscators make."""
        if j + 1 > close:
            return None
        after = self.tokens[j + 1] if j + 1 < close else None
        if after is not None and (after.kind != PUNCT or after.value != ","):
            return None
        token = self.tokens[j]
        if token.kind == STR:
            self._escapes(token.flags)
            return token.value
        if token.kind == NUM:
            value = _number(token.value)
            return None if value is UNKNOWN else value
        return None

    def _args(self, open_: int, close: int) -> list[object]:
        args: list[object] = []
        j = open_ + 1
        while j < close and len(args) < MAX_LIST:
            literal = self._literal(j, close)
            if literal is not None:
                self._step()
                args.append(literal)
                j += 2
                continue
            spread = self._is(j, close, "...")
            value, k = self._assign(j + 1 if spread else j, close)
            if spread and type(value) is list:
                args.extend(value)  # type: ignore[arg-type]
            else:
                args.append(UNKNOWN if spread else value)
            if self._is(k, close, ","):
                j = k + 1
            elif k <= j:
                break
            else:
                j = self.skip(k, close)
                if self._is(j, close, ","):
                    j += 1
                else:
                    break
        return args

    def _array(self, i: int, close: int) -> list[object]:
        items: list[object] = []
        j = i
        while j < close and len(items) < MAX_LIST:
            literal = self._literal(j, close)
            if literal is not None:
                self._step()
                items.append(literal)
                j += 2
                continue
            if self._is(j, close, ","):
                items.append(UNKNOWN)
                j += 1
                continue
            value, k = self._assign(j, close)
            items.append(value)
            if self._is(k, close, ","):
                j = k + 1
            elif k <= j:
                break
            else:
                j = self.skip(k, close) + 1
        return items

    def _object(self, i: int, close: int) -> dict[str, object]:
        result: dict[str, object] = {}
        tokens = self.tokens
        j = i
        while j < close and len(result) < 1000:
            token = tokens[j]
            key = None
            if token.kind in (NAME, STR):
                key = token.value
            elif token.kind == NUM:
                key = _to_text(_number(token.value))
            if key is not None and self._is(j + 1, close, ":"):
                value, k = self._assign(j + 2, close)
                result[key] = value
            else:
                k = self.skip(j, close)
            if self._is(k, close, ","):
                j = k + 1
            elif k <= j:
                break
            else:
                j = self.skip(k, close) + 1
        return result

    # -- semantics --

    def _member(self, value: object, name: str) -> object:
        kind = type(value)
        if kind is _Ref:
            path = value.path  # type: ignore[attr-defined]
            if path == ("document",) and name in ("body", "head", "documentElement"):
                return _Element("tag:" + ("html" if name == "documentElement" else name), name)
            return _Ref((*path, name)) if len(path) < 8 else UNKNOWN
        if name == "length" and kind in (str, list):
            return len(value)  # type: ignore[arg-type]
        if kind is dict:
            return value.get(name, UNKNOWN)  # type: ignore[attr-defined]
        return UNKNOWN

    def _index(self, value: object, key: object) -> object:
        kind = type(value)
        if kind is _Ref and type(key) is str:
            return self._member(value, key)  # type: ignore[arg-type]
        if kind is dict and type(key) is str:
            return value.get(key, UNKNOWN)  # type: ignore[attr-defined]
        index = key if type(key) is int else (_to_number(key) if type(key) is str else None)
        if type(index) is not int:
            if type(key) is str:
                return self._member(value, key)  # type: ignore[arg-type]
            if kind is list and key is UNKNOWN:
                return _any_item(value)  # type: ignore[arg-type]
            return UNKNOWN
        if kind is list:
            items: list[object] = value  # type: ignore[assignment]
            if 0 <= index < len(items):  # type: ignore[operator]
                item = items[index]  # type: ignore[index]
                if _stringy(item):
                    self.techniques.add("string-array")
                return item
            return UNKNOWN
        if kind is str and 0 <= index < len(value):  # type: ignore[operator,arg-type]
            return value[index]  # type: ignore[index]
        if kind is _Element and value.key.startswith("all:"):  # type: ignore[attr-defined]
            return _Element("tag:" + value.tag, value.tag)  # type: ignore[attr-defined]
        return UNKNOWN

    def _method(self, value: object, name: str, args: list[object]) -> object:
        kind = type(value)
        if kind is _Ref:
            return self._call_ref((*value.path, name), args)  # type: ignore[attr-defined]
        if kind is str or kind is _Partial:
            return self._string_method(value, name, args)  # type: ignore[arg-type]
        if kind is list:
            return self._list_method(value, name, args)  # type: ignore[arg-type]
        if (kind is int or kind is float) and name == "toString":
            if not args:
                return _number_text(value)  # type: ignore[arg-type]
            radix = args[0]
            if type(radix) is int and 2 <= radix <= 36 and type(value) is int:
                return _radix(value, radix)  # type: ignore[arg-type]
            return UNKNOWN
        if kind is _Element:
            if name in ("getElementsByTagName", "querySelectorAll") and args \
                    and type(args[0]) is str:
                tag = args[0].lower()  # type: ignore[attr-defined]
                return _Element("all:" + tag, tag)
            if name in ("css", "attr", "show", "hide", "addClass", "removeClass", "find"):
                return value
        if kind is _Markup and name in ("appendTo", "prependTo", "insertAfter",
                                        "insertBefore", "css", "attr", "hide", "show",
                                        "addClass"):
            return value
        return UNKNOWN

    def _string_method(self, value: str, name: str, args: list[object]) -> object:
        partial = type(value) is _Partial
        text = str(value)
        first = args[0] if args else UNKNOWN
        if name in ("toLowerCase", "toUpperCase", "trim", "toString", "valueOf", "concat"):
            if name == "toLowerCase":
                return _cap(text.lower(), partial)
            if name == "toUpperCase":
                return _cap(text.upper(), partial)
            if name == "trim":
                return _cap(text.strip(), partial)
            if name == "concat":
                result: object = value
                for arg in args:
                    result = _plus(result, arg, self.techniques)
                return result
            return value
        if partial:
            return UNKNOWN
        if name == "split":
            if type(first) is str:
                parts = list(text) if first == "" else text.split(first)  # type: ignore[arg-type]
            elif type(first) is _Regex:
                plain = _regex_plain(first.source)  # type: ignore[attr-defined]
                if plain is None or plain[0] != "literal":
                    return UNKNOWN
                parts = list(text) if plain[1] == "" else text.split(plain[1])
            elif not args:
                parts = [text]
            else:
                return UNKNOWN
            return parts[:MAX_LIST]  # type: ignore[return-value]
        if name in ("replace", "replaceAll"):
            if len(args) < 2 or type(args[1]) is not str:
                return UNKNOWN
            new: str = args[1]  # type: ignore[assignment]
            if len(new) > 1 and len(text) * len(new) > MAX_STRING:
                return UNKNOWN  # a replacement that would blow the text up
            if type(first) is str:
                return _cap(text.replace(first, new, -1 if name == "replaceAll" else 1), False)
            if type(first) is _Regex:
                plain = _regex_plain(first.source)  # type: ignore[attr-defined]
                if plain is None:
                    return UNKNOWN
                count = -1 if "g" in first.flags or name == "replaceAll" else 1  # type: ignore[attr-defined]
                if plain[0] == "literal":
                    if not plain[1]:
                        return UNKNOWN
                    return _cap(text.replace(plain[1], new, count), False)
                chars = frozenset(plain[1])
                out: list[str] = []
                done = 0
                for char in text:
                    if char in chars and (count < 0 or done < count):
                        out.append(new)
                        done += 1
                    else:
                        out.append(char)
                return _cap("".join(out), False)
            return UNKNOWN
        numbers = [_to_number(arg) for arg in args]
        if any(type(number) not in (int, float) for number in numbers):
            return UNKNOWN
        ints = [int(number) for number in numbers]  # type: ignore[call-overload]
        size = len(text)
        if name == "charAt":
            index = ints[0] if ints else 0
            return text[index] if 0 <= index < size else ""
        if name == "charCodeAt":
            index = ints[0] if ints else 0
            return ord(text[index]) if 0 <= index < size else UNKNOWN
        if name in ("substring", "slice", "substr"):
            start = ints[0] if ints else 0
            if name == "substr":
                if start < 0:
                    start = max(0, size + start)
                length = ints[1] if len(ints) > 1 else size
                return text[start:start + max(0, length)]
            end = ints[1] if len(ints) > 1 else size
            if name == "substring":
                start, end = sorted((min(max(start, 0), size), min(max(end, 0), size)))
                return text[start:end]
            return text[start:end]
        return UNKNOWN

    def _list_method(self, items: list[object], name: str, args: list[object]) -> object:
        if name in ("join", "toString"):
            separator = ","
            if name == "join" and args and args[0] is not UNKNOWN:
                separator = _to_text(args[0]) if type(args[0]) is str else ","  # type: ignore[assignment]
            parts: list[str] = []
            partial = False
            for item in items:
                text = _to_text(item)
                if text is None:
                    partial = True
                    text = ""
                elif type(text) is _Partial:
                    partial = True
                parts.append(text)
            if name == "join" and len(items) >= 2 and not partial:
                self.techniques.add("array-join")
            joined = _join(separator, parts)
            return joined if type(joined) is _Partial else _cap(joined, partial)
        if name == "reverse":
            self.techniques.add("reverse")
            return items[::-1]
        if name == "slice":
            numbers = [_to_number(arg) for arg in args]
            if all(type(number) is int for number in numbers):
                return items[slice(*numbers[:2])]  # type: ignore[misc]
            return UNKNOWN
        if name == "concat":
            result = list(items)
            for arg in args:
                if type(arg) is list:
                    result.extend(arg)  # type: ignore[arg-type]
                else:
                    result.append(arg)
            return result[:MAX_LIST]
        return UNKNOWN

    def _call_ref(self, path: tuple[str, ...], args: list[object]) -> object:
        while len(path) > 1 and path[0] in _WINDOWISH:
            path = path[1:]
        name = path[-1]
        first = args[0] if args else UNKNOWN
        if len(path) == 1:
            if name in ("unescape", "decodeURIComponent", "decodeURI"):
                if not _stringy(first):
                    return UNKNOWN
                text = str(first)
                decoded = _unescape(text) if name == "unescape" else unquote(text,
                                                                             errors="replace")
                if decoded != text:
                    self.techniques.add("unescape")
                return _cap(decoded, type(first) is _Partial)
            if name == "escape" and type(first) is str:
                return _escape(first)  # type: ignore[arg-type]
            if name == "atob" and type(first) is str:
                decoded = _atob(first)  # type: ignore[arg-type]
                if decoded is None:
                    return UNKNOWN
                self.techniques.add("atob")
                return decoded
            if name in ("parseInt", "parseFloat", "Number"):
                if name == "parseInt" and type(first) is str and len(args) > 1 \
                        and type(args[1]) is int and 2 <= args[1] <= 36:  # type: ignore[operator]
                    try:
                        return int(first.strip(), args[1])  # type: ignore[attr-defined,arg-type]
                    except ValueError:
                        return UNKNOWN
                number = _to_number(first)
                if name == "parseInt" and type(number) is float:
                    return int(number)  # type: ignore[call-overload]
                return number
            if name == "String" and args:
                text = _to_text(first)
                return UNKNOWN if text is None else text
            if name == "Array":
                if len(args) == 1 and _is_number(first):
                    return UNKNOWN
                return list(args)
            if name in ("$", "jQuery"):
                return self._jquery(first)
            return UNKNOWN
        if path == ("String", "fromCharCode"):
            return self._from_char_code(args)
        if len(path) == 3 and path[:2] == ("String", "fromCharCode"):
            if name == "apply" and len(args) > 1 and type(args[1]) is list:
                return self._from_char_code(args[1])  # type: ignore[arg-type]
            if name == "call":
                return self._from_char_code(args[1:])
            return UNKNOWN
        if len(path) == 2 and path[0] == "document":
            if name == "getElementById" and type(first) is str:
                return _Element("#" + first, "")  # type: ignore[operator]
            if name in ("getElementsByTagName", "querySelectorAll") and type(first) is str:
                tag = first.strip().lower()  # type: ignore[attr-defined]
                return _Element("all:" + tag, tag)
            if name == "querySelector" and type(first) is str:
                return _selector_element(first)  # type: ignore[arg-type]
            if name == "createElement" and type(first) is str:
                self.reader.created += 1
                tag = first.strip().lower()  # type: ignore[attr-defined]
                return _Element(f"new:{self.reader.depth}.{self.reader.created}", tag)
        return UNKNOWN

    def _from_char_code(self, args: list[object]) -> object:
        chars: list[str] = []
        for arg in args[:MAX_STRING]:
            number = _to_number(arg)
            if type(number) not in (int, float) or number != number:
                return UNKNOWN
            chars.append(chr(int(number) & 0xFFFF))  # type: ignore[call-overload]
        if chars:
            self.techniques.add("fromCharCode")
        return "".join(chars)

    def _jquery(self, first: object) -> object:
        if type(first) is str:
            text = first.strip()  # type: ignore[attr-defined]
            if text.startswith("<"):
                return _Markup(text)
            return _selector_element(text)
        if type(first) in (_Element, _Markup):
            return first
        if type(first) is _Ref and first.path[-1] == "document":  # type: ignore[attr-defined]
            return _Element("document", "")
        return UNKNOWN


def _selector_element(selector: str) -> _Element:
    text = selector.strip()
    if re.fullmatch(r"#[\w-]+", text):
        return _Element(text, "")
    if re.fullmatch(r"[a-zA-Z][\w-]*", text):
        return _Element("tag:" + text.lower(), text.lower())
    return _Element("sel:" + text[:200], "")


def _any_item(items: list[object]) -> object:
    """``items[i]`` for an ``i`` known only at run time (a loop's counter): markup fragments
    stand for all of them, one after the other (a loop writing a link list); other strings
    for the first. Partial either way."""
    texts = [item for item in items if _stringy(item)]
    if not texts or len(texts) != len(items):
        return UNKNOWN
    if any("<" in text for text in texts):  # type: ignore[operator]
        return _Partial(_join("", texts))  # type: ignore[arg-type]
    return _Partial(texts[0])  # type: ignore[arg-type]


def _plus(left: object, right: object, techniques: set[str]) -> object:
    """JavaScript's ``+`` over what is known: numbers add, anything with a string concatenates;
    an unknown side of a concatenation leaves the known rest as partial text."""
    if _is_number(left) and _is_number(right):
        return left + right  # type: ignore[operator]
    if not (_stringy(left) or _stringy(right) or type(left) is list or type(right) is list):
        return UNKNOWN
    a = _to_text(left)
    b = _to_text(right)
    partial = a is None or b is None or type(a) is _Partial or type(b) is _Partial
    if type(left) is str and type(right) is str and left and right:
        techniques.add("concatenation")
    return _cap((a or "") + (b or ""), partial)


def _fold_plus(terms: list[object], techniques: set[str]) -> object:
    """``a + b + c + ...`` left to right, as :func:`_plus` would, without copying the
    growing string at every step."""
    value = terms[0]
    k = 1
    while k < len(terms) and not (_stringy(value) or type(value) is list
                                  or _stringy(terms[k]) or type(terms[k]) is list):
        value = _plus(value, terms[k], techniques)
        k += 1
    if k >= len(terms):
        return value
    first = _to_text(value)
    parts = [first or ""]
    size = len(parts[0])
    partial = first is None or type(first) is _Partial
    previous = value
    for term in terms[k:]:
        text = _to_text(term)
        if text is None or type(text) is _Partial:
            partial = True
        if type(previous) is str and type(term) is str and previous and term:
            techniques.add("concatenation")
        previous = term
        if text:
            parts.append(text)
            size += len(text)
            if size > MAX_STRING:
                return _Partial("".join(parts)[:MAX_STRING])
    return _cap("".join(parts), partial)


def _choose(test: object, yes: object, no: object) -> object:
    """A ternary's value: the branch the test picks if it is known, else the branch that
    tells more (a known string over partial text over nothing)."""
    truth = _truthy(test)
    if truth is True:
        return yes
    if truth is False:
        return no

    def rank(value: object) -> tuple[int, int]:
        if type(value) is str:
            return (2, len(value))  # type: ignore[arg-type]
        if type(value) is _Partial:
            return (1, len(value))  # type: ignore[arg-type]
        return (0, 0)

    return yes if rank(yes) >= rank(no) else no


# --- the reader ---------------------------------------------------------------------------


class _Seg(NamedTuple):
    """One step of a member chain: a property name (``None`` for a call), the token it was
    read at (the name, the ``[`` of a computed key, the ``(`` of a call) and whether the
    name was computed."""

    name: str | None
    index: int
    bracket: bool


_UNKNOWN_KEY = "\x00?"
#: A variable standing for a global (``var d = document``) matters only in front of these.
_ALIAS_TAILS = frozenset(("write", "writeln", "location", "href", "replace", "assign", "title",
                          "open", "navigate", "eval", "execScript", "setTimeout",
                          "setInterval"))


class _Sink(NamedTuple):
    kind: str  # write, nav, title, script, style, eval
    index: int  # token the statement's chain starts at
    order: tuple[int, ...]
    text: str  # markup, target, title, URL, CSS or code
    method: str
    partial: bool
    key: str  # the element written into / styled
    techniques: frozenset[str]
    extra: tuple[tuple[list[_Tok], int, int, bool], ...]  # ternary tests around this value
    delayed: bool
    known: bool = True


class _Run(NamedTuple):
    runs: bool
    delayed: bool
    conds: tuple[tuple[list[_Tok], int, int, bool], ...]
    final: bool  # conds already hold everything outward (no need to walk further up)


_NOT_RUN = _Run(False, False, (), True)

_NOT_ROOTS = frozenset(("var", "let", "const", "function", "if", "else", "for", "while", "do",
                        "return", "typeof", "instanceof", "in", "of", "new", "delete", "void",
                        "throw", "case", "switch", "break", "continue", "try", "catch",
                        "finally", "class", "extends", "super", "import", "export", "default",
                        "yield", "await", "async", "static", "with", "debugger", "true",
                        "false", "null", "undefined", "NaN", "Infinity"))
_CHAIN_FOLLOW = frozenset((".", "?.", "[", "(", "=", "+="))
_TIMERS = frozenset(("setTimeout", "setInterval", "requestAnimationFrame", "setImmediate"))
_LISTENERS = frozenset(("addEventListener", "attachEvent", "on", "bind", "one", "live",
                        "delegate"))
_LOAD_EVENTS = frozenset(("load", "onload", "domcontentloaded", "pageshow", "readystatechange",
                          "onreadystatechange", "ready"))
_LOAD_PROPERTIES = frozenset(("onload", "onreadystatechange", "onpageshow",
                              "ondomcontentloaded"))
_EVENT_METHODS = frozenset(("click", "dblclick", "hover", "mouseover", "mouseout",
                            "mouseenter", "mouseleave", "mousedown", "mouseup", "mousemove",
                            "keydown", "keyup", "keypress", "submit", "change", "focus", "blur",
                            "focusin", "focusout", "scroll", "resize", "touchstart", "touchend",
                            "touchmove", "toggle", "contextmenu", "input", "select", "unload",
                            "beforeunload", "tap", "swipe"))
_KEYWORD_HEADS = frozenset(("if", "while", "for", "switch", "catch", "with", "return",
                            "typeof", "void", "delete", "in", "of", "new", "case", "do",
                            "else", "throw"))
_JQUERY_WRITES = {"append": "append", "prepend": "append", "after": "append",
                  "before": "append", "html": "innerHTML", "replaceWith": "outerHTML"}
_JQUERY_MOVES = frozenset(("appendTo", "prependTo", "insertAfter", "insertBefore",
                           "replaceAll"))
_SELF_REFERENCE = re.compile(r"\blocation\b|\bdocument\s*\.\s*(?:URL|documentURI)\b")
_HAS_HOST = re.compile(r"(?:^|//)[\w-]+(?:\.[\w-]+)+")
_TIMER_CALL = re.compile(r"\s*([A-Za-z_$][\w$]*)\s*\(")
_CAMEL = re.compile(r"[A-Z]")


class _Findings:
    """What one script (and the code it evals) does, before it is judged and assembled."""

    def __init__(self) -> None:
        self.sinks: list[tuple[_Sink, str, bool]] = []  # (sink, condition, delayed) that run
        self.techniques: set[str] = set()
        self.decoded: list[str] = []


class _Reader:
    """One pass over one piece of code: the constant table is kept in source order and every
    statement that writes, navigates, sets the title, styles, loads or evals is noted with
    its values; :meth:`finish` then decides which of them run, and under which condition."""

    def __init__(self, code: str, findings: _Findings, depth: int,
                 parent: tuple[_Reader, int] | None, inherit: tuple[str, bool] | None,
                 order: tuple[int, ...], budget: _Budget) -> None:
        self.code = code
        self.findings = findings
        self.depth = depth
        self.parent = parent  # the reader (and its token) that evals this code
        # Every assignment to a plain name, in source order, as (token of the name, kind,
        # start, stop): kind "=", "+=", "push" (start = the call's "(") or "set" (start =
        # the "[" of arr[i] = ...). Evaluated when first looked up.
        self.assigns: dict[str, list[tuple[int, str, int, int]]] = {}
        self._values: dict[tuple[str, int], _Var | None] = {}
        self._lookups = 0
        self.counters: set[str] = set()
        self._eval_chars = 0
        self.inherit = inherit
        self.order = order
        self.budget = budget
        self.tokens = _lex(code, min(MAX_TOKENS, max(budget.tokens, 0)))
        self.n = len(self.tokens)
        budget.tokens -= self.n
        self.partner, self.enclosing = _structure(self.tokens)
        self.evaluator = _Evaluator(self)
        self.sinks: list[_Sink] = []
        self.timer_names: set[str] = set()
        self.created = 0
        self._refs: dict[str, list[int]] | None = None
        self._runs: dict[int, _Run] = {}
        self._classes: dict[tuple[int, int, int], list[str]] = {}

    # -- the pass --

    def scan(self) -> None:
        self._collect_assignments()
        tokens = self.tokens
        for i, token in enumerate(tokens):
            if token.kind != NAME or token.value in _NOT_ROOTS:
                continue
            if i and tokens[i - 1].kind == PUNCT and tokens[i - 1].value in (".", "?."):
                continue
            if i + 1 >= self.n:
                break
            follow = tokens[i + 1]
            if follow.kind != PUNCT or follow.value not in _CHAIN_FOLLOW:
                continue
            if len(self.sinks) >= MAX_SINKS or self.budget.steps <= 0:
                break
            self._root(i)
        decoded = self.findings.decoded
        if sum(len(part) for part in decoded) < MAX_DECODED:
            decoded.append(self._cooked_source())

    def _collect_assignments(self) -> None:
        """First pass: note every assignment to a plain variable (``v = ...``, ``v += ...``,
        ``v[i] = ...``, ``v.push(...)``) and bind an immediately invoked function's
        parameters to its arguments, so that a sink can use a variable set anywhere."""
        tokens, partner, n = self.tokens, self.partner, self.n
        for i, token in enumerate(tokens):
            if token.kind != NAME or i + 1 >= n:
                continue
            if token.value == "function":
                self._bind_parameters(i)
                continue
            if token.value in _NOT_ROOTS or (i and tokens[i - 1].kind == PUNCT
                                             and tokens[i - 1].value in (".", "?.")):
                continue
            follow = tokens[i + 1]
            if follow.kind != PUNCT:
                continue
            what = follow.value
            if what in ("++", "--") or (i and tokens[i - 1].kind == PUNCT
                                        and tokens[i - 1].value in ("++", "--")):
                self.counters.add(token.value)  # a loop counter: its value is not one value
            if what in ("=", "+="):
                if token.value != "location":
                    self._record(token.value, i, what, i + 2, self._level_end(i + 1))
            elif what == "[" and token.value in self.assigns:
                close = partner[i + 1]
                if i + 1 < close < n - 1 and tokens[close + 1].value == "=" \
                        and tokens[close + 1].kind == PUNCT:
                    self._record(token.value, i, "set", i + 1, self._level_end(close + 1))
            elif what == "." and token.value in self.assigns and i + 3 < n \
                    and tokens[i + 2].value == "push" and tokens[i + 3].value == "(":
                close = partner[i + 3] if partner[i + 3] > i + 3 else n
                self._record(token.value, i, "push", i + 3, close)

    def _bind_parameters(self, function: int) -> None:
        """``(function(w, d){...})(window, document)``: inside, ``w`` is ``window``."""
        tokens, partner, n = self.tokens, self.partner, self.n
        j = function + 1
        if j < n and tokens[j].kind == NAME:
            j += 1
        if not (j < n and tokens[j].value == "(" and j < partner[j] < n):
            return
        params = self._arg_ranges(j, partner[j])
        body = partner[j] + 1
        if not (body < n and tokens[body].value == "{" and body < partner[body] < n):
            return
        after = partner[body] + 1
        if after < n and tokens[after].value == ")" and partner[after] == function - 1:
            after += 1
        if not (after < n and tokens[after].value == "(" and after < partner[after] <= n):
            return
        args = self._arg_ranges(after, partner[after] if partner[after] < n else n)
        for (start, end), arg in zip(params, args, strict=False):
            if end == start + 1 and tokens[start].kind == NAME:
                self._record(tokens[start].value, start, "=", arg[0], arg[1])

    def _cooked_source(self) -> str:
        if "\\" not in self.code or not any(t.flags & ESC_ANY for t in self.tokens):
            return self.code[:MAX_DECODED]
        out: list[str] = []
        pos = 0
        size = 0
        for token in self.tokens:
            if token.flags & ESC_ANY:
                piece = self.code[pos:token.start]
                if token.kind == NAME:
                    piece += token.value
                else:
                    quote = self.code[token.start]
                    piece += quote + token.value + quote
                out.append(piece)
                size += len(piece)
                pos = token.end
                if size > MAX_DECODED:
                    break
        out.append(self.code[pos:])
        return "".join(out)[:MAX_DECODED]

    def _chain(self, i: int) -> tuple[list[_Seg], int]:
        """The member chain that starts at name token ``i``: ``a.b["c"](x).d``. Computed
        keys are evaluated. A variable holding a well-known global stands for it."""
        tokens, partner, n = self.tokens, self.partner, self.n
        segs = [_Seg(tokens[i].value, i, False)]
        escaped = tokens[i].flags
        j = i + 1
        while j < n and len(segs) < 32:
            token = tokens[j]
            if token.kind != PUNCT:
                break
            what = token.value
            if what in (".", "?.") and j + 1 < n and tokens[j + 1].kind == NAME:
                segs.append(_Seg(tokens[j + 1].value, j + 1, False))
                escaped |= tokens[j + 1].flags
                j += 2
            elif what == "[":
                close = partner[j] if partner[j] > j else n
                key, _ = self.evaluator.value(j + 1, close)
                segs.append(_Seg(key if type(key) is str else _UNKNOWN_KEY, j, True))
                j = close + 1
            elif what == "(":
                close = partner[j] if partner[j] > j else n
                segs.append(_Seg(None, j, False))
                j = close + 1
            elif what == "?." and j + 1 < n and tokens[j + 1].value in ("(", "["):
                j += 1
            else:
                break
        if escaped & ESC_UNI:
            self.evaluator.techniques.add("unicode-escapes")
        var = None
        if len(segs) > 1 and any(seg.name in _ALIAS_TAILS for seg in segs[1:]):
            var = self.lookup(segs[0].name or "", i)
        if var is not None and type(var.value) is _Ref:
            segs = [_Seg(name, i, False) for name in var.value.path] + segs[1:]  # type: ignore[attr-defined]
        return segs, min(j, n)

    def _root(self, i: int) -> None:
        evaluator = self.evaluator
        evaluator.techniques = set()
        segs, end = self._chain(i)
        chain_techniques = evaluator.techniques
        token = self.tokens[end] if end < self.n else None
        op = token.value if token is not None and token.kind == PUNCT else ""
        for k in range(1, len(segs)):
            if segs[k].name is None and segs[k - 1].name is not None:
                evaluator.techniques = set(chain_techniques)
                self._call(i, segs[:k - 1], segs[k - 1], segs[k])
        if segs[-1].name is not None and op in ("=", "+="):
            evaluator.techniques = set(chain_techniques)
            self._assignment(i, segs, end, op)

    # -- the variable table --

    def _record(self, name: str, i: int, kind: str, start: int, stop: int) -> None:
        records = self.assigns.setdefault(name, [])
        if len(records) < 1000:
            records.append((i, kind, start, stop))

    def lookup(self, name: str, position: int) -> _Var | None:
        """What variable ``name`` holds just before token ``position``: its last assignment
        before it (the first one after, if there is none: a function body reading a
        variable the script sets later), else what the code that evals this one had."""
        if name in self.counters:
            return None
        records = self.assigns.get(name)
        if not records:
            if self.parent is not None:
                reader, index = self.parent
                return reader.lookup(name, index)
            return None
        chosen = None
        for record in records:
            if record[0] >= position:
                break
            chosen = record
        if chosen is None:
            chosen = records[0]
            if chosen[0] <= position:
                return None
        return self._value_of(name, chosen)

    def _value_of(self, name: str, record: tuple[int, str, int, int]) -> _Var | None:
        key = (name, record[0])
        if key in self._values:
            return self._values[key]
        self._lookups += 1
        if self._lookups > 20_000:
            return None
        self._values[key] = None  # a variable defined by itself is unknown
        index, kind, start, stop = record
        evaluator = self.evaluator
        saved = evaluator.techniques
        evaluator.techniques = set()
        try:
            if kind == "push" or kind == "set":
                var = self._container(name, record)
            else:
                value, end = evaluator.value(start, stop, index)
                if kind == "+=":
                    old = self.lookup(name, index)
                    value = _plus(old.value if old is not None else UNKNOWN, value,
                                  evaluator.techniques)
                var = _Var(value, frozenset(evaluator.techniques), self.tokens, start, end)
        finally:
            techniques = evaluator.techniques
            evaluator.techniques = saved | techniques
        self._values[key] = var
        return var

    def _container(self, name: str, record: tuple[int, str, int, int]) -> _Var | None:
        index, kind, start, stop = record
        old = self.lookup(name, index)
        if old is None or type(old.value) not in (list, dict):
            return old
        container = old.value
        evaluator = self.evaluator
        if kind == "push" and type(container) is list:
            args = evaluator.arguments(start, stop, index)
            container = (list(container) + args)[:MAX_LIST]  # type: ignore[call-overload]
        elif kind == "set":
            close = self.partner[start] if self.partner[start] > start else stop
            key, _ = evaluator.value(start + 1, close, index)
            value, _ = evaluator.value(close + 2, stop, index)
            if type(container) is list and type(key) is int and 0 <= key < MAX_LIST:  # type: ignore[operator]
                items = list(container)  # type: ignore[call-overload]
                items.extend([UNKNOWN] * (key + 1 - len(items)))  # type: ignore[operator]
                items[key] = value  # type: ignore[index]
                container = items
            elif type(container) is dict and type(key) is str:
                container = {**container, key: value}  # type: ignore[dict-item]
        return old._replace(value=container,
                            techniques=old.techniques | frozenset(evaluator.techniques))

    # -- statements --

    def _level_end(self, j: int) -> int:
        opener = self.enclosing[j]
        if opener < 0:
            return self.n
        close = self.partner[opener]
        return close if close > j else self.n

    def _source(self, start: int, end: int) -> str:
        if end <= start:
            return ""
        return self.code[self.tokens[start].start:self.tokens[end - 1].end][:MAX_TARGET]

    def _receiver(self, i: int, segs: list[_Seg], upto: int) -> object:
        """The value of the chain's first ``upto`` steps (the object a property belongs to)."""
        if upto <= 0:
            return UNKNOWN
        seg = segs[upto]
        stop = seg.index if seg.bracket or seg.name is None else seg.index - 1
        if stop <= i:
            return UNKNOWN
        value, _ = self.evaluator.value(i, stop)
        return value

    def _element_key(self, value: object) -> str:
        kind = type(value)
        if kind is _Element:
            return value.key  # type: ignore[attr-defined]
        if kind is _Ref:
            return "ref:" + ".".join(value.path)  # type: ignore[attr-defined]
        return ""

    def _assignment(self, i: int, segs: list[_Seg], end: int, op: str) -> None:
        names = [seg.name for seg in segs]
        last = names[-1]
        start = end + 1
        stop = self._level_end(end)
        if len(segs) == 1:
            if last == "location" and "location" not in self.assigns and op == "=":
                self._navigation(i, segs, start, stop, "location")
            return
        if op == "=" and _location_path(names):
            self._navigation(i, segs, start, stop, _nav_method(segs, None))
            return
        if last in ("innerHTML", "outerHTML", "innerText", "textContent", "text"):
            element = self._receiver(i, segs, len(segs) - 1)
            key = self._element_key(element)
            if type(element) is _Element and element.tag == "script" \
                    and key.startswith("new:"):  # type: ignore[attr-defined]
                self._eval(i, start, stop, delayed=False)  # a script element's code runs
            elif key in ("tag:title", "all:title"):
                if op == "=":
                    self._title(i, start, stop)
            elif last in ("innerHTML", "outerHTML"):
                self._write(i, start, stop, last, key)
            return
        if last == "title" and op == "=" and len(names) >= 2 and names[-2] == "document" \
                and all(name in _WINDOWISH for name in names[:-2]):
            self._title(i, start, stop)
            return
        if len(segs) >= 3 and names[-2] == "style" and op == "=":
            element = self._receiver(i, segs, len(segs) - 2)
            value, _ = self.evaluator.value(start, stop)
            text = _to_text(value)
            if text is not None:
                css = text if last == "cssText" else f"{_css_name(last)}:{text}"  # type: ignore[arg-type]
                self._note("style", i, css, "", self._element_key(element))
            return
        if last == "src" and op == "=":
            element = self._receiver(i, segs, len(segs) - 1)
            if type(element) is _Element and element.tag == "script":  # type: ignore[attr-defined]
                value, _ = self.evaluator.value(start, stop)
                if _stringy(value) and value:
                    self._note("script", i, str(value), "", "")
            return
        if last in _LOAD_PROPERTIES and start < self.n and self.tokens[start].kind == NAME:
            self.timer_names.add(self.tokens[start].value)
            return

    def _call(self, i: int, receiver: list[_Seg], method: _Seg, call: _Seg) -> None:
        name = method.name or ""
        names = [seg.name for seg in receiver]
        open_ = call.index
        close = self.partner[open_] if self.partner[open_] > open_ else self.n
        if name in ("write", "writeln") and _document_path(names):
            self._write(i, open_ + 1, close, "document." + name, "", all_args=True)
        elif name == "insertAdjacentHTML":
            args = self._arg_ranges(open_, close)
            if len(args) >= 2:
                element = self._receiver(i, [*receiver, method], len(receiver))
                self._write(i, args[1][0], args[1][1], name, self._element_key(element))
        elif name in ("replace", "assign") and names and names[-1] == "location" \
                and _location_path(names):
            self._navigation(i, [*receiver, method], open_ + 1, close,
                             _nav_method([*receiver, method], name))
        elif name in ("open", "navigate") and _window_path(names):
            args = self._arg_ranges(open_, close)
            if args:
                self._navigation(i, [*receiver, method], args[0][0], args[0][1],
                                 "window." + name)
        elif (name in ("eval", "execScript", "Function") and _window_path(names)) \
                or name == "constructor":
            args = self._arg_ranges(open_, close)
            if args:
                start, stop = args[0] if name != "Function" and name != "constructor" \
                    else args[-1]
                self._eval(i, start, stop, delayed=False)
        elif name in ("setTimeout", "setInterval") and _window_path(names):
            args = self._arg_ranges(open_, close)
            if args:  # a string is code run later; a function is read where it stands
                value, _ = self.evaluator.value(args[0][0], args[0][1])
                if _stringy(value) and value:
                    called = _TIMER_CALL.match(str(value))
                    if called:
                        self.timer_names.add(called.group(1))
                    self._eval(i, args[0][0], args[0][1], delayed=True)
        elif names and names[0] in ("$", "jQuery"):
            self._jquery_call(i, receiver, method, name, open_, close)
        elif name == "setAttribute":
            args = self._arg_ranges(open_, close)
            if len(args) >= 2:
                attribute, _ = self.evaluator.value(*args[0])
                element = self._receiver(i, [*receiver, method], len(receiver))
                value, _ = self.evaluator.value(*args[1])
                if attribute == "style" and _stringy(value):
                    self._note("style", i, str(value), "", self._element_key(element))
                elif attribute == "src" and type(element) is _Element \
                        and element.tag == "script" and _stringy(value) and value:  # type: ignore[attr-defined]
                    self._note("script", i, str(value), "", "")

    def _jquery_call(self, i: int, receiver: list[_Seg], method: _Seg, name: str,
                     open_: int, close: int) -> None:
        if name == "getScript" and len(receiver) == 1:
            args = self._arg_ranges(open_, close)
            if args:
                value, _ = self.evaluator.value(*args[0])
                if _stringy(value) and value:
                    self._note("script", i, str(value), "", "")
            return
        if not receiver:
            return
        element = self._receiver(i, [*receiver, method], len(receiver))
        key = self._element_key(element)
        args = self._arg_ranges(open_, close)
        if name in ("html", "text") and key == "tag:title" and args:
            self._title(i, args[0][0], args[0][1])
        elif name in _JQUERY_WRITES and args:
            self._write(i, args[0][0], args[0][1], _JQUERY_WRITES[name], key, markup_only=True)
        elif name in _JQUERY_MOVES and type(element) is _Markup:
            self._note("write", i, element.html, "append", "",  # type: ignore[attr-defined]
                       techniques=frozenset(self.evaluator.techniques))
        elif name == "hide":
            self._note("style", i, "display:none", "", key)
        elif name == "css" and args:
            first, _ = self.evaluator.value(*args[0])
            if type(first) is dict:
                css = ";".join(f"{_css_name(k)}:{_to_text(v) or ''}"
                               for k, v in first.items())  # type: ignore[attr-defined]
                self._note("style", i, css, "", key)
            elif type(first) is str and len(args) > 1:
                second, _ = self.evaluator.value(*args[1])
                text = _to_text(second)
                if text is not None:
                    self._note("style", i, f"{_css_name(first)}:{text}", "", key)  # type: ignore[arg-type]

    def _arg_ranges(self, open_: int, close: int) -> list[tuple[int, int]]:
        """Token ranges of a call's arguments (split at top-level commas)."""
        ranges: list[tuple[int, int]] = []
        tokens, partner = self.tokens, self.partner
        start = j = open_ + 1
        while j < close and len(ranges) < 64:
            token = tokens[j]
            if token.kind == PUNCT:
                if token.value in ("(", "[", "{"):
                    j = partner[j] + 1 if j < partner[j] <= close else close
                    continue
                if token.value == ",":
                    ranges.append((start, j))
                    start = j + 1
            j += 1
        if start < close:
            ranges.append((start, close))
        return ranges

    # -- sinks --

    def _branches(self, start: int, stop: int) -> list[tuple[object, int, int, tuple]]:
        """The value at ``start`` as (value, start, end, tests): one entry, or two when the
        expression is a ternary whose branches are kept apart with their test."""
        value, end = self.evaluator.value(start, stop)
        question = self._top_level(start, end, "?")
        if question < 0:
            return [(value, start, end, ())]
        colon = self._ternary_colon(question + 1, end)
        if colon < 0:
            return [(value, start, end, ())]
        yes, _ = self.evaluator.value(question + 1, colon)
        no, _ = self.evaluator.value(colon + 1, end)
        return [(yes, question + 1, colon, ((self.tokens, start, question, False),)),
                (no, colon + 1, end, ((self.tokens, start, question, True),))]

    def _top_level(self, start: int, end: int, what: str) -> int:
        tokens, partner = self.tokens, self.partner
        j = start
        while j < end:
            token = tokens[j]
            if token.kind == PUNCT:
                if token.value == what:
                    return j
                if token.value in ("(", "[", "{") and j < partner[j] <= end:
                    j = partner[j]
            j += 1
        return -1

    def _ternary_colon(self, start: int, end: int) -> int:
        tokens, partner = self.tokens, self.partner
        nested = 0
        j = start
        while j < end:
            token = tokens[j]
            if token.kind == PUNCT:
                if token.value == "?":
                    nested += 1
                elif token.value == ":":
                    if nested == 0:
                        return j
                    nested -= 1
                elif token.value in ("(", "[", "{") and j < partner[j] <= end:
                    j = partner[j]
            j += 1
        return -1

    def _note(self, kind: str, i: int, text: str, method: str, key: str, *,
              partial: bool = False, techniques: frozenset[str] = frozenset(),
              extra: tuple = (), delayed: bool = False, known: bool = True) -> None:
        if len(self.sinks) < MAX_SINKS:
            text = text[:MAX_SCRIPT if kind == "eval" else MAX_HTML]
            self.sinks.append(_Sink(kind, i, (*self.order, i), text, method, partial, key,
                                    techniques, extra, delayed, known))

    def _write(self, i: int, start: int, stop: int, method: str, key: str, *,
               all_args: bool = False, markup_only: bool = False) -> None:
        if all_args:  # document.write(a, b) writes a then b
            ranges = self._arg_ranges(start - 1, stop)
            if len(ranges) != 1:
                values = [self.evaluator.value(a, b)[0] for a, b in ranges]
                text: object = ""
                for value in values:
                    text = _plus(text, value if _stringy(value) else
                                 (_to_text(value) or UNKNOWN), set())
                if _stringy(text) and text:
                    self._note("write", i, str(text), method, key,
                               partial=type(text) is _Partial,
                               techniques=frozenset(self.evaluator.techniques))
                return
        for value, _, _, extra in self._branches(start, stop):
            if not _stringy(value) or not value:
                continue
            if markup_only and "<" not in value:  # type: ignore[operator]
                continue
            self._note("write", i, str(value), method, key, partial=type(value) is _Partial,
                       techniques=frozenset(self.evaluator.techniques), extra=extra)

    def _navigation(self, i: int, segs: list[_Seg], start: int, stop: int, method: str) -> None:
        for value, a, b, extra in self._branches(start, stop):
            target, known = self._target(value, a, b)
            if target:
                self._note("nav", i, target, method, "", known=known,
                           techniques=frozenset(self.evaluator.techniques), extra=extra)

    def _target(self, value: object, start: int, end: int) -> tuple[str, bool]:
        source = self._source(start, end)
        if _stringy(value) and value.strip():  # type: ignore[attr-defined]
            text = value.strip()  # type: ignore[attr-defined]
            if type(value) is _Partial and _SELF_REFERENCE.search(source) \
                    and not _HAS_HOST.search(text):
                return "", True
            if text.startswith("#") or text.lower().startswith("javascript:"):
                return "", True
            return text[:MAX_TARGET], True
        if not source or _SELF_REFERENCE.search(source) or type(value) is _Func:
            return "", False
        if _stringy(value):  # an empty string: nowhere
            return "", False
        return source, False

    def _title(self, i: int, start: int, stop: int) -> None:
        for value, _, _, extra in self._branches(start, stop):
            if _stringy(value) and value.strip():  # type: ignore[attr-defined]
                self._note("title", i, value.strip()[:MAX_TITLE], "", "",  # type: ignore[attr-defined]
                           techniques=frozenset(self.evaluator.techniques), extra=extra)

    def _eval(self, i: int, start: int, stop: int, *, delayed: bool) -> None:
        if self.depth >= MAX_DEPTH or self.budget.tokens <= 0:
            return
        tokens = self.tokens
        k = start + 1 if start < stop and tokens[start].value == "(" else start
        if k < stop and tokens[k].kind == NAME and tokens[k].value == "function":
            unpacked = self._packer(k, stop)
            if unpacked is not None:
                self._note("eval", i, unpacked, "packer", "",
                           techniques=frozenset(self.evaluator.techniques | {"packer"}))
                return
        value, _ = self.evaluator.value(start, stop)
        if _stringy(value) and value.strip() \
                and self._eval_chars < 2 * MAX_SCRIPT:  # type: ignore[attr-defined]
            self._eval_chars += len(value)  # type: ignore[arg-type]
            self._note("eval", i, str(value), "timer" if delayed else "eval", "",
                       delayed=delayed,
                       techniques=frozenset(self.evaluator.techniques))

    def _packer(self, function: int, stop: int) -> str | None:
        """``function(p,a,c,k,e,d){...}('payload',62,123,'a|b'.split('|'),0,{})`` unpacked."""
        tokens, partner = self.tokens, self.partner
        j = function + 1
        if j < stop and tokens[j].kind == NAME:
            j += 1
        if not (j < stop and tokens[j].value == "(") or partner[j] >= stop:
            return None
        j = partner[j] + 1
        if not (j < stop and tokens[j].value == "{") or partner[j] >= stop:
            return None
        j = partner[j] + 1
        if j < stop and tokens[j].value == ")":
            j += 1
        if not (j < stop and tokens[j].value == "("):
            return None
        close = partner[j] if j < partner[j] <= stop else stop
        args = self.evaluator.arguments(j, close)
        if len(args) < 4:
            return None
        payload, radix, _count, words = args[:4]
        if type(payload) is not str or type(radix) is not int or type(words) is not list:
            return None
        keywords = [word if type(word) is str else "" for word in words]  # type: ignore[attr-defined]
        return _unpack(payload, radix, keywords)  # type: ignore[arg-type]

    # -- when and whether a sink runs --

    def finish(self) -> None:
        """Decide for every noted sink whether it runs and under which condition, then hand
        it to the findings; code that is evaled is read here, in place."""
        findings = self.findings
        for sink in self.sinks:
            run = self._context(sink.index, 0)
            if not run.runs:
                continue
            condition = self._condition(run.conds + sink.extra)
            delayed = run.delayed or sink.delayed
            if self.inherit is not None:
                if condition == "always":
                    condition = self.inherit[0]
                delayed = delayed or self.inherit[1]
            if sink.kind != "eval":
                findings.sinks.append((sink, condition, delayed))
                continue
            if self.budget.tokens <= 0:
                continue
            before = len(findings.sinks)
            child = _Reader(sink.text, findings, self.depth + 1, (self, sink.index),
                            (condition, delayed), sink.order, self.budget)
            child.scan()
            child.finish()
            obfuscated = sink.techniques - {"concatenation"}
            if sink.method == "packer":
                findings.techniques.update(sink.techniques)
            elif len(findings.sinks) > before or obfuscated:
                findings.techniques.update(sink.techniques)
                if sink.method == "eval":
                    findings.techniques.add("eval")

    def _context(self, s: int, depth: int) -> _Run:
        """Whether the statement at token ``s`` runs when the page loads, delayed or not, and
        the tests it runs under (token range of each test, and whether it is negated)."""
        tokens, enclosing = self.tokens, self.enclosing
        conds: list[tuple[list[_Tok], int, int, bool]] = []
        delayed = False
        position, level = s, enclosing[s]
        for _ in range(MAX_LEVELS):
            arrow = self._guards(level, position, conds)
            if arrow >= 0:
                start = self._arrow_start(arrow)
                run = self._function_runs(start, self._arrow_end(arrow), depth)
                if not run.runs:
                    return _NOT_RUN
                delayed = delayed or run.delayed
                conds.extend(run.conds)
                if run.final:
                    break
                position, level = start, enclosing[start]
                continue
            if level < 0:
                break
            if tokens[level].value == "{":
                kind, where = self._block_kind(level)
                if kind == "function":
                    run = self._function_runs(where, self.partner[level], depth)
                    if not run.runs:
                        return _NOT_RUN
                    delayed = delayed or run.delayed
                    conds.extend(run.conds)
                    if run.final:
                        break
                    position, level = where, enclosing[where]
                    continue
                if kind == "if":
                    header = level - 1
                    conds.append((tokens, self.partner[header] + 1, header, False))
                    self._else_chain(self.partner[header] - 1, conds)
                elif kind == "else":
                    self._else_conds(level - 1, conds)
            position, level = level, enclosing[level]
        return _Run(True, delayed, tuple(conds), True)

    def _guards(self, level: int, position: int, conds: list) -> int:
        """Scan back from ``position`` to the start of its statement at this level, noting a
        guard (``a && x``, ``a || x``, ``a ? x : y``), a brace-less ``if``/``else`` and an
        arrow function's expression body. Returns the ``=>`` index of such a body, else -1."""
        tokens, partner = self.tokens, self.partner
        low = level + 1
        j = position - 1
        guard: tuple[int, str] | None = None
        arrow = -1
        floor = max(low, position - MAX_SCAN_BACK)
        while j >= floor:
            token = tokens[j]
            if token.kind == PUNCT:
                what = token.value
                if what in (")", "]"):
                    opener = partner[j]
                    if not low <= opener < j:
                        break
                    head = opener - 1
                    if what == ")" and head >= 0 and tokens[head].kind == NAME \
                            and tokens[head].value in ("if", "while", "for", "with", "switch",
                                                       "catch"):
                        if tokens[head].value == "if":
                            conds.append((tokens, opener + 1, j, False))
                            self._else_chain(head, conds)
                            nxt = head - 1
                            if nxt >= low and tokens[nxt].kind == PUNCT \
                                    and tokens[nxt].value == ")":
                                if guard is not None:
                                    self._guard(guard, j, conds)
                                    guard = None
                                j = nxt
                                continue
                        break
                    j = opener - 1
                    continue
                if what in (";", ",", "}", "{", "(", "["):
                    break
                if guard is None and what in ("&&", "||", "?"):
                    guard = (j, what)
                elif guard is None and what == ":":
                    question = self._question_before(j, low)
                    if question < 0:
                        break
                    guard = (question, ":")
                    j = question - 1
                    continue
                elif what == "=>":
                    arrow = j
                    break
            elif token.kind == NAME:
                if token.value == "else":
                    self._else_conds(j, conds)
                    break
                if token.value in ("return", "case", "throw", "var", "let", "const", "do"):
                    break
            j -= 1
        if guard is not None:
            self._guard(guard, j, conds)
        return arrow

    def _guard(self, guard: tuple[int, str], boundary: int, conds: list) -> None:
        where, what = guard
        if where > boundary + 1:
            conds.append((self.tokens, boundary + 1, where, what in ("||", ":")))

    def _question_before(self, colon: int, low: int) -> int:
        tokens, partner = self.tokens, self.partner
        nested = 0
        j = colon - 1
        while j >= low:
            token = tokens[j]
            if token.kind == PUNCT:
                what = token.value
                if what in (")", "]", "}"):
                    opener = partner[j]
                    if not low <= opener < j:
                        return -1
                    j = opener - 1
                    continue
                if what in (";", ",", "{", "(", "["):
                    return -1
                if what == ":":
                    nested += 1
                elif what == "?":
                    if nested == 0:
                        return j
                    nested -= 1
            j -= 1
        return -1

    def _block_kind(self, brace: int) -> tuple[str, int]:
        """What a ``{`` opens: ("function", start of the function expression), ("if", the
        header's ``)``), ("else", ...) or ("block", -1)."""
        tokens, partner = self.tokens, self.partner
        p = brace - 1
        if p < 0:
            return "block", -1
        token = tokens[p]
        if token.kind == PUNCT and token.value == ")":
            opener = partner[p]
            head = opener - 1
            if 0 <= opener < p and head >= 0 and tokens[head].kind == NAME:
                word = tokens[head].value
                if word == "if":
                    return "if", p
                if word in _KEYWORD_HEADS:
                    return "block", -1
                if word == "function":
                    return "function", self._async(head)
                if head >= 1 and tokens[head - 1].kind == NAME \
                        and tokens[head - 1].value == "function":
                    return "function", self._async(head - 1)
                if head >= 1 and tokens[head - 1].value == "*" \
                        and head >= 2 and tokens[head - 2].value == "function":
                    return "function", head - 2
                return "function", head  # a method: name(...) {
            if 0 <= opener < p and head >= 0 and tokens[head].value == "*":
                return "function", max(head - 1, 0)
            return "block", -1
        if token.kind == PUNCT and token.value == "=>":
            return "function", self._arrow_start(p)
        if token.kind == NAME and token.value == "else":
            return "else", p
        return "block", -1

    def _async(self, start: int) -> int:
        if start >= 1 and self.tokens[start - 1].kind == NAME \
                and self.tokens[start - 1].value == "async":
            return start - 1
        return start

    def _arrow_start(self, arrow: int) -> int:
        p = arrow - 1
        if p >= 0 and self.tokens[p].value == ")" and 0 <= self.partner[p] < p:
            return self._async(self.partner[p])
        return self._async(max(p, 0))

    def _arrow_end(self, arrow: int) -> int:
        tokens, partner = self.tokens, self.partner
        j = arrow + 1
        if j < self.n and tokens[j].value == "{" and partner[j] > j:
            return min(partner[j], self.n - 1)
        while j < self.n:
            token = tokens[j]
            if token.kind == PUNCT:
                if token.value in (",", ";", ")", "]", "}"):
                    break
                if token.value in ("(", "[", "{") and partner[j] > j:
                    j = partner[j]
            j += 1
        return j - 1

    def _else_conds(self, else_: int, conds: list) -> None:
        """The negated tests of the ``if`` (and ``else if`` chain) an ``else`` belongs to."""
        tokens, partner = self.tokens, self.partner
        for _ in range(64):
            p = else_ - 1
            header = -1
            if p >= 0 and tokens[p].value == "}":
                brace = partner[p]
                if 0 < brace < p and tokens[brace - 1].value == ")":
                    header = brace - 1
            else:
                j = p - 1 if p >= 0 and tokens[p].value == ";" else p
                steps = 0
                while j >= 0 and steps < 4000:
                    steps += 1
                    token = tokens[j]
                    if token.kind == PUNCT and token.value in (")", "]"):
                        opener = partner[j]
                        if not 0 <= opener < j:
                            break
                        if token.value == ")" and opener >= 1 \
                                and tokens[opener - 1].value == "if":
                            header = j
                            break
                        j = opener - 1
                        continue
                    if token.kind == PUNCT and token.value in (";", "{", "}"):
                        break
                    j -= 1
            if header < 0:
                return
            opener = partner[header]
            if not (0 < opener < header and tokens[opener - 1].value == "if"):
                return
            conds.append((tokens, opener + 1, header, True))
            if_ = opener - 1
            if if_ >= 1 and tokens[if_ - 1].value == "else":
                else_ = if_ - 1
                continue
            return

    def _else_chain(self, if_: int, conds: list) -> None:
        if if_ >= 1 and self.tokens[if_ - 1].kind == NAME and self.tokens[if_ - 1].value == "else":
            self._else_conds(if_ - 1, conds)

    def _function_runs(self, start: int, close: int, depth: int) -> _Run:
        """Whether the function expression/declaration at ``start`` (ending at ``close``) is
        run at load: immediately invoked, a timer or load callback, an argument of an
        ordinary call, or a named function called from code that runs."""
        known = self._runs.get(start)
        if known is not None:
            return known
        if depth > MAX_CALL_DEPTH:
            return _NOT_RUN
        self._runs[start] = _NOT_RUN  # a cycle is not a way to run
        run = self._function_runs_uncached(start, close, depth)
        self._runs[start] = run
        return run

    def _function_runs_uncached(self, start: int, close: int, depth: int) -> _Run:
        tokens, partner, n = self.tokens, self.partner, self.n
        after = close + 1
        nxt = tokens[after].value if after < n else ""
        declaration = tokens[start].value == "function" and start + 1 < n \
            and tokens[start + 1].kind == NAME and self._statement_start(start)
        if not declaration:
            if nxt == "(" or (nxt == "." and after + 1 < n
                              and tokens[after + 1].value in ("call", "apply")):
                return _Run(True, False, (), False)
            if nxt == ")" and after + 1 < n and partner[after] == start - 1 \
                    and (tokens[after + 1].value == "(" or (
                        tokens[after + 1].value == "." and after + 2 < n
                        and tokens[after + 2].value in ("call", "apply"))):
                return _Run(True, False, (), False)
        before = tokens[start - 1] if start >= 1 else None
        what = before.value if before is not None and before.kind == PUNCT else ""
        name = ""
        if declaration:
            name = tokens[start + 1].value
        elif what in ("(", ","):
            call = self.enclosing[start]
            if call >= 1 and tokens[call].value == "(" and self._is_call(call):
                return self._callback(call, start, depth)
            return _NOT_RUN
        elif what == "=":
            lhs_start = self._chain_start(start - 2)
            if lhs_start < 0:
                return _NOT_RUN
            segs, _ = self._chain(lhs_start) if tokens[lhs_start].kind == NAME else ([], 0)
            last = next((seg.name for seg in reversed(segs) if seg.name is not None), "")
            if last in _LOAD_PROPERTIES:
                run = self._context(lhs_start, depth + 1)
                return _Run(run.runs, True, run.conds, True) if run.runs else _NOT_RUN
            if last.startswith("on"):
                return _NOT_RUN
            name = last
        elif what == ":" and start >= 2 and tokens[start - 2].kind in (NAME, STR):
            name = tokens[start - 2].value
        elif tokens[start].kind == NAME and tokens[start].value == "function" \
                and start + 1 < n and tokens[start + 1].kind == NAME:
            name = tokens[start + 1].value
        elif tokens[start].kind == NAME and tokens[start].value not in ("function", "async"):
            name = tokens[start].value  # a method defined as name(...) {...}
        if not name:
            return _NOT_RUN
        return self._named_runs(name, start, close, depth)

    def _statement_start(self, j: int) -> bool:
        if j == 0:
            return True
        token = self.tokens[j - 1]
        return (token.kind == PUNCT and token.value in (";", "{", "}", ")")) \
            or (token.kind == NAME and token.value in ("else", "export", "default"))

    def _is_call(self, paren: int) -> bool:
        token = self.tokens[paren - 1]
        if token.kind == NAME:
            return token.value not in _KEYWORD_HEADS and token.value != "function"
        return token.kind == PUNCT and token.value in (")", "]")

    def _callee(self, paren: int) -> str:
        token = self.tokens[paren - 1]
        return token.value if token.kind == NAME else ""

    def _callback(self, call: int, argument: int, depth: int) -> _Run:
        """A function passed to a call: a timer or load handler runs (delayed), an event
        handler does not, anything else runs with the call."""
        callee = self._callee(call)
        first = argument == call + 1
        kind = "call"
        if callee in _TIMERS:
            kind = "load"
        elif callee in _LISTENERS:
            event = self.tokens[call + 1] if call + 1 < self.n else None
            name = event.value.lower() if event is not None and event.kind == STR else ""
            kind = "load" if name in _LOAD_EVENTS and not first else "event"
        elif callee in ("ready", "load") or (callee in ("$", "jQuery") and first):
            kind = "load"
        elif callee in _EVENT_METHODS:
            kind = "event"
        if kind == "event":
            return _NOT_RUN
        run = self._context(call - 1, depth + 1)
        if not run.runs:
            return _NOT_RUN
        return _Run(True, run.delayed or kind == "load", run.conds, True)

    def _chain_start(self, j: int) -> int:
        """First token of the member chain that ends at token ``j``."""
        tokens, partner = self.tokens, self.partner
        for _ in range(64):
            if j < 0:
                return -1
            token = tokens[j]
            if token.kind == PUNCT and token.value in (")", "]"):
                opener = partner[j]
                if not 0 <= opener < j:
                    return -1
                j = opener - 1
                continue
            if token.kind == NAME:
                if j >= 1 and tokens[j - 1].kind == PUNCT and tokens[j - 1].value in (".", "?."):
                    j -= 2
                    continue
                return j
            return j + 1
        return -1

    def _named_runs(self, name: str, start: int, close: int, depth: int) -> _Run:
        tokens, n = self.tokens, self.n
        if self._refs is None:
            refs: dict[str, list[int]] = {}
            for k, token in enumerate(tokens):
                if token.kind == NAME:
                    refs.setdefault(token.value, []).append(k)
            self._refs = refs
        for r in self._refs.get(name, ())[:200]:
            if start <= r <= close:
                continue
            before = tokens[r - 1] if r >= 1 else None
            if before is not None and before.kind == NAME and before.value == "function":
                continue
            nxt = tokens[r + 1].value if r + 1 < n and tokens[r + 1].kind == PUNCT else ""
            if nxt in ("=", ":"):
                continue
            if nxt == "(" or (nxt == "." and r + 2 < n
                              and tokens[r + 2].value in ("call", "apply")):
                head = self._chain_start(r)
                run = self._context(head if head >= 0 else r, depth + 1)
                if run.runs:
                    return _Run(True, run.delayed, run.conds, True)
                continue
            call = self.enclosing[r]
            if call >= 1 and tokens[call].value == "(" and self._is_call(call):
                callee = self._callee(call)
                if callee in _TIMERS or callee in ("ready", "load", "$", "jQuery") or (
                        callee in _LISTENERS and tokens[call + 1].kind == STR
                        and tokens[call + 1].value.lower() in _LOAD_EVENTS):
                    run = self._context(call - 1, depth + 1)
                    if run.runs:
                        return _Run(True, True, run.conds, True)
        if name in self.timer_names:
            return _Run(True, True, (), True)
        return _NOT_RUN

    # -- conditions --

    def _condition(self, conds: tuple) -> str:
        if not conds:
            return "always"
        best = "other"
        for tokens, start, end, negated in conds:
            key = (id(tokens), start, end)
            classes = self._classes.get(key)
            if classes is None:
                classes = self._test_classes(tokens, start, end)
                self._classes[key] = classes
            for kind, positive in classes:
                branch = positive != negated
                if kind == "engine":
                    found = "search-referrer" if branch else "other"
                elif kind == "crawler":
                    found = "spider" if branch else "not-spider"
                elif kind == "mobile":
                    found = "mobile" if branch else "other"
                else:
                    found = "other"
                if _CONDITION_RANK[found] > _CONDITION_RANK[best]:
                    best = found
        return best

    def _test_classes(self, tokens: list[_Tok], start: int, end: int) -> list[tuple[str, bool]]:
        """The atoms of one test: (engine|crawler|mobile, true-when-it-matches)."""
        expanded = self._expand(tokens, start, end)
        return _atoms(expanded)

    def _expand(self, tokens: list[_Tok], start: int, end: int) -> list[_Tok]:
        """A test's tokens with the script's variables replaced by what they were set to
        (``s`` → ``(document.referrer)``), three levels deep."""
        out: list[_Tok] = []

        def add(source: list[_Tok], a: int, b: int, depth: int) -> None:
            for k in range(a, min(b, len(source))):
                if len(out) > 4000:
                    return
                token = source[k]
                if token.kind == NAME and depth < 3 and not (
                        k >= 1 and source[k - 1].kind == PUNCT
                        and source[k - 1].value in (".", "?.")):
                    var = self.lookup(token.value, start)
                    if var is not None and var.end > var.start:
                        out.append(_OPEN)
                        add(var.tokens, var.start, var.end, depth + 1)
                        out.append(_CLOSE)
                        continue
                out.append(token)

        add(tokens, start, end, 0)
        return out


_OPEN = _Tok(PUNCT, "(", 0, 0)
_CLOSE = _Tok(PUNCT, ")", 0, 0)
_CONDITION_RANK = {"other": 0, "mobile": 1, "spider": 2, "not-spider": 3, "search-referrer": 4}
_ENGINES = ("baidu", "sogou", "so.com", "360", "haosou", "sm.cn", "shenma", "yisou", "google",
            "bing", "toutiao", "yahoo", "soso", "youdao", "quark", "uc.cn")
_CRAWLER_WORDS = ("spider", "bot", "crawl", "slurp", "yandex", "bytedance", "spyder")
_MOBILE_WORDS = ("android", "iphone", "ipad", "ipod", "mobile", "phone", "symbian",
                 "blackberry", "ucweb", "midp", "windows ce", "wap", "harmony",
                 "micromessenger", "opera mini", "webos", "nokia", "mqqbrowser")
_ATOM_METHODS = frozenset(("indexOf", "lastIndexOf", "test", "match", "search", "includes",
                           "exec", "startsWith"))
_NEGATIVE_OPERANDS = frozenset(("-1", "null", "false", "undefined"))


def _atoms(tokens: list[_Tok]) -> list[tuple[str, bool]]:
    """Find every ``subject.indexOf(word)``/``regex.test(subject)``-like test in ``tokens``
    and tell what it tests (a search-engine referrer, a crawler or mobile user agent) and
    whether the whole test is true when it matches (``== -1``, ``!``, ``!(...)`` invert)."""
    n = len(tokens)
    partner = [-1] * n
    enclosing = [-1] * n
    stack: list[int] = []
    for k, token in enumerate(tokens):
        enclosing[k] = stack[-1] if stack else -1
        if token.kind == PUNCT:
            if token.value in ("(", "[", "{"):
                stack.append(k)
            elif token.value in (")", "]", "}") and stack:
                partner[stack[-1]] = k
                partner[k] = stack.pop()
    atoms: list[tuple[str, bool]] = []
    for m in range(1, n - 1):
        token = tokens[m]
        if token.kind != NAME or token.value not in _ATOM_METHODS:
            continue
        if tokens[m - 1].value not in (".", "?.") or tokens[m + 1].value != "(":
            continue
        close = partner[m + 1] if partner[m + 1] > m else n - 1
        head = _subject_start(tokens, partner, m - 2)
        subject = tokens[head:m - 1]
        args = tokens[m + 2:close]
        if token.value in ("test", "exec"):
            words, target = subject, args
        else:
            words, target = args, subject
        words_text = "|".join(t.value.lower() if t.kind in (STR, TPL) else
                              t.value.lower() if t.kind == REGEX else "" for t in words)
        target_text = "".join(t.value for t in target if t.kind == NAME).lower()
        kind = _atom_kind(words_text, target_text)
        if kind is None:
            continue
        atoms.append((kind, not _negated(tokens, partner, enclosing, head, close)))
    return atoms


def _subject_start(tokens: list[_Tok], partner: list[int], j: int) -> int:
    for _ in range(64):
        if j < 0:
            return 0
        token = tokens[j]
        if token.kind == PUNCT and token.value in (")", "]"):
            opener = partner[j]
            if not 0 <= opener < j:
                return j + 1
            j = opener - 1
            if j >= 0 and tokens[j].kind == NAME:
                continue
            return opener
        if token.kind in (NAME, STR, TPL, REGEX):
            if j >= 1 and tokens[j - 1].value in (".", "?."):
                j -= 2
                continue
            return j
        return j + 1
    return max(j, 0)


def _atom_kind(words: str, target: str) -> str | None:
    referrer = "referrer" in target or "referer" in target
    agent = "useragent" in target or "appversion" in target
    crawler = any(word in words for word in _CRAWLER_WORDS)
    engine = any(word in words for word in _ENGINES)
    mobile = any(word in words for word in _MOBILE_WORDS)
    if referrer:
        return "engine" if engine else "referrer"
    if agent:
        if crawler or engine:
            return "crawler"
        return "mobile" if mobile else "agent"
    if crawler:
        return "crawler"
    if engine:
        return "engine"
    if mobile:
        return "mobile"
    return None


def _negated(tokens: list[_Tok], partner: list[int], enclosing: list[int], head: int,
             close: int) -> bool:
    negated = False
    after = close + 1
    n = len(tokens)
    if after < n and tokens[after].kind == PUNCT and tokens[after].value in (
            "==", "===", "!=", "!==", "<", "<=", ">", ">="):
        op = tokens[after].value
        operand = tokens[after + 1].value if after + 1 < n else ""
        if operand == "-" and after + 2 < n:
            operand = "-" + tokens[after + 2].value
        if op in ("==", "==="):
            negated = operand in _NEGATIVE_OPERANDS
        elif op in ("!=", "!=="):
            negated = operand == "true"
        elif op in ("<", "<="):
            negated = operand in ("0", "-1", "1") if op == "<" else operand in ("-1", "0")
    elif head >= 2 and tokens[head - 1].kind == PUNCT and tokens[head - 1].value in (
            "==", "===") and tokens[head - 2].value in ("1", "null", "false"):
        negated = True
    k = head - 1
    while k >= 0 and tokens[k].kind == PUNCT and tokens[k].value in ("!", "~"):
        if tokens[k].value == "!":
            negated = not negated
        k -= 1
    group = enclosing[head] if head < n else -1
    for _ in range(32):
        if group < 0:
            break
        if group >= 1 and tokens[group - 1].kind == PUNCT and tokens[group - 1].value == "!":
            negated = not negated
        group = enclosing[group]
    return negated


# --- helpers of the reader ----------------------------------------------------------------


def _location_path(names: list[str | None]) -> bool:
    """``location``, ``window.location.href``, ``top.location``, ``document.location``..."""
    if not names or any(name is None for name in names):
        return False
    if names[-1] == "href":
        names = names[:-1]
    if not names or names[-1] != "location":
        return False
    return all(name in _WINDOWISH or name == "document" for name in names[:-1])


def _document_path(names: list[str | None]) -> bool:
    return bool(names) and names[-1] == "document" \
        and all(name in _WINDOWISH for name in names[:-1])


def _window_path(names: list[str | None]) -> bool:
    return all(name in _WINDOWISH for name in names)


def _nav_method(segs: list[_Seg], call: str | None) -> str:
    names = [seg.name for seg in segs]
    at = names.index("location") if "location" in names else len(names)
    prefix = names[:at]
    if "top" in prefix:
        return "top.location"
    if "parent" in prefix:
        return "parent.location"
    if any(seg.bracket for seg in segs[at:]):
        return "location[...]"
    if call is not None:
        return "location." + call
    return "location.href" if names[-1] == "href" else "location"


def _css_name(name: str) -> str:
    return _CAMEL.sub(lambda m: "-" + m.group().lower(), name)


# --- the packer ---------------------------------------------------------------------------

_WORD = re.compile(r"\b\w+\b", re.ASCII)


def _unpack(payload: str, radix: int, keywords: list[str]) -> str | None:
    """Dean Edwards' packer undone the way its own decoder does it: word number ``c`` is
    written in base ``radix`` (digits 0-9a-zA-Z) and every such word of the payload stands
    for ``keywords[c]``; a word with an empty keyword stays as it is."""
    if not 2 <= radix <= 62:
        return None
    table: dict[str, str] = {}
    for number, keyword in enumerate(keywords[:MAX_LIST]):
        if keyword:
            table[_radix(number, radix) if radix <= 36 else _base62(number, radix)] = keyword
    lookup = table.get
    out: list[str] = []
    size = pos = 0
    for found in _WORD.finditer(payload):
        start, end = found.span()
        word = payload[start:end]
        piece = payload[pos:start] + lookup(word, word)
        out.append(piece)
        size += len(piece)
        pos = end
        if size > MAX_SCRIPT:
            return "".join(out)[:MAX_SCRIPT]
    out.append(payload[pos:])
    return "".join(out)[:MAX_SCRIPT]


def _base62(value: int, radix: int) -> str:
    """The packer's own encoder for radix 37-62: digits 0-9, a-z, then A-Z
    (``(c=c%a)>35 ? String.fromCharCode(c+29) : c.toString(36)``)."""
    digits = []
    while True:
        value, digit = divmod(value, radix)
        digits.append(_DIGITS[digit])
        if not value:
            return "".join(reversed(digits))


# --- judging written markup ---------------------------------------------------------------


def _css_hiding(css: str) -> str | None:
    """Why this CSS hides an element (``display:none``, ``off-screen``...), or None."""
    decls: dict[str, str] = {}
    for part in css.lower().split(";")[:200]:
        name, colon, value = part.partition(":")
        if colon:
            decls[name.strip()] = value.replace("!important", "").strip()
    if not decls:
        return None
    if decls.get("display") == "none":
        return "display:none"
    if decls.get("visibility") in ("hidden", "collapse"):
        return "visibility:hidden"
    opacity = _length(decls.get("opacity", ""))
    if opacity is not None and opacity <= 0.05:
        return "opacity:0"
    font = _length(decls.get("font-size", ""))
    if font is not None and font <= 1:
        return "font-size"
    indent = _length(decls.get("text-indent", ""))
    if indent is not None and indent <= -100:
        return "text-indent"
    if decls.get("position") in ("absolute", "fixed", "relative"):
        for side in ("left", "top", "right", "bottom"):
            offset = _length(decls.get(side, ""))
            if offset is not None and offset <= -300:
                return "off-screen"
    for side in ("margin-left", "margin-top"):
        offset = _length(decls.get(side, ""))
        if offset is not None and offset <= -500:
            return "off-screen"
    width = _length(decls.get("width", "")) if "width" in decls else None
    height = _length(decls.get("height", "")) if "height" in decls else None
    small = (width is not None and width <= 1) or (height is not None and height <= 1)
    if small and decls.get("overflow", "") in ("hidden", "clip"):
        return "zero-size"
    if width is not None and height is not None and width <= 1 and height <= 1:
        return "zero-size"
    clip = decls.get("clip", "").replace(" ", "").replace(",", "")
    if clip.startswith("rect(") and all(c in "01px()rect" for c in clip):
        return "clip"
    clip_path = decls.get("clip-path", "").replace(" ", "")
    if clip_path.startswith(("inset(50%", "inset(100%", "circle(0")):
        return "clip"
    transform = decls.get("transform", "").replace(" ", "")
    if transform in ("scale(0)", "scale(0,0)", "scale(0.0)"):
        return "scale(0)"
    return None


_LENGTH = re.compile(r"(-?\d*\.?\d+)\s*(px|pt|em|rem|%|vw|vh|in|cm|mm)?$")


def _length(value: str) -> float | None:
    found = _LENGTH.match(value.strip()[:40])
    if found is None:
        return None
    number = float(found.group(1))
    unit = found.group(2) or "px"
    if unit in ("em", "rem"):
        number *= 16
    elif unit == "pt":
        number *= 4 / 3
    elif unit in ("in", "cm", "mm"):
        number *= {"in": 96, "cm": 37.8, "mm": 3.78}[unit]
    return number


_TAG_NAME = re.compile(r"/?\s*([a-zA-Z][a-zA-Z0-9:-]*)")
_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_REFRESH = re.compile(r"""\s*(\d*\.?\d*)\s*[;,]?\s*(?:url\s*=\s*)?["']?\s*([^"'\s][^"']*)?""",
                      re.IGNORECASE)
_VOID = frozenset(("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr", "frame"))
#: What makes written markup content: links, frames and forms (and text). An image alone is
#: a counter's pixel, a script alone a loader (reported in ScriptReading.scripts).
_CONTENT_TAGS = frozenset(("a", "iframe", "frame", "form", "area"))
_RAW_TEXT = frozenset(("script", "style", "textarea", "title", "xmp"))


class _MarkupFacts(NamedTuple):
    content: int  # pieces of text, links, frames, images
    hidden: int  # of which hidden
    refreshes: list[tuple[float, str]]
    sources: list[str]  # <script src>
    inline: list[str]  # inline <script> bodies


def _attributes(text: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for found in _ATTRIBUTE.finditer(text[:4000]):
        name = found.group(1).lower()
        value = next((g for g in found.groups()[1:] if g is not None), "")
        attributes.setdefault(name, value)
    return attributes


def _style_rules(html: str) -> tuple[set[str], set[str]]:
    """Classes and ids that a ``<style>`` in the markup hides."""
    classes: set[str] = set()
    ids: set[str] = set()
    lower = html.lower()
    pos = 0
    for _ in range(50):
        start = lower.find("<style", pos)
        if start < 0:
            break
        body_start = lower.find(">", start)
        if body_start < 0:
            break
        end = lower.find("</style", body_start)
        end = len(html) if end < 0 else end
        css = html[body_start + 1:end]
        pos = end + 1
        selector_start = 0
        for _ in range(500):
            open_ = css.find("{", selector_start)
            if open_ < 0:
                break
            close = css.find("}", open_)
            close = len(css) if close < 0 else close
            if _css_hiding(css[open_ + 1:close]):
                for selector in css[selector_start:open_].split(","):
                    found = re.fullmatch(r"\s*[a-zA-Z0-9]*([.#])([\w-]+)\s*", selector)
                    if found:
                        (classes if found.group(1) == "." else ids).add(found.group(2))
            selector_start = close + 1
    return classes, ids


def _hidden_element(tag: str, attributes: dict[str, str], classes: set[str],
                    ids: set[str]) -> bool:
    if "hidden" in attributes:
        return True
    style = attributes.get("style")
    if style and _css_hiding(style):
        return True
    if attributes.get("id") in ids:
        return True
    if classes and any(name in classes for name in attributes.get("class", "").split()):
        return True
    width = _length(attributes.get("width", "x"))
    height = _length(attributes.get("height", "x"))
    return tag in _SIZED and (
        (width is not None and width <= 1 and (height is None or height <= 1))
        or (height is not None and height <= 0))


_SIZED = frozenset(("iframe", "frame", "marquee", "div", "img", "embed", "object", "table",
                    "span"))


def _markup_facts(html: str, hidden_ids: set[str], container_hidden: bool) -> _MarkupFacts:
    """Walk the markup's tags (no parser, no DOM): what content it carries and how much of
    it is hidden, the refreshes and scripts it holds."""
    classes, ids = _style_rules(html) if "<style" in html.lower() else (set(), set())
    ids |= hidden_ids
    lower = html.lower()
    stack: list[tuple[str, bool]] = []
    hidden_open = 1 if container_hidden else 0
    content = hidden = 0
    refreshes: list[tuple[float, str]] = []
    sources: list[str] = []
    inline: list[str] = []
    pos = 0
    size = len(html)
    for _ in range(MAX_TAGS):
        lt = html.find("<", pos)
        text = html[pos:lt if lt >= 0 else size]
        if text.strip():
            content += 1
            hidden += hidden_open > 0
        if lt < 0:
            break
        if html.startswith("<!--", lt):
            end = html.find("-->", lt + 4)
            pos = size if end < 0 else end + 3
            continue
        gt = html.find(">", lt)
        if gt < 0:
            break
        inner = html[lt + 1:gt]
        pos = gt + 1
        found = _TAG_NAME.match(inner)
        if found is None:
            if inner.strip():
                content += 1
                hidden += hidden_open > 0
            continue
        tag = found.group(1).lower()
        if inner.startswith("/"):
            for depth in range(1, min(len(stack), 64) + 1):
                if stack[-depth][0] == tag:
                    for _ in range(depth):
                        _, was_hidden = stack.pop()
                        hidden_open -= was_hidden
                    break
            continue
        attributes = _attributes(inner[found.end():])
        element_hidden = _hidden_element(tag, attributes, classes, ids)
        if tag in _RAW_TEXT:
            end = lower.find("</" + tag, pos)
            end = size if end < 0 else end
            body = html[pos:end]
            close = html.find(">", end)
            pos = size if close < 0 else close + 1
            if tag == "script":
                if attributes.get("src"):
                    sources.append(attributes["src"].strip())
                elif body.strip():
                    inline.append(body)
            elif tag in ("textarea", "xmp") and body.strip():
                content += 1
                hidden += hidden_open > 0 or element_hidden
            continue
        if tag == "meta" and attributes.get("http-equiv", "").strip().lower() == "refresh":
            refresh = _REFRESH.match(attributes.get("content", ""))
            if refresh and refresh.group(2):
                try:
                    delay = float(refresh.group(1)) if refresh.group(1) not in ("", ".") else 0.0
                except ValueError:
                    delay = 0.0
                refreshes.append((delay, refresh.group(2).strip()))
            continue
        if tag in _CONTENT_TAGS and (attributes.get("href") or attributes.get("src")
                                     or attributes.get("action") or attributes.get("data")):
            content += 1
            hidden += hidden_open > 0 or element_hidden
        if tag not in _VOID and not inner.rstrip().endswith("/"):
            stack.append((tag, element_hidden))
            hidden_open += element_hidden
    return _MarkupFacts(content, hidden, refreshes, sources, inline)


# --- assembling the reading ---------------------------------------------------------------


_TAG_START = re.compile(r"<[a-zA-Z!/]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _clean(text: str) -> str:
    """Text safe to hand on: surrogate pairs joined, lone surrogates and NULs replaced."""
    if _SURROGATES.search(text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if _CONTROLS.search(text):
        text = _CONTROLS.sub(" ", text)
    return text


def _read(code: str, depth: int, inherit: tuple[str, bool] | None,
          budget: _Budget) -> ScriptReading:
    findings = _Findings()
    reader = _Reader(code, findings, depth, None, inherit, (), budget)
    try:
        reader.scan()
        reader.finish()
    except _Exhausted:
        pass
    return _assemble(findings, depth, budget)


def _assemble(findings: _Findings, depth: int, budget: _Budget) -> ScriptReading:
    written: list[WrittenMarkup] = []
    navigations: list[Navigation] = []
    titles: list[TitleSwitch] = []
    scripts: list[str] = []
    techniques = set(findings.techniques)
    decoded = list(findings.decoded)
    sinks = sorted(findings.sinks, key=lambda item: item[0].order)

    styles: dict[str, list[str]] = {}
    for sink, _, _ in sinks:
        if sink.kind == "style" and sink.key:
            styles.setdefault(sink.key, []).append(sink.text)
    hidden_keys = {key for key, css in styles.items() if _css_hiding(";".join(css))}
    hidden_ids = {key[1:] for key in hidden_keys if key.startswith("#")}

    def add_navigation(item: Navigation) -> None:
        if item not in navigations and len(navigations) < MAX_ITEMS:
            navigations.append(item)

    # Consecutive document.write calls under one condition are one stream of markup.
    groups: list[tuple[list[_Sink], str, bool]] = []
    for sink, condition, delayed in sinks:
        if sink.kind == "write":
            if sink.partial and not _TAG_START.search(sink.text):
                continue  # text around run-time values (a date, a counter): only glue is known
            if sink.method.startswith("document.") and groups \
                    and groups[-1][0][-1].method.startswith("document.") \
                    and groups[-1][1] == condition:
                groups[-1][0].append(sink)
            else:
                groups.append(([sink], condition, delayed))
        elif sink.kind == "nav":
            techniques |= sink.techniques
            add_navigation(Navigation(_clean(sink.text), sink.method, condition, delayed,
                                      sink.known))
        elif sink.kind == "title":
            techniques |= sink.techniques
            switch = TitleSwitch(_clean(sink.text), condition)
            if switch not in titles and len(titles) < MAX_ITEMS:
                titles.append(switch)
        elif sink.kind == "script" and sink.text not in scripts and len(scripts) < MAX_ITEMS:
            scripts.append(_clean(sink.text))

    for group, condition, delayed in groups:
        html = _join("", [s.text + ("\n" if s.method == "document.writeln" else "")
                          for s in group])[:MAX_HTML]
        partial = any(s.partial for s in group)
        first = group[0]
        method = "document.writeln" if all(s.method == "document.writeln" for s in group) \
            else first.method
        facts = _markup_facts(html, hidden_ids, first.key in hidden_keys)
        for source in facts.sources:
            if source not in scripts and len(scripts) < MAX_ITEMS:
                scripts.append(_clean(source))
        for delay, target in facts.refreshes:
            add_navigation(Navigation(_clean(target), "meta-written", condition,
                                      delayed or delay > 0))
        report = facts.content > 0 and not (partial and not _TAG_START.search(html))
        if report or facts.refreshes:
            for sink in group:
                techniques |= sink.techniques
        if report and len(written) < MAX_ITEMS:
            all_hidden = facts.hidden >= facts.content
            written.append(WrittenMarkup(_clean(html), method, all_hidden, condition))
            if sum(len(part) for part in decoded) < MAX_DECODED:
                decoded.append(html)
        if depth + 1 < MAX_DEPTH:
            for body in facts.inline[:8]:
                inner = _read(body[:MAX_SCRIPT], depth + 1, (condition, delayed), budget)
                for item in inner.written:
                    if len(written) < MAX_ITEMS:
                        written.append(item)
                for nav in inner.navigations:
                    add_navigation(nav)
                for switch in inner.title_switches:
                    if switch not in titles and len(titles) < MAX_ITEMS:
                        titles.append(switch)
                for source in inner.scripts:
                    if source not in scripts and len(scripts) < MAX_ITEMS:
                        scripts.append(source)
                techniques.update(inner.techniques)
                if sum(len(part) for part in decoded) < MAX_DECODED:
                    decoded.append(inner.decoded)

    text = "\n".join(part for part in decoded if part)[:MAX_DECODED]
    return ScriptReading(tuple(written), tuple(navigations), tuple(titles),
                         tuple(t for t in TECHNIQUES if t in techniques), _clean(text),
                         tuple(scripts))
