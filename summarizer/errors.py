"""One exception family whose members carry fields, not pre-built text.

Every error has `problem` (what went wrong) and may have `hint` (what to do); each type adds
what it is about: a models.toml table and key, an input file, a model, an output or cache
path. `str()` composes the one line from those fields. Library text names models.toml
settings, environment variables and parameters, never command-line flags: the command line
adds its own advice where it prints (summarizer/cli/errors.py).

Errors and warnings survive pickling with their fields, so that they can cross processes.
Where a problem is a sentence that names its subject mid-way, `{path}` (or, in a ModelError,
`{model}`) stands for it ("no article text found in {path}"); otherwise the subject comes
first ("PATH: problem", "model 'NAME': problem").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _rebuild(cls: type[Any], fields: dict[str, Any]) -> Any:
    """Unpickle an error or warning: the same type, built again from its fields."""
    return cls(**fields)


def _place(problem: str, mark: str, subject: str | None) -> str:
    """`problem` about `subject`: at its `mark` when it has one, else first."""
    if subject is None:
        return problem
    if mark in problem:
        return problem.replace(mark, subject)
    return f"{subject}: {problem}"


def _with_path(problem: str, path: str | Path | None) -> str:
    from summarizer.files import printable  # a file name is shown escaped, on one line

    return _place(problem, "{path}", None if path is None else printable(path))


class SummarizerError(Exception):
    """A failure the user can act on: what went wrong (`problem`) and what to do (`hint`)."""

    def __init__(self, problem: str, *, hint: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint

    def fields(self) -> dict[str, Any]:
        """Everything the error carries, by constructor keyword."""
        return {"problem": self.problem, "hint": self.hint}

    def describe(self) -> str:
        """The line without the hint."""
        return self.problem

    def __str__(self) -> str:
        return f"{self.describe()}; {self.hint}" if self.hint else self.describe()

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.fields())


class ConfigError(SummarizerError):
    """models.toml (or a setting from the environment) is missing, malformed or
    inconsistent: "PATH: [TABLE] KEY: problem; hint", each part only when known; `table`
    is a dotted TOML table name ("models.x.generation"), "" for the top level."""

    def __init__(
        self,
        problem: str,
        *,
        path: str | Path | None = None,
        table: str | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(problem, hint=hint)
        self.path = path
        self.table = table
        self.key = key

    def fields(self) -> dict[str, Any]:
        return {**super().fields(), "path": self.path, "table": self.table, "key": self.key}

    def describe(self) -> str:
        # "" is the root table: keys above the first [table] header.
        where = ["top level" if self.table == "" else f"[{self.table}]" if self.table else ""]
        where.append(f"{self.key}:" if self.key else "")
        return _with_path(" ".join([part for part in where if part] + [self.problem]), self.path)


class _AboutAPath(SummarizerError):
    """An error about one file or folder, `path`: named first, or where the problem's
    `{path}` marker stands."""

    def __init__(
        self, problem: str, *, path: str | Path | None = None, hint: str | None = None
    ) -> None:
        super().__init__(problem, hint=hint)
        self.path = path

    def fields(self) -> dict[str, Any]:
        return {**super().fields(), "path": self.path}

    def describe(self) -> str:
        return _with_path(self.problem, self.path)


class InputError(_AboutAPath):
    """The article given (the file or name `path`) cannot be read or used."""


class ModelError(SummarizerError):
    """A model (`model`, its models.toml name) cannot be found, downloaded or loaded.

    `engine` names the engine that failed when another one could run the model; `missing`
    names every model a run needs that is not on disk (and could not be downloaded)."""

    def __init__(
        self,
        problem: str,
        *,
        model: str | None = None,
        engine: str | None = None,
        missing: list[str] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(problem, hint=hint)
        self.model = model
        self.engine = engine
        self.missing = missing

    def fields(self) -> dict[str, Any]:
        return {
            **super().fields(),
            "model": self.model,
            "engine": self.engine,
            "missing": self.missing,
        }

    def describe(self) -> str:
        return _place(
            self.problem, "{model}", None if self.model is None else f"model {self.model!r}"
        )


class LanguageError(SummarizerError):
    """A source language (`language`, as given) that is not a language code, or that no
    translator serves. `served` lists the codes models.toml serves, when known, and
    `fallback` says whether other languages go to its fallback translator ("*")."""

    def __init__(
        self,
        problem: str,
        *,
        language: str,
        served: list[str] | None = None,
        fallback: bool = False,
        hint: str | None = None,
    ) -> None:
        super().__init__(problem, hint=hint)
        self.language = language
        self.served = served
        self.fallback = fallback

    def fields(self) -> dict[str, Any]:
        return {
            **super().fields(),
            "language": self.language,
            "served": self.served,
            "fallback": self.fallback,
        }

    def describe(self) -> str:
        line = _place(self.problem, "{language}", repr(self.language))
        if self.served is not None:
            line += f"; served: {', '.join(self.served)}"
            if self.fallback:
                line += ', and other languages by the fallback translator ("*")'
        return line


class OutputError(SummarizerError):
    """An output cannot be written: the file `path`, or the output folder when `folder`."""

    FOLDER_HINT = "check that it is a writable folder with free space"

    def __init__(
        self, path: str | Path, problem: str, *, folder: bool = False, hint: str | None = None
    ) -> None:
        super().__init__(problem, hint=hint if hint or not folder else self.FOLDER_HINT)
        self.path = path
        self.folder = folder

    @classmethod
    def from_os_error(cls, path: Path, exc: OSError, *, folder: bool = False) -> OutputError:
        return cls(path, str(exc.strerror or exc), folder=folder)

    def fields(self) -> dict[str, Any]:
        return {**super().fields(), "path": self.path, "folder": self.folder}

    def describe(self) -> str:
        from summarizer.files import printable

        where = f"{'in ' if self.folder else ''}{printable(self.path)}"
        return f"cannot write {where}: {self.problem}"


class CacheError(_AboutAPath):
    """A cache management command (info, prune, clear) cannot do its job with the cache
    file `path`."""


class CacheWarning(UserWarning):
    """Something went wrong with the cache; the run goes on, with less (or no) caching.

    `kind` says what ("busy", "damaged", "full", "unwritable", "unusable", "newer"), so that
    a caller can add its own advice; `hint`, in parentheses, is the library's."""

    def __init__(
        self, kind: str, problem: str, *, path: str | Path | None = None, hint: str | None = None
    ) -> None:
        super().__init__(problem)
        self.kind = kind
        self.problem = problem
        self.path = path
        self.hint = hint

    def fields(self) -> dict[str, Any]:
        return {"kind": self.kind, "problem": self.problem, "path": self.path, "hint": self.hint}

    def describe(self) -> str:
        """The line without the hint."""
        return _with_path(self.problem, self.path)

    def __str__(self) -> str:
        return f"{self.describe()} ({self.hint})" if self.hint else self.describe()

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.fields())
