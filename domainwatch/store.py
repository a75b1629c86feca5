"""Storage: one SQLite database behind small plain functions.

Everything that reads or writes the database goes through this module. The schema carries a
version in ``meta``; :data:`MIGRATIONS` upgrades an older database in place, keeping every row.
Observations are change-only: a new row only when that part of a name's fingerprint changed,
otherwise ``last_seen``/``last_run`` move on. The web and links observations can be judged
again: an unchanged one takes the latest scan's data, and the page bodies they were read
from are kept once per distinct text (``page_bodies``, by :func:`body_hash`), with a name's
latest observation only.

Size: every SQL statement of the project lives here, by design (``tests/test_store.py``
fails on SQL anywhere else).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from domainwatch.clock import utcnow
from domainwatch.names import display_name

if TYPE_CHECKING:
    from domainwatch.discovery import SourceSnapshot

SCHEMA_VERSION = 7
#: An observation as :meth:`Store.observations` gives it (without the bodies it holds).
_OBSERVATION_COLUMNS = "id, name, probe, hash, data, first_seen, last_seen, first_run, last_run"
#: A stored page body is refused when it inflates to more than this (UTF-8 bytes): bodies
#: were capped when fetched, and a crafted database must not make a recheck inflate a bomb.
MAX_BODY_BYTES = 64 * 1024 * 1024


class StoreError(Exception):
    """The database cannot be used: locked, unreadable, or from a newer domainwatch."""


def _execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Run ``script``'s statements one by one inside the migration's transaction:
    ``Connection.executescript`` would commit that transaction first."""
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \t\r\n;"):
                conn.execute(statement)
            statement = ""
    # What complete_statement never accepted (an unterminated quote, a trigger without END)
    # must fail the migration, not be dropped from it.
    if statement.strip(" \t\r\n;"):
        raise sqlite3.ProgrammingError(
            f"incomplete SQL statement in a migration: {statement.strip()[:200]!r}")


def _migrate_1(conn: sqlite3.Connection) -> None:
    _execute_script(conn, """
        CREATE TABLE entries (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL DEFAULT '',
            parent TEXT,
            state TEXT NOT NULL DEFAULT 'active',
            site_code TEXT NOT NULL DEFAULT '',
            contact TEXT NOT NULL DEFAULT '',
            networks TEXT NOT NULL DEFAULT '[]',
            nameservers TEXT NOT NULL DEFAULT '[]',
            note TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            updated TEXT NOT NULL
        );
        CREATE TABLE entry_history (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            at TEXT NOT NULL,
            by TEXT NOT NULL,
            action TEXT NOT NULL,
            changes TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX entry_history_name ON entry_history (name, id);
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started TEXT NOT NULL,
            finished TEXT,
            status TEXT NOT NULL,
            names_total INTEGER NOT NULL DEFAULT 0,
            names_done INTEGER NOT NULL DEFAULT 0,
            options TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE observations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            probe TEXT NOT NULL,
            hash TEXT NOT NULL,
            data TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            first_run INTEGER NOT NULL,
            last_run INTEGER NOT NULL
        );
        CREATE INDEX observations_name ON observations (name, probe, id);
        CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            rule TEXT NOT NULL,
            subject TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL,
            severity TEXT NOT NULL,
            status TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            resolved_at TEXT,
            summary TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '{}',
            ack_note TEXT,
            ack_by TEXT,
            ack_at TEXT,
            UNIQUE (name, rule, subject)
        );
        CREATE INDEX findings_status ON findings (status, severity);
        """
    )


def _migrate_2(conn: sqlite3.Connection) -> None:
    """Resumable runs and a per-finding event log."""
    _execute_script(conn, """
        ALTER TABLE runs ADD COLUMN targets_hash TEXT NOT NULL DEFAULT '';
        ALTER TABLE runs ADD COLUMN pid INTEGER;
        CREATE TABLE run_names (
            run_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            outcome TEXT NOT NULL,
            PRIMARY KEY (run_id, name)
        ) WITHOUT ROWID;
        CREATE TABLE finding_events (
            id INTEGER PRIMARY KEY,
            finding_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            run_id INTEGER,
            event TEXT NOT NULL,
            by TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX finding_events_finding ON finding_events (finding_id, id);
        INSERT INTO finding_events (finding_id, at, event, note)
            SELECT id, first_seen, 'opened', 'recorded before the event log existed'
            FROM findings;
        INSERT INTO finding_events (finding_id, at, event, by, note)
            SELECT id, ack_at, 'acknowledged', COALESCE(ack_by, ''), COALESCE(ack_note, '')
            FROM findings WHERE ack_at IS NOT NULL;
        """
    )


def _migrate_3(conn: sqlite3.Connection) -> None:
    """Discovered names: what zone files, zone transfers and certificate logs say exists."""
    _execute_script(conn, """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            label TEXT NOT NULL,
            origin TEXT,
            serial INTEGER,
            via TEXT NOT NULL DEFAULT '',
            last_synced TEXT NOT NULL,
            names INTEGER NOT NULL DEFAULT 0,
            wildcards TEXT NOT NULL DEFAULT '[]',
            UNIQUE (kind, label)
        );
        CREATE TABLE discovered (
            name TEXT NOT NULL,
            source_id INTEGER NOT NULL REFERENCES sources (id),
            present INTEGER NOT NULL DEFAULT 1,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (name, source_id)
        ) WITHOUT ROWID;
        CREATE INDEX discovered_source ON discovered (source_id, present);
        """
    )


