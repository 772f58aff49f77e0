"""Which files a run reads and where each output goes: inputs, output names and the checks
that keep an output off an input, out of special files and inside OUTDIR."""

from __future__ import annotations

import fnmatch
import os
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from summarizer import files
from summarizer.documents import STDIN, Document
from summarizer.errors import InputError, OutputError, SummarizerError
from summarizer.jobs.inputs import RESERVED, split_urls, url_relatives
from summarizer.jobs.inputs import shown as input_name
from summarizer.output import EXTENSIONS
from summarizer.sources import is_url, looks_like_url, malformed_url

DEFAULT_GLOBS = ("*.txt", "*.text", "*.html", "*.htm", "*.pdf", "*.docx")
# The longest file name most file systems take, in bytes (NAME_MAX), when the output
# folder cannot be asked.
NAME_MAX = 255


@dataclass(frozen=True)
class Job:
    """One input (a file, or an http(s) URL as a string) and where its output goes."""

    source: Path | str
    # Relative to Plan.outdir; with no outdir, the output file itself; None: `emit`.
    output: Path | None


@dataclass
class Plan:
    jobs: list[Job] = field(default_factory=list)
    # Inputs refused before any work: (path or URL, reason).
    refused: list[tuple[Path | str, str]] = field(default_factory=list)
    # Where the outputs and manifest.jsonl go. None: one file's output goes to its
    # Job.output (a file) or to `emit`, and many documents go to `emit` as JSON Lines.
    outdir: Path | None = None
    # "text", "markdown", "bilingual", "json", or "jsonl" (one line per document, for `emit`).
    output_format: str = "text"
    # One document: its failure is raised, not recorded.
    single: bool = False


def names_folder(output: str | Path | None) -> bool:
    """OUTPUT is an output folder: an existing one, or a name ending in a slash."""
    if output is None:
        return False
    text = os.fspath(output)
    return text.endswith(("/", os.sep)) or os.path.isdir(text)


def is_single(inputs: Sequence[str | Path], output: str | Path | None) -> bool:
    """One file (or stdin, "-") whose output is one file or `emit`, not a folder run."""
    if len(inputs) != 1:
        return False
    if str(inputs[0]) == STDIN:
        return not names_folder(output)
    return not os.path.isdir(inputs[0]) and not names_folder(output)


def check_inputs(inputs: Sequence[str | Path]) -> None:
    """Fail with one line if an input named does not exist."""
    for path in inputs:
        if isinstance(path, str) and looks_like_url(path) and not is_url(path):
            raise malformed_url(path)
        if str(path) != STDIN and not is_url(str(path)) and not os.path.lexists(path):
            raise InputError("no such file or folder: {path}", path=path)


