"""Verify roles/reboot: the plan, the marker, and every decision short of a real reboot.

A real reboot cannot happen here (test hosts are containers sharing this VM's kernel); the
`reboot` action's tasks (tasks/reboot.yml) are the one part not exercised.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import testinfra
from testinfra.host import Host

NAME = "tp-mol-reboot"
TOP = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def host() -> Host:
    return testinfra.get_host(f"podman://{NAME}")


def run_plan(tmp_path: Path, extra: dict[str, Any]) -> dict[str, Any]:
    """Run only roles/reboot against the molecule host and return tickpath_reboot_plan."""
    play = tmp_path / "plan.yml"
    play.write_text(
        "- hosts: all\n  gather_facts: false\n  roles: [reboot]\n", encoding="utf-8"
    )
    env = dict(os.environ)
    env.update(
        ANSIBLE_ROLES_PATH=str(TOP / "roles"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json",
        ANSIBLE_CONFIG=str(TOP / "ansible.cfg"),
    )
    proc = subprocess.run(
        [
            "ansible-playbook", "-i", f"{NAME},", "-c", "containers.podman.podman",
            "-e", json.dumps(extra), str(play),
        ],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    for task in out["plays"][0]["tasks"]:
        if task["task"]["name"].endswith("Print the reboot plan (before acting)"):
            plan: dict[str, Any] = task["hosts"][NAME]["tickpath_reboot_plan"]
            return plan
    raise AssertionError("plan task not found")


def test_container_host_reports_required_marker(host: Host) -> None:
    marker = host.file("/var/lib/tickpath/reboot-required")
    assert marker.exists
    text = marker.content_string
    assert "action=report" in text
    assert "reason=container host: shares its kernel, never rebooted" in text
    assert "isolcpus=managed_irq,domain,1" in text
    assert "\nunexpected=" in text and "\nchanged=" in text
    # The container is still the one molecule created: it was not rebooted.
    assert host.service("tickpath-cpu-tuning.service").is_enabled


def test_managed_keys_file_from_cpu_partitioning(host: Host) -> None:
    keys = host.file("/etc/tickpath/boot-args.managed").content_string.split()
    assert keys == sorted(set(keys))
    for key in ("isolcpus", "nohz_full", "rcu_nocbs", "irqaffinity", "idle", "iommu"):
        assert key in keys
    rendered = host.file("/etc/tickpath/boot-args").content_string.split()
    assert {arg.split("=", 1)[0] for arg in rendered} <= set(keys)
    assert "root" not in keys and "console" not in keys


def test_container_plan_lists_each_difference(host: Host, tmp_path: Path) -> None:
    plan = run_plan(tmp_path, {"tickpath_container_host": True, "reboot_marker": "/run/tp-test-marker-report"})
    assert plan["action"] == "report"
    assert plan["required"] is True
    assert "missing isolcpus=managed_irq,domain,1" in plan["differences"]
    assert plan["next_boot"] == plan["differences"]
    assert "idle" in plan["managed_keys"]
    booted = _kernel_args(host)
    # Whatever this VM booted with, only managed keys appear on the booted side of the plan.
    assert set(plan["booted_managed_args"]) <= set(booted)
    assert all(a.split("=", 1)[0] in plan["managed_keys"] for a in plan["booted_managed_args"])
    assert set(plan["unexpected_args"]) <= set(plan["booted_managed_args"])


def _kernel_args(host: Host) -> list[str]:
    words = host.check_output("cat /proc/cmdline").split()
    return words[: words.index("--")] if "--" in words else words


def _plan_with(host: Host, tmp_path: Path, name: str, rendered: str, managed: str) -> dict[str, Any]:
    """Plan for a host that owns its kernel, against test-written rendered args and managed keys."""
    host.run(f"printf '%s\\n' {shlex.quote(rendered)} > /run/tp-test-args-{name}")
    host.run(f"printf '%s\\n' {shlex.quote(managed)} > /run/tp-test-managed-{name}")
    extra = _base(f"/run/tp-test-marker-{name}")
    extra["reboot_args_file"] = f"/run/tp-test-args-{name}"
    extra["reboot_managed_keys_file"] = f"/run/tp-test-managed-{name}"
    return run_plan(tmp_path, extra)


def test_unexpected_managed_argument_requires_reboot(host: Host, tmp_path: Path) -> None:
    # The booted line carries a managed key that nothing renders any more (like idle=poll
    # dropped from the profile): required, listed as unexpected.
    booted = _kernel_args(host)
    key = booted[0].split("=", 1)[0]
    same_key = [a for a in booted if a.split("=", 1)[0] == key]
    other = next(a for a in booted if a.split("=", 1)[0] != key)
    plan = _plan_with(host, tmp_path, "unexpected", other, key)
    assert plan["required"] is True
    assert plan["action"] == "blocked"
    assert plan["unexpected_args"] == same_key
    assert plan["missing_args"] == [] and plan["changed_args"] == []
    assert plan["differences"] == [f"unexpected {a}" for a in same_key]
    text = host.file("/run/tp-test-marker-unexpected").content_string
    assert f"unexpected={' '.join(same_key)}\n" in text


def test_changed_value_requires_reboot(host: Host, tmp_path: Path) -> None:
    booted = _kernel_args(host)
    key = booted[0].split("=", 1)[0]
    same_key = [a for a in booted if a.split("=", 1)[0] == key]
    plan = _plan_with(host, tmp_path, "changed", f"{key}=tp-test-value", "")
    assert plan["required"] is True
    assert plan["changed_args"] == [{"key": key, "booted": same_key, "rendered": [f"{key}=tp-test-value"]}]
    assert plan["missing_args"] == [] and plan["unexpected_args"] == []
    assert f"changed={key}\n" in host.file("/run/tp-test-marker-changed").content_string


def _base(tmp_marker: str, **policy: Any) -> dict[str, Any]:
    return {
        "tickpath_container_host": False,
        "reboot_marker": tmp_marker,
        "tickpath_host_profile": {"reboot": {"allowed": True, "window": ""} | policy},
    }


def test_defer_flag_reports_required(host: Host, tmp_path: Path) -> None:
    marker = "/run/tp-test-marker-defer"
    plan = run_plan(tmp_path, _base(marker, allowed=False))
    assert plan["action"] == "deferred"
    assert plan["reason"] == "tickpath_host_profile.reboot.allowed is false"
    assert "nohz_full=1" in plan["missing_args"]
    text = host.file(marker).content_string
    assert "reason=tickpath_host_profile.reboot.allowed is false" in text


def test_outside_window_defers(host: Host, tmp_path: Path) -> None:
    now = host.check_output("date +%H:%M")
    hour = int(now[:2])
    # A one-hour window that certainly excludes the host's current time.
    start = f"{(hour + 2) % 24:02d}:00"
    end = f"{(hour + 3) % 24:02d}:00"
    plan = run_plan(tmp_path, _base("/run/tp-test-marker-window", window=f"{start}-{end}"))
    assert plan["action"] == "deferred"
    assert plan["reason"] == f"outside the maintenance window {start}-{end}"


def test_no_bootloader_blocks_instead_of_rebooting(host: Host, tmp_path: Path) -> None:
    # Allowed, no window, host owns its kernel, but no grub: rebooting would not help.
    plan = run_plan(tmp_path, _base("/run/tp-test-marker-blocked"))
    assert plan["action"] == "blocked"
    assert plan["bootloader"] == "none"


def test_booted_cmdline_satisfied_means_no_reboot(host: Host, tmp_path: Path) -> None:
    # The rendered argument is booted; every other booted argument is unmanaged (ignored), and a
    # managed key absent on both sides is no difference.
    first = _kernel_args(host)[0]
    host.run("touch /run/tp-test-marker-none")
    plan = _plan_with(host, tmp_path, "none", first, "tp_test_absent_key")
    assert plan["action"] == "none"
    assert plan["required"] is False
    assert plan["differences"] == []
    assert not host.file("/run/tp-test-marker-none").exists
