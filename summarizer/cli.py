"""The `summarizer` command line: options, terminal output, exit codes.

Exit codes: 0 success, 1 a runtime failure (one line on stderr), 2 a usage error.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from summarizer import __version__
from summarizer.errors import SummarizerError

EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn any failure into one line and exit 1; --debug shows the traceback instead."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = kwargs.get("debug", False)
        try:
            return command(*args, **kwargs)
        except click.ClickException:
            raise
        except SummarizerError as exc:
            if debug:
                traceback.print_exc()
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_FAILURE)
        except KeyboardInterrupt:
            click.echo("Interrupted; finished work is kept in the cache.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            if debug:
                traceback.print_exc()
            click.echo(
                f"Error: unexpected {type(exc).__name__}: {exc} "
                "(run again with --debug for the traceback)",
                err=True,
            )
            sys.exit(EXIT_FAILURE)

    return wrapper


def config_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options every command that reads models.toml shares."""
    options = [
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar="SUMMARIZER_CONFIG",
            help="models.toml to use [env: SUMMARIZER_CONFIG; default: ./models.toml, "
            "then the packaged one].",
        ),
        click.option("--debug", is_flag=True, help="Show tracebacks for errors."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options of the commands that run models."""
    options = [
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False, path_type=Path),
            envvar="SUMMARIZER_CACHE_DIR",
            help="Where model outputs are cached [env: SUMMARIZER_CACHE_DIR; default: the "
            "user cache folder].",
        ),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the cache."),
        click.option("-q", "--quiet", is_flag=True, help="No progress messages on stderr."),
    ]
    for option in reversed(options):
        command = option(command)
    return config_options(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="summarizer")
def cli() -> None:
    """Translate news articles to English and summarize them, caching every model output."""


@cli.command()
@click.argument("path", metavar="ARTICLE")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text: the summary; markdown: Summary and Translation sections; json: everything.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (whole or not at all) instead of stdout.",
)
@click.option(
    "--source-lang",
    metavar="LANG",
    help="The article's language (e.g. fr), skipping detection.",
)
@click.option(
    "--summarizer",
    "summarizer_name",
    metavar="NAME",
    help="A summarization model declared in models.toml, instead of [pipeline] summarizer.",
)
@click.option(
    "--keep-boilerplate",
    is_flag=True,
    help="Keep lines that look like scraping debris (paywall notices, 'Back to top', share "
    "and newsletter prompts, 'Read also' teasers, cookie notices).",
)
@run_options
@reports_errors
def summarize(
    path: str,
    output_format: str,
    output: Path | None,
    source_lang: str | None,
    summarizer_name: str | None,
    keep_boilerplate: bool,
    config_path: Path | None,
    cache_dir: Path | None,
    no_cache: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Translate ARTICLE (a text file or saved web page, or - for stdin) to English and print
    its summary."""
    from summarizer.documents import read_document
    from summarizer.output import RENDERERS, write_atomically
    from summarizer.pipeline import Summarizer

    if quiet:
        # Read by huggingface_hub when it is imported, which happens later if at all.
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    if source_lang is not None and not source_lang.isalpha():
        raise click.BadParameter("expected a language code such as fr", param_hint="--source-lang")
    summarizer = Summarizer(
        config_path,
        cache_dir=cache_dir,
        use_cache=not no_cache,
        summarizer=summarizer_name,
        on_progress=None if quiet else _progress,
    )
    try:
        document = read_document(
            path,
            keep_boilerplate=keep_boilerplate,
            max_bytes=summarizer.config.max_input_bytes,
        )
        result = summarizer.run(document, source_language=source_lang, name=path)
    finally:
        summarizer.close()
    rendered = RENDERERS[output_format](result)
    if output is None:
        click.echo(rendered, nl=False)
    else:
        write_atomically(output, rendered)
        if not quiet:
            _progress(f"wrote {output}")


def _progress(message: str) -> None:
    click.echo(message, err=True)


@cli.group()
def models() -> None:
    """List the models in models.toml, and download them for offline use."""


@models.command("list")
@config_options
@reports_errors
def models_list(config_path: Path | None, debug: bool) -> None:
    """Show each configured model, its task and languages, and whether it is on disk."""
    from summarizer.config import load_config
    from summarizer.engine import is_present_locally

    config = load_config(config_path)
    serves = {}
    for language, name in config.translators.items():
        serves.setdefault(name, []).append(language)
    rows = [("NAME", "TASK", "LANGUAGES", "MODEL", "LOCAL")]
    for spec in config.models.values():
        if spec.task == "translation":
            languages = (
                f"{','.join(serves.get(spec.name, [])) or spec.source}->{spec.target or '?'}"
            )
        else:
            languages = spec.target or "-"
        revision = f"@{spec.revision}" if spec.revision and not spec.is_local else ""
        present = "yes" if is_present_locally(spec) else "no"
        rows.append((spec.name, spec.task, languages, spec.model + revision, present))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))
    click.echo(f"\nconfig: {config.path}")


@models.command("pull")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@config_options
@reports_errors
def models_pull(names: tuple[str, ...], config_path: Path | None, debug: bool) -> None:
    """Download models (all configured ones by default) into the local Hugging Face cache,
    so that later runs work offline (HF_HUB_OFFLINE=1)."""
    from summarizer.config import load_config
    from summarizer.engine import pull
    from summarizer.errors import ConfigError

    config = load_config(config_path)
    unknown = [name for name in names if name not in config.models]
    if unknown:
        raise ConfigError(
            f"unknown model {unknown[0]!r} in {config.path}; known: {', '.join(config.models)}"
        )
    for name in names or config.models:
        spec = config.models[name]
        click.echo(f"{name}: {spec.model} ...", err=True)
        location = pull(spec)
        click.echo(f"{name}: ready at {location}")


def main() -> None:
    cli(prog_name="summarizer")
