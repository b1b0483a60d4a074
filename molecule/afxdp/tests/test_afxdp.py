"""Verify roles/afxdp on a privileged systemd test host: packages, account, bpffs, drop-ins,
and that the installed XDP program really attaches to (and detaches from) a veth pair with only
the capabilities the role grants to the service user."""

from __future__ import annotations

from typing import Any

import pytest

PROGRAM = "/usr/lib/tickpath/xdp/tickpath_xdp.o"
DROPIN = "/etc/systemd/system/tickpath-feed-handler.service.d/10-tickpath-afxdp.conf"
CAPS = "CAP_NET_ADMIN CAP_NET_RAW CAP_BPF CAP_PERFMON CAP_IPC_LOCK CAP_SYS_ADMIN"


@pytest.mark.parametrize("pkg", ["libxdp1", "libbpf1", "xdp-tools"])
def test_runtime_packages(host: Any, pkg: str) -> None:
    assert host.package(pkg).is_installed


def test_service_account(host: Any) -> None:
    user = host.user("tickpath")
    assert user.exists
    assert user.group == "tickpath"
    assert user.shell == "/usr/sbin/nologin"
    assert user.uid < 1000  # system account
    assert not host.file("/home/tickpath").exists


def test_bpffs_mounted_for_service_group(host: Any) -> None:
    mount = host.mount_point("/sys/fs/bpf")
    assert mount.exists
    assert mount.filesystem == "bpf"
    root = host.file("/sys/fs/bpf")
    assert root.group == "tickpath"
    assert root.mode == 0o1770
    assert host.service("tickpath-bpffs.service").is_enabled
    assert host.service("tickpath-bpffs.service").is_running  # oneshot, RemainAfterExit


def test_program_installed_with_xdp_section(host: Any) -> None:
    obj = host.file(PROGRAM)
    assert obj.is_file
    assert obj.mode == 0o644
    # ELF, eBPF machine (0xf7 at e_machine, offset 18)
    head = host.check_output(f"od -An -tx1 -N20 {PROGRAM}").split()
    assert head[:4] == ["7f", "45", "4c", "46"]
    assert head[18] == "f7"


def test_capability_dropin(host: Any) -> None:
    dropin = host.file(DROPIN)
    assert dropin.is_file
    assert dropin.contains(f"^AmbientCapabilities={CAPS}$")
    assert dropin.contains("^LimitMEMLOCK=infinity$")


def _as_service_user(host: Any, caps: str, cmd: str) -> Any:
    return host.run(
        "systemd-run --quiet --wait --pipe --collect -p User=tickpath "
        f"-p 'AmbientCapabilities={caps}' -p LimitMEMLOCK=infinity {cmd}"
    )


@pytest.fixture()
def veth(host: Any) -> Any:
    host.run("ip link del tpx0")
    host.check_output("ip link add tpx0 type veth peer name tpx1")
    host.check_output("ip link set tpx0 up && ip link set tpx1 up")
    yield "tpx0"
    host.run("ip link del tpx0")


def test_service_user_loads_and_unloads_program(host: Any, veth: str) -> None:
    load = _as_service_user(host, CAPS, f"ip link set dev {veth} xdp obj {PROGRAM} sec xdp")
    assert load.rc == 0, load.stderr
    shown = host.check_output(f"ip -d link show {veth}")
    assert "prog/xdp" in shown and "tickpath_xdp" in shown
    unload = _as_service_user(host, CAPS, f"ip link set dev {veth} xdp off")
    assert unload.rc == 0, unload.stderr
    assert "prog/xdp" not in host.check_output(f"ip -d link show {veth}")


def test_service_user_without_capabilities_cannot_attach(host: Any, veth: str) -> None:
    load = _as_service_user(host, "", f"ip link set dev {veth} xdp obj {PROGRAM} sec xdp")
    assert load.rc != 0
    assert "prog/xdp" not in host.check_output(f"ip -d link show {veth}")


def test_program_passes_non_feed_traffic(host: Any, veth: str) -> None:
    """With feed_ports empty nothing is redirected: ARP/ping across the veth still works."""
    host.check_output("ip addr add 198.18.250.1/30 dev tpx1")
    host.check_output("ip netns add tpxns || true")
    assert _as_service_user(host, CAPS, f"ip link set dev {veth} xdp obj {PROGRAM} sec xdp").rc == 0
    try:
        host.check_output(f"ip link set {veth} netns tpxns")
        host.check_output(
            f"ip -n tpxns addr add 198.18.250.2/30 dev {veth} && ip -n tpxns link set {veth} up"
        )
        ping = host.run("ping -c 2 -W 2 -I tpx1 198.18.250.2")
        assert ping.rc == 0, ping.stdout
    finally:
        host.run(f"ip -n tpxns link del {veth}")
        host.run("ip netns del tpxns")
