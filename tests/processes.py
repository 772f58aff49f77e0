"""Running this checkout's code in child processes, as a user (or several) would."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

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
