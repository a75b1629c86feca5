"""Shared fixtures. `local_internet` is the demo world, started once per session.

The test tiers (markers registered in pyproject.toml): `world` for a test that starts real
servers (the local test internet, the WHOIS, SMTP or webhook test servers), `browser` for one
that runs Chromium, `slow` for one that takes more than a few seconds in-process. `make
test-fast` runs the tests with none of them, needing neither root nor a network namespace.
The guards below fail a test that starts a server without `world` or Chromium without
`browser`, so that no such test slips into the fast tier."""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Callable, Iterator
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
# must be marked `world`; checked at collection, before `-m` deselects anything.
WORLD_FIXTURES = frozenset({"local_internet"})
# Programs that are the local test internet or a browser, should a test start one itself.
WORLD_PROGRAMS = frozenset({"knotd", "unbound", "nginx"})
BROWSER_PROGRAMS = frozenset({"chromium", "chromium-browser", "chrome", "google-chrome"})

_running: pytest.Item | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    unmarked = [f"{item.nodeid} (uses {', '.join(sorted(WORLD_FIXTURES & set(fixtures)))})"
                for item in items
                if WORLD_FIXTURES & set(fixtures := getattr(item, "fixturenames", ()))
                and item.get_closest_marker("world") is None]
    if unmarked:
        raise pytest.UsageError(
            "these tests use a running server but are not marked `world` (add "
            "@pytest.mark.world, or pytestmark = pytest.mark.world for a whole module):\n  "
            + "\n  ".join(unmarked))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    global _running
    _running = item
    try:
        return (yield)
    finally:
        _running = None


def _require(marker: str, what: str) -> None:
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

    setattr(owner, method, guarded)


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
    _guard(LocalInternet, "start", "world", "the local test internet")
    _guard(WhoisServer, "start", "world", "a WHOIS test server")
    _guard(Blackhole, "start", "world", "a silent DNS test server")
    _guard(FaultyWebServer, "start", "world", "a faulty web test server")
    _guard(alert_servers.WebhookReceiver, "__enter__", "world", "a webhook test receiver")
    _guard(aiosmtpd.controller.Controller, "start", "world", "an SMTP test server")
    popen: Any = subprocess.Popen
    popen.__init__ = _program_guard(popen.__init__)
