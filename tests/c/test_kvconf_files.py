"""Every C program reads its --config FILE with the same strict reader (app/src/common/kvfile.h).

Run against the built binaries: tickpath-fh, tickpath-gw and tickpath-strategy with
--check-config, tickpath-sim with --print-config (it has no --check-config; it reads the file
the same way and prints the effective values). A bad file is exit 2 with `FILE:LINE: reason`
on stderr (each program's README); the line number is exact whatever came before.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Program:
    name: str
    mode: str  # the option that reads the configuration and stops
    base: str  # lines that make a valid file (none may be the probe key)
    probe: str  # a key whose effective value the output shows
    value: str  # the file's value of probe
    other: str  # another valid value of probe
    shown: str  # output text for probe=VALUE ("{}" = the value)


PROGRAMS = [
    Program("fh", "--check-config",
            "line.a.iface=lo\nline.a.group=239.1.1.1\nline.a.port=5000\n",
            "transport", "kernel-blocking", "afxdp", "config ok: transport={}\n"),
    Program("gw", "--check-config", "ouch.user=TP\nouch.password.env=TP_PW\n",
            "ouch.port", "26611", "31337", "ouch=127.0.0.1:{} "),
    Program("strategy", "--check-config", "ouch.user=TP\nouch.password.env=TP_PW\n",
            "ouch.port", "26611", "31337", "ouch=127.0.0.1:{} "),
    Program("sim", "--print-config", "session=TEST1\n", "ouch.port", "26611", "31337",
            "\nouch.port={}\n"),
]
IDS = [p.name for p in PROGRAMS]


def run(p: Program, conf: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = Path(os.environ["TICKPATH_BINDIR"]) / f"tickpath-{p.name}"
    if not path.is_file():
        pytest.skip(f"{path} not built (make build, or set TICKPATH_BINDIR)")
    env = {k: v for k, v in os.environ.items() if "PASSWORD" not in k}
    return subprocess.run([str(path), "--config", str(conf), *args, p.mode],
                          capture_output=True, text=True, timeout=30, check=False, env=env)


def write(tmp_path: Path, data: bytes) -> Path:
    conf = tmp_path / "t.conf"
    conf.write_bytes(data)
    return conf


def comment(length: int, tail: str = "") -> str:
    """A comment line of `length` characters, then tail on the same line."""
    return "#" + "x" * (length - 1) + tail


@pytest.mark.parametrize("p", PROGRAMS, ids=IDS)
@pytest.mark.parametrize("length", [511, 1023, 4000])
def test_a_long_comment_stays_a_comment(p: Program, length: int, tmp_path: Path) -> None:
    # the reported case: with a 512-byte line buffer, the tail of a 511-character comment was
    # read as a line of its own, a live setting
    text = f"{p.base}{p.probe}={p.value}\n{comment(length, f'{p.probe}={p.other}')}\n"
    result = run(p, write(tmp_path, text.encode()))
    assert result.returncode == 0, result.stderr
    assert p.shown.format(p.value) in result.stdout


@pytest.mark.parametrize("p", PROGRAMS, ids=IDS)
def test_line_numbers_are_exact_after_a_long_line(p: Program, tmp_path: Path) -> None:
    text = f"{comment(511, 'more=1')}\n{p.probe}={p.value}\n{comment(2000)}\nnokey=1\n"
    conf = write(tmp_path, text.encode())
    result = run(p, conf)
    assert result.returncode == 2
    assert f"{conf}:4: unknown key 'nokey'" in result.stderr


@pytest.mark.parametrize("p", PROGRAMS, ids=IDS)
def test_an_overlong_line_is_refused(p: Program, tmp_path: Path) -> None:
    conf = write(tmp_path, f"{p.base}{comment(4097)}\n".encode())
    result = run(p, conf)
    assert result.returncode == 2
    line = p.base.count("\n") + 1
    assert f"{conf}:{line}: line longer than 4096 bytes" in result.stderr


@pytest.mark.parametrize("p", PROGRAMS, ids=IDS)
def test_a_nul_byte_is_refused(p: Program, tmp_path: Path) -> None:
    # the reported case: "ouch.port=123\0junk" was read as 123
    conf = write(tmp_path, f"{p.base}{p.probe}={p.value}\0junk\n".encode())
    result = run(p, conf)
    assert result.returncode == 2
    line = p.base.count("\n") + 1
    column = len(p.probe) + len(p.value) + 2
    assert f"{conf}:{line}: NUL byte (column {column})" in result.stderr


@pytest.mark.parametrize("p", PROGRAMS, ids=IDS)
def test_a_key_given_twice_is_refused(p: Program, tmp_path: Path) -> None:
    text = f"{p.probe}={p.value}\n{p.base}# {p.probe}={p.other}\n {p.probe} = {p.other}\n"
    conf = write(tmp_path, text.encode())
    result = run(p, conf)
    assert result.returncode == 2
    line = p.base.count("\n") + 3
    assert f"{conf}:{line}: duplicate key '{p.probe}' (first set on line 1)" in result.stderr


@pytest.mark.parametrize("p", PROGRAMS, ids=IDS)
def test_set_overrides_the_file(p: Program, tmp_path: Path) -> None:
    # documented: --set overrides the file's value, in order; not a duplicate
    conf = write(tmp_path, f"{p.base}{p.probe}={p.value}\r\n".encode())
    result = run(p, conf, "--set", f"{p.probe}={p.other}")
    assert result.returncode == 0, result.stderr
    assert p.shown.format(p.other) in result.stdout
    result = run(p, conf)
    assert result.returncode == 0, result.stderr
    assert p.shown.format(p.value) in result.stdout  # the CRLF line end is not in the value
