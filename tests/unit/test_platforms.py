"""Honest platforms: the one list of tested platforms, preflight's gate on it, the per-platform
vars/ files the roles load (first_found over distribution_version, distribution_major,
distribution, os_family, default), and tickpath_deploy's refusal of a Python its wheels are not
for.

The filters are called directly; the wiring (vars/main.yml -> gate -> assert, set_vars.yml ->
first_found -> include_vars, the deploy checks) runs in ansible-playbook against this machine
(connection local) with fake facts given as task variables: only asserts, set_fact, include_vars
and reads of files under tmp_path run, so nothing here changes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import playbook
from support.modules import load_file

REPO = Path(__file__).resolve().parents[2]
ROLES = REPO / "roles"
F = load_file("tickpath_platform_filter", ROLES / "preflight/filter_plugins/tickpath_platform.py")

# Roles that install packages or use distribution paths: each loads vars/<platform>.yml.
PLATFORM_ROLES = ["cpu_partitioning", "irq_nic", "ptp", "chrony", "afxdp", "dpdk", "tickpath_deploy"]
TESTED = yaml.safe_load((ROLES / "preflight/vars/main.yml").read_text(encoding="utf-8"))[
    "preflight__tested_platforms"
]
# Debian's release names, for galaxy_info (which names Debian versions by codename).
DEBIAN_CODENAMES = {"12": "bookworm", "13": "trixie"}


def facts(distribution: str, version: str, family: str, python: str = "3.11",
          pkg_mgr: str = "apt") -> dict[str, Any]:
    major, minor = python.split(".")
    return {
        "distribution": distribution,
        "distribution_version": version,
        "distribution_major_version": version.split(".")[0],
        "os_family": family,
        "pkg_mgr": pkg_mgr,
        "python": {"version": {"major": int(major), "minor": int(minor), "micro": 0},
                   "executable": f"/usr/bin/python{python}"},
    }


DEBIAN12 = facts("Debian", "12.7", "Debian")
DEBIAN13 = facts("Debian", "13.1", "Debian", "3.13")
UBUNTU2404 = facts("Ubuntu", "24.04", "Debian", "3.12")
ROCKY9 = facts("Rocky", "9.3", "RedHat", "3.9", "dnf")
ALPINE = facts("Alpine", "3.19.1", "Alpine", "3.11", "apk")


# --- the gate (filter) -------------------------------------------------------------------------

def test_the_tested_list_is_debian_12() -> None:
    assert TESTED == [{"distribution": "Debian", "major_version": "12"}]


def test_gate_accepts_a_tested_platform() -> None:
    got = F.tickpath_platform_check(DEBIAN12, TESTED, False)
    assert got == {"ok": True, "tested": True, "platform": "Debian 12.7",
                   "message": "Debian 12.7: a tested platform"}


@pytest.mark.parametrize(("host", "name"), [(ROCKY9, "Rocky 9.3"), (DEBIAN13, "Debian 13.1"),
                                            (UBUNTU2404, "Ubuntu 24.04")])
def test_gate_refuses_an_untested_platform_by_name(host: dict[str, Any], name: str) -> None:
    got = F.tickpath_platform_check(host, TESTED, False)
    assert got["ok"] is False and got["tested"] is False
    assert got["message"] == (
        f"{name} is not a platform tickpath is tested on (tested: Debian 12); "
        "set tickpath_allow_untested_os: true to try anyway"
    )


def test_gate_lets_an_untested_platform_through_when_asked() -> None:
    got = F.tickpath_platform_check(ROCKY9, TESTED, True)
    assert got["ok"] is True and got["tested"] is False
    assert got["message"].startswith("Rocky 9.3 is not a platform tickpath is tested on")
    assert got["message"].endswith("tickpath_allow_untested_os is true: continuing untested")


def test_gate_names_what_is_wrong_with_its_inputs() -> None:
    with pytest.raises(ValueError, match=r"ansible_facts\.distribution is missing"):
        F.tickpath_platform_check({"os_family": "Debian"}, TESTED, False)
    with pytest.raises(ValueError, match="expected ansible_facts"):
        F.tickpath_platform_check("Debian", TESTED, False)
    with pytest.raises(ValueError, match=r"tested platforms\[0\]: expected \{distribution, major_version\}"):
        F.tickpath_platform_check(DEBIAN12, [{"distribution": "Debian"}], False)
    with pytest.raises(ValueError, match="tested platforms: empty list"):
        F.tickpath_platform_check(DEBIAN12, [], False)
    with pytest.raises(ValueError, match="tickpath_allow_untested_os: expected a boolean"):
        F.tickpath_platform_check(DEBIAN12, TESTED, "yes")


# --- the vars/ file order (filter) -------------------------------------------------------------

@pytest.mark.parametrize(
    ("host", "files"),
    [
        (DEBIAN12, ["Debian_12.7.yml", "Debian_12.yml", "Debian.yml", "default.yml"]),
        (UBUNTU2404, ["Ubuntu_24.04.yml", "Ubuntu_24.yml", "Ubuntu.yml", "Debian.yml", "default.yml"]),
        (ROCKY9, ["Rocky_9.3.yml", "Rocky_9.yml", "Rocky.yml", "RedHat.yml", "default.yml"]),
        ({**DEBIAN12, "distribution_version": "", "distribution_major_version": None},
         ["Debian.yml", "default.yml"]),
        ({**DEBIAN13, "distribution_version": "trixie/sid", "distribution_major_version": "trixie/sid"},
         ["Debian.yml", "default.yml"]),
    ],
    ids=["debian12", "ubuntu", "rocky", "no-version", "slash-version"],
)
def test_platform_files_most_specific_first(host: dict[str, Any], files: list[str]) -> None:
    assert F.tickpath_platform_files(host) == files


def test_platform_files_needs_the_family() -> None:
    with pytest.raises(ValueError, match=r"ansible_facts\.os_family is missing"):
        F.tickpath_platform_files({"distribution": "Debian"})


# --- the repository says the same everywhere ---------------------------------------------------

def test_every_role_claims_exactly_the_tested_platforms() -> None:
    want = [{"name": p["distribution"], "versions": [DEBIAN_CODENAMES[p["major_version"]]]}
            for p in TESTED]
    for meta in sorted(ROLES.glob("*/meta/main.yml")):
        platforms = yaml.safe_load(meta.read_text(encoding="utf-8"))["galaxy_info"]["platforms"]
        assert platforms == want, meta


def test_readme_states_the_tested_platforms() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Supported platforms", 1)[1].split("\n## ", 1)[0]
    for p in TESTED:
        assert f"{p['distribution']} {p['major_version']}" in section
    assert "tickpath_allow_untested_os" in section


@pytest.mark.parametrize("role", PLATFORM_ROLES)
def test_role_platform_files_are_complete(role: str) -> None:
    vars_dir = ROLES / role / "vars"
    files = {p.name: yaml.safe_load(p.read_text(encoding="utf-8"))
             for p in vars_dir.glob("*.yml") if p.name != "main.yml"}
    assert {"Debian.yml", "default.yml"} <= set(files), role
    keys = {name: set(body) for name, body in files.items()}
    # first_found loads one file: each must define the same variables
    assert len({frozenset(k) for k in keys.values()}) == 1, keys
    assert all(k.startswith(f"{role}__") for k in keys["Debian.yml"]), keys
    assert (ROLES / role / "tasks/set_vars.yml").is_file()
    assert (ROLES / role / "filter_plugins/tickpath_platform.py").resolve() == \
        (ROLES / "preflight/filter_plugins/tickpath_platform.py")


def _role_tasks() -> list[tuple[Path, dict[str, Any]]]:
    out: list[tuple[Path, dict[str, Any]]] = []
    for path in sorted(ROLES.glob("*/tasks/*.yml")):
        if path.parts[-3] == "lab":  # the controller-side lab role is Debian-only by design
            continue
        stack = list(yaml.safe_load(path.read_text(encoding="utf-8")) or [])
        while stack:
            task = stack.pop()
            for key in ("block", "rescue", "always"):
                stack.extend(task.get(key, []))
            out.append((path, task))
    return out


def test_no_role_task_assumes_a_distribution() -> None:
    """apt only behind `pkg_mgr == 'apt'` (the cache refresh, tuned without recommends), no dnf,
    no os_family or distribution test in a task: those live in vars/<platform>.yml."""
    for path, task in _role_tasks():
        where = f"{path.relative_to(REPO)}: {task.get('name')}"
        assert "ansible.builtin.dnf" not in task and "ansible.builtin.yum" not in task, where
        if "ansible.builtin.apt" in task:
            assert "ansible_facts.pkg_mgr == 'apt'" in str(task.get("when")), where
        # naming the OS in a message is fine; branching on it is not
        assert not re.search(r"ansible_facts\.(os_family|distribution\w*)\s*(==|!=|in\b|not in\b)"
                             r"|\bansible_(os_family|distribution\w*)\b", yaml.safe_dump(task)), where


# --- the wiring, in ansible-playbook (connection local, fake facts) ----------------------------

HOSTS = {"debian12": DEBIAN12, "debian13": DEBIAN13, "ubuntu2404": UBUNTU2404, "rocky9": ROCKY9,
         "alpine": ALPINE}


@pytest.mark.slow
def test_roles_load_the_most_specific_vars_file(tmp_path: Path) -> None:
    inv = playbook.local_inventory(tmp_path / "inventory.json",
                                   {h: {"tp_fake": f} for h, f in HOSTS.items()})
    play = tmp_path / "vars.yml"
    play.write_text(yaml.safe_dump([{
        "hosts": "all", "gather_facts": False,
        "vars": {"ansible_facts": "{{ tp_fake }}", "tp_roles": PLATFORM_ROLES},
        "tasks": [
            {"ansible.builtin.include_role": {"name": "{{ item }}", "tasks_from": "set_vars"},
             "loop": "{{ tp_roles }}"},
            {"name": "Report", "ansible.builtin.debug": {"msg": (
                "{{ dict(tp_roles | zip(tp_roles | map('regex_replace', '$', '__platform_vars')"
                " | map('extract', vars) | map(attribute='ansible_included_var_files')"
                " | map('first') | map('basename'))) }}")}},
        ],
    }]), encoding="utf-8")
    proc = playbook.run(["-i", str(inv), str(play)], json_output=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    chosen = {h: r["msg"] for h, r in playbook.results(proc.stdout)["Report"].items()}
    # the files that exist today: Debian.yml for the Debian family, RedHat.yml where a role has
    # one, default.yml otherwise
    for role in PLATFORM_ROLES:
        redhat = "RedHat.yml" if (ROLES / role / "vars/RedHat.yml").exists() else "default.yml"
        assert chosen["debian12"][role] == "Debian.yml"
        assert chosen["debian13"][role] == "Debian.yml"
        assert chosen["ubuntu2404"][role] == "Debian.yml"
        assert chosen["rocky9"][role] == redhat
        assert chosen["alpine"][role] == "default.yml"


@pytest.mark.slow
def test_roles_prefer_a_more_specific_file(tmp_path: Path) -> None:
    # a copy of roles/ptp with a Debian_12.yml: Debian 12 hosts take it, Debian 13 does not
    roles = tmp_path / "roles"
    (roles / "ptp").mkdir(parents=True)
    for sub in ("tasks", "defaults", "meta", "filter_plugins"):
        src = ROLES / "ptp" / sub
        dst = roles / "ptp" / sub
        dst.mkdir()
        for f in src.iterdir():
            (dst / f.name).write_bytes(f.read_bytes())
    (roles / "ptp/vars").mkdir()
    for f in (ROLES / "ptp/vars").iterdir():
        (roles / "ptp/vars" / f.name).write_bytes(f.read_bytes())
    (roles / "ptp/vars/Debian_12.yml").write_text("---\nptp__packages: [debian-12-only]\n", encoding="utf-8")
    inv = playbook.local_inventory(tmp_path / "inventory.json",
                                   {"debian12": {"tp_fake": DEBIAN12}, "debian13": {"tp_fake": DEBIAN13}})
    play = tmp_path / "specific.yml"
    play.write_text(yaml.safe_dump([{
        "hosts": "all", "gather_facts": False, "vars": {"ansible_facts": "{{ tp_fake }}"},
        "tasks": [{"ansible.builtin.include_role": {"name": str(roles / "ptp"), "tasks_from": "set_vars"}},
                  {"name": "Report", "ansible.builtin.debug": {"msg": "{{ ptp__packages }}"}}],
    }]), encoding="utf-8")
    proc = playbook.run(["-i", str(inv), str(play)], json_output=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    got = {h: r["msg"] for h, r in playbook.results(proc.stdout)["Report"].items()}
    assert got == {"debian12": ["debian-12-only"], "debian13": ["linuxptp", "ethtool", "python3"]}


@pytest.mark.slow
def test_preflight_gate_in_ansible(tmp_path: Path) -> None:
    hosts = {
        "debian12": {"tp_fake": DEBIAN12},
        "rocky9": {"tp_fake": ROCKY9},
        "rocky9_allowed": {"tp_fake": ROCKY9, "tickpath_allow_untested_os": True},
        "debian13": {"tp_fake": DEBIAN13},
    }
    inv = playbook.local_inventory(tmp_path / "inventory.json", hosts)
    play = tmp_path / "gate.yml"
    play.write_text(yaml.safe_dump([{
        "hosts": "all", "gather_facts": False, "vars": {"ansible_facts": "{{ tp_fake }}"},
        "tasks": [{"ansible.builtin.include_role": {"name": "preflight", "tasks_from": "platform"}}],
    }]), encoding="utf-8")
    proc = playbook.run(["-i", str(inv), str(play)], json_output=True)
    assert proc.returncode == 2, proc.stderr[-3000:]
    failed = playbook.failures(proc.stdout)
    assert set(failed) == {"rocky9", "debian13"}
    assert failed["rocky9"] == (
        "preflight : Refuse an operating system tickpath is not tested on",
        "Rocky 9.3 is not a platform tickpath is tested on (tested: Debian 12); "
        "set tickpath_allow_untested_os: true to try anyway",
    )
    assert failed["debian13"][1].startswith("Debian 13.1 is not a platform tickpath is tested on")
    warned = playbook.results(proc.stdout)["preflight : Warn that this host runs an untested platform"]
    assert warned["rocky9_allowed"]["msg"].startswith("WARNING Rocky 9.3 is not a platform")
    assert warned["rocky9_allowed"]["msg"].endswith("(Python 3.9)")
    assert warned["debian12"].get("skipped") is True


# --- tickpath_deploy: one Python for the wheels ------------------------------------------------

def _deploy(tmp_path: Path, hosts: dict[str, dict[str, Any]], *,
            manifests: dict[str, dict[str, Any]] | None = None
            ) -> tuple[int, dict[str, tuple[str, str]], str]:
    """validate.yml (and, with manifests, version.yml against fake cached artifacts, one per
    version) of tickpath_deploy for exchange-style hosts (component sim), paths under tmp_path."""
    art = tmp_path / "artifacts"
    art.mkdir(exist_ok=True)
    for version, manifest in (manifests or {}).items():
        (art / f"tickpath-{version}-x86_64.manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        (art / f"tickpath-{version}-x86_64.tar.gz").write_bytes(b"")
    common = {"tickpath_deploy_components": ["sim"], "tickpath_deploy_version": "test-1",
              "tickpath_deploy_root": str(tmp_path / "opt"), "tickpath_deploy_artifact_dir": str(art)}
    inv = playbook.local_inventory(tmp_path / "inventory.json",
                                   {h: {**common, **v} for h, v in hosts.items()})
    tasks: list[dict[str, Any]] = [
        {"ansible.builtin.include_role": {"name": "tickpath_deploy", "tasks_from": "set_vars"}},
        {"ansible.builtin.include_role": {"name": "tickpath_deploy", "tasks_from": "validate"}},
    ]
    if manifests:
        tasks.append({"ansible.builtin.include_role": {"name": "tickpath_deploy", "tasks_from": "version"}})
    play = tmp_path / "deploy.yml"
    play.write_text(yaml.safe_dump([{
        "hosts": "all", "gather_facts": False,
        "vars": {"ansible_facts": "{{ tp_fake | combine({'architecture': 'x86_64'}) }}"},
        "tasks": tasks,
    }]), encoding="utf-8")
    proc = playbook.run(["-i", str(inv), str(play)], json_output=True)
    return proc.returncode, playbook.failures(proc.stdout) if proc.stdout else {}, proc.stderr


@pytest.mark.slow
def test_deploy_refuses_hosts_with_different_pythons(tmp_path: Path) -> None:
    rc, failed, err = _deploy(tmp_path, {"a": {"tp_fake": DEBIAN12}, "b": {"tp_fake": DEBIAN13},
                                         "c": {"tp_fake": DEBIAN12}})
    assert rc == 2, err[-2000:]
    task, msg = next(iter(failed.values()))
    assert task == "tickpath_deploy : Check the play's hosts agree on one Python (the wheels are for one)"
    assert "run several (ansible_facts.python): 3.11 on a, c; 3.13 on b." in msg
    assert msg.endswith("Nothing was changed.")


@pytest.mark.slow
def test_deploy_refuses_a_host_other_than_the_set_python(tmp_path: Path) -> None:
    pin = {"tickpath_deploy_host_python_version": "3.11"}
    rc, failed, err = _deploy(tmp_path, {"a": {"tp_fake": DEBIAN12, **pin},
                                         "b": {"tp_fake": UBUNTU2404, **pin}})
    assert rc == 2, err[-2000:]
    assert set(failed) == {"b"}
    assert failed["b"][1].startswith(
        "tickpath_deploy: b runs Python 3.12 (/usr/bin/python3.12, ansible_facts.python) but the "
        "artifact's wheels are for Python 3.11")


@pytest.mark.slow
def test_deploy_accepts_one_python(tmp_path: Path) -> None:
    rc, failed, err = _deploy(tmp_path, {"a": {"tp_fake": DEBIAN12}, "b": {"tp_fake": DEBIAN12}})
    assert rc == 0 and not failed, (failed, err[-2000:])


@pytest.mark.slow
def test_deploy_checks_the_cached_artifact_before_any_change(tmp_path: Path) -> None:
    """One run, one host per case, each with its own version (so its own fake artifact) and its
    Python pinned (the hosts' Pythons differ on purpose)."""
    rocky = {**ROCKY9, "python": DEBIAN12["python"]}
    hosts = {
        "abi_mismatch": {"tp_fake": DEBIAN13, "tickpath_deploy_version": "t-abi",
                         "tickpath_deploy_host_python_version": "3.13"},
        "abi_ok": {"tp_fake": DEBIAN12, "tickpath_deploy_version": "t-ok",
                   "tickpath_deploy_host_python_version": "3.11"},
        "debian_names": {"tp_fake": rocky, "tickpath_deploy_version": "t-deb",
                         "tickpath_deploy_host_python_version": "3.11"},
        "debian_names_mapped": {"tp_fake": rocky, "tickpath_deploy_version": "t-deb",
                                "tickpath_deploy_host_python_version": "3.11",
                                "tickpath_deploy_runtime_packages": ["libxdp"]},
    }
    manifests = {
        "t-abi": {"python_abi": "cp311", "runtime_packages": []},
        "t-ok": {"python_abi": "cp311", "runtime_packages": ["libxdp1"]},
        "t-deb": {"python_abi": "cp311", "runtime_packages": ["libxdp1", "libbpf1"]},
    }
    rc, failed, err = _deploy(tmp_path, hosts, manifests=manifests)
    assert rc == 2, err[-2000:]
    assert set(failed) == {"abi_mismatch", "debian_names"}, failed
    task, msg = failed["abi_mismatch"]
    assert task == "tickpath_deploy : Check the artifact's wheels are for this host's Python"
    assert ("was built with wheels for cp311 (its python_abi), and abi_mismatch runs Python 3.13 "
            "(cp313)") in msg
    task, msg = failed["debian_names"]
    assert task == "tickpath_deploy : Check the artifact's runtime packages can be installed on this platform"
    assert "Debian names (libxdp1, libbpf1), which do not apply to Rocky 9.3" in msg
    assert not (tmp_path / "opt").exists()
