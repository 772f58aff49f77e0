"""Thread counts from the environment or models.toml: checked, and lowered to a sane value,
before any model loads (issue 11, point 12)."""

from __future__ import annotations

import os

import pytest

from summarizer.engines import thread_count
from summarizer.errors import ConfigError
from tests.processes import invoke


@pytest.mark.parametrize("value", ["²", "12345678901234567890x", "0", "-3", "four"])
def test_a_thread_count_that_is_not_a_whole_number_is_one_config_error(monkeypatch, value):
    monkeypatch.setenv("SUMMARIZER_THREADS", value)
    with pytest.raises(ConfigError, match="SUMMARIZER_THREADS must be a whole number"):
        thread_count()


def test_a_huge_thread_count_is_lowered_with_one_warning(monkeypatch):
    monkeypatch.setenv("SUMMARIZER_THREADS", "12345678901234567890")
    warnings = []
    assert thread_count(on_warning=warnings.append) == 4 * os.cpu_count()
    assert len(warnings) == 1 and "SUMMARIZER_THREADS = 12345678901234567890" in warnings[0]
    monkeypatch.delenv("SUMMARIZER_THREADS")
    assert thread_count(100000, on_warning=warnings.append) == 4 * os.cpu_count()
    assert "[pipeline] threads = 100000" in warnings[1]


def test_a_huge_thread_count_runs_with_a_warning_line(article, tiny_config, monkeypatch):
    monkeypatch.setenv("SUMMARIZER_THREADS", "100000")
    result = invoke("translate", article, "--config", tiny_config, "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("more than 4 threads per CPU") == 1


def test_a_bad_thread_count_fails_before_any_model_loads(article, tiny_config, monkeypatch):
    monkeypatch.setenv("SUMMARIZER_THREADS", "²")
    result = invoke("translate", article, "--config", tiny_config, "-q")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: SUMMARIZER_THREADS must be a whole number of at least 1, not '²'"
    ]
