"""The command line: a thin click skin over domainwatch.api — options in, printed results out.

One module per family of commands: :mod:`~domainwatch.cli.register` (the register and the
zones it is compared with), :mod:`~domainwatch.cli.scanning` (scan, the nightly run, its
schedule, WHOIS asked by hand), :mod:`~domainwatch.cli.findings` (findings, baselines, a
name's story, the audit report) and :mod:`~domainwatch.cli.demo`; what they share in
:mod:`~domainwatch.cli.common`. Here: the group, which turns the errors a user can meet into
one line and a documented exit code, and :func:`main`.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from domainwatch import __version__
from domainwatch.api import Domainwatch, DomainwatchError
from domainwatch.cli import demo, findings, register, scanning
from domainwatch.cli.common import (
    EXIT_BUSY,
    EXIT_DATABASE,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_RESOLVER,
    EXIT_TRANSFER,
    fail,
)
from domainwatch.config import ConfigError, load_config
from domainwatch.discovery import DiscoveryError, TransferFailed
from domainwatch.names import InvalidName
from domainwatch.output import terminal_safe
from domainwatch.register import RegisterError
from domainwatch.settings import SecretUnavailable
from domainwatch.store import RunInProgress, StoreError


class _Group(click.Group):
    """Turns the errors a user can meet into one clear line and a documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from domainwatch.probes.dns import ResolverUnreachable
        from domainwatch.scan import ScanError

        try:
            return super().invoke(ctx)
        except RegisterError as error:
            click.echo(f"domainwatch: {error.source}: {len(error.errors)} error(s), nothing "
                       "imported:", err=True)
            for row_error in error.errors:
                click.echo(f"  {terminal_safe(row_error, limit=None)}", err=True)
            sys.exit(EXIT_INPUT)
        except (DomainwatchError, ConfigError, SecretUnavailable, ScanError,
                InvalidName) as error:
            fail(str(error), EXIT_INPUT)
        except TransferFailed as error:
            fail(str(error), EXIT_TRANSFER)
        except DiscoveryError as error:
            fail(str(error), EXIT_INPUT)
        except RunInProgress as error:
            fail(str(error), EXIT_BUSY)
        except StoreError as error:
            fail(str(error), EXIT_DATABASE)
        except sqlite3.OperationalError as error:
            fail(f"database error: {error}", EXIT_DATABASE)
        except ResolverUnreachable as error:
            fail(str(error), EXIT_RESOLVER)
        except KeyboardInterrupt:
            fail("interrupted; the next scan resumes where this one stopped", 130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              envvar="DOMAINWATCH_DB", default="domainwatch.db", show_default=True,
              help="The database file (env DOMAINWATCH_DB).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              envvar="DOMAINWATCH_CONFIG",
              help="Configuration file, TOML (env DOMAINWATCH_CONFIG).")
@click.version_option(__version__, prog_name="domainwatch")
@click.pass_context
def cli(ctx: click.Context, db_path: Path, config_path: Path | None) -> None:
    """Domain and DNS hygiene monitor for government domains under gov.cn.

    Keeps the register of domain allocations, resolves every name, and flags names that are
    unused, dangling, unregistered or hijacked.
    """
    api = Domainwatch(db_path, load_config(config_path))
    ctx.obj = api
    ctx.call_on_close(api.close)


for command in (register.register, scanning.scan, scanning.recheck, scanning.run_command,
                scanning.cron,
                scanning.whois, findings.findings, findings.ack, findings.accept, findings.show,
                findings.report, demo.demo):
    cli.add_command(command)


def main() -> None:
    if os.environ.get("DOMAINWATCH_DEBUG"):
        cli(prog_name="domainwatch")
        return
    try:
        cli(prog_name="domainwatch")
    except Exception as error:
        fail(f"internal error: {type(error).__name__}: {error} (set DOMAINWATCH_DEBUG=1 for "
             "the traceback, and please report it)", EXIT_INTERNAL)
