"""The supervisor behind `tickpath run`, with real child processes.

Children are small Python scripts (written per test) or /bin/sleep; the supervisor itself runs
either in-process (Supervisor.run) or as the real `tickpath run` command in a subprocess when a
test sends it signals. The real C programs are exercised when `make build` installed them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from tickpath import binaries
from tickpath.supervisor import (
    ConfigError,
    LaunchError,
    RestartPolicy,
    Supervisor,
    UnknownComponentError,
    load_plan,
    password_problem,
    status_of,
    write_conf,
)
from tickpath.supervisor.plan import plan_from_mapping

FAST = RestartPolicy(
    max_restarts=5,
    restart_window=60,
    backoff_initial=0.05,
    backoff_max=0.2,
    stop_timeout=2,
)


def script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return path


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tickpath.yaml"
    path.write_text(textwrap.dedent(text))
    return path


#: The lab example's gateway.password.env (app/tickpath/config/examples/lab.yaml).
PASSWORD_ENV = "TICKPATH_OUCH_PASSWORD"


def tickpath_run(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    return subprocess.Popen(
        [sys.executable, "-m", "tickpath.cli", "run", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**base, **(env or {})},
    )


def wait_for(path: Path, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text()
        time.sleep(0.02)
    raise AssertionError(f"{path} not written within {timeout}s")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


# --- config -> plan ------------------------------------------------------------------------
EXAMPLE = Path(__file__).resolve().parents[2] / "app/tickpath/config/examples/lab.yaml"

#: Lab-component config (sim, pub): not part of the data-path schema.
GOOD = """\
    version: 1
    components:
      sim:
        cpus: "0"
        settings:
          line_a.addr: 239.100.1.1
          groups: [239.100.1.1, 239.100.2.1]
          port: 26400
          burst: true
    """


def trading(tmp_path: Path, replace: tuple[str, str] | None = None) -> Path:
    text = EXAMPLE.read_text()
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / "tickpath.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("name", "cpus"), [("fh", {1}), ("gw", {1}), ("strategy", {1})]
)
def test_trading_plan_is_the_rendered_config(
    tmp_path: Path, name: str, cpus: set[int]
) -> None:
    from tickpath.config import load_config, render

    path = trading(tmp_path)
    plan = load_plan(path, name)
    assert plan.cpus == frozenset(cpus)
    assert plan.conf_text == render(load_config(path, None), str(path))[f"{name}.conf"]
    conf = write_conf(plan, tmp_path / "run")
    assert f"program={name}" in conf.read_text().splitlines()


def test_trading_plan_pipeline_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # five stages on five cores: pretend an 8-CPU host (this VM has 2)
    monkeypatch.setattr(
        "tickpath.supervisor.plan.online_cpus", lambda: frozenset(range(8))
    )
    pipeline = "cpus:\n  rx: 2\n  book: 3\n  publish: 4\n  strategy: 5\n  gateway: 6"
    path = trading(tmp_path, ("cpus:\n  run_to_completion: 1", pipeline))
    assert load_plan(path, "fh").cpus == frozenset({2, 3, 4})
    # tickpath-strategy runs its gateway thread: both stages' cores
    assert load_plan(path, "strategy").cpus == frozenset({5, 6})
    assert load_plan(path, "gw").cpus == frozenset({6})
    monkeypatch.setattr(
        "tickpath.supervisor.plan.online_cpus", lambda: frozenset({0, 1})
    )
    with pytest.raises(ConfigError, match="CPU\\(s\\) 2-4 are not online"):
        load_plan(path, "fh")


def test_bad_trading_config_is_rejected_with_its_issues(tmp_path: Path) -> None:
    path = trading(tmp_path, ("size: 65536", "size: 1000"))
    with pytest.raises(ConfigError, match=r"ring\.size") as info:
        load_plan(path, "fh")
    assert "power of two" in str(info.value)


def test_lab_plan_renders_sorted_key_value_file(tmp_path: Path) -> None:
    plan = load_plan(config(tmp_path, GOOD), "sim")
    assert plan.cpus == frozenset({0})
    assert plan.component.binary == "tickpath-sim"
    conf = write_conf(plan, tmp_path / "run")
    lines = [ln for ln in conf.read_text().splitlines() if not ln.startswith("#")]
    assert lines == [
        "burst=true",
        "groups=239.100.1.1,239.100.2.1",
        "line_a.addr=239.100.1.1",
        "port=26400",
    ]
    assert conf.stat().st_mode & 0o777 == 0o640
    assert not list((tmp_path / "run").glob(".*tmp"))


def test_lab_plan_unpinned_by_default(tmp_path: Path) -> None:
    text = GOOD.replace('        cpus: "0"\n', "")
    assert load_plan(config(tmp_path, text), "sim").cpus == frozenset()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("components: {sim: {cpus: '1-0'}}", "range end 0 is below start 1"),
        ("components: {sim: {cpus: '4095'}}", "not online"),
        ("components: {sim: {colour: red}}", "unknown key(s) colour"),
        ("components: {sim: {settings: {Bad-Key: 1}}}", "must match"),
        ("components: {sim: {settings: {k: {a: 1}}}}", "expected a scalar"),
        ('components: {sim: {settings: {k: "a\\nb"}}}', "contains a newline"),
        ("components: {fh: {}}", "components.sim: missing"),
        ("version: 2\ncomponents: {sim: {}}", "version: 2 is not supported"),
        ("[1, 2]", "expected a mapping"),
        ("components: {sim: {cpus: [1]}", "YAML syntax error"),
        # the components file is read within the config loader's limits
        ("a: &x [1]\nb: [*x, *x]\ncomponents: {sim: {}}", "anchors and aliases are not allowed"),
        ("components: {sim: {settings: {k: \"a\\0b\"}}}", "a NUL"),
        # '#' would start a comment in the rendered key=value file: refused, not cut
        ('components: {sim: {settings: {session: "TP#1"}}}', "cannot carry"),
    ],
)
def test_bad_lab_config_is_rejected_with_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_plan(config(tmp_path, text), "sim")
    assert message in str(info.value)


def test_unknown_component_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(
        UnknownComponentError, match="known: fh, gw, sim, strategy"
    ):
        plan_from_mapping({"components": {}}, "router")
    with pytest.raises(ConfigError, match="cannot read"):
        load_plan(tmp_path / "absent.yaml", "fh")


def test_bad_config_changes_nothing(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = tickpath_run(
        "fh",
        "--config",
        str(trading(tmp_path, ("size: 65536", "size: 3"))),
        "--run-dir",
        str(run_dir),
        "--program",
        "/bin/true",
    )
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "invalid config" in err and "ring.size" in err
    assert not run_dir.exists()


# --- restart policy --------------------------------------------------------------------------
def test_backoff_doubles_and_caps() -> None:
    policy = RestartPolicy(backoff_initial=0.5, backoff_max=3)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    with pytest.raises(ValueError, match="stop_timeout"):
        RestartPolicy(stop_timeout=0)


def test_status_of() -> None:
    assert status_of(0) == 0
    assert status_of(3) == 3
    assert status_of(-signal.SIGKILL) == 137


# --- real children, supervisor in-process ----------------------------------------------------
def test_clean_exit_is_not_restarted(tmp_path: Path) -> None:
    sup = Supervisor(["/bin/true"], policy=FAST)
    assert sup.run() == 0
    assert sup.starts == 1


def test_crash_restarts_with_backoff_until_success(tmp_path: Path) -> None:
    counter = tmp_path / "count"
    child = script(
        tmp_path,
        "flaky",
        f"""\
        import pathlib, sys
        p = pathlib.Path({str(counter)!r})
        n = int(p.read_text()) if p.exists() else 0
        p.write_text(str(n + 1))
        sys.exit(0 if n >= 3 else 7)
        """,
    )
    sup = Supervisor([str(child)], policy=FAST)
    began = time.monotonic()
    assert sup.run() == 0
    elapsed = time.monotonic() - began
    assert sup.starts == 4
    assert counter.read_text() == "4"
    # three restarts: 0.05 + 0.1 + 0.2 seconds of backoff at least
    assert elapsed >= 0.35


def test_bounded_restarts_then_failure_with_child_status(tmp_path: Path) -> None:
    child = script(tmp_path, "crash", "import sys; sys.exit(5)\n")
    policy = RestartPolicy(
        max_restarts=2, restart_window=60, backoff_initial=0.01, backoff_max=0.01
    )
    sup = Supervisor([str(child)], policy=policy)
    assert sup.run() == 5
    assert sup.starts == 3


def test_death_by_signal_reported_as_128_plus_n(tmp_path: Path) -> None:
    child = script(
        tmp_path, "segv", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)\n"
    )
    policy = RestartPolicy(max_restarts=0)
    assert Supervisor([str(child)], policy=policy).run() == 128 + signal.SIGSEGV


def test_child_gets_affinity_and_memlock(tmp_path: Path) -> None:
    out = tmp_path / "out"
    child = script(
        tmp_path,
        "probe",
        f"""\
        import os, resource, pathlib
        soft, hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)
        pathlib.Path({str(out)!r}).write_text(
            f"{{sorted(os.sched_getaffinity(0))}} {{soft == hard}}")
        """,
    )
    cpu = max(os.sched_getaffinity(0))
    assert Supervisor([str(child)], cpus=frozenset({cpu}), policy=FAST).run() == 0
    assert out.read_text() == f"[{cpu}] True"


def test_missing_program_is_a_launch_error(tmp_path: Path) -> None:
    with pytest.raises(LaunchError, match="cannot start"):
        Supervisor([str(tmp_path / "nope")], policy=FAST).run()


def test_unusable_cpu_is_a_launch_error() -> None:
    with pytest.raises(LaunchError, match="cannot pin"):
        Supervisor(["/bin/true"], cpus=frozenset({4000}), policy=FAST).run()


# --- the real `tickpath run` command, signalled ---------------------------------------------
def _signal_child(
    tmp_path: Path, *, ignore_term: bool = False
) -> tuple[Path, Path, Path]:
    pidfile, marker = tmp_path / "pid", tmp_path / "got"
    handler = "signal.SIG_IGN" if ignore_term else "on_term"
    child = script(
        tmp_path,
        "daemon",
        f"""\
        import os, pathlib, signal, sys, time
        def on_term(signum, frame):
            pathlib.Path({str(marker)!r}).write_text(signal.Signals(signum).name)
            sys.exit(0)
        signal.signal(signal.SIGTERM, {handler})
        signal.signal(signal.SIGINT, on_term)
        signal.signal(signal.SIGHUP, lambda s, f: pathlib.Path({str(marker)!r}).write_text("HUP"))
        pathlib.Path({str(pidfile)!r}).write_text(str(os.getpid()))
        for _ in range(600):
            time.sleep(0.1)
        """,
    )
    return child, pidfile, marker


def test_a_stop_that_comes_while_the_child_is_being_started_reaches_it() -> None:
    """A signal handled between fork and the supervisor knowing its child (a loaded host can
    stall the parent there) is forwarded once the child is known, not lost."""
    sup = Supervisor(["/bin/sleep", "30"], policy=FAST)
    saved = sup._install()  # its handlers (a stop arms the SIGALRM kill timer)
    try:
        sup._on_signal(signal.SIGTERM, None)  # no child yet
        assert sup.stopping
        child = sup._start()
        sup.child = child
        sup._forward_pending(child)
        assert child.wait(timeout=10) == -signal.SIGTERM
        sup._forward_pending(child)  # once only: nothing left to send
    finally:
        sup._restore(saved)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_is_forwarded_and_exit_is_clean(tmp_path: Path, sig: int) -> None:
    child, pidfile, marker = _signal_child(tmp_path)
    conf = trading(tmp_path)
    proc = tickpath_run(
        "fh",
        "--config",
        str(conf),
        "--run-dir",
        str(tmp_path / "run"),
        "--program",
        str(child),
    )
    pid = int(wait_for(pidfile))
    assert (tmp_path / "run" / "fh.conf").exists()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert marker.read_text() == signal.Signals(sig).name
    assert not alive(pid)


def test_hup_is_forwarded_without_stopping(tmp_path: Path) -> None:
    child, pidfile, marker = _signal_child(tmp_path)
    proc = tickpath_run(
        "sim",
        "--config",
        str(config(tmp_path, GOOD)),
        "--run-dir",
        str(tmp_path / "run"),
        "--program",
        str(child),
    )
    pid = int(wait_for(pidfile))
    proc.send_signal(signal.SIGHUP)
    assert wait_for(marker) == "HUP"
    assert proc.poll() is None and alive(pid)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=20)
    assert proc.returncode == 0


def test_child_ignoring_sigterm_is_killed_after_timeout(tmp_path: Path) -> None:
    child, pidfile, _ = _signal_child(tmp_path, ignore_term=True)
    proc = tickpath_run(
        "sim",
        "--config",
        str(config(tmp_path, GOOD)),
        "--run-dir",
        str(tmp_path / "run"),
        "--program",
        str(child),
        "--stop-timeout",
        "0.5",
    )
    pid = int(wait_for(pidfile))
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert 0.4 <= time.monotonic() - began < 10
    assert proc.returncode == 128 + signal.SIGKILL
    assert "sending SIGKILL" in err
    assert not alive(pid)


def test_stop_during_backoff_exits_promptly(tmp_path: Path) -> None:
    started = tmp_path / "started"
    child = script(
        tmp_path,
        "crash",
        f"import pathlib, sys; pathlib.Path({str(started)!r}).write_text('x'); sys.exit(9)\n",
    )
    proc = tickpath_run(
        "sim",
        "--config",
        str(config(tmp_path, GOOD)),
        "--run-dir",
        str(tmp_path / "run"),
        "--program",
        str(child),
        "--backoff",
        "30",
    )
    wait_for(started)
    time.sleep(0.3)  # now in the 30 s backoff
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert time.monotonic() - began < 5
    assert proc.returncode == 0, err
    assert "restarting in 30.00s" in err


def test_foreground_execs_in_place(tmp_path: Path) -> None:
    child = script(tmp_path, "pid", "import os, sys; print(os.getpid()); sys.exit(4)\n")
    proc = tickpath_run(
        "strategy",
        "--config",
        str(trading(tmp_path)),
        "--run-dir",
        str(tmp_path / "run"),
        "--program",
        str(child),
        "--foreground",
        env={PASSWORD_ENV: "lab-only"},
    )
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 4
    assert int(out) == proc.pid  # the C program replaced the tickpath process


def test_gw_is_an_operator_tool_not_a_service(tmp_path: Path) -> None:
    """tickpath-gw reads commands on stdin: supervised it would only open a second OUCH
    session next to the strategy's (whose gateway thread is the host's order gateway)."""
    marker = tmp_path / "started"
    child = script(tmp_path, "gw", f"open({str(marker)!r}, 'w').write('x')\n")
    proc = tickpath_run(
        "gw", "--config", str(trading(tmp_path)), "--run-dir", str(tmp_path / "run"),
        "--program", str(child), env={PASSWORD_ENV: "lab-only"},
    )
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert "--foreground" in err and "tickpath run strategy" in err
    assert not marker.exists()
    proc = tickpath_run(
        "gw", "--config", str(trading(tmp_path)), "--run-dir", str(tmp_path / "run"),
        "--program", str(child), "--foreground", env={PASSWORD_ENV: "lab-only"},
    )
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert marker.exists()


@pytest.mark.parametrize("component", ["strategy", "gw"])
def test_missing_password_is_one_clear_error_not_a_restart_loop(
    tmp_path: Path, component: str
) -> None:
    marker = tmp_path / "started"
    child = script(tmp_path, "c", f"open({str(marker)!r}, 'w').write('x')\n")
    proc = tickpath_run(
        component, "--config", str(trading(tmp_path)), "--run-dir", str(tmp_path / "run"),
        "--program", str(child), "--foreground",
    )
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert f"environment variable {PASSWORD_ENV} is not set" in err
    assert not marker.exists()


def test_password_file_must_exist_and_be_private(tmp_path: Path) -> None:
    secret = tmp_path / "ouch.password"
    path = trading(
        tmp_path, (f"password:\n    env: {PASSWORD_ENV}", f"password:\n    file: {secret}")
    )
    child = script(tmp_path, "c", "import os, sys; sys.exit(0)\n")

    def run() -> tuple[int, str]:
        proc = tickpath_run(
            "strategy", "--config", str(path), "--run-dir", str(tmp_path / "run"),
            "--program", str(child), "--max-restarts", "0",
        )
        _, err = proc.communicate(timeout=20)
        return proc.returncode, err

    code, err = run()
    assert code == 2 and f"gateway.password.file: {secret}: No such file" in err
    secret.write_text("s3cretpw\n")
    secret.chmod(0o644)
    code, err = run()
    assert code == 2 and "chmod 600" in err and "s3cretpw" not in err
    secret.chmod(0o600)
    code, err = run()
    assert code == 0, err
    # the secret is neither in the rendered key=value file nor on the command line
    conf = (tmp_path / "run" / "strategy.conf").read_text()
    assert f"ouch.password.file={secret}" in conf.splitlines()
    assert "s3cretpw" not in conf


def systemd_credential(directory: Path, name: str, content: str) -> Path:
    """A credential as systemd hands it to a unit: $CREDENTIALS_DIRECTORY/NAME, mode 0400."""
    directory.mkdir(mode=0o700, exist_ok=True)
    path = directory / name
    path.write_text(content)
    path.chmod(0o400)
    return directory


def test_password_as_a_systemd_credential(tmp_path: Path) -> None:
    """gateway.password: {credential: NAME}: the rendered file names the credential, the C
    program reads $CREDENTIALS_DIRECTORY/NAME; without that directory (not started by a unit
    with LoadCredential=) `tickpath run` refuses with one clear error."""
    path = trading(
        tmp_path, (f"password:\n    env: {PASSWORD_ENV}", "password:\n    credential: ouch-pw")
    )
    child = script(tmp_path, "c", "import os, sys; sys.exit(0)\n")

    def run(env: dict[str, str]) -> tuple[int, str]:
        proc = tickpath_run(
            "strategy", "--config", str(path), "--run-dir", str(tmp_path / "run"),
            "--program", str(child), "--max-restarts", "0", env=env,
        )
        _, err = proc.communicate(timeout=20)
        return proc.returncode, err

    code, err = run({})
    assert code == 2
    assert "gateway.password.credential: credential ouch-pw: $CREDENTIALS_DIRECTORY is not set" in err
    creds = tmp_path / "creds"
    code, err = run({"CREDENTIALS_DIRECTORY": str(creds)})
    assert code == 2 and f"{creds}/ouch-pw: No such file" in err
    systemd_credential(creds, "ouch-pw", "s3cretpw\n")
    code, err = run({"CREDENTIALS_DIRECTORY": str(creds)})
    assert code == 0, err
    conf = (tmp_path / "run" / "strategy.conf").read_text()
    assert "ouch.password.credential=ouch-pw" in conf.splitlines()
    assert "s3cretpw" not in conf and str(creds) not in conf


LAB_CREDENTIALS = """\
    version: 1
    components:
      sim:
        settings:
          line_a.addr: 239.100.1.1
        credentials:
          ouch.credentials: ouch-credentials
    """


def test_lab_credentials_become_paths_under_the_credentials_directory(tmp_path: Path) -> None:
    data = yaml.safe_load(textwrap.dedent(LAB_CREDENTIALS))
    plan = plan_from_mapping(data, "sim", credentials_dir="/run/credentials/tickpath-sim.service")
    lines = plan.conf_text.splitlines()
    assert "ouch.credentials=/run/credentials/tickpath-sim.service/ouch-credentials" in lines
    assert plan.credentials == (("ouch.credentials", "ouch-credentials"),)
    # not known (not under systemd): left out, and password_problem says why
    plan = plan_from_mapping(data, "sim")
    assert not any(line.startswith("ouch.credentials=") for line in plan.conf_text.splitlines())
    problem = password_problem(plan, {})
    assert problem is not None and "components.sim.credentials.ouch.credentials" in problem
    assert "$CREDENTIALS_DIRECTORY is not set" in problem
    creds = systemd_credential(tmp_path / "creds", "ouch-credentials", "TRADR1 pw0123\n")
    assert password_problem(plan, {"CREDENTIALS_DIRECTORY": str(creds)}) is None
    (creds / "ouch-credentials").chmod(0o440)
    problem = password_problem(plan, {"CREDENTIALS_DIRECTORY": str(creds)})
    assert problem is not None and "chmod 600" in problem


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ("ouch.credentials: ../etc/shadow", "is not a credential name"),
        ("ouch.credentials: .hidden", "is not a credential name"),
        ("Bad-Key: x", "must match"),
        ("line_a.addr: x", "also given in settings"),
        ("ouch.credentials: [a]", "is not a credential name"),
    ],
)
def test_bad_lab_credentials_are_refused(credentials: str, message: str) -> None:
    text = textwrap.dedent(LAB_CREDENTIALS).replace(
        "ouch.credentials: ouch-credentials", credentials
    )
    with pytest.raises(ConfigError, match=r"components\.sim\.credentials") as exc:
        plan_from_mapping(yaml.safe_load(text), "sim")
    assert message in str(exc.value)


def test_check_shows_lab_credentials_and_their_state(tmp_path: Path) -> None:
    path = config(tmp_path, LAB_CREDENTIALS)
    proc = tickpath_run("sim", "--config", str(path), "--run-dir", str(tmp_path / "run"),
                        "--program", "/bin/true", "--check")
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "credential: ouch-credentials -> ouch.credentials (components.sim.credentials" in out
    creds = systemd_credential(tmp_path / "creds", "ouch-credentials", "TRADR1 pw0123\n")
    proc = tickpath_run("sim", "--config", str(path), "--run-dir", str(tmp_path / "run"),
                        "--program", "/bin/true", "--check",
                        env={"CREDENTIALS_DIRECTORY": str(creds)})
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "credential: ouch-credentials -> ouch.credentials (present)" in out
    conf = (tmp_path / "run" / "sim.conf").read_text().splitlines()
    assert f"ouch.credentials={creds}/ouch-credentials" in conf
    assert "pw0123" not in out + err + "\n".join(conf)


def test_rendered_conf_is_0640_whatever_the_umask(tmp_path: Path) -> None:
    """Exactly 0640, also when a temporary file of an earlier run (killed mid-write, same pid)
    is still there with another mode: open(O_CREAT) alone would keep that mode."""
    data = yaml.safe_load(textwrap.dedent(GOOD))
    run = tmp_path / "run"
    run.mkdir()
    leftover = run / f".sim.conf.{os.getpid()}.tmp"
    leftover.write_text("half")
    leftover.chmod(0o666)
    old = os.umask(0)
    try:
        conf = write_conf(plan_from_mapping(data, "sim"), run)
    finally:
        os.umask(old)
    assert conf.stat().st_mode & 0o777 == 0o640


def test_check_shows_the_password_source_never_the_secret(tmp_path: Path) -> None:
    proc = tickpath_run(
        "strategy", "--config", str(trading(tmp_path)), "--run-dir", str(tmp_path / "run"),
        "--check", env={PASSWORD_ENV: "s3cretpw"},
    )
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert f"password: env {PASSWORD_ENV} (present)" in out
    assert "s3cretpw" not in out + err


def test_check_prints_plan_and_starts_nothing(tmp_path: Path) -> None:
    proc = tickpath_run(
        "sim",
        "--config",
        str(config(tmp_path, GOOD)),
        "--run-dir",
        str(tmp_path / "run"),
        "--program",
        "/bin/false",
        "--check",
        "--rt-priority",
        "10",
    )
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "cpus: 0" in out
    assert "rt_priority: 10" in out
    assert f"command: /bin/false --config {tmp_path}/run/sim.conf" in out
    assert "--stats-json" not in out
    assert (tmp_path / "run" / "sim.conf").exists()


# --- the real C programs ---------------------------------------------------------------------
def test_every_component_program_takes_a_config_file(tmp_path: Path) -> None:
    """`tickpath run` starts each component as `PROGRAM --config FILE`: a program that does not
    take --config would restart in a loop under its unit (tickpath-pub was listed and did not)."""
    from tickpath.supervisor.components import COMPONENTS

    empty = tmp_path / "empty.conf"
    empty.write_text("")
    for comp in COMPONENTS.values():
        try:
            path = binaries.find(comp.binary)
        except binaries.BinaryNotFoundError:
            pytest.skip(f"{comp.binary} is not built yet (make build)")
        proc = subprocess.run([str(path), "--config", str(empty), "--help"],
                              capture_output=True, text=True, timeout=20, check=False)
        assert "unrecognized option" not in proc.stderr, (comp.name, proc.stderr)
        assert "--config FILE" in proc.stdout + proc.stderr, (comp.name, proc.stderr)


@pytest.mark.parametrize("component", ["fh", "gw", "strategy", "sim"])
def test_real_binary_is_found_and_planned(tmp_path: Path, component: str) -> None:
    from tickpath.supervisor import component as lookup

    name = lookup(component).binary
    try:
        path = binaries.find(name)
    except binaries.BinaryNotFoundError:
        pytest.skip(f"{name} is not built yet (make build)")
    conf = config(tmp_path, GOOD) if component == "sim" else trading(tmp_path)
    proc = tickpath_run(
        component, "--config", str(conf), "--run-dir", str(tmp_path / "run"), "--check"
    )
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert f"command: {path} --config" in out


#: tickpath-sim on loopback without order entry, for `tickpath run sim`
SIM_LOOPBACK = """\
    components:
      sim:
        settings:
          line_a.addr: 127.0.0.1
          line_a.port: 0
          line_b.addr: ""
          rerequest.port: 0
          snapshot.port: 0
          ouch.port: 0
          flow.rate: 100
    """


def test_real_simulator_runs_supervised_and_stops_cleanly(tmp_path: Path) -> None:
    """tickpath-sim (loopback, no order entry) under `tickpath run sim`: SIGTERM -> exit 0."""
    try:
        binaries.find("tickpath-sim")
    except binaries.BinaryNotFoundError:
        pytest.skip("tickpath-sim is not built yet (make build)")
    conf = config(tmp_path, SIM_LOOPBACK)
    stats = tmp_path / "sim.stats.json"
    proc = tickpath_run(
        "sim", "--config", str(conf), "--run-dir", str(tmp_path / "run"),
        "--stats-json", str(stats),
    )
    time.sleep(2)
    if proc.poll() is not None:
        _, err = proc.communicate()
        pytest.fail(f"tickpath-sim did not stay up under the supervisor: {err[-2000:]}")
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    assert len(children) == 1
    assert Path(f"/proc/{children[0]}/exe").resolve().name == "tickpath-sim"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert not alive(int(children[0]))
    # --stats-json reaches the program, which writes its statistics as it exits
    assert isinstance(json.loads(stats.read_text()), dict)


def test_real_simulator_survives_every_forwarded_signal(tmp_path: Path) -> None:
    """The supervisor forwards SIGHUP, SIGUSR1 and SIGUSR2 (FORWARD_SIGNALS); the C program
    must not die of them (a death would be a crash and a restart): the same child runs on,
    SIGUSR2 made it write --stats-json, and SIGTERM still stops both cleanly."""
    try:
        binaries.find("tickpath-sim")
    except binaries.BinaryNotFoundError:
        pytest.skip("tickpath-sim is not built yet (make build)")
    stats = tmp_path / "sim.stats.json"
    proc = tickpath_run(
        "sim", "--config", str(config(tmp_path, SIM_LOOPBACK)), "--run-dir",
        str(tmp_path / "run"), "--stats-json", str(stats),
    )
    try:
        children_file = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        deadline = time.monotonic() + 10
        while not children_file.read_text().split():
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()[1]
            time.sleep(0.05)
        child = int(children_file.read_text().split()[0])
        time.sleep(1)  # the simulator's start-up (its loop acts on the flags)
        for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
            proc.send_signal(sig)
            time.sleep(0.3)
        snapshot = json.loads(wait_for(stats))
        assert snapshot["at_exit"] is False
        assert proc.poll() is None and alive(child)
        assert children_file.read_text().split() == [str(child)]  # not restarted
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:  # a failed assertion must not leave the supervisor running
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    assert proc.returncode == 0, err
    assert "restarting" not in err and "failed" not in err, err
    assert json.loads(stats.read_text())["at_exit"] is True


def test_run_help_names_every_forwarded_signal() -> None:
    """`tickpath run --help` says what the forwarded signals do."""
    from tickpath.supervisor.process import FORWARD_SIGNALS

    out = subprocess.run([sys.executable, "-m", "tickpath.cli", "run", "--help"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    text = " ".join(out.split())
    for sig in FORWARD_SIGNALS:
        assert sig.name in text, sig.name
