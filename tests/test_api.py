"""The library API (domainwatch.api): its results, its errors, and the README's example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domainwatch.api import (
    AlreadyInRegister,
    DiscoveryResult,
    Domainwatch,
    FindingResolved,
    ImportResult,
    InvalidOption,
    NoSuchFinding,
    NotInRegister,
    NotRegistrable,
    UnknownName,
)
from domainwatch.config import Config
from domainwatch.register import RegisterError
from domainwatch.store import FindingDraft

README = Path(__file__).resolve().parent.parent / "README.md"

REGISTER = """\
name,owner,parent,state,site_code,note
www.gansu.gov.cn,甘肃省人民政府办公厅,,active,6200000001,省政府门户网站
fzgg.gansu.gov.cn,甘肃省发展和改革委员会,www.gansu.gov.cn,active,6200000002,
www.jiuquan.gov.cn,酒泉市人民政府办公室,,active,6209000001,
gsj.jiuquan.gov.cn,酒泉市工商行政管理局,www.jiuquan.gov.cn,active,6209000004,
"""


@pytest.fixture
def register_file(tmp_path: Path) -> Path:
    path = tmp_path / "register.csv"
    path.write_text(REGISTER, encoding="utf-8")
    return path


@pytest.fixture
def dw(tmp_path: Path, register_file: Path) -> Domainwatch:
    api = Domainwatch(tmp_path / "dw.db", Config())
    api.import_register(register_file, by="test")
    yield api
    api.close()


def _open_finding(dw: Domainwatch, name: str, rule: str, severity: str) -> int:
    """A finding as a scan would record it, without the scan."""
    store = dw.store
    with store.transaction():
        store.reconcile_findings(name, [rule], [FindingDraft(
            rule=rule, severity=severity, summary=f"summary of {name}", evidence={"why": "test"},
            subject=name)], run_id=None, at="2026-11-26T02:17:00Z")
    [finding] = store.findings(status="all", name=name, rule=rule)
    return int(finding["id"])


def test_the_readme_example_runs(tmp_path: Path, register_file: Path,
                                 monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Use from Python"):text.index("## Development")]
    [code] = re.findall(r"```python\n(.*?)```", section, re.S)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "4 added, 0 changed"
    assert out[-2] == "offline ['added', 'changed']"
    assert out[-1] == "gsj.jiuquan.gov.cn 酒泉市工商行政管理局"  # through sqlite-utils
    assert (tmp_path / "domainwatch.db").exists()


def test_import_counts_a_dry_run_and_a_second_import(tmp_path: Path,
                                                     register_file: Path) -> None:
    with Domainwatch(tmp_path / "dw.db") as dw:
        planned = dw.import_register(register_file, dry_run=True, by="test")
        assert isinstance(planned, ImportResult) and planned.dry_run
        assert len(planned.added) == 4 and dw.entries() == []
        first = dw.import_register(register_file, by="test")
        assert isinstance(first, ImportResult)
        assert (len(first.added), len(first.changed), len(first.unchanged)) == (4, 0, 0)
        assert first.source == register_file
        register_file.write_text(REGISTER.replace("6209000004", "6209000009"), encoding="utf-8")
        second = dw.import_register(register_file, by="test")
        assert isinstance(second, ImportResult)
        assert (len(second.added), len(second.changed), len(second.unchanged)) == (0, 1, 3)
        [(entry, diff)] = second.changed
        assert entry["name"] == "gsj.jiuquan.gov.cn"
        assert diff == {"site_code": ("6209000004", "6209000009")}
        assert [entry["name"] for entry in dw.entries()] == sorted(
            ["fzgg.gansu.gov.cn", "gsj.jiuquan.gov.cn", "www.gansu.gov.cn",
             "www.jiuquan.gov.cn"])


def test_a_bad_register_file_imports_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("name,state\nwww.gansu.gov.cn,active\nnot a name,sleeping\n",
                    encoding="utf-8")
    with Domainwatch(tmp_path / "dw.db") as dw:
        with pytest.raises(RegisterError) as raised:
            dw.import_register(path)
        assert raised.value.errors and dw.entries() == []
        with pytest.raises(InvalidOption, match="apply to zone files"):
            dw.import_register(path, accept=True)


def test_a_zone_file_is_discovery_not_the_register(dw: Domainwatch, tmp_path: Path) -> None:
    zone = tmp_path / "gansu.gov.cn.zone"
    zone.write_text("$ORIGIN gansu.gov.cn.\n$TTL 3600\n"
                    "@ IN SOA ns1 hostmaster 7 3600 600 86400 300\n@ IN NS ns1\n"
                    "ns1 IN A 192.0.2.1\nwww IN A 192.0.2.10\nfzgg IN A 192.0.2.11\n"
                    "tjj IN A 192.0.2.12\n", encoding="utf-8")
    found = dw.import_register(zone, by="test")
    assert isinstance(found, DiscoveryResult)
    # the apex and the name server are the zone's infrastructure: unlisted, never accepted
    assert found.snapshot.serial == 7 and found.unlisted == [
        "gansu.gov.cn", "ns1.gansu.gov.cn", "tjj.gansu.gov.cn"]
    assert found.added == [] and found.changes is not None
    accepted = dw.import_register(zone, accept=True, by="test")
    assert isinstance(accepted, DiscoveryResult)
    assert [entry["name"] for entry in accepted.added] == ["tjj.gansu.gov.cn"]
    assert dw.entry("tjj.gansu.gov.cn") is not None
    diff = dw.register_diff()
    assert [row["name"] for row in diff["unlisted"]] == ["gansu.gov.cn", "ns1.gansu.gov.cn"]


def test_add_and_set_keep_the_history(dw: Domainwatch) -> None:
    added = dw.add_entry("tjj.gansu.gov.cn", owner="甘肃省统计局", parent="www.gansu.gov.cn",
                         by="ann")
    assert added.entry["name"] == "tjj.gansu.gov.cn" and added.entry["state"] == "active"
    with pytest.raises(AlreadyInRegister, match="already in the register"):
        dw.add_entry("tjj.gansu.gov.cn")
    change = dw.set_entry("TJJ.gansu.gov.cn", state="offline", priority="high", note="closed",
                          by="bob")
    assert change.name == "tjj.gansu.gov.cn"
    assert change.changes == {"state": {"from": "active", "to": "offline"},
                              "priority": {"from": "normal", "to": "high"}}
    assert dw.set_entry("tjj.gansu.gov.cn", state="offline", by="bob").changes == {}
    history = dw.entry_history("tjj.gansu.gov.cn")
    assert [(item["action"], item["by"], item["reason"]) for item in history] == [
        ("added", "ann", "register add"), ("changed", "bob", "closed")]
    with pytest.raises(NotInRegister, match=r"www\.nowhere\.gov\.cn is not in the register"):
        dw.set_entry("www.nowhere.gov.cn", state="offline")
    with pytest.raises(InvalidOption):
        dw.set_entry("tjj.gansu.gov.cn")


def test_findings_filters_acknowledge_and_show(dw: Domainwatch) -> None:
    high = _open_finding(dw, "gsj.jiuquan.gov.cn", "unused.offline_still_resolving", "high")
    low = _open_finding(dw, "fzgg.gansu.gov.cn", "register.naming", "low")
    assert [f.id for f in dw.findings()] == [high, low]
    assert [f.id for f in dw.findings(severity="low")] == [low]
    assert [f.id for f in dw.findings(category="register")] == [low]
    assert [f.id for f in dw.findings(rule="unused.offline_still_resolving")] == [high]
    assert [f.id for f in dw.findings(name="GSJ.jiuquan.gov.cn")] == [high]
    assert dw.findings(status="acknowledged") == []

    acknowledged = dw.acknowledge(low, "renamed next month", by="ann")
    assert acknowledged.status == "acknowledged" and acknowledged.ack_note == "renamed next month"
    assert [f.id for f in dw.findings()] == [high]
    assert [f.id for f in dw.findings(status="all")] == [high, low]
    with pytest.raises(NoSuchFinding, match="no finding 999"):
        dw.acknowledge(999, "x")
    store = dw.store
    with store.transaction():
        store.reconcile_findings("gsj.jiuquan.gov.cn", ["unused.offline_still_resolving"], [],
                                 run_id=None, at="2026-11-27T02:17:00Z")
    with pytest.raises(FindingResolved, match=f"finding {high} is resolved"):
        dw.acknowledge(high, "x")

    details = dw.show("gsj.jiuquan.gov.cn").as_dict()
    assert list(details) == ["name", "entry", "history", "discovered", "last_scan", "dns",
                             "web", "links", "linked_from", "baselines", "findings"]
    assert details["name"] == "gsj.jiuquan.gov.cn" and details["entry"]["owner"]
    assert details["dns"] == [] and details["last_scan"] is None
    [finding] = details["findings"]
    assert finding == dw.finding(high).as_dict()
    assert finding["status"] == "resolved" and finding["display_name"] == "gsj.jiuquan.gov.cn"
    with pytest.raises(UnknownName, match="neither in the register nor discovered"):
        dw.show("www.nowhere.gov.cn")


def test_report_and_whois_need_no_scan(dw: Domainwatch, tmp_path: Path) -> None:
    _open_finding(dw, "gsj.jiuquan.gov.cn", "unused.offline_still_resolving", "high")
    text = dw.report("md", tmp_path / "report.md")
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == text
    assert "summary of gsj.jiuquan.gov.cn" in text
    assert not (tmp_path / "report.md.part").exists()
    with pytest.raises(NotRegistrable, match="public suffix"):
        dw.whois(["gov.cn"])
    with pytest.raises(InvalidOption) as raised:
        dw.whois(["gansu.gov.cn"], servers=["cn="])
    assert raised.value.parameter == "whois_servers"
    with pytest.raises(InvalidOption) as raised:
        dw.scan(resolvers=["not-an-address"])
    assert raised.value.parameter == "resolvers"
