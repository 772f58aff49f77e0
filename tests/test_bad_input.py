"""Every class of bad input a user can give ends in one clear line on stderr and exit
code 1, never a traceback, and leaves the input as it was. One table, one row per class.

"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from summarizer.cli import cli
from summarizer.config import DEFAULT_MAX_INPUT_BYTES
from tests.articles import FRENCH_ARTICLE
from tests.processes import child_env, summarizer_command

GERMAN = (
    "Der Stadtrat hat am Dienstagabend den Haushalt für das kommende Jahr beschlossen. "
    "Die Schulen sollen vor dem nächsten Winter renoviert werden, sagte die Bürgermeisterin.\n"
)
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def article_file(content: bytes | str):
    def make(tmp: Path) -> list[str]:
        path = tmp / "article.txt"
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return [str(path)]

    return make


def html_file(content: str):
    def make(tmp: Path) -> list[str]:
        path = tmp / "page.html"
        path.write_text(content, encoding="utf-8")
        return [str(path)]

    return make


def oversize(tmp: Path) -> list[str]:
    path = tmp / "huge.txt"
    path.write_bytes(b"a" * (DEFAULT_MAX_INPUT_BYTES + 1))
    return [str(path)]


def permission_denied(tmp: Path) -> list[str]:
    path = tmp / "secret.txt"
    path.write_text(FRENCH_ARTICLE)
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("mode 000 does not stop this user (root); the symlink loop row covers it")
    return [str(path)]


def symlink_loop(tmp: Path) -> list[str]:
    # Unreadable for every user, root included: opening it fails with ELOOP.
    (tmp / "loop-a.txt").symlink_to(tmp / "loop-b.txt")
    (tmp / "loop-b.txt").symlink_to(tmp / "loop-a.txt")
    return [str(tmp / "loop-a.txt")]


def fifo(tmp: Path) -> list[str]:
    # Read, it would block until a writer came: refused before it is opened (issue 11, 8).
    os.mkfifo(tmp / "pipe.txt")
    return [str(tmp / "pipe.txt")]


def directory(tmp: Path) -> list[str]:
    (tmp / "folder").mkdir()
    return [str(tmp / "folder")]


def missing(tmp: Path) -> list[str]:
    return [str(tmp / "absent.txt")]


def with_config(text: str, *extra: str):
    def make(tmp: Path) -> list[str]:
        config = tmp / "models.toml"
        config.write_text(text, encoding="utf-8")
        (tmp / "article.txt").write_text(FRENCH_ARTICLE, encoding="utf-8")
        return [str(tmp / "article.txt"), "--config", str(config), *extra]

    return make


def with_tiny_config(content: str, *extra: str):
    """Marked for the tiny config, filled in by the test."""

    def make(tmp: Path) -> list[str]:
        return [*article_file(content)(tmp), "--config", "{tiny}", *extra]

    return make


BAD_INPUTS = [
    pytest.param(article_file(""), "is empty", id="empty"),
    pytest.param(article_file(" \n\t\n\u00a0\n  \r\n"), "is empty", id="whitespace"),
    pytest.param(
        article_file(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
        "binary",
        id="binary",
    ),
    pytest.param(
        # A UTF-16 byte-order mark followed by a lone surrogate: no decoding makes it text.
        article_file(b"\xff\xfe\x00\xd8\x41\x00"),
        "byte-order mark but is not valid UTF-16",
        id="undecodable",
    ),
    pytest.param(oversize, "larger than", id="oversize"),
    pytest.param(permission_denied, "permission denied", id="unreadable-mode-000"),
    pytest.param(symlink_loop, "cannot read", id="unreadable-symlink-loop"),
    pytest.param(missing, "no such file or folder", id="missing"),
    pytest.param(directory, "is a folder: give -o OUTDIR", id="directory-as-file"),
    pytest.param(fifo, "pipe.txt is a named pipe (FIFO), not an article file", id="fifo"),
    pytest.param(
        html_file("<html><body><nav>Menu</nav><script>x()</script></body></html>"),
        "no article text found in",
        id="html-without-article",
    ),
    pytest.param(
        with_tiny_config(GERMAN), "no translator for language 'de'", id="unsupported-language"
    ),
    pytest.param(
        with_config('[pipeline\nsummarizer = "x"\n'), "is not valid TOML", id="malformed-toml"
    ),
    pytest.param(
        with_config('[pipeline]\nsummarizer = "x"\n[models.x]\nmodle = "y"\n'),
        "[models.x] modle: unknown key",
        id="unknown-key-in-toml",
    ),
    pytest.param(
        with_tiny_config(FRENCH_ARTICLE, "--summarizer", "nope"),
        "unknown summarizer 'nope'",
        id="unknown-model-name",
    ),
    pytest.param(
        with_config('[pipeline]\nsummarizer = "ghost"\n'),
        "no model named 'ghost'",
        id="unknown-model-name-in-toml",
    ),
]


@pytest.mark.parametrize(("make", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_and_exit_1_and_the_input_is_untouched(
    make, message, tmp_path, tiny_config, isolated_environment
):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    args = [arg.replace("{tiny}", str(tiny_config)) for arg in make(inputs)]
    before = snapshot(inputs)
    result = CliRunner().invoke(cli, ["summarize", *args, "-q"])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(inputs) == before  # nothing read was changed, nothing was written


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file (not following links)."""
    return {
        str(path): (path.lstat().st_size, path.lstat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_symlink() or path.is_file()
    }


def test_an_output_folder_that_cannot_be_made_is_one_line_before_any_model_runs(
    tmp_path, tiny_config, isolated_environment
):
    article = tmp_path / "article.txt"
    article.write_text(FRENCH_ARTICLE, encoding="utf-8")
    (tmp_path / "taken").write_text("a file, not a folder")
    before = snapshot(tmp_path)
    output = tmp_path / "taken" / "out.json"
    result = CliRunner().invoke(
        cli, ["summarize", str(article), "--config", str(tiny_config), "-o", str(output)]
    )
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: cannot write {output}: ")
    assert "choose another --output" in result.stderr
    assert snapshot(tmp_path) == before
    assert not isolated_environment.exists()  # failed before the cache, let alone a model


@pytest.mark.skipif(IS_ROOT, reason="a read-only folder does not stop root (tests run as root)")
def test_a_read_only_output_folder_is_one_line_and_the_input_is_untouched(tmp_path, tiny_config):
    article = tmp_path / "article.txt"
    article.write_text(FRENCH_ARTICLE, encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        output = locked / "o.txt"
        result = CliRunner().invoke(
            cli, ["summarize", str(article), "--config", str(tiny_config), "-o", str(output)]
        )
        assert result.exit_code == 1 and "permission denied" in result.stderr.lower()
        assert list(locked.iterdir()) == []
        assert article.read_text(encoding="utf-8") == FRENCH_ARTICLE
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("command", ["translate", "summarize"])
def test_empty_input_says_what_there_is_no_text_for(
    command, tmp_path, tiny_config, isolated_environment
):
    empty = tmp_path / "empty.txt"
    empty.write_text(" \n")
    result = CliRunner().invoke(cli, [command, str(empty), "--config", str(tiny_config), "-q"])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {empty} is empty: there is no text to {command}\n"


def test_closed_stdin_is_one_line_and_exit_1(tmp_path, tiny_config):
    # `summarizer translate - <&-`: Python starts with sys.stdin set to None.
    result = subprocess.run(
        summarizer_command("translate", "-", "--config", tiny_config, "-q"),
        cwd=tmp_path,
        env=child_env(SUMMARIZER_CACHE_DIR=str(tmp_path / "cache")),
        preexec_fn=lambda: os.close(0),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr == "Error: standard input is closed: there is no article to read\n"
