"""roles/preflight accepted the lab profile and changed nothing on the host; with `cpus: auto` it
derived the cpus `tickpath layout` proposes for the container and later plays see them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import testinfra
from testinfra.host import Host

NAME = "tp-mol-preflight"
AUTO = "tp-mol-preflight-auto"
REPO = Path(__file__).resolve().parents[3]
FEED = ("feed-a", "feed-b")
STAGES = ("rx", "book", "publish", "strategy", "gateway")


def _host(name: str) -> Host:
    return testinfra.get_host(f"podman://{name}")


@pytest.fixture(scope="module")
def host() -> Host:
    return _host(NAME)


@pytest.fixture(scope="module")
def auto() -> Host:
    return _host(AUTO)


def _effective(name: str) -> dict[str, Any]:
    """What converge.yml's last play (a play after preflight) recorded for host `name`."""
    path = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / f"effective-{name}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("name", [NAME, AUTO])
@pytest.mark.parametrize("path", [
    "/etc/default/grub.d/tickpath.cfg",
    "/etc/sysctl.d/90-tickpath.conf",
    "/etc/tickpath",
    "/etc/security/limits.d/90-tickpath.conf",
    "/var/lib/tickpath",
    "/usr/local/libexec/tickpath",
])
def test_preflight_creates_nothing(name: str, path: str) -> None:
    assert not _host(name).file(path).exists


@pytest.mark.parametrize("name", [NAME, AUTO])
def test_feed_interfaces_present(name: str) -> None:
    # What preflight checked against: the prepared veth feed interfaces.
    assert _host(name).interface("feed-a").exists
    assert _host(name).interface("feed-b").exists


def test_explicit_cpus_are_not_derived() -> None:
    # The explicit profile is validated as written: no layout is derived for it.
    assert _effective(NAME)["preflight_layout"] is None


def _layout_on_host(auto: Host) -> dict[str, Any]:
    """`tickpath layout --nic feed-a --nic feed-b --format yaml` run inside the auto host: the
    package's topology code (stdlib only) copied in, reading the container's own /sys."""
    pkg = "/tmp/tp-verify-layout"
    subprocess.run(["podman", "exec", AUTO, "mkdir", "-p", f"{pkg}/tickpath"], check=True, timeout=60)
    for src in ("__init__.py", "cpulist.py", "topology"):
        subprocess.run(["podman", "cp", str(REPO / "app" / "tickpath" / src), f"{AUTO}:{pkg}/tickpath/{src}"],
                       check=True, timeout=60)
    script = (
        "import json; from pathlib import Path; from tickpath.topology import propose, read_topology; "
        f"feed = {FEED!r}; lay = propose(read_topology(Path('/sys'), feed), feed); "
        "out = lay.ansible_vars(); out['tickpath_layout_nic_node'] = lay.nic_node; "
        "out['tickpath_layout_notes'] = list(lay.notes); print(json.dumps(out))"
    )
    try:
        res = auto.run(f"cd {pkg} && python3 -B -c \"{script}\"")
        assert res.rc == 0, res.stderr
        data: dict[str, Any] = json.loads(res.stdout)
        return data
    finally:
        auto.run(f"rm -rf {pkg}")


def test_auto_cpus_equal_tickpath_layout_on_the_host(auto: Host) -> None:
    seen = _effective(AUTO)
    expected = _layout_on_host(auto)
    # Later plays see the derived cpus in tickpath_host_profile, not "auto".
    assert seen["tickpath_host_profile"]["cpus"] == expected["tickpath_host_profile"]["cpus"]
    assert seen["tickpath_host_profile"]["interfaces"]["feed"] == list(FEED)
    # The rest of the plan preflight printed is the same plan.
    assert seen["preflight_layout"] == expected


def test_auto_cpus_on_this_2vcpu_vm(auto: Host) -> None:
    online = auto.file("/sys/devices/system/cpu/online").content_string.strip()
    if online != "0-1":
        pytest.skip(f"not the 2-vCPU VM (online cpus {online})")
    layout = _effective(AUTO)["preflight_layout"]
    assert _effective(AUTO)["tickpath_host_profile"]["cpus"] == {"housekeeping": "0", "isolated": "1"}
    assert layout["tickpath_layout_mode"] == "run-to-completion"
    assert layout["tickpath_layout_stages"] == dict.fromkeys(STAGES, 1)
    assert layout["tickpath_layout_irq_cpus"] == "0"
    assert layout["tickpath_layout_idle_siblings"] == ""
    # veth feed interfaces: no NUMA locality, said in the notes
    assert "feed-a: virtual interface; NIC locality unknown" in layout["tickpath_layout_notes"]
    assert any("run-to-completion on cpu 1" in n for n in layout["tickpath_layout_notes"])
