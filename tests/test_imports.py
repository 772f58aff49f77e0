"""Importing the library is cheap: the engine libraries load only when a model runs."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.processes import REPO_ROOT, child_env, imported_modules

ENGINE_LIBRARIES = {"torch", "transformers", "ctranslate2", "huggingface_hub"}


def run_with_importtime(code: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Runs `code` in a fresh Python; what it printed and the modules it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result, imported_modules(result.stderr)


def test_importing_engines_and_pipeline_imports_no_engine_library():
    _, modules = run_with_importtime("import summarizer.engines, summarizer.pipeline")
    # Every engine module was imported, so none of them imports an engine library at the top.
    assert {
        "summarizer.engines.files",
        "summarizer.engines.transformers_engine",
        "summarizer.engines.ctranslate2_engine",
        "summarizer.engines.ctranslate2_conversion",
        "summarizer.pipeline",
    } <= modules
    assert not {m for m in modules if m.split(".")[0] in ENGINE_LIBRARIES}


def test_help_imports_no_engine_library():
    result, modules = run_with_importtime(
        "from summarizer.cli import main; import sys; sys.argv = ['summarizer', '--help']; main()"
    )
    assert "Usage: summarizer" in result.stdout
    assert "summarizer.cli" in modules
    assert not {m for m in modules if m.split(".")[0] in ENGINE_LIBRARIES | {"ray"}}


def imports_of(path) -> list[str]:
    """Every module `path` imports by absolute name, at its top or inside a function."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    return names


def test_only_the_engines_package_imports_an_engine_library():
    """Checked in the source, not only at run time: a lazy import inside a function of
    another module would not show in the import tests above until that function runs."""
    outside = [
        f"{path.name}: {name}"
        for path in sorted((REPO_ROOT / "summarizer").rglob("*.py"))
        if path.parent.name != "engines"
        for name in imports_of(path)
        if name.split(".")[0] in ENGINE_LIBRARIES
    ]
    assert outside == []


def test_only_the_ray_executor_imports_ray():
    importers = {
        str(path.relative_to(REPO_ROOT))
        for path in (REPO_ROOT / "summarizer").rglob("*.py")
        if any(name.split(".")[0] == "ray" for name in imports_of(path))
    }
    assert importers == {"summarizer/jobs/ray_executor.py"}
