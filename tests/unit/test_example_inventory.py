"""inventories/example keeps its credentials in ansible-vault: the documented layout works (the
variable resolves with the vault password), nothing secret is in plain text, and without the
vault password a run stops with a clear error instead of using or showing anything."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import yaml
from support.playbook import REPO, ansible_playbook

EXAMPLE = REPO / "inventories/example"
VAULT = EXAMPLE / "group_vars/trading/vault.yml"
# the example vault's password, documented in group_vars/trading/main.yml (an example, not a secret)
EXAMPLE_VAULT_PASSWORD = "example"
SECRET_KEY = re.compile(r"(password|secret|token|passphrase)", re.I)


def _ansible(args: list[str], tmp_path: Path, vault: bool) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               PYTHONWARNINGS="ignore")
    extra: list[str] = []
    if vault:
        pw = tmp_path / "vault-pass"
        pw.write_text(EXAMPLE_VAULT_PASSWORD + "\n")
        pw.chmod(0o600)
        extra = ["--vault-password-file", str(pw)]
    ansible = str(Path(ansible_playbook()).with_name("ansible"))
    return subprocess.run([ansible, "-i", str(EXAMPLE), "ny4-trd-01", "-c", "local", "-m",
                           "ansible.builtin.debug", "-a", "var=tickpath_deploy_ouch_password",
                           *extra], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, check=False, stdin=subprocess.DEVNULL)


def test_the_vault_file_is_encrypted() -> None:
    assert VAULT.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256\n")


def test_no_secret_is_in_plain_text_in_the_example() -> None:
    for path in EXAMPLE.rglob("*.yml"):
        if path == VAULT:
            continue
        data = yaml.safe_load(path.read_text()) or {}
        for key, value in _flatten(data):
            if SECRET_KEY.search(key):
                assert isinstance(value, str) and re.fullmatch(r"\{\{ vault_\w+ \}\}", value), \
                    f"{path.relative_to(REPO)}: {key} must come from the vault"


def test_the_password_resolves_from_the_vault(tmp_path: Path) -> None:
    proc = _ansible([], tmp_path, vault=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    value = re.search(r'"tickpath_deploy_ouch_password": "([^"]*)"', proc.stdout)
    assert value and 1 <= len(value.group(1)) <= 10


def test_without_the_vault_password_a_run_stops(tmp_path: Path) -> None:
    proc = _ansible([], tmp_path, vault=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "vault" in out.lower()


def _flatten(data: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(data, dict):
        return [kv for k, v in data.items() for kv in _flatten(v, f"{prefix}{k}.")]
    return [(prefix.rstrip("."), data)]
