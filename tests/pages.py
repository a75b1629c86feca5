"""The test pages in tests/data/pages, read the way a scan reads them (probes.page), and the
data files the loaders' tests write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domainwatch.probes.page import Page, parse_page

PAGES = Path(__file__).parent / "data" / "pages"
URL = "http://www.jiuquan.gov.cn/"
GUARDS = sorted(path.name for path in PAGES.glob("guard-*.html"))


def read(name: str) -> tuple[Page, str]:
    html = (PAGES / name).read_text(encoding="utf-8")
    return parse_page(html, URL), html


def write_json(tmp_path: Path, data: Any, name: str = "data.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path
