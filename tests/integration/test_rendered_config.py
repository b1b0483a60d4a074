"""The key=value file `tickpath config render` writes is the one tickpath-fh reads.

tickpath-fh rejects unknown keys and bad values, so a renderer/reader mismatch (a renamed key, a
key only one side knows) fails here instead of at service start on a trading host.
"""

from __future__ import annotations

import copy
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from tickpath.config import render
from tickpath.config.validate import validate_text

REPO = Path(__file__).resolve().parents[2]
LAB_YAML = REPO / "app" / "tickpath" / "config" / "examples" / "lab.yaml"


def fh_binary() -> str:
    path = Path(os.environ["TICKPATH_BINDIR"]) / "tickpath-fh"
    if not path.exists():
        pytest.fail(f"{path} not built (make build)")
    return str(path)


def check_config(conf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [fh_binary(), "--config", str(conf), "--check-config"],
        capture_output=True, text=True, timeout=30, check=False,
    )


def rendered_fh(data: dict[str, Any], tmp_path: Path) -> Path:
    cfg, issues = validate_text(yaml.safe_dump(data), None)
    assert cfg is not None, issues
    conf = tmp_path / "fh.conf"
    conf.write_text(render(cfg, "test.yaml")["fh.conf"], encoding="utf-8")
    return conf


def lab_config() -> dict[str, Any]:
    data = yaml.safe_load(LAB_YAML.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def variant(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(lab_config())
    data.update(changes)
    return data


PIPELINE_CPUS = {"rx": 1, "book": 2, "publish": 3, "strategy": 4, "gateway": 5}


@pytest.mark.parametrize(
    ("name", "data", "transport"),
    [
        ("lab example (afxdp, run-to-completion)", lab_config(), "afxdp"),
        ("kernel, pipeline", variant(transport={"kind": "kernel"}, cpus=PIPELINE_CPUS), "kernel"),
        ("kernel-blocking", variant(transport={"kind": "kernel-blocking"}), "kernel-blocking"),
        ("onload profile", variant(transport={"kind": "onload", "onload": {"profile": "lowlat"}}),
         "onload"),
        ("dpdk, no hugepages",
         variant(transport={"kind": "dpdk", "dpdk": {
             "eal_args": ["--no-pci", "--vdev=net_af_packet0,iface=feed-a"], "hugepages": False}}),
         "dpdk"),
    ],
)
def test_fh_accepts_rendered_config(name: str, data: dict[str, Any], transport: str,
                                    tmp_path: Path) -> None:
    result = check_config(rendered_fh(data, tmp_path))
    assert result.returncode == 0, f"{name}: {result.stderr}"
    assert f"transport={transport}" in result.stdout


@pytest.mark.parametrize(
    ("rendered", "edited", "message"),
    [
        ("program=fh", "program=gw", "for 'gw', not for tickpath-fh"),
        ("format=1", "format=2", "format: '2' is not 1"),
        ("line.a.source=198.18.1.1", "line.a.source=239.1.1.1", "line.a.source"),
    ],
    ids=["another-program", "unknown-format", "multicast-source"],
)
def test_fh_rejects_an_edited_rendered_config(rendered: str, edited: str, message: str,
                                              tmp_path: Path) -> None:
    conf = rendered_fh(lab_config(), tmp_path)
    text = conf.read_text(encoding="utf-8")
    assert rendered in text
    conf.write_text(text.replace(rendered, edited), encoding="utf-8")
    result = check_config(conf)
    assert result.returncode != 0
    assert message in result.stderr
