"""Cache keys: a hash of everything that decides one model output, so that a changed setting
can never be served a stale result and an unchanged one never recomputes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

# Bumped whenever the meaning of a key or a value changes; part of every key, so old
# entries are simply never looked up again.
# 2: outputs depend on their own input only, never on their batch companions (issue 11):
#    version 1 entries were made with batch-wide length bounds.
# 3: a translation's value is a JSON record of its text and the model's confidence (issue
#    12): version 2 entries were the bare text.
KEY_VERSION = 3


def make_key(task: str, model_identity: str, settings: Mapping[str, object], text: str) -> str:
    """A stable hash of everything that decides one model output."""
    material = json.dumps(
        [KEY_VERSION, task, model_identity, dict(sorted(settings.items())), text],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def model_matches(identity: str, name: str) -> bool:
    """Whether a stored model identity belongs to `name`: the identity itself, or the hub id
    or local folder inside it ("torch:hub:Helsinki-NLP/opus-mt-fr-en@<commit>" matches
    "Helsinki-NLP/opus-mt-fr-en"), whatever the revision or fingerprint."""
    if identity == name:
        return True
    parts = identity.split(":", 2)
    if len(parts) != 3 or parts[1] not in ("hub", "local"):
        return False
    where, _, _revision = parts[2].rpartition("@")
    return name in (where, parts[2])
