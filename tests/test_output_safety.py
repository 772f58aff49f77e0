"""What a run writes, and where (issue 11): never over an input, never through a link,
never replacing a special file; temporary files of its own only, removed only when
their run is gone; names that fit; the umask honoured."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from summarizer import files
from tests.articles import french_article, write_corpus
from tests.processes import REPO_ROOT, child_env, invoke, summarizer_command


class TookTooLong(Exception):
    pass


@contextmanager
def within(seconds: int):
    """Fail (instead of hanging the test run) when the block blocks for longer."""

    def expire(signum, frame):
        raise TookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def one_line_usage_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    return result.stderr


# Point 1: a single file's -o.


@pytest.mark.parametrize("command", ["translate", "summarize"])
@pytest.mark.parametrize("spelling", ["same", "other", "hard link"])
def test_single_output_that_is_the_input_is_refused_in_any_spelling(
    tmp_path, tiny_config, command, spelling
):
    (tmp_path / "sub").mkdir()
    article = tmp_path / "a.txt"
    article.write_text(french_article(1), encoding="utf-8")
    output = {
        "same": article,
        "other": tmp_path / "sub" / ".." / "a.txt",
        "hard link": tmp_path / "b.txt",
    }[spelling]
    if spelling == "hard link":
        os.link(article, output)
    result = invoke(command, article, "-o", output, "--config", tiny_config)
    assert "never overwritten" in one_line_usage_error(result)
    assert article.read_text(encoding="utf-8") == french_article(1)
    assert os.stat(article).st_nlink == (2 if spelling == "hard link" else 1)


def test_single_output_that_stdin_is_redirected_from_is_refused(tmp_path, tiny_config):
    article = tmp_path / "a.txt"
    article.write_text(french_article(1), encoding="utf-8")
    with article.open("rb") as stdin:
        result = subprocess.run(
            summarizer_command("translate", "-", "-o", article, "--config", tiny_config),
            stdin=stdin,
            capture_output=True,
            text=True,
            env=child_env(),
            cwd=REPO_ROOT,
            timeout=300,
        )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "standard input" in result.stderr
    assert article.read_text(encoding="utf-8") == french_article(1)


def test_single_output_that_holds_the_article_piped_in_is_refused(tmp_path, tiny_config):
    """`cat a.txt | summarizer translate - -o a.txt`: a pipe has no inode to compare, so the
    text is; an output that already holds this run's output is written again as usual."""
    article = tmp_path / "a.txt"
    article.write_text(french_article(1), encoding="utf-8")

    def piped(target: Path):
        args = ("translate", "-", "-o", target, "--config", tiny_config, "-q")
        return invoke(*args, input=french_article(1))

    refused = piped(article)
    assert refused.exit_code == 1, refused.output
    assert refused.stderr.count("\n") == 1 and "read from standard input" in refused.stderr
    assert article.read_text(encoding="utf-8") == french_article(1)
    elsewhere = tmp_path / "english.txt"
    assert piped(elsewhere).exit_code == 0
    assert piped(elsewhere).exit_code == 0  # its own earlier output is no input


def test_single_output_that_is_a_link_or_not_a_file_is_refused(tmp_path, tiny_config):
    article = tmp_path / "a.txt"
    article.write_text(french_article(1), encoding="utf-8")
    kept = tmp_path / "kept.txt"
    kept.write_text("keep me")
    link = tmp_path / "link.txt"
    link.symlink_to(kept)
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "nowhere")
    for output in (link, dangling):
        result = invoke("translate", article, "-o", output, "--config", tiny_config)
        assert "symbolic link" in one_line_usage_error(result)
        assert output.is_symlink()
    assert kept.read_text() == "keep me" and not (tmp_path / "nowhere").exists()


