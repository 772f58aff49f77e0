"""A result rendered as text, markdown, bilingual markdown or JSON. Files are written by
`summarizer.files`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from summarizer.files import write_atomically
from summarizer.pipeline import Result

# What markdown would read as markup in a note: emphasis, links, footnotes, code, HTML.
_MARKUP = re.compile(r"[\\`*_\[\]<>#|~&]")
# A line that starts like a list item, a rule or a heading underline: "1. ", "2) ", "-",
# "+", "=" ("---" draws a rule, "===" makes the line above a heading).
_LIST_START = re.compile(r"^(\s*)(\d+[.)](?=\s|$)|[-+=])")
# Characters that reorder the text around them when displayed.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")

__all__ = [
    "EXTENSIONS",
    "RENDERERS",
    "english_text",
    "render_bilingual",
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
    """The summary; for a translation-only run, the English text, under its English title
    when it has one."""
    if result.summary is not None:
        return result.summary + "\n"
    title = result.title_translation or result.metadata.title
    return (f"{title}\n\n" if title else "") + english_text(result) + "\n"


def render_markdown(result: Result) -> str:
    """Summary and Translation sections; what the checks left doubtful is marked where it
    stands: a claim of the summary the article never makes is listed under it, and each
    flagged sentence of the translation carries a ⚠ and a footnote saying why."""
    sections = [heading] if (heading := render_heading(result)) else []
    checks = result.checks or {"translation": [], "summary": []}
    if result.summary is not None:
        sections.append("## Summary\n\n" + result.summary + "\n")
        if checks["summary"]:
            claims = ", ".join(
                f"{escaped(claim['text'])} ({claim['kind']})" for claim in checks["summary"]
            )
            sections.append(f"> Not found in the article: {claims}\n")
    if result.translated or result.summary is None:
        text, notes = _marked_translation(english_text(result), checks["translation"])
        sections.append("## Translation\n\n" + text + "\n" + notes)
    return "\n".join(sections)


def render_heading(result: Result) -> str:
    """The English title as a heading, then a byline: the original title (when it was
    translated), author, date and a link to the source; "" when none of them is known."""
    metadata = result.metadata
    title = result.title_translation or metadata.title
    byline = [f"*{escaped(metadata.title)}*"] if result.title_translation else []
    byline += [escaped(value) for value in (metadata.author, metadata.date) if value]
    if metadata.url:
        label = escaped(metadata.site or metadata.url)
        byline.append(f"[{label}](<{metadata.url.replace('>', '%3E')}>)")
    elif metadata.site:
        byline.append(escaped(metadata.site))
    lines = [f"# {escaped(title)}\n"] if title else []
    if byline:
        lines.append(" · ".join(byline) + "\n")
    return "\n".join(lines)


def render_bilingual(result: Result) -> str:
    """Each source sentence as a quote, its translation under it, paragraph by paragraph,
    so that a quote can be checked against the original; a flagged sentence carries a ⚠
    and a footnote saying why. Every sentence appears once, in the source's order, and both
    sides are shown as text (markup escaped), so what renders is what the source says."""
    checks = result.checks or {"translation": []}
    flags = {(flag["paragraph"], flag["sentence"]): flag for flag in checks["translation"]}
    blocks = [heading] if (heading := render_heading(result)) else []
    if result.summary is not None:
        blocks.append("## Summary\n\n" + escaped(result.summary) + "\n")
        blocks.append("## Source and translation\n")
    notes = []
    for index, pairs in enumerate(result.sentences):
        lines = [f"**¶ {index + 1}**\n"]
        for position, pair in enumerate(pairs):
            translation = pair["translation"]
            if translation is None:
                shown = "*(not translated)*" if pair["source"].strip() else ""
            else:
                shown = escaped(translation)
            flag = flags.get((index, position))
            if flag is not None:
                notes.append(_note(len(notes) + 1, flag))
                shown = f"⚠ {shown}[^{len(notes)}]"
            lines.append(f"> {escaped(pair['source'])}\n\n{shown}\n")
        blocks.append("\n".join(lines))
    footnotes = "\n" + "\n".join(notes) + "\n" if notes else ""
    return "\n".join(blocks) + footnotes


def _note(number: int, flag: dict[str, Any]) -> str:
    """A footnote saying why a sentence was flagged, and its source."""
    confidence = flag["confidence"]
    sure = f", confidence {confidence:.2f}" if confidence is not None else ""
    retried = ", after a retry" if flag["retried"] else ""
    source = escaped(flag["source"])
    return f"[^{number}]: {', '.join(flag['problems'])}{sure}{retried}. Source: {source}"


def _marked_translation(text: str, flags: list[dict[str, Any]]) -> tuple[str, str]:
    """The translation with each flagged sentence marked "⚠ ...[^N]", and the footnotes."""
    if not flags:
        return text, ""
    paragraphs = text.split("\n\n")
    notes = []
    cursors = [0] * len(paragraphs)
    for number, flag in enumerate(flags, start=1):
        index = min(flag["paragraph"], len(paragraphs) - 1)
        paragraph = paragraphs[index]
        found = paragraph.find(flag["translation"], cursors[index]) if flag["translation"] else -1
        if found >= 0:
            marked = f"⚠ {flag['translation']}[^{number}]"
            end = found + len(flag["translation"])
            paragraphs[index] = paragraph[:found] + marked + paragraph[end:]
            cursors[index] = found + len(marked)
        else:  # nothing to mark (an empty translation): the note still says where it was
            paragraphs[index] = paragraph + f" ⚠[^{number}]"
            cursors[index] = len(paragraphs[index])
        notes.append(_note(number, flag))
    return "\n\n".join(paragraphs), "\n" + "\n".join(notes) + "\n"


def render_json(result: Result) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"


def render_json_line(result: Result) -> str:
    """One line per document: JSON Lines on stdout for many documents."""
    return json.dumps(result.to_dict(), ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[Result], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "bilingual": render_bilingual,
    "json": render_json,
}
EXTENSIONS = {"text": ".txt", "markdown": ".md", "bilingual": ".md", "json": ".json"}


def _escape_marker(match: re.Match[str]) -> str:
    """ "1." -> "1\\.", "-" -> "\\-": the marker's last character escaped."""
    marker = match.group(2)
    return match.group(1) + marker[:-1] + "\\" + marker[-1]


def escaped(text: str) -> str:
    """Text shown as it is inside markdown: its markup characters escaped, a list marker
    that opens it too ("1." "-" "+"), and its bidirectional controls shown as codes, so
    that they cannot reorder what the reader sees."""
    text = _MARKUP.sub(r"\\\g<0>", text)
    text = _LIST_START.sub(_escape_marker, text)
    return _BIDI.sub(lambda match: f"<U+{ord(match.group()):04X}>".replace("<", "\\<"), text)
