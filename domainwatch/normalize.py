"""Page text made comparable before the illicit-content lexicon looks for words in it.

Black-hat SEO writes its words so that a plain search misses them: in traditional
characters (澳門 for 澳门), in full-width forms (ｂｅｔ３６５), spaced out or with a mark between
every character (百 家 乐, 百*家*乐), with invisible characters inside (zero-width spaces, soft
hyphens). :func:`normalize_text` undoes each of these, in this order:

1. invisible characters removed (zero-width space, joiners and non-joiners, word joiner,
   byte-order mark, soft hyphen);
2. Unicode NFKC: full-width letters, digits and punctuation become ASCII, compatibility
   forms (circled digits, ideographic variants) their plain form;
3. traditional Chinese converted to simplified with OpenCC's ``t2s`` configuration
   (phrase-aware: 乾隆 stays 乾隆) — only when the text holds a character that the
   conversion changes, which most government pages never do;
4. spaced-out runs joined: Chinese characters separated by one to three spaces or marks
   (``*·|-_.`` and the like) where at least one character stands alone between two
   separators (百 家 乐, 真人百*家*乐), and four or more single ASCII letters and digits so
   separated, lose the separators. Ordinary text is left alone: its words are longer than
   one character between separators.

ASCII case is not changed here: what compares folds it (:func:`fold_ascii`: the lexicon's
finder, the placeholder signatures' conditions). HTML entities are already undone by the HTML
parser. The result is for looking words up only; positions in it do not map back to the
page.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata

import opencc

_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SEPARATOR = r"[ \t\u3000·•∙*|/\\_\-.,，、~^+]"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACED_CJK = re.compile(
    rf"[{_CJK}](?:{_SEPARATOR}{{1,3}}[{_CJK}](?![{_CJK}]))+{_SEPARATOR}{{1,3}}[{_CJK}]")
_SPACED_ASCII = re.compile(
    rf"(?<![A-Za-z0-9])[A-Za-z0-9](?:{_SEPARATOR}{{1,3}}[A-Za-z0-9](?![A-Za-z0-9])){{3,}}")
_SEPARATORS = re.compile(_SEPARATOR)
# Cheap tests that come first: a single character between two separators.
_SINGLE_CJK = re.compile(rf"{_SEPARATOR}[{_CJK}]{_SEPARATOR}")
_SINGLE_ASCII = re.compile(rf"{_SEPARATOR}[A-Za-z0-9]{_SEPARATOR}")
_FULL_WIDTH = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u2460-\u24ff]")
_SINGLE = re.compile(rf"{_SEPARATOR}[{_CJK}A-Za-z0-9]{_SEPARATOR}")
_ASCII_LOWER = bytes.maketrans(string.ascii_uppercase.encode(), string.ascii_lowercase.encode())


@functools.lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=1)
def _traditional() -> re.Pattern[str]:
    """A character class of every CJK character that ``t2s`` changes on its own."""
    converter = _converter()
    block = "".join(chr(code) for code in range(0x3400, 0xA000))
    converted = converter.convert(block)
    if len(converted) != len(block):  # never seen: t2s maps characters one to one
        changed = [char for char in block if converter.convert(char) != char]
    else:
        changed = [old for old, new in zip(block, converted, strict=True) if old != new]
    return re.compile("[" + "".join(changed) + "]")


def to_simplified(text: str) -> str:
    """``text`` in simplified characters (unchanged when it holds no traditional one)."""
    if text.isascii() or not _traditional().search(text):
        return text
    return _converter().convert(text)


def _join(found: re.Match[str]) -> str:
    return _SEPARATORS.sub("", found.group(0))


@functools.lru_cache(maxsize=1)
def _special() -> re.Pattern[str]:
    """Any character a step below would change (one character class: as fast a search as
    one; most pages hold none)."""
    return re.compile("[" + _INVISIBLE.pattern[1:-1] + _FULL_WIDTH.pattern[1:-1]
                      + _traditional().pattern[1:-1] + "]")


def normalize_text(text: str) -> str:
    """``text`` as the lexicon reads it (see the module's docstring)."""
    if not text or not (_special().search(text) or _SINGLE.search(text)):
        return text
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
        # Only letters, digits and enclosed forms matter: Chinese punctuation (，：) is
        # full-width too, and normalising every page for it would cost more than the rest.
        if _FULL_WIDTH.search(text):
            text = unicodedata.normalize("NFKC", text)
        text = to_simplified(text)
        if _SINGLE_CJK.search(text):
            text = _SPACED_CJK.sub(_join, text)
    if _SINGLE_ASCII.search(text):
        text = _SPACED_ASCII.sub(_join, text)
    return text


def fold_ascii(text: str) -> str:
    """``text`` with ASCII capitals made small; nothing else changes, not even the length.
    (Through UTF-8 bytes, where only ASCII characters are single bytes: ``str.translate``
    takes ten times as long on Chinese text.)"""
    if text.isascii():
        return text.lower()
    return text.encode("utf-8", "surrogatepass").translate(_ASCII_LOWER).decode(
        "utf-8", "surrogatepass")


def has_ascii_letter(text: str) -> bool:
    """Whether ``text`` holds an ASCII letter: a phrase that does is found in a page's text
    only once both are folded (:func:`fold_ascii`)."""
    return any(char in string.ascii_letters for char in text)
