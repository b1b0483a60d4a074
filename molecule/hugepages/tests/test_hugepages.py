"""Verify roles/hugepages on the molecule host (lab profile: 256 x 2 MB, no 1 GB)."""

from __future__ import annotations

from pathlib import Path

import pytest
import testinfra
from testinfra.host import Host

NAME = "tp-mol-hugepages"


@pytest.fixture(scope="module")
def host() -> Host:
    return testinfra.get_host(f"podman://{NAME}")


def test_group_exists(host: Host) -> None:
    assert host.group("tickpath").exists


def test_pool_plan_rendered(host: Host) -> None:
    conf = host.file("/etc/tickpath/hugepages.conf").content_string
    assert "spread 2048 256\n" in conf
    assert "spread 1048576 0\n" in conf


def test_pool_unit_enabled_and_guarded(host: Host) -> None:
    assert host.service("tickpath-hugepages.service").is_enabled
    unit = host.file("/etc/systemd/system/tickpath-hugepages.service").content_string
    assert "ConditionVirtualization=!container" in unit
    assert "ExecStart=/usr/local/libexec/tickpath/hugepages /etc/tickpath/hugepages.conf" in unit


def test_pools_not_touched_on_container_host(host: Host) -> None:
    # The pools are this VM's: the container host must not have changed them.
    vm = Path("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages").read_text().strip()
    pool = host.file("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages")
    assert pool.content_string.strip() == vm


def test_script_spreads_and_places_pages(host: Host) -> None:
    # Run the real script against a scratch sysfs tree (two nodes with memory, one without).
    root = "/tmp/tp-fsys"
    host.run(f"rm -rf {root}")
    for node in (0, 1, 2):
        for size in ("2048", "1048576"):
            d = f"{root}/devices/system/node/node{node}/hugepages/hugepages-{size}kB"
            host.run_expect([0], f"mkdir -p {d} && echo 0 > {d}/nr_hugepages")
    host.run_expect([0], f"echo 0-1 > {root}/devices/system/node/has_memory")
    host.run_expect([0], "printf 'spread 2048 5\\nnode 1 1048576 2\\n' > /tmp/tp-hp.conf")
    res = host.run(f"TICKPATH_SYSFS={root} /usr/local/libexec/tickpath/hugepages /tmp/tp-hp.conf")
    assert res.rc == 0, res.stdout + res.stderr

    def pages(node: int, size: str) -> int:
        path = f"{root}/devices/system/node/node{node}/hugepages/hugepages-{size}kB/nr_hugepages"
        return int(host.file(path).content_string)

    assert (pages(0, "2048"), pages(1, "2048"), pages(2, "2048")) == (3, 2, 0)
    assert pages(1, "1048576") == 2
    # A node without the page size is a shortfall: exit 1, reported.
    host.run_expect([0], "printf 'node 7 2048 4\\n' > /tmp/tp-hp.conf")
    res = host.run(f"TICKPATH_SYSFS={root} /usr/local/libexec/tickpath/hugepages /tmp/tp-hp.conf")
    assert res.rc == 1
    assert "node7: no 2048kB pages" in res.stdout


def test_hugetlbfs_mounted_for_group(host: Host) -> None:
    unit = host.file("/etc/systemd/system/mnt-huge.mount").content_string
    gid = host.group("tickpath").gid
    assert f"Options=pagesize=2M,mode=1770,gid={gid}" in unit
    assert host.service("mnt-huge.mount").is_enabled
    mount = host.mount_point("/mnt/huge")
    assert mount.exists
    assert mount.filesystem == "hugetlbfs"
    assert "pagesize=2M" in mount.options
    assert host.file("/mnt/huge").group == "tickpath"
    assert not host.file("/etc/systemd/system/mnt-huge1g.mount").exists
