"""The lab's podman containers as the tests see them."""

from __future__ import annotations

import shutil
import subprocess


def container_running(name: str) -> bool:
    """True when podman is installed and reports container `name` running."""
    if shutil.which("podman") is None:
        return False
    res = subprocess.run(["podman", "container", "inspect", "-f", "{{.State.Running}}", name],
                         capture_output=True, text=True, check=False, timeout=30)
    return res.returncode == 0 and res.stdout.strip() == "true"
