"""What a run is asked to do, apart from which models do it.

One frozen value travels from the command line (or a library caller) to every stage, and
the resume fingerprint of a folder run is derived from it: a field added here changes
outputs, so it changes fingerprints too, with no list to keep in step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RunOptions:
    """How each article is read and what is made of it."""

    # The articles' language (ISO 639-1, e.g. "fr"; "fr-FR", "FR" and "fra" are read as
    # "fr", anything else is a LanguageError); None: detect it per document.
    source_language: str | None = None
    # False: translate only.
    summarize: bool = True
    # Keep lines that look like scraping debris (paywall notices, share prompts, ...).
    keep_boilerplate: bool = False
    # Check every translated sentence and the summary's claims, retry once what fails, and
    # flag what still does (issue 12); False leaves every output as the models first made it.
    checks: bool = True
    # How long summaries are: "short", "medium" or "long" (prompts.LENGTHS).
    length: str = "medium"
    # False: an article a chat summarizer summarizes from its own language ([pipeline]
    # summarize_from = "source") is not translated (its result has no translation).
    translation: bool = True

    def __post_init__(self) -> None:
        if self.source_language is not None:
            from summarizer.language import normalize_code

            object.__setattr__(self, "source_language", normalize_code(self.source_language))
        from summarizer.prompts import LENGTHS

        if self.length not in LENGTHS:
            raise ValueError(f"length must be one of {', '.join(LENGTHS)}, not {self.length!r}")

    def fingerprint_material(self) -> dict[str, Any]:
        """Every field, as plain data: part of a folder run's resume fingerprint. Fields
        added since folder runs began count only when they differ from their default, so
        that a run started before them still resumes."""
        material = asdict(self)
        for name, default in _LATER_FIELDS.items():
            if material[name] == default:
                del material[name]
        return material


_LATER_FIELDS = {"length": "medium", "translation": True}
