"""Sharing the web stage out to worker processes: the shares, and a failing worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from domainwatch.probes.dns import ResolverConfig
from domainwatch.probes.web import WebSettings
from domainwatch.probes.web_processes import (
    PROCESSES_FROM,
    WorkerError,
    WorkerJob,
    probe_in_processes,
    share_out,
    web_processes,
)


def test_every_address_goes_to_one_process_and_the_shares_are_even() -> None:
    targets = [(f"s{i}.a.gov.cn", ["127.0.0.1"]) for i in range(6)]
    targets += [(f"s{i}.b.gov.cn", ["127.0.0.2", "127.0.0.9"]) for i in range(3)]
    targets += [(f"s{i}.c.gov.cn", ["127.0.0.3"]) for i in range(3)]
    targets += [("nothing.gov.cn", [])]
    shares = share_out(targets, 2)
    assert sorted(len(share) for share in shares) == [6, 7]
    for address in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
        assert sum(any(t[1][:1] == [address] for t in share) for share in shares) == 1
    assert sorted(t for share in shares for t in share) == sorted(targets)
    assert share_out(targets[:1], 4) == [targets[:1]], "no empty shares"


def test_how_many_processes() -> None:
    assert web_processes(3, 10) == 3, "as configured"
    assert web_processes(1, 10**6) == 1
    assert web_processes(0, PROCESSES_FROM - 1) == 1, "a small stage stays in process"
    assert web_processes(0, PROCESSES_FROM) >= 1


def test_a_failing_worker_fails_the_stage_with_its_error(tmp_path: Path) -> None:
    job = WorkerJob([("www.x.gov.cn", ["127.0.0.1"])], WebSettings(),
                    [tmp_path / "missing-ca.pem"], False,
                    ResolverConfig(resolvers=[("127.0.0.1", 53)]))

    async def run() -> list[object]:
        return [observation async for observation in probe_in_processes([job])]

    with pytest.raises(WorkerError, match=r"(?s)web worker 0 failed:.*missing-ca\.pem"):
        asyncio.run(run())
