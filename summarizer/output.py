"""A result rendered as text, markdown or JSON. Files are written by `summarizer.files`."""

from __future__ import annotations

import json
from collections.abc import Callable

from summarizer.files import write_atomically
from summarizer.pipeline import Result

__all__ = [
    "EXTENSIONS",
    "RENDERERS",
    "english_text",
    "render_json",
    "render_json_line",
    "render_markdown",
    "render_text",
    "write_atomically",
]


def english_text(result: Result) -> str:
    """The article in English: its translation, or the source when it was English."""
    return result.translation if result.translation is not None else result.source_text


def render_text(result: Result) -> str:
    """The summary; for a translation-only run, the English text."""
    return (result.summary if result.summary is not None else english_text(result)) + "\n"


def render_markdown(result: Result) -> str:
    sections = []
    if result.summary is not None:
        sections.append("## Summary\n\n" + result.summary + "\n")
    if result.translated or result.summary is None:
        sections.append("## Translation\n\n" + english_text(result) + "\n")
    return "\n".join(sections)


def render_json(result: Result) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"


def render_json_line(result: Result) -> str:
    """One line per document: JSON Lines on stdout for many documents."""
    return json.dumps(result.to_dict(), ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[Result], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}
EXTENSIONS = {"text": ".txt", "markdown": ".md", "json": ".json"}
