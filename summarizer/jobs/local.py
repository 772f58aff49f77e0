"""The local executor: a run's documents in windows, in this process."""

from __future__ import annotations

import errno
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from summarizer import files
from summarizer.config import Config
from summarizer.documents import STDIN, Document, read_document
from summarizer.errors import OutputError, SummarizerError
from summarizer.jobs.digest import DIGEST_CSV, DIGEST_MARKDOWN, digest_entry, write_digest
from summarizer.jobs.inputs import shown
from summarizer.jobs.manifest import MANIFEST, Manifest, Row, content_fingerprint, run_fingerprint
from summarizer.jobs.paths import (
    DEFAULT_GLOBS,
    Job,
    Plan,
    check_not_inputs,
    check_not_the_piped_input,
    check_single_output,
    check_writable,
    plan_run,
)
from summarizer.options import RunOptions
from summarizer.output import RENDERERS, render_json_line
from summarizer.pipeline import Article, Result, Summarizer
from summarizer.progress import Progress

if TYPE_CHECKING:
    from summarizer.jobs.ray_executor import RaySettings

# documents.read_document or a stand-in with its signature.
Reader = Callable[..., Document]
# Writing one output failed for a reason of its own (its name, what lies in its place),
# not the output folder's: that document fails, the others go on.
_ONE_DOCUMENT = {errno.ENAMETOOLONG, errno.EISDIR, errno.ENOTDIR, errno.ELOOP}


def windows(jobs: list[Job], size: int) -> Iterator[list[Job]]:
    """Consecutive groups of at most `size` jobs: the unit read, translated and released."""
    for start in range(0, len(jobs), size):
        yield jobs[start : start + size]


def run(
    summarizer: Summarizer,
    inputs: Sequence[str | Path],
    output: str | Path | None,
    options: RunOptions,
    output_format: str,
    *,
    progress: Progress,
    emit: Callable[[str], None],
    globs: tuple[str, ...] = DEFAULT_GLOBS,
    read: Reader = read_document,
    window_size: int = 32,
    on_result: Callable[[Result], None] | None = None,
    digest: bool = True,
    batch: bool = False,
    executor: RaySettings | None = None,
) -> Plan:
    """Run INPUTS (files, folders, URLs or "-") to OUTPUT (a name ending in "/" is a
    folder) as `plan_run` lays them out (`batch`: as many documents, even one); returns the
    plan that was run."""
    plan = plan_run(inputs, output, output_format, globs, batch=batch)
    run_plan(
        summarizer,
        plan,
        options,
        progress=progress,
        emit=emit,
        read=read,
        window_size=window_size,
        on_result=on_result,
        digest=digest,
        executor=executor,
    )
    return plan


def run_plan(
    summarizer: Summarizer,
    plan: Plan,
    options: RunOptions,
    *,
    progress: Progress,
    emit: Callable[[str], None],
    read: Reader = read_document,
    window_size: int = 32,
    on_result: Callable[[Result], None] | None = None,
    digest: bool = True,
    executor: RaySettings | None = None,
) -> None:
    """Process every job; outputs go to files (whole or not at all) or to `emit`, and each
    result delivered to `on_result` too (to report its flags). With `executor`, a folder
    run's documents are processed by Ray workers (ray_executor.py), and written here.

    In a folder run one document's failure is recorded and the others go on; a failure to
    write into OUTDIR stops the run, since every later document would fail the same way.
    A folder run that summarizes writes its digest once every document is done (`digest`).
    """
    progress.total = len(plan.jobs) + len(plan.refused)
    single_output = plan.jobs[0].output if plan.single else None
    # Found out now, not after the models have run; the article is only read.
    if single_output is not None and not check_single_output(
        str(plan.jobs[0].source), single_output
    ):
        check_writable(single_output)
    manifest = fingerprint = None
    if plan.outdir is not None:
        manifest = _open_manifest(plan, plan.outdir, digest and options.summarize, progress)
        fingerprint = run_fingerprint(summarizer, options, plan.output_format)
    runner = _Runner(
        summarizer, plan, options, progress, emit, read, manifest, fingerprint, on_result
    )
    failed: BaseException | None = None
    try:
        for source, reason in plan.refused:
            runner.record(Row(shown(source), None, "failed", error=reason))
        _run_jobs(runner, window_size, executor)
    except BaseException as exc:
        failed = exc
        raise
    finally:
        if manifest is not None:
            _in_plan_order(manifest.rows, plan)
            try:
                manifest.close()
            except SummarizerError:
                # The run's own failure (often the same unwritable folder) says more.
                if failed is None:
                    raise
    if manifest is not None and digest and options.summarize:
        write_digest(plan.outdir, manifest.rows)


