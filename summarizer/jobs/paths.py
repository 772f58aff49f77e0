"""Which files a run reads and where each output goes: inputs, output paths and their
safety checks, and the temporary files killed runs leave behind."""

from __future__ import annotations

import fnmatch
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.documents import STDIN
from summarizer.errors import InputError, OutputError
from summarizer.output import EXTENSIONS

DEFAULT_GLOBS = ("*.txt", "*.text", "*.html", "*.htm")
# Temporary output files are named .NAME.PID.RANDOM.tmp (see output.write_atomically).
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


@dataclass(frozen=True)
class Job:
    """One input file and where its output goes."""

    source: Path
    # Relative to Plan.outdir; with no outdir, the output file itself; None: `emit`.
    output: Path | None


@dataclass
class Plan:
    jobs: list[Job] = field(default_factory=list)
    # Inputs refused before any work: (path, reason).
    refused: list[tuple[Path, str]] = field(default_factory=list)
    # Where the outputs and manifest.jsonl go. None: one file's output goes to its
    # Job.output (a file) or to `emit`, and many documents go to `emit` as JSON Lines.
    outdir: Path | None = None
    # "text", "markdown", "json", or "jsonl" (one line per document, for `emit`).
    output_format: str = "text"
    # One document: its failure is raised, not recorded.
    single: bool = False


def is_single(inputs: Sequence[str | Path], output: Path | None) -> bool:
    """One file (or stdin, "-") whose output is one file or `emit`, not a folder run."""
    if len(inputs) != 1:
        return False
    if str(inputs[0]) == STDIN:
        return True
    return not Path(inputs[0]).is_dir() and not (output is not None and output.is_dir())


def check_inputs(inputs: Sequence[str | Path]) -> None:
    """Fail with one line if an input named does not exist."""
    for path in inputs:
        if str(path) != STDIN and not os.path.lexists(path):
            raise InputError("no such file or folder: {path}", path=path)


def plan_run(
    inputs: Sequence[str | Path],
    output: Path | None,
    output_format: str,
    globs: tuple[str, ...] = DEFAULT_GLOBS,
) -> Plan:
    """One input file to OUTPUT (a file; None: `emit`), or every input file to
    OUTPUT/REL/NAME.EXT, or, without OUTPUT, each document as a JSON line to `emit`."""
    if is_single(inputs, output):
        job = Job(Path(inputs[0]), output)
        return Plan(jobs=[job], output_format=output_format, single=True)
    paths = [Path(path) for path in inputs]
    if output is not None:
        return plan_jobs(paths, output, globs, output_format)
    found = find_inputs(paths, globs, None)
    return Plan(jobs=[Job(source, None) for source in found], output_format="jsonl")


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


def plan_jobs(
    paths: list[Path], outdir: Path, globs: tuple[str, ...], output_format: str = "text"
) -> Plan:
    """Map every input to OUTDIR/REL/NAME.EXT, refusing any that would be unsafe."""
    plan = Plan(outdir=outdir, output_format=output_format)
    extension = EXTENSIONS[output_format]
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
        raise OutputError(target, f"refused, it would leave {outdir}")
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


def check_writable(output: Path) -> None:
    """Fail with one line unless a file can be created in OUTPUT's folder."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError.from_os_error(output, exc) from exc
