"""Start a scenario as real Knot DNS authoritative servers plus an Unbound resolver.

Everything listens on one random /24 inside 127.0.0.0/8:
.1 Unbound, .2 an extra blackhole, .3 nothing (dead address), .4 the WHOIS server (port
43, when the scenario has [whois]), .10 onwards one
address per server group (knotd or blackhole), all on port 53. The scenario's web
sites (``[[site]]``) are served by one nginx on their own addresses, ports 80 and 443,
with certificates from the world's own CA (``<workdir>/tls``); sites with a fault
``behaviour`` (hang, reset, huge) by small Python servers instead.

Size: the lifecycle of one local test internet: Knot, Unbound, nginx and the small fault
servers started, reloaded and stopped together.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode

from domainwatch.testnet.blackhole import Blackhole
from domainwatch.testnet.broken_axfr import BrokenAxfrServer
from domainwatch.testnet.ca import TLS_DIR, WorldCA
from domainwatch.testnet.faulty_web import FaultyWebServer
from domainwatch.testnet.scenario import (
    BROKEN_AXFR,
    ROOT,
    Scenario,
    Site,
    TsigKey,
    Zone,
    check_sites,
    fqdn,
    is_subdomain,
    parse_records,
)
from domainwatch.testnet.web import (
    NGINX_DIR,
    find_nginx,
    listen_pairs,
    listening,
    nginx_argv,
    nginx_sites,
    open_files_needed,
    write_nginx_files,
)
from domainwatch.testnet.whois_server import WhoisServer

DNS_PORT = 53
WHOIS_PORT = 43
INSTALL_HINT = "install them with `apt-get install knot unbound` (Debian packages knot, unbound)"
_FIRST_GROUP_HOST = 10
_WEB_SECOND_OCTET = 20
_STOP_GRACE = 3.0
_MAX_UNIX_SOCKET_PATH = 100
_UNBOUND_CONTROL_SOCKET = "unbound.ctl"
_KNOT_LOAD_FAILED = "zone event 'load' failed"
_TRANSFER_ACLS = {"allow": "transfer-open", "tsig": "transfer-tsig"}
_TRANSFER_FROM = "127.0.0.0/8"


class TestnetError(RuntimeError):
    """The local test internet could not be started."""

    __test__ = False


class MissingBinaryError(TestnetError):
    """knotd or unbound is not installed (or the override path is wrong)."""


def find_binary(env_var: str, name: str) -> str:
    """Path of a server binary; `env_var` overrides the default location."""
    override = os.environ.get(env_var)
    candidate = override or shutil.which(name) or f"/usr/sbin/{name}"
    if "/" not in candidate:
        candidate = shutil.which(candidate) or candidate
    if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        source = f" (from ${env_var})" if override else ""
        raise MissingBinaryError(
            f"{name} not found at {candidate}{source}: the local test internet needs real "
            f"Knot DNS and Unbound servers; {INSTALL_HINT}"
        )
    return candidate


class LocalInternet:
    """A running DNS hierarchy for one scenario; use as a context manager."""

    def __init__(self, scenario: Scenario, workdir: str | Path | None = None) -> None:
        self.scenario = scenario
        self._requested_workdir = Path(workdir) if workdir is not None else None
        self._workdir: Path | None = None
        self._prefix: str | None = None
        self._group_ips: dict[str, str] = {}
        self._processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._outputs: list[IO[bytes]] = []
        self._blackholes: list[Blackhole] = []
        self._extras: dict[str, list[str]] = {}
        self._serials: dict[str, int] = {}
        self._lock = threading.Lock()
        self.started_in: float | None = None
        self._whois_server: WhoisServer | None = None
        self._ca: WorldCA | None = None
        self._sites: list[Site] = list(scenario.sites)
        self._nginx: subprocess.Popen[bytes] | None = None
        self._faulty: list[FaultyWebServer] = []

    def __enter__(self) -> LocalInternet:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"resolver={self.resolver}" if self._prefix else "stopped"
        return f"<LocalInternet {state} zones={len(self.scenario.zones)}>"

    @property
    def running(self) -> bool:
        return self._prefix is not None

    @property
    def pids(self) -> list[int]:
        """Process ids of the running knotd and unbound servers (not the Python servers)."""
        return [process.pid for _, process in self._processes]

    @property
    def resolver_address(self) -> tuple[str, int]:
        return (self._ip(1), DNS_PORT)

    @property
    def resolver(self) -> str:
        return f"{self._ip(1)}:{DNS_PORT}"

    @property
    def blackhole(self) -> str:
        return f"{self._ip(2)}:{DNS_PORT}"

    @property
    def dead_address(self) -> str:
        return f"{self._ip(3)}:{DNS_PORT}"

    def received_by(self, ip: str) -> int:
        """How many queries (UDP datagrams and TCP connections) the silent server at ``ip``
        (the blackhole, a ``silent`` group's) has received."""
        for hole in self._blackholes:
            if hole.host == ip:
                return hole.received
        raise TestnetError(f"no silent server at {ip}")

    @property
    def whois(self) -> str:
        """``host:port`` of the world's WHOIS server (a ``--whois-server`` value)."""
        if self._whois_server is None:
            raise TestnetError("this scenario has no [whois] server")
        host, port = self._whois_server.address
        return f"{host}:{port}"

    @property
    def workdir(self) -> Path:
        if self._workdir is None:
            raise TestnetError("the local internet is not running")
        return self._workdir

    @property
    def ca_file(self) -> Path:
        """PEM file with the world's root CA only (the ``--ca-file`` of a scan)."""
        return self._world_ca.ca_file

    @property
    def other_ca_file(self) -> Path:
        """PEM file with the unrelated "other test CA" (issuer of swapped certificates)."""
        return self._world_ca.other_ca_file

    @property
    def certificate_authority(self) -> WorldCA:
        """The world's CAs (root, intermediate and other certificates; ``files()``)."""
        return self._world_ca

    @property
    def _world_ca(self) -> WorldCA:
        if self._ca is None:
            raise TestnetError("the local internet is not running")
        return self._ca

    @property
    def sites(self) -> list[Site]:
        """The web sites served now: the scenario's, or the last ``replace_sites``."""
        return list(self._sites)

    @property
    def nginx_pid(self) -> int | None:
        """Process id of the nginx master, while the world serves sites with nginx."""
        return self._nginx.pid if self._nginx is not None else None

    def replace_sites(self, sites: Iterable[Site]) -> None:
        """Serve ``sites`` instead of the current ones: rewrite nginx's configuration (and
        certificates), reload nginx and return once only the new configuration answers
        (its old workers are gone); fault servers are restarted. The scenario object is
        not changed. Raises ScenarioError for invalid sites (nothing changes then)."""
        wanted = list(sites)
        check_sites(wanted)
        nginx = find_nginx() if nginx_sites(wanted) and self._nginx is None else None
        with self._lock:
            if self._prefix is None:
                raise TestnetError("the local internet is not running")
            self._stop_faulty()
            self._sites = wanted
            if nginx is not None:
                self._start_web(nginx)
            elif nginx_sites(wanted):
                self._reload_web()
            elif self._nginx is not None:
                self._stop_web()
            self._start_faulty()

    def replace_records(self, origin: str, records: str) -> None:
        """Serve ``records`` (zone-file text, as a scenario's ``records``) in the zone
        ``origin`` from now on, as a registry or a DNS host changing a zone between two
        scans: the zone file is written again with a higher serial, its knotd reloads it
        (and has, when this returns), and Unbound's caches are emptied. The scenario object
        is not changed. Raises ScenarioError for bad records (nothing changes then)."""
        zone = self.scenario.zone(origin)
        lines = parse_records(zone.origin, records, zone.ttl)
        knotc = shutil.which("knotc") or "/usr/sbin/knotc"
        with self._lock:
            if self._prefix is None:
                raise TestnetError("the local internet is not running")
            index = self.scenario.zones.index(zone)
            self._serials[zone.origin] = self._serials.get(zone.origin, 1) + 1
            replaced = dataclasses.replace(zone, records=lines)
            _write_zone_file(self.workdir / "zones" / _zone_file_name(index, zone.origin),
                             replaced, self._extras.get(zone.origin, []),
                             self._serials[zone.origin])
            socket_path = self.workdir / f"knot-{zone.server}" / "knot.sock"
            result = subprocess.run([knotc, "-s", str(socket_path), "-b", "zone-reload",
                                     zone.fqdn], capture_output=True, text=True, timeout=30)
            if result.returncode != 0:
                raise TestnetError(f"knotc zone-reload {zone.fqdn} failed: "
                                   f"{(result.stdout + result.stderr).strip()}")
        self.flush_resolver_cache()

    @property
    def whois_answers(self) -> dict[str, dict[str, Any]]:
        """The world's WHOIS server's answers by domain (change them between scans)."""
        if self._whois_server is None:
            raise TestnetError("the local internet is not running")
        return self._whois_server.answers

    def server_address(self, server_name: str) -> str:
        if self._prefix is None:
            raise TestnetError("the local internet is not running")
        try:
            return self._group_ips[server_name]
        except KeyError:
            raise KeyError(f"no server group named {server_name!r}") from None

    def flush_resolver_cache(self) -> None:
        """Empty Unbound's answer, delegation and server caches: the next lookups are cold.

        Also makes a silent server cost its full timeout again.
        """
        socket_path = self.workdir / _UNBOUND_CONTROL_SOCKET
        control = shutil.which("unbound-control") or "/usr/sbin/unbound-control"
        if not socket_path.exists() or not os.access(control, os.X_OK):
            raise TestnetError(f"cannot flush: unbound-control or {socket_path} is missing")
        conf = str(self.workdir / "unbound.conf")
        for command in (["flush_zone", "."], ["flush_infra", "all"], ["flush_requestlist"]):
            result = subprocess.run(
                [control, "-c", conf, *command], capture_output=True, text=True, timeout=10
            )
            if result.returncode != 0:
                raise TestnetError(f"unbound-control {command[0]} failed: {result.stderr.strip()}")

    def _ip(self, host: int) -> str:
        if self._prefix is None:
            raise TestnetError("the local internet is not running")
        return f"{self._prefix}.{host}"

    def start(self) -> None:
        with self._lock:
            if self._prefix is not None:
                raise TestnetError("the local internet is already running")
            began = time.monotonic()
            knotd = find_binary("DOMAINWATCH_KNOTD", "knotd")
            unbound = find_binary("DOMAINWATCH_UNBOUND", "unbound")
            self._sites = list(self.scenario.sites)
            check_sites(self._sites)
            nginx = find_nginx() if nginx_sites(self._sites) else None
            _LIVE.add(self)
            try:
                self._start(knotd, unbound, nginx)
            except BaseException:
                self._stop()
                raise
            self.started_in = time.monotonic() - began

    def stop(self) -> None:
        with self._lock:
            self._stop()

    def _start(self, knotd: str, unbound: str, nginx: str | None = None) -> None:
        groups = list(self.scenario.servers.values())
        if len(groups) > 255 - _FIRST_GROUP_HOST:
            raise TestnetError(f"too many server groups ({len(groups)}) for one /24")
        self._prefix = _choose_prefix(_FIRST_GROUP_HOST + len(groups))
        self._group_ips = {
            group.name: f"{self._prefix}.{_FIRST_GROUP_HOST + index}"
            for index, group in enumerate(groups)
        }
        self._workdir = self._make_workdir()
        self._extras = _generated_records(self.scenario, self._group_ips)
        knot_confs = self._write_knot_files()
        self._write_unbound_files(unbound)

        for group in groups:
            if group.behaviour == "silent":
                self._start_blackhole(self._group_ips[group.name])
            elif group.behaviour == BROKEN_AXFR:
                self._start_broken_axfr(group.name)
        self._start_blackhole(self._ip(2))
        if self.scenario.whois is not None:
            self._whois_server = WhoisServer(self.scenario.whois.answers, host=self._ip(4),
                                             port=WHOIS_PORT,
                                             default=self.scenario.whois.default).start()
        for group_name, conf in knot_confs.items():
            self._spawn(f"knotd[{group_name}]", [knotd, "-c", str(conf)], conf.parent / "out")
        self._wait_for_knot()
        conf = self.workdir / "unbound.conf"
        self._spawn("unbound", [unbound, "-d", "-c", str(conf)], self.workdir / "out")
        self._wait_for_resolver()
        self._ca = WorldCA(self.workdir / TLS_DIR)
        if nginx is not None:
            self._start_web(nginx)
        self._start_faulty()

    def _start_web(self, nginx: str) -> None:
        """nginx for the current sites; returns once it listens on every address and port."""
        directory = self.workdir / NGINX_DIR
        argv = self._nginx_limits() + nginx_argv(nginx, directory)
        write_nginx_files(self._sites, directory, self._world_ca.files)
        pid_file = directory / "nginx.pid"
        pid_file.unlink(missing_ok=True)
        self._spawn("nginx", argv, directory / "out")
        self._nginx = self._processes[-1][1]
        deadline = time.monotonic() + 10 + len(self._sites) / 500
        # nginx writes its pid file once its listening sockets are open; its workers
        # must exist too, or a reload right away could take them for the new ones.
        while not (pid_file.exists() and _children(self._nginx.pid)):
            self._check_alive()
            if time.monotonic() > deadline:
                raise TestnetError(f"nginx did not start in time; log:\n"
                                   f"{self._log_tail(directory)}")
            time.sleep(0.02)
        self._wait_for_web(deadline)

    def _nginx_limits(self) -> list[str]:
        """A ``prlimit`` prefix raising nginx's open-file limit when it needs more."""
        needed = open_files_needed(self._sites)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and needed > hard:
            raise TestnetError(
                f"nginx would need {needed} open files for {len(listen_pairs(self._sites))} "
                f"listening addresses and ports, over this machine's limit of {hard}: "
                "put more sites on each address"
            )
        if needed <= soft:
            return []
        prlimit = shutil.which("prlimit")
        if prlimit is None:
            raise TestnetError("prlimit not found: install it with `apt-get install "
                               "util-linux` (Debian package util-linux)")
        limit = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
        return [prlimit, f"--nofile={limit}:{limit}", "--"]

    def _wait_for_web(self, deadline: float) -> None:
        pending = listen_pairs(self._sites)
        directory = self.workdir / NGINX_DIR
        while pending:
            self._check_alive()
            pending = [(address, port) for address, port in pending
                       if not listening(address, port)]
            if not pending:
                return
            if time.monotonic() > deadline:
                missing = ", ".join(f"{address}:{port}" for address, port in pending[:10])
                raise TestnetError(
                    f"nginx did not listen on {missing} in time; "
                    f"log:\n{self._log_tail(directory)}"
                )
            time.sleep(0.02)

    def _reload_web(self) -> None:
        """New configuration, SIGHUP, and wait until nginx's old workers are all gone."""
        assert self._nginx is not None
        directory = self.workdir / NGINX_DIR
        self._nginx_limits()  # the same open-file check as at start
        write_nginx_files(self._sites, directory, self._world_ca.files)
        master = self._nginx.pid
        old_workers = _children(master)
        log = directory / "out"
        offset = log.stat().st_size
        os.kill(master, signal.SIGHUP)
        deadline = time.monotonic() + 10 + len(self._sites) / 500
        while True:
            self._check_alive()
            with log.open("rb") as handle:
                handle.seek(offset)
                news = handle.read().decode("utf-8", errors="replace")
            if "[emerg]" in news:
                errors = [line for line in news.splitlines() if "[emerg]" in line]
                raise TestnetError(f"nginx rejected the new configuration: {errors[-1]}")
            workers = _children(master)
            if workers and not workers & old_workers:
                break
            if time.monotonic() > deadline:
                raise TestnetError(f"nginx did not reload in time; log:\n"
                                   f"{self._log_tail(directory)}")
            time.sleep(0.01)
        self._wait_for_web(deadline)

    def _stop_web(self) -> None:
        process, self._nginx = self._nginx, None
        if process is None:
            return
        self._processes = [entry for entry in self._processes if entry[1] is not process]
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=_STOP_GRACE)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()

    def _start_faulty(self) -> None:
        for site in self._sites:
            if not site.faulty:
                continue
            files = None
            if site.behaviour == "huge" and site.https:
                issued = self._world_ca.files(site.names, site.certificate)
                files = (issued.chain, issued.key)
            try:
                server = FaultyWebServer(site, files).start()
            except OSError as exc:
                raise TestnetError(
                    f"cannot serve site {site.names[0]} ({site.behaviour}) on "
                    f"{site.address}: {exc}"
                ) from exc
            self._faulty.append(server)

    def _stop_faulty(self) -> None:
        servers, self._faulty = self._faulty, []
        for server in servers:
            server.stop()

    def _make_workdir(self) -> Path:
        if self._requested_workdir is None:
            return Path(tempfile.mkdtemp(prefix="dw-net-"))
        self._requested_workdir.mkdir(parents=True, exist_ok=True)
        return self._requested_workdir.resolve()

    def _start_blackhole(self, ip: str) -> None:
        hole = Blackhole(ip, DNS_PORT)
        hole.start()
        self._blackholes.append(hole)

    def _start_broken_axfr(self, group_name: str) -> None:
        zones = {
            zone.fqdn: "\n".join(_zone_lines(zone, self._extras.get(zone.origin, []))) + "\n"
            for zone in self.scenario.zones_of(group_name)
        }
        server = BrokenAxfrServer(self._group_ips[group_name], zones, DNS_PORT)
        server.start()
        self._blackholes.append(server)

    def _spawn(self, label: str, argv: list[str], output: Path) -> None:
        setpriv = shutil.which("setpriv")
        # Children die with us even on SIGKILL, but only when started from the
        # main thread: PDEATHSIG fires when the spawning *thread* exits.
        if setpriv and threading.current_thread() is threading.main_thread():
            argv = [setpriv, "--pdeathsig", "TERM", "--", *argv]
        handle = output.open("ab")
        self._outputs.append(handle)
        process = subprocess.Popen(
            argv,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._processes.append((label, process))

    def _stop(self) -> None:
        processes, self._processes = self._processes, []
        for _, process in processes:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + _STOP_GRACE
        for _, process in processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        self._nginx = None
        self._stop_faulty()
        for hole in self._blackholes:
            hole.stop()
        self._blackholes = []
        self._ca = None
        if self._whois_server is not None:
            self._whois_server.stop()
            self._whois_server = None
        for handle in self._outputs:
            handle.close()
        self._outputs = []
        if self._workdir is not None and self._requested_workdir is None:
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._workdir = None
        self._prefix = None
        self._group_ips = {}
        self._extras = {}
        _LIVE.discard(self)

    def _write_knot_files(self) -> dict[str, Path]:
        zone_dir = self.workdir / "zones"
        zone_dir.mkdir(exist_ok=True)
        extras = self._extras
        files: dict[str, str] = {}
        for index, zone in enumerate(self.scenario.zones):
            group = self.scenario.servers[zone.server]
            if group.behaviour != "normal" or not zone.serve:
                continue
            files[zone.origin] = _zone_file_name(index, zone.origin)
            _write_zone_file(zone_dir / files[zone.origin], zone, extras.get(zone.origin, []))
        confs: dict[str, Path] = {}
        for group in self.scenario.servers.values():
            if not group.runs_knot:
                continue
            group_dir = self.workdir / f"knot-{group.name}"
            (group_dir / "db").mkdir(parents=True, exist_ok=True)
            zones = [
                (zone.origin, files[zone.origin], zone.transfer)
                for zone in self.scenario.zones_of(group.name)
                if zone.origin in files
            ]
            ip = self._group_ips[group.name]
            conf = group_dir / "knot.conf"
            conf.write_text(
                _knot_conf(ip, group_dir, zone_dir, zones, self.scenario.tsig),
                encoding="utf-8",
            )
            confs[group.name] = conf
        return confs

    def _write_unbound_files(self, unbound: str) -> None:
        root = self.scenario.zone(ROOT)
        root_ip = self._group_ips[root.server]
        hints = [f". 3600000 IN NS {host}." for host in root.ns]
        hints += [f"{host}. 3600000 IN A {root_ip}" for host in root.ns]
        (self.workdir / "root.hints").write_text("\n".join(hints) + "\n", encoding="utf-8")
        (self.workdir / "unbound.conf").write_text(
            _unbound_conf(self._ip(1), self.workdir, _has_dnsbomb_limits(unbound)),
            encoding="utf-8",
        )

    def _wait_for_knot(self) -> None:
        pending: list[tuple[str, str, str]] = []
        for group in self.scenario.servers.values():
            if not group.runs_knot:
                continue
            ip = self._group_ips[group.name]
            served = [zone.origin for zone in self.scenario.zones_of(group.name) if zone.serve]
            if group.behaviour == "refuse" or not served:
                pending.append((group.name, ip, ""))
            else:
                pending += [(group.name, ip, origin) for origin in served]
        deadline = time.monotonic() + 10 + self.scenario.record_count / 10_000
        next_log_check = 0.0
        while pending:
            self._check_alive()
            group_name, ip, origin = pending[0]
            response = _query(ip, fqdn(origin or ROOT), rd=False)
            ready = response is not None and (
                not origin or (response.rcode() == dns.rcode.NOERROR and bool(response.answer))
            )
            if ready:
                pending.pop(0)
                continue
            group_dir = self.workdir / f"knot-{group_name}"
            now = time.monotonic()
            if now > next_log_check:
                next_log_check = now + 0.25
                if _KNOT_LOAD_FAILED in _read(group_dir / "knotd.log"):
                    raise TestnetError(
                        f"knotd[{group_name}] on {ip} could not load a zone; "
                        f"log:\n{self._log_tail(group_dir)}"
                    )
            if now > deadline:
                what = f"zone {origin}" if origin else "an answer"
                raise TestnetError(
                    f"knotd[{group_name}] on {ip} did not serve {what} in time; "
                    f"log:\n{self._log_tail(group_dir)}"
                )
            time.sleep(0.01)

    def _wait_for_resolver(self) -> None:
        deadline = time.monotonic() + 15
        while True:
            self._check_alive()
            response = _query(self._ip(1), ".", rd=True, timeout=0.5)
            if response is not None and response.rcode() == dns.rcode.NOERROR:
                return
            if time.monotonic() > deadline:
                raise TestnetError(
                    f"unbound on {self.resolver} did not resolve the root SOA in time; "
                    f"log:\n{self._log_tail(self.workdir)}"
                )
            time.sleep(0.02)

    def _check_alive(self) -> None:
        for label, process in self._processes:
            if process.poll() is not None:
                where = self.workdir
                if label.startswith("knotd["):
                    where = self.workdir / f"knot-{label[6:-1]}"
                elif label == "nginx":
                    where = self.workdir / NGINX_DIR
                raise TestnetError(
                    f"{label} exited with status {process.returncode}; "
                    f"log:\n{self._log_tail(where)}"
                )

    @staticmethod
    def _log_tail(directory: Path, lines: int = 20) -> str:
        """Error lines of the logs in `directory` if there are any, else their last lines."""
        chunks: list[str] = []
        for name in ("out", "knotd.log", "unbound.log"):
            text = _read(directory / name).splitlines()
            errors = [line for line in text if "error" in line]
            chunks += [f"[{name}] {line}" for line in (errors or text)[-lines:]]
        return "\n".join(chunks) or "(no log output)"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _generated_records(scenario: Scenario, group_ips: dict[str, str]) -> dict[str, list[str]]:
    """Delegations, glue and NS host addresses, keyed by the zone that holds them.

    Only NS hosts inside the zone they serve get addresses (the group's IP), unless the
    scenario's records already give them one; any other NS host resolves only as far as
    the scenario's own records say, so dangling and lame NS names can be planted.
    Zones of broken-axfr groups are not delegated: the resolver never sees them.
    """
    origins = {zone.origin for zone in scenario.zones}
    by_origin = {zone.origin: zone for zone in scenario.zones}
    extras: dict[str, dict[str, None]] = defaultdict(dict)
    defined: dict[str, set[str]] = {}
    for zone in scenario.zones:
        address = group_ips[zone.server]
        in_domain = [host for host in zone.ns if is_subdomain(host, zone.origin)]
        delegated = scenario.servers[zone.server].behaviour != BROKEN_AXFR
        if zone.parent is not None and delegated:
            parent_lines = extras[zone.parent]
            for host in zone.ns:
                parent_lines[f"{zone.fqdn} {zone.ttl} IN NS {host}."] = None
            for host in in_domain:
                parent_lines[f"{host}. {zone.ttl} IN A {address}"] = None
        for host in in_domain:
            holder = _deepest_zone(host, origins) or zone.origin
            if holder not in defined:
                defined[holder] = _address_owners(by_origin[holder])
            if f"{host}." not in defined[holder]:
                extras[holder][f"{host}. {zone.ttl} IN A {address}"] = None
    return {origin: list(lines) for origin, lines in extras.items()}


def _deepest_zone(name: str, origins: set[str]) -> str | None:
    labels = name.split(".")
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        if candidate in origins:
            return candidate
    return ROOT if ROOT in origins else None


def _address_owners(zone: Zone) -> set[str]:
    owners: set[str] = set()
    for line in zone.records:
        parts = line.split(" ", 4)
        if len(parts) > 3 and parts[3] in ("A", "AAAA"):
            owners.add(parts[0])
    return owners


def _zone_file_name(index: int, origin: str) -> str:
    return f"{index:04d}-{re.sub(r'[^a-z0-9._-]', '_', origin.strip('.')) or 'root'}.zone"


def _zone_lines(zone: Zone, extra: list[str], serial: int = 1) -> list[str]:
    """The whole zone as zone-file lines: SOA, apex NS, the scenario's records, `extra`."""
    apex = zone.fqdn
    rname = "hostmaster." if zone.origin == ROOT else f"hostmaster.{apex}"
    return [
        f"{apex} {zone.ttl} IN SOA {zone.ns[0]}. {rname} {serial} 3600 600 86400 60",
        *(f"{apex} {zone.ttl} IN NS {host}." for host in zone.ns),
        *zone.records,
        *extra,
    ]


def _write_zone_file(path: Path, zone: Zone, extra: list[str], serial: int = 1) -> None:
    with path.open("w", encoding="ascii") as handle:
        handle.write("\n".join(_zone_lines(zone, extra, serial)))
        handle.write("\n")


def _knot_conf(
    ip: str,
    group_dir: Path,
    zone_dir: Path,
    zones: list[tuple[str, str, str | None]],
    tsig: TsigKey | None,
) -> str:
    """knotd configuration; `zones` are (origin, file name, transfer mode) triples."""
    lines = [
        "server:",
        f'    rundir: "{group_dir}"',
        f'    listen: "{ip}@{DNS_PORT}"',
        "log:",
        f'  - target: "{group_dir}/knotd.log"',
        "    any: info",
        "database:",
        f'    storage: "{group_dir}/db"',
        "    journal-db-max-size: 64M",
        "    kasp-db-max-size: 16M",
        "    timer-db-max-size: 16M",
        "    catalog-db-max-size: 16M",
        "template:",
        "  - id: default",
        f'    storage: "{zone_dir}"',
        "    semantic-checks: off",
        "    zonefile-sync: -1",
        "    zonefile-load: whole",
        "    journal-content: none",
    ]
    control = group_dir / "knot.sock"
    if len(str(control)) < _MAX_UNIX_SOCKET_PATH:
        lines += ["control:", f'    listen: "{control}"']
    modes = {mode for _, _, mode in zones if mode is not None}
    if "tsig" in modes and tsig is not None:
        lines += [
            "key:",
            f'  - id: "{fqdn(tsig.name)}"',
            f"    algorithm: {tsig.algorithm}",
            f'    secret: "{tsig.secret}"',
        ]
    if modes:
        lines.append("acl:")
        for mode in sorted(modes):
            lines += [
                f"  - id: {_TRANSFER_ACLS[mode]}",
                f'    address: "{_TRANSFER_FROM}"',
                "    action: transfer",
            ]
            if mode == "tsig" and tsig is not None:
                lines.append(f'    key: "{fqdn(tsig.name)}"')
    if zones:
        lines.append("zone:")
        for origin, filename, mode in zones:
            lines += [f'  - domain: "{fqdn(origin)}"', f'    file: "{filename}"']
            if mode is not None:
                lines.append(f"    acl: {_TRANSFER_ACLS[mode]}")
    return "\n".join(lines) + "\n"


def _unbound_conf(ip: str, workdir: Path, dnsbomb_limits: bool) -> str:
    # Debian's security patch for CVE-2024-33655 drops replies older than
    # discard-timeout (1.9 s): a SERVFAIL for a silent server would never arrive.
    # wait-limit would throttle a scanner's many concurrent queries from one address.
    # infra-host-ttl 1: a silent server is retried ~5 s after it timed out instead of
    # failing instantly for 15 minutes.
    limits = "    discard-timeout: 0\n    wait-limit: 0\n" if dnsbomb_limits else ""
    control = ""
    if len(str(workdir / _UNBOUND_CONTROL_SOCKET)) < _MAX_UNIX_SOCKET_PATH:
        control = (
            "remote-control:\n    control-enable: yes\n"
            f'    control-interface: "{workdir / _UNBOUND_CONTROL_SOCKET}"\n'
            "    control-use-cert: no\n"
        )
    return f"""server:
    interface: {ip}
    port: {DNS_PORT}
    outgoing-interface: {ip}
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    do-ip6: no
    root-hints: "root.hints"
    module-config: "iterator"
    username: ""
    chroot: ""
    directory: "{workdir}"
    pidfile: "{workdir}/unbound.pid"
    use-syslog: no
    logfile: "{workdir}/unbound.log"
    verbosity: 1
    log-servfail: yes
    qname-minimisation: no
    harden-referral-path: no
    target-fetch-policy: "0 0 0 0 0"
    num-threads: 1
    so-reuseport: yes
    so-rcvbuf: 8m
    so-sndbuf: 8m
    outgoing-range: 8192
    num-queries-per-thread: 4096
    incoming-num-tcp: 256
    outgoing-num-tcp: 64
    msg-cache-size: 256m
    rrset-cache-size: 512m
    ratelimit: 0
    ip-ratelimit: 0
    infra-cache-max-rtt: 1000
    infra-host-ttl: 1
    jostle-timeout: 200
    prefetch: no
    serve-expired: no
    cache-max-negative-ttl: 60
    unwanted-reply-threshold: 0
{limits}{control}"""


@functools.cache
def _has_dnsbomb_limits(unbound: str) -> bool:
    """Whether this unbound build knows discard-timeout/wait-limit (1.20+ or patched)."""
    try:
        return b"discard-timeout" in Path(unbound).read_bytes()
    except OSError:
        return False


def _query(ip: str, name: str, *, rd: bool, timeout: float = 0.2) -> dns.message.Message | None:
    query = dns.message.make_query(name, "SOA")
    if not rd:
        query.flags &= ~dns.flags.RD
    # A connected socket reports "port unreachable" at once while a server is starting.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect((ip, DNS_PORT))
            return dns.query.udp(query, ip, port=DNS_PORT, timeout=timeout, sock=sock)
        except (dns.exception.DNSException, OSError):
            return None


def _choose_prefix(hosts: int, attempts: int = 64) -> str:
    """A random 127.a.b/24 whose first `hosts` addresses can all bind port 53."""
    rng = random.SystemRandom()
    for _ in range(attempts):
        second = rng.randint(1, 254)
        if second == _WEB_SECOND_OCTET:
            continue
        prefix = f"127.{second}.{rng.randint(0, 255)}"
        if all(_can_bind(f"{prefix}.{host}") for host in range(1, hosts + 1)):
            return prefix
    raise TestnetError("could not find a free /24 in 127.0.0.0/8 with port 53 available")


def _can_bind(ip: str) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((ip, DNS_PORT))
            except OSError:
                return False
    return True


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (nginx's workers, for its master)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and fields[1] == str(pid) and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


_LIVE: set[LocalInternet] = set()


@atexit.register
def _stop_all() -> None:
    for net in list(_LIVE):
        net.stop()
