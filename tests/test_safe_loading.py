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
from summarizer.engines import TransformersModel, pull
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


def translate(folder) -> list[str]:
    return TransformersModel(local_spec(folder)).generate(SENTENCE, SETTINGS)


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
