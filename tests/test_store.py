"""Storage: migrations keep every row, observations are change-only, findings have a lifecycle."""

import ast
import re
import sqlite3
import threading
from pathlib import Path

import pytest

from domainwatch import store as store_module
from domainwatch.store import (
    SCHEMA_VERSION,
    Confirmation,
    FindingDraft,
    RunLock,
    Store,
    StoreError,
)

OLD_DUMP = Path(__file__).parent / "data" / "domainwatch-schema1.sql"


def old_database(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_DUMP.read_text(encoding="utf-8"))
    conn.close()
    return path


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    tables = ("entries", "entry_history", "runs", "observations", "findings")
    result = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    conn.close()
    return result


def test_a_schema_1_database_upgrades_in_place_keeping_every_row(tmp_path: Path) -> None:
    path = old_database(tmp_path)
    before = counts(path)
    assert before == {"entries": 3, "entry_history": 3, "runs": 1, "observations": 1,
                      "findings": 1}
    with Store(path) as store:
        assert store.version == SCHEMA_VERSION
        entry = store.entry("gsj.jiuquan.gov.cn")
        assert entry is not None
        assert entry["owner"] == "酒泉市工商行政管理局"
        assert entry["networks"] == ["127.20.1.0/24"]
        finding = store.findings(status="acknowledged")[0]
        assert finding["ack_note"] == "deregistration filed with CNNIC"
        events = [e["event"] for e in store.finding_events(finding["id"])]
        assert events == ["opened", "acknowledged"]
        assert store.observations("gsj.jiuquan.gov.cn", "dns")[0]["data"]["a"] == ["127.20.1.20"]
    assert counts(path) == before


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer domainwatch"):
        Store(path)


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not domainwatch's"):
        Store(path)


def test_observations_are_change_only(tmp_path: Path) -> None:
    with Store(tmp_path / "dw.db") as store:
        fingerprint = {"status": "resolves", "a": ["127.20.1.10"]}
        with store.transaction():
            assert store.record_observation("www.x.gov.cn", "dns", fingerprint,
                                            {**fingerprint, "ttls": {"A": 300}}, 1, "T1")
            assert not store.record_observation("www.x.gov.cn", "dns", fingerprint,
                                                {**fingerprint, "ttls": {"A": 60}}, 2, "T2")
            assert store.record_observation("www.x.gov.cn", "dns",
                                            {"status": "resolves", "a": ["127.20.1.11"]},
                                            {}, 3, "T3")
        rows = store.observations("www.x.gov.cn", "dns")
        assert len(rows) == 2
        assert (rows[1]["first_seen"], rows[1]["last_seen"], rows[1]["last_run"]) == \
            ("T1", "T2", 2)


def draft(subject: str = "", severity: str = "high") -> FindingDraft:
    return FindingDraft("dangling.cname", severity, "chain ends nowhere", {"x": 1}, subject)


def reconcile(store: Store, drafts: list[FindingDraft], at: str,
              evaluated: tuple[str, ...] = ("dangling.cname",)):
    with store.transaction():
        return store.reconcile_findings("www.x.gov.cn", evaluated, drafts, None, at)


def test_finding_lifecycle_open_ack_resolve_reopen(tmp_path: Path) -> None:
    with Store(tmp_path / "dw.db") as store:
        assert len(reconcile(store, [draft()], "T1").opened) == 1
        changes = reconcile(store, [draft()], "T2")
        assert not changes.opened and not changes.resolved
        [finding] = store.findings(status="all")
        assert (finding["first_seen"], finding["last_seen"]) == ("T1", "T2")
        store.acknowledge(finding["id"], "ticket 42", "li")
        reconcile(store, [draft()], "T3")
        assert store.finding(finding["id"])["status"] == "acknowledged"
        assert reconcile(store, [], "T4").resolved == [finding["id"]]
        assert store.finding(finding["id"])["resolved_at"] == "T4"
        assert reconcile(store, [draft()], "T5").reopened == [finding["id"]]
        reopened = store.finding(finding["id"])
        assert (reopened["status"], reopened["first_seen"]) == ("open", "T1")
        assert reconcile(store, [draft(severity="critical")], "T6").escalated == [finding["id"]]
        events = [e["event"] for e in store.finding_events(finding["id"])]
        assert events == ["opened", "acknowledged", "resolved", "reopened", "escalated"]
        assert len(store.findings(status="all")) == 1


