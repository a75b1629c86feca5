"""What the command families share: the exit codes, the API each command is handed, the
options several take and the pieces of output several print."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from domainwatch.api import Domainwatch, InvalidOption, default_user
from domainwatch.output import terminal_safe

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_DATABASE = 4
EXIT_RESOLVER = 5
EXIT_TRANSFER = 6
EXIT_BUSY = 7


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"domainwatch: {terminal_safe(message, limit=None)}", err=True)
    sys.exit(code)


pass_api = click.make_pass_decorator(Domainwatch)

#: The command-line options of the API's keyword arguments, for its InvalidOption errors.
OPTION_NAMES = {"resolvers": "--resolver", "whois_servers": "--whois-server",
                "server": "--server", "origin": "--origin", "accept": "--accept",
                "state": "--state", "priority": "--priority"}


@contextmanager
def option_errors() -> Iterator[None]:
    """The API's complaints about its arguments, as click's about the options."""
    try:
        yield
    except InvalidOption as error:
        message = error.worded(OPTION_NAMES)
        if error.parameter is None:
            raise click.UsageError(message) from None
        raise click.BadParameter(message, param_hint=OPTION_NAMES.get(
            error.parameter, error.parameter)) from None


def by_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--by", default=default_user, show_default="your login name",
                        help="Who makes the change, for the history.")(function)


def format_option(*choices: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--format", "output_format", type=click.Choice(choices),
                        default=choices[0], show_default=True, help="Output format.")


def terminal_width() -> int | None:
    """The terminal's width when standard output is one; tables then fit on screen."""
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns


def short(value: object) -> str:
    """A register value in one cell: a list joined by spaces, nothing as ``-``."""
    if isinstance(value, list):
        return " ".join(value) or "-"
    return str(value) if value not in (None, "") else "-"

