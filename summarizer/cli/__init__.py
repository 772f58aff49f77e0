"""The `summarizer` command line: parses options, prints, maps errors to exit codes.

`cli` is the root group; its commands live in run.py (summarize, translate), models.py
and cache.py, and errors.py holds the one table of exit codes. Options that several
commands share are decorators here, each written once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from summarizer import __version__


def apply(decorators: list[Callable[..., Any]], command: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate as if the decorators were written above `command` in this order."""
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def cache_dir_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--cache-dir",
        # Checked by the cache itself, which warns and goes on without it, as for the
        # default folder; an empty value means "not set", like an empty variable.
        type=str,
        callback=lambda ctx, param, value: Path(value).expanduser() if value else None,
        envvar="SUMMARIZER_CACHE_DIR",
        help="Where model outputs are cached [env: SUMMARIZER_CACHE_DIR; default: the "
        "user cache folder].",
    )(command)


def debug_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--debug", is_flag=True, help="Show tracebacks for errors.")(command)


def config_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options every command that reads models.toml shares."""
    options = [
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False, path_type=Path),
            # No envvar=: the library reads SUMMARIZER_CONFIG itself (config.find_config),
            # so that an error names the variable rather than this option.
            help="models.toml to use [env: SUMMARIZER_CONFIG; default: ./models.toml, "
            "then the packaged one].",
        ),
        debug_option,
    ]
    return apply(options, command)


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options of the commands that run models."""
    options = [
        cache_dir_option,
        click.option("--no-cache", is_flag=True, help="Neither read nor write the cache."),
        click.option("-q", "--quiet", is_flag=True, help="No progress messages on stderr."),
    ]
    return config_options(apply(options, command))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="summarizer")
def cli() -> None:
    """Translate news articles to English and summarize them, caching every model output."""


def main() -> None:
    cli(prog_name="summarizer")


# The commands register themselves on `cli` when their modules are imported.
from summarizer.cli import cache, evaluate, models, run  # noqa: E402, F401
