"""tickpath_deploy: the OUCH password reaches only the unit that logs in, as a systemd credential.

Static: the secret files are root-only, only tickpath-strategy (trading) and tickpath-sim
(exchange) load a credential, no unit file, environment file or config holds the password.
Live: the units are started for a few seconds (this scenario deploys them stopped) and every
process on the host is checked: the password is in no /proc/PID/environ, only the processes of
the loading unit have $CREDENTIALS_DIRECTORY, and the C program got its password (the simulator
loaded its user; the strategy runs past its config). The feed handler's segment is 0640 (readable
by the service user's tools, not by others) and the stats files written at stop are 0640.
The units are stopped again at the end (side_effect expects them inactive).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

SCENARIO = Path(__file__).resolve().parents[1]
CREDENTIALS = "/etc/tickpath/credentials"
TICKPATH = "/opt/tickpath/current/venv/bin/tickpath"


def password() -> str:
    data = yaml.safe_load((SCENARIO / "molecule.yml").read_text())
    value = data["provisioner"]["inventory"]["group_vars"]["all"]["tickpath_deploy_ouch_password"]
    assert isinstance(value, str) and len(value) >= 6
    return value


def is_trading(host: Any) -> bool:
    return bool(host.file("/etc/systemd/system/tickpath-fh.service").exists)


def units(host: Any) -> list[str]:
    return ["fh", "strategy"] if is_trading(host) else ["sim"]


def loading_unit(host: Any) -> str:
    """The one unit of this host whose process logs in (or, on the exchange, checks logins)."""
    return "strategy" if is_trading(host) else "sim"


def processes(host: Any) -> list[tuple[int, str, str]]:
    """(pid, systemd unit, executable) of every process of a tickpath unit on the host."""
    out = host.run(
        "for p in /proc/[0-9]*; do "
        "u=$(grep -o 'tickpath-[a-z]*\\.service' $p/cgroup 2>/dev/null | head -n1); "
        '[ -n "$u" ] && echo "${p#/proc/} $u $(readlink $p/exe)"; done; true'
    ).stdout
    rows = []
    for line in out.splitlines():
        pid, unit, *exe = line.split()
        rows.append((int(pid), unit.removesuffix(".service").removeprefix("tickpath-"),
                     exe[0] if exe else ""))
    return rows


def environ(host: Any, pid: int) -> str:
    return str(host.run(f"tr '\\0' '\\n' < /proc/{pid}/environ").stdout)


def c_program(host: Any, component: str) -> int | None:
    """Pid of the component's C program (the supervisor's child), if it runs."""
    for pid, unit, exe in processes(host):
        if unit == component and exe.endswith(f"/tickpath-{component}"):
            return pid
    return None


def journal(host: Any, component: str) -> str:
    return str(host.run(f"journalctl -u tickpath-{component} --no-pager -n 60").stdout)


@pytest.fixture(scope="module")
def running(host: Any) -> Iterator[None]:
    """The host's units, started; each C program has run for a few seconds without restarting."""
    for component in units(host):
        host.run(f"systemctl reset-failed tickpath-{component}")
        start = host.run(f"systemctl start tickpath-{component}")
        assert start.rc == 0, start.stderr + journal(host, component)
    try:
        for component in units(host):
            deadline, seen = time.monotonic() + 60, None
            while time.monotonic() < deadline:
                pid = c_program(host, component)
                if pid is not None and pid == seen:
                    break
                seen = pid
                time.sleep(3)
            else:
                pytest.fail(f"tickpath-{component} does not keep running:\n"
                            + journal(host, component))
        yield
    finally:
        for component in reversed(units(host)):
            host.run(f"systemctl stop tickpath-{component}")


def test_secret_files_are_root_only(host: Any) -> None:
    directory = host.file(CREDENTIALS)
    assert directory.is_directory
    assert (directory.user, directory.group, directory.mode) == ("root", "root", 0o700)
    name = "ouch-password" if is_trading(host) else "ouch-credentials"
    secret = host.file(f"{CREDENTIALS}/{name}")
    assert (secret.user, secret.group, secret.mode) == ("root", "root", 0o600)
    expected = password() if is_trading(host) else f"TPLAB {password()}"
    assert secret.content_string.strip() == expected
    # the earlier location, readable by the service user, is gone
    assert not host.file("/etc/tickpath/ouch-credentials").exists


