"""Importing the library is cheap: the engine libraries load only when a model runs."""

from __future__ import annotations

import subprocess
import sys

from tests.processes import REPO_ROOT, child_env, imported_modules

ENGINE_LIBRARIES = {"torch", "transformers", "ctranslate2", "huggingface_hub"}


def test_importing_engines_and_pipeline_imports_no_engine_library():
    code = "import summarizer.engines, summarizer.pipeline"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    modules = imported_modules(result.stderr)
    # Every engine module was imported, so none of them imports an engine library at the top.
    assert {
        "summarizer.engines.files",
        "summarizer.engines.transformers_engine",
        "summarizer.engines.ctranslate2_engine",
        "summarizer.engines.ctranslate2_conversion",
        "summarizer.pipeline",
    } <= modules
    assert not {m for m in modules if m.split(".")[0] in ENGINE_LIBRARIES}
