"""tickpath_deploy after converge: mol-v2 live over mol-v1 (both kept), units, config, account."""

from __future__ import annotations

import json
from typing import Any

import pytest

V1, V2 = "1.0.0-mol1", "1.0.0-mol2"
ROOT = "/opt/tickpath"


def is_trading(host: Any) -> bool:
    return host.file("/etc/systemd/system/tickpath-fh.service").exists


def test_service_account(host: Any) -> None:
    user = host.user("tickpath")
    assert user.exists
    assert user.uid < 1000 and user.group == "tickpath"
    assert user.shell == "/usr/sbin/nologin"
    assert user.home == "/var/lib/tickpath"
    assert host.file("/var/lib/tickpath").user == "tickpath"


def test_current_points_to_v2_and_v1_is_kept(host: Any) -> None:
    current = host.file(f"{ROOT}/current")
    assert current.is_symlink and current.linked_to == f"{ROOT}/{V2}"
    assert host.file(f"{ROOT}/{V1}/.tickpath-installed").exists
    manifest = json.loads(host.file(f"{ROOT}/current/manifest.json").content_string)
    assert manifest["version"] == V2
    assert set(manifest["files"]) >= {p for p in manifest["files"] if p.startswith("wheels/")}
    assert any(p.startswith("wheels/tickpath-") for p in manifest["files"])


def test_unpacked_files_match_manifest(host: Any) -> None:
    out = host.run(f"cd {ROOT}/current && sha256sum --check --strict --quiet SHA256SUMS")
    assert out.rc == 0, out.stderr


def test_no_artifact_left_and_no_compiler_needed(host: Any) -> None:
    assert host.run("ls /var/cache/tickpath/*.tar.gz").rc != 0
    assert not host.exists("cc") and not host.exists("gcc")


def test_venv_imports_tickpath_and_runs_as_service_user(host: Any) -> None:
    py = f"{ROOT}/current/venv/bin/python"
    assert host.run(f"{py} -c 'import tickpath.supervisor, tickpath.config'").rc == 0
    out = host.run(f"runuser -u tickpath -- {ROOT}/current/venv/bin/tickpath --version")
    assert out.rc == 0 and out.stdout.startswith("tickpath ")


def test_config_is_valid_and_private(host: Any) -> None:
    cfg = host.file("/etc/tickpath/tickpath.yaml")
    assert cfg.user == "root" and cfg.group == "tickpath" and cfg.mode == 0o640
    if is_trading(host):
        out = host.run(
            f"{ROOT}/current/venv/bin/tickpath config check /etc/tickpath/tickpath.yaml --isolated 1"
        )
        assert out.rc == 0, out.stderr
        assert 'kind: "afxdp"' in cfg.content_string
        assert "run_to_completion" in cfg.content_string
    else:
        out = host.run(
            f"{ROOT}/current/venv/bin/tickpath run sim --check --config /etc/tickpath/tickpath.yaml"
            " --run-dir /tmp/check"
        )
        assert out.rc == 0, out.stderr


@pytest.mark.parametrize("component", ["fh", "strategy", "sim"])
def test_units(host: Any, component: str) -> None:
    unit = host.file(f"/etc/systemd/system/tickpath-{component}.service")
    if not unit.exists:
        trading = is_trading(host)
        assert (component == "sim") == trading, f"tickpath-{component}.service missing"
        pytest.skip(f"tickpath-{component} is not a component of this host")
    text = unit.content_string
    assert (
        f"ExecStart={ROOT}/current/venv/bin/tickpath run {component} --config /etc/tickpath/tickpath.yaml"
        in text
    )
    assert "User=tickpath" in text and "NoNewPrivileges=yes" in text
    assert "LimitMEMLOCK=infinity" in text and "ProtectSystem=strict" in text
    assert "KillMode=mixed" in text
    caps = {
        "fh": "CAP_NET_RAW CAP_NET_ADMIN CAP_BPF CAP_PERFMON CAP_IPC_LOCK CAP_SYS_NICE",
        "strategy": "CAP_IPC_LOCK CAP_SYS_NICE",
        "sim": "CAP_IPC_LOCK CAP_SYS_NICE",
    }[component]
    assert f"AmbientCapabilities={caps}\n" in text
    assert f"CapabilityBoundingSet={caps}\n" in text
    if component == "sim":
        assert "CPUAffinity=" not in text
    else:
        assert "CPUAffinity=1\n" in text
    # the BPF-loading feed handler (afxdp) may not have MemoryDenyWriteExecute; the others do
    assert ("MemoryDenyWriteExecute=yes" in text) == (component != "fh")
    assert ("AF_XDP" in text) == (component == "fh")
    assert host.service(f"tickpath-{component}").is_enabled
    verify = host.run(f"systemd-analyze verify /etc/systemd/system/tickpath-{component}.service")
    assert "tickpath-" not in verify.stderr or verify.rc == 0, verify.stderr


def test_units_enabled_but_not_started(host: Any) -> None:
    # tickpath_deploy_start_services: false in this scenario (molecule.yml)
    for component in ["fh", "strategy"] if is_trading(host) else ["sim"]:
        state = host.run(f"systemctl is-active tickpath-{component}").stdout.strip()
        assert state == "inactive", f"tickpath-{component}: {state}"
        assert host.service(f"tickpath-{component}").is_enabled
