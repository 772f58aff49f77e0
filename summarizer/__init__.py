"""Translate foreign-language news articles to English and summarize them.

The library entry point is :func:`summarize_text` (one string) and :class:`Summarizer`
(keeps models loaded across many calls). Heavy imports (torch, transformers) happen
only when a model is actually needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Result",
    "RunOptions",
    "Summarizer",
    "SummarizerError",
    "__version__",
    "summarize_text",
]

if TYPE_CHECKING:
    from summarizer.errors import SummarizerError
    from summarizer.options import RunOptions
    from summarizer.pipeline import Article, Result, Summarizer, summarize_text


def __getattr__(name: str):
    # Lazy so that `import summarizer` (and `summarizer --help`) stays cheap.
    if name in ("Article", "Result", "Summarizer", "summarize_text"):
        from summarizer import pipeline

        return getattr(pipeline, name)
    if name == "RunOptions":
        from summarizer.options import RunOptions

        return RunOptions
    if name == "SummarizerError":
        from summarizer.errors import SummarizerError

        return SummarizerError
    raise AttributeError(f"module 'summarizer' has no attribute {name!r}")
