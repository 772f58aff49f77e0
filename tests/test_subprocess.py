"""The installed command run as a user runs it, in a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.articles import FRENCH_ARTICLE
from tests.processes import imported_modules


def run_summarizer(args, cwd, extra_env=None):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(extra_env or {})}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


# Child processes that import the whole package, several times: about 10 s.
@pytest.mark.slow
def test_cached_rerun_imports_neither_torch_transformers_nor_the_detector(tmp_path, tiny_config):
    article = tmp_path / "article.txt"
    article.write_text(FRENCH_ARTICLE, encoding="utf-8")
    args = ["-m", "summarizer", "summarize", str(article), "--config", str(tiny_config)]
    env = {"SUMMARIZER_CACHE_DIR": str(tmp_path / "cache")}

    cold = run_summarizer([*args, "--format", "json"], tmp_path, env)
    assert cold.returncode == 0, cold.stderr
    cached = run_summarizer(["-X", "importtime", *args, "--format", "json", "-q"], tmp_path, env)
    assert cached.returncode == 0, cached.stderr

    modules = imported_modules(cached.stderr)
    assert "summarizer.engines" in modules
    assert not {m for m in modules if m.split(".")[0] in ("torch", "transformers")}
    # Detection results are cached too, and a plain-text article needs no HTML extractor.
    assert not {m for m in modules if m.split(".")[0] in ("py3langid", "trafilatura")}
    first, second = json.loads(cold.stdout), json.loads(cached.stdout)
    assert second["stats"]["translation"]["cache_misses"] == 0
    assert second["stats"]["summarization"]["cache_misses"] == 0
    assert {k: v for k, v in first.items() if k not in ("stats", "seconds")} == {
        k: v for k, v in second.items() if k not in ("stats", "seconds")
    }


def test_bad_input_in_a_real_process_is_one_line_and_exit_1(tmp_path):
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02")
    result = run_summarizer(["-m", "summarizer", "summarize", "binary.txt"], tmp_path)
    assert result.returncode == 1
    assert result.stderr == "Error: binary.txt is a binary file, not text\n"
    assert result.stdout == ""
