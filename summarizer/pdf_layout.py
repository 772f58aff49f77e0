"""A PDF's positioned lines -> paragraphs in reading order, without its running furniture.

A PDF holds glyphs at positions, not paragraphs: pdfminer groups them into lines and the
lines into text boxes (formats.py), and the rules here make an article of them. They only
use geometry and punctuation, so they are guesses, each simple enough to explain:

- Reading order is a recursive XY-cut over the text boxes: where a vertical strip of the
  page holds no box, the page splits into columns read left to right; otherwise where a
  horizontal strip holds none, into bands read top to bottom. A title spanning two columns
  is its own band, so the columns under it still read one after the other; two bands that
  make the same columns stay one (a column running longer than its neighbour).
- Running headers and footers: among the top and bottom EDGE_LINES lines of each page, a
  line that recurs (digits ignored, so "Page 2 / 5" matches "Page 3 / 5") on at least half
  of the pages, and on two or more, is dropped; so is a bare page number ("3", "- 3 -",
  "Page 3 sur 5") that is a page's first or last line, even in a one-page document.
- A box is one paragraph, except where a line ends a sentence and is short (its end
  falls short of the box's right edge by more than SHORT_LINE of the box's width) or the
  next line is indented: text set without space between paragraphs.
- A paragraph that does not end a sentence, followed by one that starts with a lowercase
  letter, is one paragraph cut by a page or column break: they are joined again.
- A word hyphenated at a line end is joined when the next line starts with a lowercase
  letter: "gouverne-" + "ment" -> "gouvernement". A real hyphen that falls at a line end
  is lost ("porte-" + "parole" -> "porteparole") unless the document also writes that
  word with its hyphen elsewhere on a line, which keeps it. Before a capital or a digit
  the hyphen is kept and nothing added ("Jean-" + "Pierre" -> "Jean-Pierre"); a soft hyphen
  (U+00AD) always joins.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass

# How many lines at the top and at the bottom of a page may be running headers/footers.
EDGE_LINES = 3
# A sentence-ending line at least this much shorter than its box ends a paragraph.
SHORT_LINE = 0.15
# Two pieces of one baseline closer than this many line heights are one line: pdfminer
# splits a justified line at a wide space next to narrow letters ("Les" | "travaux ...").
# Column gutters are wider (about a line height or more).
LINE_GAP = 0.8
SENTENCE_END = tuple('.!?:;…»"”)')
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬆ": "st"})
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(
    r"[\s\-\u2013\u2014]*(?:page\s*)?\d{1,4}(?:\s*(?:/|sur|de|of)\s*\d{1,4})?[\s\-\u2013\u2014]*",
    re.I,
)
_HYPHENATED = re.compile(r"[^\W\d_]+-[^\W\d_]+")
_LINE_END_HYPHEN = re.compile(r"([^\W\d_]+)[-\u2010]$")
_FIRST_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Line:
    """One line of text and its box on the page (PDF units, y growing upwards)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Box:
    """A block of lines that the layout analysis grouped, top line first."""

    lines: tuple[Line, ...]
    x0: float
    y0: float
    x1: float
    y1: float


def line(text: str, x0: float, y0: float, x1: float, y1: float) -> Line:
    """A line with its ligatures spelt out and its outer whitespace removed."""
    return Line(text.translate(_LIGATURES).strip(), x0, y0, x1, y1)


def paragraphs(pages: list[list[Box]]) -> list[str]:
    """The article's paragraphs: each page's boxes in reading order, running lines dropped,
    paragraphs cut by a page or column break joined again."""
    every_line = [item.text for page in pages for box in page for item in box.lines]
    hyphenated = {word.lower() for text in every_line for word in _HYPHENATED.findall(text)}
    pages = [_mend(page) for page in pages]
    running = _running_keys(pages)
    result: list[str] = []
    for page in pages:
        furniture = _furniture(page, running)
        for box in _reading_order(page):
            kept = [item for item in box.lines if item not in furniture and item.text]
            for lines in _split_box(box, kept):
                text = _join_lines([item.text for item in lines], hyphenated)
                if result and _continues(result[-1], text):
                    text = _join(result.pop(), text, hyphenated)
                result.append(text)
    return [" ".join(text.replace("\u00ad", "").split()) for text in result if text.strip()]


def _mend(page: list[Box]) -> list[Box]:
    """The page's boxes, with the pieces of a line that was split at a wide space joined
    again (LINE_GAP), in the box of its leftmost piece."""
    pieces = sorted(
        ((item, at) for at, box in enumerate(page) for item in box.lines),
        key=lambda piece: (-piece[0].y0, piece[0].x0),
    )
    baselines: list[list[tuple[Line, int]]] = []
    for piece in pieces:
        if baselines and abs(baselines[-1][0][0].y0 - piece[0].y0) <= 0.25 * _height(piece[0]):
            baselines[-1].append(piece)
        else:
            baselines.append([piece])
    kept: list[tuple[Line, int]] = []
    for baseline in baselines:
        row = sorted(baseline, key=lambda piece: piece[0].x0)
        kept.append(row[0])
        for item, at in row[1:]:
            left, left_at = kept[-1]
            if 0 <= item.x0 - left.x1 < LINE_GAP * _height(item):
                top, bottom = max(left.y1, item.y1), min(left.y0, item.y0)
                kept[-1] = (
                    Line(f"{left.text} {item.text}", left.x0, bottom, item.x1, top),
                    left_at,
                )
            else:
                kept.append((item, at))
    by_box: dict[int, list[Line]] = {}
    for item, at in kept:
        by_box.setdefault(at, []).append(item)
    return [_box(lines) for _, lines in sorted(by_box.items())]


