"""The options of `summarize` and `translate`."""

from __future__ import annotations

from typing import Any

import click

from summarizer import jobs
from summarizer.cli import apply, run_options
from summarizer.cli.executor import executor_options
from summarizer.config import ENGINES


def article_options(command: Any) -> Any:
    """Inputs, outputs and routing, shared by `summarize` and `translate`."""
    options = [
        click.argument("paths", nargs=-1, metavar="PATH..."),
        input_list_option,
        click.option(
            "--format",
            "output_format",
            type=click.Choice(["text", "markdown", "bilingual", "json"]),
            default="text",
            show_default=True,
            help="text: the summary (translate: the English text); markdown: title and "
            "byline, Summary and Translation sections; bilingual: markdown pairing each "
            "source sentence with its translation, paragraph by paragraph; json: everything "
            "(JSON Lines for several inputs on stdout).",
        ),
        click.option(
            "-o",
            "--output",
            # A str, not a Path: a trailing slash ("-o new/") says a folder is meant.
            type=click.Path(),
            help="For one file: write to this file (an existing input, link or special "
            "file is refused; a FIFO or device is written into). For folders, several "
            "files, or a name ending in /: the output folder, mirroring the input tree "
            "(OUTDIR/REL/NAME.txt|.md|.json; a URL's output is OUTDIR/HOST/SLUG.EXT).",
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
        model_options,
        check_options,
        executor_options,
    ]
    return run_options(apply(options, command))


def model_options(command: Any) -> Any:
    """Which models run, and on which engine, overriding models.toml."""
    options = [
        click.option(
            "--translator",
            "translator_name",
            metavar="NAME",
            help="A translation model declared in models.toml, serving every language it "
            "reads instead of [pipeline.translators] (a one-pair model takes over its "
            "source language only; the others keep their translators).",
        ),
        click.option(
            "--engine",
            type=click.Choice(list(ENGINES)),
            help="Run every model with this engine instead of its models.toml `engine` "
            "(ctranslate2: converted once, int8 unless compute_type says otherwise).",
        ),
    ]
    return apply(options, command)


def input_list_option(command: Any) -> Any:
    """--input-list: inputs read from a file, a pipe or stdin."""
    return click.option(
        "--input-list",
        metavar="FILE",
        help="Read more inputs from FILE (- for stdin, or a pipe): one path or URL per "
        "line; blank lines and lines starting with # are skipped, an entry listed twice "
        "is read once, relative paths are taken from the current folder. A listed input "
        "that is missing fails alone. Always a batch run: give -o OUTDIR or --format json.",
    )(command)


def check_options(command: Any) -> Any:
    """The fidelity checks: off, strict, listed."""
    options = [
        click.option(
            "--no-checks",
            is_flag=True,
            help="Skip the checks of each translated sentence (numbers, repetition, "
            "untranslated text, length, model confidence) and of the summary's names and "
            "numbers, and their retries: outputs are the models' first attempts, unflagged.",
        ),
        click.option(
            "--strict",
            is_flag=True,
            help="Exit with code 3 when the checks leave any sentence or claim to review.",
        ),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            help="List each sentence and summary claim left to review, with its reasons.",
        ),
    ]
    return apply(options, command)


def no_digest_option(command: Any) -> Any:
    return click.option(
        "--no-digest",
        is_flag=True,
        help="Do not write OUTDIR/digest.md and OUTDIR/digest.csv, the overview of a folder "
        "run: one entry per article (title, date, site, language, flags, summary).",
    )(command)


def length_option(command: Any) -> Any:
    return click.option(
        "--length",
        type=click.Choice(["short", "medium", "long"]),
        default="medium",
        show_default=True,
        help="How long summaries are: a chat summarizer is asked for 2, 4 or 8 sentences; "
        "every summarizer's length bounds are halved, kept or doubled.",
    )(command)
