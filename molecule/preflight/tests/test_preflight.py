"""roles/preflight accepted the lab profile and changed nothing on the host."""

from __future__ import annotations

import pytest
import testinfra
from testinfra.host import Host

NAME = "tp-mol-preflight"


@pytest.fixture(scope="module")
def host() -> Host:
    return testinfra.get_host(f"podman://{NAME}")


@pytest.mark.parametrize("path", [
    "/etc/default/grub.d/tickpath.cfg",
    "/etc/sysctl.d/90-tickpath.conf",
    "/etc/tickpath",
    "/etc/security/limits.d/90-tickpath.conf",
    "/var/lib/tickpath",
    "/usr/local/libexec/tickpath",
])
def test_preflight_creates_nothing(host: Host, path: str) -> None:
    assert not host.file(path).exists


def test_feed_interfaces_present(host: Host) -> None:
    # What preflight checked against: the prepared veth feed interfaces.
    assert host.interface("feed-a").exists
    assert host.interface("feed-b").exists
