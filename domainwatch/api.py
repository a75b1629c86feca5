"""domainwatch as a library: one object per database, one method per command.

>>> from domainwatch.api import Domainwatch
>>> with Domainwatch("domainwatch.db") as dw:                         # doctest: +SKIP
...     dw.import_register("register.csv")
...     for finding in dw.findings(severity="high"):
...         print(finding.rule, finding.display_name, finding.summary)

Every method does what the command of the same purpose does (``domainwatch register import``
is :meth:`Domainwatch.import_register`, ``domainwatch scan`` is :meth:`Domainwatch.scan`, …)
and returns what it did as plain data instead of printing it; the command line
(:mod:`domainwatch.cli`) is a skin over this module. What cannot be done raises: the errors of
this module (:class:`DomainwatchError` and its kinds, :class:`InvalidOption` for a keyword
argument that cannot be used), and these, which are not :class:`DomainwatchError`:

- :class:`~domainwatch.register.RegisterError`: a register file (or an added entry) with bad
  rows, listing every row's error;
- :class:`~domainwatch.config.ConfigError`: a configuration that cannot be used (also a bad
  ``[scan] resolvers`` of the configuration file, or a CA file that cannot be read);
- :class:`~domainwatch.settings.SecretUnavailable` (:meth:`Domainwatch.sync_zone`): the TSIG
  secret's environment variable (``[tsig] secret_env``) is unset or holds no base64. A secret
  named by an environment variable is read when it is used, not when the configuration is
  loaded; an alert channel's, when :meth:`Domainwatch.run` delivers, fails that delivery
  instead;
- :class:`~domainwatch.scan.ScanError`: a scan that cannot start (an empty register, names
  the database does not know);
- :class:`~domainwatch.probes.dns.ResolverUnreachable` (:meth:`Domainwatch.scan`,
  :meth:`Domainwatch.run`): no resolver answered;
- :class:`~domainwatch.discovery.TransferFailed` (:meth:`Domainwatch.sync_zone`), and
  :class:`~domainwatch.discovery.DiscoveryError` for a zone file or certificate log that
  cannot be read;
- :class:`~domainwatch.store.StoreError`: the database cannot be used (locked by another
  process, …), and its kind :class:`~domainwatch.store.RunInProgress`: another scan or
  nightly run holds it;
- :class:`~domainwatch.names.InvalidName`: a name that is not a host name.

When writing an import fails, the exception carries the rows' warnings (what cells were read
as) as ``row_warnings`` (:func:`row_warnings`).

The settings of a scan come from the :class:`~domainwatch.config.Config` the object was opened
with, overridden by a method's keyword arguments as the command line's options override the
configuration file (:func:`resolver_config`, :func:`whois_settings`, :func:`web_stage`).

Size: one method per command, each with its result type; the logic is in the modules it
calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import getpass
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domainwatch import rules
from domainwatch.baseline import NothingToAccept as NeverObserved
from domainwatch.checks.register import entry_naming_problems
from domainwatch.config import Config, ConfigError, load_config
from domainwatch.discovery import SourceSnapshot, read_ct_export, read_zone_file, transfer_zone
from domainwatch.names import (
    display_name,
    governments_by_division,
    normalize_name,
    registrable_domain,
)
from domainwatch.reconcile import (
    managed_domains,
    managing_domain,
    recent_certificate,
    register_diff,
)
from domainwatch.register import (
    FORMATS,
    HOST_TYPES,
    PRIORITIES,
    STATES,
    ImportPlan,
    RawRow,
    RowWarning,
    apply_plan,
    plan_accept,
    plan_import,
    read_rows,
    write_plan,
)
from domainwatch.register import host_name as cell_host
from domainwatch.store import (
    FINDING_STATUSES,
    SEVERITIES,
    SourceChanges,
    Store,
    finding_record,
)

if TYPE_CHECKING:
    from sqlite_utils import Database

    from domainwatch.nightly import NightlyResult
    from domainwatch.probes.whois import WhoisRecord
    from domainwatch.recheck import RecheckSummary
    from domainwatch.scan import ScanSummary
    from domainwatch.settings import ResolverConfig, WebStage, WhoisSettings

__all__ = [
    "AcceptResult", "AlreadyInRegister", "DiscoveryResult", "Domainwatch", "DomainwatchError",
    "EntryAdded", "EntryChange", "Finding", "FindingResolved", "ImportResult", "InvalidOption",
    "NameDetails", "NoSuchFinding", "NotInRegister", "NotRegistrable", "NothingToAccept",
    "ReportNotWritten", "UnknownName", "default_user", "parse_whois_servers", "resolver_config",
    "row_warnings", "web_stage", "whois_settings",
]

ProgressCallback = Callable[[int, int], None]


# -- errors -----------------------------------------------------------------------------------


class DomainwatchError(Exception):
    """A request that cannot be done as asked; the message says why, in one line."""


class NotInRegister(DomainwatchError):
    """The name is not in the register."""


class AlreadyInRegister(DomainwatchError):
    """:meth:`Domainwatch.add_entry` of a name the register has; ``warnings`` are what the
    entry's cells were read as, as an import would have reported them."""

    def __init__(self, message: str, warnings: list[RowWarning]) -> None:
        super().__init__(message)
        self.warnings = warnings


