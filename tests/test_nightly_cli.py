"""The nightly job end to end: `domainwatch run` over a changing local world, its exit codes,
scheduling, confirmations, the run lock, kill-and-resume, and `domainwatch cron`."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alert_servers import WebhookReceiver, free_port, smtp_server
from click.testing import CliRunner
from helpers import DEMO_REGISTER, dw, findings, kill_once_names_are_recorded

from domainwatch.cli import cli
from domainwatch.nightly import Schedule, due_names
from domainwatch.store import FindingDraft, RunLock, Store
from domainwatch.testnet import DEMO_WORLD, LocalInternet, load_scenario

IMMEDIATE = "[run]\nconfirm_open = 1\nconfirm_resolve = 1\nconfirm_open_by = {}\n"


def changed_world() -> Any:
    """The demo world a week later: the offline bureau's name is finally gone, and the
    provincial portal was repointed at a cloud name that does not exist."""
    scenario = load_scenario(DEMO_WORLD)
    for zone in scenario.zones:
        if zone.origin == "jiuquan.gov.cn":
            zone.records = [r for r in zone.records if not r.startswith("gsj.jiuquan.gov.cn.")]
        if zone.origin == "gansu.gov.cn":
            zone.records = [r for r in zone.records if not r.startswith("www.gansu.gov.cn.")]
            zone.records.append("www.gansu.gov.cn. 300 IN CNAME gansu.released.example-cloud.com.")
    return scenario


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "dw.db"
    assert dw(path, "register", "import", str(DEMO_REGISTER)).returncode == 0
    return path


def config_file(tmp_path: Path, net: Any, extra: str = IMMEDIATE) -> Path:
    path = tmp_path / f"dw-{net.resolver_address[0]}.toml"
    path.write_text(f'[scan]\nresolvers = ["{net.resolver}"]\ntimeout = 1.0\nretries = 1\n'
                    '[web]\nenabled = false\n' + extra)
    return path


def run(db: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return dw(db, "--config", str(config), "run", *args)


@pytest.fixture
def later_world() -> Iterator[Any]:
    with LocalInternet(changed_world()) as net:
        yield net


@pytest.mark.world
def test_two_runs_over_a_changing_world(db: Path, tmp_path: Path, local_internet: Any,
                                        later_world: Any) -> None:
    first = run(db, config_file(tmp_path, local_internet))
    assert first.returncode == 13, first.stderr  # the worst new finding is high
    assert first.stderr == ""
    lines = first.stdout.splitlines()
    opened = findings(db)
    assert lines[0] == f"{len(opened)} new:" and len(opened) >= 10
    assert any("unused.offline_still_resolving" in line and "gsj.jiuquan.gov.cn" in line
               for line in lines)
    quiet = run(db, config_file(tmp_path, local_internet))
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", ""), \
        "nothing is due and nothing is new: cron gets no mail"
    second = run(db, config_file(tmp_path, later_world), "--all")
    assert second.returncode == 13, (second.stdout, second.stderr)
    out = second.stdout
    assert out.startswith("1 new:"), out
    assert "dangling.cname" in out and "www.gansu.gov.cn" in out
    assert "1 resolved:" in out and "gsj.jiuquan.gov.cn" in out.split("1 resolved:")[1]
    assert out.count("\n") == 4, "only what changed"
    third = run(db, config_file(tmp_path, later_world), "--all", "--verbose")
    assert third.returncode == 0
    assert "nothing new" in third.stdout


@pytest.mark.world
def test_one_failed_night_does_not_open_or_close_findings(db: Path, tmp_path: Path,
                                                          local_internet: Any,
                                                          later_world: Any) -> None:
    smoothed = "[run]\nconfirm_open = 2\nconfirm_resolve = 2\n"
    config = config_file(tmp_path, local_internet, smoothed)
    first = run(db, config, "--all")
    assert first.returncode == 0 and first.stdout == "", "nothing confirmed after one night"
    assert findings(db) == []
    assert len(findings(db, "--status", "pending")) >= 10
    second = run(db, config, "--all")
    assert second.returncode == 13
    assert "gsj.jiuquan.gov.cn" in second.stdout
    later = config_file(tmp_path, later_world, smoothed)
    blip = run(db, later, "--all")
    assert "gsj.jiuquan.gov.cn" not in blip.stdout, "one clean night resolves nothing"
    assert "www.gansu.gov.cn" not in blip.stdout, "one bad night opens nothing"
    back = run(db, config, "--all")
    assert back.returncode == 0 and back.stdout == "", back.stdout
    dangling = findings(db, "--rule", "dangling.cname", "--status", "all")
    assert "www.gansu.gov.cn" not in {f["name"] for f in dangling}, \
        "an unconfirmed blip leaves no finding behind"


@pytest.mark.world
def test_a_second_run_is_refused_while_one_holds_the_database(db: Path, tmp_path: Path,
                                                              local_internet: Any) -> None:
    with RunLock(db):
        result = run(db, config_file(tmp_path, local_internet))
    assert result.returncode == 7
    assert "another scan is running" in result.stderr


@pytest.mark.world
def test_a_killed_run_resumes_and_loses_no_alert(db: Path, tmp_path: Path,
                                                 local_internet: Any) -> None:
    config = config_file(tmp_path, local_internet)
    config.write_text(config.read_text().replace("timeout = 1.0", "timeout = 3.0"))
    local_internet.flush_resolver_cache()
    kill_once_names_are_recorded(db, "--config", str(config), "run")
    conn = sqlite3.connect(db)
    queued = conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
    conn.close()
    assert queued > 0, "transitions are queued as they are recorded"
    resumed = run(db, config, "--verbose")
    assert resumed.returncode == 13, resumed.stderr
    conn = sqlite3.connect(db)
    statuses = conn.execute("SELECT status FROM runs ORDER BY id").fetchall()
    per_name = conn.execute("SELECT name, count(*) FROM run_names GROUP BY name").fetchall()
    entries = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    shown = conn.execute("SELECT count(*) FROM deliveries WHERE target = 'stdout'").fetchone()[0]
    total = conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
    conn.close()
    assert statuses == [("interrupted",), ("complete",)]
    # The next run takes up what was not done: every name scanned once, none twice.
    assert len(per_name) == entries and {n for _, n in per_name} == {1}
    assert shown == total, "every queued transition was reported, including those before the kill"
    assert f"{total} new:" in resumed.stdout


def test_scheduling_rechecks_findings_changes_and_high_value_entries_sooner(
        tmp_path: Path) -> None:
    now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

    def iso(moment: datetime) -> str:
        return moment.isoformat().replace("+00:00", "Z")

    with Store(tmp_path / "dw.db") as store:
        with store.transaction():
            for name, state, priority in (("www.x.gov.cn", "active", "high"),
                                          ("a.x.gov.cn", "active", "normal"),
                                          ("b.x.gov.cn", "active", "normal"),
                                          ("c.x.gov.cn", "deregistered", "normal"),
                                          ("d.x.gov.cn", "active", "normal")):
                store.save_entry({"name": name, "owner": "", "parent": None, "state": state,
                                  "site_code": "", "contact": "", "networks": [],
                                  "nameservers": [], "note": "", "priority": priority},
                                 by="t", reason="", action="added", changes={})
        run_id = store.start_run(4, "x", {})
        with store.transaction():
            store.conn.execute("UPDATE runs SET started = ? WHERE id = ?",
                               (iso(now - timedelta(hours=8)), run_id))
            for name in ("www.x.gov.cn", "a.x.gov.cn", "b.x.gov.cn", "c.x.gov.cn"):
                store.mark_name_done(run_id, name, "resolves")
            store.reconcile_findings("b.x.gov.cn", ("dangling.cname",), [FindingDraft(
                "dangling.cname", "high", "s", {})], run_id, iso(now - timedelta(hours=8)))
        store.finish_run(run_id, "complete")
        due = due_names(store, Schedule(), now, [])
        # www: high value (6 h); b: open finding (6 h); d: never scanned. a: daily, c: weekly.
        assert due == ["b.x.gov.cn", "d.x.gov.cn", "www.x.gov.cn"]
        assert "a.x.gov.cn" in due_names(store, Schedule(), now + timedelta(hours=16), [])
        assert "c.x.gov.cn" not in due_names(store, Schedule(), now + timedelta(days=2), [])


@pytest.mark.slow
def test_cron_prints_crontab_and_systemd_units(db: Path, tmp_path: Path) -> None:
    config = tmp_path / "dw.toml"
    config.write_text("[scan]\ntimeout = 2.0\n")
    result = dw(db, "--config", str(config), "cron", "--at", "03:05", "--mailto",
                "webadmin@gansu.gov.cn")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "MAILTO=webadmin@gansu.gov.cn" in out
    assert "5 3 * * * " in out and f"--db {db.resolve()}" in out
    assert f"--config {config.resolve()} run" in out
    assert "OnCalendar=*-*-* 03:05:00" in out and "Type=oneshot" in out
    assert "SuccessExitStatus=8 10 11 12 13 14" in out
    bad = dw(db, "cron", "--at", "25:00")
    assert bad.returncode == 2


def test_cron_units_read_the_secrets_the_configuration_names_by_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DW_TEST_SMTP_PASSWORD", "smtp-pa55word-do-not-show")
    monkeypatch.delenv("DW_TEST_HOOK_URL", raising=False)
    config = tmp_path / "dw.toml"
    config.write_text(alerts_config(25, "http://127.0.0.1/hook").replace(
        'url = "http://127.0.0.1/hook"', 'url_env = "DW_TEST_HOOK_URL"').replace(
        'sender = "domainwatch@gansu.gov.cn"', 'sender = "domainwatch@gansu.gov.cn"\n'
        'security = "starttls"\nusername = "dw"\npassword_env = "DW_TEST_SMTP_PASSWORD"'))
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "dw.db"), "--config",
                                      str(config), "cron"])
    assert result.exit_code == 0, result.output
    secrets = tmp_path / "dw.env"
    out = result.output
    assert "(DW_TEST_SMTP_PASSWORD, DW_TEST_HOOK_URL)" in out and f"# {secrets} " in out
    assert f" * * * set -a && . {secrets} && exec " in out
    assert f"[Service]\nType=oneshot\n# DW_TEST_SMTP_PASSWORD, DW_TEST_HOOK_URL\n" \
           f"EnvironmentFile={secrets}\nExecStart=" in out
    assert "smtp-pa55word-do-not-show" not in out
    plain = tmp_path / "plain.toml"
    plain.write_text(IMMEDIATE)
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "dw.db"), "--config",
                                      str(plain), "cron"])
    assert "EnvironmentFile" not in result.output and " * * * set -a" not in result.output
    assert result.output.startswith("# crontab -e")


@pytest.mark.slow
@pytest.mark.parametrize(("section", "message"), [
    ("[run]\nconfirm_open = 0\n", "confirm_open must be a whole number"),
    ("[run]\ninterval_active = \"daily\"\n", "not a duration"),
    ("[run]\nfrequency = 3\n", "no setting 'frequency'"),
])
def test_bad_run_settings(db: Path, tmp_path: Path, section: str, message: str) -> None:
    config = tmp_path / "dw.toml"
    config.write_text(section)
    result = dw(db, "--config", str(config), "run")
    assert result.returncode == 3
    assert message in result.stderr


def alerts_config(smtp_port: int, hook_url: str) -> str:
    return IMMEDIATE + f"""
