"""tickpath config check|render on hostile or broken files: a short error and exit 2, never a
traceback, an alias expansion or an echo of a huge value (tickpath/config/safeyaml.py)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from tickpath.config import validate_text

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "app" / "tickpath" / "config" / "examples" / "lab.yaml"


def good_text() -> str:
    """The lab example: valid without host checks."""
    return LAB.read_text()


def line_of(text: str, line: str) -> int:
    return text.splitlines().index(line) + 1


def _limit_memory() -> None:
    # A regression (expanding the aliases) then fails with MemoryError instead of eating the
    # shared machine's memory; a good run needs well under 100 MB.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """`tickpath ARGV` in a child process of this tree's code; the timeout only keeps a
    regression from hanging the suite."""
    path = [str(REPO / "app"), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in path if p))
    return subprocess.run(
        [sys.executable, "-m", "tickpath.cli", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        preexec_fn=_limit_memory,
    )


# --- values quoted by the schema checks: cut, and no password ---------------------------------


def lab_with(value: Any, *loc: str | int) -> str:
    """The lab example with the value at key path `loc` replaced."""
    data = yaml.safe_load(good_text())
    node = data
    for part in loc[:-1]:
        node = node[part]
    node[loc[-1]] = value
    return yaml.safe_dump(data, sort_keys=False)


def test_a_large_value_is_cut_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "value.yaml"
    text = good_text()
    path.write_text(text.replace("TPLAB00001", "A" * 900_000))
    proc = run_cli("config", "check", str(path), "--no-host-checks")
    assert proc.returncode == 2
    line = line_of(text, "  session: TPLAB00001")
    assert proc.stderr.splitlines() == [
        f"{path}:{line}: feed.session: '{'A' * 79}... (900000 bytes) is not 1-10 printable ASCII "
        "characters",
        f"{path}: 1 error",
    ]


LONG = "x" * 5000 + "!"


@pytest.mark.parametrize(
    ("value", "loc", "path", "size"),
    [
        (LONG, ("feed", "session"), "feed.session", 5001),
        (LONG, ("feed", "lines", 0, "interface"), "feed.lines[0].interface", 5001),
        (LONG, ("feed", "lines", 0, "group"), "feed.lines[0].group", 5001),
        (LONG, ("feed", "rerequest", "address"), "feed.rerequest.address", 5001),
        (LONG, ("shm", "name"), "shm.name", 5001),
        (LONG, ("gateway", "host"), "gateway.host", 5001),
        ([LONG], ("gateway", "symbols"), "gateway.symbols", 5001),
        (LONG, ("strategy", "symbol"), "strategy.symbol", 5001),
        (LONG, ("risk", "max_notional"), "risk.max_notional", 5001),
        ("0." + "0" * 5000 + "1", ("risk", "max_notional"), "risk.max_notional", 5003),
        ({"kind": "onload", "onload": {"profile": LONG}}, ("transport",),
         "transport.onload.profile", 5001),
        ({"kind": "onload", "onload": {"profile": "/" + LONG}}, ("transport",),
         "transport.onload.profile", 5002),
        ({"kind": "dpdk", "dpdk": {"eal_args": ["-a " + LONG]}}, ("transport",),
         "transport.dpdk.eal_args", 5004),
    ],
)
def test_schema_errors_cut_long_values(
    value: Any, loc: tuple[str | int, ...], path: str, size: int
) -> None:
    _, issues = validate_text(lab_with(value, *loc), None)
    (message,) = [i.message for i in issues if i.path == path]
    assert f"... ({size} bytes)" in message
    assert len(message) < 250, message


def test_a_password_in_the_env_field_is_not_echoed() -> None:
    _, issues = validate_text(lab_with({"env": "hunter2 secret"}, "gateway", "password"), None)
    assert [(i.path, i.message) for i in issues] == [
        (
            "gateway.password.env",
            "not an environment variable name (A-Z a-z 0-9 _, not starting with a digit); "
            "the value is not shown: it may be the password itself",
        )
    ]


@pytest.mark.parametrize(
    ("value", "loc", "path"),
    [
        ("1e100", ("risk", "max_notional"), "risk.max_notional"),
        (1e100, ("risk", "min_price"), "risk.min_price"),
        ("1e999999999", ("risk", "max_notional"), "risk.max_notional"),
    ],
)
def test_amounts_with_a_huge_exponent_are_too_large(
    value: Any, loc: tuple[str, ...], path: str
) -> None:
    _, issues = validate_text(lab_with(value, *loc), None)
    assert [(i.path, i.message) for i in issues] == [(path, f"{value!r} is too large")]


def test_render_refuses_an_interface_with_a_nul(tmp_path: Path) -> None:
    text = good_text().replace("interface: feed-a", 'interface: "feed\\0a"')
    path = tmp_path / "nul-iface.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    proc = run_cli("config", "render", str(path), "--out", str(out), "--no-host-checks")
    assert proc.returncode == 2, proc.stderr[-2000:]
    line = line_of(text, '      interface: "feed\\0a"')
    assert proc.stderr.splitlines() == [
        f"{path}:{line}: feed.lines[0].interface: 'feed\\x00a' is not a Linux interface name "
        "(1-15 characters, no '/', ':', spaces or control characters)",
        f"{path}: 1 error",
        "nothing rendered",
    ]
    assert not out.exists()