class UnknownName(DomainwatchError):
    """The name is neither in the register nor discovered, and has no findings."""


class NoSuchFinding(DomainwatchError):
    """No finding has this id."""


class FindingResolved(DomainwatchError):
    """The finding is resolved: there is nothing to acknowledge."""


class NotRegistrable(DomainwatchError):
    """A WHOIS lookup of a public suffix (``gov.cn``), which no one registers."""


class ReportNotWritten(DomainwatchError):
    """The report could not be written to its file."""


class NothingToAccept(DomainwatchError, NeverObserved):
    """:meth:`Domainwatch.accept` of a name no scan has observed yet (also a
    :class:`domainwatch.baseline.NothingToAccept`)."""


class InvalidOption(DomainwatchError, ValueError):
    """A keyword argument that cannot be used; ``parameter`` names it (None: a combination
    of arguments, which ``arguments`` names).

    The message names the arguments by their keywords; :meth:`worded` names them otherwise
    (the command line, by its options): the message is then a template with a ``{keyword}``
    field for each of ``arguments``."""

    def __init__(self, message: str, parameter: str | None = None, *,
                 arguments: Sequence[str] = ()) -> None:
        self.template = message
        self.parameter = parameter
        self.arguments = tuple(arguments)
        super().__init__(self.worded({}))

    def worded(self, names: Mapping[str, str]) -> str:
        """The message with each of ``arguments`` called by ``names`` (default: its
        keyword)."""
        if not self.arguments:
            return self.template
        return self.template.format(**{name: names.get(name, name) for name in self.arguments})


def _choice(value: str, choices: Iterable[str], parameter: str) -> str:
    """``value`` when it is one of ``choices``; else :class:`InvalidOption`."""
    known = tuple(choices)
    if value not in known:
        raise InvalidOption(f"{parameter} {value!r} is not one of {', '.join(known)}",
                            parameter)
    return value


def _names(names: Iterable[str], parameter: str) -> list[str]:
    """The names of an iterable of them; a bare string (which would be read letter by
    letter) and no names at all are :class:`InvalidOption`."""
    if isinstance(names, str | bytes):
        raise InvalidOption(f"{parameter} must be a list of names, not a string "
                            f"(give [{names!r}])", parameter)
    listed = list(names)
    if not listed:
        raise InvalidOption(f"no {parameter} given", parameter)
    return listed


def row_warnings(error: BaseException) -> list[RowWarning]:
    """The rows' warnings an exception raised while writing an import carries (empty when it
    carries none)."""
    return list(getattr(error, "row_warnings", []))


# -- results ----------------------------------------------------------------------------------


@dataclass
class Finding:
    """One finding, as ``domainwatch findings --format json`` lists it."""

    id: int
    name: str
    display_name: str
    rule: str
    category: str
    severity: str
    status: str
    subject: str
    first_seen: str
    last_seen: str
    resolved_at: str | None
    summary: str
    evidence: dict[str, Any]
    ack_note: str | None

    @classmethod
    def from_row(cls, finding: dict[str, Any]) -> Finding:
        return cls(**finding_record(finding))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class ImportResult:
    """A register file imported (or, ``dry_run``, what importing it would do). ``changed``
    pairs each updated entry with its changes (column → (old, new)); ``naming_problems``
    are those of the added and changed entries, which the next scan records as findings."""

    source: Path
    added: list[dict[str, Any]]
    changed: list[tuple[dict[str, Any], dict[str, tuple[Any, Any]]]]
    unchanged: list[str]
    warnings: list[RowWarning]
    naming_problems: list[str]
    dry_run: bool