def test_rules_not_evaluated_are_left_alone(tmp_path: Path) -> None:
    with Store(tmp_path / "dw.db") as store:
        reconcile(store, [draft()], "T1")
        changes = reconcile(store, [], "T2", evaluated=())
        assert not changes.resolved
        assert store.findings(status="open")[0]["last_seen"] == "T1"


def test_one_finding_per_subject(tmp_path: Path) -> None:
    with Store(tmp_path / "dw.db") as store:
        reconcile(store, [draft("a.example-cloud.com"), draft("b.example-cloud.com")], "T1")
        reconcile(store, [draft("a.example-cloud.com")], "T2")
        statuses = {f["subject"]: f["status"] for f in store.findings(status="all")}
        assert statuses == {"a.example-cloud.com": "open", "b.example-cloud.com": "resolved"}


def test_unjudged_subjects_are_left_alone(tmp_path: Path) -> None:
    with Store(tmp_path / "dw.db") as store:
        reconcile(store, [draft("partner.example"), draft("old-bureau.com")], "T1")
        with store.transaction():
            changes = store.reconcile_findings("www.x.gov.cn", ("dangling.cname",), [], None,
                                               "T2", unjudged={"partner.example"})
        statuses = {f["subject"]: f["status"] for f in store.findings(status="all")}
        assert statuses == {"partner.example": "open", "old-bureau.com": "resolved"}
        assert len(changes.resolved) == 1


def test_a_second_scan_on_the_same_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dw.db"
    with RunLock(path), pytest.raises(StoreError, match="another scan is running"), RunLock(path):
        pass
    with RunLock(path):
        pass


def test_confirmations_smooth_one_night_blips(tmp_path: Path) -> None:
    confirm = Confirmation(open_default=2, resolve_default=2)
    with Store(tmp_path / "dw.db") as store:
        def evaluate(drafts: list[FindingDraft], at: str):
            with store.transaction():
                return store.reconcile_findings("www.x.gov.cn", ("dangling.cname",), drafts,
                                                None, at, confirm)

        assert not evaluate([draft()], "T1").opened
        assert store.findings(status="pending")[0]["first_seen"] == "T1"
        assert evaluate([], "T2").resolved == []
        assert store.findings(status="all") == [], "an unconfirmed blip leaves nothing behind"
        evaluate([draft()], "T3")
        [opened] = evaluate([draft()], "T4").opened
        assert store.finding(opened)["status"] == "open"
        assert evaluate([], "T5").resolved == [], "one clean night does not resolve"
        evaluate([draft()], "T6")
        assert evaluate([], "T7").resolved == []
        assert evaluate([], "T8").resolved == [opened]
        assert not evaluate([draft()], "T9").reopened
        assert evaluate([draft()], "T10").reopened == [opened]
    conn = sqlite3.connect(tmp_path / "dw.db")
    alerts = conn.execute("SELECT finding_id, transition, created FROM alerts ORDER BY id")
    assert alerts.fetchall() == [(opened, t, at) for t, at in (
        ("opened", "T4"), ("resolved", "T8"), ("reopened", "T10"))]
    conn.close()


def test_confirmation_by_category_and_rule() -> None:
    confirm = Confirmation(open_by={"unused": 3, "unused.no_dns": 2}, resolve_default=2)
    assert confirm.open_after("unused.no_web") == 3
    assert confirm.open_after("unused.no_dns") == 2
    assert confirm.open_after("hijacked.content") == 1
    assert confirm.resolve_after("hijacked.content") == 2


def test_a_failed_upgrade_leaves_the_database_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = old_database(tmp_path)
    before = counts(path)

    def failing(conn: sqlite3.Connection) -> None:
        store_module._migrate_4(conn)
        raise RuntimeError("interrupted")

    migrations = list(store_module.MIGRATIONS)
    migrations[3] = failing
    monkeypatch.setattr(store_module, "MIGRATIONS", migrations)
    with pytest.raises(RuntimeError):
        Store(path)
    conn = sqlite3.connect(path)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    [(version,)] = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'")
    conn.close()
    assert version == "1" and not tables & {"run_names", "sources", "alerts"}
    assert counts(path) == before


@pytest.mark.parametrize("script", [
    "CREATE TABLE a (x); INSERT INTO a VALUES ('unterminated);",
    "CREATE TABLE a (x); CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM a;",
])
def test_an_incomplete_statement_fails_the_migration(script: str) -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    with pytest.raises(sqlite3.ProgrammingError, match="incomplete SQL statement"):
        store_module._execute_script(conn, script)


