"""`ansible-playbook site.yml --check --diff`, as README tells a user to run it before a real run.
On the converged lab the plan changes nothing, fails nothing, and at the highest verbosity neither
the console nor the reports carry the OUCH password. On a fresh trading host (a new container of
the lab image, never configured) it plans every role, the reboot included, fails nothing and
leaves the host as it was (mark lab; needs `make lab`, and converges first unless
TICKPATH_LAB_CONVERGED=1 says site.yml just ran, as under `make test`)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from support.containers import container_running

TOP = Path(__file__).resolve().parents[2]
HOSTS = ("exch1", "trader1")
pytestmark = [pytest.mark.lab, pytest.mark.slow]
_RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def _lab_password() -> str:
    """The lab's OUCH password: the role default a container host gets (no literal copy here)."""
    defaults = yaml.safe_load((TOP / "roles/tickpath_deploy/defaults/main.yml").read_text())
    m = re.search(r"'([^']+)' if tickpath_container_host", defaults["tickpath_deploy_ouch_password"])
    assert m, "the lab password default changed shape; update this test"
    return m.group(1)


def _site(*extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(ANSIBLE_CONFIG=str(TOP / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    return subprocess.run(
        ["ansible-playbook", "-i", str(TOP / "inventories/lab"), str(TOP / "site.yml"), *extra],
        cwd=TOP, env=env, capture_output=True, text=True, timeout=1800, check=False)


@pytest.fixture(scope="module")
def plan() -> subprocess.CompletedProcess[str]:
    for host in HOSTS:
        if not container_running(f"tp-lab-{host}"):
            pytest.skip(f"tp-lab-{host} is not running (make lab)")
    if os.environ.get("TICKPATH_LAB_CONVERGED") != "1":
        conv = _site()
        assert conv.returncode == 0, conv.stdout[-4000:]
    return _site("--check", "--diff", "-vvv")


def test_check_diff_on_the_converged_lab_plans_no_change(plan: subprocess.CompletedProcess[str]) -> None:
    assert plan.returncode == 0, plan.stdout[-6000:] + plan.stderr[-2000:]
    recap = {m[0]: (int(m[2]), int(m[4]), int(m[3])) for m in _RECAP.findall(plan.stdout)}
    assert set(recap) >= set(HOSTS), plan.stdout[-3000:]
    changed = [line for line in plan.stdout.splitlines() if line.startswith("changed: [")]
    for host in HOSTS:
        assert recap[host] == (0, 0, 0), (host, "changed, failed, unreachable", changed[:20])


def test_the_password_is_in_no_output_and_no_report(plan: subprocess.CompletedProcess[str]) -> None:
    secret = _lab_password()
    assert secret not in plan.stdout and secret not in plan.stderr
    # the console did show the deploy role's credential tasks (the search looked where it could be)
    assert "Write the OUCH password credential" in plan.stdout
    leaked = [p for p in (TOP / "reports").rglob("*") if p.is_file() and p.stat().st_size < 50_000_000
              and secret.encode() in p.read_bytes()]
    assert leaked == []


# --- a fresh trading host --------------------------------------------------------------------
FRESH = "tp-checkfresh"


def _lab_default(key: str) -> str:
    return str(yaml.safe_load((TOP / "roles/lab/defaults/main.yml").read_text())[key])


def _podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=120, check=check)


@pytest.fixture(scope="module")
def fresh_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A never-configured trading host: the lab image with systemd, on the lab network, with two
    veth pairs standing for the feed NICs; its inventory takes the lab's group variables."""
    if not container_running("tp-lab-exch1"):
        pytest.skip("tp-lab-exch1 is not running (make lab)")
    _podman("rm", "--force", FRESH, check=False)
    _podman("run", "--detach", "--name", FRESH, "--hostname", "fresh1", "--privileged",
            "--systemd", "always", "--shm-size", "1g", "--network", _lab_default("lab_network_name"),
            _lab_default("lab_image"), "/lib/systemd/systemd")
    try:
        for _ in range(60):
            state = _podman("exec", FRESH, "systemctl", "is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)
        _podman("exec", FRESH, "sh", "-c",
                "ip link add feed-a type veth peer name feed-a-p && "
                "ip link add feed-b type veth peer name feed-b-p && "
                "for i in feed-a feed-a-p feed-b feed-b-p; do ip link set $i up; done")
        inv = tmp_path_factory.mktemp("fresh-inv")
        (inv / "group_vars").symlink_to(TOP / "inventories/lab/group_vars")
        (inv / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"lab": {
            "vars": {"ansible_connection": "containers.podman.podman",
                     "ansible_python_interpreter": "/usr/bin/python3"},
            "children": {"exchange": {"hosts": {"exch1": {"ansible_host": "tp-lab-exch1"}}},
                         "trading": {"hosts": {"fresh1": {"ansible_host": FRESH}}},
                         "lab_vm": {"hosts": {}}}}}}}))
        yield inv
    finally:
        _podman("rm", "--force", FRESH, check=False)


def _host_state() -> str:
    """What a run would have written: tickpath's files and units, packages it installs."""
    return _podman("exec", FRESH, "sh", "-c",
                   "ls -la /etc/tickpath /opt/tickpath /etc/default/grub.d 2>&1; "
                   "ls /etc/systemd/system | sort; dpkg-query -W -f '${Package}\\n' | sort | md5sum").stdout


def test_check_diff_on_a_fresh_host_plans_everything_and_changes_nothing(fresh_host: Path) -> None:
    before = _host_state()
    env = dict(os.environ, ANSIBLE_CONFIG=str(TOP / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(["ansible-playbook", "-i", str(fresh_host), str(TOP / "site.yml"), "--check",
                           "--diff", "--limit", "fresh1"],
                          cwd=TOP, env=env, capture_output=True, text=True, timeout=1800, check=False)
    out = proc.stdout
    assert proc.returncode == 0, out[-6000:] + proc.stderr[-2000:]
    recap = {m[0]: (int(m[2]), int(m[4]), int(m[3])) for m in _RECAP.findall(out)}
    changed, failed, unreachable = recap["fresh1"]
    assert failed == 0 and unreachable == 0
    assert changed >= 20, "a fresh host's plan changes every role's files"
    # the reboot plan is printed, with the arguments cpu_partitioning would render
    plan = out.split("Print the reboot plan (before acting)", 1)[1].split("TASK [", 1)[0]
    assert '"required": true' in plan and "isolcpus=" in plan
    assert "would install, enable and start tickpath-" in out
    assert _host_state() == before
