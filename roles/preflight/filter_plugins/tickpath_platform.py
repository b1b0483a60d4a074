"""Platform filters for tickpath: which OS the roles are tested on, and which vars/ file a role
loads for a host.

Filters:
  tickpath_platform_check(facts, tested, allow_untested)
      -> {"ok": bool, "tested": bool, "platform": "Debian 12.7", "message": str}
      ok is false for an OS not in `tested` unless allow_untested; the message names the OS,
      the tested platforms and the opt-in variable.
  tickpath_platform_files(facts)
      -> ["<distribution>_<version>.yml", "<distribution>_<major>.yml", "<distribution>.yml",
          "<os_family>.yml", "default.yml"], most specific first, without repeats (and without a
          version name where the facts have no version, or one with a "/"): the order a role's tasks/set_vars.yml
          hands to the first_found lookup over its vars/ directory.

`facts` is ansible_facts (keys without the ansible_ prefix). `tested` is a list of
{distribution, major_version} (roles/preflight/vars/main.yml, the one list of tested platforms).

This file is the single implementation; roles that load per-platform vars link here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

ALLOW_VAR = "tickpath_allow_untested_os"


class PlatformError(ValueError):
    """Facts or the tested-platform list are not what the filters need."""


def _fact(facts: Any, key: str, *, required: bool = True) -> str:
    """ansible_facts[key] as text; "" for an absent optional one (a rolling release has no
    version)."""
    if not isinstance(facts, Mapping):
        raise PlatformError(f"expected ansible_facts (a mapping), got {type(facts).__name__}")
    value = facts.get(key)
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise PlatformError(f"ansible_facts.{key} is missing: gather facts (min subset) first")
    return text


def _tested(tested: Any) -> list[tuple[str, str]]:
    if not isinstance(tested, Sequence) or isinstance(tested, (str, bytes)):
        raise PlatformError(f"tested platforms: expected a list, got {type(tested).__name__}")
    out: list[tuple[str, str]] = []
    for i, entry in enumerate(tested):
        if not isinstance(entry, Mapping) or set(entry) != {"distribution", "major_version"}:
            raise PlatformError(
                f"tested platforms[{i}]: expected {{distribution, major_version}}, got {entry!r}"
            )
        out.append((str(entry["distribution"]), str(entry["major_version"])))
    if not out:
        raise PlatformError("tested platforms: empty list")
    return out


def platform_name(facts: Any) -> str:
    """ "<distribution> <distribution_version>", e.g. "Debian 12.7" or "Rocky 9.3"."""
    version = _fact(facts, "distribution_version", required=False)
    return f"{_fact(facts, 'distribution')} {version}".rstrip()


def tickpath_platform_check(facts: Any, tested: Any, allow_untested: Any = False) -> dict[str, Any]:
    platforms = _tested(tested)
    if not isinstance(allow_untested, bool):
        raise PlatformError(f"{ALLOW_VAR}: expected a boolean, got {allow_untested!r}")
    name = platform_name(facts)
    here = (_fact(facts, "distribution"), _fact(facts, "distribution_major_version", required=False))
    listed = ", ".join(f"{d} {v}" for d, v in platforms)
    if here in platforms:
        return {"ok": True, "tested": True, "platform": name, "message": f"{name}: a tested platform"}
    refusal = f"{name} is not a platform tickpath is tested on (tested: {listed})"
    if allow_untested:
        return {
            "ok": True,
            "tested": False,
            "platform": name,
            "message": f"{refusal}; {ALLOW_VAR} is true: continuing untested",
        }
    return {
        "ok": False,
        "tested": False,
        "platform": name,
        "message": f"{refusal}; set {ALLOW_VAR}: true to try anyway",
    }


def tickpath_platform_files(facts: Any) -> list[str]:
    distribution = _fact(facts, "distribution")
    versions = [
        _fact(facts, "distribution_version", required=False),
        _fact(facts, "distribution_major_version", required=False),
    ]
    candidates = [f"{distribution}_{v}.yml" for v in versions if v]
    candidates += [f"{distribution}.yml", f"{_fact(facts, 'os_family')}.yml", "default.yml"]
    out: list[str] = []
    for name in candidates:
        # a version such as "trixie/sid" names no file (and must not name a path)
        if "/" not in name and name not in out:
            out.append(name)
    return out


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "tickpath_platform_check": tickpath_platform_check,
            "tickpath_platform_files": tickpath_platform_files,
        }
