"""Audit reports from a small province built directly through the Store API, in every format,
and the HTML as a real browser (Debian's Chromium) sees it."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import domainwatch.store
from domainwatch.checks.dns import check_dns
from domainwatch.report import (
    build_report,
    md,
    render,
    render_csv,
    render_html,
    render_json,
    render_markdown,
)
from domainwatch.store import FindingDraft, Store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
HYPERLINK = '=HYPERLINK("http://evil.example/","open")'
HOSTILE_OWNER = "天水|**市**网信办"
PROVINCE = "甘肃省人民政府办公厅"
JIUQUAN = "酒泉市人民政府办公室"
TIANSHUI = "天水市人民政府办公室"


def at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat().replace("+00:00", "Z")


def entry(name: str, owner: str, parent: str | None, state: str = "active",
          note: str = "", priority: str = "normal") -> dict[str, Any]:
    return {"name": name, "owner": owner, "parent": parent, "state": state, "site_code": "",
            "contact": "", "networks": [], "nameservers": [], "note": note,
            "priority": priority}


def dns(name: str, status: str, a: tuple[str, ...] = (),
        chain: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"name": name, "status": status, "cname_chain": list(chain), "chain_end": None,
            "a": list(a), "aaaa": [], "ns": [], "ns_owner": None, "mx": [], "txt": [],
            "zone": None, "soa_mname": None, "statuses": {"A": "ok"}, "error": None}


ENTRIES = [
    entry("www.gansu.gov.cn", PROVINCE, None),
    entry("www.jiuquan.gov.cn", JIUQUAN, "www.gansu.gov.cn"),
    entry("gsj.jiuquan.gov.cn", "酒泉市工商行政管理局", "www.jiuquan.gov.cn",
          note="merged away in the 2019 reform\x1b[31m", priority="high"),
    entry("jyj.jiuquan.gov.cn", "酒泉市教育局", "www.jiuquan.gov.cn"),
    entry("old.jiuquan.gov.cn", "酒泉市旧局", "www.jiuquan.gov.cn", state="deregistered"),
    entry("www.tianshui.gov.cn", TIANSHUI, "www.gansu.gov.cn"),
    entry("cdn.tianshui.gov.cn", HOSTILE_OWNER, "www.tianshui.gov.cn"),
]


def scan(store: Store, clock: list[str], when: str, results: dict[str, dict[str, Any]],
         extra: dict[str, list[FindingDraft]], status: str = "complete") -> int:
    """One run at ``when``: record each name's observation and reconcile its findings."""
    clock[0] = when
    run_id = store.start_run(len(results), "hash", {})
    entries = {e["name"]: e for e in store.entries()}
    with store.transaction():
        for name, observation in results.items():
            store.record_observation(name, "dns", observation, observation, run_id, when)
            drafts = list(extra.get(name, []))
            rules = {d.rule for d in drafts}
            if name in entries:
                result = check_dns(entries[name], observation)
                drafts = drafts or result.findings
                rules |= result.evaluated
            store.reconcile_findings(name, rules, drafts, run_id, when)
            store.mark_name_done(run_id, name, observation["status"])
    store.finish_run(run_id, status)
    return run_id


def hostile_cname(cname_summary: str = f"cdn.tianshui.gov.cn: {SCRIPT} {IMG}") -> FindingDraft:
    return FindingDraft("dangling.cname", "high", cname_summary,
                        {"name": "cdn.tianshui.gov.cn", "target": HYPERLINK,
                         "cname_chain": ["gone.cloud.example.com"], "status": "cname_dangling"},
                        subject="gone.cloud.example.com")


