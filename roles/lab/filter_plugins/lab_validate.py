"""Validation filters for the lab role: every problem of a lab request as a readable sentence.

Used by roles/lab/tasks/validate.yml before anything is created: an empty list means the request
is sound. Pure functions (standard library only), so they are also unit-testable.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

# Linux interface names: at most 15 bytes, no '/', ':' or whitespace, not '.' or '..'.
_IFNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$")
_RESERVED_IFNAMES = {"lo", "eth0"}  # loopback and the podman management interface
_LINE_KEYS = (
    "name",
    "interface",
    "subnet",
    "exchange_address",
    "trader_address",
    "multicast_group",
    "port",
)
_MULTICAST = ipaddress.IPv4Network("224.0.0.0/4")
_LINK_LOCAL_MCAST = ipaddress.IPv4Network("224.0.0.0/24")


def _as_port(value: Any) -> int | None:
    """A TCP/UDP port number from an int or a decimal string (-e gives strings), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        port = value
    elif isinstance(value, str) and value.strip().isdigit():
        port = int(value.strip())
    else:
        return None
    return port if 1 <= port <= 65535 else None


def lab_line_problems(lines: Any, reserved_subnets: Any = None) -> list[str]:
    """Problems of `tickpath_lab_lines`: shape, addresses, subnet clashes, duplicate names.

    reserved_subnets: CIDRs the lines must not overlap (the lab's podman network and any other
    podman network on this machine), as a list of strings or {name: cidr}.
    """
    problems: list[str] = []
    if not isinstance(lines, list) or not lines:
        return ["tickpath_lab_lines must be a non-empty list of lines (line A first)"]

    reserved: list[tuple[str, ipaddress.IPv4Network]] = []
    items = reserved_subnets.items() if isinstance(reserved_subnets, dict) else (
        (str(c), c) for c in (reserved_subnets or []))
    for label, cidr in items:
        try:
            net = ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            continue
        if isinstance(net, ipaddress.IPv4Network):
            reserved.append((str(label), net))

    seen: dict[str, dict[str, str]] = {"name": {}, "interface": {}, "multicast_group": {}}
    subnets: list[tuple[str, ipaddress.IPv4Network]] = []
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            problems.append(f"tickpath_lab_lines[{index}] must be a mapping with keys {', '.join(_LINE_KEYS)}")
            continue
        label = f"line {line.get('name', index)!s}"
        missing = [key for key in _LINE_KEYS if key not in line]
        if missing:
            problems.append(f"{label}: missing key(s) {', '.join(missing)}")
            continue

        for key in ("name", "interface", "multicast_group"):
            value = str(line[key])
            if value in seen[key]:
                problems.append(f"{label}: duplicate {key} '{value}' (also used by {seen[key][value]})")
            else:
                seen[key][value] = label

        ifname = str(line["interface"])
        if not _IFNAME.match(ifname):
            problems.append(f"{label}: interface '{ifname}' is not a valid Linux interface name (1-15 chars, "
                            "letters, digits, '_', '-', '.')")
        elif ifname in _RESERVED_IFNAMES:
            problems.append(f"{label}: interface '{ifname}' is reserved (loopback / podman management interface)")

        if _as_port(line["port"]) is None:
            problems.append(f"{label}: port '{line['port']}' is not a port number (1-65535)")

        try:
            group = ipaddress.ip_address(str(line["multicast_group"]))
            if not isinstance(group, ipaddress.IPv4Address) or group not in _MULTICAST:
                problems.append(f"{label}: multicast_group {group} is not an IPv4 multicast address (224.0.0.0/4)")
            elif group in _LINK_LOCAL_MCAST:
                problems.append(f"{label}: multicast_group {group} is link-local control (224.0.0.0/24); "
                                "use 239.x for a feed")
        except ValueError:
            problems.append(f"{label}: multicast_group '{line['multicast_group']}' is not an IPv4 address")

        try:
            subnet = ipaddress.ip_network(str(line["subnet"]), strict=True)
        except ValueError as exc:
            problems.append(f"{label}: subnet '{line['subnet']}' is not a network address ({exc})")
            continue
        if not isinstance(subnet, ipaddress.IPv4Network) or subnet.prefixlen > 30:
            problems.append(f"{label}: subnet {subnet} must be IPv4 with a prefix of /30 or shorter")
            continue

        addresses: dict[str, ipaddress.IPv4Address] = {}
        for key in ("exchange_address", "trader_address"):
            try:
                addr = ipaddress.ip_address(str(line[key]))
            except ValueError:
                problems.append(f"{label}: {key} '{line[key]}' is not an IPv4 address")
                continue
            if not isinstance(addr, ipaddress.IPv4Address) or addr not in subnet:
                problems.append(f"{label}: {key} {addr} is outside its subnet {subnet}")
            elif addr in (subnet.network_address, subnet.broadcast_address):
                problems.append(f"{label}: {key} {addr} is the network or broadcast address of {subnet}")
            else:
                addresses[key] = addr
        if len(addresses) == 2 and addresses["exchange_address"] == addresses["trader_address"]:
            problems.append(f"{label}: exchange_address and trader_address are both {addresses['trader_address']}")

        for other_label, other in subnets:
            if subnet.overlaps(other):
                problems.append(f"{label}: subnet {subnet} overlaps {other_label}'s subnet {other} "
                                "(each line needs its own subnet)")
        for res_label, res in reserved:
            if subnet.overlaps(res):
                problems.append(f"{label}: subnet {subnet} overlaps podman network {res_label} ({res})")
        subnets.append((label, subnet))
    return problems


def lab_port_problems(ports: Any) -> list[str]:
    """Problems of the lab's ports ({setting name: port}): invalid numbers and clashes."""
    problems: list[str] = []
    if not isinstance(ports, dict):
        return ["lab ports must be a mapping {setting: port}"]
    users: dict[int, list[str]] = {}
    for setting in sorted(ports):
        port = _as_port(ports[setting])
        if port is None:
            problems.append(f"{setting}: '{ports[setting]}' is not a port number (1-65535)")
            continue
        users.setdefault(port, []).append(str(setting))
    for port in sorted(users):
        if len(users[port]) > 1:
            problems.append(f"port {port} is used by more than one setting: {', '.join(users[port])}")
    return problems


def lab_all_ports(lines: Any, settings: Any) -> dict[str, Any]:
    """One {setting: port} map of the tickpath_lab_*_port settings and each line's port."""
    ports: dict[str, Any] = dict(settings) if isinstance(settings, dict) else {}
    if isinstance(lines, list):
        for index, line in enumerate(lines):
            if isinstance(line, dict) and "port" in line:
                ports[f"tickpath_lab_lines[{line.get('name', index)!s}].port"] = line["port"]
    return ports


class FilterModule:
    """Lab validation filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "lab_line_problems": lab_line_problems,
            "lab_port_problems": lab_port_problems,
            "lab_all_ports": lab_all_ports,
        }
