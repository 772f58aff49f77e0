"""The `summarizer` command line: options, terminal output, exit codes.

Exit codes: 0 success, 1 a runtime failure (one line on stderr), 2 a usage error.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from summarizer import __version__
from summarizer.config import ENGINES
from summarizer.corpus import DEFAULT_GLOBS, Job, Plan, find_inputs, plan_jobs, run_jobs
from summarizer.errors import SummarizerError
from summarizer.progress import Progress

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


def article_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Inputs, outputs and routing, shared by `summarize` and `translate`."""
    options = [
        click.argument("paths", nargs=-1, required=True, metavar="PATH..."),
        click.option(
            "--format",
            "output_format",
            type=click.Choice(["text", "markdown", "json"]),
            default="text",
            show_default=True,
            help="text: the summary (translate: the English text); markdown: Summary and "
            "Translation sections; json: everything (JSON Lines for several inputs on stdout).",
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(path_type=Path),
            help="For one file: write to this file. For folders or several files: the "
            "output folder, mirroring the input tree (OUTDIR/REL/NAME.txt|.md|.json).",
        ),
        click.option(
            "--glob",
            "globs",
            multiple=True,
            metavar="PATTERN",
            help="Which files to take from folders (repeatable) "
            f"[default: {' '.join(DEFAULT_GLOBS)}].",
        ),
        click.option(
            "--source-lang",
            metavar="LANG",
            help="The articles' language (e.g. fr), skipping detection.",
        ),
        click.option(
            "--engine",
            type=click.Choice(list(ENGINES)),
            help="Run every model with this engine instead of its models.toml `engine` "
            "(ctranslate2: converted once, int8 unless compute_type says otherwise).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return run_options(command)


@cli.command()
@article_options
@click.option(
    "--summarizer",
    "summarizer_name",
    metavar="NAME",
    help="A summarization model declared in models.toml, instead of [pipeline] summarizer.",
)
@reports_errors
def summarize(**options: Any) -> None:
    """Translate articles to English when needed and summarize them.

    PATH is a text file, - for stdin, or a folder (searched recursively). One file prints
    its summary; folders and several files need -o OUTDIR (or --format json for JSON Lines
    on stdout). A rerun skips documents whose output is current.
    """
    _process(summarize=True, **options)


@cli.command()
@article_options
@reports_errors
def translate(**options: Any) -> None:
    """Translate articles to English (English ones are passed through).

    PATH is a text file, - for stdin, or a folder (searched recursively); see `summarize`
    for how outputs are laid out.
    """
    _process(summarize=False, summarizer_name=None, **options)


def _process(
    *,
    summarize: bool,
    paths: tuple[str, ...],
    output_format: str,
    output: Path | None,
    globs: tuple[str, ...],
    source_lang: str | None,
    engine: str | None,
    summarizer_name: str | None,
    config_path: Path | None,
    cache_dir: Path | None,
    no_cache: bool,
    quiet: bool,
    debug: bool,
) -> None:
    from summarizer.output import EXTENSIONS, RENDERERS, render_json_line, write_atomically
    from summarizer.pipeline import Summarizer

    if quiet:
        # Read by huggingface_hub when it is imported, which happens later if at all.
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    if source_lang is not None and not source_lang.isalpha():
        raise click.BadParameter("expected a language code such as fr", param_hint="--source-lang")
    single = _single_input(paths, output)
    if "-" in paths and not single:
        raise click.UsageError("- (stdin) can only be used alone")
    for path in paths:
        if path != "-" and not os.path.lexists(path):
            raise click.BadParameter(f"no such file or folder: {path}", param_hint="PATH")
    progress = Progress(0, enabled=not quiet and not single)
    summarizer = Summarizer(
        config_path,
        cache_dir=cache_dir,
        use_cache=not no_cache,
        summarizer=summarizer_name,
        engine=engine,
        on_progress=_progress if single and not quiet else None,
        on_segments=progress.add_segments,
    )
    try:
        if single:
            _process_one(
                summarizer,
                paths[0],
                output,
                RENDERERS[output_format],
                summarize,
                source_lang,
                quiet,
                write_atomically,
            )
            return
        if output is None and output_format != "json":
            raise click.UsageError(
                "several inputs need -o OUTDIR, or --format json for JSON Lines on stdout"
            )
        inputs = [Path(path) for path in paths]
        if output is not None:
            _check_outdir(output, inputs)
            plan = plan_jobs(inputs, output, globs or DEFAULT_GLOBS, EXTENSIONS[output_format])
            render = RENDERERS[output_format]
        else:
            found = find_inputs(inputs, globs or DEFAULT_GLOBS, None)
            plan = Plan(jobs=[Job(source, None) for source in found])
            render = render_json_line
        progress.total = len(plan.jobs) + len(plan.refused)
        _install_sigterm_handler()
        run_jobs(
            summarizer,
            plan,
            outdir=output,
            render=render,
            emit=lambda text: click.echo(text, nl=False),
            summarize=summarize,
            source_language=source_lang,
            progress=progress,
        )
    finally:
        summarizer.close()
    if not quiet:
        click.echo(progress.finish(), err=True)
    if progress.counts["failed"]:
        sys.exit(EXIT_FAILURE)


def _single_input(paths: tuple[str, ...], output: Path | None) -> bool:
    """One file (or stdin) whose output is one file or stdout, as opposed to a folder run."""
    if len(paths) != 1:
        return False
    if paths[0] == "-":
        return True
    return not Path(paths[0]).is_dir() and not (output is not None and output.is_dir())


def _process_one(summarizer, path, output, render, summarize, source_lang, quiet, write) -> None:
    from summarizer.documents import read_article

    text = read_article(path)
    result = summarizer.run(text, source_language=source_lang, name=path, summarize=summarize)
    if output is None:
        click.echo(render(result), nl=False)
    else:
        write(output, render(result))
        if not quiet:
            _progress(f"wrote {output}")


def _check_outdir(outdir: Path, inputs: list[Path]) -> None:
    if outdir.exists() and not outdir.is_dir():
        raise click.BadParameter(f"{outdir} exists and is not a folder", param_hint="-o")
    for path in inputs:
        if path.is_dir() and os.path.realpath(path) == os.path.realpath(outdir):
            raise click.BadParameter(
                f"the output folder cannot be the input folder {path}", param_hint="-o"
            )


def _install_sigterm_handler() -> None:
    """SIGTERM ends a folder run like Ctrl-C: finished work is kept, the manifest written."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


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
