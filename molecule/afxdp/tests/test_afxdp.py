"""Verify roles/afxdp on a privileged systemd test host: packages, account, bpffs usable by the
service user (and only by its group), and what the role no longer installs: no XDP object (the
feed handler embeds its program) and no capability drop-in (tickpath_deploy grants the feed
handler's capabilities in its unit). prepare.yml planted the old role's files; they must be gone."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from typing import Any

import pytest

BPFFS = "/sys/fs/bpf"
PIN_SCRIPT = "/usr/local/lib/tp-molecule-bpf-pin.py"
# Create a one-slot BPF array map and pin it at argv[1] (x86_64 bpf(2): BPF_MAP_CREATE, BPF_OBJ_PIN)
# without bpftool or a compiler. Exit 0 pinned, 2 map not created, 3 pin refused.
PIN_PY = r"""
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr.ljust(128, b"\0"), 128)
    return libc.syscall(321, cmd, buf, 128)
fd = bpf(0, struct.pack("IIII", 2, 4, 4, 1))
if fd < 0:
    print("map create:", os.strerror(ctypes.get_errno())); sys.exit(2)
path = ctypes.create_string_buffer(sys.argv[1].encode())
if bpf(6, struct.pack("QII", ctypes.addressof(path), fd, 0)) < 0:
    print("pin:", os.strerror(ctypes.get_errno())); sys.exit(3)
"""


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
    mount = host.mount_point(BPFFS)
    assert mount.exists
    assert mount.filesystem == "bpf"
    root = host.file(BPFFS)
    assert root.group == "tickpath"
    assert root.mode == 0o1770
    assert host.service("tickpath-bpffs.service").is_enabled
    assert host.service("tickpath-bpffs.service").is_running  # oneshot, RemainAfterExit


def test_old_program_and_dropin_removed(host: Any) -> None:
    assert not host.file("/usr/lib/tickpath/xdp").exists
    assert not host.file("/etc/systemd/system/tickpath-feed-handler.service.d").exists
    # no capability drop-in for any unit: capabilities belong to the deploy role's units
    found = host.check_output(
        "find /etc/systemd/system -path '*.service.d/*' -name '*afxdp*' -print"
    )
    assert found == ""
    assert host.check_output(
        "grep -rlE '^(Ambient|CapabilityBounding)' /etc/systemd/system || true"
    ) == ""


@pytest.fixture()
def pin_script(host: Any) -> Iterator[str]:
    host.check_output(f"printf %s {shlex.quote(PIN_PY)} > {PIN_SCRIPT} && chmod 0644 {PIN_SCRIPT}")
    yield PIN_SCRIPT
    host.run(f"rm -f {PIN_SCRIPT} {BPFFS}/tp-molecule-*")


def _pin_as(host: Any, user: str, name: str) -> Any:
    # CAP_BPF only: map creation needs it (unprivileged BPF is off); the pin itself is decided
    # by the bpffs root's permissions alone.
    return host.run(
        f"systemd-run --quiet --wait --pipe --collect -p User={user} "
        f"-p AmbientCapabilities=CAP_BPF /usr/bin/python3 {PIN_SCRIPT} {BPFFS}/{name}"
    )


def test_service_user_can_pin_in_bpffs(host: Any, pin_script: str) -> None:
    pinned = _pin_as(host, "tickpath", "tp-molecule-tickpath")
    assert pinned.rc == 0, pinned.stdout + pinned.stderr
    pin = host.file(f"{BPFFS}/tp-molecule-tickpath")
    assert pin.exists and pin.user == "tickpath"


def test_other_user_cannot_pin_in_bpffs(host: Any, pin_script: str) -> None:
    refused = _pin_as(host, "nobody", "tp-molecule-nobody")
    assert refused.rc == 3, refused.stdout + refused.stderr  # map created, pin refused
    assert "Permission denied" in refused.stdout
    assert not host.file(f"{BPFFS}/tp-molecule-nobody").exists