@dataclass
class DiscoveryResult:
    """A zone or certificate log compared with the register and recorded (unless
    ``dry_run``). ``unlisted`` are its names under the managed domains that the register
    lacks; ``added`` the entries accepted into the register (``accept``; on a dry run, those
    that would be); ``changes`` what is new and gone since its last import (None on a dry
    run)."""

    snapshot: SourceSnapshot
    unlisted: list[str]
    added: list[dict[str, Any]]
    changes: SourceChanges | None
    accept: bool
    dry_run: bool


@dataclass
class EntryAdded:
    """An entry added by :meth:`Domainwatch.add_entry`."""

    entry: dict[str, Any]
    warnings: list[RowWarning]
    naming_problems: list[str]


@dataclass
class EntryChange:
    """What :meth:`Domainwatch.set_entry` changed: column → ``{"from": …, "to": …}``; empty
    when the entry was already so."""

    name: str
    changes: dict[str, dict[str, str]]


@dataclass
class AcceptResult:
    """A name's baseline adopted: per probe a short description of what was adopted, and the
    ids of the findings that resolved with it."""

    name: str
    adopted: dict[str, str]
    resolved: list[int]


@dataclass
class NameDetails:
    """Everything the database holds about one name (``domainwatch show``)."""

    name: str
    entry: dict[str, Any] | None
    history: list[dict[str, Any]]
    discovered: list[dict[str, Any]]
    last_scan: dict[str, Any] | None
    dns: list[dict[str, Any]]
    web: list[dict[str, Any]]
    links: list[dict[str, Any]]
    linked_from: list[dict[str, Any]]
    baselines: dict[str, dict[str, Any]]
    findings: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """What ``domainwatch show --format json`` prints."""
        return {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}


# -- settings: the configuration, overridden by a call's arguments ----------------------------


def resolver_config(config: Config, resolvers: Sequence[str] = (), timeout: float | None = None,
                    retries: int | None = None,
                    concurrency: int | None = None) -> ResolverConfig:
    """The resolvers to ask and how: the arguments given, else the configuration's.

    Checked whole before a scan touches the database: a bad argument raises
    :class:`InvalidOption` naming it, a bad configuration value
    :class:`~domainwatch.config.ConfigError` naming the file's ``[scan]`` setting."""
    from domainwatch.probes.dns import parse_resolver
    from domainwatch.settings import ResolverConfig

    if isinstance(resolvers, str):
        raise InvalidOption("resolvers must be a list of IP[:PORT] strings, not a string",
                            "resolvers")
    where = f"{config.source or 'the configuration'}: [scan]"
    parsed = []
    for text in resolvers or tuple(config.resolvers):
        try:
            parsed.append(parse_resolver(text))
        except ValueError as error:
            if resolvers:
                raise InvalidOption(str(error), "resolvers") from None
            raise ConfigError(f"{where} resolvers: {error}") from None
    values: dict[str, Any] = {}
    for key, given, configured, good, wanted in (
            ("timeout", timeout, config.timeout, lambda v: v > 0, "must be above 0"),
            ("retries", retries, config.retries, lambda v: v >= 0, "must be 0 or more"),
            ("concurrency", concurrency, config.concurrency, lambda v: v >= 1,
             "must be 1 or more")):
        value = given if given is not None else configured
        if isinstance(value, bool) or not isinstance(value, int | float) or not good(value):
            if given is not None:
                raise InvalidOption(f"{key} {value!r} {wanted}", key)
            raise ConfigError(f"{where} {key} {value!r} {wanted}")
        values[key] = value
    return ResolverConfig(resolvers=parsed, **values)


def whois_settings(config: Config, servers: Sequence[str] = (),
                   enabled: bool | None = None) -> WhoisSettings | None:
    """The registration checks of a scan, None for none. ``enabled`` None: as the
    configuration's [whois] says (off without one); servers given turn them on."""
    from domainwatch.settings import WhoisSettings

    if enabled is False:
        return None
    if not servers and not enabled:
        configured = config.whois
        return configured if configured is not None and configured.enabled else None
    settings = dataclasses.replace(config.whois or WhoisSettings(), enabled=True)
    if servers:
        settings.servers = {**(settings.servers or {}), **parse_whois_servers(servers)}
    return settings


