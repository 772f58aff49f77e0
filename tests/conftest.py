"""Test isolation: no network, a private cache and config per test, tiny local models."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# huggingface_hub and transformers read these when imported: set them before any test
# module imports either, so that no test can see the user's Hugging Face cache or the hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="summarizer-test-hf-")
os.environ.pop("SUMMARIZER_CONFIG", None)
# One intra-op thread for torch (read when torch is imported; child processes inherit it).
# On a small machine shared with other work, torch's default of one thread per core made
# the tiny models' generate() about 20 times slower (test_pipeline.py: 399 s against 20 s
# on 2 busy cores), and several test processes at once compete for those cores anyway.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Read when ray is imported: the tests' Ray instances (and the children that join them)
# listen on the loopback interface only, like a local instance the Ray executor starts.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

from tests.articles import FRENCH_ARTICLE
from tests.http_server import LocalServer, running_server
from tests.multilingual_builders import build_multilingual_models
from tests.tiny_models import build_tiny_models, write_tiny_config

# The only addresses a test may connect to: servers the test itself started.
LOOPBACK = {"127.0.0.1", "::1"}


class NetworkAccessError(BaseException):
    """A BaseException, so that no `except Exception` in a library can swallow it."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that opens an internet socket (local Unix sockets and the loopback
    address, where tests start their own HTTP servers, stay allowed)."""
    original_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> None:
        local = isinstance(address, tuple) and address[0] in LOOPBACK
        if self.family in (socket.AF_INET, socket.AF_INET6) and not local:
            raise NetworkAccessError(f"test tried to connect to {address!r}")
        return original_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own cache folder and working directory."""
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(cache_dir))
    monkeypatch.delenv("SUMMARIZER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return cache_dir


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_tiny_models(tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture(scope="session")
def tiny_multilingual(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny M2M100, NLLB and Qwen2 models (tests/multilingual_builders.py), built once:
    ``{"m2m100": folder, "nllb": folder, "qwen2": folder}``."""
    return build_multilingual_models(tmp_path_factory.mktemp("tiny-multilingual"))


@pytest.fixture(scope="session")
def tiny_config(tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models.toml pointing at the tiny local models."""
    return write_tiny_config(tmp_path_factory.mktemp("config") / "tiny.toml", tiny_models)


@pytest.fixture(scope="session")
def retrying_config(tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny models.toml with retries of the translations that fail a check."""
    path = tmp_path_factory.mktemp("config") / "tiny-retrying.toml"
    return write_tiny_config(path, tiny_models, retries=True)


@pytest.fixture(scope="session")
def tiny_ctranslate2(
    tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """The tiny models.toml with every model on ctranslate2 int8, and a cache folder holding
    their conversions, made once per session (a conversion takes seconds)."""
    from summarizer.config import load_config
    from summarizer.engines import ensure_converted, ensure_present

    root = tmp_path_factory.mktemp("ctranslate2")
    config = write_tiny_config(root / "tiny-ct2.toml", tiny_models, engine="ctranslate2")
    conversions = root / "cache"
    for spec in load_config(config).models.values():
        ensure_converted(spec, ensure_present(spec, print), conversions, print)
    return config, conversions


@pytest.fixture(params=["torch", "ctranslate2"])
def engine_config(
    request: pytest.FixtureRequest,
    tiny_config: Path,
    isolated_environment: Path,
) -> Path:
    """The tiny models.toml on each engine in turn, for the end-to-end tests: the shipped
    models.toml runs ctranslate2, the tests' other models torch. The session's conversions
    are copied into this test's cache folder, where a run looks for them."""
    if request.param == "torch":
        return tiny_config
    config, conversions = request.getfixturevalue("tiny_ctranslate2")
    shutil.copytree(conversions / "ctranslate2", isolated_environment / "ctranslate2")
    return config


@pytest.fixture
def article(tmp_path: Path) -> Path:
    """A French article in a file."""
    path = tmp_path / "article.txt"
    path.write_text(FRENCH_ARTICLE, encoding="utf-8")
    return path


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A local HTTP server (127.0.0.1 only) with no routes yet; it stops with the test."""
    with running_server() as started:
        yield started


@pytest.fixture(scope="session")
def ray_address() -> Iterator[str]:
    """One local Ray instance for the session's Ray tests (it takes seconds to start): this
    process is connected to it, so the Ray executor runs on it, and children join it by
    this address."""
    import ray

    # Its sockets and logs in a short folder of its own (a socket's path has at most 107
    # bytes), removed with it.
    folder = tempfile.mkdtemp(prefix="summarizer-test-ray-")
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        logging_level="ERROR",
        log_to_driver=False,
        _temp_dir=folder,
    )
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
