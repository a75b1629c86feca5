import json
import sys
import unicodedata

from domainwatch.output import (
    csv_safe,
    display_width,
    render_csv,
    render_json,
    render_table,
    terminal_safe,
)
from domainwatch.safety import UNSAFE_CATEGORIES, has_unsafe


def test_terminal_safe_strips_escape_sequences_and_bidi_overrides() -> None:
    hostile = "\x1b[2J\x1b]0;pwned\x07title\u202eevil\r\n"
    clean = terminal_safe(hostile)
    assert "\x1b" not in clean and "\x07" not in clean and "\u202e" not in clean
    assert "\r" not in clean and "\n" not in clean
    assert "title" in clean


def test_terminal_safe_caps_length() -> None:
    assert len(terminal_safe("x" * 10_000)) == 200


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    for cell in ("=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx"):
        assert csv_safe(cell).startswith("'")
    assert csv_safe("www.gansu.gov.cn") == "www.gansu.gov.cn"
    assert "'=cmd" in render_csv(("a",), [["=cmd"]])


def test_tables_align_chinese_text_by_display_width() -> None:
    assert display_width("酒泉市") == 6
    table = render_table(("owner", "state"), [["酒泉市人民政府", "active"], ["abc", "offline"]])
    lines = table.splitlines()
    assert display_width(lines[2].split("active")[0]) == \
        display_width(lines[3].split("offline")[0])


def test_tables_fit_the_terminal_by_cutting_the_last_column() -> None:
    table = render_table(("id", "summary"), [[1, "酒泉" * 100]], fit_width=40)
    assert max(display_width(line) for line in table.splitlines()) <= 40
    assert table.splitlines()[2].endswith("…")


def test_json_escapes_what_a_terminal_would_obey_and_parses_back_the_same() -> None:
    title = ("澳门\x1b]0;pwned\x07新葡京\x85\x9b2J \u202emoc.live\u202c \u2066隔离\u2069"
             "\u2028\u2029\u200b\ufeff\x7f\U000e0041 酒泉市人民政府")
    finding = {"name": "gsj.jiuquan.gov.cn", "summary": title,
               "evidence": {"title": title, "titles": [title]}}
    shown = render_json(finding)
    assert json.loads(shown) == finding
    assert [c for c in shown if c != "\n" and has_unsafe(c)] == []
    assert "\\u202e" in shown and "\\u0085" in shown and "\\udb40\\udc41" in shown
    assert "新葡京" in shown and "酒泉市人民政府" in shown, "Chinese stays readable"


def test_json_escapes_every_unsafe_character() -> None:
    # lone surrogates one at a time: JSON reads an escaped high and low surrogate side by
    # side as the one character they encode
    unsafe = [chr(code) for code in range(sys.maxunicode + 1)
              if unicodedata.category(chr(code)) in UNSAFE_CATEGORIES]
    texts = ["".join(c for c in unsafe if unicodedata.category(c) != "Cs"),
             *(f"a{c}b" for c in unsafe if unicodedata.category(c) == "Cs")]
    shown = render_json(texts)
    assert json.loads(shown) == texts
    assert not has_unsafe(shown.replace("\n", ""))
