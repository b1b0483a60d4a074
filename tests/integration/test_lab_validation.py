"""Bad lab requests fail with a clear message before anything is changed.

Runs the real playbooks/lab.yml (needs root, podman and the venv; not the lab itself). Each case
snapshots the lab's podman objects (labelled containers with their ids and start times, the lab
network, the lab state directory) before and after, so "nothing changed" holds whether the lab is
up or down. The validation filters are also exercised directly (fast, no Ansible).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support.modules import load_file

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
LAB_STATE_DIR = Path("/var/lib/tickpath/lab")

LINE_A: dict[str, Any] = {
    "name": "a", "interface": "feed-a", "subnet": "198.18.1.0/24", "exchange_address": "198.18.1.1",
    "trader_address": "198.18.1.2", "multicast_group": "239.100.1.1", "port": 26400,
}
LINE_B: dict[str, Any] = {
    "name": "b", "interface": "feed-b", "subnet": "198.18.2.0/24", "exchange_address": "198.18.2.1",
    "trader_address": "198.18.2.2", "multicast_group": "239.100.2.1", "port": 26401,
}

needs_podman = pytest.mark.skipif(
    shutil.which("podman") is None or os.geteuid() != 0 or not (VENV_BIN / "ansible-playbook").exists(),
    reason="needs root, podman and the venv (make deps)",
)


def lab_snapshot() -> dict[str, Any]:
    """Every podman object and file the lab playbook would create."""
    ps = subprocess.run(
        ["podman", "ps", "--all", "--format", "json"], capture_output=True, text=True, check=True, timeout=60
    )
    containers = sorted(
        (c["Names"][0], c["Id"], str(c.get("StartedAt")))
        for c in json.loads(ps.stdout or "[]")
        if c["Names"][0].startswith("tp-lab-") or (c.get("Labels") or {}).get("io.tickpath.lab") == "true"
    )
    network = subprocess.run(
        ["podman", "network", "exists", "tickpath-lab"], capture_output=True, check=False, timeout=60
    ).returncode == 0
    state = sorted(p.name for p in LAB_STATE_DIR.iterdir()) if LAB_STATE_DIR.is_dir() else None
    extra_inventory = (REPO / "inventories" / "lab" / "extra_hosts.yml").exists()
    return {"containers": containers, "network": network, "state": state, "extra": extra_inventory}


def run_lab(*extra: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env["PATH"] = path if path is not None else f"{VENV_BIN}:{env.get('PATH', '')}"
    return subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "inventories/lab", "playbooks/lab.yml", *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )


def lines_arg(*lines: dict[str, Any]) -> str:
    return json.dumps({"tickpath_lab_lines": list(lines)})


CASES: list[tuple[str, list[str], str]] = [
    ("bad-state", ["-e", "lab_state=bogus"], "lab_state must be one of: present, absent"),
    ("missing-image", ["-e", "lab_state=present", "-e", "lab_image=localhost/does-not-exist"],
     "does not exist. Build it first: `make image`"),
    ("port-clash", ["-e", "lab_state=present", "-e", "tickpath_lab_snapshot_port=26400"],
     "port 26400 is used by more than one setting: tickpath_lab_lines[a].port, tickpath_lab_snapshot_port"),
    ("line-port-vs-check-port", ["-e", "lab_state=present", "-e", "tickpath_lab_check_port=26401"],
     "port 26401 is used by more than one setting"),
    ("address-clash", ["-e", "lab_state=present", "-e",
                       lines_arg(LINE_A, {**LINE_B, "subnet": "198.18.1.128/25", "exchange_address": "198.18.1.129",
                                          "trader_address": "198.18.1.130"})],
     "line b: subnet 198.18.1.128/25 overlaps line a's subnet 198.18.1.0/24"),
    ("duplicate-interface", ["-e", "lab_state=present", "-e", lines_arg(LINE_A, {**LINE_B, "interface": "feed-a"})],
     "line b: duplicate interface 'feed-a' (also used by line a)"),
    ("address-outside-subnet", ["-e", "lab_state=present", "-e",
                                lines_arg(LINE_A, {**LINE_B, "trader_address": "198.18.3.2"})],
     "line b: trader_address 198.18.3.2 is outside its subnet 198.18.2.0/24"),
    ("too-many-extra-hosts", ["-e", "lab_state=present", "-e", "lab_extra_hosts=99"],
     "lab_extra_hosts must be an integer 0..16 (got '99')"),
    ("bad-state-absent-with-clash", ["-e", "lab_state=absent", "-e", "tickpath_lab_ouch_port=26500"],
     "port 26500 is used by more than one setting"),
]


@needs_podman
@pytest.mark.parametrize(("case", "args", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_request_fails_before_changing_anything(case: str, args: list[str], message: str) -> None:
    before = lab_snapshot()
    proc = run_lab(*args)
    after = lab_snapshot()
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"{case}: playbook succeeded:\n{output[-3000:]}"
    assert message in output, f"{case}: message {message!r} missing:\n{output[-3000:]}"
    assert "changed=0" in proc.stdout, f"{case}: something changed:\n{proc.stdout[-2000:]}"
    assert after == before, f"{case}: lab objects changed: {before} -> {after}"


@needs_podman
def test_podman_missing_fails_with_hint(tmp_path: Path) -> None:
    """With podman not on PATH the playbook stops at the first check and says how to fix it."""
    before = lab_snapshot()
    bindir = tmp_path / "bin"  # every tool of the system PATH except podman
    bindir.mkdir()
    for directory in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        if not Path(directory).is_dir():
            continue
        for tool in Path(directory).iterdir():
            link = bindir / tool.name
            if tool.name != "podman" and not link.exists() and not link.is_symlink():
                link.symlink_to(tool)
    assert not (bindir / "podman").exists()
    proc = run_lab("-e", "lab_state=present", path=f"{VENV_BIN}:{bindir}")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-3000:]
    assert "podman is not installed" in output and "make deps" in output, output[-3000:]
    assert lab_snapshot() == before


# -- the validation filters themselves ----------------------------------------------------------

def load_filters() -> ModuleType:
    return load_file("lab_validate", REPO / "roles" / "lab" / "filter_plugins" / "lab_validate.py")


FILTERS = load_filters()


def test_default_lines_are_valid() -> None:
    assert FILTERS.lab_line_problems([LINE_A, LINE_B], {"tickpath-lab": "10.89.77.0/24"}) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"multicast_group": "198.18.2.9"}, "not an IPv4 multicast address"),
        ({"multicast_group": "224.0.0.5"}, "link-local control"),
        ({"multicast_group": "239.100.1.1"}, "duplicate multicast_group '239.100.1.1'"),
        ({"interface": "eth0"}, "reserved"),
        ({"interface": "a-very-long-interface"}, "not a valid Linux interface name"),
        ({"name": "a"}, "duplicate name 'a'"),
        ({"subnet": "198.18.2.1/24"}, "is not a network address"),
        ({"trader_address": "198.18.2.1"}, "exchange_address and trader_address are both 198.18.2.1"),
        ({"trader_address": "198.18.2.255"}, "network or broadcast address"),
        ({"port": 70000}, "is not a port number"),
    ],
)
def test_line_problems(change: dict[str, Any], expected: str) -> None:
    problems = FILTERS.lab_line_problems([LINE_A, {**LINE_B, **change}], [])
    assert any(expected in p for p in problems), problems


def test_line_subnet_must_not_overlap_podman_networks() -> None:
    problems = FILTERS.lab_line_problems([LINE_A, LINE_B], {"podman 10.88.0.0/16": "198.18.0.0/15"})
    assert len(problems) == 2 and all("overlaps podman network" in p for p in problems), problems


def test_missing_key_and_empty_lines() -> None:
    assert FILTERS.lab_line_problems([], []) == ["tickpath_lab_lines must be a non-empty list of lines (line A first)"]
    line = {k: v for k, v in LINE_B.items() if k != "subnet"}
    assert FILTERS.lab_line_problems([LINE_A, line], []) == ["line b: missing key(s) subnet"]


def test_port_problems() -> None:
    ports = FILTERS.lab_all_ports([LINE_A, LINE_B], {"tickpath_lab_ouch_port": "26401", "tickpath_lab_x_port": "x"})
    problems = FILTERS.lab_port_problems(ports)
    assert problems == [
        "tickpath_lab_x_port: 'x' is not a port number (1-65535)",
        "port 26401 is used by more than one setting: tickpath_lab_lines[b].port, tickpath_lab_ouch_port",
    ]
    assert FILTERS.lab_port_problems({"a": 1, "b": 65535}) == []