def test_a_trigger_and_quoted_semicolons_are_run_whole() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    store_module._execute_script(conn, """
        CREATE TABLE a (x TEXT);
        CREATE TABLE b (x TEXT);
        CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (new.x); END;
        INSERT INTO a VALUES ('one; two');
        """)
    assert conn.execute("SELECT x FROM b").fetchall() == [("one; two",)]


def test_two_stores_opening_one_old_database_at_once_upgrade_it_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The second reads the old version before the first has committed its upgrade, then
    # waits for the write lock: it must find the upgrade done, not run it again.
    path = old_database(tmp_path)
    second_read_old = threading.Event()
    outcome: list[object] = []
    version = Store.version.fget
    assert version is not None

    def read_version(store: Store) -> int:
        value = version(store)
        if threading.current_thread().name == "second":
            second_read_old.set()
        return value

    def open_second() -> None:
        try:
            with Store(path) as store:
                outcome.append(store.version)
        except Exception as error:  # reported below
            outcome.append(error)

    second = threading.Thread(target=open_second, name="second")
    first_migration = store_module.MIGRATIONS[1]

    def migrate_while_the_second_opens(conn: sqlite3.Connection) -> None:
        if not second.is_alive() and not outcome:
            second.start()
            assert second_read_old.wait(10)
        first_migration(conn)

    migrations = list(store_module.MIGRATIONS)
    migrations[1] = migrate_while_the_second_opens
    monkeypatch.setattr(store_module, "MIGRATIONS", migrations)
    monkeypatch.setattr(Store, "version", property(read_version))
    with Store(path) as first:
        assert first.version == SCHEMA_VERSION
    second.join(30)
    assert outcome == [SCHEMA_VERSION]
    assert counts(path)["entries"] == 3


def test_deliveries_count_attempts_and_a_taken_alert_stays_taken(tmp_path: Path) -> None:
    with Store(tmp_path / "dw.db") as store:
        [opened] = reconcile(store, [draft()], "T1").opened
        [alert] = store.alerts_to_deliver()
        assert (alert["finding_id"], alert["transition"], alert["shown"]) == (opened, "opened",
                                                                              False)
        store.record_deliveries([alert["alert_id"]], "stdout", "T1", "")
        store.record_deliveries([alert["alert_id"]], "webhook:ops", None, "timed out")
        assert store.delivered_alerts() == {(alert["alert_id"], "stdout")}
        [again] = store.alerts_to_deliver()
        assert again["shown"] and again["evidence"] == {"x": 1}
        store.record_deliveries([alert["alert_id"]], "webhook:ops", "T2", "")
        store.record_deliveries([alert["alert_id"]], "webhook:ops", None, "timed out")
        assert store.alerts_to_deliver() == []
        assert store.delivered_alerts() == {(alert["alert_id"], "stdout"),
                                            (alert["alert_id"], "webhook:ops")}
        # Three attempts at the webhook, the last a failure after it was taken at T2.
        deliveries = {row["target"]: (row["delivered_at"], row["attempts"], row["last_error"])
                      for row in store.database()["deliveries"].rows}
        assert deliveries == {"stdout": ("T1", 1, ""), "webhook:ops": ("T2", 3, "timed out")}


# SQL in a string, and a store's connection or raw queries used directly.
_SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b.*\b(FROM|INTO|SET)\b", re.DOTALL)
_RAW_CALLS = {"execute", "executemany", "executescript", "query", "_query"}


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def test_no_sql_outside_the_store() -> None:
    package = Path(store_module.__file__).parent
    offences = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent)
        if path == package / "store.py" or "testnet" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if _SQL.search(node.value):
                    offences.append(f"{relative}:{node.lineno}: SQL {node.value[:50]!r}")
            elif isinstance(node, ast.Attribute) and node.attr == "conn":
                if "store" in _receiver(node.value):
                    offences.append(f"{relative}:{node.lineno}: a store's connection")
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in _RAW_CALLS):
                receiver = _receiver(node.func.value)
                if "store" in receiver or receiver == "conn":
                    offences.append(f"{relative}:{node.lineno}: .{node.func.attr}() on a store")
    assert offences == [], "SQL belongs in a named Store method:\n" + "\n".join(offences)
