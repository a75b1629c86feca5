"""End to end through the installed CLI: import → scan → findings, against the local test
internet (real Knot DNS and Unbound on loopback)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import DEMO_ENTRIES, DEMO_REGISTER, FAST, dw, findings, kill_once_names_are_recorded

from domainwatch import placeholders, rules
from domainwatch.api import Domainwatch
from domainwatch.store import FindingChanges, RunLock


def by_rule(rows: list[dict[str, Any]]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    for row in rows:
        grouped.setdefault(row["rule"], set()).add(row["name"])
    return grouped


@pytest.fixture(scope="module")
def scanned(local_internet: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo register imported and scanned once; tests below only read it."""
    db = tmp_path_factory.mktemp("scanned") / "dw.db"
    imported = dw(db, "register", "import", str(DEMO_REGISTER))
    assert imported.returncode == 0, imported.stderr
    result = dw(db, "scan", "--resolver", local_internet.resolver, "--timeout", "1",
                "--retries", "1", "--ca-file", str(local_internet.ca_file))
    assert result.returncode == 0, result.stderr
    return {"db": db, "scan": result, "findings": findings(db, "--status", "all")}


@pytest.mark.world
def test_every_rule_of_the_slice_is_found_where_planted(scanned: dict[str, Any]) -> None:
    rules = by_rule(scanned["findings"])
    assert rules["unused.no_dns"] == {"jyj.jiuquan.gov.cn", "wsj.jiuquan.gov.cn"}
    assert rules["unused.offline_still_resolving"] == {"gsj.jiuquan.gov.cn",
                                                       "old.jiuquan.gov.cn"}
    assert rules["dangling.cname"] == {"cdn.jiuquan.gov.cn", "loop1.jiuquan.gov.cn",
                                       "news.jiuquan.gov.cn"}
    assert rules["register.naming"] == {"www.jqtz.com", "nyj.zhangye.gov.cn"}
    assert rules["register.wildcard"] == {"tianshui.gov.cn"}
    assert rules["dangling.ns"] == {"www.zhangye.gov.cn", "nyj.zhangye.gov.cn",
                                    "www.jiayuguan.gov.cn", "www.wuwei.gov.cn"}
    assert rules["dangling.mx"] == {"fgw.jiuquan.gov.cn"}
    assert rules["dangling.service"] == {"static.jiuquan.gov.cn"}, \
        "the claimed bucket and the merely 'Not Found' service are not flagged"
    assert set(rules) == {"unused.no_dns", "unused.offline_still_resolving", "dangling.cname",
                          "register.naming", "register.wildcard", "dangling.ns", "dangling.mx",
                          "dangling.service", "link.hijacked", *WEB_RULES}
    assert rules["link.hijacked"] == {"www.jiuquan.gov.cn"}, \
        "the portal's 投资酒泉 column links to the taken-over gsj site (the Subei case)"


WEB_RULES = {"unused.no_web", "unused.placeholder", "hijacked.content", "hijacked.cloaking",
             "hijacked.redirect", "tls.invalid", "tls.expiring", "tls.weak"}


@pytest.mark.world
def test_the_web_cases_of_the_demo_world(scanned: dict[str, Any]) -> None:
    rules = by_rule(scanned["findings"])
    assert {rule: names for rule, names in rules.items() if rule in WEB_RULES} == {
        "hijacked.content": {"gsj.jiuquan.gov.cn", "fgw.jiuquan.gov.cn"},
        "hijacked.cloaking": {"gsj.jiuquan.gov.cn", "www.lanzhou.gov.cn"},
        "hijacked.redirect": {"jyj.lanzhou.gov.cn"},
        "unused.placeholder": {"bigtxt.jiuquan.gov.cn", "www.jqtz.com"},
        "unused.no_web": {"rsj.lanzhou.gov.cn"},
        "tls.invalid": {"www.tianshui.gov.cn", "lyj.jiuquan.gov.cn"},
        "tls.expiring": {"www.lanzhou.gov.cn"},
        "tls.weak": {"lyj.jiuquan.gov.cn"},
    }, ("Gansu (HTTPS redirect, lottery news), Jiuquan (GBK) and 酒泉.政务 (meta refresh "
        "to the portal) are clean")
    assert "hijacked.dns_changed" not in rules


