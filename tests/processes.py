"""Running this checkout's code as a user (or several) would: its command line through
click's runner, or in child processes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from summarizer.cli import cli

REPO_ROOT = Path(__file__).resolve().parent.parent


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child Python that imports this checkout's `summarizer` (also
    where another copy is installed) and never reaches the network."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **extra}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return env


def summarizer_command(*args: object) -> list[str]:
    return [sys.executable, "-m", "summarizer", *map(str, args)]


def run_summarizer(*args: object, cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        summarizer_command(*args),
        cwd=cwd,
        env=child_env(**extra),
        capture_output=True,
        text=True,
        timeout=300,
    )


def invoke(*args: object, input: str | None = None) -> Result:
    """The command line, run in this process."""
    return CliRunner().invoke(cli, list(map(str, args)), input=input)


def imported_modules(importtime_stderr: str) -> set[str]:
    """The modules a `python -X importtime` run imported, read from its stderr."""
    return {
        line.split("|")[-1].strip()
        for line in importtime_stderr.splitlines()
        if line.startswith("import time:")
    }


def cache_entries(cache_file: Path) -> dict[str, str]:
    """key -> value of every entry in a cache file, read without the summarizer's code
    (none in a file that a process was killed in the middle of creating)."""
    connection = sqlite3.connect(cache_file)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if "entries" not in tables:
            return {}
        return dict(connection.execute("SELECT key, value FROM entries"))
    finally:
        connection.close()


def integrity(cache_file: Path) -> str:
    connection = sqlite3.connect(cache_file)
    try:
        return "\n".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
    finally:
        connection.close()
