"""The README's install instructions (issue 11, point 26): the CPU build of PyTorch on
Linux, and never the unrelated package that has this project's name on the index."""

from __future__ import annotations

import re

from tests.processes import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_linux_install_takes_pytorchs_cpu_build():
    assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in README


def test_no_command_installs_the_unrelated_package_of_the_same_name():
    assert not re.search(r"pip3? install\s+(?:-U\s+)?['\"]?summarizer\b", README)
    assert "pip install ." in README