@pytest.mark.world
def test_an_unclaimed_bucket_is_a_dangling_service(scanned: dict[str, Any]) -> None:
    [bucket] = [f for f in scanned["findings"] if f["rule"] == "dangling.service"]
    assert bucket["subject"] == "jq-static.oss-cn-lanzhou.aliyuncs.com"
    assert bucket["evidence"]["service"] == "Alibaba Cloud OSS"
    assert bucket["evidence"]["status"] == 404 and bucket["evidence"]["matched"]


@pytest.mark.world
def test_lame_delegations_say_what_each_server_did(scanned: dict[str, Any]) -> None:
    lame = {f["name"]: f for f in scanned["findings"] if f["rule"] == "dangling.ns"}
    zhangye = lame["www.zhangye.gov.cn"]
    assert zhangye["subject"] == "zhangye.gov.cn" and zhangye["severity"] == "high"
    assert [s["outcome"] for s in zhangye["evidence"]["servers"]] == ["refused"]
    assert zhangye["evidence"]["parent"] == "gov.cn"
    silent = lame["www.jiayuguan.gov.cn"]["evidence"]["servers"]
    assert [s["outcome"] for s in silent] == ["timeout"]
    lapsed = lame["www.wuwei.gov.cn"]["evidence"]["servers"]
    assert [(s["host"], s["outcome"]) for s in lapsed] == [("ns1.lapsed-dns.com", "nxdomain")]
    [mx] = [f for f in scanned["findings"] if f["rule"] == "dangling.mx"]
    assert mx["subject"] == "oldmail.jiuquan.gov.cn" and mx["evidence"]["lookup"] == "nxdomain"


@pytest.mark.world
def test_findings_json_has_the_contract_fields(scanned: dict[str, Any]) -> None:
    required = {"id", "name", "rule", "category", "severity", "status", "first_seen",
                "last_seen", "summary", "evidence"}
    for row in scanned["findings"]:
        assert required <= set(row)
        assert row["category"] == row["rule"].split(".")[0]
        assert row["first_seen"].endswith("Z")
        assert row["status"] == "open"


@pytest.mark.world
def test_a_cname_crossing_zones_into_nxdomain_is_dangling(scanned: dict[str, Any]) -> None:
    [finding] = [f for f in scanned["findings"]
                 if f["rule"] == "dangling.cname" and f["name"] == "cdn.jiuquan.gov.cn"]
    assert finding["subject"] == "jiuquan-gov.cdn.example-cloud.com"
    assert finding["evidence"]["chain_end"] == "nxdomain"
    assert finding["severity"] == "high"


@pytest.mark.world
def test_a_cname_loop_is_reported_as_such(scanned: dict[str, Any]) -> None:
    [finding] = [f for f in scanned["findings"] if f["name"] == "loop1.jiuquan.gov.cn"]
    assert finding["evidence"]["status"] == "cname_loop"
    assert "loops" in finding["summary"]


@pytest.mark.world
def test_dns_failures_are_unresolved_never_findings(scanned: dict[str, Any]) -> None:
    for name in ("www.zhangye.gov.cn", "www.jiayuguan.gov.cn"):
        rules = {f["rule"] for f in scanned["findings"] if f["name"] == name}
        assert rules == {"dangling.ns"}, "the broken delegation, never 'does not exist'"
    output = scanned["scan"].stdout
    assert "www.zhangye.gov.cn: " in output and "servfail" in output.lower()
    assert "www.jiayuguan.gov.cn: " in output
    conn = sqlite3.connect(scanned["db"])
    observed = {row[0] for row in conn.execute("SELECT name FROM observations")}
    outcomes = dict(conn.execute("SELECT name, outcome FROM run_names"))
    conn.close()
    assert "www.zhangye.gov.cn" not in observed
    assert outcomes["www.zhangye.gov.cn"].startswith("unresolved")


