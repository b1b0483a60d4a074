"""roles/reboot filter bootargs_diff: the booted cmdline vs the rendered arguments, managed keys only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from support.modules import load_file

REPO = Path(__file__).resolve().parents[2]


B = load_file(
    "tickpath_reboot_bootargs", REPO / "roles" / "reboot" / "filter_plugins" / "bootargs.py", register=True
)
RENDERED = "isolcpus=managed_irq,domain,1-3 nohz_full=1-3 irqaffinity=0 nosoftlockup skew_tick=1"
MANAGED = "isolcpus nohz_full rcu_nocbs irqaffinity idle mitigations nosoftlockup skew_tick tsc"
BOOTED_OK = (
    "BOOT_IMAGE=/vmlinuz-6.1.0 root=UUID=abc ro console=ttyS0 quiet "
    "isolcpus=managed_irq,domain,1-3 nohz_full=1-3 irqaffinity=0 nosoftlockup skew_tick=1"
)


def test_identical_managed_args_do_not_differ() -> None:
    diff = B.bootargs_diff(BOOTED_OK, RENDERED, MANAGED)
    assert diff["differs"] is False
    assert diff["differences"] == []
    assert diff["booted_managed"] == RENDERED.split()


def test_missing_argument() -> None:
    booted = BOOTED_OK.replace(" nohz_full=1-3", "")
    diff = B.bootargs_diff(booted, RENDERED, MANAGED)
    assert diff["differs"] is True
    assert diff["missing"] == ["nohz_full=1-3"]
    assert diff["unexpected"] == [] and diff["changed"] == []
    assert diff["differences"] == ["missing nohz_full=1-3"]


def test_unexpected_managed_key_removed_from_profile() -> None:
    booted = BOOTED_OK + " idle=poll mitigations=off"
    diff = B.bootargs_diff(booted, RENDERED, MANAGED)
    assert diff["differs"] is True
    assert diff["unexpected"] == ["idle=poll", "mitigations=off"]
    assert diff["missing"] == [] and diff["changed"] == []
    assert diff["differences"] == ["unexpected idle=poll", "unexpected mitigations=off"]


def test_unexpected_flag_without_value() -> None:
    diff = B.bootargs_diff(BOOTED_OK + " tsc", RENDERED, MANAGED)
    assert diff["unexpected"] == ["tsc"]


def test_changed_value() -> None:
    booted = BOOTED_OK.replace("isolcpus=managed_irq,domain,1-3", "isolcpus=managed_irq,domain,1-5")
    diff = B.bootargs_diff(booted, RENDERED, MANAGED)
    assert diff["differs"] is True
    assert diff["changed"] == [
        {
            "key": "isolcpus",
            "booted": ["isolcpus=managed_irq,domain,1-5"],
            "rendered": ["isolcpus=managed_irq,domain,1-3"],
        }
    ]
    # A changed value is reported once, as changed, not also as missing and unexpected.
    assert diff["missing"] == [] and diff["unexpected"] == []
    assert diff["differences"] == [
        "changed isolcpus: booted isolcpus=managed_irq,domain,1-5, rendered isolcpus=managed_irq,domain,1-3"
    ]


def test_flag_versus_value_is_a_change() -> None:
    diff = B.bootargs_diff(BOOTED_OK.replace("nosoftlockup", "nosoftlockup=0"), RENDERED, MANAGED)
    assert [c["key"] for c in diff["changed"]] == ["nosoftlockup"]


def test_extra_booted_value_for_a_rendered_key_is_a_change() -> None:
    # Same key twice on the booted line (e.g. once from /etc/default/grub): not what was rendered.
    diff = B.bootargs_diff(BOOTED_OK + " irqaffinity=0-1", RENDERED, MANAGED)
    assert diff["changed"] == [
        {"key": "irqaffinity", "booted": ["irqaffinity=0", "irqaffinity=0-1"], "rendered": ["irqaffinity=0"]}
    ]


def test_unmanaged_arguments_are_ignored() -> None:
    booted = BOOTED_OK + " panic=1 reboot=k random.trust_cpu=1 rd.lvm.vg=vg0 console=tty0"
    diff = B.bootargs_diff(booted, RENDERED, MANAGED)
    assert diff["differs"] is False
    assert "console" not in diff["managed_keys"] and "root" not in diff["managed_keys"]


def test_rendered_keys_are_managed_even_when_not_listed() -> None:
    # An extra argument (e.g. tickpath_boot_extra_args: [iommu=pt]) is managed while rendered.
    diff = B.bootargs_diff(BOOTED_OK + " iommu=nopt", RENDERED + " iommu=pt", MANAGED)
    assert "iommu" in diff["managed_keys"]
    assert [c["key"] for c in diff["changed"]] == ["iommu"]


def test_without_managed_list_only_rendered_keys_count() -> None:
    diff = B.bootargs_diff(BOOTED_OK + " idle=poll", RENDERED)
    assert diff["differs"] is False


def test_duplicates_and_order_do_not_count() -> None:
    booted = "root=/dev/vda nosoftlockup skew_tick=1 nosoftlockup irqaffinity=0 " + (
        "nohz_full=1-3 isolcpus=managed_irq,domain,1-3 irqaffinity=0"
    )
    rendered = [*RENDERED.split(), "skew_tick=1", "nosoftlockup"]
    diff = B.bootargs_diff(booted, rendered, MANAGED.split())
    assert diff["differs"] is False
    assert B.bootargs_diff(booted, RENDERED, MANAGED)["booted_managed"] == [
        "nosoftlockup",
        "skew_tick=1",
        "irqaffinity=0",
        "nohz_full=1-3",
        "isolcpus=managed_irq,domain,1-3",
    ]


def test_missing_unexpected_and_changed_together() -> None:
    booted = "root=/dev/sda1 isolcpus=managed_irq,domain,1-5 idle=poll nosoftlockup skew_tick=1"
    diff = B.bootargs_diff(booted, RENDERED, MANAGED)
    assert diff["differences"] == [
        "changed isolcpus: booted isolcpus=managed_irq,domain,1-5, rendered isolcpus=managed_irq,domain,1-3",
        "missing nohz_full=1-3",
        "missing irqaffinity=0",
        "unexpected idle=poll",
    ]


def test_empty_rendered_and_empty_booted() -> None:
    assert B.bootargs_diff("", "", "")["differs"] is False
    assert B.bootargs_diff("root=/dev/sda idle=poll", "", "idle")["unexpected"] == ["idle=poll"]
    assert B.bootargs_diff("", "nosoftlockup", "")["missing"] == ["nosoftlockup"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('a=1  b\tc="x y" d\n', ["a=1", "b", 'c="x y"', "d"]),
        ('"e=f g" h', ['"e=f g"', "h"]),
        ("quiet -- --init-flag idle=poll", ["quiet"]),
        ("", []),
        (["a=1 b", "c"], ["a=1", "b", "c"]),
        (None, []),
    ],
)
def test_split_like_the_kernel(text: object, expected: list[str]) -> None:
    assert B.bootargs_split(text) == expected


def test_after_double_dash_is_init_not_kernel() -> None:
    diff = B.bootargs_diff("root=/dev/sda nosoftlockup -- idle=poll", "nosoftlockup", "idle")
    assert diff["differs"] is False


def test_quoted_value_key() -> None:
    assert B.bootargs_key('dyndbg="file x +p"') == "dyndbg"
    assert B.bootargs_key('"dyndbg=file x +p"') == "dyndbg"
    assert B.bootargs_key("nosoftlockup") == "nosoftlockup"
    assert B.bootargs_key("isolcpus=managed_irq,domain,1") == "isolcpus"


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        B.bootargs_split(["a", 3])
    with pytest.raises(ValueError, match="expected a command line"):
        B.bootargs_split(42)


def test_filter_module_exports() -> None:
    assert set(B.FilterModule().filters()) == {"bootargs_split", "bootargs_key", "bootargs_diff"}


# The managed-key list lives in one place, roles/cpu_partitioning/defaults/main.yml
# (cpu_partitioning_managed_keys). It must cover every key the role can render by itself (the
# literal 'key=...' strings of its boot-argument task and its default base arguments) and the
# dpdk role's contribution to tickpath_boot_extra_args.
def test_managed_keys_cover_what_cpu_partitioning_renders() -> None:
    role = REPO / "roles" / "cpu_partitioning"
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text(encoding="utf-8"))
    managed = set(defaults["cpu_partitioning_managed_keys"])
    tasks = (role / "tasks" / "main.yml").read_text(encoding="utf-8")
    compute = tasks.split("\n- name: ")[1]  # the task that computes cpu_partitioning_boot_args
    assert "cpu_partitioning_boot_args:" in compute
    rendered_keys = set(re.findall(r"'([a-z_.]+)=", compute))
    rendered_keys |= {B.bootargs_key(a) for a in defaults["cpu_partitioning_base_args"]}
    assert {
        "isolcpus",
        "nohz_full",
        "rcu_nocbs",
        "irqaffinity",
        "idle",
        "mitigations",
        "intel_idle.max_cstate",
        "processor.max_cstate",
        "amd_pstate",
        "skew_tick",
        "nosoftlockup",
        "tsc",
        "transparent_hugepage",
        "nmi_watchdog",
        "hugepagesz",
        "hugepages",
    } <= rendered_keys
    # mitigations: managed only while rendered (the role adds rendered keys), see defaults
    assert "mitigations" not in managed
    assert rendered_keys - {"mitigations"} <= managed, rendered_keys - managed
    dpdk = "".join(
        (REPO / "roles" / "dpdk" / sub / "main.yml").read_text(encoding="utf-8") for sub in ("defaults", "vars")
    )
    dpdk_keys = set(re.findall(r"'([a-z_]+)=", dpdk))
    assert {"iommu", "intel_iommu", "amd_iommu"} <= dpdk_keys
    assert dpdk_keys <= managed, dpdk_keys - managed
