"""Kernel command line filters for roles/reboot: does the booted cmdline differ from the rendered one?

Only *managed* keys are compared: the keys tickpath owns on the command line (the list
roles/cpu_partitioning writes to /etc/tickpath/boot-args.managed) plus the key of every
rendered argument. Everything else in /proc/cmdline (root=, console=, BOOT_IMAGE=, ...) belongs
to the distribution or the operator and is ignored.

Per managed key, the booted arguments and the rendered arguments are compared as sets of whole
arguments ("key" or "key=value"; duplicates and order do not count):

  missing     rendered, and the booted cmdline has no argument with that key
  unexpected  booted, and nothing with that key is rendered (e.g. idle=poll removed from the profile)
  changed     both sides have the key, with different arguments (e.g. isolcpus=1-5 -> isolcpus=1-3)

Splitting follows the kernel (lib/cmdline.c next_arg): whitespace separates arguments except
inside double quotes, and a lone "--" ends the kernel's arguments (the rest goes to init).
Keys are compared exactly as written (the kernel's dash/underscore equivalence applies to module
parameters only, so it is not assumed here).

Filters:
  bootargs_split(text_or_list) -> list of arguments
  bootargs_key(arg)            -> the key of one argument ("isolcpus=1-3" -> "isolcpus")
  bootargs_diff(booted, rendered, managed=()) -> dict, see BootArgsDiff
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypedDict


class ChangedArg(TypedDict):
    key: str
    booted: list[str]
    rendered: list[str]


class BootArgsDiff(TypedDict):
    differs: bool
    missing: list[str]
    unexpected: list[str]
    changed: list[ChangedArg]
    differences: list[str]
    managed_keys: list[str]
    booted_managed: list[str]


def _split_text(text: str) -> list[str]:
    args: list[str] = []
    current: list[str] = []
    in_quote = False
    for char in text:
        if char == '"':
            in_quote = not in_quote
            current.append(char)
        elif char.isspace() and not in_quote:
            if current:
                args.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        args.append("".join(current))
    if "--" in args:
        args = args[: args.index("--")]
    return args


def bootargs_split(value: Any) -> list[str]:
    """Split a command line (str) or flatten a list of strings into arguments."""
    if value is None:
        return []
    if isinstance(value, str):
        return _split_text(value)
    if isinstance(value, Iterable):
        args: list[str] = []
        for item in value:
            if not isinstance(item, str):
                raise ValueError(f"boot argument must be a string, got {item!r}")
            args.extend(_split_text(item))
        return args
    raise ValueError(f"expected a command line string or a list of arguments, got {value!r}")


def bootargs_key(arg: str) -> str:
    """The parameter name of one argument: the text before the first "=", quotes removed."""
    return arg.split("=", 1)[0].strip('"')


def _unique(args: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for arg in args:
        seen.setdefault(arg, None)
    return list(seen)


def bootargs_diff(booted: Any, rendered: Any, managed: Any = ()) -> BootArgsDiff:
    """Compare the booted command line with the rendered arguments on the managed keys."""
    booted_args = _unique(bootargs_split(booted))
    rendered_args = _unique(bootargs_split(rendered))
    managed_keys = set(bootargs_split(managed)) | {bootargs_key(a) for a in rendered_args}

    booted_by_key: dict[str, list[str]] = {}
    for arg in booted_args:
        key = bootargs_key(arg)
        if key in managed_keys:
            booted_by_key.setdefault(key, []).append(arg)
    rendered_by_key: dict[str, list[str]] = {}
    for arg in rendered_args:
        rendered_by_key.setdefault(bootargs_key(arg), []).append(arg)

    missing: list[str] = []
    unexpected: list[str] = []
    changed: list[ChangedArg] = []
    differences: list[str] = []
    # Rendered order first, then keys only the booted side has, in booted order.
    for key in _unique(list(rendered_by_key) + list(booted_by_key)):
        want = rendered_by_key.get(key, [])
        have = booted_by_key.get(key, [])
        if not have:
            missing.extend(want)
            differences.extend(f"missing {arg}" for arg in want)
        elif not want:
            unexpected.extend(have)
            differences.extend(f"unexpected {arg}" for arg in have)
        elif set(want) != set(have):
            changed.append({"key": key, "booted": have, "rendered": want})
            differences.append(f"changed {key}: booted {' '.join(have)}, rendered {' '.join(want)}")

    return {
        "differs": bool(differences),
        "missing": missing,
        "unexpected": unexpected,
        "changed": changed,
        "differences": differences,
        "managed_keys": sorted(managed_keys),
        "booted_managed": [a for a in booted_args if bootargs_key(a) in managed_keys],
    }


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "bootargs_split": bootargs_split,
            "bootargs_key": bootargs_key,
            "bootargs_diff": bootargs_diff,
        }
