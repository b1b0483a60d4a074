"""execution-environment.yml and requirements/collections.yml against the code and the pins: the
EE's ansible-core is the one requirements/dev.txt tests with, the collections listed are exactly
the ones the roles, playbooks and molecule scenarios name (FQCN), at the versions installed here
(the pinned `ansible` bundle), so an EE or a bare ansible-core controller gets what was tested."""

from __future__ import annotations

import json
import re
from pathlib import Path

import ansible_collections
import yaml

TOP = Path(__file__).resolve().parents[2]
FQCN = re.compile(r"\b([a-z_]+)\.([a-z_]+)\.[a-z_]+\b")
SCANNED = ("roles", "playbooks", "molecule", "site.yml", "ansible.cfg")
CORE = {"ansible.builtin", "ansible.legacy"}


def _collections_used() -> set[str]:
    found: set[str] = set()
    files: list[Path] = []
    for entry in SCANNED:
        p = TOP / entry
        files += [p] if p.is_file() else [f for f in p.rglob("*") if f.suffix in {".yml", ".yaml", ".cfg", ".j2"}]
    installed = _installed()
    for f in files:
        for ns, name in FQCN.findall(f.read_text(errors="replace")):
            if f"{ns}.{name}" in installed:
                found.add(f"{ns}.{name}")
    return found - CORE


def _installed() -> dict[str, str]:
    root = Path(next(iter(ansible_collections.__path__)))
    out = {}
    for manifest in root.glob("*/*/MANIFEST.json"):
        info = json.loads(manifest.read_text())["collection_info"]
        out[f"{info['namespace']}.{info['name']}"] = info["version"]
    return out


def _listed() -> dict[str, str]:
    data = yaml.safe_load((TOP / "requirements/collections.yml").read_text())
    return {c["name"]: str(c["version"]) for c in data["collections"]}


def test_the_listed_collections_are_the_ones_the_code_uses() -> None:
    used = _collections_used()
    assert {"community.general", "containers.podman"} <= used  # the scan sees them
    assert set(_listed()) == used


def test_the_listed_versions_are_the_tested_ones() -> None:
    installed = _installed()
    assert {name: installed.get(name) for name in _listed()} == _listed()


def test_the_ee_uses_the_pinned_ansible_core_and_the_collection_list() -> None:
    ee = yaml.safe_load((TOP / "execution-environment.yml").read_text())
    assert ee["version"] == 3
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (TOP / "requirements/dev.txt").read_text(), re.M))
    assert ee["dependencies"]["ansible_core"]["package_pip"] == f"ansible-core=={pins['ansible-core']}"
    assert ee["dependencies"]["galaxy"] == "requirements/collections.yml"
