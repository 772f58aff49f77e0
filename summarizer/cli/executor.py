"""Where a folder run's documents are processed: the options that choose, and the
settings they make (summarizer/jobs/ray_executor.py runs them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from summarizer.cli import apply
from summarizer.errors import ConfigError

if TYPE_CHECKING:
    from summarizer.jobs.ray_executor import RaySettings


def executor_options(command: Any) -> Any:
    """Where a folder run's documents are processed: here, or on a Ray cluster."""
    options = [
        click.option(
            "--executor",
            type=click.Choice(["local", "ray"]),
            default="local",
            show_default=True,
            help="local: this process, documents in windows sharing model batches. ray: a "
            "pool of Ray workers, each with its models loaded (needs -o OUTDIR and the ray "
            "extra: pip install '.[ray]'); outputs and manifest are written here alike.",
        ),
        click.option(
            "--ray-address",
            metavar="ADDRESS",
            help="With --executor ray: join the Ray cluster at ADDRESS (HOST:PORT, or auto "
            "on a node of it); every node must see the inputs under the same names. "
            "Default: a Ray instance on this machine, for this run.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            metavar="N",
            help="With --executor ray: the number of workers [default: the cluster's CPUs "
            "divided by --threads-per-worker].",
        ),
        click.option(
            "--threads-per-worker",
            type=click.IntRange(min=1),
            metavar="K",
            help="With --executor ray: the threads each worker's models use, and the CPUs "
            "Ray reserves for it [default: 1].",
        ),
    ]
    return apply(options, command)


def executor_settings(
    executor: str,
    ray_address: str | None,
    workers: int | None,
    threads_per_worker: int | None,
    single: bool,
    output: str | None,
) -> RaySettings | None:
    """The Ray settings of `--executor ray` (Ray importable, an output folder named), None
    for the local executor; Ray's options without it are a usage error."""
    ray_options = {
        "--ray-address": ray_address,
        "--workers": workers,
        "--threads-per-worker": threads_per_worker,
    }
    if executor != "ray":
        given = [name for name, value in ray_options.items() if value is not None]
        if given:
            raise click.UsageError(f"{given[0]} needs --executor ray")
        return None
    if single or output is None:
        raise click.UsageError("--executor ray needs an output folder: -o OUTDIR/")
    from summarizer.jobs.ray_executor import RaySettings, import_ray

    settings = RaySettings(
        address=ray_address,
        workers=workers,
        threads_per_worker=threads_per_worker or 1,
    )
    try:
        import_ray(settings)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    return settings
