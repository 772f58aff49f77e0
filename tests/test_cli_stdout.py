"""Every command's stdout, as Unix tools treat theirs: a reader that goes away (`| head`)
ends the command quietly, a write that fails (a full disk) is one line and exit 1."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from summarizer.config import find_config
from summarizer.errors import ConfigError
from tests.processes import child_env, invoke, summarizer_command

COMMANDS = [("cache", "info"), ("models", "list")]


def run_with_stdout(args: tuple[str, ...], stdout: int, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        summarizer_command(*args),
        stdout=stdout,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=child_env(),
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_closed_stdout_pipe_ends_a_command_quietly(args, tmp_path):
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before the first line, as `| head -0` would be
    try:
        result = run_with_stdout(args, writer, tmp_path)
    finally:
        os.close(writer)
    assert result.returncode == 1
    assert result.stderr == ""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_stdout_on_a_full_disk_is_one_line_and_exit_1(args, tmp_path):
    with open("/dev/full", "w") as full:
        result = run_with_stdout(args, full.fileno(), tmp_path)
    assert result.returncode == 1
    assert result.stderr == "Error: cannot write standard output: No space left on device\n"


def test_a_missing_config_from_the_environment_names_the_variable(tmp_path, monkeypatch):
    missing = tmp_path / "nope.toml"
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(missing))
    with pytest.raises(ConfigError, match=r"\(from SUMMARIZER_CONFIG\)$"):
        find_config()
    result = invoke("models", "list")
    assert result.exit_code == 1
    assert result.stderr == f"Error: config file not found: {missing} (from SUMMARIZER_CONFIG)\n"
    given = invoke("models", "list", "--config", missing)
    assert given.stderr == f"Error: config file not found: {missing}\n"