def _migrate_4(conn: sqlite3.Connection) -> None:
    """Confirmations before opening and resolving, the alert queue, high-value entries."""
    _execute_script(conn, """
        ALTER TABLE findings ADD COLUMN holds INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE findings ADD COLUMN clears INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE entries ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            finding_id INTEGER NOT NULL,
            run_id INTEGER,
            transition TEXT NOT NULL,
            created TEXT NOT NULL
        );
        CREATE TABLE deliveries (
            alert_id INTEGER NOT NULL,
            target TEXT NOT NULL,
            delivered_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (alert_id, target)
        ) WITHOUT ROWID;
        CREATE INDEX deliveries_pending ON deliveries (delivered_at);
        """
    )


def _migrate_5(conn: sqlite3.Connection) -> None:
    """Web and certificate baselines; the other host names an entry declares as its own."""
    _execute_script(conn, """
        ALTER TABLE entries ADD COLUMN hosts TEXT NOT NULL DEFAULT '[]';
        CREATE TABLE baselines (
            name TEXT NOT NULL,
            probe TEXT NOT NULL,
            data TEXT NOT NULL,
            adopted_at TEXT NOT NULL,
            adopted_by TEXT NOT NULL,
            how TEXT NOT NULL,
            run_id INTEGER,
            PRIMARY KEY (name, probe)
        ) WITHOUT ROWID;
        """
    )


def _migrate_6(conn: sqlite3.Connection) -> None:
    """WHOIS referrals: the server IANA names for a TLD (NULL: it names none)."""
    _execute_script(conn, """
        CREATE TABLE whois_referrals (
            tld TEXT PRIMARY KEY,
            server TEXT,
            asked TEXT NOT NULL
        ) WITHOUT ROWID;
        """
    )


def _migrate_7(conn: sqlite3.Connection) -> None:
    """Page bodies, once per distinct text (zlib-compressed UTF-8), each with the number of
    observations that hold it; an observation lists the bodies it holds."""
    _execute_script(conn, """
        CREATE TABLE page_bodies (
            hash TEXT PRIMARY KEY,
            body BLOB NOT NULL,
            holders INTEGER NOT NULL
        );
        ALTER TABLE observations ADD COLUMN bodies TEXT NOT NULL DEFAULT '[]';
        """
    )


#: MIGRATIONS[i] upgrades a database at version i to version i + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migrate_1, _migrate_2, _migrate_3, _migrate_4, _migrate_5, _migrate_6, _migrate_7]
assert len(MIGRATIONS) == SCHEMA_VERSION