def _run_jobs(runner: _Runner, window_size: int, executor: RaySettings | None) -> None:
    """The plan's jobs, in windows here or on Ray."""
    if executor is None:
        for window in windows(runner.plan.jobs, window_size):
            runner.window(window)
        return
    from summarizer.jobs.ray_executor import run_on_ray

    if runner.read is not read_document:
        raise ValueError("the Ray executor's workers read with read_document")
    run_on_ray(runner, executor)


def _open_manifest(plan: Plan, outdir: Path, digest: bool, progress: Progress) -> Manifest:
    """OUTDIR made (never through a link), the run's own files checked against its inputs,
    the previous run's manifest and journal read, a killed run's temporaries removed."""
    try:
        files.safe_folder(outdir, "")
    except OSError as exc:
        raise OutputError.from_os_error(outdir, exc, folder=True) from exc
    check_not_inputs(plan, [MANIFEST] + ([DIGEST_MARKDOWN, DIGEST_CSV] if digest else []))
    manifest = Manifest(outdir, lambda line: progress.message(f"Warning: {line}"))
    files.remove_stale_temporaries(outdir)
    return manifest


def _in_plan_order(rows: list[Row], plan: Plan) -> None:
    """Rows in the order of the plan's inputs, refused ones first, whichever order the
    documents finished in: both executors write the same manifest."""
    order = [shown(source) for source, _reason in plan.refused]
    order += [shown(job.source) for job in plan.jobs]
    position = {files.printable(name): number for number, name in enumerate(order)}
    rows.sort(key=lambda row: position.get(row.input, len(position)))


