"""Facts about the host a configuration is checked against (injectable for tests).

Read from a sysfs tree (default /sys; tests point at tests/fixtures/sysfs/<shape>):
`devices/system/cpu/online`, `devices/system/cpu/isolated` and the names in `class/net`.
On a container host the running kernel was not booted with the profile's isolcpus=, so the
caller may pass the isolated set the host profile declares instead (`--isolated`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tickpath.cpulist import parse_cpulist


class HostFactsError(RuntimeError):
    """The host's facts cannot be read (missing sysfs file, malformed cpulist)."""


@dataclass(frozen=True)
class HostFacts:
    cpus: frozenset[int]
    isolated: frozenset[int]
    interfaces: frozenset[str]
    #: Where the isolated set came from, for messages ("/sys/devices/system/cpu/isolated").
    isolated_source: str = "the isolated set"

    @classmethod
    def from_sysfs(cls, root: Path = Path("/sys"), isolated: str | None = None) -> HostFacts:
        cpu_dir = root / "devices" / "system" / "cpu"
        try:
            online_path = cpu_dir / "online"
            cpus = parse_cpulist(online_path.read_text(), source=str(online_path))
            if isolated is None:
                iso_path = cpu_dir / "isolated"
                iso = (
                    parse_cpulist(iso_path.read_text(), source=str(iso_path))
                    if iso_path.exists()
                    else frozenset()
                )
                source = f"{iso_path} (the running kernel's isolcpus)"
            else:
                iso = parse_cpulist(isolated, source="--isolated")
                source = "--isolated"
            net = root / "class" / "net"
            interfaces = frozenset(p.name for p in net.iterdir())
        except (OSError, ValueError) as exc:
            raise HostFactsError(f"cannot read host facts under {root}: {exc}") from exc
        return cls(cpus=cpus, isolated=iso, interfaces=interfaces, isolated_source=source)
