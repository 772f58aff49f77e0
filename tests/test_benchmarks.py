"""The benchmark scripts run end to end on tiny models and write the figures they print.

Slow (about a minute each): they build models, start several summarizer processes and
time every path; the figures themselves are only meaningful on real-shape models."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.processes import REPO_ROOT, child_env

pytestmark = pytest.mark.slow


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_folder_benchmark_times_both_modes_and_reads_peak_memory(tmp_path):
    figures = tmp_path / "folder.json"
    done = run_script(
        "-m",
        "benchmarks.folder",
        *("--documents", "4", "--command-documents", "2", "--repeats", "1"),
        *("--rss-sizes", "2", "4", "--json", str(figures)),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(figures.read_text())
    assert results["one_at_a_time_segments_per_s"] > 0 and results["folder_segments_per_s"] > 0
    assert results["folder_speedup"] == pytest.approx(
        results["folder_segments_per_s"] / results["one_at_a_time_segments_per_s"]
    )
    assert set(results["peak_rss_mb"]) == {"2", "4"}
    assert all(megabytes > 50 for megabytes in results["peak_rss_mb"].values())
    commands = results["commands"]
    assert commands["one_per_file_seconds"] > 0 and commands["one_for_the_folder_seconds"] > 0
    assert f"folder / one at a time: {results['folder_speedup']:.2f}x" in done.stdout


def test_article_benchmark_counts_equal_outputs_on_every_path(tmp_path):
    figures = tmp_path / "article.json"
    done = run_script(
        "-m",
        "benchmarks.article",
        *("--quick", "--repeats", "1", "--models-dir", str(tmp_path / "models")),
        *("--json", str(figures)),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(figures.read_text())
    for task in ("translate", "translate+summarize"):
        assert set(results["median_seconds"][task]) == {"naive", "torch", "ctranslate2"}
        # Output lengths are forced equal, and counted: every run of every path generated
        # the same number of tokens, from the same inputs.
        generated = {
            json.dumps({step: (c["inputs"], c["output_tokens"]) for step, c in run.items()})
            for runs in results["generated_tokens"][task].values()
            for run in runs
        }
        assert len(generated) == 1, generated
    assert results["cached_rerun"]["engine_modules_imported"] == []
    assert results["first_batch"]["median"] > 0


def test_checks_benchmark_times_an_article_with_checks_off_and_on(tmp_path):
    figures = tmp_path / "checks.json"
    done = run_script(
        "-m",
        "benchmarks.checks",
        *("--pipeline", "--quick", "--repeats", "1", "--models-dir", str(tmp_path / "models")),
        *("--json", str(figures)),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(figures.read_text())
    (off,), (on,), (retrying,) = results["runs"].values()
    # Without retries the checks translate nothing more than no checks do, flagged or not.
    work = ("segments", "retried", "generated_tokens")
    assert [on[key] for key in work] == [off[key] for key in work] and off["retried"] == 0
    assert off["flagged"] == 0 and on["flagged"] > 0
    # With retries, every sentence flagged on the first pass is translated once more.
    assert retrying["retried"] == on["flagged"]
    assert retrying["generated_tokens"] > off["generated_tokens"]
    assert f"({results['ratio_vs_off']['on, no retry']:.3f}x off)" in done.stdout


def test_multilingual_benchmark_forces_equal_lengths_on_every_route(tmp_path):
    figures = tmp_path / "multilingual.json"
    done = run_script(
        "-m",
        "benchmarks.article",
        *("--multilingual", "--quick", "--repeats", "1"),
        *("--models-dir", str(tmp_path / "models"), "--json", str(figures)),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(figures.read_text())
    rows = results["rows"]
    translators = ("opus-mt-fr-en", "nllb-200-distilled-600M")
    assert list(rows["translate"]) == list(translators)
    full = ["opus-mt + distilbart-cnn", "opus-mt + qwen2.5-0.5b", "nllb + qwen2.5-0.5b"]
    assert list(rows["translate+summarize"]) == full
    # Both translators wrote every sentence with the same number of tokens, in every route,
    # one word each: every summarizer read English of one length, in BART's and Qwen's tokens.
    translated, english = set(), set()
    for by_name in rows.values():
        for row in by_name.values():
            ((counted,),) = [row["generated_tokens"]]
            (translator,) = [name for name in counted if name in translators]
            tokens = counted[translator]
            translated.add((tokens["inputs"], tokens["output_tokens"], *tokens["per_output"]))
            (lengths,) = row["english"]
            english.add(tuple(lengths.values()))
    assert len(translated) == 1 and len(english) == 1, (translated, english)
    ((sentences, tokens, each),), ((words, *summarizer_tokens),) = translated, english
    assert sentences == results["article"]["segments"] and each > 1
    assert words == tokens == sentences * each
    assert summarizer_tokens == [words, words]
    # Qwen made every summary as long as told, from the chunks the pipeline cut.
    summary_tokens = results["forced_lengths"]["summary_new_tokens"]
    for name in full[1:]:
        (counted,) = rows["translate+summarize"][name]["generated_tokens"]
        assert counted["qwen2.5-0.5b-instruct"]["per_output"] == [summary_tokens]
    (counted,) = rows["translate+summarize"][full[0]]["generated_tokens"]
    assert counted["distilbart-cnn"]["output_tokens"] > 0
    for by_name in rows.values():
        assert next(iter(by_name.values()))["vs_baseline"] == 1.0
    assert set(results["models"]) == {*translators, "distilbart-cnn", "qwen2.5-0.5b-instruct"}
    for model in results["models"].values():
        assert model["ctranslate2_int8_bytes"] > 0 and model["load_seconds"] > 0
    nllb = rows["translate"]["nllb-200-distilled-600M"]
    assert f"| translate | nllb-200-distilled-600M | {nllb['median_seconds']:.2f} |" in done.stdout
