"""Every file a run writes goes through here: outputs, manifest, journal and temporaries.

Under an output folder (ROOT) nothing follows a symbolic link: each folder on the way is
checked with lstat and each file is opened with O_NOFOLLOW, and a link, a folder or a
special file where a file should go is refused (RefusedPath), never written through or
replaced. (A link swapped in between the check and the open of a folder on the way is
not caught; a link at the file's own name always is.) Files are created with mode 0666
less the umask, like any tool's, and appear whole or not at all: content goes to a
temporary file beside the target, then `os.replace`. Temporary names are this tool's
own (`.summarizer-tmp-PID-RANDOM.tmp`, 38 bytes whatever the target's name), so a
user's file never looks like one, and a later run removes only those whose process has
gone.

Paths are `str` as the OS gives them: a name that is not UTF-8 carries its bytes as
surrogates (PEP 383); `printable` escapes them for messages and JSON.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from pathlib import Path
from typing import TextIO

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_TEMPORARY = re.compile(r"^\.summarizer-tmp-(\d+)-[0-9a-f]{16}\.tmp$")


class RefusedPath(OSError):
    """A path under the output folder that is not what a file or folder of ours may be."""


# Control characters (a newline, an escape sequence) in a file name would break the one
# line a message is, or drive the terminal: they are shown escaped (`bad\\nname.txt`).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str | Path) -> str:
    """`text` with the undecodable bytes of a file name escaped (`caf\\xe9.txt`), and its
    control characters: safe to print on one line and to put in JSON."""
    text = str(text)
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no decoding made: escape it as it is
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode(), text)


def kind_of(mode: int) -> str:
    """What a file of this st_mode is, in words."""
    kinds = [
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "a regular file")


def _refuse(path: str, what: str) -> RefusedPath:
    return RefusedPath(errno.ELOOP, f"it is {what}, which is never followed or replaced", path)


def safe_folder(root: str | Path, relative: str | Path) -> str:
    """ROOT/RELATIVE, made where missing; no part of it below ROOT may be a link or not a
    folder. ROOT itself is the user's choice and is made (with its parents) if missing."""
    os.makedirs(root, exist_ok=True)
    folder = str(root)
    for part in Path(relative).parts:
        folder = os.path.join(folder, part)
        try:
            os.mkdir(folder)
        except FileExistsError:
            mode = os.lstat(folder).st_mode
            if not stat.S_ISDIR(mode):
                raise _refuse(folder, kind_of(mode)) from None
    return folder


def safe_target(root: str | Path, relative: str | Path) -> str:
    """The file ROOT/RELATIVE, its folders made and checked; refused unless it is absent or
    a regular file (a link there is not replaced either)."""
    relative = Path(relative)
    target = os.path.join(safe_folder(root, relative.parent), relative.name)
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return target
    if not stat.S_ISREG(mode):
        raise _refuse(target, kind_of(mode))
    return target


def new_temporary(folder: str) -> tuple[int, str]:
    """A new file of ours in FOLDER, opened for writing: (descriptor, path)."""
    name = f".summarizer-tmp-{os.getpid()}-{secrets.token_hex(8)}.tmp"
    path = os.path.join(folder, name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    return os.open(path, flags, 0o666), path


def write_atomically(path: str | Path, content: str, *, root: str | Path | None = None) -> None:
    """Write `content` to PATH whole or not at all: a temporary file beside it, then a
    rename. With ROOT, PATH is relative to it and checked as `safe_target` says."""
    if root is not None:
        target = safe_target(root, path)
    else:
        target = str(path)
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    handle, temporary = new_temporary(os.path.dirname(target) or ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)


def write_into(path: str | Path, content: str) -> None:
    """Write into an existing FIFO or character device (never replaced). A FIFO no process
    reads from is an error, not a wait."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_NONBLOCK | _CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OSError(exc.errno, "it is a FIFO and no process reads from it", path) from exc
        raise
    os.set_blocking(handle, True)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(content)


def open_append(root: str | Path, relative: str | Path) -> TextIO:
    """ROOT/RELATIVE opened to append text, created if missing, checked as `safe_target`
    says (and again after opening: O_NOFOLLOW refuses a link swapped in meanwhile)."""
    target = safe_target(root, relative)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _CLOEXEC
    try:
        handle = os.open(target, flags, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refuse(target, "a symbolic link") from exc
        raise
    mode = os.fstat(handle).st_mode
    if not stat.S_ISREG(mode):
        os.close(handle)
        raise _refuse(target, kind_of(mode))
    return os.fdopen(handle, "a", encoding="utf-8")


def read_text(path: str | Path) -> str | None:
    """A regular file's text (undecodable bytes replaced); None when it is missing, a link
    or anything but a regular file."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW | _CLOEXEC)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(handle).st_mode):  # a folder opens too, but reads fail
        os.close(handle)
        return None
    with os.fdopen(handle, "rb") as stream:
        return stream.read().decode("utf-8", "replace")


def is_regular(path: str | Path) -> bool:
    """PATH is a regular file itself, not a link to one."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def remove_if_regular(path: str | Path) -> None:
    """Delete PATH if it is a regular file; a link or anything else is left alone."""
    if is_regular(path):
        os.unlink(path)


def remove_stale_temporaries(root: str | Path) -> int:
    """Delete the temporary files that killed runs of this tool left under ROOT: only names
    of ours, only regular files, only when their process is gone. Returns how many."""
    removed = 0
    for folder, _subfolders, files in os.walk(root):
        for name in files:
            match = _TEMPORARY.match(name)
            path = os.path.join(folder, name)
            if match and not _process_alive(int(match.group(1))) and is_regular(path):
                try:
                    os.unlink(path)
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
    except (PermissionError, OverflowError):
        return True
    return True