def test_password_is_in_no_unit_environment_or_config_file(host: Any) -> None:
    files = host.run(
        "ls /etc/systemd/system/tickpath-*.service /etc/tickpath/tickpath.env "
        "/etc/tickpath/tickpath.yaml"
    ).stdout.split()
    assert len(files) >= 3
    for path in files:
        assert password() not in host.file(path).content_string, path
    env = host.file("/etc/tickpath/tickpath.env")
    assert (env.user, env.group, env.mode) == ("root", "tickpath", 0o640)
    assert "TICKPATH_MOLECULE=1" in env.content_string
    assert "PASSWORD" not in env.content_string


def test_only_the_unit_that_logs_in_loads_the_credential(host: Any) -> None:
    for component in ["fh", "strategy", "sim"]:
        unit = host.file(f"/etc/systemd/system/tickpath-{component}.service")
        if not unit.exists:
            continue
        text = unit.content_string
        loads = re.findall(r"^LoadCredential=(.*)$", text, re.M)
        if component == "strategy":
            assert loads == [f"ouch-password:{CREDENTIALS}/ouch-password"]
        elif component == "sim":
            assert loads == [f"ouch-credentials:{CREDENTIALS}/ouch-credentials"]
        else:
            assert loads == [] and CREDENTIALS not in text, text
        # container host: the credentials mount must reach the unit (shared /run/credentials)
        assert ("Requires=tickpath-credentials-mount.service" in text) == bool(loads)
        verify = host.run(f"systemd-analyze verify /etc/systemd/system/tickpath-{component}.service")
        assert "tickpath-" not in verify.stderr or verify.rc == 0, verify.stderr
    if is_trading(host):
        cfg = yaml.safe_load(host.file("/etc/tickpath/tickpath.yaml").content_string)
        assert cfg["gateway"]["password"] == {"credential": "ouch-password"}


def test_password_in_no_process_environment(host: Any, running: None) -> None:
    procs = processes(host)
    assert {unit for _, unit, _ in procs} == set(units(host)), procs
    for pid, unit, _ in procs:
        env = environ(host, pid)
        assert password() not in env, f"pid {pid} ({unit})"
        assert "OUCH_PASSWORD" not in env, f"pid {pid} ({unit})"
        # the credentials directory (a path, not the secret) only where it is loaded
        assert ("CREDENTIALS_DIRECTORY=" in env) == (unit == loading_unit(host)), (pid, unit)
    # nowhere else on the host either
    found = host.run(f"grep -lsa -- '{password()}' /proc/[0-9]*/environ; true").stdout.split()
    assert found == []


def test_the_c_program_read_its_credential(host: Any, running: None) -> None:
    component = loading_unit(host)
    credential = "ouch-password" if is_trading(host) else "ouch-credentials"
    # systemd's private copy for the unit: the service user's, read-only
    copy = host.file(f"/run/credentials/tickpath-{component}.service/{credential}")
    assert copy.exists, host.run("findmnt -R /run/credentials").stdout
    assert copy.user == "tickpath" and copy.mode == 0o400
    log = journal(host, component)
    assert "CREDENTIALS_DIRECTORY" not in log and "password" not in log.lower(), log
    if component == "sim":
        assert "(1 users)" in log, log  # the simulator loaded the user table
    assert c_program(host, component) is not None, log


def test_feed_handler_segment_is_readable_by_the_service_group_only(
    host: Any, running: None
) -> None:
    if not is_trading(host):
        pytest.skip("no feed handler on the exchange host")
    cfg = yaml.safe_load(host.file("/etc/tickpath/tickpath.yaml").content_string)
    name = cfg["shm"]["name"]
    seg = host.file(f"/dev/shm/tickpath-{name}")
    assert (seg.user, seg.group, seg.mode) == ("tickpath", "tickpath", 0o640)
    status = host.run(f"runuser -u tickpath -- {TICKPATH} status --name {name} --json")
    assert status.rc == 0, status.stderr
    assert host.run(f"runuser -u nobody -- head -c 8 /dev/shm/tickpath-{name}").rc != 0


def test_stats_written_at_stop_are_0640(host: Any, running: None) -> None:
    for component in units(host):
        host.run(f"rm -f /var/lib/tickpath/{component}.stats.json")
    for component in reversed(units(host)):
        assert host.run(f"systemctl stop tickpath-{component}").rc == 0
    for component in units(host):
        stats = host.file(f"/var/lib/tickpath/{component}.stats.json")
        assert stats.exists, journal(host, component)
        assert (stats.user, stats.group, stats.mode) == ("tickpath", "tickpath", 0o640)
