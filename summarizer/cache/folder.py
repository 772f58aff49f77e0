"""The cache's folder: where it is, how it is made, and the damaged files set aside in it."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from summarizer.cache import sqlite as db

CACHE_DIR_ENV = "SUMMARIZER_CACHE_DIR"
CACHE_FILE = "cache.sqlite3"
LOCK_FILE = "cache.lock"
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by summarizer.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def default_cache_dir() -> Path:
    """$SUMMARIZER_CACHE_DIR, else the platform's user cache folder; read at call time."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("summarizer", appauthor=False))


def prepare(directory: Path) -> None:
    """Create the folder (OSError when that fails); a folder created here is tagged for
    backup tools. A folder that already existed is never tagged: it may be the user's own
    (`--cache-dir .`), and the tag would make backups skip it."""
    created = not os.path.lexists(directory)
    # Private to the user: cached text is the text of the articles read.
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if created:
        # Best effort: a read-only folder may still be read from.
        with contextlib.suppress(OSError):
            (directory / "CACHEDIR.TAG").write_text(_CACHEDIR_TAG, encoding="ascii")


def set_aside(path: Path, *, timeout: float) -> Path | None:
    """Move a damaged database file (and its -wal, -shm) aside, so that a new one is
    created; the new name, or None when another process has done it already. Raises
    OSError (a filelock Timeout is one) when it cannot."""
    from filelock import FileLock

    # One process at a time, so that none sets aside the file another just made.
    with FileLock(str(path.with_name(LOCK_FILE)), timeout=timeout):
        if db.is_healthy(path, timeout=timeout):
            return None
        stamp = time.strftime("%Y%m%dT%H%M%S")
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{os.getpid()}")
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(f"{path}{suffix}", f"{aside}{suffix}")
    return aside


def damaged_files(directory: Path) -> list[Path]:
    """Damaged files set aside in the folder (kept for inspection, safe to delete)."""
    return sorted(directory.glob(f"{CACHE_FILE}.damaged-*[0-9]"))


def size_on_disk(path: Path) -> int:
    """The database file and its write-ahead log (the -shm index is transient)."""
    total = 0
    for suffix in ("", "-wal"):
        with contextlib.suppress(OSError):
            total += os.stat(f"{path}{suffix}").st_size
    return total
