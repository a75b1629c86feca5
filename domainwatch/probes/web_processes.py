"""The web probe spread over worker processes, one per CPU.

One scanning process spends about 5 ms of CPU per site (TLS, four request/response cycles,
reading the page); on a machine with more than one core, the web stage hands its sites to
worker processes instead. Each runs its own event loop, resolver client and
:class:`~domainwatch.probes.web.WebProbe` over its share of the sites, and sends the
observations back (pickled, in batches) as they complete; the scanning process judges and
records them as if it had made them itself. The sites are shared out by address, so that
every address (a shared hosting server) is asked by one process only and ``per_address``
still holds. A worker that fails ends the stage with its error; a stage that is left
(interrupted, failed) ends its workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import multiprocessing
import os
import pickle
import time
import traceback
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from domainwatch.probes.dns import DNSProbe, HostLookups, ResolverConfig
from domainwatch.probes.tls import TrustStore
from domainwatch.probes.web import WebObservation, WebProbe, WebSettings

#: Fewer sites than this are probed in the scanning process itself (a worker takes about
#: half a second to start).
PROCESSES_FROM = 400
BATCH = 50
BATCH_SECONDS = 0.2
# A message from a worker: one byte saying what it is, then its content.
OBSERVATIONS, DONE, FAILED = b"o", b"d", b"e"


class WorkerError(RuntimeError):
    """A web worker process failed."""


@dataclasses.dataclass
class WorkerJob:
    """What one worker process needs: its sites, how to fetch, whom to trust, where to
    resolve other hosts."""

    targets: list[tuple[str, list[str]]]
    settings: WebSettings
    ca_files: list[Path]
    system_trust: bool
    resolver: ResolverConfig


def web_processes(wanted: int, sites: int) -> int:
    """How many worker processes probe ``sites`` sites: ``wanted``, or with 0 (automatic)
    one per CPU this process may use when there are at least :data:`PROCESSES_FROM`
    sites; 1 means none (the scanning process probes them itself)."""
    if wanted:
        return wanted
    if sites < PROCESSES_FROM:
        return 1
    return len(os.sched_getaffinity(0))


def share_out(targets: list[tuple[str, list[str]]], processes: int
              ) -> list[list[tuple[str, list[str]]]]:
    """``targets`` in ``processes`` shares, all the names of one (first) address in the
    same share, the shares as even as the addresses allow (the biggest address first into
    the smallest share)."""
    by_address: dict[str, list[tuple[str, list[str]]]] = {}
    for target in targets:
        by_address.setdefault(target[1][0] if target[1] else "", []).append(target)
    shares: list[list[tuple[str, list[str]]]] = [[] for _ in range(processes)]
    for group in sorted(by_address.values(), key=len, reverse=True):
        min(shares, key=len).extend(group)
    return [share for share in shares if share]


async def probe_in_processes(jobs: list[WorkerJob]) -> AsyncIterator[WebObservation]:
    """Run each job in a worker process; yield the observations as they arrive."""
    context = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[int, bytes | None]] = asyncio.Queue()
    workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    readers: list[asyncio.Future[None]] = []
    try:
        for number, job in enumerate(jobs):
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=_work, args=(sender, job), daemon=True,
                                      name=f"domainwatch-web-{number}")
            process.start()
            sender.close()
            workers.append((process, receiver))
            readers.append(loop.run_in_executor(None, _read_all, receiver, number, queue,
                                                loop))
        running = len(workers)
        while running:
            number, message = await queue.get()
            if message is None:
                running -= 1
            elif message[:1] == FAILED:
                raise WorkerError(f"web worker {number} failed:\n"
                                  f"{message[1:].decode(errors='replace')}")
            elif message[:1] == OBSERVATIONS:
                for observation in pickle.loads(message[1:]):
                    yield observation
    finally:
        for process, receiver in workers:
            if process.is_alive():
                process.terminate()
            process.join(5)
            receiver.close()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*readers, return_exceptions=True)


def _read_all(receiver: Connection, number: int,
              queue: asyncio.Queue[tuple[int, bytes | None]],
              loop: asyncio.AbstractEventLoop) -> None:
    """A reader thread: every message of one worker onto the queue, then None."""
    try:
        while True:
            message = receiver.recv_bytes()
            loop.call_soon_threadsafe(queue.put_nowait, (number, message))
            if message[:1] != OBSERVATIONS:
                break
    except (EOFError, OSError):
        loop.call_soon_threadsafe(queue.put_nowait, (
            number, FAILED + b"the worker process ended without finishing its sites"))
    loop.call_soon_threadsafe(queue.put_nowait, (number, None))


def _work(sender: Connection, job: WorkerJob) -> None:
    """A worker process: probe the job's sites, send the observations in batches."""
    try:
        asyncio.run(_probe_job(sender, job))
        sender.send_bytes(DONE)
    except BaseException:  # whatever it was, the scanning process must hear of it
        with contextlib.suppress(OSError):
            sender.send_bytes(FAILED + traceback.format_exc().encode())
    finally:
        sender.close()


async def _probe_job(sender: Connection, job: WorkerJob) -> None:
    settings = dataclasses.replace(job.settings,
                                   trust=TrustStore(job.ca_files, system=job.system_trust))
    async with DNSProbe(job.resolver) as dns:
        probe = WebProbe(settings, HostLookups(dns).addresses)
        batch: list[WebObservation] = []
        last_sent = time.monotonic()
        async for observation in probe.probe_many(job.targets):
            _prepare(observation)
            batch.append(observation)
            if len(batch) >= BATCH or time.monotonic() - last_sent >= BATCH_SECONDS:
                sender.send_bytes(OBSERVATIONS + pickle.dumps(batch))
                batch = []
                last_sent = time.monotonic()
        if batch:
            sender.send_bytes(OBSERVATIONS + pickle.dumps(batch))


def _prepare(observation: WebObservation) -> None:
    """Do the page work here, not in the scanning process: the text hash and the sketch
    are computed (and travel with the page); the connections are gone."""
    pages: list[Any] = [visit.landing.page for visit in observation.visits.values()
                        if visit.landing is not None]
    pages += [cloak.page for cloak in observation.cloaks if cloak.page is not None]
    for page in pages:
        _ = page.text_hash, page.sketch
    for visit in observation.visits.values():
        visit.connection = None