def character_device(path: Path, minor: int) -> Path:
    """A copy of /dev/null (minor 3) or /dev/full (minor 7) at PATH: a test that goes wrong
    replaces that, never the system's own."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    except (PermissionError, AttributeError):
        pytest.skip("cannot make a device node here (not root)")
    return path


def test_single_output_writes_into_a_fifo_or_device_and_never_replaces_it(tmp_path, tiny_config):
    article = tmp_path / "a.txt"
    article.write_text(french_article(1), encoding="utf-8")
    null = character_device(tmp_path / "null", 3)
    result = invoke("translate", article, "-o", null, "--config", tiny_config)
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.lstat(null).st_mode)

    full = character_device(tmp_path / "full", 7)
    result = invoke("translate", article, "-o", full, "--config", tiny_config)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.output
    assert result.stderr.startswith(f"Error: cannot write {full}: No space left")
    assert stat.S_ISCHR(os.lstat(full).st_mode)

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with within(60):  # nobody reads: an error, not a wait
        result = invoke("translate", article, "-o", fifo, "--config", tiny_config)
    assert result.exit_code == 1 and "no process reads from it" in result.stderr
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    try:
        with within(120):
            while not received and reader.is_alive():
                result = invoke("translate", article, "-o", fifo, "--config", tiny_config)
                if result.exit_code == 0:
                    break
    finally:
        reader.join(timeout=60)
    assert result.exit_code == 0 and received and received[0].strip()
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# Point 2: nothing under OUTDIR is followed.


def test_journal_manifest_and_output_links_are_never_followed(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2, folders=1)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "v.txt").write_text("victim")
    (outside / "w.txt").write_text("victim")
    out = tmp_path / "out"
    (out / "section-0" / "day-1").mkdir(parents=True)
    (out / ".manifest.jsonl.partial").symlink_to(outside / "v.txt")
    # A link inside OUTDIR to a file inside OUTDIR is not replaced either.
    (out / "section-0" / "day-1" / "article-0001.txt").symlink_to(out / "elsewhere.txt")
    result = invoke("translate", corpus, "-o", out, "--config", tiny_config)
    assert result.exit_code == 1, result.output
    assert f"Warning: not journalling to {out / '.manifest.jsonl.partial'}" in result.stderr
    assert (out / ".manifest.jsonl.partial").is_symlink()
    assert (outside / "v.txt").read_text() == "victim"
    rows = {row["input"]: row for row in map(json.loads, (out / "manifest.jsonl").open())}
    linked = rows[str(corpus / "section-0" / "day-1" / "article-0001.txt")]
    assert linked["status"] == "failed" and "symbolic link" in linked["error"]
    assert (out / "section-0" / "day-1" / "article-0001.txt").is_symlink()
    assert not (out / "elsewhere.txt").exists()
    assert (out / "section-0" / "day-0" / "article-0000.txt").is_file()

    (out / "manifest.jsonl").unlink()
    (out / "manifest.jsonl").symlink_to(outside / "w.txt")
    result = invoke("translate", corpus, "-o", out, "--config", tiny_config, "-q")
    assert result.exit_code == 1
    assert f"cannot write {out / 'manifest.jsonl'}: it is a symbolic link" in result.stderr
    assert (outside / "w.txt").read_text() == "victim"


# Point 3: only the tool's own temporaries are removed, only when their run is gone.


def test_cleanup_removes_only_the_tools_own_temporaries_of_dead_runs(tmp_path):
    folder = tmp_path / "out" / "sub"
    folder.mkdir(parents=True)
    users = [
        folder / ".my.notes.2024.backup.tmp",
        folder / ".article.txt.999999999.x1y2z3.tmp",  # what the tool once named them
        folder / ".summarizer-tmp-999999999-notours.tmp",
    ]
    for path in users:
        path.write_text("mine")
    dead = folder / ".summarizer-tmp-999999999-0123456789abcdef.tmp"
    dead.write_text("half")
    alive = folder / f".summarizer-tmp-{os.getpid()}-0123456789abcdef.tmp"
    alive.write_text("in progress")
    assert files.remove_stale_temporaries(tmp_path / "out") == 1
    assert not dead.exists() and alive.exists()
    assert all(path.read_text() == "mine" for path in users)


# Point 10: temporary names fit whenever the final name fits.


def test_a_long_input_name_is_written_and_a_too_long_output_name_is_refused_alone(
    tmp_path, tiny_config
):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    long_name = "a" * 236 + ".txt"  # 240 characters
    (corpus / long_name).write_text(french_article(1), encoding="utf-8")
    # Beside y.txt, y.html keeps its extension: y.html.txt is 256 bytes long.
    stem = "y" * 247
    (corpus / f"{stem}.txt").write_text(french_article(2), encoding="utf-8")
    (corpus / f"{stem}.html").write_text(f"<html><body><p>{french_article(3)}</p></body></html>")
    out = tmp_path / "out"
    result = invoke("translate", corpus, "-o", out, "--config", tiny_config)
    assert result.exit_code == 1, result.output
    assert (out / long_name).is_file() and (out / f"{stem}.txt").is_file()
    assert f"failed: {corpus / (stem + '.html')}: its output" in result.stderr
    assert "would be longer than 255 bytes" in result.stderr
    assert "2 written, 0 already up to date, 1 failed" in result.stderr


def test_write_atomically_leaves_no_temporary_and_fits_any_name_that_fits(tmp_path):
    name = "n" * 255
    files.write_atomically(name, "text\n", root=tmp_path)
    assert [path.name for path in tmp_path.iterdir()] == [name]


# Point 19: a trailing slash means a folder.


def test_output_with_a_trailing_slash_is_a_folder(tmp_path, tiny_config):
    article = tmp_path / "a.txt"
    article.write_text(french_article(1), encoding="utf-8")
    result = invoke("translate", article, "-o", f"{tmp_path / 'newdir'}/", "--config", tiny_config)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "newdir").is_dir()
    assert (tmp_path / "newdir" / "a.txt").is_file()
    assert (tmp_path / "newdir" / "manifest.jsonl").is_file()


# Point 25: outputs and the manifest honour the umask.


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_outputs_and_manifest_honour_the_umask(tmp_path, tiny_config, umask):
    write_corpus(tmp_path / "corpus", 1, folders=1)
    article = tmp_path / "a.txt"
    article.write_text(french_article(1), encoding="utf-8")
    previous = os.umask(umask)
    try:
        invoke("translate", tmp_path / "corpus", "-o", tmp_path / "out", "--config", tiny_config)
        invoke("translate", article, "-o", tmp_path / "single.txt", "--config", tiny_config)
    finally:
        os.umask(previous)
    written = [
        tmp_path / "out" / "manifest.jsonl",
        tmp_path / "out" / "section-0" / "day-0" / "article-0000.txt",
        tmp_path / "single.txt",
    ]
    assert {stat.S_IMODE(path.stat().st_mode) for path in written} == {0o666 & ~umask}
    assert stat.S_IMODE((tmp_path / "out" / "section-0").stat().st_mode) == 0o777 & ~umask


# Siblings: what lies where one output should go fails that document only; a long -o name.


def test_a_folder_or_fifo_in_place_of_an_output_fails_that_document_only(tmp_path, tiny_config):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 3, folders=1)
    out = tmp_path / "out"
    (out / "section-0" / "day-0" / "article-0000.txt").mkdir(parents=True)
    (out / "section-0" / "day-1").mkdir()
    os.mkfifo(out / "section-0" / "day-1" / "article-0001.txt")
    with within(120):
        result = invoke("translate", corpus, "-o", out, "--config", tiny_config)
    assert result.exit_code == 1, result.output
    assert "1 written, 0 already up to date, 2 failed" in result.stderr
    assert "it is a folder, which is never followed or replaced" in result.stderr
    assert "it is a named pipe (FIFO), which is never" in result.stderr
    assert stat.S_ISFIFO(os.lstat(out / "section-0" / "day-1" / "article-0001.txt").st_mode)
    assert (out / "section-0" / "day-2" / "article-0002.txt").is_file()


def test_a_single_output_with_a_long_name_is_written(tmp_path, tiny_config):
    article = tmp_path / "a.txt"
    article.write_text(french_article(1), encoding="utf-8")
    output = tmp_path / ("o" * 251 + ".txt")
    result = invoke("translate", article, "-o", output, "--config", tiny_config)
    assert result.exit_code == 0, result.output
    assert output.is_file()
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]
