"""roles/preflight `cpus: auto`: the host-side sysfs reader + the controller filter give exactly
what `tickpath layout` (read_topology + propose) gives on the same sysfs tree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.modules import load_file
from tickpath.cli import main
from tickpath.topology import propose, read_topology

REPO = Path(__file__).resolve().parents[2]
SYSFS = REPO / "tests" / "fixtures" / "sysfs"
READER = REPO / "roles" / "preflight" / "files" / "tickpath-sysfs-read.py"


F = load_file(
    "tickpath_preflight_layout",
    REPO / "roles" / "preflight" / "filter_plugins" / "tickpath_layout.py",
    register=True,
)

# Every recorded shape, with the feed NICs test_layout.py plans it for, plus NIC cases that take
# the other branches of the reader (virtual interface, NICs on different nodes, no NIC).
CASES: list[tuple[str, tuple[str, ...]]] = [
    ("smt-off-8", ("feed-a",)),
    ("smt-on-8c16t", ("feed-a", "feed-b")),
    ("2numa-24c48t-nic1", ("feed-a", "feed-b")),
    ("epyc-nps4-32c64t", ("feed-a",)),
    ("vm-2vcpu", ("eth0",)),
    ("vm-2vcpu", ("lo",)),
    ("epyc-nps4-32c64t", ("eth0", "feed-a")),
    ("smt-off-8", ()),
]


def _read(root: Path, *nics: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(READER), "--root", str(root), *nics],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return proc.stdout


@pytest.mark.parametrize(("shape", "nics"), CASES, ids=[f"{s}-{'+'.join(n)}" for s, n in CASES])
def test_filter_equals_propose_on_fixture(shape: str, nics: tuple[str, ...]) -> None:
    expected = propose(read_topology(SYSFS / shape, nics), nics)
    got = F.tickpath_layout_from_sysfs(_read(SYSFS / shape, *nics), list(nics))
    assert got == F.layout_vars(expected)
    # the shape `tickpath layout --format yaml` prints, plus nic node and notes
    assert got["tickpath_host_profile"]["cpus"] == expected.ansible_vars()["tickpath_host_profile"]["cpus"]
    assert got["tickpath_layout_notes"] == list(expected.notes)
    assert got["tickpath_layout_nic_node"] == expected.nic_node


def test_filter_equals_the_cli_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    argv = ["layout", "--sysfs", str(SYSFS / "2numa-24c48t-nic1"), "--format", "yaml"]
    assert main([*argv, "--nic", "feed-a", "--nic", "feed-b"]) == 0
    cli = yaml.safe_load(capsys.readouterr().out)
    got = F.tickpath_layout_from_sysfs(_read(SYSFS / "2numa-24c48t-nic1", "feed-a", "feed-b"), ["feed-a", "feed-b"])
    assert {k: v for k, v in got.items() if k in cli} == cli
    assert got["tickpath_host_profile"]["cpus"] == {"housekeeping": "0-12,18-36,42-47", "isolated": "13-17,37-41"}


def test_reader_takes_only_what_the_layout_reads() -> None:
    tree = json.loads(_read(SYSFS / "vm-2vcpu", "eth0"))
    assert set(tree) == {"files", "links", "dirs"}
    # the virtio NIC: its links are kept, its PCI parent's locality and IRQs are read
    assert tree["links"]["class/net/eth0"] == "devices/pci0000:00/0000:00:03.0/virtio2/net/eth0"
    assert tree["links"]["devices/pci0000:00/0000:00:03.0/virtio2/net/eth0/device"] == (
        "devices/pci0000:00/0000:00:03.0/virtio2"
    )
    assert tree["files"]["devices/pci0000:00/0000:00:03.0/numa_node"] == "-1\n"
    assert "class/net/lo" in tree["dirs"] and not any("lo" in p.split("/") for p in tree["files"])
    assert all(p.startswith(("devices/system/", "devices/pci0000:00/0000:00:03.0/")) for p in tree["files"])


def test_reader_on_a_missing_nic_lets_the_filter_say_so() -> None:
    with pytest.raises(ValueError, match=r"interface 'feed-zz' not found under /sys/class/net \(have: eth0, lo\)"):
        F.tickpath_layout_from_sysfs(_read(SYSFS / "vm-2vcpu", "feed-zz"), ["feed-zz"])


def test_parsed_mapping_is_accepted() -> None:
    tree: dict[str, Any] = json.loads(_read(SYSFS / "smt-on-8c16t", "feed-a"))
    got = F.tickpath_layout_from_sysfs(tree, ["feed-a"])
    assert got["tickpath_host_profile"]["cpus"]["isolated"] == "1-5,9-13"


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ("{", "sysfs extract is not JSON"),
        ([], "sysfs extract must be a mapping with files, links and dirs"),
        ({"files": {}, "other": 1}, "sysfs extract must be a mapping"),
        ({"files": {"/etc/passwd": "x"}}, "file '/etc/passwd' is not a plain path under the sysfs root"),
        ({"files": {"devices/../../x": "x"}}, "is not a plain path under the sysfs root"),
        ({"links": {"class/net/a": "../../etc"}}, "link target '../../etc' is not a plain path"),
        ({"files": {"devices/system/cpu/online": 3}}, "files must map paths to text"),
        ({"files": {}}, "cannot plan this host: cannot read /sys/devices/system/cpu/online"),
        ({"files": {"devices/system/cpu/online": "0-x\n"}}, "cannot plan this host: /sys/devices/system/cpu/online"),
    ],
    ids=["json", "list", "key", "absolute", "dotdot", "link-escape", "content-type", "empty", "bad-online"],
)
def test_bad_extract_is_refused(tree: Any, message: str) -> None:
    with pytest.raises(ValueError, match=r"^tickpath_host_profile\.cpus: auto") as exc:
        F.tickpath_layout_from_sysfs(tree, [])
    assert message in str(exc.value)


@pytest.mark.parametrize("feed", ["feed-a", [""], ["a", "a"], None])
def test_bad_feed_is_refused(feed: Any) -> None:
    with pytest.raises(ValueError, match=r"tickpath_host_profile\.cpus: auto: feed"):
        F.tickpath_layout_from_sysfs(_read(SYSFS / "smt-off-8"), feed)


def test_single_cpu_host_plans_mode_none(tmp_path: Path) -> None:
    tree = {"files": {"devices/system/cpu/online": "0\n"}, "dirs": ["class/net"]}
    got = F.tickpath_layout_from_sysfs(tree, [])
    assert got["tickpath_layout_mode"] == "none"
    assert got["tickpath_host_profile"]["cpus"] == {"housekeeping": "0", "isolated": ""}


def test_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if neither the venv nor a checkout's app/ had tickpath.
    monkeypatch.setitem(sys.modules, "tickpath.topology", None)
    monkeypatch.setattr(F, "APP_DIR", Path("/nonexistent"))
    with pytest.raises(ValueError, match="needs the tickpath package on the controller") as exc:
        F.tickpath_layout_from_sysfs(_read(SYSFS / "smt-off-8"), [])
    assert sys.executable in str(exc.value)


def test_filter_module_exports() -> None:
    assert set(F.FilterModule().filters()) == {"tickpath_layout_from_sysfs"}
