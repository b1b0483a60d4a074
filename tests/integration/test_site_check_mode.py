"""`ansible-playbook site.yml --check --diff` on the converged lab, as README tells a user to run it
before a real run: the plan changes nothing, fails nothing, and at the highest verbosity neither
the console nor the reports carry the OUCH password (mark lab; needs `make lab`, and converges
first unless TICKPATH_LAB_CONVERGED=1 says site.yml just ran, as under `make test`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

TOP = Path(__file__).resolve().parents[2]
HOSTS = ("exch1", "trader1")
pytestmark = [pytest.mark.lab, pytest.mark.slow]
_RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def _running(name: str) -> bool:
    if shutil.which("podman") is None:
        return False
    res = subprocess.run(["podman", "container", "inspect", "-f", "{{.State.Running}}", name],
                         capture_output=True, text=True, check=False, timeout=30)
    return res.returncode == 0 and res.stdout.strip() == "true"


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
        if not _running(f"tp-lab-{host}"):
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
