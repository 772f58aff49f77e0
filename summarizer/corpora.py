"""Reading what an evaluation measures against: (source, reference) pairs from a TSV file or
two line-parallel files, and articles with their reference summaries.

Every input is checked whole before any model runs (a bad line found late would waste a
long run), and each problem is one InputError naming the file and, where there is one, the
line.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from summarizer.errors import InputError
from summarizer.files import kind_of, printable
from summarizer.jobs.paths import DEFAULT_GLOBS, check_inputs, find_inputs, unusable


@dataclass(frozen=True)
class Pair:
    """One source sentence and its reference translation."""

    line: int
    source: str
    reference: str


@dataclass(frozen=True)
class SummaryCase:
    """One article and the file holding its reference summary."""

    article: Path
    reference: Path


def read_pairs(path: str | Path) -> list[Pair]:
    """A TSV file: one `source TAB reference` pair per line."""
    pairs = []
    for number, line in enumerate(_read_lines(path), 1):
        tabs = line.count("\t")
        if tabs != 1:
            raise InputError(
                f"{{path}} line {number}: expected a source and its reference separated by "
                f"one tab, found {tabs} tabs",
                path=path,
            )
        source, reference = line.split("\t")
        pairs.append(_pair(number, source, path, reference, path))
    return pairs


def read_parallel(source_path: str | Path, reference_path: str | Path) -> list[Pair]:
    """Two line-parallel files: line N of one is translated by line N of the other."""
    sources, references = _read_lines(source_path), _read_lines(reference_path)
    if len(sources) != len(references):
        raise InputError(
            f"{{path}} has {len(sources)} lines but {printable(reference_path)} has "
            f"{len(references)}: the files must be line-parallel",
            path=source_path,
        )
    return [
        _pair(number, source, source_path, reference, reference_path)
        for number, (source, reference) in enumerate(zip(sources, references, strict=True), 1)
    ]


def _pair(
    number: int, source: str, source_path: str | Path, reference: str, reference_path: str | Path
) -> Pair:
    """A pair of stripped texts; an empty side is an error naming its file and line."""
    for text, path, what in (
        (source, source_path, "source"),
        (reference, reference_path, "reference"),
    ):
        if not text.strip():
            raise InputError(f"{{path}} line {number}: the {what} is empty", path=path)
    return Pair(number, source.strip(), reference.strip())


def _read_lines(path: str | Path) -> list[str]:
    """The lines of a UTF-8 text file (LF or CRLF). Blank lines at its end are left out, as
    editors often add one; a blank line inside it is a line (an empty source or reference),
    since dropping it would shift every later line against its pair."""
    lines = [line.removesuffix("\r") for line in read_utf8(path).split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise InputError("{path} has no lines to evaluate", path=path)
    return lines


def read_utf8(path: str | Path) -> str:
    """A regular file's text, which must be UTF-8 (a byte-order mark is dropped): reference
    texts are compared character by character, so guessing an encoding is no help."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{{path}} is {kind_of(mode)}, not a file", path=path)
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("no such file: {path}", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read {{path}}: {exc.strerror or exc}", path=path) from None
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{{path}} is not UTF-8 text (line {line})", path=path, hint="convert it to UTF-8"
        ) from None


def find_summary_cases(
    paths: Sequence[str | Path],
    *,
    references: str | Path | None = None,
    suffix: str = ".txt",
    globs: tuple[str, ...] = DEFAULT_GLOBS,
) -> list[SummaryCase]:
    """Every article under PATHS (files, and folders searched as a folder run does) with its
    reference: `DIR/REL/NAME.EXT` has `REFERENCES/REL/NAME` + suffix, or without REFERENCES
    `NAME` + suffix beside it (files so named are references, not articles). Every reference
    must exist."""
    check_inputs(paths)
    folder = Path(references) if references is not None else None
    if folder is not None and not folder.is_dir():
        raise InputError("the reference folder {path} does not exist", path=folder)
    cases = []
    for root in map(Path, paths):
        for article in find_inputs([root], globs, folder):
            if folder is None and article.name.endswith(suffix) and root.is_dir():
                continue
            problem = unusable(article)
            if problem is not None:
                raise InputError(f"{{path}} is {problem}", path=article)
            relative = article.relative_to(root) if root.is_dir() else Path(article.name)
            base = folder / relative if folder is not None else article
            cases.append(SummaryCase(article, base.with_name(relative.stem + suffix)))
    if not cases:
        where = " ".join(printable(path) for path in paths)
        beside = f" (files ending in {suffix} are references)" if folder is None else ""
        raise InputError(f"no input files matched {' '.join(globs)} in {where}{beside}")
    _check_references(cases)
    return cases


def _check_references(cases: list[SummaryCase]) -> None:
    missing = [case for case in cases if not case.reference.is_file()]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise InputError(
            f"no reference summary for {printable(missing[0].article)}: {{path}} does not "
            f"exist{more}",
            path=missing[0].reference,
        )
    for case in cases:
        if os.path.samefile(case.article, case.reference):
            raise InputError(
                "{path} would be its own reference: the reference name is the article's",
                path=case.article,
            )
