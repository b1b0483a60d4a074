"""The lab after `ansible-playbook -i inventories/lab playbooks/deploy.yml`: tickpath deployed.

Checks the live state of both lab hosts (fixtures from conftest.py: skipped when the lab is down):
the version layout, the service account, the configs (valid for the version deployed), the units
(rendered from the profile: trader1's data path on CPU 1, capabilities per component), that
exactly the units whose C program the version carries are running, and where the OUCH password
is: root-only credential files, loaded by tickpath-strategy (trader1) and tickpath-sim (exch1)
alone, in no process's environment.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.lab
ROOT = "/opt/tickpath"
TICKPATH = f"{ROOT}/current/venv/bin/tickpath"


def manifest(host: Any) -> dict[str, Any]:
    f = host.file(f"{ROOT}/current/manifest.json")
    if not f.exists:
        pytest.skip("tickpath not deployed on the lab (playbooks/deploy.yml)")
    data: dict[str, Any] = json.loads(f.content_string)
    return data


@pytest.mark.parametrize("name", ["exch1", "trader1"])
def test_version_layout(request: pytest.FixtureRequest, name: str) -> None:
    host = request.getfixturevalue(name)
    m = manifest(host)
    current = host.file(f"{ROOT}/current")
    assert current.is_symlink and current.linked_to == f"{ROOT}/{m['version']}"
    assert host.file(f"{ROOT}/current/.tickpath-installed").exists
    assert host.run(f"cd {ROOT}/current && sha256sum --check --strict --quiet SHA256SUMS").rc == 0
    out = host.run(f"runuser -u tickpath -- {TICKPATH} --version")
    assert out.rc == 0 and out.stdout.startswith("tickpath "), out.stderr
    user = host.user("tickpath")
    assert user.shell == "/usr/sbin/nologin" and user.home == "/var/lib/tickpath"
    # the service's home stays its own (token and stats files), whatever role ran after deploy
    home = host.file("/var/lib/tickpath")
    assert (home.user, home.group, home.mode) == ("tickpath", "tickpath", 0o750)


def test_trader_config_valid_for_this_host(trader1: Any) -> None:
    manifest(trader1)
    out = trader1.run(f"{TICKPATH} config check /etc/tickpath/tickpath.yaml --isolated 1")
    assert out.rc == 0, out.stderr
    plan = trader1.run(
        f"{TICKPATH} run fh --check --config /etc/tickpath/tickpath.yaml --run-dir /tmp/tp-check"
    )
    assert plan.rc == 0, plan.stderr
    assert "cpus: 1" in plan.stdout


def test_exchange_config_valid(exch1: Any) -> None:
    manifest(exch1)
    out = exch1.run(
        f"{TICKPATH} run sim --check --config /etc/tickpath/tickpath.yaml --run-dir /tmp/tp-check"
    )
    assert out.rc == 0, out.stderr


def starts_service(name: str, component: str) -> bool:
    """Whether the deploy role starts `component` on this lab host (its group's
    tickpath_deploy_start_services and tickpath_deploy_stopped_components)."""
    group = "trading" if name.startswith("trader") else "exchange"
    path = REPO / "inventories" / "lab" / "group_vars" / f"{group}.yml"
    data = (yaml.safe_load(path.read_text()) if path.exists() else {}) or {}
    held = data.get("tickpath_deploy_stopped_components", [])
    return bool(data.get("tickpath_deploy_start_services", True)) and component not in held


@pytest.mark.parametrize(
    ("name", "component", "cpus", "caps"),
    [
        ("trader1", "fh", "1",
         "CAP_NET_RAW CAP_NET_ADMIN CAP_BPF CAP_PERFMON CAP_IPC_LOCK CAP_SYS_NICE"),
        ("trader1", "strategy", "1", "CAP_IPC_LOCK CAP_SYS_NICE"),
        ("exch1", "sim", None, "CAP_IPC_LOCK CAP_SYS_NICE"),
    ],
)
def test_units(
    request: pytest.FixtureRequest, name: str, component: str, cpus: str | None, caps: str
) -> None:
    host = request.getfixturevalue(name)
    m = manifest(host)
    text = host.file(f"/etc/systemd/system/tickpath-{component}.service").content_string
    assert f"ExecStart={TICKPATH} run {component} --config /etc/tickpath/tickpath.yaml" in text
    assert f"AmbientCapabilities={caps}\n" in text and f"CapabilityBoundingSet={caps}\n" in text
    assert (f"CPUAffinity={cpus}\n" in text) if cpus else ("CPUAffinity=" not in text)
    assert host.service(f"tickpath-{component}").is_enabled
    state = host.run(f"systemctl is-active tickpath-{component}").stdout.strip()
    if f"tickpath-{component}" in m["programs"] and starts_service(name, component):
        assert state in ("active", "activating"), state
        main_pid = host.run(
            f"systemctl show -p MainPID --value tickpath-{component}"
        ).stdout.strip()
        status = host.file(f"/proc/{main_pid}/status").content_string
        assert "Cpus_allowed_list:\t" + (cpus or "") in status or cpus is None
    else:
        assert state == "inactive", state


def test_lab_feed_handler_takes_the_live_feed(trader1: Any) -> None:
    """The deployed tickpath-fh unit on trader1 receives exch1's lines A and B over AF_XDP and
    keeps an exact, fresh book: every sequence applied, no book error."""
    if not starts_service("trader1", "fh"):
        pytest.skip("the lab inventory leaves tickpath-fh stopped")
    cfg = yaml.safe_load(trader1.file("/etc/tickpath/tickpath.yaml").content_string)
    shm = cfg["shm"]["name"]
    out = trader1.run(f"{TICKPATH} status --name {shm} --json --sample 1")
    assert out.rc == 0, out.stderr
    st = json.loads(out.stdout)
    assert st["state"] == "running" and st["alive"], st
    assert st["transport"] == cfg["transport"]["kind"]
    assert st["session"] == cfg["feed"]["session"]
    assert st["rates"]["rx"]["packets_a_per_s"] > 0, st["rates"]
    assert st["rates"]["rx"]["packets_b_per_s"] > 0, st["rates"]
    assert st["rates"]["book"]["messages_per_s"] > 0, st["rates"]
    assert st["unrecovered"] == 0 and st["book_errors"] == 0 and st["wrong_session"] == 0, st


def test_lab_strategy_trades_against_exch1(trader1: Any) -> None:
    """The whole lab pipeline: tickpath-fh (AF_XDP) -> BBO events in shared memory ->
    tickpath-strategy -> risk checks -> OUCH over SoupBinTCP -> exch1's simulator, and its
    answers back. The strategy unit writes its statistics as it stops (--stats-json)."""
    if not (starts_service("trader1", "fh") and starts_service("trader1", "strategy")):
        pytest.skip("the lab inventory leaves tickpath-fh or tickpath-strategy stopped")
    cfg = yaml.safe_load(trader1.file("/etc/tickpath/tickpath.yaml").content_string)
    stats_path = "/var/lib/tickpath/strategy.stats.json"
    trader1.run(f"rm -f {stats_path}")
    # running since the deploy; a unit that hit its start limit (say while an earlier test held
    # the feed handler down) is cleared and started
    if trader1.run("systemctl is-active tickpath-strategy").stdout.strip() != "active":
        trader1.run("systemctl reset-failed tickpath-strategy")
        assert trader1.run("systemctl start tickpath-strategy").rc == 0
    try:
        # ping mode: one order every `every` BBO changes of the symbol; exch1's flow moves it
        # many times a second, so 20 s gives dozens of orders even on a busy machine
        time.sleep(20)
        assert trader1.run("systemctl is-active tickpath-strategy").stdout.strip() == "active"
        assert trader1.run("systemctl stop tickpath-strategy").rc == 0
        st = json.loads(trader1.file(stats_path).content_string)
    finally:
        trader1.run("systemctl start tickpath-strategy")
    strategy, gateway = st["strategy"], st["gateway"]
    assert strategy["source"] == "shm" and strategy["mode"] == cfg["strategy"]["mode"]
    # market data came from the feed handler's event ring, without loss
    assert strategy["shm"]["bbo"] > 0 and strategy["bbo_changes"] > 0, strategy
    assert strategy["shm"]["lost"] == 0, strategy
    # orders were triggered by it, passed the risk checks, and the exchange answered each
    assert strategy["orders"] >= 1, strategy
    assert strategy["orders"] <= strategy["bbo_changes"] // cfg["strategy"]["every"] + 1
    orders = gateway["orders"]
    assert gateway["session"]["logins"] >= 1 and gateway["session"]["rejects"] == 0, gateway
    assert orders["sent"] == strategy["orders"] >= 1, orders
    assert orders["rejected"] == 0 and sum(gateway["risk"]["rejects"].values()) == 0, gateway
    # A new process logs in from sequence 1, so the exchange also replays its answers to the
    # day's earlier orders (the gateway rebuilds their state): the answers cover at least this
    # run's orders, and none is left waiting. An IOC buy at the bid never rests: the exchange
    # cancels it, or fills it when the ask came down to it on the way (a live market).
    by_state = orders["by_state"]
    assert orders["accepted"] >= orders["sent"] and orders["unknown_token"] == 0, orders
    assert by_state["pending_new"] == by_state["open"] == by_state["partial"] == 0, orders
    assert by_state["canceled"] + by_state["filled"] == orders["table"] >= orders["sent"], orders
    assert gateway["stages_ns"]["send_to_ack"]["count"] >= 1


# --- secrets: the OUCH password reaches only the unit that logs in ---------------------------
CREDENTIALS = "/etc/tickpath/credentials"
#: host -> (the unit loading a credential, its credential): tickpath-strategy's gateway thread
#: logs in; tickpath-sim checks logins against its user table.
LOADERS = {"trader1": ("strategy", "ouch-password"), "exch1": ("sim", "ouch-credentials")}


def lab_password(exch1: Any) -> str:
    """The lab's OUCH password, from the simulator's user table ("TPLAB <password>")."""
    f = exch1.file(f"{CREDENTIALS}/ouch-credentials")
    if not f.exists:
        pytest.skip("no credentials on exch1 (playbooks/deploy.yml)")
    password = str(f.content_string.split()[1])
    assert len(password) >= 6
    return password


def unit_processes(host: Any) -> list[tuple[int, str]]:
    """(pid, component) of every process of a tickpath-* unit on the host."""
    out = host.run(
        "for p in /proc/[0-9]*; do "
        "u=$(grep -o 'tickpath-[a-z]*\\.service' $p/cgroup 2>/dev/null | head -n1); "
        '[ -n "$u" ] && echo "${p#/proc/} $u"; done; true'
    ).stdout
    return [(int(pid), unit.removeprefix("tickpath-").removesuffix(".service"))
            for pid, unit in (line.split() for line in out.splitlines())]


@pytest.mark.parametrize("name", ["exch1", "trader1"])
def test_secret_files_are_root_only(request: pytest.FixtureRequest, name: str, exch1: Any) -> None:
    host = request.getfixturevalue(name)
    manifest(host)
    password = lab_password(exch1)
    directory = host.file(CREDENTIALS)
    assert (directory.user, directory.group, directory.mode) == ("root", "root", 0o700)
    _, credential = LOADERS[name]
    secret = host.file(f"{CREDENTIALS}/{credential}")
    assert (secret.user, secret.group, secret.mode) == ("root", "root", 0o600)
    assert password in secret.content_string
    units = host.run("ls /etc/systemd/system/tickpath-*.service").stdout.split()
    for path in [*units, "/etc/tickpath/tickpath.env", "/etc/tickpath/tickpath.yaml"]:
        assert password not in host.file(path).content_string, path


@pytest.mark.parametrize("name", ["exch1", "trader1"])
def test_only_the_unit_that_logs_in_loads_the_password(
    request: pytest.FixtureRequest, name: str, exch1: Any
) -> None:
    """Unit files: LoadCredential= in the loading unit alone, the credentials path in no other.
    Processes: the password in no /proc/PID/environ on the host, $CREDENTIALS_DIRECTORY only in
    the loading unit's processes, whose private copy exists while it runs."""
    host = request.getfixturevalue(name)
    manifest(host)
    password = lab_password(exch1)
    loader, credential = LOADERS[name]
    for path in host.run("ls /etc/systemd/system/tickpath-*.service").stdout.split():
        # the directives, not the comments (the credentials-mount unit explains LoadCredential=)
        text = "".join(line + "\n" for line in host.file(path).content_string.splitlines()
                       if not line.lstrip().startswith(("#", ";")))
        component = path.rsplit("tickpath-", 1)[1].removesuffix(".service")
        if component == loader:
            assert f"LoadCredential={credential}:{CREDENTIALS}/{credential}\n" in text
        else:
            assert "LoadCredential" not in text and CREDENTIALS not in text, path
    found = host.run(f"grep -lsa -- '{password}' /proc/[0-9]*/environ; true").stdout.split()
    assert found == [], found
    procs = unit_processes(host)
    for pid, component in procs:
        env = host.run(f"tr '\\0' '\\n' < /proc/{pid}/environ").stdout
        assert "OUCH_PASSWORD" not in env, (pid, component)
        assert ("CREDENTIALS_DIRECTORY=" in env) == (component == loader), (pid, component)
    if starts_service(name, loader) and any(c == loader for _, c in procs):
        copy = host.file(f"/run/credentials/tickpath-{loader}.service/{credential}")
        assert copy.exists and copy.user == "tickpath" and copy.mode == 0o400


def test_feed_handler_segment_is_0640(trader1: Any) -> None:
    manifest(trader1)
    if not starts_service("trader1", "fh"):
        pytest.skip("the lab inventory leaves tickpath-fh stopped")
    cfg = yaml.safe_load(trader1.file("/etc/tickpath/tickpath.yaml").content_string)
    seg = trader1.file(f"/dev/shm/tickpath-{cfg['shm']['name']}")
    assert (seg.user, seg.group, seg.mode) == ("tickpath", "tickpath", 0o640)
