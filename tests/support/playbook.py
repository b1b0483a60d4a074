"""Run ansible-playbook from a test: the repository's ansible.cfg and roles, the venv's Ansible,
and (for runs against localhost) the ansible.posix.json callback, whose output a test can read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def ansible_playbook() -> str:
    """The ansible-playbook next to the Python running the tests (the venv's), else on PATH."""
    beside = Path(sys.executable).with_name("ansible-playbook")
    if beside.exists():
        return str(beside)
    found = shutil.which("ansible-playbook")
    assert found is not None, "ansible-playbook not found (make deps installs it into .venv)"
    return found


def run(args: Sequence[str], *, json_output: bool = False, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """ansible-playbook ARGS in the repository, never prompting."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_ROLES_PATH=str(REPO / "roles"),
        ANSIBLE_NOCOLOR="1",
        PYTHONWARNINGS="ignore",
    )
    if json_output:
        env.update(
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
            ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json",
        )
    return subprocess.run(
        [ansible_playbook(), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def local_inventory(path: Path, hosts: dict[str, dict[str, Any]], group: str = "all") -> Path:
    """An inventory of hosts that are all this machine (connection local, this Python), each
    with its own variables, in `group`."""
    base = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    body = {h: {**base, **v} for h, v in hosts.items()}
    inv = {"all": {"hosts": body}} if group == "all" else {"all": {"children": {group: {"hosts": body}}}}
    path.write_text(json.dumps(inv), encoding="utf-8")
    return path


def results(stdout: str) -> dict[str, dict[str, dict[str, Any]]]:
    """task name -> host -> result, from the json callback (a task name seen twice: the last)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for play in json.loads(stdout)["plays"]:
        for task in play["tasks"]:
            out.setdefault(task["task"]["name"], {}).update(task["hosts"])
    return out


def failures(stdout: str) -> dict[str, tuple[str, str]]:
    """host -> (task name, message) of its first failed task, from the json callback."""
    out: dict[str, tuple[str, str]] = {}
    for play in json.loads(stdout)["plays"]:
        for task in play["tasks"]:
            for host, res in task["hosts"].items():
                if res.get("failed") and host not in out:
                    out[host] = (task["task"]["name"], str(res.get("msg", "")))
    return out
