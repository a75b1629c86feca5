"""Shared fixtures. `local_internet` is the demo world, started once per session.

The test tiers (markers registered in pyproject.toml): `world` for a test that starts real
servers (the local test internet, the WHOIS, SMTP or webhook test servers), `browser` for one
that runs Chromium, `slow` for one that takes more than a few seconds in-process. `make
test-fast` runs the tests with none of them, needing neither root nor a network namespace.
The guards below fail a test that starts a server without `world` or Chromium without
`browser`, so that no such test slips into the fast tier."""

from __future__ import annotations

import functools
import inspect
import os
import subprocess
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiosmtpd.controller
import alert_servers
import pytest

from domainwatch.probes.http import LOOPBACK_ONLY_VARIABLE
from domainwatch.testnet import DEMO_WORLD, LocalInternet, load_scenario
from domainwatch.testnet.blackhole import Blackhole
from domainwatch.testnet.faulty_web import FaultyWebServer
from domainwatch.testnet.whois_server import WhoisServer

# The worlds hold documentation addresses (2001:db8::/32) besides loopback ones: no test, and
# no domainwatch the tests start, may connect to them.
os.environ[LOOPBACK_ONLY_VARIABLE] = "1"


@pytest.fixture(scope="session")
def local_internet() -> Iterator[LocalInternet]:
    with LocalInternet(load_scenario(DEMO_WORLD)) as net:
        yield net


# -- test tiers: a test that starts a server or a browser must be marked so ------------------

# Fixtures that are a running server: a test using one (directly or through another fixture)
# must be marked `world`; checked at collection, before `-m` deselects anything. Besides these,
# every fixture whose code (or a function or class of the tests or of domainwatch.testnet it
# uses, transitively) names a server class below or a server program is one (found by
# _starts_a_server); and a fixture seen starting a server at run time is one too (the guards
# record it), should the reading of its code miss it.
WORLD_FIXTURES = frozenset({"local_internet"})
# Programs that are the local test internet or a browser, should a test start one itself.
WORLD_PROGRAMS = frozenset({"knotd", "unbound", "nginx"})
BROWSER_PROGRAMS = frozenset({"chromium", "chromium-browser", "chrome", "google-chrome"})
# The test servers and how each is started (each start is guarded in pytest_configure).
SERVERS: tuple[tuple[type, str, str], ...] = (
    (LocalInternet, "start", "the local test internet"),
    (WhoisServer, "start", "a WHOIS test server"),
    (Blackhole, "start", "a silent DNS test server"),
    (FaultyWebServer, "start", "a faulty web test server"),
    (alert_servers.WebhookReceiver, "__enter__", "a webhook test receiver"),
    (aiosmtpd.controller.Controller, "start", "an SMTP test server"),
)
SERVER_CLASSES = tuple(cls for cls, _, _ in SERVERS)
# Code read for server starts: the tests' own and the test internet's.
_READ_CODE_UNDER = (str(Path(__file__).parent), os.path.dirname(inspect.getfile(load_scenario)))

_running: pytest.Item | None = None
_setting_up: list[Any] = []  # the FixtureDefs being set up, innermost last
_seen_starting: set[Any] = set()  # FixtureDefs seen starting a server
_restore: list[Callable[[], None]] = []


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _code_objects(constant)


def _functions_of(value: object) -> list[Callable[..., Any]]:
    """The plain functions of a function or class of the tests or the test internet."""
    if isinstance(value, type):
        found = []
        for attribute in vars(value).values():
            attribute = getattr(attribute, "__func__", attribute)
            if isinstance(attribute, property):
                attribute = attribute.fget
            if isinstance(attribute, types.FunctionType):
                found.append(attribute)
        return found
    return [value] if isinstance(value, types.FunctionType) else []


def _ours(value: object) -> bool:
    function = value if isinstance(value, types.FunctionType) else None
    try:
        filename = function.__code__.co_filename if function else inspect.getfile(value)  # type: ignore[arg-type]
    except (TypeError, OSError):
        return False
    return filename.startswith(_READ_CODE_UNDER)


def _starts_a_server(function: Callable[..., Any], seen: set[int] | None = None) -> bool:
    """Whether ``function`` names a server class or program, itself or through the functions
    and classes of the tests and of domainwatch.testnet that it names (transitively)."""
    seen = set() if seen is None else seen
    if id(function) in seen or not isinstance(function, types.FunctionType):
        return False
    seen.add(id(function))
    namespace = function.__globals__
    for code in _code_objects(function.__code__):
        if WORLD_PROGRAMS & {c for c in code.co_consts if isinstance(c, str)}:
            return True
        modules = [v for v in map(namespace.get, code.co_names) if isinstance(v, types.ModuleType)]
        for name in code.co_names:
            values = [namespace[name]] if name in namespace else []
            values += [getattr(m, name) for m in modules if hasattr(m, name)]
            for value in values:
                if isinstance(value, type) and issubclass(value, SERVER_CLASSES):
                    return True
                if _ours(value) and any(_starts_a_server(f, seen) for f in _functions_of(value)):
                    return True
    return False


