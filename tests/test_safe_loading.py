"""Loading a model never runs code that came with it, and never reaches the network
when HF_HUB_OFFLINE is set (the autouse guard in conftest fails any connection).

What we decided for pickle weights: a folder with safetensors is loaded from them and a
pytorch_model.bin beside them is never opened; a folder with only a pytorch_model.bin is
loaded through PyTorch's weights-only unpickler, which accepts tensors and nothing else,
so an ordinary checkpoint works and a malicious one is one clear error."""

from __future__ import annotations

import json
import pickle
import shutil

import pytest

from summarizer.config import ModelSpec
from summarizer.engines import TransformersModel, load_model, pull
from summarizer.errors import ModelError

SETTINGS = {"num_beams": 1, "max_new_tokens": 8}
SENTENCE = ["Le conseil municipal a voté le budget."]


class WritesAFile:
    """Unpickling this creates a file: proof that pickle ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def local_spec(folder) -> ModelSpec:
    return ModelSpec(name="m", task="translation", model=str(folder), is_local=True, source="fr")


def translate(folder, engine: str = "torch") -> list[str]:
    spec = local_spec(folder).with_engine(engine)
    return load_model(spec, cache_dir=folder.parent / "conversions").generate(SENTENCE, SETTINGS)


@pytest.fixture
def marian(tiny_models, tmp_path):
    folder = tmp_path / "marian"
    shutil.copytree(tiny_models["marian"], folder)
    return folder


def test_safetensors_are_used_and_a_pickle_beside_them_is_never_opened(
    marian, tiny_models, tmp_path
):
    marker = tmp_path / "pickle-ran"
    (marian / "pytorch_model.bin").write_bytes(pickle.dumps({"w": WritesAFile(marker)}, protocol=2))
    assert translate(marian) == translate(tiny_models["marian"])
    assert not marker.exists()


def test_pickle_only_weights_load_through_the_weights_only_unpickler(marian, tiny_models):
    import torch
    from safetensors.torch import load_file

    torch.save(load_file(marian / "model.safetensors"), marian / "pytorch_model.bin")
    (marian / "model.safetensors").unlink()
    assert translate(marian) == translate(tiny_models["marian"])


def test_a_malicious_pickle_is_refused_with_one_clear_error(marian, tmp_path):
    marker = tmp_path / "pickle-ran"
    (marian / "model.safetensors").unlink()
    (marian / "pytorch_model.bin").write_bytes(pickle.dumps({"w": WritesAFile(marker)}, protocol=2))
    with pytest.raises(ModelError, match=r"model 'm': .* cannot be loaded") as error:
        translate(marian)
    assert "\n" not in str(error.value)
    assert not marker.exists()


def test_code_shipped_with_a_model_never_runs(marian, tiny_models, tmp_path):
    marker = tmp_path / "code-ran"
    config = json.loads((marian / "config.json").read_text())
    config["auto_map"] = {"AutoModelForSeq2SeqLM": "custom.Model", "AutoConfig": "custom.Config"}
    (marian / "config.json").write_text(json.dumps(config))
    (marian / "custom.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "from transformers import MarianConfig as Config, MarianMTModel as Model\n"
    )
    assert translate(marian) == translate(tiny_models["marian"])
    assert not marker.exists()


def test_pull_with_hf_hub_offline_set_reaches_no_network():
    spec = ModelSpec(name="hub", task="summarization", model="test-org/not-here", revision="main")
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE is set"):
        pull(spec)


def test_a_hub_model_not_downloaded_fails_offline_without_network():
    spec = ModelSpec(name="hub", task="summarization", model="test-org/not-here", revision="main")
    with pytest.raises(ModelError, match="summarizer models pull hub"):
        TransformersModel(spec).count_tokens("x")


ENGINES = ["torch", "ctranslate2"]


def malicious_pickle_only(folder, marker) -> None:
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"w": WritesAFile(marker)}, protocol=2))


def assert_one_line(error: ModelError) -> str:
    line = str(error)
    assert "\n" not in line and "weights_only" not in line
    return line


@pytest.mark.parametrize("engine", ENGINES)
def test_a_malicious_pickle_is_refused_by_either_engine_without_advice_to_load_it(
    engine, marian, tmp_path
):
    marker = tmp_path / "pickle-ran"
    malicious_pickle_only(marian, marker)
    with pytest.raises(ModelError) as error:
        translate(marian, engine)
    line = assert_one_line(error.value)
    assert "refused" in line and "safetensors" in line
    assert error.value.engine is None  # the other engine would refuse it too
    assert not marker.exists()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_truncated_safetensors_file_is_one_error_naming_the_folder(engine, marian):
    weights = marian / "model.safetensors"
    with open(weights, "r+b") as file:
        file.truncate(weights.stat().st_size // 2)
    with pytest.raises(ModelError, match="its weights cannot be loaded") as error:
        translate(marian, engine)
    assert str(marian) in assert_one_line(error.value)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_model_folder_without_a_tokenizer_is_one_error_naming_what_is_missing(engine, marian):
    for name in ("source.spm", "target.spm", "vocab.json", "tokenizer_config.json"):
        (marian / name).unlink()
    with pytest.raises(ModelError, match="its tokenizer cannot be loaded") as error:
        translate(marian, engine)
    assert "tokenizer files" in assert_one_line(error.value)