UNLISTED = FindingDraft("register.unlisted", "medium", HYPERLINK + " is live but not listed",
                        {"name": "tzcj.jiuquan.gov.cn", "source": "zone jiuquan.gov.cn"})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    clock = [at(60)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(domainwatch.store, "utcnow", lambda: clock[0])
        db = Store(tmp_path_factory.mktemp("report") / "dw.db")
        with db.transaction():
            for item in ENTRIES:
                db.save_entry(item, by="import", reason="", action="added",
                              changes={"state": item["state"]}, at=at(60))
            gsj = {**ENTRIES[2], "state": "offline"}
            db.save_entry(gsj, by="admin", reason="site closed", action="changed",
                          changes={"state": {"from": "active", "to": "offline"}}, at=at(40))
        live = {name: dns(name, "resolves", a=("192.0.2.1",)) for name in
                ("www.gansu.gov.cn", "www.jiuquan.gov.cn", "www.tianshui.gov.cn")}
        base = {**live,
                "gsj.jiuquan.gov.cn": dns("gsj.jiuquan.gov.cn", "resolves", a=("198.51.100.7",)),
                "old.jiuquan.gov.cn": dns("old.jiuquan.gov.cn", "nxdomain"),
                "cdn.tianshui.gov.cn": dns("cdn.tianshui.gov.cn", "resolves", a=("192.0.2.9",))}
        dangling = dns("cdn.tianshui.gov.cn", "cname_dangling",
                       chain=("gone.cloud.example.com",))
        cname = {"cdn.tianshui.gov.cn": [hostile_cname()]}
        scan(db, clock, at(30), {**base, "jyj.jiuquan.gov.cn": dns("jyj.jiuquan.gov.cn",
                                                                    "nxdomain")}, {})
        jyj_back = {"jyj.jiuquan.gov.cn": dns("jyj.jiuquan.gov.cn", "resolves", a=("192.0.2.3",))}
        scan(db, clock, at(20), {**base, **jyj_back, "cdn.tianshui.gov.cn": dangling}, cname)
        unlisted = {"tzcj.jiuquan.gov.cn": dns("tzcj.jiuquan.gov.cn", "resolves",
                                               a=("192.0.2.77",))}
        scan(db, clock, at(10), {**base, **jyj_back, **unlisted, "cdn.tianshui.gov.cn": dangling},
             {**cname, "tzcj.jiuquan.gov.cn": [UNLISTED]})
        clock[0] = at(5)
        [finding] = db.findings(rule="dangling.cname")
        db.acknowledge(finding["id"], HYPERLINK + " provider ticket\x07", "ops")
        without_tianshui_portal = {k: v for k, v in base.items() if k != "www.tianshui.gov.cn"}
        scan(db, clock, at(1), {**without_tianshui_portal, **jyj_back, **unlisted,
                                "cdn.tianshui.gov.cn": dangling},
             {**cname, "tzcj.jiuquan.gov.cn": [UNLISTED]})
        scan(db, clock, at(0.5), {"www.gansu.gov.cn": live["www.gansu.gov.cn"]}, {},
             status="interrupted")
        yield db
        db.close()


@pytest.fixture(scope="module")
def report(store: Store) -> dict[str, Any]:
    return build_report(store, NOW)


def test_summary(report: dict[str, Any]) -> None:
    summary = report["summary"]
    assert report["generated_at"] == "2026-03-01T12:00:00Z"
    assert summary["entries_total"] == 7
    assert summary["entries_by_state"] == {"active": 5, "offline": 1, "deregistered": 1}
    assert summary["last_run"]["status"] == "interrupted"
    assert summary["last_complete_run"]["finished"] == at(1)
    assert summary["last_complete_run"]["names_done"] == 7
    assert summary["open_findings_total"] == 3
    assert summary["acknowledged_findings"] == 1
    assert summary["open_findings_by_severity"]["high"] == 2
    assert summary["open_findings_by_severity"]["medium"] == 1
    assert summary["open_findings_by_category"] == {"dangling": 1, "register": 1, "unused": 1}
    assert summary["entries_with_problems"] == 2
    assert summary["followup_entries"] == 1


def test_annex_numbers(report: dict[str, Any]) -> None:
    cities = {c["domain"]: c for c in report["annex"]["cities"]}
    assert cities["jiuquan.gov.cn"]["label"] == JIUQUAN
    assert {k: cities["jiuquan.gov.cn"][k] for k in
            ("sites", "checked", "with_problems", "compliance_rate")} == {
        "sites": 4, "checked": 4, "with_problems": 1, "compliance_rate": 75.0}
    # www.tianshui.gov.cn was not scanned in the last complete run
    assert [cities["tianshui.gov.cn"][k] for k in
            ("sites", "checked", "with_problems", "compliance_rate")] == [2, 1, 1, 0.0]
    assert cities["gansu.gov.cn"]["compliance_rate"] == 100.0
    total = report["annex"]["total"]
    assert (total["sites"], total["checked"], total["with_problems"],
            total["compliance_rate"]) == (7, 6, 2, 66.7)
    owners = {o["owner"]: o for o in report["annex"]["owners"]}
    assert owners[HOSTILE_OWNER]["with_problems"] == 1
    assert owners["酒泉市工商行政管理局"]["cities"] == ["jiuquan.gov.cn"]


def test_followup_lists_offline_names_that_still_resolve(report: dict[str, Any]) -> None:
    [row] = report["followup"]
    assert row["name"] == "gsj.jiuquan.gov.cn"
    assert row["state"] == "offline" and row["priority"] == "high"
    assert row["since"] == at(40)
    assert row["days_overdue"] == 40
    assert row["addresses"] == ["198.51.100.7"]
    assert row["linked_from"] == [] and row["linked_from_checked"] is False
    assert [f["rule"] for f in row["findings"]] == ["unused.offline_still_resolving"]
    assert "\x1b" not in row["note"]


def test_findings_grouped_by_owner_then_severity(report: dict[str, Any]) -> None:
    groups = {g["owner"]: g for g in report["findings"]}
    assert set(groups) == {HOSTILE_OWNER, "酒泉市工商行政管理局", JIUQUAN}
    # the unlisted name belongs to no entry: it goes to its government's portal owner
    [unlisted] = groups[JIUQUAN]["severities"][0]["findings"]
    assert unlisted["name"] == "tzcj.jiuquan.gov.cn" and unlisted["in_register"] is False
    [cname] = groups[HOSTILE_OWNER]["severities"][0]["findings"]
    assert cname["status"] == "acknowledged"
    assert cname["evidence"]["target"] == HYPERLINK
    assert "\x07" not in cname["ack_note"]
    assert report["findings"][0]["severities"][0]["severity"] == "high"


def test_trend_replays_findings_per_complete_run(report: dict[str, Any]) -> None:
    trend = report["trend"]
    assert trend["categories"] == ["dangling", "register", "unused"]
    assert [(p["at"], p["counts"], p["total"]) for p in trend["points"]] == [
        (at(30), {"dangling": 0, "register": 0, "unused": 2}, 2),
        (at(20), {"dangling": 1, "register": 0, "unused": 1}, 2),
        (at(10), {"dangling": 1, "register": 1, "unused": 1}, 3),
        (at(1), {"dangling": 1, "register": 1, "unused": 1}, 3),
    ]


def test_deregistered_name_that_no_longer_resolves_is_not_followed_up(
        report: dict[str, Any]) -> None:
    assert "old.jiuquan.gov.cn" not in {row["name"] for row in report["followup"]}
    assert "old.jiuquan.gov.cn" not in render_markdown(report)


def test_json_is_the_report(report: dict[str, Any]) -> None:
    assert json.loads(render_json(report)) == report
    assert render(report, "json") == render_json(report)


def test_markdown(report: dict[str, Any]) -> None:
    text = render_markdown(report)
    for heading in ("Summary", "Sites by government", "Deregistration follow-up",
                    "Open findings with evidence", "Open findings over"):
        assert heading in text
    assert "| jiuquan\\.gov\\.cn" not in text  # dots are left alone
    assert f"| jiuquan.gov.cn | {JIUQUAN} | 4 | 4 | 1 | 75.0% |" in text
    assert "| Total |  | 7 | 6 | 2 | 66.7% |" in text
    assert "| gsj.jiuquan.gov.cn | 酒泉市工商行政管理局 | offline | " + at(40)[:10] + " | 40 | " \
        "198.51.100.7 | not checked yet |" in text
    assert "天水\\|\\*\\*市\\*\\*网信办" in text and HOSTILE_OWNER not in text
    assert SCRIPT not in text and "\\<script\\>" in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)
    assert f"| 4 | {at(1)} | 1 | 1 | 1 | 3 |" in text


