import csv
import io
import json
import sys
import unicodedata

import pytest
from markupsafe import Markup

from domainwatch import safety
from domainwatch.probes.whois import clean_value
from domainwatch.safety import (
    MAX_CELL,
    UNSAFE_CATEGORIES,
    csv_safe,
    has_unsafe,
    html_safe,
    json_safe,
    line_safe,
    terminal_safe,
)

ANSI = "\x1b[2J\x1b[31mred\x1b[0m\x1b]0;pwned\x07\x1b]8;;http://evil.example/\x1b\\link"
BIDI = "txt.\u202eexe.gnp"  # shows as "txt.png.exe" read right to left
HEADER_INJECTION = "单位\r\nBcc: victim@attacker.example\r\nSubject: pwned"
# One of each kind the sanitisers must not let through.
HOSTILE_CHARACTERS = ["\x00", "\x07", "\x08", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9b",
                      "\xad", "\u061c", "\u200b", "\u200d", "\u200e", "\u200f", "\u2028",
                      "\u2029", "\u202a", "\u202d", "\u202e", "\u2060", "\u2066", "\u2069",
                      "\ufeff", "\ud800", "\U000e0041"]


def test_the_unsafe_characters_are_exactly_those_of_the_unsafe_categories() -> None:
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    expected = {c for c in everything if unicodedata.category(c) in UNSAFE_CATEGORIES}
    found = set(terminal_safe(everything, None)) ^ set(everything)
    assert found - {"\N{REPLACEMENT CHARACTER}"} == expected, (
        "safety._UNSAFE no longer matches this Python's Unicode "
        f"{unicodedata.unidata_version}: write its ranges out again")


@pytest.mark.parametrize("character", HOSTILE_CHARACTERS)
def test_no_sanitiser_lets_an_unsafe_character_through(character: str) -> None:
    text = f"a{character}b"
    assert has_unsafe(text)
    document = json_safe(json.dumps(text, ensure_ascii=False))
    for sanitised in (terminal_safe(text), csv_safe(text), str(html_safe(text)), line_safe(text),
                      document):
        assert character not in sanitised
        assert not has_unsafe(sanitised)
    assert json.loads(document) == text


def test_ordinary_text_is_left_as_it_is() -> None:
    text = "酒泉市人民政府 www.jiuquan.gov.cn (主办) 100%"
    assert not has_unsafe(text)
    assert terminal_safe(text) == csv_safe(text) == line_safe(text) == text


def test_terminal_replaces_escapes_and_bidi_overrides_visibly() -> None:
    shown = terminal_safe(ANSI + BIDI)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "red" in shown and "\N{REPLACEMENT CHARACTER}[2J" in shown
    assert terminal_safe("a\r\nb\x00c") == "a\ufffd\ufffdb\ufffdc"


def test_terminal_caps_length() -> None:
    assert terminal_safe("x" * 10_000) == "x" * (MAX_CELL - 1) + "…"
    assert len(terminal_safe("酒" * 10_000, 40)) == 40
    assert terminal_safe("x" * 10_000, None) == "x" * 10_000
    assert terminal_safe("x" * MAX_CELL) == "x" * MAX_CELL


def test_terminal_takes_any_value() -> None:
    assert terminal_safe(42) == "42"
    assert terminal_safe(None) == "None"


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3",
                                  "@SUM(A1:A9)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"])
def test_csv_neutralises_formulas(cell: str) -> None:
    safe = csv_safe(cell)
    assert safe.startswith("'")
    assert not has_unsafe(safe)


def test_csv_neutralises_a_formula_hidden_behind_a_control_character() -> None:
    assert csv_safe("\x00=1+1") == "\ufffd=1+1"
    assert csv_safe("\t=1") == "'\ufffd=1"
    assert csv_safe("=1\n=2") == "'=1\ufffd=2"


def test_csv_keeps_plain_cells_and_writes_one_row_per_line() -> None:
    assert csv_safe("www.gansu.gov.cn") == "www.gansu.gov.cn"
    assert csv_safe(None) == ""
    assert csv_safe(7) == "7"
    assert csv_safe(-1) == "'-1"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([csv_safe(HEADER_INJECTION), csv_safe(ANSI)])
    assert buffer.getvalue().count("\n") == 1


