"""One table from exception type to exit code and what the user sees.

Exit codes: 0 success, 1 a runtime failure (one line on stderr; in a folder run, at least
one document failed; a declined prompt; stdout closed by its reader, as in `| head`, which
says nothing), 2 a usage error, 130 interrupted (Ctrl-C or SIGTERM).

Every command prints on stdout through `echo`, so that a write that fails (a full disk) is
an OutputError like any other output's.
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from summarizer.errors import (
    CacheWarning,
    LanguageError,
    ModelError,
    OutputError,
    SummarizerError,
)

EXIT_FAILURE = 1
EXIT_USAGE = 2
# --strict: the run finished, and the checks left something to review.
EXIT_FLAGGED = 3
EXIT_INTERRUPTED = 130

# The command line's advice, added to the library's line: the library names models.toml
# settings, environment variables and parameters, never these options.
CHOOSE_ANOTHER_OUTPUT = "choose another --output"
# The `path` of an OutputError about stdout, where no --output was chosen.
STDOUT = "standard output"
OTHER_ENGINE = "(or --engine torch)"
# Cache warnings by kind: the command line's advice replaces the library's hint.
CACHE_ADVICE = {
    "newer": "--cache-dir DIR chooses another one",
    "unusable": "--cache-dir DIR chooses another folder",
    "unwritable": "--cache-dir DIR chooses another folder",
}


@dataclass(frozen=True)
class Handling:
    """What becomes of one type of exception raised by a command."""

    # None: click reports it itself (usage errors exit 2, an aborted prompt exits 1).
    exit_code: int | None
    # The one line printed on stderr.
    message: Callable[[BaseException], str] = str
    # --debug prints the traceback first.
    traceback: bool = True


def _output_error(exc: BaseException) -> str:
    assert isinstance(exc, OutputError)
    if exc.folder or exc.path == STDOUT or exc.hint:  # an error with its own advice
        return f"Error: {exc}"
    return f"Error: {exc}; {CHOOSE_ANOTHER_OUTPUT}"


def _aborted(exc: BaseException) -> str:
    # A declined prompt raises Abort("nothing was removed"); click's own say nothing.
    return f"Aborted; {exc}." if str(exc) else "Aborted."


def _model_error(exc: BaseException) -> str:
    assert isinstance(exc, ModelError)
    # Another engine may run the model: --engine torch does it without editing models.toml.
    return f"Error: {exc} {OTHER_ENGINE}" if exc.engine == "ctranslate2" else f"Error: {exc}"


def _unexpected(exc: BaseException) -> str:
    return (
        f"Error: unexpected {type(exc).__name__}: {exc} (run again with --debug for the traceback)"
    )


# The first row whose type matches wins: the more specific types come first.
HANDLING: list[tuple[type[BaseException], Handling]] = [
    # A usage mistake found by the command itself: one line, exit 2. (Those click finds
    # while parsing the options come with the usage line, as click prints them.)
    (
        click.exceptions.UsageError,
        Handling(EXIT_USAGE, lambda exc: f"Error: {exc.format_message()}", traceback=False),
    ),
    (click.exceptions.ClickException, Handling(None)),
    (click.exceptions.Abort, Handling(EXIT_FAILURE, _aborted, traceback=False)),
    (click.exceptions.Exit, Handling(None)),
    # stdout's reader went away (`| head`): click silences stdout and exits 1 quietly, as
    # it does for --help; Unix tools say nothing either.
    (BrokenPipeError, Handling(None)),
    (
        KeyboardInterrupt,
        Handling(
            EXIT_INTERRUPTED,
            lambda exc: "Interrupted; finished work is kept in the cache.",
            traceback=False,
        ),
    ),
    # The only language a command is given is --source-lang's: a usage error.
    (
        LanguageError,
        Handling(
            EXIT_USAGE,
            lambda exc: f"Error: Invalid value for --source-lang: {exc}",
            traceback=False,
        ),
    ),
    (OutputError, Handling(EXIT_FAILURE, _output_error)),
    (ModelError, Handling(EXIT_FAILURE, _model_error)),
    (SummarizerError, Handling(EXIT_FAILURE, lambda exc: f"Error: {exc}")),
    (Exception, Handling(EXIT_FAILURE, _unexpected)),
]


def handling(exc: BaseException) -> Handling | None:
    """The table's row for `exc`; None for what passes through (SystemExit)."""
    for kind, row in HANDLING:
        if isinstance(exc, kind):
            return row
    return None


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a command's failure into one line and an exit code, as HANDLING says; with
    --debug (a parameter of the command) the traceback comes first."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BaseException as exc:
            row = handling(exc)
            if row is None or row.exit_code is None:
                raise
            if row.traceback and kwargs.get("debug", False):
                traceback.print_exc()
            click.echo(row.message(exc), err=True)
            sys.exit(row.exit_code)

    return wrapper


def echo(text: str = "", *, nl: bool = True) -> None:
    """Print on stdout. A write that fails is an OutputError about standard output (a full
    disk: one line, exit 1); a closed pipe stays a BrokenPipeError, which ends the command
    quietly (HANDLING)."""
    try:
        click.echo(text, nl=nl)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(STDOUT, str(exc.strerror or exc)) from exc


def warning_line(warning: CacheWarning | str) -> str:
    """The one stderr line for a warning; a cache folder that cannot be used gets the
    command line's advice instead of the library's."""
    if isinstance(warning, CacheWarning) and warning.kind in CACHE_ADVICE:
        return f"Warning: {warning.describe()} ({CACHE_ADVICE[warning.kind]})"
    return f"Warning: {warning}"


def warn(warning: CacheWarning | str) -> None:
    """The `on_warning` of the Summarizer and the cache: one plain line on stderr."""
    click.echo(warning_line(warning), err=True)