def unusable(path: str | Path) -> str | None:
    """Why PATH cannot be read as an article without reading it (a FIFO would wait for a
    writer forever, a device may never end), or None. Missing files are left to the reader."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return f"{files.kind_of(mode)}, not an article file"


def plan_run(
    inputs: Sequence[str | Path],
    output: str | Path | None,
    output_format: str,
    globs: tuple[str, ...] = DEFAULT_GLOBS,
    *,
    batch: bool = False,
) -> Plan:
    """One input file to OUTPUT (a file; None: `emit`), or every input file to
    OUTPUT/REL/NAME.EXT (OUTPUT is then a folder), or, without OUTPUT, each document as a
    JSON line to `emit`. `batch`: never the first, even for one input (an input list).
    Nothing found at all is an error."""
    if not batch and is_single(inputs, output):
        source = str(inputs[0])
        problem = None if source == STDIN else unusable(source)
        if problem is not None:
            raise InputError(
                f"{{path}} is {problem}", path=source, hint="pipe it to standard input (-)"
            )
        job = Job(
            source if is_url(source) else Path(source), None if output is None else Path(output)
        )
        return Plan(jobs=[job], output_format=output_format, single=True)
    urls, paths, malformed = split_urls(list(inputs))
    if output is not None:
        plan = plan_jobs(paths, Path(output), globs, output_format, urls=urls)
    else:
        plan = Plan(output_format="jsonl", jobs=[Job(url, None) for url in urls])
        for source, _relative in _candidates(paths, globs, None, plan):
            plan.jobs.append(Job(source, None))
    for text in malformed:
        plan.refused.append((text, malformed_url(text).problem.replace("{path} ", "it ")))
    if not plan.jobs and not plan.refused:
        where = " ".join(files.printable(path) for path in paths)
        raise InputError(f"no input files matched {' '.join(globs)} in {where}")
    return plan


def matches(relative: str, globs: Iterable[str]) -> bool:
    """RELATIVE (a path under a folder named, with "/") matches a pattern: its name, or the
    whole path for a pattern with a slash; extensions compare case-insensitively."""
    name = relative.rsplit("/", 1)[-1]
    return any(
        fnmatch.fnmatchcase(_fold(relative if "/" in glob else name), _fold(glob)) for glob in globs
    )


def _fold(name: str) -> str:
    """NAME with its extension in lower case: "PAGE.HTML" -> "PAGE.html"."""
    stem, dot, extension = name.rpartition(".")
    return f"{stem}.{extension.lower()}" if dot and "/" not in extension else name


def find_inputs(paths: list[Path], globs: tuple[str, ...], outdir: Path | None) -> list[Path]:
    """Files named on the command line, and the matching files under folders, sorted.

    Hidden files and folders are skipped, symbolic links to folders are not followed, and
    OUTDIR is never searched, so a run never reads its own outputs; a folder named lies
    where it lies, even inside OUTDIR, and everything under it is searched.
    """
    excluded = os.path.realpath(outdir) if outdir is not None else None
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        for folder, subfolders, names in os.walk(path):
            subfolders[:] = sorted(
                name
                for name in subfolders
                if not name.startswith(".")
                and os.path.realpath(os.path.join(folder, name)) != excluded
            )
            prefix = Path(os.path.relpath(folder, path)).as_posix()
            for name in sorted(names):
                relative = name if prefix == "." else f"{prefix}/{name}"
                if not name.startswith(".") and matches(relative, globs):
                    found.append(Path(folder) / name)
    return found


def _candidates(
    paths: list[Path], globs: tuple[str, ...], outdir: Path | None, plan: Plan
) -> list[tuple[Path, Path]]:
    """(input, its path relative to the folder named, or its name) for every input found,
    once however many times it is named (`a.txt`, `./a.txt`, a folder holding it); special
    files go to `plan.refused`."""
    found: list[tuple[Path, Path]] = []
    seen: set[object] = set()
    for root in paths:
        for source in find_inputs([root], globs, outdir):
            key = _identity(source) or os.path.normpath(source)
            if key in seen:
                continue
            seen.add(key)
            problem = unusable(source)
            if problem is not None:
                plan.refused.append((source, f"it is {problem}"))
            else:
                found.append(
                    (source, source.relative_to(root) if root.is_dir() else Path(source.name))
                )
    return found


def output_names(relatives: list[Path], extension: str) -> list[Path]:
    """Each input's output: NAME.EXT in place of NAME.SUFFIX, except where two inputs of one
    folder would get the same one, or the run's own digest or manifest name; then each of
    those whose suffix is not EXT keeps it (`x.html` -> `x.html.txt` beside `x.txt` ->
    `x.txt`; `digest.txt` -> `digest.txt.md`)."""
    plain = [relative.with_name(relative.stem + extension) for relative in relatives]
    taken = Counter(plain) + Counter(Path(name) for name in RESERVED)
    return [
        relative.with_name(relative.name + extension)
        if taken[output] > 1 and relative.suffix != extension
        else output
        for relative, output in zip(relatives, plain, strict=True)
    ]


def plan_jobs(
    paths: list[Path],
    outdir: Path,
    globs: tuple[str, ...],
    output_format: str = "text",
    *,
    urls: Sequence[str] = (),
) -> Plan:
    """Map every input to OUTDIR/REL/NAME.EXT (a URL to OUTDIR/HOST/SLUG.EXT, see
    jobs/inputs.py), refusing any that would be unsafe."""
    plan = Plan(outdir=outdir, output_format=output_format)
    urls = list({input_name(url): url for url in urls}.values())  # each address once
    inputs: list[tuple[Path | str, Path]] = list(zip(urls, url_relatives(urls), strict=True))
    inputs += _candidates(paths, globs, outdir, plan)
    names = output_names([relative for _, relative in inputs], EXTENSIONS[output_format])
    outdir_real = os.path.realpath(outdir)
    local = [source for source, _ in inputs if isinstance(source, Path)]
    input_files = {os.path.realpath(source) for source in local}
    input_ids = {_identity(source) for source in local} - {None}
    name_max = _name_max(outdir)
    claimed: dict[Path, Path] = {}
    for (source, _), relative in zip(inputs, names, strict=True):
        target = outdir / relative
        shown = files.printable(target)
        if len(os.fsencode(relative.name)) > name_max:
            problem = f"its output name {shown} would be longer than {name_max} bytes"
        elif not _inside(os.path.realpath(target), outdir_real):
            problem = f"its output {shown} would leave {files.printable(outdir)}"
        elif os.path.realpath(target) in input_files or _identity(target) in input_ids:
            problem = f"its output {shown} is an input file"
        elif relative in claimed:
            problem = f"its output {files.printable(relative)} is also {claimed[relative]}'s"
        else:
            claimed[relative] = source
            plan.jobs.append(Job(source, relative))
            continue
        plan.refused.append((source, problem))
    return plan


def _identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of the file PATH names, links followed; None when there is none."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _name_max(folder: Path) -> int:
    for candidate in (folder, *folder.parents):
        try:
            return os.pathconf(candidate, "PC_NAME_MAX")
        except (OSError, ValueError, AttributeError):
            continue
    return NAME_MAX


def _inside(path: str, folder: str | None) -> bool:
    return folder is not None and (
        path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
    )


def check_not_inputs(plan: Plan, names: list[str]) -> None:
    """Refuse (OutputError) a run whose own files (manifest, digest) would replace one of
    its inputs: an input is never overwritten."""
    assert plan.outdir is not None
    sources = [job.source for job in plan.jobs] + [source for source, _ in plan.refused]
    inputs = {_identity(source) for source in sources if isinstance(source, Path)} - {None}
    for name in names:
        target = plan.outdir / name
        if _identity(target) in inputs:
            raise OutputError(
                target,
                "it is an input of this run, which is never overwritten",
                hint="move it out of the output folder",
            )


def check_single_output(source: str, output: Path) -> bool:
    """Refuse (OutputError) an output file that is the input itself (any spelling, a hard
    link, stdin redirected from it), a link, or anything but a regular file, a FIFO or a
    character device. True when OUTPUT is one of the last two: written into, not replaced."""
    try:
        linked = os.lstat(output)
    except OSError:
        return False  # absent (or unreachable, which writing says better)
    try:
        status = os.stat(output)
    except OSError:
        raise OutputError(output, "it is a symbolic link to nothing") from None
    special = stat.S_ISFIFO(status.st_mode) or stat.S_ISCHR(status.st_mode)
    if special:
        return True
    if not stat.S_ISREG(status.st_mode):
        raise OutputError(output, f"it is {files.kind_of(status.st_mode)}, not a file")
    if stat.S_ISLNK(linked.st_mode):
        raise OutputError(output, "it is a symbolic link, which is never replaced")
    if (status.st_dev, status.st_ino) == _source_identity(source):
        shown = "(standard input)" if source == STDIN else files.printable(source)
        raise OutputError(output, f"it is the input {shown}, which is never overwritten")
    return False


def _source_identity(source: str) -> tuple[int, int] | None:
    if source != STDIN:
        return _identity(source)
    try:
        status = os.fstat(sys.stdin.fileno())
    except (OSError, ValueError, AttributeError):
        return None  # not a real file (a test's stand-in): it cannot be OUTPUT
    return (status.st_dev, status.st_ino) if stat.S_ISREG(status.st_mode) else None


# A file larger than this is no article held whole (the default input limit is 10 MiB).
_LOOKS_LIKE_LIMIT = 64 * 1024 * 1024


def check_writable(output: Path) -> None:
    """Fail with one line unless a file can be created in OUTPUT's folder."""
    try:
        folder = os.path.dirname(output) or "."
        os.makedirs(folder, exist_ok=True)
        handle, probe = files.new_temporary(folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError.from_os_error(output, exc) from exc


def check_not_the_piped_input(
    output: Path, source_text: str, content: str, read: Callable[[str], Document]
) -> None:
    """Refuse (OutputError) to replace OUTPUT when standard input came through a pipe and
    OUTPUT holds that same article (`cat a.txt | summarizer translate - -o a.txt`): its
    device and inode cannot be compared then, so its text is. An OUTPUT that already holds
    `content` (an English article passed through) is left as it is."""
    try:
        if not os.path.isfile(output) or os.path.getsize(output) > _LOOKS_LIKE_LIMIT:
            return
        current = Path(output).read_bytes()
        if current == content.encode("utf-8"):
            return
        held = read(str(output)).text
    except (OSError, SummarizerError):
        return
    if held == source_text:
        raise OutputError(
            output, "it holds the article read from standard input, which is never overwritten"
        )
