"""The XDP program installed by roles/afxdp attaches to and detaches from trader1's feed-a as
the `tickpath` user with exactly the capabilities the role grants (systemd-run with the same
User= and AmbientCapabilities= as the drop-in), and not without them.

Needs the lab (make lab-up) converged with playbooks/bypass.yml; skipped with the reason otherwise.
The deployed feed handler (tickpath-fh.service) holds feed-a while it runs: it is stopped for
these tests and started again afterwards. Any other program attached to feed-a skips the tests.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.lab

TRADER = "tp-lab-trader1"
PROGRAM = "/usr/lib/tickpath/xdp/tickpath_xdp.o"
DROPIN = "/etc/systemd/system/tickpath-feed-handler.service.d/10-tickpath-afxdp.conf"


def sh(cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", "exec", TRADER, "sh", "-c", cmd], capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def feed_a_free() -> Iterator[None]:
    """Stop the deployed feed handler (it holds feed-a) and start it again afterwards."""
    was_active = sh("systemctl is-active --quiet tickpath-fh.service").returncode == 0
    if was_active:
        assert sh("systemctl stop tickpath-fh.service").returncode == 0
    try:
        yield
    finally:
        if was_active:
            sh("systemctl start tickpath-fh.service")


@pytest.fixture(scope="module")
def caps(feed_a_free: None) -> str:
    state = subprocess.run(["podman", "container", "inspect", "--format", "{{.State.Running}}",
                            TRADER], capture_output=True, text=True, timeout=30, check=False)
    if state.stdout.strip() != "true":
        pytest.skip(f"lab container {TRADER} not running (make lab-up)")
    dropin = sh(f"cat {DROPIN}")
    if dropin.returncode != 0 or sh(f"test -f {PROGRAM}").returncode != 0:
        pytest.skip(f"{TRADER} lacks {PROGRAM} or {DROPIN}: converge playbooks/bypass.yml first")
    if "prog/xdp" in sh("ip -d link show feed-a").stdout:
        pytest.skip("an XDP program is already attached to feed-a (feed handler running?)")
    match = re.search(r"^AmbientCapabilities=(.+)$", dropin.stdout, re.MULTILINE)
    assert match, dropin.stdout
    return match.group(1)


def as_tickpath(ambient: str, cmd: str) -> subprocess.CompletedProcess[str]:
    return sh("systemd-run --quiet --wait --pipe --collect -p User=tickpath "
              f"-p 'AmbientCapabilities={ambient}' -p LimitMEMLOCK=infinity {cmd}")


def test_program_loads_and_unloads_on_feed_a(caps: str) -> None:
    try:
        load = as_tickpath(caps, f"ip link set dev feed-a xdp obj {PROGRAM} sec xdp")
        assert load.returncode == 0, load.stderr
        shown = sh("ip -d link show feed-a").stdout
        assert "prog/xdp" in shown and "tickpath_xdp" in shown
        # ARP/IP to the exchange still pass (empty feed_ports map: nothing redirected)
        assert sh("ping -c 2 -W 2 198.18.1.1").returncode in (0, 127)  # 127: no ping binary
        unload = as_tickpath(caps, "ip link set dev feed-a xdp off")
        assert unload.returncode == 0, unload.stderr
        assert "prog/xdp" not in sh("ip -d link show feed-a").stdout
    finally:
        sh("ip link set dev feed-a xdp off")


def test_without_capabilities_attach_is_refused(caps: str) -> None:
    try:
        load = as_tickpath("", f"ip link set dev feed-a xdp obj {PROGRAM} sec xdp")
        assert load.returncode != 0
        assert "prog/xdp" not in sh("ip -d link show feed-a").stdout
    finally:
        sh("ip link set dev feed-a xdp off")
