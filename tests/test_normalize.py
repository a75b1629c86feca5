"""Page text made comparable before the lexicon reads it: the ways black-hat SEO writes
its words so that a plain search misses them."""

from __future__ import annotations

import pytest

from domainwatch.normalize import normalize_text, to_simplified


@pytest.mark.parametrize(("written", "read"), [
    ("澳門新葡京娛樂場", "澳门新葡京娱乐场"),              # traditional characters
    ("百家樂 真人視訊 線上投注", "百家乐 真人视讯 线上投注"),
    ("ｂｅｔ３６５官网", "bet365官网"),                      # full-width letters and digits
    ("百 家 乐", "百家乐"),                                  # spaced out
    ("百*家*乐真人", "百家乐真人"),                         # a mark between every character
    ("澳\u200b门\u200d新\u00ad葡京", "澳门新葡京"),          # invisible characters
    ("b e t 3 6 5", "bet365"),
    ("Ｂ·Ｅ·Ｔ·３·６·５", "bet365".upper()[:3] + "365"),
])
def test_the_disguises_are_undone(written: str, read: str) -> None:
    assert normalize_text(written) == read


@pytest.mark.parametrize(("ordinary", "read"), [
    # words of two or more characters between spaces stay apart
    ("关于印发 2026 年 政务公开 工作要点的通知", "关于印发 2026 年 政务公开 工作要点的通知"),
    ("首页 | 政务公开 | 办事服务 | 互动交流", "首页 | 政务公开 | 办事服务 | 互动交流"),
    ("乾隆年间的干部", "乾隆年间的干部"),  # phrase-aware: 乾 stays in 乾隆
    ("a b c", "a b c"),  # three single letters are not a run
    ("第 1 章 总则", "第 1 章 总则"),
    # full-width digits fold (and with them the full-width comma); the words stay
    ("市人民政府办公室，２０２６年１１月", "市人民政府办公室,2026年11月"),
])
def test_ordinary_text_keeps_its_words(ordinary: str, read: str) -> None:
    assert normalize_text(ordinary) == read


def test_simplified_text_is_not_converted_at_all() -> None:
    text = "测试市人民政府门户网站 政务公开 " * 100
    assert to_simplified(text) is text
    assert to_simplified("開獎") == "开奖"
