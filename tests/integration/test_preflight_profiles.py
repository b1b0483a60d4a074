"""Bad host profiles are refused by roles/preflight with a message naming the key, and nothing
on the host changes.

Real run: ansible-playbook against a throw-away systemd container (podman, the project image)
with the lab's feed interfaces (veth pairs in the container's own netns). All bad profiles run in
one playbook, one inventory host per profile (all pointing at the same container), so the table
costs one Ansible run; playbooks/tune.yml itself is then run with a bad profile next to a good
one to show any_errors_fatal stops the whole fleet before any change.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

TOP = Path(__file__).resolve().parents[2]
IMAGE = "localhost/tickpath-debian12:latest"
NAME = "tp-it-preflight"
GOOD: dict[str, Any] = yaml.safe_load(
    (TOP / "inventories/lab/group_vars/trading.yml").read_text(encoding="utf-8")
)["tickpath_host_profile"]
AUTO: dict[str, Any] = {**GOOD, "cpus": "auto"}
# Files any tuning role would create: none may exist after a refused run.
TUNING_PATHS = [
    "/etc/default/grub.d/tickpath.cfg",
    "/etc/sysctl.d/90-tickpath.conf",
    "/etc/tickpath",
    "/etc/security/limits.d/90-tickpath.conf",
    "/etc/systemd/system.conf.d",
    "/etc/systemd/system/tickpath-cpu-tuning.service",
    "/etc/systemd/system/tickpath-hugepages.service",
    "/etc/udev/rules.d/90-tickpath-nic.rules",
    "/var/lib/tickpath",
    "/usr/local/libexec/tickpath",
]


def mutate(path: str, value: Any) -> dict[str, Any]:
    """The good profile with one key (dotted path) replaced, or removed when value is ...."""
    prof = copy.deepcopy(GOOD)
    *parents, leaf = path.split(".")
    node = prof
    for key in parents:
        node = node[key]
    if value is ...:
        del node[leaf]
    else:
        node[leaf] = value
    return prof


def dpdk(**hugepages: Any) -> dict[str, Any]:
    """The good profile with transport dpdk and the given hugepages keys replaced."""
    prof = mutate("transport", "dpdk")
    prof["hugepages"].update(hugepages)
    return prof


# (id, profile, exact fragment of the failure message)
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("isolated_syntax", mutate("cpus.isolated", "1-"),
     ("tickpath_host_profile.cpus.isolated: invalid cpulist '1-': bad item '1-' "
     "(expected N or N-M)")),
    ("housekeeping_backwards", mutate("cpus.housekeeping", "3-1"),
     "tickpath_host_profile.cpus.housekeeping: invalid cpulist '3-1': range '3-1' runs backwards"),
    ("isolated_missing_cpu", mutate("cpus.isolated", "1,64"),
     "tickpath_host_profile.cpus.isolated: cpu(s) 64 do not exist on this host (present: 0-1,"),
    ("cpus_overlap", mutate("cpus.housekeeping", "0-1"),
     "tickpath_host_profile.cpus: cpu(s) 1 are both housekeeping and isolated"),
    ("cpus_key_missing", mutate("cpus", ...),
     "missing required arguments: cpus found in tickpath_host_profile"),
    ("cpus_auto_typo", mutate("cpus", "autox"),
     ("tickpath_host_profile.cpus: must be 'auto' (derived from this host's topology, as `tickpath "
      "layout` proposes it) or a mapping {housekeeping: CPULIST, isolated: CPULIST} (got \"autox\")")),
    ("cpus_isolated_missing", mutate("cpus.isolated", ...),
     ("tickpath_host_profile.cpus: must be 'auto' (derived from this host's topology, as `tickpath "
      "layout` proposes it) or a mapping {housekeeping: CPULIST, isolated: CPULIST} "
      "(got {\"housekeeping\": \"0\"})")),
    ("management_missing", mutate("interfaces.management", "eth9"),
     "tickpath_host_profile.interfaces.management: interface 'eth9' does not exist"),
    ("management_in_feed", mutate("interfaces.feed", ["feed-a", "eth0"]),
     ("tickpath_host_profile.interfaces.feed: must list at least one interface, each once, and not "
     "the management interface 'eth0' (got feed-a, eth0)")),
    ("feed_duplicate", mutate("interfaces.feed", ["feed-a", "feed-a"]),
     "tickpath_host_profile.interfaces.feed: must list at least one interface, each once"),
    ("feed_empty", mutate("interfaces.feed", []),
     "tickpath_host_profile.interfaces.feed: must list at least one interface"),
    ("feed_nic_missing", mutate("interfaces.feed", ["feed-a", "feed-zz"]),
     "tickpath_host_profile.interfaces.feed: interface(s) feed-zz do not exist"),
    ("transport_choice", mutate("transport", "rdma"),
     "value of transport must be one of: kernel, kernel-blocking, afxdp, dpdk, onload, got: rdma"),
    ("ptp_mode_choice", mutate("ptp.mode", "slave"),
     "value of mode must be one of: client, grandmaster, boundary, got: slave"),
    ("ptp_interface_missing", mutate("ptp.interface", "feed-zz"),
     "tickpath_host_profile.ptp.interface: interface 'feed-zz' does not exist"),
    ("hugepages_type", mutate("hugepages.size_1g", "lots"),
     ("argument 'size_1g' is of type str found in 'tickpath_host_profile -> hugepages'. and we "
     "were unable to convert to int")),
    ("hugepages_negative", mutate("hugepages.size_2m", -1),
     "tickpath_host_profile.hugepages.size_2m: must be >= 0 (got -1)"),
    ("hugepages_too_much", mutate("hugepages.size_2m", 100_000_000),
     "tickpath_host_profile.hugepages: 200000000 MB of hugepages exceed 75% of"),
    ("per_node_unknown_node", mutate("hugepages.per_node", {"5": {"size_2m": 8}}),
     "tickpath_host_profile.hugepages.per_node.5: must be an existing NUMA node (0)"),
    ("per_node_bad_key", mutate("hugepages.per_node", {"0": {"size_4k": 8}}),
     "tickpath_host_profile.hugepages.per_node.0: must be an existing NUMA node"),
    ("reboot_allowed_type", mutate("reboot.allowed", "maybe"),
     ("argument 'allowed' is of type str found in 'tickpath_host_profile -> reboot'. and we "
     "were unable to convert to bool")),
    ("reboot_window_syntax", mutate("reboot.window", "25:00-26:00"),
     "tickpath_host_profile.reboot.window: '25:00-26:00' is not \"HH:MM-HH:MM\" (24 h)"),
    ("dpdk_without_hugepages", dpdk(size_2m=0),
     ("tickpath_host_profile.hugepages: transport dpdk needs at least 512 MB of hugepages for its "
      "packet buffers, the profile reserves 0 MB (size_2m 0, size_1g 0, per_node {}); "
      "e.g. size_2m: 256 or size_1g: 1")),
    ("dpdk_too_few_hugepages", dpdk(size_2m=0, per_node={"0": {"size_2m": 100}}),
     "transport dpdk needs at least 512 MB of hugepages for its packet buffers, the profile "
     "reserves 200 MB"),
]
# Accepted: a dpdk profile whose hugepages cover it (the lab's 256 x 2 MB).
GOOD_DPDK = {"good_dpdk": dpdk()}


def _podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check,
                          timeout=120)


@pytest.fixture(scope="module")
def container() -> Iterator[str]:
    if shutil.which("podman") is None:
        pytest.skip("podman not installed (make deps)")
    if _podman("image", "exists", IMAGE, check=False).returncode != 0:
        pytest.skip(f"{IMAGE} missing (make image)")
    _podman("rm", "-f", NAME, check=False)
    _podman("run", "-d", "--name", NAME, "--cap-add", "NET_ADMIN", "--systemd=always", IMAGE,
            "/lib/systemd/systemd")
    try:
        _podman("exec", NAME, "systemctl", "is-system-running", "--wait", check=False)
        _podman("exec", NAME, "sh", "-c",
                "for l in feed-a feed-b; do ip link add $l type veth peer name $l-peer; done")
        yield NAME
    finally:
        _podman("rm", "-f", NAME, check=False)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(ANSIBLE_CONFIG=str(TOP / "ansible.cfg"), ANSIBLE_ROLES_PATH=str(TOP / "roles"),
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json")
    return env


def _inventory(tmp: Path, hosts: dict[str, dict[str, Any]], group: str) -> Path:
    inv = {"all": {"children": {group: {"hosts": {
        h: {"ansible_host": NAME, "ansible_connection": "containers.podman.podman",
            "ansible_python_interpreter": "/usr/bin/python3", "tickpath_container_host": True,
            "tickpath_host_profile": prof}
        for h, prof in hosts.items()}}}}}
    path = tmp / "inventory.yml"
    path.write_text(yaml.safe_dump(inv), encoding="utf-8")
    return path


def _failures(stdout: str) -> dict[str, str]:
    """host -> message of its failed task, from the json callback."""
    out: dict[str, str] = {}
    for play in json.loads(stdout)["plays"]:
        for task in play["tasks"]:
            for host, res in task["hosts"].items():
                if res.get("failed") and host not in out:
                    # A failed loop task: the message is on the failed item.
                    items = [r for r in res.get("results", []) if r.get("failed")]
                    out[host] = str((items[0] if items else res).get("msg", ""))
    return out


def _changed_paths(container: str) -> list[str]:
    res = _podman("exec", container, "sh", "-c",
                  "for p in " + " ".join(TUNING_PATHS) + "; do [ -e $p ] && echo $p; done; true")
    return res.stdout.split()


@pytest.fixture(scope="module")
def batch(container: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("preflight")
    hosts = ({f"bad_{cid}": prof for cid, prof, _ in CASES} | {"good": GOOD, "good_auto": AUTO}
             | GOOD_DPDK)
    inv = _inventory(tmp, hosts, "trading")
    play = tmp / "preflight.yml"
    play.write_text("- hosts: trading\n  gather_facts: true\n  roles: [preflight]\n",
                    encoding="utf-8")
    proc = subprocess.run(["ansible-playbook", "-i", str(inv), "-f", "25", str(play)],
                          env=_env(), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 2, proc.stderr[-2000:]
    return _failures(proc.stdout)


def test_good_profile_passes(batch: dict[str, str]) -> None:
    # Without this the table could pass with a preflight that refuses everything.
    assert "good" not in batch
    # cpus: auto (derived from the container's topology) passes every check too.
    assert "good_auto" not in batch
    assert not set(GOOD_DPDK) & set(batch), batch


@pytest.mark.parametrize(("cid", "fragment"), [(c, f) for c, _, f in CASES],
                         ids=[c for c, _, _ in CASES])
def test_bad_profile_refused_with_key(batch: dict[str, str], container: str, cid: str,
                                      fragment: str) -> None:
    assert f"bad_{cid}" in batch, f"{cid} was accepted"
    assert fragment in batch[f"bad_{cid}"]
    assert _changed_paths(container) == []


def test_tune_play_stops_whole_fleet_before_any_change(container: str, tmp_path: Path) -> None:
    # One bad host among good ones: any_errors_fatal in playbooks/tune.yml stops every host
    # after preflight, so not even the good host is touched.
    inv = _inventory(tmp_path, {"good1": GOOD, "bad": mutate("cpus.isolated", "0")}, "trading")
    proc = subprocess.run(["ansible-playbook", "-i", str(inv), str(TOP / "playbooks/tune.yml")],
                          env=_env(), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode != 0
    failures = _failures(proc.stdout)
    assert failures["bad"].startswith(
        "tickpath_host_profile.cpus: cpu(s) 0 are both housekeeping and isolated")
    names = [t["task"]["name"] for p in json.loads(proc.stdout)["plays"] for t in p["tasks"]]
    # Task names carry their role ("preflight : ..."): preflight ran, no tuning role did.
    assert any(n.startswith("preflight : ") for n in names), names
    assert not any(n.startswith(("cpu_partitioning", "kernel_tuning", "hugepages", "irq_nic"))
                   for n in names), names
    assert _changed_paths(container) == []
