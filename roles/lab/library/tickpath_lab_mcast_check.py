#!/usr/bin/python
"""Ansible module: check that multicast sent in one podman container arrives in another, per line."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tickpath_lab_mcast_check
short_description: Check lab multicast end to end (exchange container -> trading container, per line)
description:
  - For each line, starts a receiver inside the trading container (python3 via C(podman exec)) that
    joins the line's multicast group on the line's interface address, then sends a few datagrams
    from inside the exchange container with C(IP_MULTICAST_IF) left unset, so the exchange host's
    routes must pick the line's interface.
  - Passes when a datagram carrying this run's token arrives from the line's exchange address on the
    line's interface (checked with C(IP_PKTINFO)). Bounded - a few datagrams and I(timeout) seconds
    per line; never changes anything.
options:
  exchange_container:
    description: Container that sends.
    type: str
    required: true
  trader_container:
    description: Container that receives.
    type: str
    required: true
  lines:
    description: Lines, each with C(name), C(interface), C(exchange_address), C(trader_address), C(multicast_group).
    type: list
    elements: dict
    required: true
  port:
    description: UDP port of the check (not a feed port, so a running feed handler is not disturbed).
    type: int
    required: true
  timeout:
    description: Seconds to wait per line.
    type: int
    default: 5
"""

EXAMPLES = r"""
- name: Multicast reaches the trading host on every line
  tickpath_lab_mcast_check:
    exchange_container: tp-lab-exch1
    trader_container: tp-lab-trader1
    lines: "{{ tickpath_lab_lines }}"
    port: 26490
"""

RETURN = r"""
results:
  description: Per line, whether the datagram arrived and from where.
  returned: always
  type: list
  elements: dict
"""

import secrets
import subprocess
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

# Runs inside the trading container: join GROUP on the interface address, print READY, then wait
# for a datagram carrying TOKEN; print "OK <source> <ifname>" or "TIMEOUT".
RECEIVER = r"""
import socket, struct, sys, time
group, port, local, ifname, token, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5].encode(), float(sys.argv[6])
PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux value; Python 3.11 does not export it
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IP, PKTINFO, 1)
s.bind((group, port))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(local)))
want = socket.if_nametoindex(ifname)
print("READY", flush=True)
deadline = time.monotonic() + timeout
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        print("TIMEOUT", flush=True); sys.exit(1)
    s.settimeout(left)
    try:
        data, anc, _, src = s.recvmsg(2048, socket.CMSG_SPACE(12))
    except socket.timeout:
        continue
    idx = 0
    for level, kind, value in anc:
        if level == socket.IPPROTO_IP and kind == PKTINFO:
            idx = struct.unpack("I", value[:4])[0]
    if data == token:
        name = socket.if_indextoname(idx) if idx else "?"
        print("OK %s %s" % (src[0], name), flush=True)
        sys.exit(0 if idx == want else 2)
"""

# Runs inside the exchange container: send TOKEN to GROUP a few times, TTL 1, no IP_MULTICAST_IF.
SENDER = r"""
import socket, sys, time
group, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
for _ in range(10):
    s.sendto(token, (group, port))
    time.sleep(0.1)
"""


def check_line(module: AnsibleModule, line: dict[str, Any]) -> dict[str, Any]:
    params = module.params
    token = f"tickpath-lab-{line['name']}-{secrets.token_hex(8)}"
    timeout = int(params["timeout"])
    recv_argv = ["podman", "exec", params["trader_container"], "python3", "-c", RECEIVER,
                 str(line["multicast_group"]), str(params["port"]), str(line["trader_address"]),
                 str(line["interface"]), token, str(timeout)]
    result: dict[str, Any] = {"line": line["name"], "group": line["multicast_group"], "ok": False}
    with subprocess.Popen(recv_argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as recv:
        assert recv.stdout is not None
        ready = recv.stdout.readline().strip()
        if ready != "READY":
            recv.kill()
            _, err = recv.communicate(timeout=timeout)
            result["error"] = f"receiver did not start: {ready} {err.strip()}"
            return result
        send_argv = ["podman", "exec", params["exchange_container"], "python3", "-c", SENDER,
                     str(line["multicast_group"]), str(params["port"]), token]
        rc, _, err = module.run_command(send_argv)
        if rc != 0:
            recv.kill()
            recv.communicate(timeout=timeout)
            result["error"] = f"sender failed: {err.strip()}"
            return result
        try:
            out, err = recv.communicate(timeout=timeout + 5)
        except subprocess.TimeoutExpired:
            recv.kill()
            out, err = recv.communicate()
        words = out.split()
        result["output"] = out.strip()
        if words[:1] == ["OK"] and len(words) >= 3:
            result["source"], result["interface"] = words[1], words[2]
            result["ok"] = (recv.returncode == 0 and words[1] == str(line["exchange_address"])
                            and words[2] == str(line["interface"]))
        if not result["ok"]:
            result["error"] = (f"expected a datagram from {line['exchange_address']} on {line['interface']}, "
                               f"got: {out.strip() or 'nothing'} {err.strip()}").strip()
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "exchange_container": {"type": "str", "required": True},
            "trader_container": {"type": "str", "required": True},
            "lines": {"type": "list", "elements": "dict", "required": True},
            "port": {"type": "int", "required": True},
            "timeout": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
    )
    if module.check_mode:
        module.exit_json(changed=False, skipped=True, msg="multicast check skipped in check mode", results=[])
    started = time.monotonic()
    results = [check_line(module, line) for line in module.params["lines"]]
    failed = [r for r in results if not r["ok"]]
    elapsed = round(time.monotonic() - started, 2)
    if failed:
        module.fail_json(msg="multicast does not reach " + module.params["trader_container"] + " on line(s) "
                         + ", ".join(f"{r['line']} ({r.get('error', '')})" for r in failed),
                         results=results, elapsed=elapsed)
    module.exit_json(changed=False, results=results, elapsed=elapsed)


if __name__ == "__main__":
    main()
