"""The feed handler's AF_XDP transport runs on lab host trader1 as the `tickpath` user with only
the capabilities its unit grants, and nothing grants more.

Who grants what: tickpath_deploy renders tickpath-fh.service with AmbientCapabilities= and
CapabilityBoundingSet= both set to `tickpath_deploy_capabilities.fh.afxdp`; the afxdp role grants
none (no drop-in) and installs no XDP object: tickpath-fh embeds its program and attaches it to
each line's interface itself. Read-only: the running unit is inspected, never stopped.

Needs the lab (make lab) converged with site.yml; skipped with the reason otherwise. That the
afxdp role left no XDP object or drop-in behind is tests/testinfra/test_bypass_lab.py's concern.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[2]
TRADER = "tp-lab-trader1"
UNIT = "tickpath-fh.service"
# What the AF_XDP transport needs on kernel 6.x (roles/afxdp/README.md): maps and program load,
# packet-pointer arithmetic in the verifier, XDP attach, AF_XDP sockets.
AFXDP_CAPS = {"CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN", "CAP_NET_RAW"}
# Linux capability numbers (include/uapi/linux/capability.h), for /proc/PID/status masks.
CAP_NAMES = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
    "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
    "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
]


def sh(cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", "exec", TRADER, "sh", "-c", cmd], capture_output=True,
                          text=True, timeout=60, check=False)


def out(cmd: str) -> str:
    proc = sh(cmd)
    assert proc.returncode == 0, f"{cmd}: {proc.stderr}"
    return proc.stdout.strip()


def deploy_caps() -> set[str]:
    """The feed handler's AF_XDP capabilities as the deploy role grants them (its defaults;
    the lab inventory does not override them)."""
    defaults = yaml.safe_load((REPO / "roles/tickpath_deploy/defaults/main.yml").read_text())
    return set(defaults["tickpath_deploy_capabilities"]["fh"]["afxdp"])


def unit_caps(prop: str) -> set[str]:
    """A capability property of the unit as systemd applies it (all drop-ins merged)."""
    return {c.upper() for c in out(f"systemctl show -p {prop} --value {UNIT}").split()}


def mask_caps(status: str, field: str) -> set[str]:
    match = re.search(rf"^{field}:\s*([0-9a-f]+)$", status, re.MULTILINE)
    assert match, f"{field} missing from /proc/PID/status"
    mask = int(match.group(1), 16)
    unknown = mask >> len(CAP_NAMES)
    assert unknown == 0, f"{field} has capabilities beyond {CAP_NAMES[-1]}: {mask:#x}"
    return {name for bit, name in enumerate(CAP_NAMES) if mask >> bit & 1}


@pytest.fixture(scope="module")
def fh_config() -> dict[str, Any]:
    state = subprocess.run(["podman", "container", "inspect", "--format", "{{.State.Running}}",
                            TRADER], capture_output=True, text=True, timeout=30, check=False)
    if state.stdout.strip() != "true":
        pytest.skip(f"lab container {TRADER} not running (make lab)")
    conf = sh("cat /etc/tickpath/tickpath.yaml")
    if conf.returncode != 0:
        pytest.skip(f"tickpath not deployed on {TRADER} (site.yml)")
    cfg: dict[str, Any] = yaml.safe_load(conf.stdout)
    if cfg["transport"]["kind"] != "afxdp":
        pytest.skip(f"{TRADER}'s feed handler uses transport {cfg['transport']['kind']}")
    trading = yaml.safe_load((REPO / "inventories/lab/group_vars/trading.yml").read_text()) or {}
    if "fh" in trading.get("tickpath_deploy_stopped_components", []) or not trading.get(
        "tickpath_deploy_start_services", True
    ):
        pytest.skip("the lab inventory leaves tickpath-fh stopped")
    return cfg


@pytest.fixture(scope="module")
def fh_pid(fh_config: dict[str, Any]) -> str:
    """The C feed handler (child of the unit's supervisor, `tickpath run fh`)."""
    assert out(f"systemctl is-active {UNIT}") == "active"
    main_pid = out(f"systemctl show -p MainPID --value {UNIT}")
    child = sh(f"pgrep -P {main_pid} -x tickpath-fh")
    assert child.returncode == 0, f"no tickpath-fh under the supervisor (pid {main_pid})"
    return child.stdout.split()[0]


def test_unit_grants_exactly_the_deploy_roles_afxdp_capabilities(fh_config: dict[str, Any]) -> None:
    want = deploy_caps()
    assert want >= AFXDP_CAPS and "CAP_SYS_ADMIN" not in want, want
    assert unit_caps("AmbientCapabilities") == want
    assert unit_caps("CapabilityBoundingSet") == want
    assert out(f"systemctl show -p User --value {UNIT}") == "tickpath"


def test_no_dropin_adds_capabilities(fh_config: dict[str, Any]) -> None:
    dropins = out(f"systemctl show -p DropInPaths --value {UNIT}").split()
    for path in dropins:
        text = out(f"cat {path}")
        assert not re.search(r"^\s*(AmbientCapabilities|CapabilityBoundingSet)=", text,
                             re.MULTILINE), f"{path} sets capabilities:\n{text}"


def test_feed_handler_process_runs_unprivileged_with_those_capabilities(fh_pid: str) -> None:
    status = out(f"cat /proc/{fh_pid}/status")
    uid = out("id -u tickpath")
    assert re.search(rf"^Uid:\s+{uid}\s+{uid}\s+{uid}\s+{uid}$", status, re.MULTILINE), status
    want = deploy_caps()
    assert mask_caps(status, "CapEff") == want
    assert mask_caps(status, "CapAmb") == want
    assert mask_caps(status, "CapBnd") == want


def test_embedded_xdp_program_attached_to_every_line(fh_config: dict[str, Any],
                                                     fh_pid: str) -> None:
    """The handler, with only those capabilities, loaded its embedded program and attached it to
    each line's interface (no object file on the host)."""
    for line in fh_config["feed"]["lines"]:
        shown = out(f"ip -d link show {line['interface']}")
        assert "prog/xdp" in shown and "tickpath_xdp" in shown, shown
