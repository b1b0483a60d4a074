"""Tags per concern in site.yml: the tag set, what `--tags ptp` and `--skip-tags reboot` select,
and the guards that keep a tagged run safe (README.md "Tags").

The listings are `ansible-playbook -i inventories/lab site.yml --list-tags / --list-tasks`: no
host is contacted. The guards run on this machine (connection local) only as far as their own
assert, which fails: every run is in --check mode or an assert-only task file, so nothing
changes even if a guard were gone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest
from support import playbook

CONCERNS = {
    "preflight", "cpu", "reboot", "hugepages", "sysctl", "irq", "onload", "dpdk", "afxdp",
    "ptp", "chrony", "deploy", "verify",
}
# The concern tag of each role applied by site.yml.
ROLE_TAG = {
    "preflight": "preflight",
    "cpu_partitioning": "cpu",
    "hugepages": "hugepages",
    "kernel_tuning": "sysctl",
    "irq_nic": "irq",
    "reboot": "reboot",
    "onload": "onload",
    "dpdk": "dpdk",
    "afxdp": "afxdp",
    "ptp": "ptp",
    "chrony": "chrony",
    "tickpath_deploy": "deploy",
    "latency_smoke": "verify",
}
GUARD = "Refuse a run that skips preflight"
VALIDATION = "Validating arguments against arg spec"

pytestmark = pytest.mark.slow


class Task(NamedTuple):
    play: int
    role: str  # "" for a task of the play itself
    name: str
    tags: frozenset[str]


def _listing(*args: str) -> str:
    proc = playbook.run(["-i", "inventories/lab", "site.yml", *args])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


_PLAY = re.compile(r"^\s+play #(\d+) \(")
_TASK = re.compile(r"^ {6}(?:(\w+) : )?(.*?)\tTAGS: \[(.*)\]$")


def _tasks(*args: str) -> list[Task]:
    out: list[Task] = []
    play = 0
    for line in _listing("--list-tasks", *args).splitlines():
        if m := _PLAY.match(line):
            play = int(m.group(1))
        elif m := _TASK.match(line):
            tags = frozenset(t.strip() for t in m.group(3).split(",") if t.strip())
            out.append(Task(play, m.group(1) or "", m.group(2), tags))
    assert out, "no task parsed from --list-tasks"
    return out


def test_list_tags_is_one_tag_per_concern() -> None:
    text = _listing("--list-tags")
    found: set[str] = set()
    for line in text.splitlines():
        if "TASK TAGS: [" in line:
            found |= {t.strip() for t in line.split("[", 1)[1].rstrip("]").split(",") if t.strip()}
    assert found == CONCERNS | {"always"}


def test_every_task_carries_its_roles_concern_tag() -> None:
    tasks = _tasks()
    roles = {t.role for t in tasks if t.role}
    assert roles == set(ROLE_TAG), roles ^ set(ROLE_TAG)
    for t in tasks:
        if t.role:
            assert ROLE_TAG[t.role] in t.tags, t
        elif t.name != GUARD:
            assert t.tags & CONCERNS, f"task without a concern tag: {t}"
    # preflight is tagged always: every tagged run validates before it changes anything
    assert all("always" in t.tags for t in tasks if t.role == "preflight")
    # the guard is tagged always alone, so that --skip-tags preflight cannot skip it
    assert [t.tags for t in tasks if t.name == GUARD] == [frozenset({"always"})]


def test_tags_ptp_lists_preflight_and_ptp_only() -> None:
    tasks = _tasks("--tags", "ptp")
    # Every role's argument validation is tagged always by Ansible: it only reads.
    work = [t for t in tasks if not t.name.startswith(VALIDATION)]
    assert {t.role for t in work} == {"preflight", "ptp", ""}
    assert {t.name for t in work if not t.role} == {GUARD}
    # preflight (on exchange hosts: its platform gate) comes before the first ptp task
    first_ptp = min(t.play for t in work if t.role == "ptp")
    assert max(t.play for t in work if t.role == "preflight") < first_ptp
    # ptp runs in both of its plays (trading hosts, exchange hosts)
    assert len({t.play for t in work if t.role == "ptp"}) == 2
    # the whole preflight role is there, not a part of it
    assert {t.name for t in work if t.role == "preflight"} >= {
        "Check the operating system is a tested platform",
        "Check housekeeping and isolated cpus do not overlap",
        "Report the validated profile",
    }


def test_skip_tags_reboot_lists_no_reboot_task() -> None:
    tasks = _tasks("--skip-tags", "reboot")
    assert [t for t in tasks if t.role == "reboot"] == []
    assert {"preflight", "cpu_partitioning", "ptp", "tickpath_deploy"} <= {t.role for t in tasks}
    # the run says that it leaves the reboot decision out
    assert "Note that this run does not decide the reboot" in {t.name for t in tasks}


def test_skip_tags_preflight_keeps_the_guard() -> None:
    tasks = _tasks("--skip-tags", "preflight")
    assert [t for t in tasks if t.role == "preflight"] == []
    assert GUARD in {t.name for t in tasks}


def _trading_localhost(tmp_path: Path) -> Path:
    return playbook.local_inventory(tmp_path / "inventory.json", {"tp-test-local": {}}, group="trading")


def test_guard_refuses_skipping_preflight(tmp_path: Path) -> None:
    # --check and a tag no task has: only `always` tasks are selected, and --check keeps even
    # those from changing this machine; the guard is the first of them after the facts.
    proc = playbook.run(
        ["-i", str(_trading_localhost(tmp_path)), "playbooks/tune.yml", "--check",
         "--skip-tags", "preflight", "--tags", "tickpath-test-no-such-tag"],
        json_output=True,
    )
    assert proc.returncode == 2, proc.stderr[-3000:]
    task, msg = playbook.failures(proc.stdout)["tp-test-local"]
    assert task == GUARD
    assert "--skip-tags preflight: preflight validates the host profile" in msg


def _chrony_guard(tmp_path: Path, host_vars: dict[str, object]) -> tuple[int, str]:
    inv = playbook.local_inventory(tmp_path / "inventory.json", {"tp-test-local": host_vars})
    play = tmp_path / "chrony-guard.yml"
    play.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.include_role: {name: chrony, tasks_from: ptp_facts}\n",
        encoding="utf-8",
    )
    proc = playbook.run(["-i", str(inv), str(play)], json_output=True)
    msg = playbook.failures(proc.stdout).get("tp-test-local", ("", ""))[1] if proc.stdout else ""
    return proc.returncode, msg


def test_chrony_alone_refuses_a_ptp_host_without_ptp_facts(tmp_path: Path) -> None:
    rc, msg = _chrony_guard(tmp_path, {"tickpath_host_profile": {"ptp": {"enabled": True}}})
    assert rc == 2
    assert "run chrony together with ptp (--tags ptp,chrony). Nothing was changed." in msg
    # the exchange play sets ptp_enabled itself
    rc, msg = _chrony_guard(tmp_path, {"ptp_enabled": True})
    assert rc == 2 and "--tags ptp,chrony" in msg


@pytest.mark.parametrize(
    "host_vars",
    [
        {"tickpath_host_profile": {"ptp": {"enabled": True}}, "ptp_active": True},
        {"tickpath_host_profile": {"ptp": {"enabled": False}}},
        {},
    ],
    ids=["ptp-ran", "ptp-off", "no-profile"],
)
def test_chrony_guard_passes_when_ptp_facts_are_not_needed_or_there(
    tmp_path: Path, host_vars: dict[str, object]
) -> None:
    rc, msg = _chrony_guard(tmp_path, host_vars)
    assert rc == 0, msg


def test_reboot_alone_refuses_without_rendered_boot_args(tmp_path: Path) -> None:
    # Every path the role writes points into tmp_path, the host is a container host (never
    # rebooted) and the run is --check: the role can change nothing here.
    inv = playbook.local_inventory(
        tmp_path / "inventory.json",
        {"tp-test-local": {
            "tickpath_container_host": True,
            "reboot_allowed": False,
            "reboot_args_file": str(tmp_path / "boot-args"),
            "reboot_managed_keys_file": str(tmp_path / "boot-args.managed"),
            "reboot_marker": str(tmp_path / "marker" / "reboot-required"),
        }},
    )
    play = tmp_path / "reboot.yml"
    play.write_text("- hosts: all\n  gather_facts: false\n  roles: [reboot]\n", encoding="utf-8")
    proc = playbook.run(["-i", str(inv), str(play), "--check"], json_output=True)
    assert proc.returncode == 2, proc.stderr[-3000:]
    task, msg = playbook.failures(proc.stdout)["tp-test-local"]
    assert task == "reboot : Require the arguments cpu_partitioning rendered"
    assert f"reboot: {tmp_path / 'boot-args'} is missing on tp-test-local" in msg
    assert "(--tags cpu,reboot)" in msg
    assert not (tmp_path / "marker").exists()
