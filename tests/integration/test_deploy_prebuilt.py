"""The deploy role from a prebuilt artifact, as AWX/AAP runs it: no sources and no compiler on the
controller (tickpath_deploy_source_dir points nowhere), the artifact the lab runs taken from a
path with its sha256, and the converged trading host left as it is (mark lab; needs `make lab`)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from support import playbook

TOP = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.lab, pytest.mark.slow]
ROLE = "tickpath_deploy : "
CONTROLLER_CACHE = {ROLE + "Create the artifact cache on the controller",
                    ROLE + "Take the artifact into the cache under its manifest's name"}


def _running_version() -> str:
    res = subprocess.run(["podman", "exec", "tp-lab-trader1", "readlink", "/opt/tickpath/current"],
                         capture_output=True, text=True, timeout=30, check=False)
    if res.returncode != 0:
        pytest.skip("tp-lab-trader1 has no deployed tickpath (make lab)")
    return res.stdout.strip()


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed")
    version = _running_version()
    built = TOP / ".cache/artifacts" / f"tickpath-{version}-x86_64.tar.gz"
    if not built.exists():
        pytest.skip(f"{built} is not there (make lab builds it)")
    d = tmp_path_factory.mktemp("release")
    copy = d / "release.tar.gz"
    shutil.copyfile(built, copy)
    return copy, hashlib.sha256(copy.read_bytes()).hexdigest(), version


def _deploy(tmp: Path, url: Path, sha: str) -> subprocess.CompletedProcess[str]:
    return playbook.run(["-i", str(TOP / "inventories/lab"), "-l", "trader1", str(TOP / "playbooks/deploy.yml"),
                         "-e", f"tickpath_deploy_artifact_url={url}", "-e", f"tickpath_deploy_artifact_sha256={sha}",
                         "-e", f"tickpath_deploy_source_dir={tmp / 'no-sources-here'}",
                         "-e", f"tickpath_deploy_artifact_dir={tmp / 'cache'}"],
                        json_output=True, timeout=900)


def test_a_prebuilt_artifact_deploys_without_sources(tmp_path: Path, release: tuple[Path, str, str]) -> None:
    url, sha, version = release
    proc = _deploy(tmp_path, url, sha)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    res = playbook.results(proc.stdout)
    changed = {t for t, h in res.items() if h.get("trader1", {}).get("changed")}
    # the same content as the running version: only the controller's cache took the artifact;
    # nothing to do on the host, nothing built
    assert changed == CONTROLLER_CACHE, changed
    assert res[ROLE + "Build the artifact once on the controller"]["trader1"].get("skipped")
    assert (tmp_path / f"cache/tickpath-{version}-x86_64.tar.gz").exists()


def test_a_tampered_artifact_changes_nothing(tmp_path: Path, release: tuple[Path, str, str]) -> None:
    url, sha, version = release
    bad = tmp_path / "tampered.tar.gz"
    data = bytearray(url.read_bytes())
    data[-100] ^= 0xFF
    bad.write_bytes(bytes(data))
    proc = _deploy(tmp_path, bad, sha)
    assert proc.returncode != 0
    name, msg = playbook.failures(proc.stdout)["trader1"]
    assert name == ROLE + "Take the artifact into the cache under its manifest's name"
    assert "not the expected" in msg or "not the expected" in proc.stdout
    res = playbook.results(proc.stdout)
    assert {t for t, h in res.items() if h.get("trader1", {}).get("changed")} <= CONTROLLER_CACHE
    assert _running_version() == version
