"""Verify roles/cpu_partitioning on the molecule hosts (lab profile: housekeeping 0, isolated 1;
tp-mol-cpu_partitioning-dpdk: the same profile with transport dpdk)."""

from __future__ import annotations

import pytest
import testinfra
from testinfra.host import Host

NAME = "tp-mol-cpu_partitioning"
DPDK = f"{NAME}-dpdk"
EXPECTED_ARGS = [
    "isolcpus=managed_irq,domain,1",
    "nohz_full=1",
    "rcu_nocbs=1",
    "irqaffinity=0",
    "processor.max_cstate=1",
    "skew_tick=1",
    "nosoftlockup",
    "tsc=reliable",
    "transparent_hugepage=never",
    "iommu=pt",  # from tickpath_boot_extra_args (converge.yml); on -dpdk also from the transport
    "pcie_aspm=off",  # from tickpath_boot_extra_args
]
IOMMU_VENDOR = {"GenuineIntel": "intel_iommu=on", "AuthenticAMD": "amd_iommu=on"}


@pytest.fixture(scope="module", params=[NAME, DPDK])
def host(request: pytest.FixtureRequest) -> Host:
    return testinfra.get_host(f"podman://{request.param}")


def boot_args(host: Host) -> list[str]:
    return host.file("/etc/tickpath/boot-args").content_string.split()


def vendor_flag(host: Host) -> str | None:
    cpuinfo = host.file("/proc/cpuinfo").content_string
    return next((flag for v, flag in IOMMU_VENDOR.items() if v in cpuinfo), None)


def test_iommu_args_only_for_the_dpdk_transport() -> None:
    plain, dpdk = (testinfra.get_host(f"podman://{n}") for n in (NAME, DPDK))
    flag = vendor_flag(dpdk)
    args = boot_args(dpdk)
    assert args.count("iommu=pt") == 1  # transport + tickpath_boot_extra_args: once
    if flag:
        assert flag in args
        # in the one drop-in the reboot role's decision reads (not added later by roles/dpdk)
        assert f" {flag}" in dpdk.file("/etc/default/grub.d/tickpath.cfg").content_string
    assert not [a for a in boot_args(plain) if a.endswith("_iommu=on")]


def test_grub_dropin_renders_every_argument(host: Host) -> None:
    dropin = host.file("/etc/default/grub.d/tickpath.cfg")
    assert dropin.mode == 0o644
    lines = [ln for ln in dropin.content_string.splitlines() if not ln.startswith("#")]
    assert len(lines) == 1
    assert lines[0].startswith('GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT:+')
    for arg in EXPECTED_ARGS:
        assert f" {arg}" in lines[0] or f"}}{arg}" in lines[0], arg


def test_grub_dropin_is_valid_shell_appending(host: Host) -> None:
    # Source it the way update-grub does, with a distribution default in place.
    out = host.check_output(
        "sh -c 'GRUB_CMDLINE_LINUX_DEFAULT=quiet; . /etc/default/grub.d/tickpath.cfg; "
        'echo "$GRUB_CMDLINE_LINUX_DEFAULT"\''
    )
    words = out.split()
    assert words[0] == "quiet"
    assert set(EXPECTED_ARGS) <= set(words)
    assert len(words) == len(set(words))  # no argument twice


def test_boot_args_file_matches_dropin(host: Host) -> None:
    args = host.file("/etc/tickpath/boot-args").content_string.split()
    assert set(EXPECTED_ARGS) <= set(args)
    assert " ".join(args) in host.file("/etc/default/grub.d/tickpath.cfg").content_string


def test_no_grub_in_container_so_no_update(host: Host) -> None:
    # The test host has no boot loader: the handler must not have run update-grub.
    assert not host.exists("update-grub")
    assert not host.file("/boot/grub/grub.cfg").exists


def test_systemd_cpuaffinity(host: Host) -> None:
    conf = host.file("/etc/systemd/system.conf.d/tickpath-cpuaffinity.conf").content_string
    assert "[Manager]\nCPUAffinity=0\n" in conf
    # systemd re-executed: PID 1 runs with the setting now.
    assert "Cpus_allowed_list:\t0\n" in host.file("/proc/1/status").content_string


def test_cpu_tuning_unit(host: Host) -> None:
    assert host.service("tickpath-cpu-tuning.service").is_enabled
    unit = host.file("/etc/systemd/system/tickpath-cpu-tuning.service").content_string
    assert "ConditionVirtualization=!container" in unit
    env = host.file("/etc/tickpath/cpu-tuning.env").content_string
    assert "TICKPATH_HOUSEKEEPING=0\n" in env
    assert "TICKPATH_HOUSEKEEPING_MASK=1\n" in env
    assert "TICKPATH_GOVERNOR=performance\n" in env
    script = host.file("/usr/local/libexec/tickpath/cpu-tuning")
    assert script.mode == 0o755
    # Guarded by the condition: it never ran inside the container.
    assert host.check_output(
        "systemctl show -p ConditionResult tickpath-cpu-tuning.service"
    ) in ("ConditionResult=no", "ConditionResult=")


def test_tuned_profile_includes_stock_profile(host: Host) -> None:
    assert host.package("tuned").is_installed
    conf = host.file("/etc/tuned/tickpath-latency/tuned.conf").content_string
    assert "include=latency-performance" in conf
    # Boot arguments, sysctls and IRQs are owned elsewhere: tuned must not set them too.
    for section in ("[bootloader]", "[sysctl]", "[irqbalance]"):
        assert f"{section}\nenabled=false" in conf
    assert host.file("/etc/tuned/active_profile").content_string.strip() == "tickpath-latency"
    assert host.file("/usr/lib/tuned/latency-performance/tuned.conf").exists


def test_tuned_masked_on_container_host(host: Host) -> None:
    tuned = host.service("tuned.service")
    assert not tuned.is_running
    assert host.check_output("systemctl is-enabled tuned.service || true") == "masked"
