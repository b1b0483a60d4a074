"""`--check --diff` plans: a read-only probe must run in check mode too, or the plan is built on
its skipped (empty) result. Ansible skips command/shell/script tasks in check mode unless they
say `check_mode: false`; a task that says it changes nothing (`changed_when: false`) is a probe
and must say it, or say why it does not run in check mode (a `when` on ansible_check_mode: it
checks what a real run just changed).

Static: reads every role's task files and the playbooks; no host is contacted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

TOP = Path(__file__).resolve().parents[2]
RUNNERS = {"ansible.builtin.command", "ansible.builtin.shell", "ansible.builtin.script"}
# Roles whose tasks/main.yml ends the role in check mode before anything runs: measurements, not
# changes (checked below).
ENDS_IN_CHECK_MODE = {"latency_smoke"}


def _tasks(items: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for t in items or []:
        if not isinstance(t, dict):
            continue
        out.append(t)
        for key in ("block", "rescue", "always"):
            out.extend(_tasks(t.get(key)))
    return out


def _task_files() -> list[Path]:
    files = sorted(TOP.glob("roles/*/tasks/*.yml"))
    return [f for f in files if f.parts[-3] not in ENDS_IN_CHECK_MODE]


def _playbook_tasks(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for play in yaml.safe_load(path.read_text()) or []:
        for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            out.extend(_tasks(play.get(key)))
    return out


def _when_mentions_check_mode(task: dict[str, Any]) -> bool:
    when = task.get("when", [])
    conds = when if isinstance(when, list) else [when]
    return any("ansible_check_mode" in str(c) for c in conds)


def _unmarked_probes(tasks: list[dict[str, Any]]) -> list[str]:
    return [str(t.get("name")) for t in tasks
            if RUNNERS & t.keys() and t.get("changed_when") is False
            and "check_mode" not in t and not _when_mentions_check_mode(t)]


def test_the_scan_finds_probes() -> None:
    """The scan itself works: the known probes are seen (a scan that finds nothing passes all)."""
    probes = [t for f in _task_files() for t in _tasks(yaml.safe_load(f.read_text()))
              if RUNNERS & t.keys() and t.get("changed_when") is False]
    assert len(probes) >= 15
    assert _unmarked_probes([{"ansible.builtin.command": "true", "changed_when": False}]) == ["None"]


@pytest.mark.parametrize("path", _task_files(), ids=lambda p: str(p.relative_to(TOP)))
def test_every_probe_in_the_roles_says_how_it_runs_in_check_mode(path: Path) -> None:
    assert _unmarked_probes(_tasks(yaml.safe_load(path.read_text()))) == []


@pytest.mark.parametrize("path", sorted(TOP.glob("playbooks/*.yml")), ids=lambda p: p.name)
def test_every_probe_in_the_playbooks_says_how_it_runs_in_check_mode(path: Path) -> None:
    assert _unmarked_probes(_playbook_tasks(path)) == []


@pytest.mark.parametrize("role", sorted(ENDS_IN_CHECK_MODE))
def test_measurement_roles_end_first_in_check_mode(role: str) -> None:
    tasks = yaml.safe_load((TOP / "roles" / role / "tasks/main.yml").read_text())
    ends = [i for i, t in enumerate(tasks)
            if t.get("ansible.builtin.meta") == "end_role" and _when_mentions_check_mode(t)]
    assert ends, f"roles/{role}/tasks/main.yml does not end the role in check mode"
    # nothing that runs a command comes before it
    assert not any(RUNNERS & t.keys() for t in tasks[:ends[0]])
