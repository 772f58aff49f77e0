"""Which language an article is written in, with an offline detector (py3langid ships
its model in its wheel)."""

from __future__ import annotations

from functools import cache

TASK = "language"


@cache
def detector_identity() -> str:
    """Part of the cache key of a detection: a new detector release detects anew."""
    from importlib.metadata import version

    return f"py3langid-{version('py3langid')}"


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's main language, e.g. "fr"."""
    import py3langid

    language, _score = py3langid.classify(text)
    return language