def _server_fixtures(item: pytest.Item) -> list[str]:
    """The fixtures of ``item``'s closure that are a running server."""
    info = getattr(item, "_fixtureinfo", None)
    found = []
    for name in getattr(item, "fixturenames", ()):
        definitions = info.name2fixturedefs.get(name, ()) if info is not None else ()
        if name in WORLD_FIXTURES or any(
                definition in _seen_starting or _server_fixture(definition.func)
                for definition in definitions):
            found.append(name)
    return found


@functools.cache
def _server_fixture(function: Callable[..., Any]) -> bool:
    return _starts_a_server(inspect.unwrap(function))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    unmarked = [f"{item.nodeid} (uses {', '.join(sorted(servers))})"
                for item in items
                if item.get_closest_marker("world") is None
                and (servers := _server_fixtures(item))]
    if unmarked:
        raise pytest.UsageError(
            "these tests use a running server but are not marked `world` (add "
            "@pytest.mark.world, or pytestmark = pytest.mark.world for a whole module):\n  "
            + "\n  ".join(unmarked))


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any) -> Iterator[Any]:
    _setting_up.append(fixturedef)
    try:
        return (yield)
    finally:
        _setting_up.pop()


def pytest_runtest_call(item: pytest.Item) -> None:
    # A server fixture the reading of code missed, set up by a marked test and reused here.
    if item.get_closest_marker("world") is None and (servers := _server_fixtures(item)):
        pytest.fail(f"{item.nodeid} uses a running server ({', '.join(servers)}) but is not "
                    "marked `world`: add @pytest.mark.world", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    global _running
    _running = item
    try:
        return (yield)
    finally:
        _running = None


def _require(marker: str, what: str) -> None:
    if marker == "world":
        _seen_starting.update(_setting_up)
    item = _running
    if item is not None and item.get_closest_marker(marker) is None:
        pytest.fail(f"{item.nodeid} starts {what} but is not marked `{marker}`: add "
                    f"@pytest.mark.{marker} to the test (or pytestmark = pytest.mark.{marker} "
                    f"to its module); `make test-fast` runs no `{marker}` test",
                    pytrace=False)


def _guard(owner: type, method: str, marker: str, what: str) -> None:
    original: Callable[..., Any] = getattr(owner, method)

    @functools.wraps(original)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _require(marker, what)
        return original(*args, **kwargs)

    own = owner.__dict__.get(method)
    setattr(owner, method, guarded)
    _restore.append(lambda: setattr(owner, method, own) if own is not None
                    else delattr(owner, method))


def _domainwatch_command(words: list[str]) -> str | None:
    """The subcommand of a ``domainwatch`` (or ``python -m domainwatch``) command line."""
    for index, word in enumerate(words):
        if os.path.basename(word) == "domainwatch":
            rest = iter(words[index + 1:])
            for argument in rest:
                if argument in ("--db", "--config"):
                    next(rest, None)
                elif not argument.startswith("-"):
                    return argument
    return None


def _program_guard(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def init(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        if not isinstance(args, str | bytes | os.PathLike):
            args = list(args)
        argv = args if isinstance(args, list) else [args]
        words = [os.fsdecode(a) for a in argv if isinstance(a, str | bytes | os.PathLike)]
        program = os.path.basename(words[0].split(" ")[0]) if words else ""
        if program in BROWSER_PROGRAMS:
            _require("browser", f"a browser ({program})")
        if program in WORLD_PROGRAMS:
            _require("world", f"a server of the local test internet ({program})")
        if _domainwatch_command(words) == "demo":
            _require("world", "the local test internet (domainwatch demo)")
        original(self, args, *rest, **kwargs)

    return init


def pytest_configure(config: pytest.Config) -> None:
    for owner, method, what in SERVERS:
        _guard(owner, method, "world", what)
    popen: Any = subprocess.Popen
    original = popen.__init__
    popen.__init__ = _program_guard(original)
    _restore.append(lambda: setattr(popen, "__init__", original))


def pytest_unconfigure(config: pytest.Config) -> None:
    while _restore:
        _restore.pop()()
