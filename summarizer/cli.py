"""The `summarizer` command line: options, terminal output, exit codes.

Exit codes: 0 success, 1 a runtime failure (one line on stderr; in a folder run, at least
one document failed), 2 a usage error, 130 interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from summarizer import __version__
from summarizer.config import ENGINES
from summarizer.jobs import DEFAULT_GLOBS, Job, Plan, find_inputs, plan_jobs, run_jobs
from summarizer.errors import InputError, SummarizerError
from summarizer.progress import Progress

EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn any failure into one line and exit 1; --debug shows the traceback instead."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = kwargs.get("debug", False)
        try:
            with _cache_warnings_on_stderr():
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


def _apply(decorators: list[Callable[..., Any]], command: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate as if the decorators were written above `command` in this order."""
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


@contextlib.contextmanager
def _cache_warnings_on_stderr() -> Iterator[None]:
    """The cache says each problem once, as a CacheWarning; show it as one plain line."""
    from summarizer.cache import CacheWarning

    with warnings.catch_warnings():
        warnings.simplefilter("always", CacheWarning)
        show_others = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if issubclass(category, CacheWarning):
                click.echo(f"Warning: {message}", err=True)
            else:
                show_others(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


def cache_dir_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
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
            envvar="SUMMARIZER_CONFIG",
            help="models.toml to use [env: SUMMARIZER_CONFIG; default: ./models.toml, "
            "then the packaged one].",
        ),
        debug_option,
    ]
    return _apply(options, command)


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options of the commands that run models."""
    options = [
        cache_dir_option,
        click.option("--no-cache", is_flag=True, help="Neither read nor write the cache."),
        click.option("-q", "--quiet", is_flag=True, help="No progress messages on stderr."),
    ]
    return config_options(_apply(options, command))


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
    return run_options(_apply(options, command))


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
    keep_boilerplate: bool,
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
            raise InputError(f"no such file or folder: {path}")
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
            if output is not None:
                # Found out now, not after the models have run; the article is only read.
                _check_writable(output)
            _process_one(
                summarizer,
                paths[0],
                output,
                RENDERERS[output_format],
                summarize,
                source_lang,
                keep_boilerplate,
                quiet,
                write_atomically,
            )
            return
        if output is None and output_format != "json":
            what = f"{paths[0]} is a folder" if len(paths) == 1 else "several inputs"
            raise InputError(
                f"{what}: give -o OUTDIR for the outputs, or --format json for JSON Lines on stdout"
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
            keep_boilerplate=keep_boilerplate,
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


def _process_one(
    summarizer, path, output, render, summarize, source_lang, keep_boilerplate, quiet, write
) -> None:
    from summarizer.documents import read_document

    document = read_document(
        path, keep_boilerplate=keep_boilerplate, max_bytes=summarizer.config.max_input_bytes
    )
    result = summarizer.run(document, source_language=source_lang, name=path, summarize=summarize)
    if output is None:
        click.echo(render(result), nl=False)
    else:
        try:
            write(output, render(result))
        except OSError as exc:
            raise SummarizerError(_unwritable(output, exc)) from exc
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


def _check_writable(output: Path) -> None:
    """Fail with one line unless a file can be created in OUTPUT's folder."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise SummarizerError(_unwritable(output, exc)) from exc


def _unwritable(output: Path, exc: OSError) -> str:
    return f"cannot write {output}: {exc.strerror or exc}; choose another --output"


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

    return Cache(cache_dir)


@cache.command("info")
@cache_dir_option
@debug_option
@reports_errors
def cache_info(cache_dir: Path | None, debug: bool) -> None:
    """Show where the cache is, its size, and its entries per task and model."""
    store = _open_cache(cache_dir)
    try:
        info = store.info()
    finally:
        store.close()
    click.echo(f"location:     {info.path}")
    if not info.exists:
        click.echo("size on disk: 0 B (no cache yet)")
    else:
        click.echo(f"size on disk: {format_size(info.size_on_disk)}")
        span = (
            f" (oldest {_when(info.oldest)}, newest {_when(info.newest)})" if info.entries else ""
        )
        click.echo(f"entries:      {info.entries:,}{span}")
    if info.models:
        rows = [("TASK", "MODEL", "ENTRIES", "SIZE", "LAST USED")]
        rows += [
            (m.task, m.model, f"{m.entries:,}", format_size(m.size), _when(m.last_used))
            for m in info.models
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        click.echo("")
        for row in rows:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            click.echo("  ".join(cells).rstrip())
    if info.set_aside:
        click.echo(f"\ndamaged files set aside ({len(info.set_aside)}), safe to delete:")
        for path in info.set_aside:
            click.echo(f"  {path}")


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
    store = _open_cache(cache_dir)
    try:
        result = store.prune(max_bytes=max_size, older_than_days=older_than)
    finally:
        store.close()
    click.echo(
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
    """Remove every cached output, or one model's (asks first on a terminal)."""
    store = _open_cache(cache_dir)
    try:
        model = _resolve_model_name(model_name, config_path) if model_name else None
        count = store.count(model)
        what = f"model {model_name}'s" if model_name else "all"
        if count == 0:
            if model_name:
                raise SummarizerError(
                    f"the cache at {store.path} has no entries for model {model_name!r}; "
                    "`summarizer cache info` lists the models it holds"
                )
            click.echo(f"the cache at {store.path} is already empty")
            return
        if not yes and _stdin_is_terminal():
            click.confirm(f"Remove {what} {count:,} cached entries from {store.path}?", abort=True)
        removed = store.clear(model)
    finally:
        store.close()
    click.echo(f"removed {removed:,} entries from {store.path}")


def _resolve_model_name(name: str, config_path: Path | None) -> str:
    """A models.toml name becomes its hub id or folder; anything else is used as given."""
    from summarizer.config import load_config
    from summarizer.errors import ConfigError

    try:
        config = load_config(config_path)
    except ConfigError:
        if config_path is not None:
            raise
        return name
    spec = config.models.get(name)
    return spec.model if spec is not None else name


def _stdin_is_terminal() -> bool:
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


def main() -> None:
    cli(prog_name="summarizer")
