"""`summarizer cache info|prune|clear`, and sizes read and printed for people."""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from summarizer.cli import cache_dir_option, cli, config_options, debug_option
from summarizer.cli.errors import echo, reports_errors, warn


class SizeType(click.ParamType):
    """A size such as 500M or 2G (a usage error otherwise)."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError:
            self.fail(f"{value!r} is not a size such as 500M, 2G or 800000", param, ctx)


@cli.group()
def cache() -> None:
    """Show, prune and clear the cache of model outputs."""


def _open_cache(cache_dir: Path | None):
    from summarizer.cache import Cache

    return Cache(cache_dir, on_warning=warn)


@cache.command("info")
@cache_dir_option
@debug_option
@reports_errors
def cache_info(cache_dir: Path | None, debug: bool) -> None:
    """Show where the cache is, its size, and its entries per task and model."""
    from summarizer.cache import manage

    store = _open_cache(cache_dir)
    try:
        info = manage.info(store)
    finally:
        store.close()
    echo(f"location:     {info.path}")
    if not info.exists:
        echo("size on disk: 0 B (no cache yet)")
    else:
        echo(f"size on disk: {format_size(info.size_on_disk)}")
        span = (
            f" (oldest {_when(info.oldest)}, newest {_when(info.newest)})" if info.entries else ""
        )
        echo(f"entries:      {info.entries:,}{span}")
    if info.models:
        rows = [("TASK", "MODEL", "ENTRIES", "SIZE", "LAST USED")]
        rows += [
            (m.task, m.model, f"{m.entries:,}", format_size(m.size), _when(m.last_used))
            for m in info.models
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        echo("")
        for row in rows:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            echo("  ".join(cells).rstrip())
    if info.set_aside:
        echo(f"\ndamaged files set aside ({len(info.set_aside)}), safe to delete:")
        for path in info.set_aside:
            echo(f"  {path}")


@cache.command("prune")
@click.option(
    "--max-size",
    type=SizeType(),
    metavar="SIZE",
    help="Remove the least recently used entries until the cache is at most SIZE (e.g. 500M, 2G).",
)
@click.option(
    "--older-than",
    type=click.FloatRange(min=0),
    metavar="DAYS",
    help="Remove the entries not used in the last DAYS days.",
)
@cache_dir_option
@debug_option
@reports_errors
def cache_prune(
    max_size: int | None, older_than: float | None, cache_dir: Path | None, debug: bool
) -> None:
    """Remove entries not used lately (least recently used first)."""
    if max_size is None and older_than is None:
        raise click.UsageError("give --max-size SIZE, --older-than DAYS, or both")
    from summarizer.cache import manage

    store = _open_cache(cache_dir)
    try:
        result = manage.prune(store, max_bytes=max_size, older_than_days=older_than)
    finally:
        store.close()
    echo(
        f"removed {result.removed:,} entries; cache size {format_size(result.size_before)} "
        f"-> {format_size(result.size_after)}"
    )


@cache.command("clear")
@click.option(
    "--model",
    "model_name",
    metavar="NAME",
    help="Only this model's entries: a name in models.toml, a hub id, a local folder, or a "
    "MODEL shown by `summarizer cache info`.",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@cache_dir_option
@config_options
@reports_errors
def cache_clear(
    model_name: str | None,
    yes: bool,
    cache_dir: Path | None,
    config_path: Path | None,
    debug: bool,
) -> None:
    """Remove every cached output, or one model's (asks first on a terminal; without one,
    only with --yes)."""
    from summarizer.cache import manage

    if model_name is not None and not model_name.strip():
        # An empty name would match every entry, and clear them all.
        raise click.BadParameter("give the name of a model", param_hint="--model")
    store = _open_cache(cache_dir)
    try:
        model = _resolve_model_name(model_name, config_path) if model_name else None
        count = manage.count(store, model)
        what = f"model {model_name}'s" if model_name else "all"
        if count == 0:
            if model_name:
                raise click.BadParameter(
                    f"the cache at {store.path} has no entries for model {model_name!r}; "
                    "`summarizer cache info` lists the models it holds",
                    param_hint="--model",
                )
            echo(f"the cache at {store.path} is already empty")
            return
        if not yes:
            # Without a terminal there is nobody to ask (`echo n | summarizer cache clear`
            # must not clear): --yes says it.
            if not stdin_is_terminal():
                raise click.UsageError("give --yes to clear the cache without a terminal")
            question = f"Remove {what} {count:,} cached entries from {store.path}?"
            if not click.confirm(question):
                raise click.exceptions.Abort("nothing was removed")
        removed = manage.clear(store, model)
    finally:
        store.close()
    echo(f"removed {removed:,} entries from {store.path}")


def _resolve_model_name(name: str, config_path: Path | None) -> str:
    """A models.toml name becomes its hub id or folder; anything else is used as given."""
    from summarizer.config import CONFIG_ENV, load_config
    from summarizer.errors import ConfigError

    try:
        config = load_config(config_path)
    except ConfigError:
        if config_path is not None or os.environ.get(CONFIG_ENV):
            raise
        return name
    spec = config.models.get(name)
    return spec.model if spec is not None else name


def stdin_is_terminal() -> bool:
    """Whether `cache clear` asks first. Tests stand in for a terminal by replacing this
    function (click's runner gives commands a stdin that is never a terminal)."""
    return sys.stdin.isatty()


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"]
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def format_size(size: int) -> str:
    """1536 -> "1.5 KiB"."""
    value = float(size)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def parse_size(text: str) -> int:
    """ "500M" -> 524288000. Units K, M, G, T are powers of 1024; B, iB may follow."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(text)
    number, unit = match.groups()
    return int(float(number) * 1024 ** " KMGT".index(unit.upper() or " "))