def parse_whois_servers(servers: Sequence[str]) -> dict[str, tuple[str, int]]:
    """``[TLD=]HOST[:PORT]`` texts as the WHOIS client takes them: suffix → address."""
    from domainwatch.settings import parse_whois_server

    if isinstance(servers, str):
        raise InvalidOption("whois_servers must be a list of [TLD=]HOST[:PORT] strings, not a "
                            "string", "whois_servers")
    overrides: dict[str, tuple[str, int]] = {}
    for text in servers:
        try:
            suffix, address = parse_whois_server(text)
        except ValueError as error:
            raise InvalidOption(str(error), "whois_servers") from None
        overrides[suffix] = address
    return overrides


def web_stage(config: Config, ca_files: Sequence[Path] = (),
              enabled: bool | None = None) -> WebStage:
    """The web and certificate stage of a scan, its trust store loaded when it runs.
    ``enabled`` None: as the configuration's [web] says (on without one)."""
    from domainwatch.probes.tls import TrustStore, TrustStoreError
    from domainwatch.settings import WebStage

    stage = copy.deepcopy(config.web) if config.web is not None else WebStage()
    if enabled is not None:
        stage.enabled = enabled
    stage.ca_files = [*stage.ca_files, *ca_files]
    if stage.enabled:
        try:
            stage.probe.trust = TrustStore(stage.ca_files, system=stage.system_trust)
        except TrustStoreError as error:
            raise ConfigError(str(error)) from None
    return stage


# -- the database -----------------------------------------------------------------------------


