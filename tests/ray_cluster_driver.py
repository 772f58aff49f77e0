"""A folder run on a two-node Ray cluster on this machine, for tests/test_ray.py.

    python -m tests.ray_cluster_driver CONFIG CORPUS OUTDIR NODES

Each node has one CPU, so the two one-CPU workers must sit on different nodes; each
worker writes its node's id into a file under NODES, which the test counts."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # loopback only, before ray loads

import ray
from ray.cluster_utils import Cluster

from summarizer.jobs import ray_executor
from tests.test_ray import folder_run


def recording_worker(nodes: Path) -> type[ray_executor.Worker]:
    class NodeRecordingWorker(ray_executor.Worker):
        """The executor's worker, which also says which node it runs on."""

        def __call__(self, batch):
            node = ray.get_runtime_context().get_node_id()
            nodes.mkdir(exist_ok=True)
            (nodes / f"{os.getpid()}").write_text(node)
            return super().__call__(batch)

    return NodeRecordingWorker


def main(config: str, corpus: str, outdir: str, nodes: str) -> None:
    # Sockets and logs in a short folder of its own, removed with the cluster.
    folder = tempfile.mkdtemp(prefix="summarizer-test-ray-")
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False, "temp_dir": folder},
    )
    cluster.add_node(num_cpus=1, temp_dir=folder)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
    ray_executor.Worker = recording_worker(Path(nodes))  # type: ignore[misc]
    settings = ray_executor.RaySettings(address=cluster.address, workers=2, documents_per_batch=2)
    try:
        folder_run(Path(config), Path(corpus), Path(outdir), executor=settings)
    finally:
        ray.shutdown()
        cluster.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