@dataclass
class _Runner:
    """One run's windows: read, skip what is current, run, render, deliver, record."""

    summarizer: Summarizer
    plan: Plan
    options: RunOptions
    progress: Progress
    emit: Callable[[str], None]
    read: Reader
    manifest: Manifest | None
    run_fingerprint: str | None
    on_result: Callable[[Result], None] | None = None

    def window(self, window: list[Job]) -> None:
        pending = [item for item in map(self._prepare, window) if item is not None]
        if not pending:
            return
        articles = [Article(article_name(job), doc) for job, doc, _ in pending]
        outcomes = self.summarizer.run_batch(articles, self.options)
        for (job, _document, fingerprint), outcome in zip(pending, outcomes, strict=True):
            self.finish(job, outcome, fingerprint)

    def finish(self, job: Job, outcome: Result | SummarizerError, fingerprint: str | None) -> None:
        """Deliver and record one job's result, or record its failure."""
        if isinstance(outcome, SummarizerError):
            self._fail(job, outcome)
            return
        refused = self._deliver(job, self._render(outcome), outcome.source_text)
        if refused is not None:
            self._fail(job, refused)
            return
        stats = outcome.stats["translation"]
        self.record(
            Row(
                shown(job.source),
                _output_name(job),
                "written",
                source_language=outcome.source_language,
                segments=stats["segments"],
                cache_hits=stats["cache_hits"],
                cache_misses=stats["cache_misses"],
                seconds=outcome.seconds,
                flagged=outcome.flagged,
                fingerprint=fingerprint,
                digest=digest_entry(outcome) if self.options.summarize else None,
            )
        )
        if self.on_result is not None:
            self.on_result(outcome)

    def settled(self, job: Job) -> bool:
        """Whether a job needs no run (its output is current, or its input cannot be read),
        recorded as such. Only an input the last run saw is read: one with no earlier
        output or failure is left for a cluster's workers to read."""
        assert self.manifest is not None and job.output is not None
        name = files.printable(job.output)
        if name not in self.manifest.previous and name not in self.manifest.failed_before:
            return False
        return self._prepare(job) is None

    def _prepare(self, job: Job) -> tuple[Job, Document, str | None] | None:
        """The job's document, unless it cannot be read or its output is current."""
        try:
            document = read_input(self.read, job.source, self.summarizer.config, self.options)
        except SummarizerError as exc:
            self._fail(job, exc)
            return None
        if self.manifest is None or self.run_fingerprint is None:
            return job, document, None
        fingerprint = content_fingerprint(document, self.run_fingerprint)
        previous = self.manifest.is_current(job, fingerprint)
        if previous is None:
            return job, document, fingerprint
        self.record(
            Row(
                shown(job.source),
                _output_name(job),
                "up_to_date",
                source_language=previous.source_language,
                segments=previous.segments,
                flagged=previous.flagged,
                fingerprint=fingerprint,
                digest=previous.digest,
            )
        )
        return None

    def _render(self, result: Result) -> str:
        if self.plan.output_format == "jsonl":
            return render_json_line(result)
        return RENDERERS[self.plan.output_format](result)

    def _deliver(self, job: Job, content: str, source_text: str) -> OutputError | None:
        """Emit or write one output; returns the error of one that cannot be written for a
        reason of its own, and raises one that stops the run."""
        if job.output is None:
            self.emit(content)
        elif self.plan.outdir is None:
            if str(job.source) == STDIN:
                check_not_the_piped_input(job.output, source_text, content, self._read_plain)
            try:
                if check_single_output(str(job.source), job.output):
                    files.write_into(job.output, content)
                else:
                    files.write_atomically(job.output, content)
            except OSError as exc:
                raise OutputError.from_os_error(job.output, exc) from exc
        else:
            try:
                files.write_atomically(job.output, content, root=self.plan.outdir)
            except OSError as exc:
                if exc.errno in _ONE_DOCUMENT:
                    where = exc.filename or self.plan.outdir / job.output
                    return OutputError(files.printable(where), str(exc.strerror or exc))
                raise OutputError.from_os_error(self.plan.outdir, exc, folder=True) from exc
        return None

    def _read_plain(self, path: str) -> Document:
        return self.read(path, keep_boilerplate=self.options.keep_boilerplate)

    def _fail(self, job: Job, error: SummarizerError) -> None:
        """One document failed: a single document's run fails; a folder run goes on."""
        if self.plan.single:
            raise error
        self.record(Row(shown(job.source), _output_name(job), "failed", error=str(error)), error)

    def record(self, row: Row, error: SummarizerError | None = None) -> None:
        """Count and keep `row`; a failure is said in one line that names the input once:
        the error's own line when its `path` is the input, else the input, then the line.
        Without an output folder, a failure is also a JSON line: {"input": ..., "error": ...}."""
        row.input = files.printable(row.input)
        row.error = None if row.error is None else files.printable(row.error)
        self.progress.document(row.status, flagged=row.flagged)
        if row.status == "failed":
            path = getattr(error, "path", None)
            about_input = path is not None and files.printable(path) == row.input
            line = row.error if about_input else f"{row.input}: {row.error}"
            self.progress.message(f"failed: {line}")
            if self.plan.output_format == "jsonl":
                self.emit(json.dumps({"input": row.input, "error": row.error}) + "\n")
        if self.manifest is not None:
            self.manifest.record(row)


def read_input(read: Reader, source: Path | str, config: Config, options: RunOptions) -> Document:
    """An input's document (a file's, or a URL's), read with the run's settings, by the
    local executor and by a Ray worker alike."""
    return read(
        str(source),
        keep_boilerplate=options.keep_boilerplate,
        max_bytes=config.max_input_bytes,
        summarize=options.summarize,
        fetch_settings=config.fetch_settings(),
    )


def article_name(job: Job) -> str:
    """What a job's input is called in results and messages."""
    return files.printable(shown(job.source))


def _output_name(job: Job) -> str | None:
    return files.printable(job.output) if job.output is not None else None
