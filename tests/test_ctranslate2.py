"""The ctranslate2 engine on the tiny models: conversion, outputs, caching, the command line.

The acceptance test of the engine is that greedy float32 outputs equal the torch engine's,
for translation and summarization alike.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from summarizer import engines
from summarizer.cache import make_key
from summarizer.config import ModelSpec, load_config
from summarizer.engines import (
    CONVERSION_RECORD,
    CTranslate2Model,
    TransformersModel,
    convert_model,
    converted_folder,
    load_model,
    model_identity,
)
from summarizer.engines.transformers_engine import known_tokenizer_class
from summarizer.errors import ConfigError, ModelError
from summarizer.options import RunOptions
from summarizer.pipeline import Summarizer
from tests.articles import ENGLISH_ARTICLE, FRENCH_ARTICLE
from tests.model_builders import ENGLISH_CORPUS, FRENCH_CORPUS
from tests.processes import imported_modules, invoke
from tests.test_subprocess import run_summarizer
from tests.tiny_models import write_tiny_config

ENGINE_LINES = 'task = "{task}"\nengine = "ctranslate2"\ncompute_type = "{compute_type}"'


def engine_config(path: Path, models: dict[str, Path], *, ctranslate2: str | None, beams: int):
    """The tiny models.toml with `beams` beams, run by ctranslate2 at compute type
    `ctranslate2` (None: by torch)."""
    write_tiny_config(path, models)
    text = path.read_text(encoding="utf-8").replace("num_beams = 2", f"num_beams = {beams}")
    if ctranslate2:
        for task in ("translation", "summarization"):
            lines = ENGINE_LINES.format(task=task, compute_type=ctranslate2)
            text = text.replace(f'task = "{task}"', lines)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def greedy_configs(tiny_models, tmp_path_factory) -> dict[str, Path]:
    """Greedy search (num_beams = 1) with each engine, ctranslate2 in float32."""
    folder = tmp_path_factory.mktemp("greedy")
    return {
        "torch": engine_config(folder / "torch.toml", tiny_models, ctranslate2=None, beams=1),
        "ctranslate2": engine_config(
            folder / "ct2.toml", tiny_models, ctranslate2="float32", beams=1
        ),
    }


@pytest.fixture(scope="session")
def ct2_config(tiny_models, tmp_path_factory) -> Path:
    """The tiny config (beam search) run by ctranslate2 at its default compute type, int8."""
    path = tmp_path_factory.mktemp("ct2") / "ct2.toml"
    write_tiny_config(path, tiny_models)
    text = path.read_text(encoding="utf-8")
    for task in ("translation", "summarization"):
        text = text.replace(f'task = "{task}"', f'task = "{task}"\nengine = "ctranslate2"')
    path.write_text(text, encoding="utf-8")
    return path


def run(config: Path, text: str, checks: bool = True, **options) -> tuple[object, list[str]]:
    messages: list[str] = []
    summarizer = Summarizer(config, on_progress=messages.append, **options)
    try:
        return summarizer.run(text, RunOptions(checks=checks)), messages
    finally:
        summarizer.close()


# -- the acceptance test: greedy float32 outputs equal the torch engine's -------------------


def test_greedy_float32_translation_equals_the_torch_engine(greedy_configs):
    text = FRENCH_ARTICLE + "\n\n" + " ".join(FRENCH_CORPUS[:20])
    # Without checks: their retries search with a beam, where the engines' stopping rules
    # differ (see ctranslate2_options).
    torch_result, _ = run(greedy_configs["torch"], text, checks=False, use_cache=False)
    ct2_result, _ = run(greedy_configs["ctranslate2"], text, checks=False, use_cache=False)
    assert torch_result.stats["translation"]["segments"] == 29
    assert ct2_result.translation == torch_result.translation
    assert ct2_result.summary == torch_result.summary
    assert len(ct2_result.translation) > 200


def test_greedy_float32_summaries_equal_the_torch_engine(greedy_configs):
    text = ENGLISH_ARTICLE + "\n\n" + " ".join(ENGLISH_CORPUS)
    torch_result, _ = run(greedy_configs["torch"], text, use_cache=False)
    ct2_result, _ = run(greedy_configs["ctranslate2"], text, use_cache=False)
    assert torch_result.summarized and torch_result.stats["summarization"]["chunks"] > 1
    assert ct2_result.summary == torch_result.summary
    assert ct2_result.summary


def eager_to_end(folder: Path, target: Path) -> Path:
    """A copy of a tiny model that ends every output as soon as it may: its length is then
    exactly the minimum the length settings allow."""
    import transformers

    model = transformers.AutoModelForSeq2SeqLM.from_pretrained(folder)
    model.final_logits_bias[0, model.config.eos_token_id] = 50.0
    model.save_pretrained(target)
    for path in folder.iterdir():
        if not (target / path.name).exists():
            shutil.copy(path, target / path.name)
    return target


LENGTH_SETTINGS = [
    {"max_new_tokens": 1},
    {"max_new_tokens": 2},
    {"max_new_tokens": 9},
    {"max_length": 3},
    {"max_length": 12, "min_length": 1},
    {"max_length": 12, "min_length": 2},
    {"max_length": 12, "min_length": 6},
    {"max_length": 30, "min_length": 6, "no_repeat_ngram_size": 2},
    {"max_new_tokens": 12, "min_new_tokens": 4},
    {"max_new_tokens": 30, "repetition_penalty": 1.5},
]


# Greedy float32 confidences differ by float noise (at most 1.3e-6 measured), except under a
# repetition penalty, which transformers also applies to the decoder start token (</s> for
# BART, so the end of sentence's probability moves): 6.6e-5 measured there.
CONFIDENCE_TOLERANCE = 2e-4


# Each setting through both engines: 4 s, in the long run.
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["marian", "bart"])
def test_length_settings_mean_the_same_for_both_engines(kind, tiny_models, tmp_path):
    """Greedy outputs and their confidences stay equal across min/max length edges, on the
    model as built (whose outputs run to the length limit) and on a copy that ends as early as
    allowed (where only the minimum decides the length). Scoring changes no output."""
    task = "translation" if kind == "marian" else "summarization"
    texts = [*(FRENCH_CORPUS[:5] if kind == "marian" else ENGLISH_CORPUS[:5]), "Oui."]
    eager = eager_to_end(tiny_models[kind], tmp_path / "eager")
    lengths, scored = set(), 0
    for folder in (tiny_models[kind], eager):
        spec = ModelSpec(name=kind, task=task, model=str(folder), is_local=True)
        torch_model = load_model(spec)
        ct2_model = CTranslate2Model(
            dataclasses.replace(spec, engine="ctranslate2", compute_type="float32")
        )
        for settings in LENGTH_SETTINGS:
            settings = {"num_beams": 1, **settings}
            expected = torch_model.generate(texts, settings)
            assert ct2_model.generate(texts, settings) == expected, settings
            lengths.add(len(expected[0]))
            (torch_outputs,) = torch_model.generate_batches([(texts, settings)])
            (ct2_outputs,) = ct2_model.generate_batches([(texts, settings)])
            assert [output.text for output in torch_outputs] == expected, settings
            assert [output.text for output in ct2_outputs] == expected, settings
            for ours, theirs in zip(torch_outputs, ct2_outputs, strict=True):
                if ours.confidence is None:  # nothing generated: only forced tokens fit
                    assert theirs.confidence is None and ours.text == "", settings
                    continue
                assert theirs.confidence == pytest.approx(
                    ours.confidence, abs=CONFIDENCE_TOLERANCE
                ), settings
                scored += 1
    assert len(lengths) > 5  # the settings did shape the outputs
    assert scored >= len(LENGTH_SETTINGS) * len(texts)  # most of the outputs were compared


def test_a_translator_runs_batches_side_by_side_with_unchanged_outputs(tiny_models, tmp_path):
    """Two threads: two translator replicas, each batch with its own settings; outputs
    equal those of one batch at a time, in request order. A summarizer keeps one batch."""
    spec = ModelSpec(
        name="marian",
        task="translation",
        model=str(tiny_models["marian"]),
        is_local=True,
        engine="ctranslate2",
        compute_type="float32",
    )
    side_by_side = CTranslate2Model(spec, cache_dir=tmp_path, threads=2)
    one_at_a_time = CTranslate2Model(spec, cache_dir=tmp_path, threads=1)
    lengths = [3, 9, 1, 20, 5]
    requests = [
        (FRENCH_CORPUS[2 * i : 2 * i + 2], {"num_beams": 1, "max_new_tokens": n})
        for i, n in enumerate(lengths)
    ]
    expected = [one_at_a_time.generate(texts, settings) for texts, settings in requests]
    batches = list(side_by_side.generate_batches(iter(requests)))
    assert [[output.text for output in outputs] for outputs in batches] == expected
    for outputs, n in zip(batches, lengths, strict=True):
        # One new token is the forced end of sentence alone: nothing generated, nothing scored.
        assert all((o.confidence is None) if n == 1 else o.confidence < 0 for o in outputs)
    assert (side_by_side.parallel_batches, side_by_side._translator.num_translators) == (2, 2)
    assert one_at_a_time._translator.num_translators == 1
    assert len({len(outputs[0].split()) for outputs in expected}) > 2  # settings mattered
    summarizer = dataclasses.replace(spec, task="summarization", model=str(tiny_models["bart"]))
    assert CTranslate2Model(summarizer, cache_dir=tmp_path, threads=2).parallel_batches == 1


# -- conversion -------------------------------------------------------------------------------


def test_conversion_happens_once_under_the_cache_dir_and_is_reused(ct2_config, tmp_path):
    cache_dir = tmp_path / "here"
    first, messages = run(ct2_config, FRENCH_ARTICLE, cache_dir=cache_dir)
    assert "converting tiny-marian to ctranslate2 int8 (once)" in messages
    assert "converting tiny-bart to ctranslate2 int8 (once)" in messages
    converted = sorted(p.name for p in (cache_dir / "ctranslate2").iterdir())
    assert [name.rsplit("-", 2)[0::2] for name in converted] == [
        ["bart", "int8"],
        ["marian", "int8"],
    ]
    for name in converted:
        record = json.loads((cache_dir / "ctranslate2" / name / CONVERSION_RECORD).read_text())
        assert record["compute_type"] == "int8"

    def no_conversion(*args):
        raise AssertionError("converted again")

    # A new run, without the output cache, so that both models are loaded and used.
    loader = functools.partial(
        load_model,
        cache_dir=cache_dir,
        threads=load_config(ct2_config).threads,
        convert=no_conversion,
    )
    second, messages = run(
        ct2_config, FRENCH_ARTICLE, cache_dir=cache_dir, use_cache=False, model_loader=loader
    )
    assert not [m for m in messages if m.startswith("converting")]
    assert "loading tiny-marian (ctranslate2 int8)" in messages
    assert (second.translation, second.summary) == (first.translation, first.summary)


def tiny_ct2_spec(tiny_config, compute_type="float32"):
    spec = load_config(tiny_config).models["tiny-bart"].with_engine("ctranslate2")
    return dataclasses.replace(spec, compute_type=compute_type)


def loaded(spec, cache_dir, convert=convert_model) -> tuple[CTranslate2Model, list[str]]:
    messages: list[str] = []
    model = CTranslate2Model(spec, messages.append, cache_dir=cache_dir, convert=convert)
    assert model.generate(["A short text to summarize."], {"max_length": 8}) is not None
    return model, messages


@pytest.mark.parametrize("damage", ["no record", "empty model.bin", "other weights"])
def test_a_broken_conversion_folder_is_replaced_not_used(tiny_config, tmp_path, damage):
    spec = tiny_ct2_spec(tiny_config)
    folder = converted_folder(spec, tmp_path)
    loaded(spec, tmp_path)
    if damage == "no record":  # as a conversion written in place and killed would leave it
        (folder / CONVERSION_RECORD).unlink()
    elif damage == "empty model.bin":
        (folder / "model.bin").write_bytes(b"")
    else:
        record = json.loads((folder / CONVERSION_RECORD).read_text())
        record["weights"] = "local:0123456789abcdef"
        (folder / CONVERSION_RECORD).write_text(json.dumps(record))
    model, messages = loaded(spec, tmp_path)
    assert "converting tiny-bart to ctranslate2 float32 (once)" in messages
    assert json.loads((folder / CONVERSION_RECORD).read_text())["weights"] in model.identity
    assert (folder / "model.bin").stat().st_size > 0
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]


def test_a_failed_conversion_leaves_nothing_behind(tiny_config, tmp_path):
    spec = tiny_ct2_spec(tiny_config)

    def convert_then_die(spec, source, output):
        convert_model(spec, source, output)
        raise KeyboardInterrupt  # Ctrl-C after the weights were written, before the record

    with pytest.raises(KeyboardInterrupt):
        loaded(spec, tmp_path, convert=convert_then_die)
    assert list((tmp_path / "ctranslate2").iterdir()) == []
    loaded(spec, tmp_path)
    assert converted_folder(spec, tmp_path).is_dir()


def test_killed_conversions_leftovers_are_removed_but_running_ones_kept(tiny_config, tmp_path):
    spec = tiny_ct2_spec(tiny_config)
    root = tmp_path / "ctranslate2"
    stale, running = root / ".tmp-old-1-aaaa", root / ".tmp-running-2-bbbb"
    for path in (stale, running):
        path.mkdir(parents=True)
        (path / "model.bin").write_bytes(b"partial")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    loaded(spec, tmp_path)
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [running.name, converted_folder(spec, tmp_path).name]
    )


def test_a_conversion_finished_meanwhile_by_another_run_is_used(tiny_config, tmp_path):
    spec = tiny_ct2_spec(tiny_config)
    target = converted_folder(spec, tmp_path)

    def convert_while_another_run_finishes(spec, source, output):
        convert_model(spec, source, output)
        other = target.parent / ".other"
        convert_model(spec, source, other)
        (other / CONVERSION_RECORD).write_text(
            json.dumps({"weights": engines.weights_identity(spec), "compute_type": "float32"})
        )
        other.rename(target)

    loaded(spec, tmp_path, convert=convert_while_another_run_finishes)
    assert json.loads((target / CONVERSION_RECORD).read_text()).keys() == {
        "weights",
        "compute_type",
    }
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_compute_type_this_cpu_cannot_run_is_one_clear_error(tiny_config, tmp_path):
    spec = tiny_ct2_spec(tiny_config, compute_type="float16")
    with pytest.raises(ModelError, match=r"cannot run compute_type 'float16'.*int8"):
        loaded(spec, tmp_path)
    assert not (tmp_path / "ctranslate2").exists()


def test_missing_ctranslate2_is_one_clear_error(tiny_config, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ctranslate2", None)  # import fails, as where no wheel
    # The library names the models.toml setting; the command line adds --engine torch
    # (tests/test_errors.py).
    with pytest.raises(ModelError, match=r'pip install ctranslate2, or use engine = "torch"') as e:
        loaded(tiny_ct2_spec(tiny_config), tmp_path)
    assert e.value.engine == "ctranslate2"


# -- caching ------------------------------------------------------------------------------------


def test_cache_keys_differ_between_engines_and_compute_types(tiny_config):
    spec = load_config(tiny_config).models["tiny-marian"]
    ct2 = spec.with_engine("ctranslate2")
    variants = [spec, ct2, dataclasses.replace(ct2, compute_type="float32")]
    identities = [model_identity(variant) for variant in variants]
    assert identities[0].startswith("torch:local:")
    assert identities[1].startswith("ctranslate2-int8:local:")
    assert identities[2].startswith("ctranslate2-float32:local:")
    keys = {make_key("translation", i, spec.output_settings, "Bonjour.") for i in identities}
    assert len(keys) == 3


def test_each_engine_caches_its_own_outputs(tiny_config):
    torch_run, _ = run(tiny_config, FRENCH_ARTICLE)
    assert torch_run.stats["translation"]["cache_misses"] == 9
    first, _ = run(tiny_config, FRENCH_ARTICLE, engine="ctranslate2")
    assert first.stats["translation"]["cache_misses"] == 9
    assert first.stats["summarization"]["cache_misses"] >= 1
    second, messages = run(tiny_config, FRENCH_ARTICLE, engine="ctranslate2")
    assert second.stats["translation"]["cache_misses"] == 0
    assert second.stats["summarization"]["cache_misses"] == 0
    assert messages == []  # no model loaded, nothing converted
    assert (second.translation, second.summary) == (first.translation, first.summary)


# -- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["translate", "summarize"])
def test_engine_option_runs_ctranslate2_from_the_command_line(command, tiny_config, tmp_path):
    article = tmp_path / "article.txt"
    article.write_text(FRENCH_ARTICLE, encoding="utf-8")
    cache_dir = tmp_path / "elsewhere"
    args = (command, article, "--config", tiny_config, "--format", "json")
    args += ("--engine", "ctranslate2", "--cache-dir", cache_dir)
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "converting tiny-marian to ctranslate2 int8 (once)" in result.stderr
    data = json.loads(result.stdout)
    assert data["translation"].count("\n\n") == FRENCH_ARTICLE.strip().count("\n\n")
    assert (data["summary"] is not None) == (command == "summarize")
    assert any((cache_dir / "ctranslate2").glob("marian-*-int8"))
    again = json.loads(invoke(*args, "-q").stdout)
    assert again["stats"]["translation"]["cache_misses"] == 0
    assert again["translation"] == data["translation"]


def test_engine_option_rejects_unknown_engines(tiny_config, tmp_path):
    article = tmp_path / "article.txt"
    article.write_text(FRENCH_ARTICLE, encoding="utf-8")
    result = invoke("translate", article, "--config", tiny_config, "--engine", "onnx")
    assert result.exit_code == 2
    assert "'onnx' is not one of 'torch', 'ctranslate2'" in result.stderr


def test_models_toml_engine_runs_ctranslate2_without_the_option(ct2_config):
    result, messages = run(ct2_config, FRENCH_ARTICLE)
    assert "loading tiny-marian (ctranslate2 int8)" in messages
    assert result.translation and result.summary


# -- threads --------------------------------------------------------------------------------------


def test_thread_count_prefers_environment_then_config_then_omp(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.delenv(engines.THREADS_ENV, raising=False)
    assert engines.thread_count(None) == 3
    assert engines.thread_count(5) == 5
    monkeypatch.setenv(engines.THREADS_ENV, "2")
    assert engines.thread_count(5) == 2
    monkeypatch.delenv(engines.THREADS_ENV)
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert engines.thread_count(None) == engines.physical_cores() >= 1
    monkeypatch.setenv(engines.THREADS_ENV, "many")
    with pytest.raises(ConfigError, match="SUMMARIZER_THREADS must be a whole number"):
        engines.thread_count(None)


def test_torch_engine_runs_with_the_configured_threads(tiny_config, monkeypatch):
    import torch

    before = torch.get_num_threads()
    monkeypatch.setenv(engines.THREADS_ENV, "2")
    try:
        model = TransformersModel(load_config(tiny_config).models["tiny-marian"])
        model.count_tokens("Bonjour.")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


# Child processes that import the whole package, several times: about 10 s each.
@pytest.mark.slow
def test_cached_rerun_imports_no_engine(tmp_path, tiny_config):
    article = tmp_path / "article.txt"
    article.write_text(FRENCH_ARTICLE, encoding="utf-8")
    args = ["-m", "summarizer", "summarize", str(article), "--config", str(tiny_config)]
    args += ["--engine", "ctranslate2", "--format", "json", "-q"]
    env = {"SUMMARIZER_CACHE_DIR": str(tmp_path / "cache")}
    cold = run_summarizer(args, tmp_path, env)
    assert cold.returncode == 0, cold.stderr
    cached = run_summarizer(["-X", "importtime", *args], tmp_path, env)
    assert cached.returncode == 0, cached.stderr
    modules = {m.split(".")[0] for m in imported_modules(cached.stderr)}
    assert "summarizer" in modules
    assert not modules & {"torch", "transformers", "ctranslate2"}
    assert json.loads(cached.stdout)["summary"] == json.loads(cold.stdout)["summary"]


# Child processes that import the whole package, several times: about 10 s each.
@pytest.mark.slow
def test_a_converted_model_runs_without_importing_torch(tmp_path, tiny_config):
    """Once converted, a ctranslate2 run loads its tokenizers by their known classes and
    starts translating without importing torch (a second of every start)."""
    article = tmp_path / "article.txt"
    article.write_text(FRENCH_ARTICLE, encoding="utf-8")
    args = ["-m", "summarizer", "summarize", str(article), "--config", str(tiny_config)]
    args += ["--engine", "ctranslate2", "--format", "json", "-q"]
    converting = run_summarizer(args, tmp_path, {"SUMMARIZER_CACHE_DIR": str(tmp_path / "a")})
    assert converting.returncode == 0, converting.stderr
    (tmp_path / "b").mkdir()
    shutil.copytree(tmp_path / "a" / "ctranslate2", tmp_path / "b" / "ctranslate2")
    env = {"SUMMARIZER_CACHE_DIR": str(tmp_path / "b")}
    converted = run_summarizer(["-X", "importtime", *args], tmp_path, env)
    assert converted.returncode == 0, converted.stderr
    modules = {m.split(".")[0] for m in imported_modules(converted.stderr)}
    assert {"ctranslate2", "transformers"} <= modules
    assert "torch" not in modules
    data = json.loads(converted.stdout)
    assert data["stats"]["translation"]["cache_misses"] > 0  # the models did run
    assert (data["translation"], data["summary"]) == (
        json.loads(converting.stdout)["translation"],
        json.loads(converting.stdout)["summary"],
    )


@pytest.mark.parametrize("kind", ["marian", "bart"])
def test_known_tokenizer_class_is_the_one_autotokenizer_picks(kind, tiny_models, tmp_path):
    from transformers import AutoTokenizer
    from transformers.models.auto.tokenization_auto import TOKENIZER_MAPPING_NAMES

    assert all(TOKENIZER_MAPPING_NAMES[t] == name for t, name in engines.KNOWN_TOKENIZERS.items())
    spec = ModelSpec(name=kind, task="translation", model=str(tiny_models[kind]), is_local=True)
    auto = AutoTokenizer.from_pretrained(spec.model)
    direct = engines.load_tokenizer(spec)
    assert type(direct).__name__ == known_tokenizer_class(spec) == type(auto).__name__
    text = (FRENCH_CORPUS if kind == "marian" else ENGLISH_CORPUS)[3] + " </s> <unk>"
    assert direct(text)["input_ids"] == auto(text)["input_ids"]
    # Files that ask for another class, or for code of their own, go through AutoTokenizer.
    copy = shutil.copytree(tiny_models[kind], tmp_path / "copy")
    config = json.loads((copy / "tokenizer_config.json").read_text())
    for declared in ({"tokenizer_class": "T5Tokenizer"}, {"auto_map": {"AutoTokenizer": "x.Y"}}):
        (copy / "tokenizer_config.json").write_text(json.dumps({**config, **declared}))
        assert known_tokenizer_class(dataclasses.replace(spec, model=str(copy))) is None
