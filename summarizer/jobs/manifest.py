"""What a folder run records in OUTDIR/manifest.jsonl, and how a rerun knows which
outputs are current: the fingerprint of what shaped each output."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from summarizer import files
from summarizer.documents import Document
from summarizer.errors import OutputError
from summarizer.options import RunOptions
from summarizer.pipeline import Summarizer

if TYPE_CHECKING:
    from summarizer.jobs.paths import Job

MANIFEST = "manifest.jsonl"
# Rows of the run in progress, one per finished document; a killed run leaves it behind
# and the next run reads it, so finished documents are not redone.
JOURNAL = ".manifest.jsonl.partial"


@dataclass
class Row:
    """One line of manifest.jsonl. Its paths and error are `files.printable`: a file name
    that is not UTF-8 has its bytes escaped (`caf\\xe9.txt`)."""

    input: str
    output: str | None
    status: str  # "written", "up_to_date" or "failed"
    source_language: str | None = None
    segments: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    seconds: float = 0.0
    # Sentences and summary claims the checks left doubtful (see Result.checks).
    flagged: int = 0
    error: str | None = None
    # What the output was made from: input content, models, settings, format.
    fingerprint: str | None = None
    # What the digest shows of a summarized document: title, title_translation, date,
    # site, url, summary (see jobs/digest.py); None for a failure or a translation.
    digest: dict[str, str | None] | None = None


def run_fingerprint(summarizer: Summarizer, options: RunOptions, output_format: str) -> str:
    """What shapes every output of a run: models, settings, options and the format's name."""
    material = [summarizer.fingerprint(options), output_format]
    return hashlib.sha256(json.dumps(material).encode()).hexdigest()


def content_fingerprint(document: Document, run_fingerprint: str) -> str:
    """Identifies an output: the input's content and everything that shaped the result."""
    content = json.dumps([run_fingerprint, asdict(document)], ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()


class Manifest:
    """manifest.jsonl of the last run, plus the journal of a run that was killed.

    Both are read and written through `files`: a link or special file in their place is
    never read, followed or replaced. A journal that cannot be used that way is said once
    (`warn`) and the run goes on without one (a kill then loses the rerun's skipping, never
    an output); a manifest.jsonl that cannot be written fails the run at its end."""

    def __init__(self, outdir: Path, warn: Callable[[str], None] = print) -> None:
        self.outdir = outdir
        self.warn = warn
        self.previous: dict[str, Row] = {}
        # The outputs whose input failed last time (read again before a cluster is asked).
        self.failed_before: set[str] = set()
        for name in (MANIFEST, JOURNAL):
            for row in _read_rows(outdir / name):
                if row.output is None:
                    continue
                if row.status == "failed":
                    self.failed_before.add(row.output)
                else:
                    self.previous[row.output] = row
        self.rows: list[Row] = []
        self._journal = None
        self._journal_refused = False

    def is_current(self, job: Job, fingerprint: str) -> Row | None:
        """The previous row when job's output exists and was made from the same things."""
        assert job.output is not None
        row = self.previous.get(files.printable(job.output))
        if row and row.fingerprint == fingerprint and files.is_regular(self.outdir / job.output):
            return row
        return None

    def record(self, row: Row) -> None:
        """Keep a row, and journal it at once so a killed run does not redo the document."""
        self.rows.append(row)
        if self._journal_refused:
            return
        try:
            if self._journal is None:
                self._journal = files.open_append(self.outdir, JOURNAL)
            self._journal.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")
            self._journal.flush()
        except files.RefusedPath as exc:
            self._journal_refused = True
            shown = files.printable(exc.filename)
            self.warn(f"not journalling to {shown}: {exc.strerror}; going on without")
        except OSError as exc:
            raise OutputError.from_os_error(self.outdir, exc, folder=True) from exc

    def close(self) -> None:
        """Write manifest.jsonl whole, then drop the journal (only a journal of ours)."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if not self.rows:
            return
        lines = "".join(json.dumps(asdict(row), ensure_ascii=False) + "\n" for row in self.rows)
        try:
            files.write_atomically(MANIFEST, lines, root=self.outdir)
            if not self._journal_refused:
                files.remove_if_regular(self.outdir / JOURNAL)
        except files.RefusedPath as exc:
            raise OutputError(exc.filename, exc.strerror or str(exc)) from exc
        except OSError as exc:
            raise OutputError.from_os_error(self.outdir, exc, folder=True) from exc


def _read_rows(path: Path) -> Iterator[Row]:
    text = files.read_text(path)
    for line in (text or "").splitlines():
        try:
            yield Row(**json.loads(line))
        except (ValueError, TypeError):
            continue  # a line cut short by a kill, or from another version: ignore it