def _box(lines: list[Line]) -> Box:
    """A box of these lines, top line first."""
    lines = sorted(lines, key=lambda item: -item.y1)
    edges = min(x.x0 for x in lines), min(x.y0 for x in lines)
    return Box(tuple(lines), *edges, max(x.x1 for x in lines), max(x.y1 for x in lines))


def _height(item: Line) -> float:
    return item.y1 - item.y0


def _reading_order(boxes: list[Box]) -> list[Box]:
    """The boxes in reading order (recursive XY-cut: columns first, then bands)."""
    if len(boxes) < 2:
        return list(boxes)
    groups = _cut(boxes, vertical=True)
    if len(groups) < 2:
        groups = _merge_bands(_cut(boxes, vertical=False))
    if len(groups) < 2:
        return sorted(boxes, key=lambda box: (-box.y1, box.x0))
    return [box for group in groups for box in _reading_order(group)]


def _merge_bands(bands: list[list[Box]]) -> list[list[Box]]:
    """Bands, with a band joined to the one above when together they still make the same
    columns: a paragraph lower in one column than anything in the other is not a band of
    its own, to be read after both columns."""
    merged = [bands[0]]
    for band in bands[1:]:
        joined = merged[-1] + band
        columns = len(_cut(joined, vertical=True))
        if columns > 1 and columns == max(
            len(_cut(part, vertical=True)) for part in (merged[-1], band)
        ):
            merged[-1] = joined
        else:
            merged.append(band)
    return merged


def _cut(boxes: list[Box], vertical: bool) -> list[list[Box]]:
    """The boxes in groups separated by empty strips: vertical strips (columns, left to
    right) or horizontal ones (bands, top to bottom)."""

    def span(box: Box) -> tuple[float, float]:
        return (box.x0, box.x1) if vertical else (-box.y1, -box.y0)

    groups: list[list[Box]] = []
    reach = 0.0
    for box in sorted(boxes, key=span):
        start, end = span(box)
        if groups and start < reach:
            groups[-1].append(box)
            reach = max(reach, end)
        else:
            groups.append([box])
            reach = end
    return groups


def _edges(page: list[Box]) -> tuple[list[Line], list[Line]]:
    """The page's top and bottom EDGE_LINES lines (fewer on a page with few lines)."""
    lines = sorted((item for box in page for item in box.lines), key=lambda item: -item.y1)
    count = min(EDGE_LINES, len(lines) // 2)
    return lines[:count], lines[len(lines) - count :]


def _key(text: str) -> str:
    return _DIGITS.sub("#", " ".join(text.lower().split()))


def _running_keys(pages: list[list[Box]]) -> set[str]:
    """Edge lines (digits ignored) found on at least half of the pages, and on two or more."""
    pages = [page for page in pages if page]
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for page in pages:
        top, bottom = _edges(page)
        counts.update({_key(item.text) for item in top + bottom})
    return {key for key, count in counts.items() if count >= 2 and 2 * count >= len(pages)}


def _furniture(page: list[Box], running: set[str]) -> set[Line]:
    """The page's running headers and footers, and a page number that is its first or last
    line."""
    top, bottom = _edges(page)
    found = {item for item in top + bottom if _key(item.text) in running}
    lines = sorted((item for box in page for item in box.lines), key=lambda item: -item.y1)
    for item in lines[:1] + lines[-1:]:
        if _PAGE_NUMBER.fullmatch(item.text):
            found.add(item)
    return found


def _split_box(box: Box, lines: list[Line]) -> Iterable[list[Line]]:
    """The box's kept lines as paragraphs: a short sentence-ending line, or an indented
    line after a sentence end, starts a new one."""
    width = max(box.x1 - box.x0, 1.0)
    current: list[Line] = []
    for item in lines:
        if current and current[-1].text.endswith(SENTENCE_END):
            short = box.x1 - current[-1].x1 > SHORT_LINE * width
            indented = item.x0 - box.x0 > item.y1 - item.y0
            if short or indented:
                yield current
                current = []
        current.append(item)
    if current:
        yield current


def _join_lines(texts: list[str], hyphenated: set[str]) -> str:
    text = ""
    for piece in texts:
        text = _join(text, piece, hyphenated) if text else piece
    return text


def _continues(previous: str, following: str) -> bool:
    """True when `following` goes on with `previous`'s sentence (cut by a page break)."""
    return not previous.rstrip().endswith(SENTENCE_END) and following[:1].islower()


def _join(left: str, right: str, hyphenated: Collection[str] = ()) -> str:
    """Two lines of one paragraph as one text, with the hyphenation rules above;
    `hyphenated` holds the hyphenated words the document writes inside its lines."""
    left, right = left.rstrip(), right.lstrip()
    if left.endswith("\u00ad"):
        return left[:-1] + right
    match = _LINE_END_HYPHEN.search(left)
    if match is None or not right[:1].isalnum():
        return f"{left} {right}"
    if not right[0].islower():
        return left + right
    following = _FIRST_WORD.match(right)
    word = f"{match.group(1)}-{following.group() if following else ''}".lower()
    return left + right if word in hyphenated else left[:-1] + right
