"""A summarize folder run's overview: OUTDIR/digest.md to read, OUTDIR/digest.csv for a
spreadsheet. One entry per document that has an output (written by this run or already up
to date), oldest first by date, then by title; documents with no date come last. The
Markdown lists the failed inputs at its end with their errors.

Both files are made from the manifest's rows, so a run that resumes after a kill writes
the same digest as one that was never stopped; a file whose content would not change is
not rewritten.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from summarizer import files
from summarizer.errors import OutputError
from summarizer.jobs.manifest import Row
from summarizer.output import escaped
from summarizer.result import Result

DIGEST_MARKDOWN = "digest.md"
DIGEST_CSV = "digest.csv"
CSV_COLUMNS = (
    "input",
    "output",
    "title",
    "title_translation",
    "date",
    "site",
    "url",
    "source_language",
    "flags",
    "summary",
)
# A spreadsheet runs a cell that starts with one of these as a formula: such a cell (a
# title from a hostile page, say) is written with a leading apostrophe, as OWASP advises.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def digest_entry(result: Result) -> dict[str, str | None]:
    """What a manifest row keeps of a result for the digest."""
    metadata = result.metadata
    return {
        "title": metadata.title,
        "title_translation": result.title_translation,
        "date": metadata.date,
        "site": metadata.site,
        "url": metadata.url,
        "summary": result.summary,
    }


def write_digest(outdir: Path, rows: Iterable[Row]) -> None:
    """Write OUTDIR/digest.md and OUTDIR/digest.csv, each whole or not at all."""
    rows = list(rows)
    entries = sorted((row for row in rows if _has_output(row)), key=_order)
    failed = [row for row in rows if row.status == "failed"]
    contents = {
        DIGEST_MARKDOWN: render_markdown_digest(entries, failed),
        DIGEST_CSV: render_csv_digest(entries),
    }
    try:
        # Both places checked first: the two files are written together or not at all.
        for name in contents:
            files.safe_target(outdir, name)
        for name, content in contents.items():
            if files.read_text(outdir / name) != content:
                files.write_atomically(name, content, root=outdir)
    except files.RefusedPath as exc:
        raise OutputError(exc.filename, exc.strerror or str(exc)) from exc
    except OSError as exc:
        raise OutputError.from_os_error(outdir, exc, folder=True) from exc


def _has_output(row: Row) -> bool:
    return row.status in ("written", "up_to_date") and row.digest is not None


def _order(row: Row) -> tuple[Any, ...]:
    """Dated entries first, by the moment they name (a day alone is its midnight, UTC),
    then by the title shown."""
    entry = row.digest or {}
    title = entry.get("title_translation") or entry.get("title") or ""
    moment = _moment(entry.get("date"))
    return (moment is None, moment or _EPOCH, title.casefold(), row.input)


_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


def _moment(date: str | None) -> dt.datetime | None:
    if not date:
        return None
    try:
        moment = dt.datetime.fromisoformat(date)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def render_markdown_digest(entries: list[Row], failed: list[Row]) -> str:
    count = f"{len(entries)} article{'' if len(entries) == 1 else 's'}"
    lines = [f"# Digest: {count}" + (f", {len(failed)} failed" if failed else "") + "\n"]
    for row in entries:
        lines.append(_markdown_entry(row))
    if failed:
        lines.append("## Failed\n")
        lines += [f"- `{_code(row.input)}`: {escaped(row.error or 'failed')}" for row in failed]
        lines.append("")
    return "\n".join(lines)


def _markdown_entry(row: Row) -> str:
    entry = row.digest or {}
    title = entry.get("title_translation") or entry.get("title") or Path(row.input).name
    about = [f"*{escaped(entry['title'])}*"] if entry.get("title_translation") else []
    about += [escaped(entry[key]) for key in ("date", "site") if entry.get(key)]
    about.append(row.source_language or "unknown language")
    if row.flagged:
        about.append(f"⚠ {row.flagged} flag{'' if row.flagged == 1 else 's'} to review")
    if entry.get("url"):
        about.append(f"[source](<{entry['url'].replace('>', '%3E')}>)")
    where = f"`{_code(row.input)}` → `{_code(row.output or '')}`"
    summary = escaped(entry["summary"]) if entry.get("summary") else "*(no summary)*"
    return f"## {escaped(title)}\n\n{' · '.join(about)}  \n{where}\n\n{summary}\n"


def _code(text: str) -> str:
    """Text shown in a code span: a backtick in it would end the span."""
    return text.replace("`", "'")


def render_csv_digest(entries: list[Row]) -> str:
    """UTF-8 with a byte-order mark (spreadsheet programs read accents right with it), one
    row per entry, the columns of CSV_COLUMNS."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in entries:
        entry = row.digest or {}
        values = {
            **entry,
            "input": row.input,
            "output": row.output,
            "source_language": row.source_language,
            "flags": row.flagged,
        }
        writer.writerow([_cell(values.get(column)) for column in CSV_COLUMNS])
    return "\ufeff" + stream.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