class Store:
    """An open domainwatch database."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 10.0) -> None:
        self.path = Path(path)
        try:
            conn = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as error:
            raise StoreError(f"cannot open database {self.path}: {error}") from None
        self.conn = conn
        self._migrate()

    def database(self) -> Database:
        """The same connection as a :class:`sqlite_utils.Database`, for reading."""
        return Database(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _table_names(self) -> list[str]:
        return [row[0] for row in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]

    @property
    def version(self) -> int:
        if "meta" not in self._table_names():
            return 0
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _checked_version(self) -> int:
        """The database's schema version, refusing one this domainwatch cannot upgrade."""
        try:
            current = self.version
            foreign = current == 0 and bool(self._table_names())
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path} is not a domainwatch database: {error}") from None
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer domainwatch (schema {current}, this version "
                f"reads up to {SCHEMA_VERSION}); upgrade domainwatch"
            )
        if foreign:
            raise StoreError(f"{self.path} is an SQLite database, but not domainwatch's")
        return current

    def _migrate(self) -> None:
        if self._checked_version() == SCHEMA_VERSION:
            return
        with self.transaction():
            # Read again under the write lock: another process opening the same old database
            # may have upgraded it while this one waited for the lock.
            current = self._checked_version()
            if current == SCHEMA_VERSION:
                return
            self.conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            for version in range(current, SCHEMA_VERSION):
                MIGRATIONS[version](self.conn)
            self.conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreError(_locked_message(self.path, error)) from None
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def _query(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()
               ) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    # -- register ---------------------------------------------------------------------------

    def entries(self, state: str | None = None, *, compact: bool = False
                ) -> list[dict[str, Any]]:
        """The register, by name. ``compact``: for reading only (a scan holds a national
        register in memory): values that repeat across entries are one object each, and
        the lists are tuples."""
        sql = "SELECT * FROM entries"
        params: tuple[str, ...] = ()
        if state:
            sql += " WHERE state = ?"
            params = (state,)
        rows = self._query(sql + " ORDER BY name", params)
        if not compact:
            return [_decode_entry(row) for row in rows]
        values: dict[str, str] = {}
        lists: dict[str, tuple[str, ...]] = {}
        return [_compact_entry(row, values, lists) for row in rows]

    def entry(self, name: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM entries WHERE name = ?", (name,))
        return _decode_entry(rows[0]) if rows else None

    def entry_names(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT name FROM entries")}

    def save_entry(self, entry: dict[str, Any], *, by: str, reason: str, action: str,
                   changes: dict[str, Any], at: str | None = None) -> None:
        """Insert or update one entry and record the change; call inside :meth:`transaction`."""
        at = at or utcnow()
        values = [json.dumps(entry.get(key, [])) if key in _LIST_FIELDS else entry[key]
                  for key in ENTRY_FIELDS]
        self.conn.execute(_UPSERT_ENTRY, (*values, at, at))
        self.conn.execute(
            "INSERT INTO entry_history (name, at, by, action, changes, reason) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (entry["name"], at, by, action, json.dumps(changes, ensure_ascii=False), reason))

    def entry_history(self, name: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT at, by, action, changes, reason FROM entry_history "
                          "WHERE name = ? ORDER BY id", (name,))
        for row in rows:
            row["changes"] = json.loads(row["changes"])
        return rows

    # -- discovered names -------------------------------------------------------------------

    def record_source(self, snapshot: SourceSnapshot, at: str | None = None) -> SourceChanges:
        """Store what a source says now; call inside :meth:`transaction`.

        A zone's names replace its previous content (names no longer in it stay on record,
        marked absent). A certificate export adds to what earlier exports said.
        """
        at = at or utcnow()
        self.conn.execute(
            "INSERT INTO sources (kind, label, origin, serial, via, last_synced, names, "
            "wildcards) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, label) DO UPDATE "
            "SET origin = excluded.origin, serial = excluded.serial, via = excluded.via, "
            "last_synced = excluded.last_synced, names = excluded.names, "
            "wildcards = excluded.wildcards",
            (snapshot.kind, snapshot.label, snapshot.origin, snapshot.serial, snapshot.via, at,
             len(snapshot.names), json.dumps(snapshot.wildcards)))
        source_id = self.conn.execute("SELECT id FROM sources WHERE kind = ? AND label = ?",
                                      (snapshot.kind, snapshot.label)).fetchone()[0]
        before = {row[0]: json.loads(row[1]) for row in self.conn.execute(
            "SELECT name, detail FROM discovered WHERE source_id = ? AND present = 1",
            (source_id,))}
        changes = SourceChanges(
            source_id=source_id,
            added=sorted(set(snapshot.names) - set(before)),
            removed=sorted(set(before) - set(snapshot.names)) if snapshot.kind == "zone" else [],
        )
        if snapshot.kind == "zone":
            self.conn.execute("UPDATE discovered SET present = 0 WHERE source_id = ?",
                              (source_id,))
        rows = []
        for name, detail in snapshot.names.items():
            known = before.get(name)
            if (snapshot.kind != "zone" and known is not None
                    and (known.get("not_before") or "") > (detail.get("not_before") or "")):
                detail = known
            rows.append((name, source_id, at, at, json.dumps(detail, ensure_ascii=False)))
        self.conn.executemany(
            "INSERT INTO discovered (name, source_id, present, first_seen, last_seen, detail) "
            "VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT (name, source_id) DO UPDATE SET "
            "present = 1, last_seen = excluded.last_seen, detail = excluded.detail", rows)
        return changes

    def sources(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT * FROM sources ORDER BY kind DESC, label")
        for row in rows:
            row["wildcards"] = json.loads(row["wildcards"])
        return rows

    def discovered(self) -> dict[str, list[dict[str, Any]]]:
        """Every discovered name with what each source says of it."""
        result: dict[str, list[dict[str, Any]]] = {}
        for row in self._query(
                "SELECT d.name, d.present, d.first_seen, d.last_seen, d.detail, s.kind, "
                "s.label, s.origin FROM discovered d JOIN sources s ON s.id = d.source_id "
                "ORDER BY d.name, s.kind DESC, s.label"):
            row["detail"] = json.loads(row["detail"])
            row["present"] = bool(row["present"])
            result.setdefault(row.pop("name"), []).append(row)
        return result

    # -- runs -------------------------------------------------------------------------------

    def start_run(self, names_total: int, targets_hash: str, options: dict[str, Any]) -> int:
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO runs (started, status, names_total, targets_hash, pid, options) "
                "VALUES (?, 'running', ?, ?, ?, ?)",
                (utcnow(), names_total, targets_hash, os.getpid(), json.dumps(options)),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def mark_abandoned_runs(self) -> None:
        """Runs left 'running' by a process that is gone become 'interrupted'."""
        with self.transaction():
            for run in self._query("SELECT id, pid FROM runs WHERE status = 'running'"):
                if run["pid"] is None or not _pid_alive(run["pid"]):
                    self.conn.execute("UPDATE runs SET status = 'interrupted' WHERE id = ?",
                                      (run["id"],))

    def resumable_run(self, targets_hash: str) -> dict[str, Any] | None:
        """The latest run, if it was interrupted while scanning the same names."""
        rows = self._query("SELECT * FROM runs ORDER BY id DESC LIMIT 1")
        if rows and rows[0]["status"] == "interrupted" and rows[0]["targets_hash"] == targets_hash:
            return rows[0]
        return None

    def resume_run(self, run_id: int) -> None:
        with self.transaction():
            self.conn.execute("UPDATE runs SET status = 'running', pid = ? WHERE id = ?",
                              (os.getpid(), run_id))

    def names_done(self, run_id: int) -> set[str]:
        return {row[0] for row in
                self.conn.execute("SELECT name FROM run_names WHERE run_id = ?", (run_id,))}

    def mark_name_done(self, run_id: int, name: str, outcome: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO run_names (run_id, name, outcome) "
                          "VALUES (?, ?, ?)", (run_id, name, outcome))

    def finish_run(self, run_id: int, status: str) -> None:
        with self.transaction():
            done = self.conn.execute("SELECT count(*) FROM run_names WHERE run_id = ?",
                                     (run_id,)).fetchone()[0]
            self.conn.execute("UPDATE runs SET status = ?, finished = ?, names_done = ? "
                              "WHERE id = ?", (status, utcnow(), done, run_id))

    def last_scan(self, name: str) -> dict[str, Any] | None:
        rows = self._query("SELECT r.id AS run_id, COALESCE(r.finished, r.started) AS at, "
                          "n.outcome FROM run_names n JOIN runs r ON r.id = n.run_id "
                          "WHERE n.name = ? ORDER BY r.id DESC LIMIT 1", (name,))
        return rows[0] if rows else None

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return self._query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))

    def complete_runs(self, limit: int) -> list[dict[str, Any]]:
        """The latest ``limit`` runs that completed, newest first: every column, and ``at``,
        when the run finished (when it started, for a run that recorded no end)."""
        return self._query("SELECT *, COALESCE(finished, started) AS at FROM runs "
                          "WHERE status = 'complete' ORDER BY id DESC LIMIT ?", (limit,))

    def last_scanned(self) -> dict[str, str]:
        """Every name any run scanned → when the latest run that scanned it started."""
        return {row[0]: row[1] for row in self.conn.execute(
            "SELECT n.name, max(r.started) AS at FROM run_names n JOIN runs r "
            "ON r.id = n.run_id GROUP BY n.name")}

    def names_scanned_since(self, since: str) -> set[str]:
        """The names scanned by runs that started at ``since`` or later."""
        return {row[0] for row in self.conn.execute(
            "SELECT DISTINCT n.name FROM run_names n JOIN runs r ON r.id = n.run_id "
            "WHERE r.started >= ?", (since,))}

    # -- observations -----------------------------------------------------------------------

    def record_observation(self, name: str, probe: str, fingerprint: dict[str, Any],
                           data: dict[str, Any], run_id: int, at: str, *,
                           bodies: Mapping[str, str] | None = None) -> bool:
        """Keep what ``probe`` saw of ``name``; True when it differs from the last observation.

        ``fingerprint`` decides whether anything changed; ``data`` (a superset, with TTLs and
        the like) is what is stored. With ``bodies`` (the page bodies ``data`` refers to, by
        :func:`body_hash`), the observation is one that can be judged again: an unchanged one
        takes this ``data`` (what the latest scan saw is what a recheck judges), and the
        latest observation alone holds its bodies (the one it follows lets go of its own).
        """
        digest = fingerprint_hash(fingerprint)
        last = self.conn.execute(
            "SELECT id, hash, bodies FROM observations WHERE name = ? AND probe = ? "
            "ORDER BY id DESC LIMIT 1", (name, probe)).fetchone()
        held = sorted(bodies or {})
        if bodies is not None:
            self._keep_bodies(bodies)
        if last is not None and last[1] == digest:
            if bodies is None:
                self.conn.execute("UPDATE observations SET last_seen = ?, last_run = ? "
                                  "WHERE id = ?", (at, run_id, last[0]))
            else:
                self.conn.execute(
                    "UPDATE observations SET last_seen = ?, last_run = ?, data = ?, bodies = ? "
                    "WHERE id = ?", (at, run_id, _json(data), json.dumps(held), last[0]))
                self._hold_bodies(held, json.loads(last[2]))
            return False
        self.conn.execute(
            "INSERT INTO observations (name, probe, hash, data, first_seen, last_seen, "
            "first_run, last_run, bodies) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, probe, digest, _json(data), at, at, run_id, run_id, json.dumps(held)))
        if last is not None and last[2] != "[]":
            self.conn.execute("UPDATE observations SET bodies = '[]' WHERE id = ?", (last[0],))
        self._hold_bodies(held, json.loads(last[2]) if last is not None else [])
        return True

    def _keep_bodies(self, bodies: Mapping[str, str]) -> None:
        """Store the bodies not stored yet (held by nobody until :meth:`_hold_bodies`)."""
        known = {row[0] for row in self.conn.execute(
            f"SELECT hash FROM page_bodies WHERE hash IN ({', '.join('?' * len(bodies))})",
            list(bodies))} if bodies else set()
        self.conn.executemany(
            "INSERT INTO page_bodies (hash, body, holders) VALUES (?, ?, 0)",
            [(digest, _compress(text)) for digest, text in bodies.items() if digest not in known])

    def _hold_bodies(self, now: list[str], before: list[str]) -> None:
        """An observation that held ``before`` holds ``now``: what nobody holds any more
        is deleted."""
        gained, lost = set(now) - set(before), set(before) - set(now)
        self.conn.executemany("UPDATE page_bodies SET holders = holders + 1 WHERE hash = ?",
                              [(digest,) for digest in sorted(gained)])
        self.conn.executemany("UPDATE page_bodies SET holders = holders - 1 WHERE hash = ?",
                              [(digest,) for digest in sorted(lost)])
        self.conn.executemany("DELETE FROM page_bodies WHERE hash = ? AND holders <= 0",
                              [(digest,) for digest in sorted(lost)])

    def observations(self, name: str, probe: str, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._query(
            f"SELECT {_OBSERVATION_COLUMNS} FROM observations WHERE name = ? AND probe = ? "
            "ORDER BY id DESC LIMIT ?", (name, probe, limit))
        for row in rows:
            row["data"] = json.loads(row["data"])
        return rows

    def latest_observation(self, name: str, probe: str
                           ) -> tuple[dict[str, Any], dict[str, str]] | None:
        """``name``'s latest ``probe`` observation (as :meth:`observations` gives it) and
        the page bodies it holds, by hash; a body that cannot be read is left out."""
        rows = self._query(
            f"SELECT {_OBSERVATION_COLUMNS}, bodies FROM observations WHERE name = ? AND "
            "probe = ? ORDER BY id DESC LIMIT 1", (name, probe))
        if not rows:
            return None
        row = rows[0]
        row["data"] = json.loads(row["data"])
        hashes = json.loads(row.pop("bodies"))
        stored = self.conn.execute(
            f"SELECT hash, body FROM page_bodies WHERE hash IN ({', '.join('?' * len(hashes))})",
            hashes).fetchall() if hashes else []
        bodies = {digest: text for digest, text in
                  ((digest, _decompress(body)) for digest, body in stored) if text is not None}
        return row, bodies

    def latest_dns_statuses(self, names: Iterable[str] | None = None) -> dict[str, str]:
        """The status of each name's latest DNS observation (``ok``, ``nxdomain``, …): of
        ``names`` only, when given."""
        wanted = None if names is None else set(names)
        return {row["name"]: json.loads(row["data"])["status"] for row in self._query(
            "SELECT name, data FROM observations WHERE id IN (SELECT max(id) FROM observations "
            "WHERE probe = 'dns' GROUP BY name)") if wanted is None or row["name"] in wanted}

    def names_changed_since(self, since: str) -> set[str]:
        """The names with an observation first seen at ``since`` or later that their first
        run did not make: what they showed changed then."""
        return {row[0] for row in self.conn.execute(
            "SELECT DISTINCT o.name FROM observations o WHERE o.first_seen >= ? AND "
            "o.first_run > (SELECT min(first_run) FROM observations f WHERE f.name = o.name)",
            (since,))}

    def unchanged_since(self, name: str, probe: str, key: str) -> str | None:
        """When the value of ``key`` in ``name``'s latest ``probe`` observation was first
        seen: the start of the run of observations that all share it."""
        rows = self.conn.execute(
            "SELECT json_extract(data, '$.' || ?), first_seen FROM observations "
            "WHERE name = ? AND probe = ? ORDER BY id DESC", (key, name, probe))
        first = rows.fetchone()
        if first is None or first[0] is None:
            return None
        since = first[1]
        for value, seen in rows:
            if value != first[0]:
                break
            since = seen
        return since

    def baseline(self, name: str, probe: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT data, adopted_at, adopted_by, how FROM baselines WHERE name = ? "
            "AND probe = ?", (name, probe)).fetchone()
        if row is None:
            return None
        return {"data": json.loads(row[0]), "adopted_at": row[1], "adopted_by": row[2],
                "how": row[3]}

    def baselines(self, name: str) -> dict[str, dict[str, Any]]:
        """Every baseline of ``name``, by probe."""
        return {row[0]: {"data": json.loads(row[1]), "adopted_at": row[2], "adopted_by": row[3],
                         "how": row[4]}
                for row in self.conn.execute(
                    "SELECT probe, data, adopted_at, adopted_by, how FROM baselines "
                    "WHERE name = ?", (name,))}

    def latest_value(self, name: str, probe: str, key: str) -> Any:
        """One value of ``name``'s latest ``probe`` observation (None without one)."""
        row = self.conn.execute(
            "SELECT json_extract(data, '$.' || ?) FROM observations WHERE name = ? AND "
            "probe = ? ORDER BY id DESC LIMIT 1", (key, name, probe)).fetchone()
        return None if row is None else row[0]

    def links_index(self) -> dict[str, dict[str, Any]]:
        """Every name's latest ``links`` observation: name → its references (host → where)
        and when it was last confirmed."""
        rows = self.conn.execute(
            "SELECT o.name, json_extract(o.data, '$.references'), o.last_seen "
            "FROM observations o JOIN (SELECT MAX(id) AS id FROM observations "
            "WHERE probe = 'links' GROUP BY name) latest ON o.id = latest.id")
        return {name: {"references": json.loads(references or "{}"), "last_seen": seen}
                for name, references, seen in rows}

    def crawl_ages(self) -> dict[str, tuple[bool, str]]:
        """Every crawled name's last crawl: whether it was complete, and when it was last
        confirmed (the latest ``links`` observation's ``last_seen``)."""
        rows = self.conn.execute(
            "SELECT o.name, json_extract(o.data, '$.complete'), o.last_seen "
            "FROM observations o JOIN (SELECT MAX(id) AS id FROM observations "
            "WHERE probe = 'links' GROUP BY name) latest ON o.id = latest.id")
        return {name: (complete is None or bool(complete), seen)
                for name, complete, seen in rows}

    def linked_from(self, host: str) -> list[dict[str, Any]]:
        """The names whose pages, as last crawled, refer to ``host``: each with the
        references (page, element, link text) and when that crawl was confirmed."""
        rows = self.conn.execute(
            "SELECT o.name, json_extract(o.data, '$.references.\"' || ? || '\"'), "
            "o.last_seen FROM observations o JOIN (SELECT MAX(id) AS id FROM observations "
            "WHERE probe = 'links' GROUP BY name) latest ON o.id = latest.id "
            "ORDER BY o.name", (host,))
        return [{"name": name, "references": json.loads(references), "last_seen": seen}
                for name, references, seen in rows if references is not None]

    def set_baseline(self, name: str, probe: str, data: dict[str, Any], *, at: str,
                     by: str, how: str, run_id: int | None = None) -> None:
        """Adopt ``data`` as ``name``'s baseline for ``probe`` (call inside a transaction).
        ``how``: ``first-seen`` (provisional, the first clean observation) or ``accepted``."""
        self.conn.execute(
            "INSERT INTO baselines (name, probe, data, adopted_at, adopted_by, how, run_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name, probe) DO UPDATE SET "
            "data = excluded.data, adopted_at = excluded.adopted_at, "
            "adopted_by = excluded.adopted_by, how = excluded.how, run_id = excluded.run_id",
            (name, probe, json.dumps(data, ensure_ascii=False, sort_keys=True), at, by, how,
             run_id))

    def whois_history(self, domain: str) -> list[dict[str, Any]]:
        """Every WHOIS record kept of ``domain``, oldest first: ``id``, ``data``,
        ``first_seen``, ``last_seen``."""
        return [{"id": row[0], "data": json.loads(row[1]), "first_seen": row[2],
                 "last_seen": row[3]} for row in self.conn.execute(
                    "SELECT id, data, first_seen, last_seen FROM observations WHERE name = ? "
                    "AND probe = 'whois' ORDER BY id", (domain,))]

    def whois_referral(self, tld: str) -> dict[str, Any] | None:
        """The stored WHOIS referral of ``tld``: ``tld``, ``server`` (None: IANA names
        none) and ``asked``."""
        rows = self._query("SELECT tld, server, asked FROM whois_referrals WHERE tld = ?",
                          (tld,))
        return rows[0] if rows else None

    def save_whois_referral(self, tld: str, server: str | None, asked: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO whois_referrals (tld, server, asked) VALUES (?, ?, ?)",
            (tld, server, asked))

    def latest_whois(self, domain: str) -> tuple[dict[str, Any], str] | None:
        """The latest WHOIS record of ``domain`` and when it was last confirmed."""
        row = self.conn.execute(
            "SELECT data, last_seen FROM observations WHERE name = ? AND probe = 'whois' "
            "ORDER BY id DESC LIMIT 1", (domain,)).fetchone()
        return (json.loads(row[0]), row[1]) if row else None

    # -- findings ---------------------------------------------------------------------------

    def findings(self, *, status: str | None = None, category: str | None = None,
                 rule: str | None = None, severity: str | None = None,
                 name: str | None = None) -> list[dict[str, Any]]:
        clauses: list[str] = []
        params: list[str] = []
        if status and status != "all":
            clauses.append("status = ?")
            params.append(status)
        for column, value in (("category", category), ("rule", rule),
                              ("severity", severity), ("name", name)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        order = (" ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 "
                 "WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, name, rule, subject")
        rows = self._query("SELECT * FROM findings" + where + order, params)
        for row in rows:
            row["evidence"] = json.loads(row["evidence"])
        return rows

    def standing_findings(self, name: str, rules: Iterable[str]) -> list[dict[str, Any]]:
        """``name``'s findings of ``rules`` that are not resolved (pending ones too)."""
        wanted = list(rules)
        marks = ", ".join("?" * len(wanted))
        return self._query(f"SELECT id, rule, subject, status FROM findings WHERE name = ? "
                          f"AND rule IN ({marks}) AND status != 'resolved'", [name, *wanted])

    def finding(self, finding_id: int) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM findings WHERE id = ?", (finding_id,))
        if not rows:
            return None
        rows[0]["evidence"] = json.loads(rows[0]["evidence"])
        return rows[0]

    def finding_events(self, finding_id: int) -> list[dict[str, Any]]:
        return self._query("SELECT at, run_id, event, by, note FROM finding_events "
                          "WHERE finding_id = ? ORDER BY id", (finding_id,))

    def names_with_standing_findings(self) -> set[str]:
        """The names with a finding open, acknowledged or pending confirmation."""
        return {row[0] for row in self.conn.execute(
            "SELECT DISTINCT name FROM findings WHERE status IN ('open', 'acknowledged', "
            "'pending')")}

    def finding_categories(self) -> dict[int, str]:
        """Every finding's id → its category, in the order the findings were recorded."""
        return {row[0]: row[1] for row in self.conn.execute(
            "SELECT id, category FROM findings ORDER BY id")}

    def all_finding_events(self) -> list[dict[str, Any]]:
        """Every finding's events, oldest first: ``finding_id``, ``at`` and ``event``."""
        return self._query("SELECT finding_id, at, event FROM finding_events ORDER BY id")

    def resolution_times(self) -> dict[int, str | None]:
        """Every resolved finding's id → when it was resolved (None if that was never
        recorded)."""
        return {row[0]: row[1] for row in self.conn.execute(
            "SELECT id, resolved_at FROM findings WHERE status = 'resolved'")}

    def reconcile_findings(self, name: str, evaluated_rules: Iterable[str],
                           holding: Iterable[FindingDraft], run_id: int | None,
                           at: str, confirm: Confirmation | None = None,
                           unjudged: Iterable[str] = ()) -> FindingChanges:
        """Bring ``name``'s findings in line with one evaluation; call inside a transaction.

        ``holding`` are the findings that hold now. Findings of rules in ``evaluated_rules``
        that no longer hold are resolved; rules that could not be evaluated (a DNS failure,
        say) are left as they were. With ``confirm``, a finding opens only after holding that
        many evaluations in a row (``pending`` until then) and resolves only after as many
        clean ones. Every transition is queued for alerting in the same transaction.
        Findings whose subject is in ``unjudged`` (a domain whose WHOIS answer could not be
        had, say) are left as they were too, whatever their rule.
        """
        confirm = confirm or Confirmation()
        changes = FindingChanges()
        evaluated = set(evaluated_rules)
        seen: set[tuple[str, str]] = set()
        existing = {(row["rule"], row["subject"]): row for row in self._query(
            "SELECT id, rule, subject, status, severity, holds, resolved_at, evidence "
            "FROM findings WHERE name = ?", (name,))}
        for draft in holding:
            key = (draft.rule, draft.subject)
            seen.add(key)
            evidence = json.dumps(draft.evidence, ensure_ascii=False, sort_keys=True)
            needed = confirm.open_after(draft.rule)
            row = existing.get(key)
            if row is None:
                status = "open" if needed <= 1 else "pending"
                cursor = self.conn.execute(
                    "INSERT INTO findings (name, rule, subject, category, severity, status, "
                    "first_seen, last_seen, summary, evidence, holds, clears) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0)",
                    (name, draft.rule, draft.subject, draft.category, draft.severity, status,
                     at, at, draft.summary, evidence))
                assert cursor.lastrowid is not None
                if status == "open":
                    self._transition(cursor.lastrowid, at, run_id, "opened", changes.opened)
                continue
            evidence = _keep_first_capture(row["evidence"], draft.evidence) or evidence
            status, holds = row["status"], row["holds"] + 1
            if status == "resolved":
                status, holds = "pending", 1
            if status == "pending" and holds >= needed:
                status = "open"
                if row["resolved_at"] is not None:
                    self._transition(row["id"], at, run_id, "reopened", changes.reopened)
                else:
                    self._transition(row["id"], at, run_id, "opened", changes.opened)
            elif (status in ("open", "acknowledged")
                  and SEVERITY_RANK[draft.severity] < SEVERITY_RANK[row["severity"]]):
                self._transition(row["id"], at, run_id, "escalated", changes.escalated,
                                 note=f"{row['severity']} → {draft.severity}")
            self.conn.execute(
                "UPDATE findings SET status = ?, severity = ?, last_seen = ?, summary = ?, "
                "evidence = ?, holds = ?, clears = 0, resolved_at = CASE WHEN ? = 'pending' "
                "THEN resolved_at END WHERE id = ?",
                (status, draft.severity, at, draft.summary, evidence, holds, status, row["id"]))
        skipped = set(unjudged)
        for key, row in existing.items():
            if key in seen or row["rule"] not in evaluated or row["status"] == "resolved":
                continue
            if row["subject"] in skipped:
                continue
            if row["status"] == "pending":
                if row["resolved_at"] is None:
                    self.conn.execute("DELETE FROM finding_events WHERE finding_id = ?",
                                      (row["id"],))
                    self.conn.execute("DELETE FROM findings WHERE id = ?", (row["id"],))
                else:
                    self.conn.execute("UPDATE findings SET status = 'resolved', holds = 0 "
                                      "WHERE id = ?", (row["id"],))
                continue
            clears = self.conn.execute(
                "UPDATE findings SET clears = clears + 1 WHERE id = ? RETURNING clears",
                (row["id"],)).fetchone()[0]
            if clears >= confirm.resolve_after(row["rule"]):
                self.conn.execute("UPDATE findings SET status = 'resolved', resolved_at = ?, "
                                  "holds = 0 WHERE id = ?", (at, row["id"]))
                self._transition(row["id"], at, run_id, "resolved", changes.resolved)
        return changes

    def _transition(self, finding_id: int, at: str, run_id: int | None, event: str,
                    bucket: list[int], note: str = "") -> None:
        self._event(finding_id, at, run_id, event, note=note)
        self.conn.execute("INSERT INTO alerts (finding_id, run_id, transition, created) "
                          "VALUES (?, ?, ?, ?)", (finding_id, run_id, event, at))
        bucket.append(finding_id)

    def acknowledge(self, finding_id: int, note: str, by: str) -> None:
        at = utcnow()
        with self.transaction():
            self.conn.execute(
                "UPDATE findings SET status = CASE status WHEN 'resolved' THEN status "
                "ELSE 'acknowledged' END, ack_note = ?, ack_by = ?, ack_at = ? WHERE id = ?",
                (note, by, at, finding_id))
            self._event(finding_id, at, None, "acknowledged", by=by, note=note)

    def _event(self, finding_id: int, at: str, run_id: int | None, event: str, *,
               by: str = "", note: str = "") -> None:
        self.conn.execute("INSERT INTO finding_events (finding_id, at, run_id, event, by, note) "
                          "VALUES (?, ?, ?, ?, ?, ?)", (finding_id, at, run_id, event, by, note))

    # -- alert queue ------------------------------------------------------------------------

    def alerts_to_deliver(self) -> list[dict[str, Any]]:
        """Queued transitions some channel has not taken yet, oldest first: ``alert_id``,
        ``transition``, the finding's ``finding_id``, ``name``, ``rule``, ``severity``,
        ``summary``, ``evidence`` and ``first_seen``, and ``shown``: whether a run already
        reported it on standard output."""
        rows = self._query(
            "SELECT a.id AS alert_id, a.transition, f.id AS finding_id, f.name, f.rule, "
            "f.severity, f.summary, f.evidence, f.first_seen, "
            "EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id AND d.target = 'stdout') "
            "AS shown FROM alerts a JOIN findings f ON f.id = a.finding_id "
            "WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id "
            "AND d.target = 'stdout') OR EXISTS (SELECT 1 FROM deliveries d WHERE "
            "d.alert_id = a.id AND d.delivered_at IS NULL) ORDER BY a.id")
        for row in rows:
            row["evidence"] = json.loads(row["evidence"])
            row["shown"] = bool(row["shown"])
        return rows

    def delivered_alerts(self) -> set[tuple[int, str]]:
        """(alert id, target) of every alert a target took."""
        return {(row[0], row[1]) for row in self.conn.execute(
            "SELECT alert_id, target FROM deliveries WHERE delivered_at IS NOT NULL")}

    def record_deliveries(self, alert_ids: Iterable[int], target: str,
                          delivered_at: str | None, error: str) -> None:
        """Count one attempt to deliver each alert to ``target``: taken at ``delivered_at``
        (None: not taken, ``error`` says why). An alert once taken stays taken."""
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO deliveries (alert_id, target, delivered_at, attempts, last_error) "
                "VALUES (?, ?, ?, 1, ?) ON CONFLICT (alert_id, target) DO UPDATE SET "
                "delivered_at = COALESCE(deliveries.delivered_at, excluded.delivered_at), "
                "attempts = deliveries.attempts + 1, last_error = excluded.last_error",
                [(alert_id, target, delivered_at, error) for alert_id in alert_ids])


ENTRY_FIELDS = ("name", "owner", "parent", "state", "site_code", "contact", "networks",
                "nameservers", "note", "priority", "hosts")
_LIST_FIELDS = ("networks", "nameservers", "hosts")
_UPSERT_ENTRY = (
    f"INSERT INTO entries ({', '.join(ENTRY_FIELDS)}, created, updated) "
    f"VALUES ({', '.join('?' * (len(ENTRY_FIELDS) + 2))}) "
    "ON CONFLICT (name) DO UPDATE SET "
    + ", ".join(f"{key} = excluded.{key}" for key in ENTRY_FIELDS[1:])
    + ", updated = excluded.updated"
)
SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
FINDING_STATUSES = ("open", "acknowledged", "resolved", "pending")


@dataclass(frozen=True)
class FindingDraft:
    """A finding as a check produces it, before it meets the database."""

    rule: str
    severity: str
    summary: str
    evidence: dict[str, Any]
    subject: str = ""

    @property
    def category(self) -> str:
        return self.rule.split(".", 1)[0]


@dataclass(frozen=True)
class Confirmation:
    """How many evaluations in a row open or resolve a finding, by category or by rule.

    ``open_by`` and ``resolve_by`` map a category (``unused``) or a rule id
    (``unused.no_web``) to a count; a rule id wins over its category.
    """

    open_default: int = 1
    resolve_default: int = 1
    open_by: dict[str, int] = field(default_factory=dict)
    resolve_by: dict[str, int] = field(default_factory=dict)

    def open_after(self, rule: str) -> int:
        return self.open_by.get(rule, self.open_by.get(rule.split(".")[0], self.open_default))

    def resolve_after(self, rule: str) -> int:
        return self.resolve_by.get(rule, self.resolve_by.get(rule.split(".")[0],
                                                             self.resolve_default))


@dataclass
class SourceChanges:
    """What one sync changed: names new in the source, names gone from it."""

    source_id: int
    added: list[str]
    removed: list[str]


@dataclass
class FindingChanges:
    opened: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)

    def add(self, other: FindingChanges) -> None:
        self.opened += other.opened
        self.reopened += other.reopened
        self.escalated += other.escalated
        self.resolved += other.resolved


def finding_record(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding as the commands and the API show it: the stored row's fields, the name
    also as people read it (``display_name``)."""
    return {"id": finding["id"], "name": finding["name"], "display_name":
            display_name(finding["name"]), "rule": finding["rule"],
            "category": finding["category"], "severity": finding["severity"],
            "status": finding["status"], "subject": finding["subject"],
            "first_seen": finding["first_seen"], "last_seen": finding["last_seen"],
            "resolved_at": finding["resolved_at"], "summary": finding["summary"],
            "evidence": finding["evidence"], "ack_note": finding["ack_note"]}


def fingerprint_hash(fingerprint: dict[str, Any]) -> str:
    text = json.dumps(fingerprint, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def body_hash(text: str) -> str:
    """The address of a page body in ``page_bodies``: SHA-256 of its UTF-8, in hex."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8", "surrogatepass"))


def _decompress(body: bytes) -> str | None:
    """A stored body's text; None when it is damaged or inflates past the cap."""
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(body, MAX_BODY_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            return None
        return raw.decode("utf-8", "surrogatepass")
    except (zlib.error, UnicodeDecodeError):
        return None


def _keep_first_capture(stored: str, evidence: dict[str, Any]) -> str | None:
    """Evidence whose ``capture`` (the request and response that showed a hijack) is
    replaced at every scan keeps the capture of the scan that first saw it, as
    ``first_capture``: what was handed to the authorities must not change under them."""
    if "capture" not in evidence:
        return None
    old = json.loads(stored or "{}")
    first = old.get("first_capture") or old.get("capture")
    if first is None:
        return None
    return json.dumps({**evidence, "first_capture": first}, ensure_ascii=False,
                      sort_keys=True)


def _decode_entry(row: dict[str, Any]) -> dict[str, Any]:
    row["networks"] = json.loads(row["networks"])
    row["nameservers"] = json.loads(row["nameservers"])
    row["hosts"] = json.loads(row["hosts"])
    return row


# Entry fields whose values repeat across a register.
_REPEATED_FIELDS = ("parent", "state", "contact", "created", "updated", "priority")


def _compact_entry(row: dict[str, Any], values: dict[str, str],
                   lists: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    for key in _REPEATED_FIELDS:
        value = row.get(key)
        if isinstance(value, str):
            row[key] = values.setdefault(value, value)
    for key in ("networks", "nameservers", "hosts"):
        text = row[key]
        found = lists.get(text)
        if found is None:
            found = lists[text] = tuple(json.loads(text))
        row[key] = found
    return row


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _locked_message(path: Path, error: sqlite3.Error) -> str:
    if "locked" in str(error) or "busy" in str(error):
        return f"database {path} is locked by another domainwatch process; try again later"
    return f"database {path}: {error}"


class RunInProgress(StoreError):
    """Another scan or nightly run holds the database."""


class RunLock:
    """An exclusive lock beside the database, so that two scans never overlap."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._file: Any = None

    def __enter__(self) -> RunLock:
        self._file = open(self.path, "a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.seek(0)
            holder = self._file.read().strip() or "another process"
            self._file.close()
            raise RunInProgress(f"another scan is running on {self.path.with_suffix('')} "
                                f"({holder}); wait for it to finish") from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"pid {os.getpid()}, since {utcnow()}")
        self._file.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
