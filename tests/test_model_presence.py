"""Before any model loads, a run checks that every model it needs is there: a local folder
that is no model folder fails at once (never hashed first), and missing hub models are
named all together in one line that says what to do."""

from __future__ import annotations

import pytest

from summarizer.config import ModelSpec
from summarizer.engines import files, model_identity
from summarizer.errors import ModelError
from tests.processes import invoke
from tests.tiny_models import TINY_CONFIG

HUB_SPECS = [
    ModelSpec(name="hub-mt", task="translation", model="example-org/fr-en", source="fr"),
    ModelSpec(name="hub-sum", task="summarization", model="example-org/bart"),
]


def test_a_local_folder_without_config_json_fails_at_once_without_hashing_it(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("not a model")

    def hashed(folder):
        raise AssertionError("the folder was hashed")

    monkeypatch.setattr(files, "folder_fingerprint", hashed)
    spec = ModelSpec(name="m", task="translation", model=str(tmp_path), is_local=True)
    with pytest.raises(ModelError, match="is not a model folder") as error:
        model_identity(spec)
    assert str(tmp_path) in str(error.value) and error.value.model == "m"


def test_model_set_to_the_home_folder_is_one_line_naming_it(
    article, tiny_models, tmp_path, monkeypatch
):
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents" / "big.bin").write_bytes(b"x" * 1024)
    monkeypatch.setenv("HOME", str(home))
    config = tmp_path / "home.toml"
    config.write_text(TINY_CONFIG.format(marian="~", bart=tiny_models["bart"]), encoding="utf-8")
    result = invoke("translate", article, "--config", config, "-q")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: model 'tiny-marian': folder {home} is not a model folder (it holds no "
        "config.json); fix `model` in models.toml or run `summarizer models list`\n"
    )


def test_offline_one_line_names_every_missing_model_and_what_to_do(article, tmp_path):
    config = tmp_path / "hub.toml"
    config.write_text(TINY_CONFIG.format(marian="example-org/fr-en", bart="example-org/bart"))
    result = invoke("summarize", article, "--config", config, "-q")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: models tiny-marian (example-org/fr-en), tiny-bart (example-org/bart): not "
        "downloaded, and HF_HUB_OFFLINE is set; run `summarizer models pull tiny-marian "
        "tiny-bart` with network access, or set `model` to a local folder in models.toml\n"
    )


def test_an_unreachable_hub_names_every_model_it_could_not_download(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    tried = []

    def unreachable(spec):
        tried.append(spec.name)
        try:
            raise OSError("Name or service not known")
        except OSError as exc:
            raise ModelError("could not download {model}", model=spec.name) from exc

    monkeypatch.setattr(files, "pull", unreachable)
    with pytest.raises(ModelError) as error:
        files.ensure_all_present([*HUB_SPECS, HUB_SPECS[0]], lambda message: None)
    assert tried == ["hub-mt", "hub-sum"]
    assert error.value.missing == ["hub-mt", "hub-sum"]
    line = str(error.value)
    assert line.startswith(
        "models hub-mt (example-org/fr-en), hub-sum (example-org/bart): could not download: "
        "cannot reach the Hugging Face hub (Name or service not known); "
        "run `summarizer models pull hub-mt hub-sum`"
    )
    assert line.endswith("or set HF_HUB_OFFLINE=1 to use only downloaded models")


def test_models_that_are_present_need_no_download(tiny_models, monkeypatch):
    monkeypatch.setattr(files, "pull", lambda spec: pytest.fail("downloaded"))
    specs = [
        ModelSpec(name=name, task="translation", model=str(folder), is_local=True)
        for name, folder in tiny_models.items()
    ]
    files.ensure_all_present(specs, lambda message: None)