class Domainwatch:
    """A domainwatch database, opened (and created) on first use.

    ``config`` is a :class:`~domainwatch.config.Config`, the path of a TOML configuration
    file, or None for the defaults. Use it as a context manager, or call :meth:`close`.
    ``by`` arguments say who makes a change, for the register's and findings' history
    (default: the login name).
    """

    def __init__(self, db: str | os.PathLike[str],
                 config: Config | str | os.PathLike[str] | None = None) -> None:
        self.path = Path(db)
        self.config = config if isinstance(config, Config) else load_config(
            None if config is None else Path(config))
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The underlying :class:`~domainwatch.store.Store`."""
        if self._store is None:
            self._store = Store(self.path)
        return self._store

    @property
    def db(self) -> Database:
        """The same database as a :class:`sqlite_utils.Database`, for queries and exports of
        your own (``dw.db["findings"].rows_where("severity = ?", ["critical"])``). Read it;
        write through the methods, which keep the histories and the findings' lifecycle."""
        return self.store.database()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Domainwatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Domainwatch {str(self.path)!r}>"

    # -- register -----------------------------------------------------------------------------

    def import_register(self, file: str | os.PathLike[str], *, format: str | None = None,
                        origin: str | None = None, accept: bool = False,
                        dry_run: bool = False, by: str | None = None,
                        note: str = "") -> ImportResult | DiscoveryResult:
        """Import register entries from a CSV or JSON file, or discover names in a zone file
        or a crt.sh JSON export.

        ``format`` is ``csv``, ``json``, ``zone`` or ``ct``; None: by extension (``.json``
        JSON, ``.zone`` a zone file, anything else CSV). A register file is checked whole
        first: any bad row raises :class:`~domainwatch.register.RegisterError` listing every
        error, and nothing is imported; entries already in the register are updated with the
        non-empty cells of their row. A zone file (``origin``: its zone when it has no
        $ORIGIN) or a certificate log is recorded as discovered names, and ``accept`` also
        adds those the register lacks. ``note`` is the reason kept in the history (default:
        from the file name).
        """
        path = Path(file)
        if format is not None:
            _choice(format, FORMATS, "format")
        elif path.suffix.lower() == ".zone":
            format = "zone"
        if format in ("zone", "ct"):
            snapshot = read_zone_file(path, origin) if format == "zone" else read_ct_export(path)
            return self._record_discovery(snapshot, accept=accept, dry_run=dry_run, by=_who(by),
                                          note=note or f"discovered in {path.name}")
        if origin or accept:
            raise InvalidOption("{origin} and {accept} apply to zone files and certificate logs",
                                arguments=("origin", "accept"))
        plan = plan_import(str(path), read_rows(path, format), self._entries())
        result = ImportResult(path, plan.added, plan.changed, plan.unchanged, plan.warnings,
                              [], dry_run)
        if dry_run:
            return result
        try:
            apply_plan(self.store, plan, by=_who(by), reason=note or f"import {path.name}")
        except Exception as error:
            # the rows were read, the write failed: what they were read as is still news
            error.row_warnings = list(plan.warnings)  # type: ignore[attr-defined]
            raise
        register_now = self._entries()
        governments = governments_by_division(register_now.values())
        result.naming_problems = [
            problem.summary for entry in [*plan.added, *(entry for entry, _ in plan.changed)]
            for problem in entry_naming_problems(entry, register_now, governments)]
        return result

    def sync_zone(self, zone: str, server: str, *, timeout: float = 10.0, tsig: bool = True,
                  accept: bool = False, dry_run: bool = False,
                  by: str | None = None) -> DiscoveryResult:
        """Transfer ``zone`` (AXFR) from ``server`` (``IP[:PORT]``, the zone's own primary) and
        compare it with the register.

        Signs the request with the configuration's TSIG key when there is one and ``tsig``.
        The transfer is read whole before anything is written: a refused or broken transfer
        raises :class:`~domainwatch.discovery.TransferFailed` and changes nothing. Names the
        zone no longer contains stay on record as gone. ``accept`` also adds the zone's host
        names that are not in the register to it.
        """
        from domainwatch.probes.dns import parse_resolver

        try:
            address = parse_resolver(server)
        except ValueError as error:
            raise InvalidOption(str(error), "server") from None
        snapshot = transfer_zone(zone, address, timeout=timeout,
                                 tsig=self.config.tsig if tsig else None)
        return self._record_discovery(
            snapshot, accept=accept, dry_run=dry_run, by=_who(by),
            note=f"discovered in zone {display_name(snapshot.label)} ({snapshot.via})")

    def _record_discovery(self, snapshot: SourceSnapshot, *, accept: bool, dry_run: bool,
                          by: str, note: str) -> DiscoveryResult:
        store = self.store
        entries = self._entries()
        managed = managed_domains(entries.values(), store.sources(),
                                  self.config.managed_domains)
        if snapshot.origin:
            managed.add(snapshot.origin)
        unlisted = [name for name in sorted(snapshot.names)
                    if name not in entries and managing_domain(name, managed) is not None]
        acceptable = [name for name in unlisted if _acceptable(snapshot, name)]
        plan = plan_accept(acceptable, entries, note) if accept else ImportPlan()
        changes = None
        if not dry_run:
            with store.transaction():
                changes = store.record_source(snapshot)
                write_plan(store, plan, by=by, reason=note)
        return DiscoveryResult(snapshot, unlisted, plan.added, changes, accept, dry_run)

    def add_entry(self, name: str, *, owner: str = "", parent: str = "",
                  state: str = "active", site_code: str = "", contact: str = "",
                  networks: str = "", nameservers: str = "", hosts: str = "", note: str = "",
                  by: str | None = None) -> EntryAdded:
        """Add one entry to the register, its cells checked as an imported row's (a bad one
        raises :class:`~domainwatch.register.RegisterError`). ``networks``, ``nameservers``
        and ``hosts`` are separated by spaces; ``note`` is also the reason in the history.
        A name already in the register raises :class:`AlreadyInRegister`."""
        row = RawRow(1, {"name": name, "owner": owner, "parent": parent, "state": state,
                         "site_code": site_code, "contact": contact, "networks": networks,
                         "nameservers": nameservers, "hosts": hosts, "note": note})
        plan = plan_import("register add", [row], self._entries())
        if not plan.added:
            raise AlreadyInRegister(
                f"{display_name(cell_host(name)[0])} is already in the register; change it "
                "with 'register set' or 'register import'", plan.warnings)
        apply_plan(self.store, plan, by=_who(by), reason=note or "register add")
        [entry] = plan.added
        problems = entry_naming_problems(entry, self._entries())
        return EntryAdded(entry, plan.warnings, [problem.summary for problem in problems])

    def set_entry(self, name: str, *, state: str | None = None, priority: str | None = None,
                  note: str = "", by: str | None = None) -> EntryChange:
        """Change the state (one of :data:`~domainwatch.register.STATES`) or the priority
        (:data:`~domainwatch.register.PRIORITIES`) of the entry ``name`` (kept in its history; a
        value it already has is no change)."""
        if state is None and priority is None:
            raise InvalidOption("give {state} or {priority}", arguments=("state", "priority"))
        if state is not None:
            _choice(state, STATES, "state")
        if priority is not None:
            _choice(priority, PRIORITIES, "priority")
        store = self.store
        stored = normalize_name(name)
        with store.transaction():
            entry = store.entry(stored)
            if entry is None:
                raise NotInRegister(f"{name} is not in the register")
            wanted = {"state": state, "priority": priority}
            changes = {key: {"from": entry[key], "to": value} for key, value in wanted.items()
                       if value is not None and entry[key] != value}
            if changes:
                for key, change in changes.items():
                    entry[key] = change["to"]
                store.save_entry(entry, by=_who(by), reason=note, action="changed", changes=changes)
        return EntryChange(stored, changes)

    def entries(self, state: str | None = None) -> list[dict[str, Any]]:
        """The register's entries (of one state when given), by name."""
        if state is not None:
            _choice(state, STATES, "state")
        return self.store.entries(state)

    def entry(self, name: str) -> dict[str, Any] | None:
        """The register's entry of ``name``, None when it has none."""
        return self.store.entry(normalize_name(name))

    def entry_history(self, name: str) -> list[dict[str, Any]]:
        """Every change of the entry ``name``, oldest first."""
        return self.store.entry_history(normalize_name(name))

    def register_diff(self) -> dict[str, Any]:
        """The register against the synced zones and certificate logs, both ways (see
        :func:`domainwatch.reconcile.register_diff` for its parts)."""
        store = self.store
        entries = self._entries()
        sources = store.sources()
        discovered = store.discovered()
        managed = managed_domains(entries.values(), sources, self.config.managed_domains)
        dns_status = store.latest_dns_statuses(set(discovered) | set(entries))
        return register_diff(entries, sources, discovered, managed, dns_status)

    def _entries(self) -> dict[str, dict[str, Any]]:
        return {entry["name"]: entry for entry in self.store.entries()}

    # -- scans --------------------------------------------------------------------------------

    def scan(self, names: Iterable[str] | None = None, *, resolvers: Sequence[str] = (),
             timeout: float | None = None, retries: int | None = None,
             concurrency: int | None = None, whois: bool | None = None,
             whois_servers: Sequence[str] = (), web: bool | None = None,
             ca_files: Sequence[Path] = (),
             progress: ProgressCallback | None = None) -> ScanSummary:
        """Resolve ``names`` (None: the register and the unlisted discovered names; a list
        of none, or a bare string, is :class:`InvalidOption`), fetch their sites, and update
        findings.

        ``resolvers`` (``IP[:PORT]``), ``timeout``, ``retries`` and ``concurrency`` override
        the configuration's DNS settings; ``whois`` turns the registration checks on or off
        (None: as configured; ``whois_servers``, ``[TLD=]HOST[:PORT]``, turn them on);
        ``web`` the web and certificate stage, ``ca_files`` CA certificates to trust besides
        the system's. ``progress(done, total)`` is called as names are done. A timeout or
        SERVFAIL is never taken for "does not exist": such names come back in the summary's
        ``unresolved`` and their findings are left as they were. Every argument is checked
        before the database is touched. Besides this module's errors it raises
        :class:`~domainwatch.probes.dns.ResolverUnreachable` when no resolver answers,
        :class:`~domainwatch.store.RunInProgress` when another scan holds the database and
        :class:`~domainwatch.scan.ScanError` for an empty register or unknown names.
        """
        from domainwatch.scan import scan

        targets = (None if names is None
                   else [normalize_name(name) for name in _names(names, "names")])
        config = resolver_config(self.config, resolvers, timeout, retries, concurrency)
        registration = whois_settings(self.config, whois_servers, whois)
        stage = web_stage(self.config, ca_files, web)
        return scan(self.store, targets, config, progress,
                    configured_domains=self.config.managed_domains, whois=registration,
                    web=stage)

    def recheck(self, names: Iterable[str] | None = None, *, whois: bool | None = None,
                web: bool | None = None) -> RecheckSummary:
        """Judge ``names`` (None: every name a full scan covers, and the managed domains'
        wildcard answers) again from their latest stored observations, without probing:
        after the lexicon, the placeholder signatures, the cloud-service catalogue, a rule
        or the register changed. ``whois`` and ``web`` turn the registration rules and the
        web and certificate rules on or off (default: the configuration's). What opened
        and resolved is in the result's ``changes``; the names that could not be judged
        (never scanned, unresolved) in ``not_rechecked``.
        Raises :class:`~domainwatch.scan.ScanError` for names the database does not know and
        :class:`~domainwatch.store.RunInProgress` when a scan holds the database."""
        from domainwatch.recheck import recheck

        targets = (None if names is None
                   else [normalize_name(name) for name in _names(names, "names")])
        stage = web_stage(self.config, (), web)
        return recheck(self.store, targets, configured_domains=self.config.managed_domains,
                       whois=whois_settings(self.config, (), whois),
                       web=stage if stage.enabled else None)

    def run(self, *, everything: bool = False, resolvers: Sequence[str] = (),
            timeout: float | None = None, retries: int | None = None,
            concurrency: int | None = None, whois: bool | None = None,
            whois_servers: Sequence[str] = (), web: bool | None = None,
            ca_files: Sequence[Path] = (),
            progress: ProgressCallback | None = None) -> NightlyResult:
        """The nightly job: scan what is due (``everything``: every name), evaluate, send the
        configuration's alerts. The result's ``exit_code`` is what ``domainwatch run`` exits
        with. Takes the same settings as :meth:`scan`, and raises as it does."""
        from domainwatch.nightly import run_nightly

        config = resolver_config(self.config, resolvers, timeout, retries, concurrency)
        registration = whois_settings(self.config, whois_servers, whois)
        stage = web_stage(self.config, ca_files, web)
        return run_nightly(self.store, config, self.config.run, self.config.alerts,
                           everything=everything,
                           configured_domains=self.config.managed_domains,
                           whois=registration, web=stage, progress=progress)

    # -- findings -----------------------------------------------------------------------------

    def findings(self, *, status: str = "open", category: str | None = None,
                 rule: str | None = None, severity: str | None = None,
                 name: str | None = None) -> list[Finding]:
        """Findings, the most severe first: of one ``status`` (``open``, ``acknowledged``,
        ``resolved``, ``pending``; ``all``), and of one category, rule, severity or name when
        given. A status, category, rule or severity that does not exist is
        :class:`InvalidOption`."""
        _choice(status, (*FINDING_STATUSES, "all"), "status")
        if category is not None:
            _choice(category, rules.categories(), "category")
        if rule is not None:
            try:
                rules.get(rule)
            except rules.UnknownRule as error:
                raise InvalidOption(str(error.args[0]), "rule") from None
        if severity is not None:
            _choice(severity, SEVERITIES, "severity")
        return [Finding.from_row(row) for row in self.store.findings(
            status=status, category=category, rule=rule, severity=severity,
            name=None if name is None else normalize_name(name))]

    def finding(self, finding_id: int) -> Finding:
        """The finding ``finding_id``; :class:`NoSuchFinding` when there is none."""
        row = self.store.finding(finding_id)
        if row is None:
            raise NoSuchFinding(f"no finding {finding_id}")
        return Finding.from_row(row)

    def acknowledge(self, finding_id: int, note: str, *, by: str | None = None) -> Finding:
        """Acknowledge a finding: it stays listed as ``acknowledged`` until it resolves.
        ``note`` says why it is accepted for now (kept in its history)."""
        finding = self.finding(finding_id)
        if finding.status == "resolved":
            raise FindingResolved(f"finding {finding_id} is resolved; nothing to acknowledge")
        self.store.acknowledge(finding_id, note, _who(by))
        return self.finding(finding_id)

    def accept(self, name: str, *, by: str | None = None) -> AcceptResult:
        """Adopt ``name``'s current fingerprint (DNS answers, page, certificate, the WHOIS
        record of its domain, as the last scan saw them) as its baseline; the findings that
        compare with the baseline resolve at once. Raises :class:`NotInRegister` for a name
        the register lacks, :class:`NothingToAccept` for a name never observed."""
        from domainwatch.baseline import accept

        stored = normalize_name(name)
        if self.store.entry(stored) is None:
            raise NotInRegister(f"{name} is not in the register")
        try:
            adopted, changes = accept(self.store, stored, _who(by))
        except NeverObserved as error:
            raise NothingToAccept(str(error)) from None
        return AcceptResult(stored, adopted, list(changes.resolved))

    def show(self, name: str) -> NameDetails:
        """Everything about ``name``: its register entry and history, where it was
        discovered, its latest DNS, web and link observations, the sites linking to it, its
        baselines and findings. ``name`` may be a discovered name the register lacks;
        :class:`UnknownName` when the database knows nothing of it."""
        store = self.store
        stored = normalize_name(name)
        entry = store.entry(stored)
        discovered = store.discovered().get(stored, [])
        found = [finding_record(row) for row in store.findings(status="all", name=stored)]
        if entry is None and not discovered and not found:
            raise UnknownName(f"{name} is neither in the register nor discovered")
        return NameDetails(
            name=stored, entry=entry, history=store.entry_history(stored),
            discovered=discovered, last_scan=store.last_scan(stored),
            dns=store.observations(stored, "dns", limit=10),
            web=store.observations(stored, "web", limit=10),
            links=store.observations(stored, "links", limit=1),
            linked_from=store.linked_from(stored), baselines=store.baselines(stored),
            findings=found)

    # -- reports and lookups ------------------------------------------------------------------

    def report(self, format: str = "html", output: str | os.PathLike[str] | None = None) -> str:
        """The audit report (``html``, ``md``, ``csv`` or ``json``) as text; also written to
        ``output`` when given (whole or not at all: through a ``.part`` file, removed when the
        write fails, which raises :class:`ReportNotWritten`)."""
        from domainwatch.report import REPORT_FORMATS, build_report, render

        _choice(format, REPORT_FORMATS, "format")
        text = render(build_report(self.store), format)
        if output is not None:
            target = Path(output)
            partial = target.with_name(target.name + ".part")
            try:
                partial.write_text(text, encoding="utf-8")
                os.replace(partial, target)
            except OSError as error:
                with contextlib.suppress(OSError):
                    partial.unlink(missing_ok=True)
                raise ReportNotWritten(
                    f"cannot write {target}: {error.strerror or error}") from None
        return text

    def whois(self, domains: Iterable[str], *, servers: Sequence[str] = (),
              timeout: float = 10.0) -> list[WhoisRecord]:
        """Ask the registries about each name's registrable domain (once per domain), at
        ``servers`` (``[TLD=]HOST[:PORT]``) or each registry's own. Only a registry's own "no
        such domain" answer is ``unregistered``; a rate limit, a timeout or an unknown text
        is ``rate_limited`` or ``error``. Does not touch the database. A bare string for
        ``domains`` is :class:`InvalidOption`; no domains, no records."""
        from domainwatch.probes.whois import WhoisClient

        if isinstance(domains, str | bytes):
            raise InvalidOption(f"domains must be a list of names, not a string "
                                f"(give [{domains!r}])", "domains")
        overrides = parse_whois_servers(servers)
        targets: list[str] = []
        for text in domains:
            name = normalize_name(text)
            domain = registrable_domain(name)
            if domain is None:
                raise NotRegistrable(
                    f"{display_name(name)} is a public suffix, not a registrable domain")
            if domain not in targets:
                targets.append(domain)

        async def ask() -> list[WhoisRecord]:
            client = WhoisClient(overrides or None, timeout=timeout)
            return list(await asyncio.gather(*(client.lookup(domain) for domain in targets)))

        return asyncio.run(ask())


def _acceptable(snapshot: SourceSnapshot, name: str) -> bool:
    """A zone's host names (not its infrastructure); a certificate log's live names."""
    detail = snapshot.names[name]
    if snapshot.kind == "ct":
        return recent_certificate([{"kind": "ct", "detail": detail}]) is not None
    return bool(HOST_TYPES & set(detail["types"])) and "role" not in detail


def default_user() -> str:
    """Who makes a change when no one is named: the login name (``unknown`` without one)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _who(by: str | None) -> str:
    return by if by is not None else default_user()
