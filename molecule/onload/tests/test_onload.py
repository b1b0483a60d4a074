"""Verify roles/onload against a FAKE release (no Solarflare NIC here): checksum-verified copy,
unpack, onload_install called once for the running kernel, modules-load config, the feed
handler's profile."""

from __future__ import annotations

import re
from typing import Any

LOG = "/var/log/tickpath/fake-onload-install.log"


def test_installed_once_for_running_kernel(host: Any) -> None:
    kernel = host.check_output("uname -r")
    lines = host.file(LOG).content_string.splitlines()
    assert lines == [f"onload_install --kernelver {kernel} (cwd /usr/src/onload-9.0.0.fake)"]
    assert host.file(f"/var/lib/tickpath/onload/installed-9.0.0.fake-{kernel}").is_file


def test_artifact_cached_and_unpacked(host: Any) -> None:
    assert host.file("/var/cache/tickpath/onload/onload-9.0.0.fake.tgz").is_file
    assert host.file("/usr/src/onload-9.0.0.fake/scripts/onload_install").mode & 0o111


def test_modules_load_config(host: Any) -> None:
    text = host.file("/etc/modules-load.d/tickpath-onload.conf").content_string
    assert [x for x in text.splitlines() if x and not x.startswith("#")] == ["sfc", "onload"]


def test_profile(host: Any) -> None:
    text = host.file("/etc/tickpath/onload/latency.opf").content_string
    assert re.search(r"^onload_set EF_POLL_USEC 100000$", text, re.M)
    assert re.search(r"^onload_set EF_INT_DRIVEN 0$", text, re.M)
    assert re.search(r"^onload_set EF_IRQ_CORE 0$", text, re.M)
    assert "CPU 1 (isolated)" in text
