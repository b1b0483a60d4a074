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
from tickpath.cli import main
from tickpath.config import validate_text
from tickpath.config.safeyaml import MAX_BYTES, MAX_DEPTH, MAX_NODES
from tickpath.config.validate import MAX_LISTED, ConfigError, Issue

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "app" / "tickpath" / "config" / "examples" / "lab.yaml"

# "billion laughs": 342 bytes that PyYAML expands into 9^9 strings.
BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


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


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """Run `tickpath config check PATH --no-host-checks` in-process: (exit status, stderr lines)."""
    rc = main(["config", "check", str(path), "--no-host-checks"])
    captured = capsys.readouterr()
    assert captured.out == "" or rc == 0
    return rc, captured.err.splitlines()


def one_error(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The single error line of a refused file (then the count line)."""
    rc, err = check(path, capsys)
    assert rc == 2
    assert err[1:] == [f"{path}: 1 error"], err
    return err[0]


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


# --- anchors and aliases --------------------------------------------------------------------


def test_alias_bomb_is_refused_at_its_first_anchor(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    proc = run_cli("config", "check", str(bomb), "--no-host-checks")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.splitlines() == [
        f"{bomb}:1: a: anchor &a: anchors and aliases are not allowed in a tickpath config "
        "(column 4)",
        f"{bomb}: 1 error",
    ]
    assert proc.stdout == ""


def test_render_refuses_the_bomb_and_writes_nothing(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    out = tmp_path / "out"
    proc = run_cli("config", "render", str(bomb), "--out", str(out), "--no-host-checks")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "anchors and aliases are not allowed" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_an_alias_is_refused_with_its_key_path_and_line() -> None:
    text = good_text().replace("  session: TPLAB00001", "  session: *session")
    _, issues = validate_text(text, None)
    assert [(i.path, i.line) for i in issues] == [("feed.session", line_of(text, "  session: *session"))]
    assert issues[0].message.startswith("alias *session: anchors and aliases are not allowed")


def test_an_anchor_alone_is_refused_too() -> None:
    text = good_text().replace("ring:\n", "ring: &ring\n")
    _, issues = validate_text(text, None)
    assert [(i.path, i.line) for i in issues] == [("ring", line_of(text, "ring: &ring"))]
    assert issues[0].message.startswith("anchor &ring: anchors and aliases are not allowed")


# --- characters and encoding ----------------------------------------------------------------


def test_nul_byte_names_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"version: 1\nfeed:\n  session: a\x00b\n")
    assert one_error(path, capsys) == (
        f"{path}:3: a NUL character (U+0000) at column 13 is not allowed in YAML "
        "(only printable characters, tabs and line breaks are)"
    )


@pytest.mark.parametrize(("char", "code"), [("\x1b", "001B"), ("\x7f", "007F"), ("\x80", "0080")])
def test_control_characters_are_refused(char: str, code: str) -> None:
    _, issues = validate_text(f"version: 1\n# ok\nshm: {{name: x{char}}}\n", None)
    assert [(i.line, i.message) for i in issues] == [
        (3, f"character U+{code} at column 14 is not allowed in YAML (only printable "
            "characters, tabs and line breaks are)")
    ]


def test_tabs_and_crlf_line_ends_are_fine() -> None:
    text = good_text().replace("version: 1\n", "version: 1\n# a\tcomment with a tab\n")
    text = text.replace("\n", "\r\n")
    cfg, issues = validate_text(text, None)
    assert cfg is not None, issues


def test_not_utf8_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"version: 1\nfeed:\n  session: caf\xe9\n")
    assert one_error(path, capsys) == (
        f"{path}:3: not UTF-8 text: byte 0xe9 at byte 15 of the line cannot be decoded "
        "(a tickpath config is UTF-8)"
    )


# --- size ------------------------------------------------------------------------------------


def test_a_10mb_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    text = "version: 1\nfeed: {session: " + "A" * 10_000_000 + "}\n"
    path.write_text(text)
    proc = run_cli("config", "check", str(path), "--no-host-checks")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"{path}: the file is {len(text)} bytes: a tickpath config has at most "
        f"{MAX_BYTES} bytes (1 MiB); nothing was parsed",
        f"{path}: 1 error",
    ]


def test_an_endless_file_is_read_only_to_the_limit() -> None:
    proc = run_cli("config", "check", "/dev/zero", "--no-host-checks")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.splitlines() == [
        f"/dev/zero: the file is larger than {MAX_BYTES} bytes: a tickpath config has at most "
        f"{MAX_BYTES} bytes (1 MiB); nothing was parsed",
        "/dev/zero: 1 error",
    ]


def test_size_limit_is_exact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = good_text()
    padded = good + "#" + "x" * (MAX_BYTES - len(good) - 2) + "\n"
    assert len(padded.encode()) == MAX_BYTES
    path = tmp_path / "limit.yaml"
    path.write_text(padded)
    assert check(path, capsys)[0] == 0
    path.write_text(padded + "\n")
    assert f"the file is {MAX_BYTES + 1} bytes: a tickpath config has at most" in one_error(
        path, capsys
    )
    # validate_text (no file) applies the same limit
    _, issues = validate_text(padded + "\n", None)
    assert issues[0].message.startswith(f"the file is {MAX_BYTES + 1} bytes")


def test_too_many_nodes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "nodes.yaml"
    path.write_text("version: 1\nfeed:\n  lines: [" + "0, " * 20_000 + "0]\n")
    error = one_error(path, capsys)
    assert error.startswith(f"{path}:3: feed.lines[")
    assert f"more than {MAX_NODES} YAML nodes" in error


# --- nesting ---------------------------------------------------------------------------------


def test_deep_nesting_is_refused_with_path_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("version: 1\nx: " + "[" * 5000 + "]" * 5000 + "\n")
    error = one_error(path, capsys)
    assert error == (
        f"{path}:2: x{'[0]' * (MAX_DEPTH - 1)}: nested more than {MAX_DEPTH} levels deep "
        f"(column {3 + MAX_DEPTH})"
    )


def test_deep_block_mappings_are_refused_too() -> None:
    text = "".join("  " * i + "k:\n" for i in range(100))
    _, issues = validate_text(text, None)
    assert [i.line for i in issues] == [MAX_DEPTH + 1]
    assert issues[0].message.startswith(f"nested more than {MAX_DEPTH} levels deep")
    assert len(issues[0].path) <= 210


def test_nesting_up_to_the_limit_is_composed() -> None:
    # the top-level mapping and MAX_DEPTH - 1 lists: refused by the schema, not by the loader
    deepest = "x: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    _, issues = validate_text(deepest, None)
    assert "version" in [i.path for i in issues]
    _, issues = validate_text(deepest.replace("[", "[[", 1).replace("]", "]]", 1), None)
    assert [i.message.split(" (")[0] for i in issues] == [f"nested more than {MAX_DEPTH} levels deep"]


# --- values YAML cannot convert, odd keys ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1" * 5000, f"not a valid YAML int: '{'1' * 79}... (5000 bytes) (column 10)"),
        ("2001-02-30", "not a valid YAML timestamp: '2001-02-30' (column 10)"),
        ("!!float abc", "not a valid YAML float: 'abc' (column 10)"),
        ("!!int 0x", "not a valid YAML int: '0x' (column 10)"),
    ],
)
def test_scalar_yaml_cannot_convert(value: str, message: str) -> None:
    _, issues = validate_text(f"# a comment\nversion: {value}\n", None)
    assert [(i.line, i.message) for i in issues] == [(2, message)]


def test_a_mapping_as_key_is_refused() -> None:
    _, issues = validate_text("version: 1\n? [a, b]\n: 1\n", None)
    assert [(i.path, i.line, i.message) for i in issues] == [
        ("", 2, "a key must be a scalar, not a mapping or list")
    ]


def test_long_and_control_character_keys_are_shown_bounded() -> None:
    # (PyYAML takes plain keys of up to 1024 characters)
    _, issues = validate_text(f"version: 1\n{'K' * 1000}: 1\n\"\\e[2J\": 2\n", None)
    paths = [i.path for i in issues if i.message.startswith("unknown key")]
    assert paths == [f"{'K' * 80}... (1000 bytes)", "'\\x1b[2J'"]


def test_long_tag_in_a_syntax_error_is_cut() -> None:
    _, issues = validate_text(f"version: !<{'x' * 5000}> 1\n", None)
    (issue,) = issues
    assert issue.message.startswith("YAML syntax error: could not determine a constructor")
    assert issue.message.endswith(" bytes)") and len(issue.message) < 250


def test_two_documents_say_so() -> None:
    _, issues = validate_text("version: 1\n---\nversion: 1\n", None)
    assert [(i.line, i.message) for i in issues] == [
        (2, "YAML syntax error: expected a single document in the stream, but found another "
            "document")
    ]


# --- every error path of the CLI: exit 2, a short message ------------------------------------


def _unreadable(tmp_path: Path, kind: str) -> tuple[Path, str]:
    path = tmp_path / f"{kind}.yaml"
    if kind == "missing":
        return path, f"{path}: cannot read: No such file or directory"
    if kind == "directory":
        path.mkdir()
        return path, f"{path}: cannot read: Is a directory"
    text, message = {
        "empty": ("", "the file is empty"),
        "comments-only": ("# nothing here\n\n", "the file is empty"),
        "list": ("- version: 1\n", "1: the top level must be a mapping of keys"),
        "scalar": ("tickpath\n", "1: the top level must be a mapping of keys"),
    }[kind]
    path.write_text(text)
    return path, f"{path}:{message}" if message[0].isdigit() else f"{path}: {message}"


@pytest.mark.parametrize("command", ["check", "render"])
@pytest.mark.parametrize(
    "kind", ["missing", "directory", "empty", "comments-only", "list", "scalar"]
)
def test_every_unusable_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, kind: str
) -> None:
    path, expected = _unreadable(tmp_path, kind)
    out = tmp_path / "out"
    extra = ["--out", str(out)] if command == "render" else []
    rc = main(["config", command, str(path), "--no-host-checks", *extra])
    err = capsys.readouterr().err.splitlines()
    assert rc == 2
    assert err[:2] == [expected, f"{path}: 1 error"]
    assert err[2:] == (["nothing rendered"] if command == "render" else [])
    assert not out.exists()


def test_many_errors_fit_one_screen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(good_text() + "".join(f"extra{i}: 1\n" for i in range(500)))
    rc, err = check(path, capsys)
    assert rc == 2
    assert len(err) == 22, err
    assert err[0].startswith(f"{path}:")
    assert "extra0: unknown key" in err[0]
    assert err[-2:] == ["... and 480 more", f"{path}: 500 errors"]


def test_a_config_error_message_lists_at_most_a_screenful() -> None:
    issues = [Issue(f"key{i}", "unknown key", i + 1) for i in range(MAX_LISTED + 5)]
    lines = str(ConfigError(issues, "c.yaml")).splitlines()
    assert lines[0] == "c.yaml:1: key0: unknown key"
    assert lines[MAX_LISTED - 1] == f"c.yaml:{MAX_LISTED}: key{MAX_LISTED - 1}: unknown key"
    assert lines[MAX_LISTED:] == ["... and 5 more"]
