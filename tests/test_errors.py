"""Errors as data: fields survive pickling, one CLI table turns each type into an exit code
and one line, and only the command line names command-line flags."""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import click
import pytest

import summarizer
from summarizer.cache import Cache
from summarizer.cli.errors import handling, reports_errors, warning_line
from summarizer.errors import (
    CacheError,
    CacheWarning,
    ConfigError,
    InputError,
    ModelError,
    OutputError,
    SummarizerError,
)

EXAMPLES = [
    SummarizerError("the summaries did not get shorter", hint="check the summarizer"),
    ConfigError(
        "must be at least 1", path=Path("/etc/models.toml"), table="pipeline", key="threads"
    ),
    ConfigError("unknown key (allowed: models, pipeline)", path="m.toml", table="", key="x"),
    ConfigError("unknown engine 'onnx'", hint="known: torch, ctranslate2"),
    InputError("no article text found in {path}", path="page.html"),
    InputError("is larger than 1 KiB", path=Path("big.txt"), hint="raise max_input_bytes"),
    ModelError("folder /m does not exist", model="m", hint="fix `model` in models.toml"),
    ModelError("{model} is set to run with ctranslate2", model="m", engine="ctranslate2"),
    ModelError("cannot read model folder /m: denied"),
    OutputError(Path("out.txt"), "Permission denied"),
    OutputError(Path("out"), "No space left on device", folder=True),
    CacheError("cannot read the cache at {path}: it is damaged", path=Path("c.sqlite3")),
    CacheWarning("unusable", "cannot open the cache at {path}", path="c", hint="use another"),
]


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda error: type(error).__name__)
def test_errors_survive_pickling_with_their_fields_and_line(error):
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert again.fields() == error.fields()
    assert str(again) == str(error)
    assert "\n" not in str(error)


def test_the_line_is_composed_from_the_fields():
    config, top, engine, article, big, folder, named, bare = EXAMPLES[1:9]
    assert str(config) == "/etc/models.toml: [pipeline] threads: must be at least 1"
    assert str(top) == "m.toml: top level x: unknown key (allowed: models, pipeline)"
    assert str(engine) == "unknown engine 'onnx'; known: torch, ctranslate2"
    assert str(article) == "no article text found in page.html"
    assert str(big) == "big.txt: is larger than 1 KiB; raise max_input_bytes"
    assert str(folder) == "model 'm': folder /m does not exist; fix `model` in models.toml"
    assert str(named) == "model 'm' is set to run with ctranslate2"
    assert str(bare) == "cannot read model folder /m: denied"
    assert str(EXAMPLES[10]) == (
        "cannot write in out: No space left on device; check that it is a writable folder "
        "with free space"
    )
    assert str(EXAMPLES[12]) == "cannot open the cache at c (use another)"


# -- the CLI's one table ------------------------------------------------------------------------


def fail_with(exc: BaseException, capsys, *, debug: bool = False) -> tuple[int, str]:
    @reports_errors
    def command(debug: bool) -> None:
        try:
            raise exc
        except BaseException as raised:  # a real traceback, as a command would have
            raise raised from None

    with pytest.raises(SystemExit) as exited:
        command(debug=debug)
    return exited.value.code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (EXAMPLES[1], 1, f"Error: {EXAMPLES[1]}"),
        (EXAMPLES[4], 1, "Error: no article text found in page.html"),
        (EXAMPLES[6], 1, f"Error: {EXAMPLES[6]}"),
        (EXAMPLES[7], 1, f"Error: {EXAMPLES[7]} (or --engine torch)"),
        (EXAMPLES[9], 1, "Error: cannot write out.txt: Permission denied; choose another --output"),
        (EXAMPLES[10], 1, f"Error: {EXAMPLES[10]}"),
        (EXAMPLES[11], 1, "Error: cannot read the cache at c.sqlite3: it is damaged"),
        (EXAMPLES[0], 1, "Error: the summaries did not get shorter; check the summarizer"),
        (KeyboardInterrupt(), 130, "Interrupted; finished work is kept in the cache."),
        (
            RuntimeError("boom"),
            1,
            "Error: unexpected RuntimeError: boom (run again with --debug for the traceback)",
        ),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else None,
)
def test_each_type_is_one_line_and_an_exit_code(capsys, exc, code, line):
    assert fail_with(exc, capsys) == (code, line + "\n")


