"""A folder run's resume fingerprint: every model, setting and option that could shape an
output of the run, hashed. Material added since folder runs began is added only when it
differs from what earlier runs had, so that they still resume."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from summarizer.cache import SCHEMA_VERSION as CACHE_SCHEMA
from summarizer.config import Config, ModelSpec
from summarizer.engines import Model
from summarizer.language import detector_identity
from summarizer.options import RunOptions
from summarizer.prompts import prompt_material


def run_fingerprint(
    config: Config,
    summarizer: ModelSpec,
    model_for: Callable[[ModelSpec], Model],
    options: RunOptions,
) -> str:
    """The fingerprint of a run of `options` with `config`'s translators and `summarizer`;
    `model_for` gives each model's identity (from its files, nothing loaded)."""
    specs = [config.models[name] for name in sorted(set(config.translators.values()))]
    if options.summarize:
        specs.append(summarizer)
    material: list[Any] = [CACHE_SCHEMA, config.target_language, options.fingerprint_material()]
    for spec in specs:
        identity = model_for(spec).identity
        material.append([spec.name, identity, sorted(spec.output_settings.items())])
        material.extend(prompt_material(spec))
        if spec.languages or spec.language_codes:
            material.append([spec.languages, sorted(spec.language_codes.items())])
        if options.checks:
            # What the checks retry with and flag at: they change outputs and flags.
            material.append([spec.retry_generation, sorted(spec.checks.items())])
    if config.summarize_from != "translation":
        material.append(config.summarize_from)
    material.append(detector_identity())
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