def test_markdown_escape() -> None:
    assert md("a|b*c_d`e[f]<g>&\\") == "a\\|b\\*c\\_d\\`e\\[f\\]\\<g\\>\\&\\\\"
    assert md("x\x1b[2Jy\u202e") == "x\N{REPLACEMENT CHARACTER}\\[2Jy\N{REPLACEMENT CHARACTER}"


def test_csv(report: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    sections = [row["section"] for row in rows]
    assert sections == ["followup", "finding", "finding", "finding"]
    followup = rows[0]
    assert (followup["name"], followup["days_overdue"], followup["resolves_to"],
            followup["linked_from"]) == ("gsj.jiuquan.gov.cn", "40", "198.51.100.7",
                                         "not checked yet")
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    unlisted = next(row for row in rows if row["rule"] == "register.unlisted")
    assert unlisted["summary"] == "'" + HYPERLINK + " is live but not listed"
    cname = next(row for row in rows if row["rule"] == "dangling.cname")
    assert cname["ack_note"].startswith("'=HYPERLINK(")
    assert f"target: {HYPERLINK}" in cname["evidence"]
    assert cname["owner"] == HOSTILE_OWNER


def test_html_escapes_hostile_text(report: dict[str, Any]) -> None:
    page = render_html(report)
    assert '<html lang="zh-CN">' in page and '<meta charset="utf-8">' in page
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "天水|**市**网信办" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "@import" not in page and "url(" not in page
    assert page.count("<svg") == 2


class _DOM(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.ids: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        self.ids |= {value for name, value in attrs if name == "id" and value}

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: the HTML report is checked in a real browser; "
                    "install the Debian package 'chromium' (apt-get install -y chromium)")
    return path


@pytest.mark.browser
def test_html_in_a_real_browser(report: dict[str, Any], tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    result = subprocess.run(
        [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu",
         "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'p'}",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = _DOM()
    dom.feed(result.stdout)
    assert {"summary-table", "annex-cities", "annex-owners", "followup-table",
            "trend-chart", "compliance-chart", "trend-table"} <= dom.ids
    assert dom.tags.count("svg") == 2 and dom.tags.count("rect") > 4
    assert "script" not in dom.tags and "img" not in dom.tags
    assert dom.handlers == []
    text = "".join(dom.text)
    assert SCRIPT in text and IMG in text and HOSTILE_OWNER in text
    assert "酒泉市人民政府办公室" in text and "75.0%" in text and "not checked yet" in text


def test_empty_database(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.db") as empty:
        report = build_report(empty, NOW)
    assert report["summary"]["entries_total"] == 0
    assert report["summary"]["last_run"] is None
    assert report["annex"]["total"]["compliance_rate"] is None
    assert report["followup"] == [] and report["trend"]["points"] == []
    for output_format in ("html", "md", "csv", "json"):
        assert render(report, output_format)
    assert "No complete run yet" in render_html(report)