def test_debug_prints_the_traceback_before_the_line(capsys):
    code, err = fail_with(EXAMPLES[1], capsys, debug=True)
    assert code == 1
    assert err.startswith("Traceback (most recent call last):")
    assert err.splitlines()[-1] == f"Error: {EXAMPLES[1]}"
    _code, interrupted = fail_with(KeyboardInterrupt(), capsys, debug=True)
    assert "Traceback" not in interrupted


def test_click_errors_and_system_exit_pass_through_but_a_commands_usage_error_is_one_line():
    assert handling(click.ClickException("bad")).exit_code is None
    assert handling(BrokenPipeError()).exit_code is None  # click exits 1, quietly
    assert handling(SystemExit(0)) is None
    usage = handling(click.BadParameter("no such model", param_hint="--model"))
    assert usage.exit_code == 2
    assert usage.message(click.BadParameter("no such model", param_hint="--model")) == (
        "Error: Invalid value for --model: no such model"
    )


def test_cache_warnings_get_the_command_lines_advice(tmp_path):
    (tmp_path / "a-file").write_text("x")
    warnings: list[CacheWarning] = []
    cache = Cache(tmp_path / "a-file" / "cache", on_warning=warnings.append)
    cache.get_many(["k"])
    cache.close()
    [warning] = warnings
    assert warning.kind == "unusable" and warning.path == cache.path
    assert "SUMMARIZER_CACHE_DIR" in str(warning) and "--" not in str(warning)
    line = warning_line(warning)
    assert line.startswith("Warning: cannot open the cache at ")
    assert line.endswith("; going on without it (--cache-dir DIR chooses another folder)")
    damaged = CacheWarning("damaged", "the cache file {path} was damaged", path="c")
    assert warning_line(damaged) == "Warning: the cache file c was damaged"


# -- only the command line names its flags ------------------------------------------------------

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def test_no_library_text_names_a_command_line_flag():
    """Every string in summarizer/ outside cli/ (docstrings aside: they may say which flag
    a parameter mirrors) is free of flags, so no error or warning can name one."""
    package = Path(summarizer.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        if "cli" in path.relative_to(package).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        found += [
            f"{path.name}:{node.lineno}: {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and FLAG.search(node.value)
        ]
    assert found == []


# -- a folder run's failure line ----------------------------------------------------------------


def test_a_failure_names_its_input_once_by_the_errors_path_field(tmp_path, tiny_config):
    import io

    from summarizer import jobs
    from summarizer.config import load_config
    from summarizer.options import RunOptions
    from summarizer.pipeline import Summarizer
    from summarizer.progress import Progress
    from tests.articles import french_article
    from tests.fakes import FakeModel

    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text(french_article(1), encoding="utf-8")
    (corpus / "empty.txt").write_text("")
    # The config's path holds the input's path: a search of the text would find it there.
    config = load_config(tiny_config)
    config_path = corpus / "a.txt.d" / "models.toml"
    config = type(config)(**{**config.__dict__, "path": config_path})
    summarizer = Summarizer(config, model_loader=lambda spec, p=None: FakeModel(spec))
    stream = io.StringIO()
    jobs.run(
        summarizer,
        [corpus],
        tmp_path / "out",
        RunOptions(source_language="de", summarize=False),
        "text",
        progress=Progress(0, enabled=False, stream=stream),
        emit=print,
    )
    failures = [line for line in stream.getvalue().splitlines() if line.startswith("failed: ")]
    assert sorted(failures) == [
        f"failed: {corpus / 'a.txt'}: no translator for language 'de' in {config_path}; "
        f'add de = "MODEL" (or "*" = "MODEL") under [pipeline.translators]',
        f"failed: {corpus / 'empty.txt'} is empty: there is no text to translate",
    ]


def test_a_declined_prompt_is_one_line_and_exit_1():
    row = handling(click.exceptions.Abort("nothing was removed"))
    assert row.exit_code == 1
    assert row.message(click.exceptions.Abort("nothing was removed")) == (
        "Aborted; nothing was removed."
    )
    assert row.message(click.exceptions.Abort()) == "Aborted."