[alerts]
default_recipients = ["webadmin@gansu.gov.cn"]
backoff = 0.05
[alerts.email]
host = "127.0.0.1"
port = {smtp_port}
sender = "domainwatch@gansu.gov.cn"
[[alerts.webhook]]
name = "省网站群"
kind = "json"
url = "{hook_url}"
"""


@pytest.mark.world
def test_run_alerts_each_transition_once_by_mail_and_webhook(
        db: Path, tmp_path: Path, local_internet: Any, later_world: Any) -> None:
    with smtp_server() as (port, mailbox), WebhookReceiver() as hook:
        extra = alerts_config(port, hook.url())
        first = run(db, config_file(tmp_path, local_internet, extra))
        assert first.returncode == 13, first.stderr
        opened = findings(db)
        [request] = hook.requests
        assert len(request.body["items"]) == len(opened)
        recipients = {rcpt for mail in mailbox.mails for rcpt in mail.rcpt_tos}
        assert {"gsj@jiuquan.gov.cn", "cdn@jiuquan.gov.cn", "webadmin@gansu.gov.cn"} <= recipients
        gsj_mail = next(m for m in mailbox.mails if m.rcpt_tos == ["gsj@jiuquan.gov.cn"])
        body = gsj_mail.message.get_body(("plain",)).get_content()
        assert "酒泉市工商行政管理局" in body and "unused.offline_still_resolving" in body
        assert "cdn.jiuquan.gov.cn" not in body, "each unit gets its own findings"
        sent = len(mailbox.mails)

        again = run(db, config_file(tmp_path, local_internet, extra), "--all")
        assert again.returncode == 0 and again.stdout == ""
        assert len(mailbox.mails) == sent and len(hook.requests) == 1, "alerted once, not nightly"

        later = run(db, config_file(tmp_path, later_world, extra), "--all")
        assert later.returncode == 13
        [change] = hook.requests[1:]
        assert sorted((i["transition"], i["name"]) for i in change.body["items"]) == [
            ("opened", "www.gansu.gov.cn"), ("resolved", "gsj.jiuquan.gov.cn")]
        assert {tuple(m.rcpt_tos) for m in mailbox.mails[sent:]} == {
            ("gsj@jiuquan.gov.cn",), ("webmaster@gansu.gov.cn",)}


@pytest.mark.world
def test_a_failed_channel_keeps_its_alerts_for_the_next_run(
        db: Path, tmp_path: Path, local_internet: Any) -> None:
    with WebhookReceiver() as hook:
        hook.default = (500, {"error": "down for maintenance"})
        extra = alerts_config(free_port(), hook.url())
        config = config_file(tmp_path, local_internet, extra)
        first = run(db, config)
        assert first.returncode == 13
        assert "alert not delivered, kept for the next run" in first.stderr
        assert "省网站群" in first.stderr
        tried = len(hook.requests)
        assert tried >= 1
        with smtp_server() as (port, mailbox):
            hook.default = (200, {"ok": True})
            config.write_text(config.read_text().replace(extra, alerts_config(port, hook.url())))
            second = run(db, config)
            assert second.returncode == 0, second.stderr
            assert second.stdout == "", "the findings were reported last night already"
            assert len(hook.requests[tried:]) == 1
            assert len(hook.requests[-1].body["items"]) == len(findings(db))
            assert mailbox.mails, "the mail that could not go out last night goes out now"
        third = run(db, config)
        assert third.returncode == 0 and third.stderr == ""


@pytest.mark.world
def test_report_command_writes_every_format(db: Path, tmp_path: Path,
                                            local_internet: Any) -> None:
    assert run(db, config_file(tmp_path, local_internet)).returncode == 13
    html = tmp_path / "report.html"
    result = dw(db, "report", "-o", str(html))
    assert result.returncode == 0, result.stderr
    assert f"wrote {html} (html" in result.stdout
    page = html.read_text(encoding="utf-8")
    assert "gsj.jiuquan.gov.cn" in page and "old.jiuquan.gov.cn" in page
    assert "<svg" in page and "http://" not in page.split("</head>")[0].replace(
        "http://www.w3.org", "")
    data = json.loads(dw(db, "report", "--format", "json").stdout)
    followup = {row["name"] for row in data["followup"]}
    assert followup == {"gsj.jiuquan.gov.cn", "old.jiuquan.gov.cn"}
    csv_text = dw(db, "report", "--format", "csv").stdout
    assert csv_text.splitlines()[0].startswith("section,")
    markdown = dw(db, "report", "--format", "md").stdout
    assert markdown.startswith("#")
    unwritable = dw(db, "report", "-o", str(tmp_path / "missing" / "r.html"))
    assert unwritable.returncode == 3 and "cannot write" in unwritable.stderr