@pytest.mark.world
def test_a_name_whose_answer_is_truncated_is_read_over_tcp(scanned: dict[str, Any]) -> None:
    shown = json.loads(dw(scanned["db"], "show", "bigtxt.jiuquan.gov.cn", "--format",
                          "json").stdout)
    data = shown["dns"][0]["data"]
    assert data["status"] == "resolves"
    assert len(data["txt"]) >= 30
    assert data["statuses"]["TXT"] == "ok"


@pytest.mark.world
def test_idn_names_resolve_and_show_in_unicode(scanned: dict[str, Any]) -> None:
    result = dw(scanned["db"], "show", "酒泉.政务")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("酒泉.政务  (xn--bww729e.xn--zfr164b)")
    assert "resolves" in result.stdout
    table = dw(scanned["db"], "register", "list").stdout
    assert "酒泉.政务" in table


@pytest.mark.world
def test_show_prints_entry_history_fingerprint_and_findings(scanned: dict[str, Any]) -> None:
    result = dw(scanned["db"], "show", "gsj.jiuquan.gov.cn")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "酒泉市工商行政管理局" in out
    assert "state       offline" in out
    assert "added  (import demo-register.csv)" in out
    assert "fingerprint   unchanged since" in out
    assert "unused.offline_still_resolving" in out


