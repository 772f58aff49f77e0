"""`summarizer eval translate` and `summarizer eval summarize`: a model measured on the
user's own reference texts, as a table or JSON, with what produced the figures."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from summarizer.cli import apply, cli, run_options
from summarizer.cli.errors import echo, reports_errors, warn
from summarizer.config import ENGINES
from summarizer.jobs.paths import DEFAULT_GLOBS
from summarizer.progress import Progress, format_duration

if TYPE_CHECKING:
    from summarizer.evaluate import Evaluation

LABELS = {"rouge1": "ROUGE-1", "rouge2": "ROUGE-2", "rougeL": "ROUGE-L"}


@cli.group("eval")
def eval_group() -> None:
    """Measure a translator or a summarizer on your own reference texts."""


def eval_options(command: Any) -> Any:
    """Output, size and model choices shared by both measures."""
    options = [
        click.option(
            "--format",
            "output_format",
            type=click.Choice(["table", "json"]),
            default="table",
            show_default=True,
            help="table: the corpus figures, their signatures and the models; json: the "
            "same, and every item's output, reference and scores.",
        ),
        click.option(
            "--limit",
            type=click.IntRange(min=1),
            metavar="N",
            help="Measure only the first N items (lines, or articles in the order found).",
        ),
        click.option(
            "--source-lang",
            metavar="LANG",
            help="The sources' language, skipping detection (an ISO 639-1 code such as fr); "
            "without it each line or article is detected on its own.",
        ),
        click.option(
            "--engine",
            type=click.Choice(list(ENGINES)),
            help="Run every model with this engine instead of its models.toml `engine`.",
        ),
        click.option(
            "--no-checks",
            is_flag=True,
            help="Measure the models' first attempts: no checks, no retries, no flags.",
        ),
    ]
    return run_options(apply(options, command))


@eval_group.command("translate")
@click.argument("corpus", metavar="PAIRS.tsv|SRC.txt")
@click.option(
    "--references",
    metavar="REF.txt",
    help="The reference translations, line-parallel to SRC.txt; without it, each line of "
    "PAIRS.tsv is a source, a tab and its reference.",
)
@eval_options
@reports_errors
def eval_translate(corpus: str, references: str | None, limit: int | None, **options: Any) -> None:
    """Translate each source line and score the corpus with chrF and BLEU (sacrebleu).

    Every line goes through the pipeline and its cache, so a second run computes nothing.
    """
    from summarizer.evaluate import evaluate_translation, read_pairs, read_parallel

    _measure(
        evaluate_translation,
        lambda: read_parallel(corpus, references) if references else read_pairs(corpus),
        limit,
        unit="lines",
        summarizer_name=None,
        corpus=corpus,
        references=references,
        **options,
    )


@eval_group.command("summarize")
@click.argument("paths", nargs=-1, required=True, metavar="ARTICLE...")
@click.option(
    "--references",
    "refdir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="REFDIR",
    help="The reference summaries: DIR/REL/NAME.EXT has REFDIR/REL/NAME.txt (or NAME "
    "followed by --reference-suffix).",
)
@click.option(
    "--reference-suffix",
    metavar="SUFFIX",
    help="Reference files are NAME followed by SUFFIX (.summary.txt): in REFDIR, or without "
    "--references beside each article (such files are then not articles).",
)
@click.option(
    "--glob",
    "globs",
    multiple=True,
    metavar="PATTERN",
    help=f"Which files to take from folders (repeatable) [default: {' '.join(DEFAULT_GLOBS)}].",
)
@click.option(
    "--summarizer",
    "summarizer_name",
    metavar="NAME",
    help="A summarization model declared in models.toml, instead of [pipeline] summarizer.",
)
@eval_options
@reports_errors
def eval_summarize(
    paths: tuple[str, ...],
    refdir: Path | None,
    reference_suffix: str | None,
    globs: tuple[str, ...],
    limit: int | None,
    **options: Any,
) -> None:
    """Summarize each article and score the summaries with ROUGE-1/2/L F1 (rouge-score).

    ARTICLE is a file or a folder (searched recursively, as `summarizer summarize` does).
    """
    from summarizer.evaluate import evaluate_summaries, find_summary_cases

    if refdir is None and not reference_suffix:
        raise click.UsageError("give --references REFDIR, or --reference-suffix SUFFIX")
    if reference_suffix is not None and not reference_suffix.strip("."):
        raise click.BadParameter("must be more than dots", param_hint="--reference-suffix")
    shown = "the articles' folders" if refdir is None else str(refdir)
    _measure(
        evaluate_summaries,
        lambda: find_summary_cases(
            paths,
            references=refdir,
            suffix=reference_suffix or ".txt",
            globs=globs or DEFAULT_GLOBS,
        ),
        limit,
        unit="articles",
        corpus=" ".join(paths),
        references=f"{shown} (NAME{reference_suffix or '.txt'})",
        **options,
    )


def _measure(
    measure: Callable[..., Evaluation],
    read: Callable[[], Sequence[Any]],
    limit: int | None,
    *,
    unit: str,
    output_format: str,
    source_lang: str | None,
    engine: str | None,
    summarizer_name: str | None,
    config_path: Path | None,
    cache_dir: Path | None,
    no_cache: bool,
    no_checks: bool,
    quiet: bool,
    debug: bool,
    **where: Any,
) -> None:
    """Run `measure` on what `read` gives (its first `limit` items) with a Summarizer made
    from the shared options, showing progress on stderr, then print the figures. The options
    are checked first, then the inputs, before any model runs."""
    from summarizer.pipeline import Summarizer

    if quiet:
        # Read by huggingface_hub when it is imported, which happens later if at all.
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    started = time.monotonic()
    progress = Progress(0, enabled=not quiet, unit=unit)
    summarizer = Summarizer(
        config_path,
        cache_dir=cache_dir,
        use_cache=not no_cache,
        summarizer=summarizer_name,
        engine=engine,
        on_segments=progress.add_segments,
        on_warning=warn,
    )
    _install_sigterm_handler()

    def scored(count: int) -> None:
        for _ in range(count):
            progress.document("written")

    try:
        # Normalised and checked against models.toml: a LanguageError lists what it serves.
        language = summarizer.config.source_language(source_lang) if source_lang else None
        work = read()[:limit]
        progress.total = len(work)
        where["checks"] = not no_checks
        evaluation = measure(summarizer, work, source_language=language, on_done=scored, **where)
    finally:
        summarizer.close()
        progress.finish()  # clears the bar
    if not quiet:
        elapsed = format_duration(time.monotonic() - started)
        count = len(evaluation.items)
        what = unit.removesuffix("s") if count == 1 else unit
        click.echo(f"scored {count} {what} in {elapsed}", err=True)
    _print(evaluation, output_format)


def _print(evaluation: Evaluation, output_format: str) -> None:
    if output_format == "json":
        echo(json.dumps(evaluation.to_dict(), ensure_ascii=False, indent=2))
    else:
        echo(render_table(evaluation), nl=False)


def _install_sigterm_handler() -> None:
    """SIGTERM ends a measure like Ctrl-C: one line, exit 130, finished batches cached."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def render_table(evaluation: Evaluation) -> str:
    """The corpus row, what the figures were computed with, and the models."""
    summaries = evaluation.task == "summarization"
    header = ["CORPUS", "ITEMS", *(LABELS.get(name, name) for name in evaluation.scores)]
    row = [evaluation.corpus, str(len(evaluation.items))]
    row += [f"{score:.4f}" if summaries else f"{score:.2f}" for score in evaluation.scores.values()]
    checked = evaluation.checked > 0
    rate = evaluation.flagged_rate
    header.append("FLAGGED")
    row.append(f"{evaluation.flagged} ({rate:.1%})" if rate is not None else "-")
    if summaries:
        header.append("UNSUPPORTED")
        row.append(str(evaluation.unsupported) if checked else "-")
    header.append("SECONDS")
    row.append(f"{evaluation.seconds:.1f}")
    lines = _columns([header, row], numbers_from=1)
    lines += ["", f"references: {evaluation.references}"]
    languages = ", ".join(f"{code} {count}" for code, count in evaluation.source_languages.items())
    lines.append(f"source languages: {languages}")
    lines.append(f"cache: {_cache_line(evaluation.stats)}")
    if not checked:
        lines.append("flagged: - means the pipeline ran no fidelity checks")
    lines.append("")
    lines += [f"{name} signature: {text}" for name, text in evaluation.signatures.items()]
    if not summaries:
        lines += [
            f"per-item {name} signature: {text}"
            for name, text in evaluation.item_signatures.items()
        ]
    lines.append("")
    lines += _columns(
        [["MODEL", "TASK", "ENGINE", "REVISION", "PATH OR HUB ID"]]
        + [
            [m.name, m.task, f"{m.engine} {m.compute_type}", m.revision or "-", m.model]
            for m in evaluation.models
        ]
    )
    for model in evaluation.models:
        lines.append(f"{model.name} generation: {_settings(model.generation)}")
        lines.append(f"{model.name} retry: {_settings(model.retry) if model.retry else 'none'}")
        if model.checks is not None:
            lines.append(f"{model.name} checks: {_settings(model.checks)}")
    return "\n".join(lines) + "\n"


def _settings(settings: dict[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in settings.items())


def _columns(rows: list[list[str]], numbers_from: int | None = None) -> list[str]:
    """Aligned columns; those from `numbers_from` on are right-aligned, as figures are."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    first_number = len(widths) if numbers_from is None else numbers_from
    return [
        "  ".join(
            cell.rjust(width) if i >= first_number else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _cache_line(stats: dict[str, dict[str, int]]) -> str:
    """Look-ups per stage that made any: "translation 50 segments, 50 hits, 0 misses"."""
    parts = []
    for stage, counts in stats.items():
        hits, misses = counts.get("cache_hits", 0), counts.get("cache_misses", 0)
        if hits or misses:
            unit = "segments" if stage == "translation" else "chunks"
            size = counts.get(unit, 0)
            parts.append(f"{stage} {size} {unit}, {hits} hits, {misses} misses")
    return "; ".join(parts) or "no look-ups"
