"""The illicit-content lexicon (``hijacked.content``): how illicit a page's words make it look.

The scoring is pure: a page's text by zone in, a score out. Its vocabulary is a data file,
validated when it is loaded, with errors that name the entry and the problem.

Hijacked government sites carry gambling, private-lottery, pornography, private game
server, fake certificate, black-hat SEO and similar content. It replaces the page, is
written into its title, keywords and description (often as HTML entities, in traditional
characters, spaced out or in full-width forms), injected as hidden or visible blocks of
text and links, or written by a script. The vocabulary is data
(``domainwatch/data/illicit-lexicon.json``):

``sources``
    where the vocabulary was learnt, each with its licence.
``categories``
    id → ``{"zh": ..., "en": ...}`` labels.
``terms``
    ``{"term": "百家乐", "category": "gambling", "weight": 9}``, an optional ``note`` and
    ``source``. The weight runs from 1 to 10. 1 is ambiguous and ordinary on a government
    site (彩票, 投注). 2-3 is enforcement vocabulary (赌博网站 in 严厉打击赌博网站). 4-7 is
    suspicious but possible in news. 8-10 is found on a government page only when it is
    hijacked.
``word_lists`` and ``patterns``
    how the vocabulary generalises beyond a fixed list: a pattern holds where a word of its
    list ``first`` is followed, after at most ``within`` characters, by a word of its list
    ``then`` (a lottery game and 走势图/开奖/计划, a betting brand and 官网/登录/下载, a
    football league and 投注/买球/外围). It earns points as a term of its weight, counted per
    zone however many different pairs matched; the evidence shows the first pair.
``neutral``
    ordinary words that contain a term (娱乐场所 contains 娱乐场): the term inside them is
    not counted.
``mitigators``
    regulation and enforcement vocabulary (通知, 管理办法, 严厉打击, 专项行动).
``contexts``
    what real government pages are about where the tempting words are ordinary: an
    official lottery centre (its legal games, 开奖公告), anti-gambling and anti-fraud news,
    health (性病, 艾滋病 防治), Macao economic statistics (博彩业). Each names phrases, the
    categories it protects and the highest weight it protects.
``host_terms``
    tokens that, inside a label of a host name, say what the host serves (``xpj``: 新葡京
    in pinyin initials); they judge blocks of links by where they point.
``thresholds``
    ``flag``: the score from which a page is flagged; ``mitigable_weight``: the highest
    weight that counts as *weak*.

Every text is first made comparable (:func:`domainwatch.normalize.normalize_text`:
invisible characters removed, full-width forms folded, traditional characters made
simplified, spaced-out runs joined), so the lexicon is written in simplified characters
and half-width forms, and the loader refuses a phrase written otherwise. Terms (with the
neutral phrases) are found in one pass over the page, the words of the lists in another,
mitigators and contexts in a third, ignoring the case of ASCII letters. Matches are
leftmost-longest and never overlap, so 福利彩票 is not also counted as 彩票. A phrase that
begins with a Latin letter or digit counts only at the start of a word ("bwin" is not found
in "xbwin"), but may end inside one, so "casino" also matches "casinos".

The score. A page is read in zones, each with its factor ``Z`` (:data:`ZONE_FACTORS`): the
title 4 (with any title a script switches to), meta keywords and description 3, headings
2, link texts and ``alt``/``title`` attributes 1.5, hidden text 2 and text a script writes
2 (hiding or writing text is itself a sign of compromise), the rest of the visible text 1.
A term or pattern of weight ``w`` found ``n`` times in one zone earns::

    points = w × Z × √min(n, 5)

Weak terms (``w`` ≤ ``mitigable_weight``) earn a fifth of that when the page's visible
title or text holds a mitigator. Strong terms are never mitigated: whoever hijacks a page
can write 公告 on it as well. A context found in the visible title or text makes the terms
and patterns of its categories up to its ``max_weight`` earn a fifth in the prose
(headings, links, attributes, text), and in the title when the title holds the context's
phrase itself (a headline quoting a lure); never in the keywords and description, where
title hijacks write, nor in hidden or script-written text. Together, weak and
context-discounted terms add at most half of ``flag``: a page that only quotes them, in
news of a crackdown say, is never flagged for it. ::

    score = Σ points of the other terms + min(Σ points of weak and discounted, flag / 2)
    flagged = score ≥ flag

With the packaged thresholds (flag 30, weak up to 3), this means:

* a term of weight 8 or more in the title flags the page on its own (8 × 4 = 32), and one
  of weight 10 in the keywords or description (10 × 3 = 30);
* no single term in the text does (10 × √5 ≈ 22.4): it takes several;
* in hidden text, two terms of weight 8 or more flag the page (2 × 8 × 2 = 32), and so does
  one repeated (9 × 2 × √3 ≈ 31.2);
* weak words never do, however many there are.

The score is also split by category (weak terms' points scaled down as the cap scales
them), and the category with the largest share names what the page is about.

Size: one vocabulary and the one pass that reads a page with it. The loader builds, from the
validated entries, the phrase finders (:class:`_Phrases`) that :func:`score_zones` runs;
the entries' rules, the finder's matching rules and the formula are written for each other.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from domainwatch.datafiles import CONTROL_CHARACTER, DATA_DIR, ENTRY_ID, read_json
from domainwatch.normalize import fold_ascii, has_ascii_letter, normalize_text

LEXICON_FILE = DATA_DIR / "illicit-lexicon.json"

#: Where on a page a word was found, and what it counts for there.
ZONE_FACTORS = {"title": 4.0, "meta": 3.0, "headings": 2.0, "links": 1.5, "attributes": 1.5,
                "hidden": 2.0, "script": 2.0, "text": 1.0}
#: The zones a visitor reads: mitigators and contexts count only there.
VISIBLE_ZONES = frozenset({"title", "headings", "links", "text"})
#: The zones a context protects: the prose a visitor reads. Not the title, keywords and
#: description (where title hijacks write), nor what is hidden or written by a script.
CONTEXT_ZONES = frozenset({"headings", "links", "attributes", "text"})
MAX_WITHIN = 20
COUNT_CAP = 5
MITIGATION_FACTOR = 0.2
MIN_WEIGHT, MAX_WEIGHT = 1, 10

_LEXICON_KEYS = {"about", "sources", "categories", "terms", "neutral", "mitigators",
                 "thresholds", "word_lists", "patterns", "contexts", "host_terms"}
_LEXICON_REQUIRED = {"categories", "terms", "mitigators", "thresholds"}
_TERM_KEYS = {"term", "category", "weight", "note", "source"}
_PATTERN_KEYS = {"id", "category", "weight", "first", "then", "within", "note", "example",
                 "source"}
_CONTEXT_KEYS = {"id", "about", "phrases", "categories", "max_weight", "source"}
_HOST_TERM = re.compile(r"^[a-z0-9][a-z0-9-]{2,}$")
_THRESHOLD_KEYS = {"flag", "mitigable_weight"}
_CATEGORY_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class LexiconDataError(ValueError):
    """The illicit-content lexicon is unreadable or an entry is malformed."""


# --- finding many phrases at once -------------------------------------------------------

_CHUNK = 16_384  # characters per numpy pass: its 32-bit arrays stay at 64 KiB
_HASH_BITS = 16
_MIX = 0x9E3779B1  # odd 32-bit multipliers (golden ratio; murmur3's finaliser)
_SLOT = 0x85EBCA6B
_U32 = 0xFFFFFFFF


def _mix(key: int, char: str) -> int:
    """One more character into a 32-bit key, as :meth:`_Phrases.finditer` does it."""
    return (key * _MIX + ord(char)) & _U32


def _begins_word(phrase: str) -> bool:
    """Whether ``phrase`` counts only where a word begins: it starts with an ASCII letter or
    digit."""
    return _is_word_char(phrase[0])


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _lead_key(phrase: str) -> int:
    """The first two characters as a key; three for a phrase that begins a word."""
    key = _mix(ord(phrase[0]), phrase[1])
    return _mix(key, phrase[2]) if _begins_word(phrase) else key


def _quad_key(phrase: str) -> int:
    """The first four characters as a key."""
    return _mix(_mix(_mix(ord(phrase[0]), phrase[1]), phrase[2]), phrase[3])


def _slots(keys: np.ndarray) -> np.ndarray:
    """Multiplicative hashing of 32-bit keys into the table (the product wraps by design)."""
    return (keys * np.uint32(_SLOT)) >> np.uint32(32 - _HASH_BITS)


def _table(keys: Iterable[int]) -> np.ndarray:
    table = np.zeros(1 << _HASH_BITS, dtype=bool)
    table[_slots(np.fromiter(keys, dtype=np.uint32))] = True
    return table


class _Phrases:
    """Many phrases found in one pass over a text: leftmost-longest and without overlaps, as
    a regular expression of all of them, longest first, would find them. ASCII letters are
    folded to lower case, nothing else. A phrase that begins with an ASCII letter or digit
    counts only where a word begins (not right after another ASCII letter or digit).

    Only positions that begin like some phrase are compared in Python. numpy picks them,
    16 K characters at a time, in two steps, each a lookup of 32-bit keys in a 64 K-entry
    hash table: every position whose first two characters begin a phrase (three at a word
    start, for phrases that begin a word), then, of those, the ones whose first four
    characters begin a phrase of four or more, or whose lead begins a shorter phrase. Keys
    may collide; that only costs a comparison. A regular expression of the same phrases
    (one alternation, over the lower-cased text) took four times as long on 15 000
    characters of a Chinese portal page and twenty-five times as long on English text, where
    nearly every letter could begin an alternative.
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        options: dict[int, list[str]] = {}
        for phrase in phrases:
            options.setdefault(_lead_key(phrase), []).append(phrase)
        self._options = {
            key: tuple((p, len(p), has_ascii_letter(p), _begins_word(p))
                       for p in sorted(group, key=len, reverse=True))
            for key, group in options.items()
        }
        every = [p for group in options.values() for p in group]
        self._leads = _table(self._options)
        self._short_leads = _table(_lead_key(p) for p in every if len(p) < 4)
        self._quads = _table(_quad_key(p) for p in every if len(p) >= 4)

    def finditer(self, text: str) -> Iterator[tuple[int, str]]:
        """``(position, phrase)`` of every phrase found in ``text``, left to right."""
        if len(text) < 2 or not self._options:
            return
        # A NUL before (no word goes on across it) and three after, so that the four
        # characters from every position exist.
        codes = np.frombuffer(f"\x00{text}\x00\x00\x00".encode("utf-32-le", "surrogatepass"),
                              dtype=np.uint32)
        end = 0
        for begin in range(0, len(text), _CHUNK):
            positions, keys = self._candidates(codes[begin:begin + _CHUNK + 4])
            for position, key in zip((positions + begin).tolist(), keys.tolist(), strict=True):
                if position < end:
                    continue
                for phrase, length, cased, begins in self._options.get(key, ()):
                    if begins and position and _is_word_char(text[position - 1]):
                        continue  # keys may collide: make sure a word begins here
                    if text.startswith(phrase, position) or (
                            cased and not (piece := text[position:position + length]).islower()
                            and fold_ascii(piece) == phrase):
                        yield position, phrase
                        end = position + length
                        break

    def finditer_groups(self, text: str, groups: Mapping[str, int]
                        ) -> Iterator[tuple[int, int, str]]:
        """``(group, position, phrase)`` for each of two groups of the phrases (``groups``
        maps a phrase to a bit mask: 1, 2 or both), each found leftmost-longest and
        without overlaps within its group, as two :meth:`finditer` over each group's
        phrases would find them, in one pass."""
        if len(text) < 2 or not self._options:
            return
        codes = np.frombuffer(f"\x00{text}\x00\x00\x00".encode("utf-32-le", "surrogatepass"),
                              dtype=np.uint32)
        ends = [0, 0]
        for begin in range(0, len(text), _CHUNK):
            positions, keys = self._candidates(codes[begin:begin + _CHUNK + 4])
            for position, key in zip((positions + begin).tolist(), keys.tolist(), strict=True):
                open_groups = (position >= ends[0]) | (position >= ends[1]) << 1
                if not open_groups:
                    continue
                for phrase, length, cased, begins in self._options.get(key, ()):
                    if begins and position and _is_word_char(text[position - 1]):
                        continue
                    if not (text.startswith(phrase, position) or (
                            cased and not (piece := text[position:position + length]).islower()
                            and fold_ascii(piece) == phrase)):
                        continue
                    taken = groups[phrase] & open_groups
                    for group in (0, 1):
                        if taken >> group & 1:
                            yield group, position, phrase
                            ends[group] = position + length
                    open_groups &= ~taken
                    if not open_groups:
                        break

    def _candidates(self, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions (from 0 = the window's second code) worth comparing, and their lead keys.
        ``window`` holds the code before the chunk, the chunk and three codes after it."""
        # Fold A-Z (unsigned arithmetic: anything below "A" wraps around to a huge number).
        codes = window + ((window - np.uint32(65)) < 26) * np.uint32(32)
        size = len(codes) - 4
        first, second = codes[1:size + 1], codes[2:size + 2]
        pairs = first * np.uint32(_MIX) + second
        positions = np.flatnonzero(self._leads[_slots(pairs)])
        keys = pairs[positions]
        word = ((codes[:size + 1] - np.uint32(48)) < 10) | ((codes[:size + 1] - np.uint32(97)) < 26)
        at_starts = np.flatnonzero(word[1:] & ~word[:-1])
        triples = pairs[at_starts] * np.uint32(_MIX) + codes[at_starts + 3]
        hits = self._leads[_slots(triples)]
        if hits.any():
            positions = np.concatenate((positions, at_starts[hits]))
            keys = np.concatenate((keys, triples[hits]))
            order = np.argsort(positions, kind="stable")
            positions, keys = positions[order], keys[order]
        if len(positions):
            triples = pairs[positions] * np.uint32(_MIX) + codes[positions + 3]
            quads = triples * np.uint32(_MIX) + codes[positions + 4]
            keep = self._quads[_slots(quads)] | self._short_leads[_slots(keys)]
            positions, keys = positions[keep], keys[keep]
        return positions, keys


# --- the illicit-content lexicon --------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """A kind of illicit content, with its Chinese and English labels."""

    id: str
    zh: str
    en: str


@dataclass(frozen=True)
class Term:
    """A word of illicit content, as written in the lexicon."""

    term: str
    category: str
    weight: int
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class Pattern:
    """A word of list ``first`` followed, after at most ``within`` characters, by a word of
    list ``then``: 幸运飞艇 + 计划, 皇冠 + 登录, 世界杯 + 买球."""

    id: str
    category: str
    weight: int
    first: str
    then: str
    within: int
    note: str = ""
    example: str = ""


@dataclass(frozen=True)
class Context:
    """Phrases that show what a real government page is about (an official lottery centre,
    anti-gambling news, health, Macao statistics): where one is in the visible text, terms
    and patterns of ``categories`` up to ``max_weight`` count for a fifth."""

    id: str
    phrases: tuple[str, ...]
    categories: frozenset[str]
    max_weight: int
    about: str = ""


@dataclass(frozen=True)
class HostTerm:
    """A token that, inside a host name's label, says what the host serves (``xpj``)."""

    term: str
    category: str
    weight: int
    note: str = ""


@dataclass(frozen=True)
class PatternHit:
    """A pattern found: its id and the text it matched (``幸运飞艇计划``)."""

    pattern: Pattern
    text: str


@dataclass(frozen=True, eq=False)
class Lexicon:
    """The validated lexicon. ``terms`` is keyed by the folded term; ``flag`` and
    ``mitigable_weight`` are the thresholds."""

    categories: dict[str, Category]
    terms: dict[str, Term]
    neutral: tuple[str, ...]
    mitigators: tuple[str, ...]
    flag: float
    mitigable_weight: int
    _term_finder: _Phrases = field(repr=False)
    _mitigator_finder: _Phrases = field(repr=False)
    _mitigator_names: dict[str, str] = field(repr=False)
    word_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    patterns: tuple[Pattern, ...] = ()
    contexts: tuple[Context, ...] = ()
    host_terms: tuple[HostTerm, ...] = ()
    sources: tuple[dict[str, str], ...] = ()
    _list_finder: _Phrases | None = field(default=None, repr=False)
    _list_membership: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _context_finder: _Phrases | None = field(default=None, repr=False)
    # terms and neutral phrases (bit 1) and the words of the lists (bit 2), in one pass
    _page_finder: _Phrases | None = field(default=None, repr=False)
    _page_groups: dict[str, int] = field(default_factory=dict, repr=False)
    _context_of: dict[str, str] = field(default_factory=dict, repr=False)

    def find_terms(self, text: str) -> Iterator[tuple[int, str]]:
        """``(position, key)`` of every term in ``text``: ``key`` is the folded term, the key of
        :attr:`terms`. Neutral phrases swallow the terms inside them."""
        terms = self.terms
        return ((position, phrase) for position, phrase in self._term_finder.finditer(text)
                if phrase in terms)

    def find_mitigators(self, text: str, limit: int = 5) -> tuple[str, ...]:
        """The first ``limit`` different mitigators in ``text``, as written in the lexicon."""
        found: dict[str, None] = {}
        for _, phrase in self._mitigator_finder.finditer(text):
            found[self._mitigator_names[phrase]] = None
            if len(found) >= limit:
                break
        return tuple(found)

    def find_neutral(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` of every neutral phrase in ``text``."""
        terms = self.terms
        return [(position, position + len(phrase))
                for position, phrase in self._term_finder.finditer(text)
                if phrase not in terms]

    def find_patterns(self, text: str, neutral: list[tuple[int, int]] | None = None,
                      words: list[tuple[int, str]] | None = None
                      ) -> Iterator[tuple[int, PatternHit]]:
        """``(position, hit)`` of every pattern in ``text``. Words of the lists are found
        leftmost-longest (or given, as ``words``), and not inside a ``neutral`` span
        (世界杯买球票 is no 买球); a pattern never spans a NUL (the boundary between two
        zones)."""
        if not self.patterns or self._list_finder is None:
            return
        if words is None:
            words = list(self._list_finder.finditer(text))
        if neutral and words:
            starts = [start for start, _ in neutral]
            words = [(position, word) for position, word in words
                     if not _inside(position, len(word), starts, neutral)]
        if len(words) < 2:
            return
        membership = self._list_membership
        for index, (position, word) in enumerate(words):
            lists = membership[word]
            end = position + len(word)
            for pattern in self.patterns:
                if pattern.first not in lists:
                    continue
                for following in range(index + 1, len(words)):
                    later, other = words[following]
                    if later - end > pattern.within:
                        break
                    if later >= end and pattern.then in membership[other] \
                            and "\x00" not in text[end:later]:
                        yield position, PatternHit(pattern, text[position:later + len(other)])
                        break

    def find_contexts(self, text: str) -> tuple[Context, ...]:
        """The contexts one of whose phrases is in ``text``."""
        if self._context_finder is None:
            return ()
        found = {self._context_of[phrase] for _, phrase in self._context_finder.finditer(text)}
        return tuple(context for context in self.contexts if context.id in found)

    def host_signals(self, host: str) -> tuple[HostTerm, ...]:
        """The host terms inside one of ``host``'s labels (the registrable part and below;
        a public suffix such as ``com`` says nothing)."""
        labels = host.lower().rstrip(".").split(".")[:-1]
        return tuple(term for term in self.host_terms
                     if any(term.term in label for label in labels))


def _inside(position: int, length: int, starts: list[int],
            spans: list[tuple[int, int]]) -> bool:
    index = bisect.bisect_right(starts, position) - 1
    return index >= 0 and spans[index][1] >= position + length


def load_lexicon(path: Path | None = None) -> Lexicon:
    """Read and validate the lexicon (default: the packaged illicit-lexicon.json)."""
    source = path or LEXICON_FILE
    data = read_json(source, LexiconDataError)
    try:
        return _lexicon(data)
    except LexiconDataError as exc:
        raise LexiconDataError(f"{source.name}: {exc}") from None


def _lexicon(data: object) -> Lexicon:
    if not isinstance(data, dict):
        raise LexiconDataError("must be a JSON object")
    unknown = sorted(set(data) - _LEXICON_KEYS)
    if unknown:
        raise LexiconDataError(f"unknown keys {', '.join(unknown)}")
    missing = sorted(_LEXICON_REQUIRED - set(data))
    if missing:
        raise LexiconDataError(f"missing {', '.join(missing)}")
    if "about" in data and not isinstance(data["about"], str):
        raise LexiconDataError("about must be a string")
    sources = _sources(data.get("sources", []))
    categories = _categories(data["categories"])
    flag, mitigable = _thresholds(data["thresholds"])
    raw_terms = data["terms"]
    if not isinstance(raw_terms, list) or not raw_terms:
        raise LexiconDataError("terms must be a non-empty list")
    terms: dict[str, Term] = {}
    first: dict[str, int] = {}
    for index, entry in enumerate(raw_terms, start=1):
        label = f"terms: entry {index}"
        if isinstance(entry, dict) and isinstance(entry.get("term"), str):
            label += f" ({entry['term']})"
        try:
            term = _term(entry, categories, sources)
        except LexiconDataError as exc:
            raise LexiconDataError(f"{label}: {exc}") from None
        key = fold_ascii(term.term)
        if key in terms:
            raise LexiconDataError(f"{label}: duplicate of entry {first[key]}")
        terms[key] = term
        first[key] = index
    neutral = _phrase_list(data.get("neutral", []), "neutral")
    for index, phrase in enumerate(neutral, start=1):
        folded = fold_ascii(phrase)
        if folded in terms:
            raise LexiconDataError(f"neutral: entry {index} ({phrase}): is itself a term")
        if not any(term in folded for term in terms):
            raise LexiconDataError(f"neutral: entry {index} ({phrase}): contains no term")
    mitigators = _phrase_list(data["mitigators"], "mitigators")
    if not mitigators:
        raise LexiconDataError("mitigators must not be empty")
    word_lists = _word_lists(data.get("word_lists", {}), sources)
    patterns = _patterns(data.get("patterns", []), categories, word_lists, sources)
    contexts = _contexts(data.get("contexts", []), categories, sources)
    host_terms = _host_terms(data.get("host_terms", []), categories, sources)
    used = {name for pattern in patterns for name in (pattern.first, pattern.then)}
    membership: dict[str, set[str]] = {}
    for name in used:
        for word in word_lists[name]:
            membership.setdefault(fold_ascii(word), set()).add(name)
    context_of = {fold_ascii(phrase): context.id for context in reversed(contexts)
                  for phrase in context.phrases}
    page_groups = {phrase: 1 for phrase in [*terms, *(fold_ascii(p) for p in neutral)]}
    for word in membership:
        page_groups[word] = page_groups.get(word, 0) | 2
    return Lexicon(
        categories=categories, terms=terms, neutral=tuple(neutral),
        mitigators=tuple(mitigators), flag=flag, mitigable_weight=mitigable,
        _term_finder=_Phrases([*terms, *(fold_ascii(p) for p in neutral)]),
        _mitigator_finder=_Phrases(fold_ascii(p) for p in mitigators),
        _mitigator_names={fold_ascii(p): p for p in mitigators},
        word_lists=word_lists, patterns=patterns, contexts=contexts, host_terms=host_terms,
        sources=sources,
        _list_finder=_Phrases(membership) if membership else None,
        _list_membership={word: frozenset(lists) for word, lists in membership.items()},
        _context_finder=_Phrases(context_of) if context_of else None,
        _context_of=context_of,
        _page_finder=_Phrases(page_groups), _page_groups=page_groups,
    )


def _sources(value: object) -> tuple[dict[str, str], ...]:
    if not isinstance(value, list):
        raise LexiconDataError("sources must be a list")
    sources: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, entry in enumerate(value, start=1):
        where = f"sources: entry {index}"
        if not isinstance(entry, dict) or not all(
                isinstance(entry.get(key), str) and entry[key].strip()
                for key in ("id", "title", "licence")):
            raise LexiconDataError(f"{where}: needs id, title and licence (strings)")
        if not all(isinstance(item, str) for item in entry.values()):
            raise LexiconDataError(f"{where}: every value must be a string")
        if entry["id"] in seen:
            raise LexiconDataError(f"{where}: id {entry['id']!r} used twice")
        seen.add(entry["id"])
        sources.append(dict(entry))
    return tuple(sources)


def _categories(value: object) -> dict[str, Category]:
    if not isinstance(value, dict) or not value:
        raise LexiconDataError("categories must be a non-empty object")
    categories: dict[str, Category] = {}
    for name, labels in value.items():
        where = f"categories: {name}"
        if not _CATEGORY_ID.match(name):
            raise LexiconDataError(f"{where}: an id is lower-case letters, digits and _")
        if not isinstance(labels, dict) or set(labels) != {"zh", "en"} or not all(
                isinstance(v, str) and v.strip() for v in labels.values()):
            raise LexiconDataError(f'{where}: must be {{"zh": "...", "en": "..."}}')
        categories[name] = Category(name, labels["zh"], labels["en"])
    return categories


def _thresholds(value: object) -> tuple[float, int]:
    if not isinstance(value, dict):
        raise LexiconDataError("thresholds must be an object")
    unknown = sorted(set(value) - _THRESHOLD_KEYS)
    if unknown:
        raise LexiconDataError(f"thresholds: unknown keys {', '.join(unknown)}")
    missing = sorted(_THRESHOLD_KEYS - set(value))
    if missing:
        raise LexiconDataError(f"thresholds: missing {', '.join(missing)}")
    flag, mitigable = value["flag"], value["mitigable_weight"]
    if isinstance(flag, bool) or not isinstance(flag, int | float) or not flag > 0:
        raise LexiconDataError("thresholds: flag must be a positive number")
    if (isinstance(mitigable, bool) or not isinstance(mitigable, int)
            or not 0 <= mitigable < MAX_WEIGHT):
        raise LexiconDataError(f"thresholds: mitigable_weight must be a whole number from 0 "
                               f"to {MAX_WEIGHT - 1}")
    return float(flag), mitigable


def _weight(value: object) -> int:
    if (isinstance(value, bool) or not isinstance(value, int)
            or not MIN_WEIGHT <= value <= MAX_WEIGHT):
        raise LexiconDataError(f"weight {value!r} is not a whole number from {MIN_WEIGHT} "
                               f"to {MAX_WEIGHT}")
    return value


def _keys(entry: object, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise LexiconDataError("must be an object")
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise LexiconDataError(f"unknown keys {', '.join(unknown)}")
    missing = sorted(required - set(entry))
    if missing:
        raise LexiconDataError(f"missing {', '.join(missing)}")
    for key in ("note", "example", "about", "source"):
        if key in entry and not isinstance(entry[key], str):
            raise LexiconDataError(f"{key} must be a string")
    return entry


def _category(entry: dict[str, Any], categories: dict[str, Category]) -> str:
    if entry["category"] not in categories:
        raise LexiconDataError(f"unknown category {entry['category']!r} (one of "
                               f"{', '.join(categories)})")
    return str(entry["category"])


def _term(entry: object, categories: dict[str, Category],
          sources: tuple[dict[str, str], ...] = ()) -> Term:
    entry = _keys(entry, _TERM_KEYS, {"term", "category", "weight"})
    _check_phrase(entry["term"])
    category = _category(entry, categories)
    weight = _weight(entry["weight"])
    return Term(entry["term"], category, weight, entry.get("note", ""),
                _source(entry, sources))


def _source(entry: dict[str, Any], sources: tuple[dict[str, str], ...]) -> str:
    source = entry.get("source", "")
    if source and source not in {item["id"] for item in sources}:
        raise LexiconDataError(f"source {source!r} is not in sources")
    return str(source)


def _word_lists(value: object, sources: tuple[dict[str, str], ...] = ()
                ) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise LexiconDataError("word_lists must be an object")
    lists: dict[str, tuple[str, ...]] = {}
    for name, entry in value.items():
        where = f"word_lists: {name}"
        if not _CATEGORY_ID.match(name):
            raise LexiconDataError(f"{where}: a name is lower-case letters, digits and _")
        try:
            entry = _keys(entry, {"about", "words", "source"}, {"words"})
            _source(entry, sources)
            words = _phrase_list(entry["words"], "words")
        except LexiconDataError as exc:
            raise LexiconDataError(f"{where}: {exc}") from None
        if not words:
            raise LexiconDataError(f"{where}: words must not be empty")
        lists[name] = tuple(words)
    return lists


def _patterns(value: object, categories: dict[str, Category],
              word_lists: dict[str, tuple[str, ...]],
              sources: tuple[dict[str, str], ...] = ()) -> tuple[Pattern, ...]:
    if not isinstance(value, list):
        raise LexiconDataError("patterns must be a list")
    patterns: list[Pattern] = []
    seen: set[str] = set()
    for index, entry in enumerate(value, start=1):
        label = f"patterns: entry {index}"
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            label += f" ({entry['id']})"
        try:
            entry = _keys(entry, _PATTERN_KEYS, _PATTERN_KEYS - {"note", "example", "source"})
            _source(entry, sources)
            if not isinstance(entry["id"], str) or not ENTRY_ID.match(entry["id"]):
                raise LexiconDataError("id must be lower-case words joined by -")
            if entry["id"] in seen:
                raise LexiconDataError("id used twice")
            for key in ("first", "then"):
                if entry[key] not in word_lists:
                    raise LexiconDataError(f"{key} {entry[key]!r} is not a word list")
            within = entry["within"]
            if isinstance(within, bool) or not isinstance(within, int) \
                    or not 0 <= within <= MAX_WITHIN:
                raise LexiconDataError(f"within must be a whole number from 0 to {MAX_WITHIN}")
            pattern = Pattern(entry["id"], _category(entry, categories),
                              _weight(entry["weight"]), entry["first"], entry["then"], within,
                              entry.get("note", ""), entry.get("example", ""))
        except LexiconDataError as exc:
            raise LexiconDataError(f"{label}: {exc}") from None
        seen.add(pattern.id)
        patterns.append(pattern)
    return tuple(patterns)


def _contexts(value: object, categories: dict[str, Category],
              sources: tuple[dict[str, str], ...] = ()) -> tuple[Context, ...]:
    if not isinstance(value, list):
        raise LexiconDataError("contexts must be a list")
    contexts: list[Context] = []
    for index, entry in enumerate(value, start=1):
        label = f"contexts: entry {index}"
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            label += f" ({entry['id']})"
        try:
            entry = _keys(entry, _CONTEXT_KEYS, _CONTEXT_KEYS - {"about", "source"})
            _source(entry, sources)
            if not isinstance(entry["id"], str) or not ENTRY_ID.match(entry["id"]):
                raise LexiconDataError("id must be lower-case words joined by -")
            phrases = _phrase_list(entry["phrases"], "phrases")
            chosen = entry["categories"]
            if not isinstance(chosen, list) or not chosen or any(
                    name not in categories for name in chosen):
                raise LexiconDataError(f"categories must be a list of {', '.join(categories)}")
            contexts.append(Context(entry["id"], tuple(phrases), frozenset(chosen),
                                    _weight(entry["max_weight"]), entry.get("about", "")))
        except LexiconDataError as exc:
            raise LexiconDataError(f"{label}: {exc}") from None
    return tuple(contexts)


def _host_terms(value: object, categories: dict[str, Category],
                sources: tuple[dict[str, str], ...] = ()) -> tuple[HostTerm, ...]:
    if not isinstance(value, list):
        raise LexiconDataError("host_terms must be a list")
    terms: list[HostTerm] = []
    for index, entry in enumerate(value, start=1):
        label = f"host_terms: entry {index}"
        try:
            entry = _keys(entry, {"term", "category", "weight", "note", "source"},
                          {"term", "category", "weight"})
            _source(entry, sources)
            term = entry["term"]
            if not isinstance(term, str) or not _HOST_TERM.match(term):
                raise LexiconDataError("term must be 3 or more lower-case letters, digits or -")
            terms.append(HostTerm(term, _category(entry, categories),
                                  _weight(entry["weight"]), entry.get("note", "")))
        except LexiconDataError as exc:
            raise LexiconDataError(f"{label}: {exc}") from None
    return tuple(terms)


def _check_phrase(phrase: object) -> None:
    if not isinstance(phrase, str) or not phrase.strip():
        raise LexiconDataError("must be a non-empty string")
    if phrase != phrase.strip() or CONTROL_CHARACTER.search(phrase):
        raise LexiconDataError(f"{phrase!r} has surrounding spaces or control characters")
    if _begins_word(phrase):
        if len(phrase) < 3:
            raise LexiconDataError(f"{phrase!r}: a phrase that begins with a Latin letter or "
                                   "digit needs three characters or more")
    elif phrase[0].isascii():
        raise LexiconDataError(f"{phrase!r} must begin with a letter, a digit or a Chinese "
                               "character")
    elif len(phrase) < 2:
        raise LexiconDataError(f"{phrase!r}: a phrase needs two characters or more")
    normal = normalize_text(phrase)
    if fold_ascii(normal) != fold_ascii(phrase):
        raise LexiconDataError(f"{phrase!r} is not as pages are read: write it {normal!r} "
                               "(simplified characters, half-width forms)")


def _phrase_list(value: object, key: str) -> list[str]:
    if not isinstance(value, list):
        raise LexiconDataError(f"{key} must be a list of phrases")
    seen: dict[str, int] = {}
    for index, phrase in enumerate(value, start=1):
        label = f"{key}: entry {index}" + (f" ({phrase})" if isinstance(phrase, str) else "")
        try:
            _check_phrase(phrase)
        except LexiconDataError as exc:
            raise LexiconDataError(f"{label}: {exc}") from None
        folded = fold_ascii(phrase)
        if folded in seen:
            raise LexiconDataError(f"{label}: duplicate of entry {seen[folded]}")
        seen[folded] = index
    return list(value)


@functools.lru_cache(maxsize=1)
def _packaged_lexicon() -> Lexicon:
    return load_lexicon()


# --- scoring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    """A term or pattern found in one zone of the page, how often, and the points it earned
    (before the cap on weak terms). ``pattern`` is the pattern's id (``term`` then holds
    the first text it matched); ``context`` the context that discounted it."""

    term: str
    category: str
    weight: int
    count: int
    where: str
    points: float
    pattern: str = ""
    context: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"term": self.term, "category": self.category,
                                "weight": self.weight, "count": self.count,
                                "where": self.where, "points": round(self.points, 2)}
        if self.pattern:
            data["pattern"] = self.pattern
        if self.context:
            data["context"] = self.context
        return data


@dataclass(frozen=True)
class IllicitScore:
    """How illicit a page looks. ``mitigated``: weak terms were discounted because the page
    holds ``mitigators`` (the first five found). ``contexts``: the protective contexts the
    visible text showed. ``categories``: the score split by category, largest share
    first."""

    score: float
    signals: tuple[Signal, ...]
    flagged: bool
    mitigated: bool
    mitigators: tuple[str, ...] = ()
    categories: dict[str, float] = field(default_factory=dict)
    contexts: tuple[str, ...] = ()

    @property
    def category(self) -> str | None:
        """The category with the largest share of the score, if any term was found."""
        return next(iter(self.categories), None)

    def zones(self) -> list[str]:
        """The zones the signals were found in, highest points first."""
        return list(dict.fromkeys(signal.where for signal in self.signals))

    def as_dict(self) -> dict[str, Any]:
        data = {
            "score": round(self.score, 2), "flagged": self.flagged,
            "category": self.category,
            "categories": {name: round(points, 2) for name, points in self.categories.items()},
            "mitigated": self.mitigated, "mitigators": list(self.mitigators),
            "signals": [signal.as_dict() for signal in self.signals],
        }
        if self.contexts:
            data["contexts"] = list(self.contexts)
        return data


def score_illicit(title: str, text: str, lexicon: Lexicon | None = None, *,
                  hidden_text: str = "") -> IllicitScore:
    """Score a page's title, visible text and hidden text against the lexicon (default:
    the packaged one); :func:`score_zones` with these three zones."""
    return score_zones({"title": title, "text": text, "hidden": hidden_text}, lexicon)


def score_zones(zones: Mapping[str, str], lexicon: Lexicon | None = None) -> IllicitScore:
    """Score the zones of a page (keys of :data:`ZONE_FACTORS`; others are an error) against
    the lexicon (default: the packaged one). The formula is in the module's docstring."""
    if lexicon is None:
        lexicon = _packaged_lexicon()
    unknown = set(zones) - set(ZONE_FACTORS)
    if unknown:
        raise ValueError(f"unknown zones {', '.join(sorted(unknown))}")
    names = [zone for zone in ZONE_FACTORS if zones.get(zone)]
    if not names:
        return IllicitScore(0.0, (), False, False)
    # One pass over all zones; NUL, which no phrase holds, keeps them apart.
    joined = normalize_text("\x00".join(zones[zone].replace("\x00", " ") for zone in names))
    texts = joined.split("\x00")
    starts = list(itertools.accumulate((len(text) + 1 for text in texts[:-1]), initial=0))

    def zone_at(position: int) -> str:
        return names[bisect.bisect_right(starts, position) - 1]

    counts: dict[tuple[str, str], int] = {}
    neutral: list[tuple[int, int]] = []
    words: list[tuple[int, str]] = []
    terms = lexicon.terms
    assert lexicon._page_finder is not None
    for group, position, key in lexicon._page_finder.finditer_groups(joined,
                                                                     lexicon._page_groups):
        if group:
            words.append((position, key))
        elif key in terms:
            where = zone_at(position)
            counts[where, key] = counts.get((where, key), 0) + 1
        else:
            neutral.append((position, position + len(key)))
    pattern_counts: dict[tuple[str, str], int] = {}
    pattern_texts: dict[tuple[str, str], str] = {}
    patterns: dict[str, Pattern] = {}
    for position, hit in lexicon.find_patterns(joined, neutral, words):
        key = (zone_at(position), hit.pattern.id)
        pattern_counts[key] = pattern_counts.get(key, 0) + 1
        pattern_texts.setdefault(key, hit.text)
        patterns[hit.pattern.id] = hit.pattern
    if not counts and not pattern_counts:
        return IllicitScore(0.0, (), False, False)
    visible = "\x00".join(text for zone, text in zip(names, texts, strict=True)
                          if zone in VISIBLE_ZONES)
    found: list[tuple[str, str, int, int, str, str]] = [
        (zone, terms[key].term, terms[key].weight, count, terms[key].category, "")
        for (zone, key), count in counts.items()]
    found += [(zone, pattern_texts[zone, pattern_id], patterns[pattern_id].weight, count,
               patterns[pattern_id].category, pattern_id)
              for (zone, pattern_id), count in pattern_counts.items()]
    weak = any(weight <= lexicon.mitigable_weight for _, _, weight, *_ in found)
    mitigators = lexicon.find_mitigators(visible) if weak else ()
    contexts = lexicon.find_contexts(visible)
    # A headline that quotes a lure ("警方提醒：百家乐是骗局") protects its own title.
    title_contexts = lexicon.find_contexts(texts[0]) if names[0] == "title" and contexts \
        else ()
    signals: list[Signal] = []
    strong_points = weak_points = 0.0
    for zone, term, weight, count, category, pattern_id in found:
        points = weight * ZONE_FACTORS[zone] * math.sqrt(min(count, COUNT_CAP))
        reach = contexts if zone in CONTEXT_ZONES else title_contexts if zone == "title" \
            else ()
        context = next((c.id for c in reach
                        if category in c.categories and weight <= c.max_weight), "")
        if weight <= lexicon.mitigable_weight or context:
            if mitigators or context:
                points *= MITIGATION_FACTOR
            weak_points += points
        else:
            strong_points += points
        signals.append(Signal(term, category, weight, count, zone, points, pattern_id,
                              context))
    signals.sort(key=lambda s: (-s.points, s.where, s.term))
    weak_share = min(weak_points, lexicon.flag / 2)
    score = strong_points + weak_share
    scale = weak_share / weak_points if weak_points else 1.0
    shares: dict[str, float] = {}
    for signal in signals:
        weak_signal = signal.weight <= lexicon.mitigable_weight or bool(signal.context)
        shares[signal.category] = (shares.get(signal.category, 0.0)
                                   + signal.points * (scale if weak_signal else 1.0))
    categories = dict(sorted(shares.items(), key=lambda item: -item[1]))
    return IllicitScore(score, tuple(signals), score >= lexicon.flag, bool(mitigators),
                        mitigators, categories, tuple(context.id for context in contexts))


def packaged_lexicon() -> Lexicon:
    """The packaged lexicon, read once."""
    return _packaged_lexicon()

