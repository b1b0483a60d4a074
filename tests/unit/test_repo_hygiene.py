"""The checkout holds only what belongs to it: no stray files from a mistyped command, and no
code comment that points at an issue number (a comment says why, the history says when)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
CODE = (".c", ".h", ".py", ".yml", ".yaml", ".sh", ".j2", ".build", ".toml", ".cfg")


def tracked() -> list[str]:
    proc = subprocess.run(["git", "-C", str(TOP), "ls-files"], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        pytest.skip("not a git checkout")
    return proc.stdout.splitlines()


def test_no_stray_files_at_the_top() -> None:
    # a file named like an option ('-timeout=10x') is what a mistyped command leaves behind
    stray = [f for f in tracked() if f.startswith("-") or "/-" in f]
    assert not stray, f"stray files tracked: {stray}"


def test_no_issue_numbers_in_code_comments() -> None:
    pattern = re.compile(r"\(issue \d+\)|\bissue \d+\)")
    hits = []
    for name in tracked():
        if not name.endswith(CODE) or name.startswith("tests/unit/test_repo_hygiene"):
            continue
        path = TOP / name
        if not path.is_file():
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{name}:{n}: {line.strip()}")
    assert not hits, "comments citing issue numbers:\n" + "\n".join(hits)


def test_make_unit_needs_no_lab() -> None:
    """`make unit`, the quick loop, runs pytest without the lab or namespaces (make pytest needs both)."""
    proc = subprocess.run(["make", "-C", str(TOP), "-n", "unit"], capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    runs = [line for line in proc.stdout.splitlines() if line.startswith("pytest")]
    assert runs and all('-m "not lab and not netns"' in r for r in runs)
    assert "lab.yml" not in proc.stdout and "site.yml" not in proc.stdout
