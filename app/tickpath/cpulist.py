"""Linux cpulist strings ("0-3,8,10-11") to and from sorted sets of CPU numbers.

The format is the one the kernel prints in sysfs (`/sys/devices/system/cpu/online`,
`.../node*/cpulist`, `.../thread_siblings_list`) and takes on its command line (isolcpus=,
nohz_full=, rcu_nocbs=): comma-separated items, each a CPU number `N` or an inclusive range
`N-M` with N <= M. Surrounding whitespace and one trailing newline (as sysfs prints it) are
accepted; an empty string is the empty set. The kernel's stride form (`0-7:2/4`) is not
accepted: tickpath never writes it, and rejecting it beats misreading it.

`format_cpulist` is the inverse: ascending, maximal ranges, ranges of two written as `N-M`
("0-1"), like the kernel. `parse_cpulist(format_cpulist(s)) == set(s)` for every set of
non-negative ints.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Highest CPU number accepted (the kernel's NR_CPUS maximum is 8192).
MAX_CPU = 8191


class CpuListError(ValueError):
    """A cpulist string is malformed; the message names the offending item and why."""


def _number(text: str, item: str, source: str) -> int:
    if not text:
        raise CpuListError(f"{source}: item {item!r}: missing CPU number")
    if not text.isascii() or not text.isdigit():
        raise CpuListError(f"{source}: item {item!r}: {text!r} is not a CPU number")
    if len(text) > 1 and text.startswith("0"):
        raise CpuListError(f"{source}: item {item!r}: leading zero in {text!r}")
    value = int(text)
    if value > MAX_CPU:
        raise CpuListError(f"{source}: item {item!r}: CPU {value} is above {MAX_CPU}")
    return value


def parse_cpulist(text: str, *, source: str = "cpulist") -> frozenset[int]:
    """Parse a cpulist; raise CpuListError naming `source` and the bad item."""
    if not isinstance(text, str):
        raise CpuListError(f"{source}: expected a cpulist string, got {type(text).__name__}")
    body = text.strip()
    if not body:
        return frozenset()
    cpus: set[int] = set()
    for raw in body.split(","):
        item = raw.strip()
        if not item:
            raise CpuListError(f"{source}: empty item in {body!r} (doubled or trailing comma)")
        if ":" in item or "/" in item:
            raise CpuListError(
                f"{source}: item {item!r}: stride ranges (N-M:S/G) are not supported"
            )
        if "-" in item:
            lo_text, _, hi_text = item.partition("-")
            lo = _number(lo_text.strip(), item, source)
            hi = _number(hi_text.strip(), item, source)
            if hi < lo:
                raise CpuListError(f"{source}: item {item!r}: range end {hi} is below start {lo}")
            cpus.update(range(lo, hi + 1))
        else:
            cpus.add(_number(item, item, source))
    return frozenset(cpus)


def format_cpulist(cpus: Iterable[int]) -> str:
    """Format CPU numbers as a canonical cpulist ("" for none)."""
    values = sorted(set(cpus))
    for cpu in values:
        if isinstance(cpu, bool) or not isinstance(cpu, int) or cpu < 0 or cpu > MAX_CPU:
            raise CpuListError(f"cpulist: {cpu!r} is not a CPU number (0..{MAX_CPU})")
    items: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        items.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ",".join(items)
