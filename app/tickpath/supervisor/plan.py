"""From the YAML config to a launch plan: program, key=value file, cores.

The trading components (fh, gw, strategy) are configured by the data-path config validated and
rendered by `tickpath.config` (schema and key=value reference: app/tickpath/config/README.md):
the plan's key=value file is exactly what `tickpath config render` writes, and its cores are the
component's stages (fh: rx, book, publish; gw: gateway; strategy: strategy).

The lab component (sim) is not part of that schema; its file holds a small
`components:` section, validated here with the same discipline (a bad config raises ConfigError
naming the key and changes nothing):

    version: 1
    components:
      sim:
        cpus: "1"            # cpulist the C program is pinned to (default: not pinned)
        settings:            # scalars or lists of scalars, written as key=value into sim.conf
          line_a.addr: 239.100.1.1   # (the program's own keys: src/sim/README.md)
        credentials:         # setting -> systemd credential name: the setting's value is the
          ouch.credentials: ouch-credentials  # path $CREDENTIALS_DIRECTORY/NAME (LoadCredential=)
        args: []             # extra command-line arguments for the C program

Scheduling priority is not part of either file: it is a property of the unit that starts the
program (`tickpath run --rt-priority N`).

The key=value file is what the C program reads (`tickpath-fh --config /run/tickpath/fh.conf`):
one `key=value` per line, `#` comments, values without newlines.

Secrets never pass through the plan, the key=value file or the command line, only where they
are: a systemd credential (the unit's `LoadCredential=NAME:/path`; systemd copies the file to
a private `$CREDENTIALS_DIRECTORY/NAME` for that unit alone), a file or an environment variable.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tickpath.config.safeyaml import Refused, read_text
from tickpath.config.validate import parse_yaml
from tickpath.cpulist import CpuListError, format_cpulist, parse_cpulist
from tickpath.supervisor.components import Component, component

_KEY = re.compile(r"^[a-z][a-z0-9_.]*$")
#: systemd credential names (the same rule as tickpath.config's gateway.password.credential).
_CREDENTIAL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
#: Set by systemd for a unit with LoadCredential=: the directory holding its credentials.
CREDENTIALS_ENV = "CREDENTIALS_DIRECTORY"


class ConfigError(ValueError):
    """The YAML config is missing, unreadable or invalid; the message says where and why."""


@dataclass(frozen=True)
class LaunchPlan:
    """Everything the supervisor needs to start one component."""

    component: Component
    conf_text: str
    cpus: frozenset[int] = field(default_factory=frozenset)
    extra_args: tuple[str, ...] = ()
    #: Where the C program reads the OUCH password: ("credential", NAME), ("file", PATH) or
    #: ("env", VARIABLE); the secret itself is never in the plan, the key=value file or the
    #: command line.
    password: tuple[str, str] | None = None
    #: Lab components: (setting, credential NAME) pairs; the setting is the path
    #: $CREDENTIALS_DIRECTORY/NAME in the key=value file (left out while it is not known).
    credentials: tuple[tuple[str, str], ...] = ()

    def conf_path(self, run_dir: Path) -> Path:
        return run_dir / self.component.conf_name


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise ConfigError(f"{where}: key {key!r} is not a string")
    return value


def _cpus(value: Any, where: str) -> frozenset[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ConfigError(f'{where}: expected a cpulist string such as "1-3"')
    try:
        return parse_cpulist(value, source=where)
    except CpuListError as exc:
        raise ConfigError(str(exc)) from None


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        if "\n" in value or "\r" in value:
            raise ConfigError(f"{where}: value contains a newline")
        # the C programs' key=value reader (app/src/common/kvfile.h) refuses a NUL and, for
        # tickpath-gw/-strategy/-sim, takes '#' as the start of a comment: refuse both here
        # rather than have the value cut silently
        if "\0" in value or "#" in value:
            raise ConfigError(f"{where}: value contains {'a NUL' if chr(0) in value else chr(35)!r}"
                              ", which the C programs' key=value files cannot carry")
        return value
    if isinstance(value, list):
        return ",".join(_scalar(v, where) for v in value)
    kind = type(value).__name__
    raise ConfigError(f"{where}: expected a scalar or a list of scalars, got {kind}")


def read_yaml(path: Path) -> Mapping[str, Any]:
    """Read and parse the YAML file within the config loader's limits (size, characters,
    no anchors or aliases, depth, node count: tickpath.config.safeyaml); raise ConfigError
    naming the line on any problem."""
    try:
        text = read_text(path)
    except Refused as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise ConfigError(f"{where}: {exc.message}") from None
    data, _, issues = parse_yaml(text)
    if issues:
        first = issues[0]
        where = f"{path}:{first.line}" if first.line else str(path)
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        raise ConfigError(f"{where}: {first.path + ': ' if first.path else ''}"
                          f"{first.message}{more}")
    return _mapping(data, str(path))


def online_cpus() -> frozenset[int]:
    """CPUs the kernel has online (falls back to this process's affinity)."""
    try:
        return parse_cpulist(Path("/sys/devices/system/cpu/online").read_text(), source="online")
    except (OSError, CpuListError):
        return frozenset(os.sched_getaffinity(0))


def plan_from_mapping(
    data: Mapping[str, Any],
    name: str,
    *,
    source: str = "config",
    credentials_dir: str | None = None,
) -> LaunchPlan:
    """Validate the lab-component schema above and build the launch plan of component `name`.
    credentials_dir: $CREDENTIALS_DIRECTORY of the unit (None: credential settings are left out
    of the key=value file; password_problem() says why the program could not start)."""
    comp = component(name)
    version = data.get("version", 1)
    if version != 1:
        raise ConfigError(f"{source}: version: {version!r} is not supported (expected 1)")
    components = _mapping(data.get("components", {}), f"{source}: components")
    if name not in components:
        raise ConfigError(f"{source}: components.{name}: missing (component not configured)")
    where = f"{source}: components.{name}"
    section = _mapping(components[name] or {}, where)
    unknown = set(section) - {"cpus", "settings", "credentials", "args"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    cpus = _cpus(section["cpus"], f"{where}.cpus") if "cpus" in section else frozenset()
    _check_online(cpus, f"{where}.cpus")
    args = section.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise ConfigError(f"{where}.args: expected a list of strings")
    settings = _mapping(section.get("settings", {}) or {}, f"{where}.settings")
    values: dict[str, str] = {}
    for key, value in settings.items():
        if not _KEY.match(key):
            raise ConfigError(f"{where}.settings: key {key!r} must match {_KEY.pattern}")
        values[key] = _scalar(value, f"{where}.settings.{key}")
    credentials = _mapping(section.get("credentials", {}) or {}, f"{where}.credentials")
    for key, cred in credentials.items():
        if not _KEY.match(key):
            raise ConfigError(f"{where}.credentials: key {key!r} must match {_KEY.pattern}")
        if key in values:
            raise ConfigError(f"{where}.credentials.{key}: also given in settings (give one)")
        if not isinstance(cred, str) or not _CREDENTIAL.match(cred):
            raise ConfigError(
                f"{where}.credentials.{key}: {cred!r} is not a credential name "
                f"(1-64 of A-Z a-z 0-9 _ . -, not starting with . or -)"
            )
        if credentials_dir:
            values[key] = _scalar(f"{credentials_dir}/{cred}", f"{where}.credentials.{key}")
    lines = [f"# {comp.conf_name}: rendered by tickpath run from {Path(source).name}; do not edit"]
    lines += [f"{k}={values[k]}" for k in sorted(values)]
    return LaunchPlan(
        comp, "\n".join(lines) + "\n", cpus, tuple(args),
        credentials=tuple(sorted(credentials.items())),
    )


def _check_online(cpus: frozenset[int], where: str) -> None:
    offline = cpus - online_cpus()
    if offline:
        raise ConfigError(f"{where}: CPU(s) {format_cpulist(offline)} are not online")


#: Stages of the data-path config each trading component runs (tickpath.config.STAGES);
#: tickpath-strategy runs the gateway thread too.
TRADING_STAGES: dict[str, tuple[str, ...]] = {
    "fh": ("rx", "book", "publish"),
    "gw": ("gateway",),
    "strategy": ("strategy", "gateway"),
}


def trading_plan(path: Path, name: str) -> LaunchPlan:
    """Plan of fh, gw or strategy from the data-path config (validated by tickpath.config)."""
    from tickpath import config as tpconfig  # pydantic import only for trading components

    comp = component(name)
    try:
        cfg = tpconfig.load_config(path, None)
    except tpconfig.ConfigError as exc:
        raise ConfigError("; ".join(i.render(str(path)) for i in exc.issues)) from None
    stage_cpus = cfg.stage_cpus()
    cpus = frozenset(stage_cpus[s] for s in TRADING_STAGES[name] if s in stage_cpus)
    _check_online(cpus, f"{path}: cpus")
    text = tpconfig.render(cfg, str(path))[comp.conf_name]
    password = None
    if name in ("gw", "strategy"):
        ref = cfg.gateway.password
        if ref.credential is not None:
            password = ("credential", ref.credential)
        elif ref.env is not None:
            password = ("env", ref.env)
        else:
            password = ("file", str(ref.file))
    return LaunchPlan(comp, text, cpus, password=password)


def _file_problem(label: str, path: str) -> str | None:
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"{label}: {path}: {exc.strerror}"
    if not stat.S_ISREG(st.st_mode):
        return f"{label}: {path}: not a regular file"
    if st.st_mode & 0o077:
        return (
            f"{label}: {path}: mode {st.st_mode & 0o777:03o} is readable by "
            "group/others; chmod 600 it"
        )
    if not os.access(path, os.R_OK):
        return f"{label}: {path}: not readable by this user"
    return None


def _credential_problem(label: str, name: str, environ: Mapping[str, str]) -> str | None:
    directory = environ.get(CREDENTIALS_ENV, "")
    if not directory.startswith("/"):
        return (
            f"{label}: credential {name}: ${CREDENTIALS_ENV} is not set: systemd passes it to "
            f"a unit with LoadCredential={name}:/path (the deploy role's units have it); "
            "started by hand, use a file instead"
        )
    return _file_problem(f"{label}: credential {name}", f"{directory}/{name}")


def password_problem(plan: LaunchPlan, environ: Mapping[str, str]) -> str | None:
    """Why the C program would not find its password or credentials (None: it will). Checked
    before starting it, so a missing secret is one clear error instead of a restart loop. Never
    reads or prints the secret."""
    for setting, name in plan.credentials:
        where = f"components.{plan.component.name}.credentials.{setting}"
        problem = _credential_problem(where, name, environ)
        if problem:
            return problem
    if plan.password is None:
        return None
    kind, where = plan.password
    if kind == "env":
        if not environ.get(where):
            return (
                f"gateway.password.env: environment variable {where} is not set (it holds the "
                "password)"
            )
        return None
    if kind == "credential":
        return _credential_problem("gateway.password.credential", where, environ)
    return _file_problem("gateway.password.file", where)


def load_plan(path: Path, name: str, credentials_dir: str | None = None) -> LaunchPlan:
    """Load the YAML config at `path` and build the launch plan of component `name`
    (credentials_dir: the unit's $CREDENTIALS_DIRECTORY, if any)."""
    component(name)
    if name in TRADING_STAGES:
        return trading_plan(path, name)
    return plan_from_mapping(
        read_yaml(path), name, source=str(path), credentials_dir=credentials_dir
    )


def write_conf(plan: LaunchPlan, run_dir: Path) -> Path:
    """Write the key=value file atomically (temp file + rename) and return its path."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{run_dir}: cannot create run directory: {exc.strerror}") from None
    target = plan.conf_path(run_dir)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        os.fchmod(fd, 0o640)  # whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(plan.conf_text)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"{target}: cannot write: {exc.strerror}") from None
    return target
