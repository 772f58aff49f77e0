"""Exact invalidation on the real tiny models: whatever decides an output (a generation
setting, the hub revision, the engine, a local model's files) is in its key; an unchanged
configuration reuses every entry."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from summarizer.config import load_config
from summarizer.engines import folder_fingerprint, hub_cache_folder, model_identity
from summarizer.engines.files import HASH_WHOLE_BELOW
from summarizer.options import RunOptions
from summarizer.pipeline import Summarizer
from tests.tiny_models import TINY_CONFIG

TEXT = "Le conseil municipal a voté le budget mardi soir. La météo annonce de fortes pluies."


def write_config(path: Path, models: dict[str, Path], *replacements: tuple[str, str]) -> Path:
    text = TINY_CONFIG.format(**models)
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path


def misses(config: Path, cache_dir: Path, engine: str | None = None) -> tuple[int, int]:
    """(translation, summarization) look-ups that needed a model, for one run of TEXT."""
    summarizer = Summarizer(config, cache_dir=cache_dir, engine=engine)
    try:
        stats = summarizer.run(TEXT, RunOptions(source_language="fr")).stats
    finally:
        summarizer.close()
    return stats["translation"]["cache_misses"], stats["summarization"]["cache_misses"]


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path / "cache"


def test_an_unchanged_config_reuses_every_entry(tiny_models, tmp_path, cache_dir):
    first = write_config(tmp_path / "a.toml", tiny_models)
    assert misses(first, cache_dir)[0] == 2
    # The same settings in another file, read afresh: nothing is computed again.
    same = write_config(tmp_path / "b.toml", tiny_models)
    assert misses(same, cache_dir) == (0, 0)


def test_a_changed_translation_setting_recomputes_the_translations(
    tiny_models, tmp_path, cache_dir
):
    misses(write_config(tmp_path / "a.toml", tiny_models), cache_dir)
    changed = write_config(
        tmp_path / "b.toml",
        tiny_models,
        ("num_beams = 2\nmax_new_tokens = 48", "num_beams = 3\nmax_new_tokens = 48"),
    )
    assert misses(changed, cache_dir)[0] == 2


def test_a_changed_summarizer_setting_recomputes_only_the_summary(tiny_models, tmp_path, cache_dir):
    misses(write_config(tmp_path / "a.toml", tiny_models), cache_dir)
    changed = write_config(
        tmp_path / "b.toml", tiny_models, ("no_repeat_ngram_size = 3", "no_repeat_ngram_size = 4")
    )
    translation, summarization = misses(changed, cache_dir)
    assert translation == 0 and summarization >= 1


def test_a_changed_file_in_a_local_model_folder_gives_new_keys(tiny_models, tmp_path, cache_dir):
    marian = tmp_path / "marian"
    shutil.copytree(tiny_models["marian"], marian)
    config = write_config(tmp_path / "a.toml", {**tiny_models, "marian": marian})
    assert misses(config, cache_dir)[0] == 2
    original = (marian / "config.json").read_bytes()
    (marian / "config.json").write_bytes(original + b"\n")
    assert misses(config, cache_dir)[0] == 2
    (marian / "config.json").write_bytes(original)
    assert misses(config, cache_dir)[0] == 0  # the fingerprint is of the contents


def test_large_weights_are_fingerprinted_by_size_and_modification_time(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"\0" * (HASH_WHOLE_BELOW + 1))
    before = folder_fingerprint(tmp_path)
    assert folder_fingerprint(tmp_path) == before
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert folder_fingerprint(tmp_path) != before


def test_a_different_engine_gives_new_keys(tiny_models, tmp_path, cache_dir):
    config = write_config(tmp_path / "a.toml", tiny_models)
    misses(config, cache_dir)
    assert misses(config, cache_dir) == (0, 0)
    assert misses(config, cache_dir, engine="ctranslate2")[0] == 2
    assert misses(config, cache_dir, engine="ctranslate2") == (0, 0)


def publish_to_hub_cache(folder: Path, repo_id: str, commit: str) -> None:
    """Lay `folder` out as huggingface_hub's cache does after a download of `commit`."""
    repo = hub_cache_folder(repo_id)
    shutil.copytree(folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)


def test_a_new_hub_revision_gives_new_keys_offline(tiny_models, tmp_path, cache_dir):
    """Also: a hub model in the local Hugging Face cache loads with HF_HUB_OFFLINE set and
    no network (the autouse guard fails any connection)."""
    repo_id = f"test-org/tiny-marian-{uuid.uuid4().hex[:8]}"
    first_commit, second_commit = "a" * 40, "b" * 40
    publish_to_hub_cache(tiny_models["marian"], repo_id, first_commit)
    config = write_config(tmp_path / "a.toml", {**tiny_models, "marian": repo_id})
    spec = load_config(config).models["tiny-marian"]
    assert not spec.is_local
    assert model_identity(spec) == f"torch:hub:{repo_id}@{first_commit}"
    assert misses(config, cache_dir)[0] == 2
    assert misses(config, cache_dir)[0] == 0

    publish_to_hub_cache(tiny_models["marian"], repo_id, second_commit)  # main moved on
    assert misses(config, cache_dir)[0] == 2
    pinned = write_config(
        tmp_path / "b.toml",
        {**tiny_models, "marian": repo_id},
        ("max_input_tokens = 64", f'revision = "{first_commit}"\nmax_input_tokens = 64'),
    )
    assert misses(pinned, cache_dir)[0] == 0