def test_html_escapes_markup_and_replaces_unsafe_characters() -> None:
    html = html_safe('<script>alert("x")</script> & \'' + BIDI)
    assert isinstance(html, Markup)
    assert str(html) == ("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;"
                         "txt.\ufffdexe.gnp")
    assert str(html_safe('" onmouseover="x')) == "&#34; onmouseover=&#34;x"


def test_html_caps_before_escaping_and_keeps_markup() -> None:
    assert str(html_safe("<" * 10, 4)) == "&lt;&lt;&lt;…"
    assert html_safe(Markup("<b>ok</b>")) == Markup("<b>ok</b>")
    assert str(html_safe(None)) == "None"


def test_one_line_cannot_add_a_header_or_a_line() -> None:
    line = line_safe(HEADER_INJECTION)
    assert "\r" not in line and "\n" not in line
    assert line == "单位 Bcc: victim@attacker.example Subject: pwned"
    assert line_safe("a\u2028b\u2029c\x85d\x0be") == "a b c d e"


def test_one_line_removes_escape_sequences_whole() -> None:
    assert line_safe(ANSI) == "redlink"
    assert line_safe("\x1b[1;31;40mbold\x1b[0m \x1bMx") == "bold x"


def test_one_line_puts_a_space_where_a_character_was_taken_out() -> None:
    # A character taken out without a trace could join what it separated (<scr\0ipt>).
    assert line_safe("<scr\x00ipt>") == "<scr ipt>"
    assert line_safe(BIDI) == "txt. exe.gnp"
    assert line_safe("  a \t\t b  ") == "a b"
    assert line_safe("\x00\u200b \r\n") == ""


def test_one_line_caps_length() -> None:
    assert line_safe("x" * 10_000, 240) == "x" * 239 + "…"
    assert line_safe("x" * 10_000) == "x" * 10_000
    assert line_safe("ab", 2) == "ab"


def test_printable_text_holds_no_unsafe_character() -> None:
    # The sanitisers' fast path: text.isprintable() lets a string through unchanged, so no
    # character of UNSAFE_CATEGORIES may be printable, on this Python's Unicode.
    printable_unsafe = [f"U+{code:04X}" for code in range(sys.maxunicode + 1)
                        if chr(code).isprintable()
                        and unicodedata.category(chr(code)) in UNSAFE_CATEGORIES]
    assert printable_unsafe == []


class _NoRegex:
    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"printable text went through the regex ({name})")


def test_printable_text_skips_the_regex_and_still_neutralises_formulas(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "_UNSAFE", _NoRegex())
    monkeypatch.setattr(safety, "_ANSI", _NoRegex())
    text = "酒泉市人民政府 www.jiuquan.gov.cn (主办) 100%"
    assert terminal_safe(text) == csv_safe(text) == line_safe(text) == str(html_safe(text))
    assert "=1+1".isprintable()
    assert csv_safe("=1+1") == "'=1+1" and csv_safe("-酒泉") == "'-酒泉"
    assert csv_safe("") == terminal_safe("") == line_safe("") == ""
    assert line_safe("  a  b ") == "a b"
    assert str(html_safe(5)) == "5"


def test_an_unterminated_escape_sequence_keeps_the_text_after_it() -> None:
    # A registrant's "Old Owner ESC ] New Owner" must not hide the new owner: an operating
    # system command never terminated is no sequence, its ESC is replaced like any other.
    assert clean_value("甘肃省酒泉市人民政府\x1b]Evil Ltd") == "甘肃省酒泉市人民政府 ]Evil Ltd"
    assert clean_value("\x1b]Evil Ltd") == "]Evil Ltd"
    assert line_safe("a\x1b]0;title") == "a ]0;title"
    assert line_safe("a\x1b]0;" + "x" * 600 + "\x07b") == "a ]0;" + "x" * 600 + " b"
    assert line_safe("a\x1b[" + "1" * 100 + "mb") == "a [" + "1" * 100 + "mb"
    assert line_safe("a\x1b[31;" + "?" * 80) == "a [31;" + "?" * 80


def test_a_terminated_operating_system_command_is_removed_whole() -> None:
    assert line_safe("a\x1b]0;pwned\x07b") == "ab"
    assert line_safe("a\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\") == "alink"
    assert clean_value("甘肃省\x1b]2;x\x07酒泉市") == "甘肃省酒泉市"
