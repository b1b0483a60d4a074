"""Load a Python file that is not in a package (an Ansible filter plugin, a script a role ships)
as a module, so a test can call its functions."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_file(name: str, path: Path, *, register: bool = False) -> ModuleType:
    """The module in `path` under `name`; `register` puts it in sys.modules first (needed when
    it defines dataclasses, which look their module up while being created)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
