"""Many articles: folder walking, output paths, resume, manifest.

A folder run reads documents in bounded windows (memory stays flat however large the
folder), hands each window to the pipeline so that their sentences share model batches,
writes every output whole or not at all, and records in OUTDIR/manifest.jsonl what
became of each input. A rerun skips the documents whose output is current.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from summarizer.documents import Document, read_document
from summarizer.errors import SummarizerError
from summarizer.output import write_atomically
from summarizer.pipeline import Article, Result, Summarizer
from summarizer.progress import Progress

DEFAULT_GLOBS = ("*.txt", "*.text", "*.html", "*.htm")
MANIFEST = "manifest.jsonl"
# Rows of the run in progress, one per finished document; a killed run leaves it behind
# and the next run reads it, so finished documents are not redone.
JOURNAL = ".manifest.jsonl.partial"
# Temporary output files are named .NAME.PID.RANDOM.tmp (see output.write_atomically).
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


@dataclass(frozen=True)
class Job:
    """One input file and where its output goes."""

    source: Path
    # The output path relative to OUTDIR, None when writing to stdout.
    output: Path | None


@dataclass
class Row:
    """One line of manifest.jsonl."""

    input: str
    output: str | None
    status: str  # "written", "up_to_date" or "failed"
    source_language: str | None = None
    segments: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    seconds: float = 0.0
    error: str | None = None
    # What the output was made from: input content, models, settings, format.
    fingerprint: str | None = None


@dataclass
class Plan:
    jobs: list[Job] = field(default_factory=list)
    # Inputs refused before any work: (path, reason).
    refused: list[tuple[Path, str]] = field(default_factory=list)


def find_inputs(paths: list[Path], globs: tuple[str, ...], outdir: Path | None) -> list[Path]:
    """Files named on the command line, and the matching files under folders, sorted.

    Hidden files and folders are skipped, symbolic links to folders are not followed, and
    OUTDIR is never searched, so a run never reads its own outputs.
    """
    excluded = os.path.realpath(outdir) if outdir is not None else None
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        for folder, subfolders, files in os.walk(path):
            subfolders[:] = sorted(
                name
                for name in subfolders
                if not name.startswith(".")
                and not _inside(os.path.realpath(os.path.join(folder, name)), excluded)
            )
            for name in sorted(files):
                if not name.startswith(".") and any(fnmatch.fnmatch(name, g) for g in globs):
                    found.append(Path(folder) / name)
    return found


def plan_jobs(paths: list[Path], outdir: Path, globs: tuple[str, ...], extension: str) -> Plan:
    """Map every input to OUTDIR/REL/NAME.EXT, refusing any that would be unsafe."""
    plan = Plan()
    outdir_real = os.path.realpath(outdir)
    inputs: list[tuple[Path, Path]] = []
    for root in paths:
        for source in find_inputs([root], globs, outdir):
            relative = source.relative_to(root) if root.is_dir() else Path(source.name)
            inputs.append((source, relative.with_suffix(extension)))
    input_files = {os.path.realpath(source) for source, _ in inputs}
    claimed: dict[Path, Path] = {}
    for source, relative in inputs:
        target = os.path.realpath(outdir / relative)
        if not _inside(target, outdir_real):
            plan.refused.append((source, f"its output {outdir / relative} would leave {outdir}"))
        elif target in input_files:
            plan.refused.append((source, f"its output {outdir / relative} is an input file"))
        elif relative in claimed:
            plan.refused.append((source, f"its output {relative} is also {claimed[relative]}'s"))
        else:
            claimed[relative] = source
            plan.jobs.append(Job(source, relative))
    return plan


def _inside(path: str, folder: str | None) -> bool:
    return folder is not None and (
        path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
    )


def safe_output_path(outdir: Path, relative: Path) -> Path:
    """OUTDIR/relative, checked again just before writing: no link may lead outside."""
    target = outdir / relative
    outdir_real = os.path.realpath(outdir)
    if not _inside(os.path.realpath(target), outdir_real):
        raise SummarizerError(f"refusing to write {target}: it would leave {outdir}")
    return target


def remove_stale_temporaries(outdir: Path) -> int:
    """Delete temporary files that killed runs left in OUTDIR; returns how many."""
    removed = 0
    for folder, _subfolders, files in os.walk(outdir):
        for name in files:
            match = _TEMPORARY.match(name)
            if match and not _process_alive(int(match.group(1))):
                try:
                    os.unlink(os.path.join(folder, name))
                    removed += 1
                except OSError:
                    pass
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def content_fingerprint(document: Document, run_fingerprint: str) -> str:
    """Identifies an output: the input's content and everything that shaped the result."""
    content = json.dumps([run_fingerprint, asdict(document)], ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()


class Manifest:
    """manifest.jsonl of the last run, plus the journal of a run that was killed."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        self.previous: dict[str, Row] = {}
        for name in (MANIFEST, JOURNAL):
            for row in _read_rows(outdir / name):
                if row.status != "failed" and row.output is not None:
                    self.previous[row.output] = row
        self.rows: list[Row] = []
        self._journal = None

    def is_current(self, job: Job, fingerprint: str) -> Row | None:
        """The previous row when job's output exists and was made from the same things."""
        assert job.output is not None
        row = self.previous.get(str(job.output))
        if row and row.fingerprint == fingerprint and (self.outdir / job.output).is_file():
            return row
        return None

    def record(self, row: Row) -> None:
        """Keep a row, and journal it at once so a killed run does not redo the document."""
        self.rows.append(row)
        try:
            if self._journal is None:
                self.outdir.mkdir(parents=True, exist_ok=True)
                self._journal = open(self.outdir / JOURNAL, "a", encoding="utf-8")  # noqa: SIM115
            self._journal.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")
            self._journal.flush()
        except OSError as exc:
            raise unwritable(self.outdir, exc) from exc

    def close(self, write: Callable[[Path, str], None]) -> None:
        """Write manifest.jsonl whole, then drop the journal."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if not self.rows:
            return
        lines = "".join(json.dumps(asdict(row), ensure_ascii=False) + "\n" for row in self.rows)
        try:
            write(self.outdir / MANIFEST, lines)
            (self.outdir / JOURNAL).unlink(missing_ok=True)
        except OSError as exc:
            raise unwritable(self.outdir, exc) from exc


def unwritable(outdir: Path, exc: OSError) -> SummarizerError:
    return SummarizerError(
        f"cannot write in {outdir}: {exc.strerror or exc}; check that it is a writable folder "
        "with free space"
    )


def _read_rows(path: Path) -> Iterator[Row]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return
    for line in lines:
        try:
            yield Row(**json.loads(line))
        except (ValueError, TypeError):
            continue  # a line cut short by a kill, or from another version: ignore it


def windows(jobs: list[Job], size: int) -> Iterator[list[Job]]:
    """Consecutive groups of at most `size` jobs: the unit read, translated and released."""
    for start in range(0, len(jobs), size):
        yield jobs[start : start + size]


def run_jobs(
    summarizer: Summarizer,
    plan: Plan,
    *,
    outdir: Path | None,
    render: Callable[[Result], str],
    emit: Callable[[str], None],
    summarize: bool,
    source_language: str | None,
    progress: Progress,
    keep_boilerplate: bool = False,
    window_size: int = 32,
) -> None:
    """Process every job; outputs go to OUTDIR (whole or not at all) or to `emit`.

    One document's failure is recorded and the others go on; a failure to write into
    OUTDIR stops the run, since every later document would fail the same way.
    """
    manifest = Manifest(outdir) if outdir is not None else None
    failed: BaseException | None = None
    if outdir is not None:
        remove_stale_temporaries(outdir)
    run_fingerprint = summarizer.fingerprint(
        summarize=summarize, extra=f"{render.__name__} keep_boilerplate={keep_boilerplate}"
    )

    def record(row: Row) -> None:
        progress.document(row.status)
        if row.status == "failed":
            reason = row.error or ""
            progress.message(
                f"failed: {reason if row.input in reason else f'{row.input}: {reason}'}"
            )
        if manifest is not None:
            manifest.record(row)

    try:
        for source, reason in plan.refused:
            record(Row(str(source), None, "failed", error=reason))
        for window in windows(plan.jobs, window_size):
            pending: list[tuple[Job, Document, str]] = []
            for job in window:
                output = str(job.output) if job.output else None
                try:
                    document = read_document(
                        str(job.source),
                        keep_boilerplate=keep_boilerplate,
                        max_bytes=summarizer.config.max_input_bytes,
                    )
                except SummarizerError as exc:
                    record(Row(str(job.source), output, "failed", error=str(exc)))
                    continue
                fingerprint = content_fingerprint(document, run_fingerprint)
                previous = manifest.is_current(job, fingerprint) if manifest else None
                if previous is not None:
                    record(
                        Row(
                            str(job.source),
                            output,
                            "up_to_date",
                            source_language=previous.source_language,
                            segments=previous.segments,
                            fingerprint=fingerprint,
                        )
                    )
                    continue
                pending.append((job, document, fingerprint))
            outcomes = summarizer.run_batch(
                [Article(str(job.source), document) for job, document, _ in pending],
                source_language=source_language,
                summarize=summarize,
                keep_boilerplate=keep_boilerplate,
            )
            for (job, _document, fingerprint), outcome in zip(pending, outcomes, strict=True):
                output = str(job.output) if job.output else None
                if isinstance(outcome, SummarizerError):
                    record(Row(str(job.source), output, "failed", error=str(outcome)))
                    continue
                if outdir is None or job.output is None:
                    emit(render(outcome))
                else:
                    _write_output(outdir, job.output, render(outcome))
                stats = outcome.stats["translation"]
                record(
                    Row(
                        str(job.source),
                        output,
                        "written",
                        source_language=outcome.source_language,
                        segments=stats["segments"],
                        cache_hits=stats["cache_hits"],
                        cache_misses=stats["cache_misses"],
                        seconds=outcome.seconds,
                        fingerprint=fingerprint,
                    )
                )
    except BaseException as exc:
        failed = exc
        raise
    finally:
        if manifest is not None:
            try:
                manifest.close(write_atomically)
            except SummarizerError:
                # The run's own failure (often the same unwritable folder) says more.
                if failed is None:
                    raise


def _write_output(outdir: Path, relative: Path, content: str) -> None:
    target = safe_output_path(outdir, relative)
    try:
        write_atomically(target, content)
    except OSError as exc:
        raise unwritable(outdir, exc) from exc
