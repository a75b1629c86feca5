"""The library API (domainwatch.api): its results, its errors, and the README's example."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import domainwatch.api
from domainwatch import baseline
from domainwatch.api import (
    AlreadyInRegister,
    DiscoveryResult,
    Domainwatch,
    DomainwatchError,
    FindingResolved,
    ImportResult,
    InvalidOption,
    NoSuchFinding,
    NothingToAccept,
    NotInRegister,
    NotRegistrable,
    ReportNotWritten,
    UnknownName,
    row_warnings,
)
from domainwatch.cli import cli
from domainwatch.config import Config, ConfigError
from domainwatch.register import RegisterError, RowWarning
from domainwatch.store import FindingDraft, StoreError

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
def dw(tmp_path: Path, register_file: Path) -> Iterator[Domainwatch]:
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
    with pytest.raises(NotRegistrable, match="public suffix"):
        dw.whois(["gov.cn"])
    with pytest.raises(InvalidOption) as raised:
        dw.whois(["gansu.gov.cn"], servers=["cn="])
    assert raised.value.parameter == "whois_servers"
    with pytest.raises(InvalidOption) as raised:
        dw.scan(resolvers=["not-an-address"])
    assert raised.value.parameter == "resolvers"


# -- the review's defects ---------------------------------------------------------------------


def test_set_entry_takes_only_known_states_and_priorities(dw: Domainwatch) -> None:
    for keyword, value in (("state", "sleeping"), ("priority", "urgent")):
        with pytest.raises(InvalidOption) as raised:
            dw.set_entry("www.gansu.gov.cn", **{keyword: value})
        assert raised.value.parameter == keyword and repr(value) in str(raised.value)
    entry = dw.entry("www.gansu.gov.cn")
    assert entry is not None and (entry["state"], entry["priority"]) == ("active", "normal")
    assert [item["action"] for item in dw.entry_history("www.gansu.gov.cn")] == ["added"]


@pytest.mark.parametrize(("keyword", "value"),
                         [("timeout", 0), ("timeout", -1.5), ("retries", -1),
                          ("concurrency", 0)])
def test_bad_dns_settings_are_refused_before_a_run_starts(dw: Domainwatch, keyword: str,
                                                          value: float) -> None:
    for method in (dw.scan, dw.run):
        with pytest.raises(InvalidOption) as raised:
            method(resolvers=["127.0.0.1:9"], web=False, **{keyword: value})
        assert raised.value.parameter == keyword
    assert dw.db["runs"].count == 0  # no run left "interrupted" for the next scan to resume


def test_a_bad_resolver_of_the_configuration_file_blames_the_file(
        tmp_path: Path, register_file: Path) -> None:
    config = Config(resolvers=["not-an-address"], source=str(tmp_path / "dw.toml"))
    with Domainwatch(tmp_path / "dw.db", config) as dw:
        with pytest.raises(ConfigError) as raised:
            dw.scan(web=False)
        assert str(raised.value).startswith(f"{tmp_path / 'dw.toml'}: [scan] resolvers: ")
        assert "--resolver" not in str(raised.value)
        with pytest.raises(InvalidOption) as given:  # one given as an argument is the caller's
            dw.scan(resolvers=["not-an-address"], web=False)
        assert given.value.parameter == "resolvers"


def test_names_are_a_list_not_a_string_and_not_an_empty_one(dw: Domainwatch) -> None:
    for call in (lambda: dw.scan("www.gansu.gov.cn", web=False),
                 lambda: dw.scan([], web=False),
                 lambda: dw.scan(iter(()), web=False)):
        with pytest.raises(InvalidOption) as raised:
            call()
        assert raised.value.parameter == "names"
    with pytest.raises(InvalidOption, match="no names given"):
        dw.scan([], web=False)
    with pytest.raises(InvalidOption) as raised:
        dw.whois("gansu.gov.cn")
    assert raised.value.parameter == "domains"
    assert dw.whois([]) == []
    assert dw.db["runs"].count == 0


@pytest.mark.parametrize(("keyword", "value", "message"), [
    ("status", "closed", "status 'closed' is not one of open, acknowledged, resolved, pending"),
    ("category", "dnss", "category 'dnss'"),
    ("rule", "dangling.cnam", "no rule 'dangling.cnam' (did you mean dangling.cname"),
    ("severity", "urgent", "severity 'urgent'"),
])
def test_findings_filters_are_checked(dw: Domainwatch, keyword: str, value: str,
                                      message: str) -> None:
    with pytest.raises(InvalidOption) as raised:
        dw.findings(**{keyword: value})
    assert raised.value.parameter == keyword and str(raised.value).startswith(message)


def test_entries_report_and_import_formats_are_checked(dw: Domainwatch, tmp_path: Path,
                                                       register_file: Path) -> None:
    with pytest.raises(InvalidOption) as raised:
        dw.entries("sleeping")
    assert raised.value.parameter == "state"
    with pytest.raises(InvalidOption) as raised:
        dw.report("pdf")
    assert raised.value.parameter == "format"
    with pytest.raises(InvalidOption) as raised:
        dw.import_register(register_file, format="xml")
    assert raised.value.parameter == "format"
    assert len(dw.entries("active")) == 4


def test_accept_of_a_name_never_scanned_or_not_in_the_register(dw: Domainwatch) -> None:
    with pytest.raises(NotInRegister, match=r"www\.nowhere\.gov\.cn is not in the register"):
        dw.accept("www.nowhere.gov.cn")
    with pytest.raises(NothingToAccept, match="has not been scanned yet; scan it first") as raised:
        dw.accept("www.gansu.gov.cn")
    assert isinstance(raised.value, DomainwatchError)
    assert isinstance(raised.value, baseline.NothingToAccept)  # as it was before


def test_an_import_reports_its_naming_problems(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text("name,owner,parent\nwww.gansu.gov.cn,甘肃省人民政府办公厅,\n"
                    "fzgg.jiuquan.gov.cn,甘肃省发展和改革委员会,www.gansu.gov.cn\n",
                    encoding="utf-8")
    with Domainwatch(tmp_path / "dw.db", Config()) as dw:
        assert dw.import_register(path, dry_run=True).naming_problems == []  # not checked
        result = dw.import_register(path, by="test")
    assert isinstance(result, ImportResult)
    assert result.naming_problems == [
        "fzgg.jiuquan.gov.cn is not under gansu.gov.cn, the domain of its parent "
        "www.gansu.gov.cn"]


def test_a_report_that_cannot_be_written_leaves_no_part_file(dw: Domainwatch, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    with pytest.raises(ReportNotWritten, match=f"cannot write {re.escape(str(folder))}"):
        dw.report("md", folder)
    assert not (tmp_path / "reports.part").exists() and folder.is_dir()

    target = tmp_path / "report.md"
    target.write_text("the last report", encoding="utf-8")

    def full_disk(source: object, destination: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(ReportNotWritten, match="No space left on device"):
        dw.report("md", target)
    assert target.read_text(encoding="utf-8") == "the last report"
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".part")] == []


ROW_WITH_A_WARNING = "name,owner\nhttps://tjj.gansu.gov.cn/index.html,甘肃省统计局\n"


def _locked(*args: object, **kwargs: object) -> None:
    raise StoreError("database dw.db is locked by another domainwatch process; try again later")


def test_an_import_that_cannot_be_written_keeps_its_row_warnings(
        dw: Domainwatch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "more.csv"
    path.write_text(ROW_WITH_A_WARNING, encoding="utf-8")
    monkeypatch.setattr(domainwatch.api, "apply_plan", _locked)
    with pytest.raises(StoreError) as raised:
        dw.import_register(path, by="test")
    [warning] = row_warnings(raised.value)
    assert isinstance(warning, RowWarning) and warning.row == 2 and "is a URL" in warning.message


def test_the_command_prints_the_row_warnings_of_an_import_it_could_not_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "more.csv"
    path.write_text(ROW_WITH_A_WARNING, encoding="utf-8")
    monkeypatch.setattr(domainwatch.api, "apply_plan", _locked)
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "dw.db"), "register", "import",
                                      str(path)])
    assert result.exit_code == 4
    assert result.output.splitlines() == [
        "warning: row 2: name 'https://tjj.gansu.gov.cn/index.html' is a URL; read as its "
        "host tjj.gansu.gov.cn",
        "domainwatch: database dw.db is locked by another domainwatch process; try again later"]


def test_the_command_line_names_its_options_where_the_api_names_its_keywords(
        dw: Domainwatch, tmp_path: Path, register_file: Path) -> None:
    with pytest.raises(InvalidOption) as raised:
        dw.set_entry("www.gansu.gov.cn")
    assert str(raised.value) == "give state or priority"
    with pytest.raises(InvalidOption) as raised:
        dw.import_register(register_file, origin="gansu.gov.cn")
    assert str(raised.value) == "origin and accept apply to zone files and certificate logs"
    db = ["--db", str(tmp_path / "dw.db")]
    runner = CliRunner()
    result = runner.invoke(cli, [*db, "register", "set", "www.gansu.gov.cn"])
    assert result.exit_code == 2 and "Error: give --state or --priority" in result.output
    result = runner.invoke(cli, [*db, "register", "import", str(register_file), "--accept"])
    assert result.exit_code == 2 and ("Error: --origin and --accept apply to zone files and "
                                      "certificate logs") in result.output
