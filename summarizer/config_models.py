"""models.toml's keys for the kinds of model (issue 15): a model's kind, the languages it
reads, its own language codes, a chat summarizer's prompts."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

from summarizer.config import KINDS
from summarizer.errors import ConfigError, LanguageError

# config.json model_type -> kind, for a model whose table does not say (engines/families.py
# reads the same for a hub model once it is downloaded).
ARCHITECTURE_KINDS = {
    "m2m_100": "many-to-many",
    **dict.fromkeys(
        ("qwen2", "qwen3", "llama", "mistral", "gemma", "gemma2", "gemma3_text", "phi3", "granite"),
        "chat",
    ),
}


def architecture_kind(folder: Path) -> str | None:
    """The kind a checkpoint's config.json architecture implies; None when unreadable."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        return ARCHITECTURE_KINDS.get(config["model_type"], "seq2seq")
    except (OSError, ValueError, KeyError, TypeError):
        return None


def declared_kind(table: dict[str, Any], folder: Path | None, path: Path, where: str) -> str | None:
    """The declared kind, checked against the task; else that of the checkpoint in `folder`
    (a local model's, or a hub model's once downloaded)."""
    kind = table.get("kind")
    if kind is None:
        return architecture_kind(folder) if folder else None
    if kind not in KINDS:
        problem = f"{kind!r} is not one of {', '.join(KINDS)}"
        raise ConfigError(problem, path=path, table=where, key="kind")
    if table["task"] not in KINDS[kind]:
        problem = f"a {kind} model cannot serve task = {table['task']!r}"
        raise ConfigError(problem, path=path, table=where, key="kind")
    return kind


def languages(values: list[Any], path: Path, where: str, key: str = "languages") -> list[str]:
    """ISO codes, each normalized ("fr-FR" -> "fr")."""
    from summarizer.language import normalize_code

    languages = []
    for value in values:
        try:
            languages.append(normalize_code(value if isinstance(value, str) else ""))
        except LanguageError:
            problem = f"{value!r} is not a language code such as 'fr'"
            raise ConfigError(problem, path=path, table=where, key=key) from None
    return languages


def language_codes(codes: dict[str, Any], path: Path, where: str) -> dict[str, str]:
    """ISO code -> the model's own code (one word, as its tokenizer names the language)."""
    table = f"{where}.language_codes"
    normalized = {}
    for language, code in codes.items():
        if not isinstance(code, str) or not code.strip() or len(code.split()) != 1:
            problem = "expected the model's code for the language: one word, such as 'fra_Latn'"
            raise ConfigError(problem, path=path, table=table, key=language)
        (iso,) = languages([language], path, table, key=language)
        normalized[iso] = code
    return normalized


def prompt(table: dict[str, Any], key: str, kind: str | None, path: Path, where: str) -> str | None:
    """A chat summarizer's prompt: it must place the text with {text}, and may name the
    sentences with {sentences}; no other field, index or attribute."""
    text = table.get(key)
    if text is None:
        return None
    if kind != "chat":
        problem = 'only a chat summarizer (kind = "chat") takes a prompt'
        raise ConfigError(problem, path=path, table=where, key=key)
    try:
        parsed = [part for part in string.Formatter().parse(text) if part[1] is not None]
    except ValueError as exc:
        problem = f"cannot be filled in ({exc}); write a literal brace as {{{{ or }}}}"
        raise ConfigError(problem, path=path, table=where, key=key) from None
    fields = [name for _, name, _, _ in parsed]
    if any(spec or conversion for _, _, spec, conversion in parsed):
        problem = "{text} and {sentences} take no format spec or conversion (such as :d or !r)"
        raise ConfigError(problem, path=path, table=where, key=key)
    if not set(fields) <= {"text", "sentences"}:
        wrong = next(name for name in fields if name not in ("text", "sentences"))
        problem = f"{{{wrong}}}: {{text}} and {{sentences}} are the only fields it may name"
        raise ConfigError(problem, path=path, table=where, key=key)
    if "text" not in fields:
        raise ConfigError("must place the article with {text}", path=path, table=where, key=key)
    return text
