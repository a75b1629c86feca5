"""Shared fixtures. `local_internet` is the demo world, started once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from domainwatch.probes.http import LOOPBACK_ONLY_VARIABLE
from domainwatch.testnet import DEMO_WORLD, LocalInternet, load_scenario

# The worlds hold documentation addresses (2001:db8::/32) besides loopback ones: no test, and
# no domainwatch the tests start, may connect to them.
os.environ[LOOPBACK_ONLY_VARIABLE] = "1"


@pytest.fixture(scope="session")
def local_internet() -> Iterator[LocalInternet]:
    with LocalInternet(load_scenario(DEMO_WORLD)) as net:
        yield net
