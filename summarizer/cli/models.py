"""`summarizer models list` and `summarizer models pull`."""

from __future__ import annotations

from pathlib import Path

import click

from summarizer.cli import cli, config_options
from summarizer.cli.errors import echo, reports_errors


@cli.group()
def models() -> None:
    """List the models in models.toml, and download them for offline use."""


@models.command("list")
@config_options
@reports_errors
def models_list(config_path: Path | None, debug: bool) -> None:
    """Show each configured model: its task, kind, engine, the languages it reads (a
    translator: those routed to it -> its target), its licence and whether it is on disk."""
    from summarizer.config import load_config
    from summarizer.engines import engine_label, is_present_locally, languages_of, model_kind

    config = load_config(config_path)
    serves: dict[str, list[str]] = {}
    for language, name in config.translators.items():
        serves.setdefault(name, []).append(language)
    header = ("NAME", "TASK", "KIND", "ENGINE", "LANGUAGES", "LICENCE", "MODEL", "LOCAL")
    rows = [header]
    for spec in config.models.values():
        languages = _languages_shown(languages_of(spec))
        if spec.task == "translation":
            languages = f"{','.join(serves.get(spec.name, [])) or languages}->{spec.target or '?'}"
        revision = f"@{spec.revision}" if spec.revision and not spec.is_local else ""
        present = "yes" if is_present_locally(spec) else "no"
        rows.append(
            (
                spec.name,
                spec.task,
                model_kind(spec),
                engine_label(spec),
                languages,
                spec.licence or "-",
                spec.model + revision,
                present,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        echo("  ".join([*cells, row[-1]]))
    echo(f"\nconfig: {config.path}")


def _languages_shown(languages: list[str]) -> str:
    """A few languages by name, many by number."""
    if not languages:
        return "-"
    return ",".join(languages) if len(languages) <= 6 else f"{len(languages)} languages"


@models.command("pull")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--all", "every", is_flag=True, help="Every model models.toml declares.")
@config_options
@reports_errors
def models_pull(names: tuple[str, ...], every: bool, config_path: Path | None, debug: bool) -> None:
    """Download models into the local Hugging Face cache, so that later runs work offline
    (HF_HUB_OFFLINE=1): those named, else those [pipeline] uses (its translators and
    summarizer), or with --all every declared one (several GB)."""
    from summarizer.config import load_config
    from summarizer.engines import pull
    from summarizer.errors import ConfigError

    if names and every:
        raise click.UsageError("give model names or --all, not both")
    config = load_config(config_path)
    unknown = [name for name in names if name not in config.models]
    if unknown:
        raise ConfigError(
            f"unknown model {unknown[0]!r} in {{path}}",
            path=config.path,
            hint=f"known: {', '.join(config.models)}",
        )
    used = [*dict.fromkeys([*config.translators.values(), config.summarizer])]
    for name in names or (config.models if every else used):
        spec = config.models[name]
        click.echo(f"{name}: {spec.model} ...", err=True)
        location = pull(spec)
        echo(f"{name}: ready at {location}")
