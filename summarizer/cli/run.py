"""`summarizer summarize` and `summarizer translate`: options in, jobs.run, a summary out."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from summarizer import jobs
from summarizer.cli import apply, cli, run_options
from summarizer.cli.errors import EXIT_FAILURE, echo, reports_errors, warn
from summarizer.config import ENGINES
from summarizer.errors import InputError, OutputError
from summarizer.files import printable
from summarizer.options import RunOptions
from summarizer.progress import Progress


def article_options(command: Any) -> Any:
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
            # A str, not a Path: a trailing slash ("-o new/") says a folder is meant.
            type=click.Path(),
            help="For one file: write to this file (an existing input, link or special "
            "file is refused; a FIFO or device is written into). For folders, several "
            "files, or a name ending in /: the output folder, mirroring the input tree "
            "(OUTDIR/REL/NAME.txt|.md|.json).",
        ),
        click.option(
            "--glob",
            "globs",
            multiple=True,
            metavar="PATTERN",
            help="Which files to take from folders (repeatable): a pattern matches the "
            "file name, or with a slash the path under the folder (fr/*.txt); extensions "
            f"match in any case [default: {' '.join(jobs.DEFAULT_GLOBS)}].",
        ),
        click.option(
            "--source-lang",
            metavar="LANG",
            help="The articles' language, skipping detection: an ISO 639-1 code such as fr "
            "(fr-FR, FR and fra are read as fr).",
        ),
        click.option(
            "--keep-boilerplate",
            is_flag=True,
            help="Keep lines that look like scraping debris (paywall notices, 'Back to top', "
            "share and newsletter prompts, 'Read also' teasers, cookie notices).",
        ),
        click.option(
            "--engine",
            type=click.Choice(list(ENGINES)),
            help="Run every model with this engine instead of its models.toml `engine` "
            "(ctranslate2: converted once, int8 unless compute_type says otherwise).",
        ),
    ]
    return run_options(apply(options, command))


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
    output: str | None,
    globs: tuple[str, ...],
    source_lang: str | None,
    engine: str | None,
    summarizer_name: str | None,
    keep_boilerplate: bool,
    config_path: Path | None,
    cache_dir: Path | None,
    no_cache: bool,
    quiet: bool,
    debug: bool,
) -> None:
    from summarizer.pipeline import Summarizer

    if quiet:
        # Read by huggingface_hub when it is imported, which happens later if at all.
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    single = jobs.is_single(paths, output)
    if "-" in paths and not single:
        raise click.UsageError("- (stdin) can only be used alone")
    progress = Progress(0, enabled=not quiet and not single)
    summarizer = Summarizer(
        config_path,
        cache_dir=cache_dir,
        use_cache=not no_cache,
        summarizer=summarizer_name,
        engine=engine,
        on_progress=_message if single and not quiet else None,
        on_segments=progress.add_segments,
        on_warning=warn,
    )
    options = RunOptions(
        # Normalised and checked against models.toml: a LanguageError lists what it serves.
        source_language=summarizer.config.source_language(source_lang) if source_lang else None,
        summarize=summarize,
        keep_boilerplate=keep_boilerplate,
    )
    _install_sigterm_handler()
    try:
        _check_paths(paths, output, single)
        if not single:
            _check_folder_run(paths, output, output_format)
        jobs.run(
            summarizer,
            paths,
            output,
            options,
            output_format,
            progress=progress,
            emit=lambda text: echo(text, nl=False),
            globs=globs or jobs.DEFAULT_GLOBS,
        )
    finally:
        summarizer.close()
    _report(single, output, quiet, progress)


def _check_paths(paths: tuple[str, ...], output: str | None, single: bool) -> None:
    """Every input exists; one file's output file is not an input, a link or a special
    file (a usage error)."""
    jobs.check_inputs(paths)
    if not single or output is None:
        return
    try:
        jobs.check_single_output(paths[0], Path(output))
    except OutputError as exc:
        raise click.BadParameter(exc.describe(), param_hint="-o") from exc


def _check_folder_run(paths: tuple[str, ...], output: str | None, output_format: str) -> None:
    """Folders and several files need an output folder, or JSON Lines on stdout."""
    if output is None:
        if output_format == "json":
            return
        what = "{path} is a folder" if len(paths) == 1 else "several inputs"
        raise InputError(
            f"{what}: give -o OUTDIR for the outputs, or --format json for JSON Lines on stdout",
            path=paths[0] if len(paths) == 1 else None,
        )
    if os.path.exists(output) and not os.path.isdir(output):
        shown = printable(output)
        raise click.BadParameter(f"{shown} exists and is not a folder", param_hint="-o")
    for path in map(Path, paths):
        if path.is_dir() and os.path.realpath(path) == os.path.realpath(output):
            raise click.BadParameter(
                f"the output folder cannot be the input folder {path}", param_hint="-o"
            )


def _report(single: bool, output: str | None, quiet: bool, progress: Progress) -> None:
    """The closing line on stderr; exit 1 when a document of a folder run failed."""
    if not quiet:
        if single:
            if output is not None:
                _message(f"wrote {printable(output)}")
        else:
            _message(progress.finish())
    if progress.counts["failed"]:
        sys.exit(EXIT_FAILURE)


def _install_sigterm_handler() -> None:
    """SIGTERM ends a run like Ctrl-C: finished work is kept (a folder run writes its
    manifest), one line says so, and the exit code is 130, for one article as for many."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _message(message: str) -> None:
    click.echo(message, err=True)
