"""A prebuilt artifact (tickpath_deploy_artifact_url + _sha256): `tickpath-artifact.sh import`
checks the sha256 before reading anything, names the artifact by its manifest and refuses what is
not a tickpath artifact; the role's prebuilt.yml takes it on the controller and notes its version,
and refuses a bad checksum or a version other than the one asked for, on the controller only.

The artifacts here are small tarballs of the real layout (top directory tickpath-VERSION-ARCH/
with manifest.json); tests/integration/test_deploy_prebuilt.py deploys a real one to the lab.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml
from support import playbook

SCRIPT = playbook.REPO / "roles/tickpath_deploy/files/tickpath-artifact.sh"


def _artifact(path: Path, version: str = "1.2.3-gabc", arch: str = "x86_64",
              top: str | None = None, manifest: dict[str, object] | None = None) -> str:
    top = top or f"tickpath-{version}-{arch}"
    body = json.dumps(manifest if manifest is not None else
                      {"name": "tickpath", "version": version, "arch": arch, "programs": ["tickpath-fh"],
                       "files": {}}).encode()
    with tarfile.open(path, "w:gz") as tar:
        for name, data in ((f"{top}/manifest.json", body), (f"{top}/bin/tickpath-fh", b"\x7fELF")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _import(file: Path, sha: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), "import", str(file), sha, str(out)],
                          capture_output=True, text=True, timeout=60, check=False,
                          env={"PATH": "/usr/bin:/bin", "TICKPATH_ARTIFACT_PYTHON": sys.executable})


def test_import_places_it_under_its_manifest_name(tmp_path: Path) -> None:
    sha = _artifact(tmp_path / "release.tar.gz")
    proc = _import(tmp_path / "release.tar.gz", sha, tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "imported 1.2.3-gabc"
    placed = tmp_path / "cache/tickpath-1.2.3-gabc-x86_64.tar.gz"
    assert placed.read_bytes() == (tmp_path / "release.tar.gz").read_bytes()
    assert json.loads((tmp_path / "cache/tickpath-1.2.3-gabc-x86_64.manifest.json").read_text())["version"] \
        == "1.2.3-gabc"
    again = _import(tmp_path / "release.tar.gz", sha, tmp_path / "cache")
    assert again.returncode == 0 and again.stdout.strip() == "exists 1.2.3-gabc"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")) == [
        "tickpath-1.2.3-gabc-x86_64.manifest.json", "tickpath-1.2.3-gabc-x86_64.tar.gz"]
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".import")]


def test_a_wrong_checksum_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    _artifact(tmp_path / "release.tar.gz")
    proc = _import(tmp_path / "release.tar.gz", "0" * 64, tmp_path / "cache")
    assert proc.returncode == 2
    assert "not the expected" in proc.stderr and "not used" in proc.stderr
    assert not (tmp_path / "cache").exists()


def test_what_is_not_a_tickpath_artifact_is_refused(tmp_path: Path) -> None:
    cases = {
        "junk": None,
        "other top": {"top": "something-else"},
        "name mismatch": {"top": "tickpath-9.9.9-x86_64"},
        "foreign manifest": {"manifest": {"name": "other", "version": "1", "arch": "x86_64"}},
    }
    for label, kw in cases.items():
        path = tmp_path / f"{label.replace(' ', '_')}.tar.gz"
        if kw is None:
            path.write_bytes(b"not a tarball")
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            sha = _artifact(path, **kw)  # type: ignore[arg-type]
        proc = _import(path, sha, tmp_path / "cache")
        assert proc.returncode == 2, (label, proc.stdout)
        assert proc.stderr.startswith("tickpath-artifact: "), (label, proc.stderr)
        assert not list((tmp_path / "cache").glob("*.tar.gz")) if (tmp_path / "cache").exists() else True


def _role_run(tmp_path: Path, **extra: str) -> tuple[int, dict[str, dict[str, dict[str, object]]], str]:
    play = [{"hosts": "all", "gather_facts": False, "tasks": [
        {"ansible.builtin.include_role": {"name": "tickpath_deploy", "tasks_from": "prebuilt"}},
        {"name": "Show the version", "ansible.builtin.debug": {"var": "tickpath_deploy__prebuilt_version"}},
    ]}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    inv = playbook.local_inventory(tmp_path / "inv.json", {"h1": {}})
    args = ["-i", str(inv), str(tmp_path / "play.yml"),
            "-e", f"tickpath_deploy_artifact_dir={tmp_path / 'cache'}"]
    for k, v in extra.items():
        args += ["-e", f"{k}={v}"]
    proc = playbook.run(args, json_output=True)
    return proc.returncode, playbook.results(proc.stdout), proc.stdout


def test_the_role_takes_a_prebuilt_artifact_and_notes_its_version(tmp_path: Path) -> None:
    sha = _artifact(tmp_path / "release.tar.gz")
    rc, res, out = _role_run(tmp_path, tickpath_deploy_artifact_url=str(tmp_path / "release.tar.gz"),
                             tickpath_deploy_artifact_sha256=sha)
    assert rc == 0, out[-3000:]
    assert res["Show the version"]["h1"]["tickpath_deploy__prebuilt_version"] == "1.2.3-gabc"
    assert (tmp_path / "cache/tickpath-1.2.3-gabc-x86_64.tar.gz").exists()


def test_the_role_refuses_a_bad_checksum_or_another_version(tmp_path: Path) -> None:
    sha = _artifact(tmp_path / "release.tar.gz")
    url = str(tmp_path / "release.tar.gz")
    rc, _, out = _role_run(tmp_path, tickpath_deploy_artifact_url=url,
                           tickpath_deploy_artifact_sha256="f" * 64)
    assert rc != 0 and "not the expected" in out
    assert not list((tmp_path / "cache").glob("*.tar.gz"))
    rc, _, out = _role_run(tmp_path, tickpath_deploy_artifact_url=url, tickpath_deploy_artifact_sha256=sha,
                           tickpath_deploy_version="2.0.0")
    assert rc != 0 and "not the tickpath_deploy_version 2.0.0" in out
    rc, _, out = _role_run(tmp_path, tickpath_deploy_artifact_url="relative/x.tar.gz",
                           tickpath_deploy_artifact_sha256=sha)
    assert rc != 0 and "bad input" in out
