"""The core plan of `tickpath layout` for a managed host, computed on the controller.

Filter:
  tickpath_layout_from_sysfs(tree, feed) -> Layout.ansible_vars() of the host, plus
      tickpath_layout_nic_node (int) and tickpath_layout_notes (list of str)

`tree` is what roles/preflight/files/tickpath-sysfs-read.py printed on the host (the JSON text
or the parsed mapping): {"files": {path: content}, "links": {path: target}, "dirs": [path]},
paths relative to the host's sysfs root. The tree is rebuilt in a temporary directory and read
with `tickpath.topology.read_topology(root=tmp, nics=feed)`, then planned with `propose()`: the
very code `tickpath layout --nic IF ...` runs on the host itself, so both give the same answer.

The `tickpath` package (app/tickpath) must be importable by the Python that runs Ansible. As
roles/drift_check does (PYTHONPATH=<repo>/app), a repository checkout's app/ directory is used
when the package is not installed; otherwise the filter fails with what to install.

Any exception raised here becomes the task's failure message (Ansible wraps filter errors).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tickpath.topology import Layout

KEY = "tickpath_host_profile.cpus: auto"
#: app/ of the checkout holding this role (roles/preflight/filter_plugins/ -> ../../../app).
APP_DIR = Path(os.path.realpath(__file__)).parents[3] / "app"
#: Larger trees than this are not a sysfs extract (a 1024-CPU host is well under 1 MB).
MAX_CHARS = 16 * 1024 * 1024


class LayoutFilterError(ValueError):
    """The host's sysfs extract cannot be planned; the message says why."""


def _require_tickpath() -> None:
    """Make `tickpath` importable (installed, or this checkout's app/), or say what is missing."""
    try:
        importlib.import_module("tickpath.topology")
    except ImportError:
        if (APP_DIR / "tickpath" / "topology").is_dir() and str(APP_DIR) not in sys.path:
            sys.path.append(str(APP_DIR))
        try:
            importlib.import_module("tickpath.topology")
        except ImportError as exc:
            raise LayoutFilterError(
                f"{KEY} needs the tickpath package on the controller, and the Python running "
                f"Ansible ({sys.executable}) cannot import it ({exc}); run Ansible from the "
                f"repository's .venv (make deps) or `pip install -e app` into that Python"
            ) from exc


def _rel(path: Any, what: str) -> PurePosixPath:
    if not isinstance(path, str) or not path:
        raise LayoutFilterError(f"{KEY}: sysfs extract: {what} {path!r} is not a path")
    pure = PurePosixPath(path)
    if pure.is_absolute() or any(p in ("..", ".") for p in pure.parts) or "\\" in path:
        raise LayoutFilterError(
            f"{KEY}: sysfs extract: {what} {path!r} is not a plain path under the sysfs root"
        )
    return pure


def _tree(value: Any) -> tuple[dict[str, str], dict[str, str], list[str]]:
    if isinstance(value, str):
        if len(value) > MAX_CHARS:
            raise LayoutFilterError(f"{KEY}: sysfs extract is over {MAX_CHARS} characters")
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise LayoutFilterError(f"{KEY}: sysfs extract is not JSON: {exc}") from None
    if not isinstance(value, Mapping) or set(value) - {"files", "links", "dirs"}:
        raise LayoutFilterError(
            f"{KEY}: sysfs extract must be a mapping with files, links and dirs "
            f"(tickpath-sysfs-read.py output), got {type(value).__name__}"
        )
    files = value.get("files", {})
    links = value.get("links", {})
    dirs = value.get("dirs", [])
    if not isinstance(files, Mapping) or not all(isinstance(v, str) for v in files.values()):
        raise LayoutFilterError(f"{KEY}: sysfs extract: files must map paths to text")
    if not isinstance(links, Mapping) or not isinstance(dirs, list):
        raise LayoutFilterError(f"{KEY}: sysfs extract: links must be a mapping, dirs a list")
    return dict(files), dict(links), list(dirs)


def rebuild(value: Any, root: Path) -> None:
    """Write the extract `value` as a directory tree under `root` (an empty directory)."""
    files, links, dirs = _tree(value)
    for path in dirs:
        (root / _rel(path, "dir")).mkdir(parents=True, exist_ok=True)
    for target in links.values():
        (root / _rel(target, "link target")).mkdir(parents=True, exist_ok=True)
    for path, content in files.items():
        dest = root / _rel(path, "file")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(content, encoding="utf-8")
    # Links last and shortest first: class/net/IF before the device link inside its target.
    for path, target in sorted(links.items(), key=lambda kv: len(_rel(kv[0], "link").parts)):
        link = root / _rel(path, "link")
        if link.is_symlink() or link.exists():
            raise LayoutFilterError(f"{KEY}: sysfs extract: link {path!r} is also a file or dir")
        link.parent.mkdir(parents=True, exist_ok=True)
        dest = root / _rel(target, "link target")
        link.symlink_to(os.path.relpath(dest, link.parent), target_is_directory=True)


def _feed(feed: Any) -> tuple[str, ...]:
    if isinstance(feed, str) or not isinstance(feed, list | tuple):
        raise LayoutFilterError(f"{KEY}: feed must be a list of interface names, got {feed!r}")
    names = tuple(feed)
    if not all(isinstance(n, str) and n for n in names):
        raise LayoutFilterError(f"{KEY}: feed must be a list of interface names, got {feed!r}")
    if len(set(names)) != len(names):
        raise LayoutFilterError(f"{KEY}: feed lists an interface twice: {', '.join(names)}")
    return names


def layout_vars(layout: Layout) -> dict[str, Any]:
    """Layout.ansible_vars() plus the NIC node and the notes (what the role prints)."""
    out = layout.ansible_vars()
    out["tickpath_layout_nic_node"] = layout.nic_node
    out["tickpath_layout_notes"] = list(layout.notes)
    return out


def tickpath_layout_from_sysfs(tree: Any, feed: Any = ()) -> dict[str, Any]:
    """The `tickpath layout` plan of the host whose sysfs extract is `tree`."""
    _require_tickpath()
    from tickpath.topology import TopologyError, propose, read_topology

    nics = _feed(feed)
    with tempfile.TemporaryDirectory(prefix="tickpath-sysfs-") as tmp:
        root = Path(tmp) / "sys"
        root.mkdir()
        rebuild(tree, root)
        try:
            layout = propose(read_topology(root=root, nics=nics), nics)
        except (TopologyError, ValueError) as exc:
            text = str(exc).replace(str(root), "/sys")
            raise LayoutFilterError(f"{KEY}: cannot plan this host: {text}") from None
    return layout_vars(layout)


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"tickpath_layout_from_sysfs": tickpath_layout_from_sysfs}
