"""tickpath.topology + `tickpath layout` on recorded sysfs trees of several machine shapes."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from tickpath.cli import main
from tickpath.cpulist import format_cpulist, parse_cpulist
from tickpath.topology import Nic, Topology, TopologyError, propose, read_topology
from tickpath.topology import hwloc as hwloc_reader

REPO = Path(__file__).resolve().parents[2]
SYSFS = REPO / "tests" / "fixtures" / "sysfs"
STAGES = ("rx", "book", "publish", "strategy", "gateway")


def _stages(*cpus: int) -> dict[str, int]:
    if len(cpus) == 1:
        cpus = cpus * len(STAGES)
    return dict(zip(STAGES, cpus, strict=True))


# shape, nics, mode, housekeeping, isolated, stages, idle siblings, irq cpus, nic node
CASES: list[
    tuple[str, tuple[str, ...], str, str, str, dict[str, int], str, str, int]
] = [
    (
        "smt-off-8",
        ("feed-a",),
        "pipeline",
        "0,6-7",
        "1-5",
        _stages(1, 2, 3, 4, 5),
        "",
        "0",
        0,
    ),
    (
        "smt-on-8c16t",
        ("feed-a", "feed-b"),
        "pipeline",
        "0,6-8,14-15",
        "1-5,9-13",
        _stages(1, 2, 3, 4, 5),
        "9-13",
        "0,8",
        0,
    ),
    (
        "2numa-24c48t-nic1",
        ("feed-a", "feed-b"),
        "pipeline",
        "0-12,18-36,42-47",
        "13-17,37-41",
        _stages(13, 14, 15, 16, 17),
        "37-41",
        "12,36",
        1,
    ),
    (
        "epyc-nps4-32c64t",
        ("feed-a",),
        "pipeline",
        "0-16,22-48,54-63",
        "17-21,49-53",
        _stages(17, 18, 19, 20, 21),
        "49-53",
        "16,48",
        2,
    ),
    ("vm-2vcpu", ("eth0",), "run-to-completion", "0", "1", _stages(1), "", "0", 0),
]


@pytest.mark.parametrize(
    ("shape", "nics", "mode", "hk", "iso", "stages", "idle", "irq", "node"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_layout_on_fixture(
    shape: str,
    nics: tuple[str, ...],
    mode: str,
    hk: str,
    iso: str,
    stages: dict[str, int],
    idle: str,
    irq: str,
    node: int,
) -> None:
    topo = read_topology(SYSFS / shape, nics)
    layout = propose(topo, nics)
    assert layout.mode == mode
    assert format_cpulist(layout.housekeeping) == hk
    assert format_cpulist(layout.isolated) == iso
    assert layout.stages == stages
    assert format_cpulist(layout.idle_siblings) == idle
    assert format_cpulist(layout.irq_cpus) == irq
    assert layout.nic_node == node
    _invariants(topo, layout)


def _invariants(topo: Topology, layout: Any) -> None:
    assert layout.housekeeping | layout.isolated == topo.cpus
    assert not layout.housekeeping & layout.isolated
    assert set(layout.stages.values()) <= layout.isolated
    assert 0 in layout.housekeeping
    assert layout.irq_cpus <= layout.housekeeping
    for node_cpus in topo.nodes.values():
        assert layout.housekeeping & node_cpus, (
            "every NUMA node keeps a housekeeping core"
        )
    for cpu in layout.stages.values():
        # a hot core's siblings are isolated and idle
        assert topo.siblings[cpu] - {cpu} <= layout.idle_siblings
        assert topo.node_of(cpu) == layout.nic_node or layout.mode != "pipeline"
    if layout.mode == "pipeline":
        assert len(set(layout.stages.values())) == len(STAGES)
        assert len({topo.siblings[c] for c in layout.stages.values()}) == len(STAGES)


def test_vm_fixture_is_this_kind_of_machine() -> None:
    topo = read_topology(SYSFS / "vm-2vcpu", ("eth0", "lo"))
    assert topo.cpus == {0, 1} and not topo.smt and topo.nodes == {0: frozenset({0, 1})}
    eth0 = topo.nics["eth0"]
    # virtio: numa_node/local_cpulist/msi_irqs live on the PCI parent; numa_node is -1
    assert eth0.numa_node is None and eth0.local_cpus == {0, 1} and eth0.irqs
    assert topo.nics["lo"].virtual
    layout = propose(topo, ("eth0",))
    assert any("run-to-completion on cpu 1" in n for n in layout.notes)


def test_nic_numa_unknown_is_said() -> None:
    layout = propose(read_topology(SYSFS / "vm-2vcpu", ("lo",)), ("lo",))
    assert any("lo: virtual interface" in n for n in layout.notes)
    layout = propose(read_topology(SYSFS / "smt-off-8"))
    assert any("no feed NIC given" in n for n in layout.notes)


def test_nics_on_different_nodes_follow_line_a() -> None:
    topo = read_topology(SYSFS / "epyc-nps4-32c64t", ("eth0", "feed-a"))
    layout = propose(topo, ("eth0", "feed-a"))
    assert layout.nic_node == 0
    assert any("feed-a is on node 2 but eth0 on node 0" in n for n in layout.notes)


def _synthetic(cores: int, threads: int, nodes: int = 1) -> Topology:
    total = cores * threads
    siblings = {
        c: frozenset(c % cores + t * cores for t in range(threads))
        for c in range(total)
    }
    per = cores // nodes
    node_map = {
        n: frozenset(c for c in range(total) if (c % cores) // per == n)
        for n in range(nodes)
    }
    return Topology(cpus=frozenset(range(total)), siblings=siblings, nodes=node_map)


def test_fallback_one_core_two_threads() -> None:
    topo = _synthetic(1, 2)
    layout = propose(topo)
    assert layout.mode == "run-to-completion"
    assert layout.stages == _stages(1)
    assert layout.housekeeping == {0} and layout.isolated == {1}
    assert any("SMT sibling of cpu 0" in n for n in layout.notes)


def test_fallback_single_cpu() -> None:
    layout = propose(_synthetic(1, 1))
    assert layout.mode == "none"
    assert layout.stages == {} and layout.isolated == frozenset()
    assert any("nothing can be isolated" in n for n in layout.notes)


def test_fallback_too_few_cores_on_nic_node() -> None:
    # 2 nodes x 4 cores, NIC on node 1: node 1 has 3 free cores -> run-to-completion there.
    topo = _synthetic(8, 1, nodes=2)
    topo = Topology(
        cpus=topo.cpus,
        siblings=topo.siblings,
        nodes=topo.nodes,
        nics={"f": Nic("f", 1, None)},
    )
    layout = propose(topo, ("f",))
    assert layout.mode == "run-to-completion"
    assert layout.stages == _stages(5)
    assert layout.irq_cpus == {4}
    assert any(
        "only 3 free physical core(s) on NIC-local node 1" in n for n in layout.notes
    )
    _invariants(topo, layout)


def test_fallback_remote_node() -> None:
    # NIC node 1 has a single core, reserved for housekeeping: the stages go remote.
    topo = Topology(
        cpus=frozenset({0, 1, 2}),
        siblings={c: frozenset({c}) for c in range(3)},
        nodes={0: frozenset({0, 1}), 1: frozenset({2})},
        nics={"f": Nic("f", 1, None)},
    )
    layout = propose(topo, ("f",))
    assert layout.stages == _stages(1)
    assert any("remote from the NIC" in n for n in layout.notes)


@pytest.mark.parametrize("shape", [c[0] for c in CASES])
def test_yaml_output_is_the_host_profile_shape(
    shape: str, capsys: pytest.CaptureFixture[str]
) -> None:
    nics = next(c[1] for c in CASES if c[0] == shape)
    argv = ["layout", "--sysfs", str(SYSFS / shape), "--format", "yaml"]
    for nic in nics:
        argv += ["--nic", nic]
    assert main(argv) == 0
    data = yaml.safe_load(capsys.readouterr().out)
    profile = data["tickpath_host_profile"]
    assert set(profile) == {"cpus", "interfaces"}
    assert set(profile["cpus"]) == {"housekeeping", "isolated"}
    assert all(isinstance(v, str) for v in profile["cpus"].values())
    parse_cpulist(profile["cpus"]["housekeeping"])
    assert profile["interfaces"] == {"feed": list(nics)}
    case = next(c for c in CASES if c[0] == shape)
    assert profile["cpus"]["isolated"] == case[4]
    assert data["tickpath_layout_stages"] == case[5]
    assert data["tickpath_layout_idle_siblings"] == case[6]
    assert data["tickpath_layout_irq_cpus"] == case[7]


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(
        [
            "layout",
            "--sysfs",
            str(SYSFS / "2numa-24c48t-nic1"),
            "--nic",
            "feed-a",
            "--nic",
            "feed-b",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    for text in ("pipeline", "13-17,37-41", "idle siblings", "37-41", "feed-a IRQs"):
        assert text in out


def test_layout_bad_input_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["layout", "--sysfs", str(SYSFS / "smt-off-8"), "--nic", "nope"]) == 2
    assert "interface 'nope' not found" in capsys.readouterr().err
    assert main(["layout", "--sysfs", str(tmp_path)]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert (
        main(
            [
                "layout",
                "--sysfs",
                str(SYSFS / "smt-off-8"),
                "--nic",
                "feed-a",
                "--nic",
                "feed-a",
            ]
        )
        == 2
    )


def test_malformed_sysfs_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "sys"
    shutil.copytree(SYSFS / "smt-on-8c16t", root, symlinks=True)
    (root / "devices/system/cpu/cpu3/topology/thread_siblings_list").write_text(
        "3,12\n"
    )
    with pytest.raises(TopologyError, match="SMT siblings disagree"):
        read_topology(root)
    (root / "devices/system/cpu/online").write_text("0-x\n")
    with pytest.raises(TopologyError, match="is not a CPU number"):
        read_topology(root)


def test_single_cpu_layout_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "sys"
    (root / "devices/system/cpu").mkdir(parents=True)
    (root / "devices/system/cpu/online").write_text("0\n")
    (root / "class/net").mkdir(parents=True)
    assert main(["layout", "--sysfs", str(root), "--format", "yaml"]) == 1
    data = yaml.safe_load(capsys.readouterr().out)
    assert data["tickpath_layout_mode"] == "none"
    assert data["tickpath_host_profile"]["cpus"] == {
        "housekeeping": "0",
        "isolated": "",
    }


def test_hwloc_cpuset_parser() -> None:
    assert hwloc_reader.parse_cpuset("0x00000003") == {0, 1}
    assert hwloc_reader.parse_cpuset("0x00000001,0x80000000") == {31, 32}
    with pytest.raises(TopologyError):
        hwloc_reader.parse_cpuset("3")


@pytest.mark.skipif(
    not hwloc_reader.available(), reason="hwloc (lstopo-no-graphics) missing"
)
def test_hwloc_agrees_with_sysfs_on_this_host() -> None:
    from_sysfs = read_topology(Path("/sys"))
    from_hwloc = hwloc_reader.read_hwloc()
    assert from_hwloc.cpus == from_sysfs.cpus
    assert from_hwloc.siblings == from_sysfs.siblings
    assert from_hwloc.nodes == from_sysfs.nodes
    assert propose(from_hwloc) == propose(from_sysfs)


def test_this_host_is_like_the_recorded_vm() -> None:
    live = read_topology(Path("/sys"))
    recorded = read_topology(SYSFS / "vm-2vcpu")
    if (live.cpus, live.nodes) != (recorded.cpus, recorded.nodes):
        pytest.skip("not the 2-vCPU dev/CI VM the fixture was recorded on")
    assert live.siblings == recorded.siblings


def test_fixtures_match_the_generator(tmp_path: Path) -> None:
    """The synthetic trees are exactly what generate.py writes (no hand edits drift)."""
    copy = tmp_path / "sysfs"
    copy.mkdir()
    shutil.copy(SYSFS / "generate.py", copy / "generate.py")
    subprocess.run([sys.executable, str(copy / "generate.py")], check=True, timeout=60)
    for shape in ("smt-off-8", "smt-on-8c16t", "2numa-24c48t-nic1", "epyc-nps4-32c64t"):
        _same_tree(SYSFS / shape, copy / shape)


def _same_tree(a: Path, b: Path) -> None:
    cmp = filecmp.dircmp(a, b)
    assert not cmp.left_only and not cmp.right_only and not cmp.diff_files, (
        a,
        cmp.report(),
    )
    for name in cmp.common_files:
        if os.path.islink(a / name):
            assert os.readlink(a / name) == os.readlink(b / name)
    for sub in cmp.common_dirs:
        if not os.path.islink(a / sub):
            _same_tree(a / sub, b / sub)


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["layout", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for text in ("--sysfs", "--nic", "--format", "tickpath_host_profile"):
        assert text in out
