"""`summarizer summarize` and `summarizer translate`: options in, jobs.run, a summary out."""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from summarizer import jobs
from summarizer.cli import cli
from summarizer.cli.article_options import article_options, length_option, no_digest_option
from summarizer.cli.errors import EXIT_FAILURE, EXIT_FLAGGED, echo, reports_errors, warn
from summarizer.cli.executor import executor_settings
from summarizer.config import Config
from summarizer.errors import InputError, OutputError
from summarizer.files import printable
from summarizer.options import RunOptions
from summarizer.pipeline import Result
from summarizer.progress import Progress


@cli.command()
@article_options
@click.option(
    "--summarizer",
    "summarizer_name",
    metavar="NAME",
    help="A summarization model declared in models.toml, instead of [pipeline] summarizer.",
)
@length_option
@no_digest_option
@reports_errors
def summarize(**options: Any) -> None:
    """Translate articles to English when needed and summarize them.

    PATH is a file (text, saved web page, PDF or Word .docx), an http(s) URL, - for stdin,
    or a folder (searched recursively). One input prints its summary; folders and several
    inputs need -o OUTDIR (or --format json for JSON Lines on stdout), where a rerun skips
    documents whose output is current and OUTDIR/digest.md and digest.csv list them all.
    """
    _process(summarize=True, **options)


@cli.command()
@article_options
@reports_errors
def translate(**options: Any) -> None:
    """Translate articles to English (English ones are passed through).

    PATH is a file (text, saved web page, PDF or Word .docx), an http(s) URL, - for stdin,
    or a folder (searched recursively); see `summarize` for how outputs are laid out.
    """
    _process(summarize=False, summarizer_name=None, length="medium", no_digest=True, **options)


@dataclass(frozen=True)
class _Request:
    """The options of `summarize` and `translate`, as click parsed them."""

    summarize: bool
    paths: tuple[str, ...]
    input_list: str | None
    no_digest: bool
    output_format: str
    output: str | None
    globs: tuple[str, ...]
    source_lang: str | None
    engine: str | None
    summarizer_name: str | None
    translator_name: str | None
    length: str
    keep_boilerplate: bool
    config_path: Path | None
    cache_dir: Path | None
    no_cache: bool
    no_checks: bool
    strict: bool
    verbose: bool
    quiet: bool
    debug: bool
    executor: str
    ray_address: str | None
    workers: int | None
    threads_per_worker: int | None


def _process(**options: Any) -> None:
    from summarizer.pipeline import Summarizer

    run = _Request(**options)
    _install_sigterm_handler()  # before anything that may wait: an input list on a pipe
    if run.quiet:
        # Read by huggingface_hub when it is imported, which happens later if at all.
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    paths = run.paths + _listed(run.input_list, run.paths)
    single = run.input_list is None and jobs.is_single(paths, run.output)
    if "-" in paths and not single:
        raise click.UsageError("- (stdin) can only be used alone")
    if run.strict and run.no_checks:
        raise click.UsageError("--strict needs the checks: drop --no-checks")
    executor = executor_settings(
        run.executor, run.ray_address, run.workers, run.threads_per_worker, single, run.output
    )
    progress = Progress(0, enabled=not run.quiet and not single)
    progress.flagged = None if run.no_checks else 0
    summarizer = Summarizer(
        run.config_path,
        cache_dir=run.cache_dir,
        use_cache=not run.no_cache,
        summarizer=run.summarizer_name,
        translator=run.translator_name,
        engine=run.engine,
        on_progress=_message if single and not run.quiet else None,
        on_segments=progress.add_segments,
        on_warning=warn,
    )
    options = _run_options(run, summarizer.config)
    try:
        # A listed input that is missing fails alone, in the manifest; a named one at once.
        _check_paths(run.paths, run.output, single)
        if not single:
            _check_folder_run(paths, run.output, run.output_format, listed=bool(run.input_list))
        jobs.run(
            summarizer,
            paths,
            run.output,
            options,
            run.output_format,
            progress=progress,
            emit=lambda text: echo(text, nl=False),
            globs=run.globs or jobs.DEFAULT_GLOBS,
            on_result=_FlagReport(single, run.verbose, run.quiet, progress),
            digest=not run.no_digest,
            batch=not single,
            executor=executor,
        )
    finally:
        summarizer.close()
    _report(single, run.output, run.quiet, progress, run.strict)


