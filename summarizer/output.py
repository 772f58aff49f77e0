"""A result rendered as text, markdown or JSON, and files written whole or not at all."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from summarizer.pipeline import Result


def render_text(result: Result) -> str:
    return result.summary + "\n"


def render_markdown(result: Result) -> str:
    sections = ["## Summary\n\n" + result.summary + "\n"]
    if result.translation is not None:
        sections.append("## Translation\n\n" + result.translation + "\n")
    return "\n".join(sections)


def render_json(result: Result) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"


RENDERERS: dict[str, Callable[[Result], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}


def write_atomically(path: Path, content: str) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
