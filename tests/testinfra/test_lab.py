"""The lab as built by playbooks/lab.yml: systemd hosts, feed lines, multicast, management.

Real containers, real veth pairs, real sockets; each traffic exchange is a few datagrams, bounded
by timeouts.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[2]
TRADER_CONTAINER = "tp-lab-trader1"

# Capability bits (linux/capability.h) the trading host needs for AF_XDP.
CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF = 12, 21, 39

RECEIVER = r"""
import socket, struct, sys
group, port, local, token = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((group, port))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(local)))
s.settimeout(5)
print("READY", flush=True)
while True:
    data, src = s.recvfrom(2048)
    if data == token:
        print(src[0], flush=True)
        break
"""

SENDER = r"""
import socket, sys, time
group, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
for _ in range(10):
    s.sendto(token, (group, port))
    time.sleep(0.05)
"""


def ipv4_of(host: Any, ifname: str) -> list[str]:
    out = host.check_output(f"ip -j -4 addr show dev {ifname}")
    return [f"{a['local']}/{a['prefixlen']}" for e in json.loads(out) for a in e["addr_info"]]


@pytest.mark.parametrize("name", ["exch1", "trader1"])
def test_systemd_is_pid1_and_running(request: pytest.FixtureRequest, name: str) -> None:
    host = request.getfixturevalue(name)
    assert host.check_output("cat /proc/1/comm") == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    failed = host.run("systemctl --failed --no-legend --plain").stdout.strip()
    assert state == "running", f"{name}: systemd is {state}; failed units: {failed}"


@pytest.mark.parametrize("name", ["exch1", "trader1"])
def test_hostname(request: pytest.FixtureRequest, name: str) -> None:
    assert request.getfixturevalue(name).check_output("hostname") == name


def test_hosts_have_distinct_identity(exch1: Any, trader1: Any) -> None:
    # Every systemd container here would boot with the same machine-id (and udev would then give
    # equal MACs): the lab role gives each host its own.
    assert exch1.file("/etc/machine-id").content_string != trader1.file("/etc/machine-id").content_string
    macs = [h.check_output("cat /sys/class/net/eth0/address") for h in (exch1, trader1)]
    assert macs[0] != macs[1]


@pytest.mark.parametrize("side", ["exchange", "trader"])
def test_feed_interfaces(request: pytest.FixtureRequest, lab_lines: list[dict[str, Any]], side: str) -> None:
    host = request.getfixturevalue("exch1" if side == "exchange" else "trader1")
    for line in lab_lines:
        prefix = line["subnet"].split("/")[1]
        link = json.loads(host.check_output(f"ip -j -d link show dev {line['interface']}"))[0]
        assert link["linkinfo"]["info_kind"] == "veth"
        assert "UP" in link["flags"] and link["operstate"] == "UP"
        assert "link_netnsid" in link, "peer end must live in the other host's namespace"
        assert ipv4_of(host, line["interface"]) == [f"{line[side + '_address']}/{prefix}"]


def test_multicast_routes(exch1: Any, trader1: Any, lab_lines: list[dict[str, Any]]) -> None:
    # Line A carries 224.0.0.0/4; every other line a /32 per group (README: Multicast routing).
    for host in (exch1, trader1):
        for _index, line in enumerate(lab_lines):
            group = line["multicast_group"]
            dev = json.loads(host.check_output(f"ip -j -4 route get {group}"))[0]["dev"]
            assert dev == line["interface"], f"{group} routes via {dev}"
        assert re.search(rf"^224\.0\.0\.0/4 dev {lab_lines[0]['interface']}\b",
                         host.check_output("ip -4 route show"), re.MULTILINE)


@pytest.mark.parametrize("direction", ["trader-to-exchange", "exchange-to-trader"])
def test_peer_reachable_on_every_line(exch1: Any, trader1: Any, lab_lines: list[dict[str, Any]],
                                      direction: str) -> None:
    src, dst = ("trader", "exchange") if direction == "trader-to-exchange" else ("exchange", "trader")
    host = trader1 if src == "trader" else exch1
    for line in lab_lines:
        cmd = host.run(f"ping -c 2 -i 0.2 -W 2 -I {line['interface']} {line[dst + '_address']}")
        assert cmd.rc == 0, f"line {line['name']}: {cmd.stdout}{cmd.stderr}"


@pytest.mark.parametrize("index", [0, 1], ids=["line-a", "line-b"])
def test_multicast_received(exch1: Any, lab_vars: dict[str, Any], lab_lines: list[dict[str, Any]],
                            index: int) -> None:
    line = lab_lines[index]
    port = str(lab_vars["tickpath_lab_check_port"])
    token = f"testinfra-{secrets.token_hex(6)}"
    with subprocess.Popen(
        ["podman", "exec", TRADER_CONTAINER, "python3", "-c", RECEIVER, line["multicast_group"], port,
         line["trader_address"], token],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as recv:
        assert recv.stdout is not None
        assert recv.stdout.readline().strip() == "READY"
        exch1.check_output(f"python3 -c '{SENDER}' {line['multicast_group']} {port} {token}")
        out, err = recv.communicate(timeout=15)
    assert recv.returncode == 0, err
    assert out.strip() == line["exchange_address"], f"datagram came from {out.strip()!r}"


def test_lab_network_by_name(trader1: Any) -> None:
    assert trader1.run("ping -c 1 -W 2 exch1").rc == 0


def test_trading_host_can_run_af_xdp(trader1: Any) -> None:
    privileged = subprocess.run(
        ["podman", "container", "inspect", "--format", "{{.HostConfig.Privileged}}", TRADER_CONTAINER],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert privileged == "true"
    status = trader1.file("/proc/1/status").content_string
    match = re.search(r"^CapEff:\s*([0-9a-f]+)$", status, re.MULTILINE)
    assert match is not None, status
    cap_eff = int(match.group(1), 16)
    for bit in (CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF):
        assert cap_eff >> bit & 1, f"capability bit {bit} missing"


def test_management_connection(lab_up: None) -> None:
    """Ansible reaches both hosts through the containers.podman.podman connection."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    env["PATH"] = f"{REPO / '.venv' / 'bin'}:{env.get('PATH', '')}"
    proc = subprocess.run(
        ["ansible", "-i", "inventories/lab", "exch1:trader1", "-m", "ansible.builtin.command",
         "-a", "hostname"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("exch1", "trader1"):
        assert re.search(rf"^{name} \| CHANGED \| rc=0 >>\n{name}$", proc.stdout, re.MULTILINE), proc.stdout


@pytest.mark.slow
def test_lab_playbook_is_idempotent(lab_up: None) -> None:
    """A second lab_state=present on the running lab changes nothing."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    env["PATH"] = f"{REPO / '.venv' / 'bin'}:{env.get('PATH', '')}"
    proc = subprocess.run(
        ["ansible-playbook", "-i", "inventories/lab", "playbooks/lab.yml", "-e", "lab_state=present"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    recap = re.search(r"^localhost\s+:.*changed=(\d+).*failed=(\d+)", proc.stdout, re.MULTILINE)
    assert recap is not None, proc.stdout[-2000:]
    assert recap.groups() == ("0", "0"), proc.stdout[-3000:]