def _run_options(run: _Request, config: Config) -> RunOptions:
    """What each article is asked for, from the command line."""
    return RunOptions(
        # Normalised and checked against models.toml: a LanguageError lists what it serves.
        source_language=config.source_language(run.source_lang) if run.source_lang else None,
        summarize=run.summarize,
        keep_boilerplate=run.keep_boilerplate,
        checks=not run.no_checks,
        length=run.length,
        # The text format shows the summary alone: one made from the article's own
        # language (summarize_from = "source") needs no translation.
        translation=not (
            run.summarize and run.output_format == "text" and config.summarize_from == "source"
        ),
    )


def _listed(input_list: str | None, paths: tuple[str, ...]) -> tuple[str, ...]:
    """The inputs --input-list names; none given at all is a usage error."""
    if input_list is None:
        if not paths:
            raise click.UsageError("give a PATH (a file, folder, URL or -) or --input-list FILE")
        return ()
    if input_list == "-" and "-" in paths:
        raise click.UsageError("standard input cannot be both the input list and an article")
    listed = tuple(jobs.read_input_list(input_list))
    shown = "standard input" if input_list == "-" else input_list
    if not listed and not paths:
        raise InputError("the input list {path} names no input", path=shown)
    if "-" in listed:
        raise InputError("the input list {path} names - (stdin): not an input", path=shown)
    return listed


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


def _check_folder_run(
    paths: tuple[str, ...], output: str | None, output_format: str, *, listed: bool
) -> None:
    """Folders, several files and input lists need an output folder, or JSON Lines."""
    if output is None:
        if output_format == "json":
            return
        if listed:
            what = "an input list is a batch run"
        else:
            what = "{path} is a folder" if len(paths) == 1 else "several inputs"
        raise InputError(
            f"{what}: give -o OUTDIR for the outputs, or --format json for JSON Lines on stdout",
            path=paths[0] if len(paths) == 1 and not listed else None,
        )
    if os.path.exists(output) and not os.path.isdir(output):
        shown = printable(output)
        raise click.BadParameter(f"{shown} exists and is not a folder", param_hint="-o")
    for path in map(Path, paths):
        if path.is_dir() and os.path.realpath(path) == os.path.realpath(output):
            raise click.BadParameter(
                f"the output folder cannot be the input folder {path}", param_hint="-o"
            )


def _report(
    single: bool, output: str | None, quiet: bool, progress: Progress, strict: bool
) -> None:
    """The closing line on stderr; exit 1 when a document of a folder run failed, else 3
    under --strict when the checks left something to review."""
    if not quiet:
        if single:
            if output is not None:
                _message(f"wrote {printable(output)}")
        else:
            _message(progress.finish())
    if progress.counts["failed"]:
        sys.exit(EXIT_FAILURE)
    if strict and progress.flagged:
        sys.exit(EXIT_FLAGGED)


class _FlagReport:
    """What the checks left doubtful, on stderr: one line for one article ("N sentences to
    review"), and with --verbose every sentence and claim with its reasons."""

    def __init__(self, single: bool, verbose: bool, quiet: bool, progress: Progress) -> None:
        self.single, self.verbose, self.quiet, self.progress = single, verbose, quiet, progress

    def __call__(self, result: Result) -> None:
        if self.quiet or not result.flagged or not (self.single or self.verbose):
            return
        checks = result.checks or {}
        sentences, claims = len(checks["translation"]), len(checks["summary"])
        parts = [_count(sentences, "sentence") + " to review"] if sentences else []
        if claims:
            parts.append(_count(claims, "summary claim") + " not found in the article")
        where = "" if self.single else f"{result.input}: "
        lines = [where + ", ".join(parts) + ("" if self.verbose else " (-v lists them)")]
        if self.verbose:
            lines += [_flag_line(flag) for flag in checks["translation"]]
            lines += [f"  summary: {c['kind']} {c['text']!r}" for c in checks["summary"]]
        # Model output may hold control characters: shown escaped, never sent to the terminal.
        say = _message if self.single else self.progress.message
        for line in lines:
            say(printable(line))


def _flag_line(flag: dict[str, Any]) -> str:
    confidence = flag["confidence"]
    sure = f"; confidence {confidence:.2f}" if confidence is not None else ""
    return (
        f"  paragraph {flag['paragraph'] + 1}, sentence {flag['sentence'] + 1} "
        f"[{', '.join(flag['problems'])}{sure}]: {flag['translation']}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _install_sigterm_handler() -> None:
    """SIGTERM ends a run like Ctrl-C: finished work is kept (a folder run writes its
    manifest), one line says so, and the exit code is 130, for one article as for many."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _message(message: str) -> None:
    click.echo(message, err=True)
