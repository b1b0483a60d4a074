"""Verify roles/dpdk in a container: packages and tools, vfio-pci persisted for boot, no
binding (no PCI NICs in a container) with the reason recorded, dpdk-devbind.py --status works."""

from __future__ import annotations

import json
from typing import Any


def test_packages(host: Any) -> None:
    for pkg in ("dpdk", "driverctl"):
        assert host.package(pkg).is_installed
    assert host.exists("dpdk-devbind.py")


def test_vfio_modules_load_config(host: Any) -> None:
    conf = host.file("/etc/modules-load.d/tickpath-vfio.conf")
    assert conf.is_file
    lines = [x for x in conf.content_string.splitlines() if x and not x.startswith("#")]
    assert lines == ["vfio-pci"]


def test_virtual_interface_skipped_with_reason(host: Any) -> None:
    report = json.loads(host.file("/var/lib/tickpath/dpdk/bindings.json").content_string)
    assert report["driver"] == "vfio-pci"
    [entry] = report["interfaces"]
    assert entry["interface"] == "lo"
    assert entry["action"] == "skip"
    assert "no PCI device" in entry["reason"]
    overrides = host.run("driverctl list-overrides")
    assert overrides.stdout.strip() == ""


def test_devbind_status(host: Any) -> None:
    out = host.run("dpdk-devbind.py --status-dev net")
    assert out.rc == 0, out.stderr
    assert "drv=vfio-pci" not in out.stdout