@pytest.mark.world
def test_filters_and_formats(scanned: dict[str, Any]) -> None:
    db = scanned["db"]
    assert by_rule(findings(db, "--category", "dangling")).keys() == {
        "dangling.cname", "dangling.ns", "dangling.mx", "dangling.service"}
    assert by_rule(findings(db, "--rule", "unused.no_dns")).keys() == {"unused.no_dns"}
    assert all(f["severity"] == "high" for f in findings(db, "--severity", "high"))
    assert findings(db, "--status", "resolved") == []
    csv_out = dw(db, "findings", "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("id,name,rule,category,severity,status")
    table = dw(db, "findings").stdout
    assert "dangling.cname" in table and "findings" in table.splitlines()[-1]


@pytest.mark.world
def test_rescanning_an_unchanged_world_adds_no_observation_and_no_finding(
        local_internet: Any, tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    dw(db, "register", "import", str(DEMO_REGISTER))
    first = dw(db, "scan", "--resolver", local_internet.resolver, *FAST)
    assert first.returncode == 0, first.stderr
    before = findings(db, "--status", "all")
    conn = sqlite3.connect(db)
    rows_before = conn.execute("SELECT count(*) FROM observations").fetchone()[0]
    second = dw(db, "scan", "--resolver", local_internet.resolver, *FAST)
    assert second.returncode == 0, second.stderr
    assert "; 0 fingerprints new or changed" in second.stdout
    assert "0 opened, 0 reopened, 0 escalated, 0 resolved" in second.stdout
    assert conn.execute("SELECT count(*) FROM observations").fetchone()[0] == rows_before
    assert conn.execute("SELECT count(DISTINCT last_run) FROM observations").fetchone()[0] == 1
    conn.close()
    after = findings(db, "--status", "all")
    assert [f["id"] for f in after] == [f["id"] for f in before]
    assert all(a["last_seen"] >= b["last_seen"] for a, b in zip(after, before, strict=True))


@pytest.mark.world
def test_register_changes_open_and_resolve_findings(local_internet: Any, tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    dw(db, "register", "import", str(DEMO_REGISTER))
    dw(db, "scan", "--resolver", local_internet.resolver, *FAST)
    [gsj] = findings(db, "--rule", "unused.offline_still_resolving", "--status", "all")[:1]
    ack = dw(db, "ack", str(gsj["id"]), "--note", "deregistration requested", "--by", "li")
    assert ack.returncode == 0, ack.stderr
    assert findings(db, "--status", "acknowledged")[0]["ack_note"] == "deregistration requested"
    dw(db, "register", "set", gsj["name"], "--state", "active", "--note", "site reopened")
    dw(db, "register", "set", "www.gansu.gov.cn", "--state", "offline")
    result = dw(db, "scan", gsj["name"], "www.gansu.gov.cn", "--resolver",
                local_internet.resolver, *FAST)
    assert result.returncode == 0, result.stderr
    assert "1 opened, 0 reopened, 0 escalated, 1 resolved" in result.stdout
    resolved = findings(db, "--status", "resolved")
    assert [f["id"] for f in resolved] == [gsj["id"]]
    opened = findings(db, "--rule", "unused.offline_still_resolving")
    assert {f["name"] for f in opened} == {"www.gansu.gov.cn", "old.jiuquan.gov.cn"}


@pytest.mark.world
def test_resolver_down_is_one_clear_error_and_no_finding(local_internet: Any,
                                                         tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    dw(db, "register", "import", str(DEMO_REGISTER))
    for address in (local_internet.dead_address, local_internet.blackhole):
        result = dw(db, "scan", "--resolver", address, "--timeout", "0.3", "--retries", "0")
        assert result.returncode == 5, (result.stdout, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert address.split(":")[0] in result.stderr
    assert findings(db, "--status", "all") == []
    conn = sqlite3.connect(db)
    assert {row[0] for row in conn.execute("SELECT status FROM runs")} == {"failed"}
    conn.close()


@pytest.mark.world
def test_an_interrupted_scan_resumes_and_ends_like_a_complete_one(local_internet: Any,
                                                                  tmp_path: Path) -> None:
    reference = tmp_path / "reference.db"
    dw(reference, "register", "import", str(DEMO_REGISTER))
    dw(reference, "scan", "--resolver", local_internet.resolver, "--timeout", "3",
       "--retries", "1")
    db = tmp_path / "dw.db"
    dw(db, "register", "import", str(DEMO_REGISTER))
    # The silent name servers keep this scan busy for seconds after the fast names are done,
    # once Unbound has forgotten that they are silent.
    local_internet.flush_resolver_cache()
    done = kill_once_names_are_recorded(db, "scan", "--resolver", local_internet.resolver,
                                        "--timeout", "3", "--retries", "1")
    assert done > 0
    result = dw(db, "scan", "--resolver", local_internet.resolver, "--timeout", "3",
                "--retries", "1")
    assert result.returncode == 0, result.stderr
    assert "(resumed run 1 after " in result.stdout
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT id, status FROM runs").fetchall() == [(1, "complete")]
    total = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM run_names WHERE run_id = 1").fetchone()[0] == total
    conn.close()

    def key(rows: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
        return {(f["name"], f["rule"], f["subject"]) for f in rows}

    assert key(findings(db, "--status", "all")) == key(findings(reference, "--status", "all"))


@pytest.mark.world
def test_a_second_scan_on_a_busy_database_is_refused(local_internet: Any,
                                                     tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    dw(db, "register", "import", str(DEMO_REGISTER))
    with RunLock(db):
        result = dw(db, "scan", "--resolver", local_internet.resolver)
    assert result.returncode == 7
    assert "another scan is running" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("args", "code", "message"), [
    (("findings", "--status", "bogus"), 2, "Invalid value for '--status'"),
    (("register", "import", "/nonexistent/register.csv"), 3, "file not found"),
    (("scan", "www.not-registered.gov.cn", "--resolver", "127.0.0.1"), 3,
     "neither in the register nor discovered"),
    (("scan", "--resolver", "not-an-address"), 2, "--resolver"),
    (("show", "www.not-registered.gov.cn"), 3, "neither in the register nor discovered"),
    (("ack", "999", "--note", "x"), 3, "no finding 999"),
])
def test_user_errors_are_one_clear_line(tmp_path: Path, args: tuple[str, ...], code: int,
                                        message: str) -> None:
    db = tmp_path / "dw.db"
    dw(db, "register", "import", str(DEMO_REGISTER))
    result = dw(db, *args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_non_database_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    db.write_text("not a database\n" * 100)
    result = dw(db, "findings")
    assert result.returncode == 4
    assert "Traceback" not in result.stderr


@pytest.mark.world
def test_the_demo_command_prints_findings(tmp_path: Path) -> None:
    def demo() -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "domainwatch", "demo", "--keep-db",
                                 str(tmp_path / "demo.db")], capture_output=True, text=True,
                                timeout=180, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, result.stderr
        return result

    result = demo()
    for rule in ("unused.no_dns", "unused.offline_still_resolving", "dangling.cname",
                 "dangling.ns", "dangling.mx", "dangling.service", "register.naming",
                 "register.unlisted",
                 "register.not_in_zone", "register.wildcard", "unregistered.domain",
                 "unregistered.expiring"):
        assert rule in result.stdout
    assert "synced zone jiuquan.gov.cn (AXFR from" in result.stdout
    # and it ends with the Subei case, told scan by scan
    story = result.stdout.split("The Subei case, as it happened", 1)[1]
    chapters = story.split("\n4. ")
    assert "+ medium   link.dead" in chapters[0] and "link.unregistered" in chapters[0]
    assert "+ critical link.hijacked" in chapters[1]
    assert "- critical link.unregistered" in chapters[1]
    # told again from the start, whatever the kept demo database already holds
    again = demo().stdout.split("The Subei case, as it happened", 1)[1]
    first_chapter = story.split("\n2. ")[0].split("\n", 1)[1]
    assert again.split("\n2. ")[0].split("\n", 1)[1] == first_chapter
    assert (tmp_path / "demo-subei.db").exists()


@pytest.mark.world
def test_a_scan_on_a_terminal_shows_progress_and_from_cron_prints_only_results(
        local_internet: Any, tmp_path: Path) -> None:
    import pty

    db = tmp_path / "dw.db"
    dw(db, "register", "import", str(DEMO_REGISTER))
    quiet = dw(db, "scan", "--resolver", local_internet.resolver, *FAST)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert quiet.stdout.startswith(f"run 1: scanned {DEMO_ENTRIES} of {DEMO_ENTRIES} names")
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-m", "domainwatch", "--db", str(db), "scan",
                                  "--resolver", local_internet.resolver, *FAST])
    screen = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    text = screen.decode()
    assert "scan: " in text and f"/{DEMO_ENTRIES} names" in text
    assert "/s" in text and "left" in text
    assert f"run 2: scanned {DEMO_ENTRIES} of {DEMO_ENTRIES} names" in text


@pytest.mark.world
def test_the_configuration_file_supplies_resolver_and_timeouts(local_internet: Any,
                                                              tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    dw(db, "register", "import", str(DEMO_REGISTER))
    config = tmp_path / "domainwatch.toml"
    config.write_text(f'[scan]\nresolvers = ["{local_internet.resolver}"]\ntimeout = 1.0\n'
                      "retries = 1\nconcurrency = 50\n")
    result = dw(db, "--config", str(config), "scan")
    assert result.returncode == 0, result.stderr
    assert f"scanned {DEMO_ENTRIES} of {DEMO_ENTRIES}" in result.stdout
    config.write_text('[scan]\nresolver = "127.0.0.1"\n')
    result = dw(db, "--config", str(config), "findings")
    assert result.returncode == 3
    assert "no setting 'resolver'" in result.stderr


# --- recheck: the stored observations judged again ---------------------------------------

JUDGED = ("id", "rule", "name", "subject", "status", "severity", "summary", "evidence")


def _judged(db: Path) -> list[dict[str, Any]]:
    """The findings as judged: a second evaluation adds the first one's capture to a hijack's
    evidence (``first_capture``), as a second scan would."""
    rows = [{key: row[key] for key in JUDGED} for row in findings(db, "--status", "all")]
    for row in rows:
        row["evidence"].pop("first_capture", None)
    return rows


@pytest.mark.world
def test_a_recheck_of_what_was_just_scanned_changes_nothing(scanned: dict[str, Any],
                                                           tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    shutil.copy(scanned["db"], db)
    before = _judged(db)
    result = dw(db, "recheck")
    assert result.returncode == 0, result.stderr
    assert "findings: 0 opened, 0 reopened, 0 escalated, 0 resolved" in result.stdout, \
        "judging the stored observations gives what judging them live gave"
    assert _judged(db) == before, "evidence and summaries included"
    with Domainwatch(db) as api:
        summary = api.recheck()
    assert summary.changes == FindingChanges() and summary.names_rechecked > 0
    assert set(summary.not_rechecked.values()) <= {"its last scan could not resolve it"}
    unknown = dw(db, "recheck", "nowhere.jiuquan.gov.cn")
    assert unknown.returncode == 3 and "neither in the register nor discovered" in unknown.stderr


@pytest.mark.world
def test_a_recheck_follows_a_register_change_without_scanning(scanned: dict[str, Any],
                                                              tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    shutil.copy(scanned["db"], db)
    [lingering] = [f for f in findings(db) if f["rule"] == "unused.offline_still_resolving"
                   and f["name"] == "gsj.jiuquan.gov.cn"]
    with Domainwatch(db) as api:
        api.set_entry("gsj.jiuquan.gov.cn", state="active", note="back in use")
        api.add_entry("new.jiuquan.gov.cn", owner="新单位")
        summary = api.recheck(["gsj.jiuquan.gov.cn", "new.jiuquan.gov.cn"])
        status = api.finding(lingering["id"]).status
    assert summary.changes.resolved == [lingering["id"]], \
        "an active entry is not 'offline but still resolving'"
    assert status == "resolved"
    assert summary.not_rechecked == {"new.jiuquan.gov.cn": "never scanned"}


@pytest.mark.world
def test_a_recheck_finds_again_what_the_scan_found(scanned: dict[str, Any],
                                                   tmp_path: Path) -> None:
    db = tmp_path / "dw.db"
    shutil.copy(scanned["db"], db)
    found = {(f["rule"], f["name"], f["subject"]) for f in findings(db)}
    with sqlite3.connect(db) as conn:  # as if no scan had judged anything
        conn.executescript("DELETE FROM deliveries; DELETE FROM alerts; "
                           "DELETE FROM finding_events; DELETE FROM findings;")
    with Domainwatch(db) as api:
        summary = api.recheck()
    again = {(f["rule"], f["name"], f["subject"]) for f in findings(db)}
    assert again == found
    assert {rules.get(rule).stage for rule, _, _ in again} == set(rules.STAGES) - {
        "registration"}, "every stage's rules (WHOIS is off in this world)"
    assert len(summary.changes.opened) == len(found)


@pytest.mark.world
def test_a_recheck_follows_a_changed_signature_file(scanned: dict[str, Any], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "dw.db"
    shutil.copy(scanned["db"], db)
    [default_page] = [f for f in findings(db) if f["rule"] == "unused.placeholder"
                      and f["evidence"]["placeholder"]["id"] == "nginx-default"]
    # an upgrade that drops the signature (say it proved too broad)
    signatures = json.loads(placeholders.PLACEHOLDERS_FILE.read_text(encoding="utf-8"))
    changed = tmp_path / "placeholder-pages.json"
    changed.write_text(json.dumps([s for s in signatures if s["id"] != "nginx-default"]),
                       encoding="utf-8")
    monkeypatch.setattr(placeholders, "PLACEHOLDERS_FILE", changed)
    placeholders._packaged_placeholders.cache_clear()
    try:
        with Domainwatch(db) as api:
            summary = api.recheck()
            status = api.finding(default_page["id"]).status
    finally:
        placeholders._packaged_placeholders.cache_clear()
    assert summary.changes.resolved == [default_page["id"]] and status == "resolved"
    assert not summary.changes.opened
