"""Expected vs actual -> records, one per host per check.

``expected`` is what roles/drift_check computed from the host profile and the roles' defaults;
``actual`` is the collector's JSON (roles/drift_check/files/tickpath-drift-collect.py). Settings
a container host does not own (boot arguments, host-global sysctls, IRQs, hugepage pools, cpufreq)
are ``n/a`` there, with the reason: the lab's hosts share this machine's kernel.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from tickpath.drift.model import SEVERITIES, Record

# Built-in severity per check name or per prefix (the part before the first ":").
DEFAULT_SEVERITY: dict[str, str] = {
    "collect": "critical",
    "cmdline": "critical",
    "isolated_cpus": "critical",
    "nohz_full": "critical",
    "boot_args": "major",
    "thp": "major",
    "cpu_governor": "major",
    "cstate": "major",
    "hugepages": "major",
    "hugetlbfs": "major",
    "sysctl": "major",
    "irq_affinity": "major",
    "nic": "critical",
    "nic_features": "major",
    "nic_coalesce": "major",
    "nic_ring": "minor",
    "nic_channels": "major",
    "nic_steering": "major",
    "service": "major",
    "service:tickpath-fh.service": "critical",
    "service:tickpath-gw.service": "critical",
    "service:tickpath-ptp4l.service": "critical",
    "ptp_lock": "critical",
    "ptp_offset": "major",
    "transport": "critical",
    "dpdk_binding": "critical",
    "app_version": "major",
    "reboot_required": "minor",
    "config": "major",
}

CONTAINER = "container host: shares this machine's kernel (persisted, not applied)"
_SYS_ADMIN_BIT = 21


def severity_for(check: str, overrides: dict[str, str]) -> str:
    prefix = check.split(":", 1)[0]
    for table in (overrides, DEFAULT_SEVERITY):
        for key in (check, prefix):
            if key in table:
                value = table[key]
                if value not in SEVERITIES:
                    raise ValueError(f"severity of {key!r} is {value!r}, not one of {SEVERITIES}")
                return value
    return "major"


def cpulist(text: str | None) -> list[int]:
    """Expand a kernel cpulist ("0-2,5"); empty or None -> []."""
    cpus: set[int] = set()
    for part in (text or "").strip().split(","):
        part = part.strip()
        if not part:
            continue
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return sorted(cpus)


def compress(cpus: Iterable[int]) -> str:
    items = sorted(set(cpus))
    out: list[str] = []
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        out.append(str(items[i]) if i == j else f"{items[i]}-{items[j]}")
        i = j + 1
    return ",".join(out)


def _norm(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return " ".join(str(value).split())


def _mask_zero(mask: str | None) -> bool:
    try:
        return int((mask or "0").replace(",", ""), 16) == 0
    except ValueError:
        return False


class _Host:
    def __init__(
        self, host: str, expected: dict[str, Any], actual: dict[str, Any], severity: dict[str, str]
    ) -> None:
        self.host = host
        self.e = expected
        self.a = actual
        self.severity = severity
        self.records: list[Record] = []
        self.container = bool(expected.get("container"))
        self.concerns = set(expected.get("concerns") or [])

    def add(
        self, check: str, concern: str, expected: Any, actual: Any, status: str, detail: str = ""
    ) -> None:
        self.records.append(
            Record(
                host=self.host,
                check=check,
                concern=concern,
                expected=expected,
                actual=actual,
                status=status,
                severity=severity_for(check, self.severity),
                detail=detail,
            )
        )

    def compare(
        self, check: str, concern: str, expected: Any, actual: Any, detail: str = ""
    ) -> None:
        self.add(check, concern, expected, actual, "ok" if expected == actual else "drift", detail)

    def na(self, check: str, concern: str, expected: Any, actual: Any, why: str) -> None:
        self.add(check, concern, expected, actual, "n/a", why)

    @property
    def can_mount(self) -> bool:
        try:
            return bool((int(str(self.a.get("capeff", "0")), 16) >> _SYS_ADMIN_BIT) & 1)
        except ValueError:
            return False

    # -- cpu_partitioning ------------------------------------------------------------------
    def cpu_partitioning(self) -> None:
        c = "cpu_partitioning"
        e = self.e.get(c) or {}
        want: list[str] = list(e.get("boot_args") or [])
        grub = self.a.get("grub_args")
        if grub is None:
            self.add("boot_args", c, want, None, "drift", "grub drop-in missing")
        else:
            missing = [x for x in want if x not in grub]
            extra = [x for x in grub if x not in want]
            detail = "; ".join(
                filter(
                    None,
                    [
                        f"missing {' '.join(missing)}" if missing else "",
                        f"unexpected {' '.join(extra)}" if extra else "",
                    ],
                )
            )
            self.add(
                "boot_args", c, want, list(grub), "drift" if missing or extra else "ok", detail
            )
        rendered = list(grub) if grub else want
        booted = str(self.a.get("cmdline", "")).split()
        missing_boot = [x for x in rendered if x not in booted]
        if self.container:
            self.na("cmdline", c, rendered, {"missing": missing_boot}, CONTAINER)
        else:
            self.add(
                "cmdline",
                c,
                rendered,
                {"missing": missing_boot},
                "drift" if missing_boot else "ok",
                f"booted without {' '.join(missing_boot)}" if missing_boot else "",
            )
        iso = str(e.get("isolated", ""))
        for check, key, wanted in (
            ("isolated_cpus", "isolated", iso),
            ("nohz_full", "nohz_full", iso if e.get("nohz_full") else None),
        ):
            if wanted is None:
                continue
            raw = self.a.get(key)
            actual = None if raw is None else compress(cpulist(raw))
            if self.container:
                self.na(check, c, wanted, actual, CONTAINER)
            else:
                self.compare(
                    check,
                    c,
                    wanted,
                    actual,
                    "" if raw is not None else f"/sys/devices/system/cpu/{key} missing",
                )
        if "transparent_hugepage=never" in rendered:
            sel = re.search(r"\[(\w+)\]", str(self.a.get("thp") or ""))
            actual_thp = sel.group(1) if sel else self.a.get("thp")
            if self.container:
                self.na("thp", c, "never", actual_thp, CONTAINER)
            else:
                self.compare("thp", c, "never", actual_thp)
        governors: dict[str, str] = self.a.get("governors") or {}
        gov = e.get("governor")
        if self.container:
            self.na("cpu_governor", c, gov, governors or None, CONTAINER)
        elif not governors:
            self.na("cpu_governor", c, gov, None, "no cpufreq on this host")
        else:
            wrong = {cpu: g for cpu, g in governors.items() if g != gov}
            self.add("cpu_governor", c, gov, wrong or gov, "drift" if wrong else "ok")
        limits = {
            m.group(1): m.group(2)
            for arg in rendered
            if (m := re.match(r"^(intel_idle|processor)\.max_cstate=(\d+)$", arg))
        }
        if limits:
            have = {k: (self.a.get("max_cstate") or {}).get(k) for k in limits}
            if self.container:
                self.na("cstate", c, limits, have, CONTAINER)
            else:
                known = {k: v for k, v in have.items() if v is not None}
                want_known = {k: limits[k] for k in known}
                if not known:
                    self.na("cstate", c, limits, have, "no cpuidle driver parameters")
                else:
                    self.compare("cstate", c, want_known, known)

    # -- hugepages -------------------------------------------------------------------------
    def hugepages(self) -> None:
        c = "hugepages"
        e = self.e.get(c) or {}
        pools: dict[str, dict[str, str | None]] = self.a.get("hugepages") or {}
        per_node: dict[str, Any] = {str(k): v for k, v in (e.get("per_node") or {}).items()}
        want: dict[str, dict[str, int]] = {}
        if per_node:
            for node, sizes in per_node.items():
                want[node] = {
                    "2048": int(sizes.get("size_2m", 0)),
                    "1048576": int(sizes.get("size_1g", 0)),
                }
        else:
            mem = [str(n) for n in cpulist(self.a.get("has_memory"))] or sorted(pools)
            for size, total in (
                ("2048", int(e.get("size_2m", 0))),
                ("1048576", int(e.get("size_1g", 0))),
            ):
                per, rest = divmod(total, max(len(mem), 1))
                for i, node in enumerate(mem):
                    want.setdefault(node, {})[size] = per + (1 if i < rest else 0)
        for node in sorted(want):
            for size, count in sorted(want[node].items()):
                check = f"hugepages:node{node}:{int(size) // 1024}M"
                raw = (pools.get(node) or {}).get(size)
                actual = None if raw is None else int(raw)
                if self.container:
                    self.na(check, c, count, actual, CONTAINER + " (page pools are host-global)")
                elif actual is None and count == 0:
                    continue
                else:
                    self.compare(check, c, count, actual)
        mounted = set(self.a.get("hugetlbfs_mounts") or [])
        for path in e.get("mounts") or []:
            check = f"hugetlbfs:{path}"
            if not self.can_mount:
                self.na(
                    check,
                    c,
                    "mounted",
                    "mounted" if path in mounted else "not mounted",
                    "no CAP_SYS_ADMIN: mounted at next boot",
                )
            else:
                self.compare(check, c, "mounted", "mounted" if path in mounted else "not mounted")

    # -- kernel_tuning ---------------------------------------------------------------------
    def kernel_tuning(self) -> None:
        c = "kernel_tuning"
        want: dict[str, Any] = (self.e.get(c) or {}).get("sysctl") or {}
        have: dict[str, str | None] = self.a.get("sysctl") or {}
        read_only = set(self.a.get("sysctl_ro") or [])
        for key in sorted(want):
            check = f"sysctl:{key}"
            expected = _norm(want[key])
            actual = have.get(key)
            if actual is None:
                self.na(check, c, expected, None, "not in this kernel / network namespace")
            elif self.container and not key.startswith("net."):
                self.na(check, c, expected, actual, CONTAINER + " (host-global key)")
            elif self.container and key in read_only:
                self.na(
                    check,
                    c,
                    expected,
                    actual,
                    CONTAINER + " (read-only in this network namespace: host-global)",
                )
            else:
                self.compare(check, c, expected, _norm(actual))

    # -- irq_nic ---------------------------------------------------------------------------
    def irq_nic(self) -> None:
        c = "irq_nic"
        e = self.e.get(c) or {}
        nics: dict[str, Any] = self.a.get("nics") or {}
        hk = cpulist(str(e.get("housekeeping", "")))
        for iface in e.get("interfaces") or []:
            nic = nics.get(iface) or {"exists": False}
            if not nic.get("exists"):
                self.add(f"nic:{iface}", c, "present", "missing", "drift", "feed interface missing")
                continue
            status: dict[str, str] = nic.get("status") or {}

            def applicable(setting: str, status: dict[str, str] = status) -> bool:
                hits = [v for k, v in status.items() if k == setting or k.startswith(setting + "=")]
                return not hits or all(v == "ok" for v in hits)

            irqs: dict[str, str | None] = nic.get("irqs") or {}
            check = f"irq_affinity:{iface}"
            if not irqs:
                self.na(check, c, "housekeeping cpus", None, "virtual interface: no device IRQs")
            elif self.container:
                self.na(check, c, compress(hk), irqs, CONTAINER)
            else:
                local = set(cpulist(nic.get("local_cpulist")))
                target = sorted((set(hk) & local) or set(hk))
                wrong = {
                    irq: eff
                    for irq, eff in irqs.items()
                    if eff is None or not set(cpulist(eff)) <= set(target)
                }
                self.add(
                    check,
                    c,
                    compress(target),
                    wrong or compress(target),
                    "drift" if wrong else "ok",
                    f"IRQs off {compress(target)}: {', '.join(sorted(wrong))}" if wrong else "",
                )
            features: dict[str, str] = nic.get("features") or {}
            want_f = {
                f: "off"
                for f in e.get("offloads_off") or []
                if f in features and applicable(f"offload:{f}")
            }
            check = f"nic_features:{iface}"
            if want_f:
                self.compare(check, c, want_f, {f: features.get(f) for f in want_f})
            else:
                self.na(
                    check,
                    c,
                    {f: "off" for f in e.get("offloads_off") or []},
                    None,
                    "not supported by the driver",
                )
            coalesce: dict[str, str] | None = nic.get("coalesce")
            want_c = {
                k: _norm(v)
                for k, v in (e.get("coalesce") or {}).items()
                if v is not None and applicable(f"coalesce:{k}")
            }
            check = f"nic_coalesce:{iface}"
            if coalesce is None or not want_c:
                self.na(check, c, e.get("coalesce"), coalesce, "not supported by the driver")
            else:
                self.compare(check, c, want_c, {k: coalesce.get(k) for k in want_c})
            ring: dict[str, str] | None = nic.get("ring")
            want_r: dict[str, str] = {}
            for d in ("rx", "tx"):
                v = e.get(f"ring_{d}")
                if v is None or not applicable(f"ring:{d}") or ring is None:
                    continue
                want_r[d] = ring.get(f"{d}_max", "") if str(v) == "max" else str(v)
            check = f"nic_ring:{iface}"
            if ring is None or not want_r:
                self.na(
                    check,
                    c,
                    {"rx": e.get("ring_rx"), "tx": e.get("ring_tx")},
                    ring,
                    "not supported by the driver",
                )
            else:
                self.compare(check, c, want_r, {d: ring.get(d) for d in want_r})
            if e.get("channels") is not None:
                ch: dict[str, str] | None = nic.get("channels")
                check = f"nic_channels:{iface}"
                if ch is None or not applicable("channels:combined"):
                    self.na(check, c, e.get("channels"), ch, "not supported by the driver")
                else:
                    self.compare(check, c, str(e.get("channels")), ch.get("Combined"))
            steer: dict[str, bool] = {}
            for kind, on in (("rps", e.get("rps_off")), ("xps", e.get("xps_off"))):
                if not on:
                    continue
                for q, mask in (nic.get(kind) or {}).items():
                    if applicable(f"{kind}:{q}"):
                        steer[f"{kind}:{q}"] = _mask_zero(mask)
            check = f"nic_steering:{iface}"
            if steer:
                wrong_q = sorted(k for k, zero in steer.items() if not zero)
                self.add(
                    check,
                    c,
                    "0 (no RPS/XPS)",
                    {k: nic.get(k.split(":")[0], {}).get(k.split(":")[1]) for k in wrong_q} or "0",
                    "drift" if wrong_q else "ok",
                )
            else:
                self.na(check, c, "0 (no RPS/XPS)", None, "queues read-only or absent")

    # -- services --------------------------------------------------------------------------
    def services(self) -> None:
        units: dict[str, dict[str, str]] = self.a.get("units") or {}
        for spec in self.e.get("units") or []:
            concern, unit, active, enabled = [*str(spec).split("|"), "-", "-", "-"][:4]
            if concern not in self.concerns:
                continue
            have = units.get(unit) or {}
            check = f"service:{unit}"
            if "error" in have:
                self.add(check, concern, None, have, "error", str(have["error"]))
                continue
            state = {"active": have.get("active", ""), "enabled": have.get("enabled", "")}
            want: dict[str, str] = {}
            bad: list[str] = []
            is_active = state["active"] in ("active", "reloading", "activating")
            if active == "mount":
                active = "1" if self.can_mount else "-"
            if active in ("1", "0"):
                want["active"] = "active" if active == "1" else "inactive"
                if (active == "1") != is_active:
                    bad.append("active")
            on = state["enabled"] in (
                "enabled",
                "enabled-runtime",
                "static",
                "indirect",
                "generated",
                "alias",
                "linked",
                "linked-runtime",
            )
            if enabled == "masked":
                want["enabled"] = "masked"
                if state["enabled"] != "masked":
                    bad.append("enabled")
            elif enabled in ("1", "0"):
                want["enabled"] = "enabled" if enabled == "1" else "disabled"
                if (enabled == "1") != on:
                    bad.append("enabled")
            missing = have.get("load") == "not-found"
            if concern == "tickpath_deploy" and bad == ["active"] and have.get("condition") == "no":
                self.na(
                    check,
                    concern,
                    want,
                    state,
                    "unit condition not met (program not in this version)",
                )
                continue
            detail = (
                "unit not installed"
                if missing and bad
                else ("; ".join(f"{k} is {state[k] or '?'}, expected {want[k]}" for k in bad))
            )
            self.add(check, concern, want, state, "drift" if bad else "ok", detail)

    # -- reboot ----------------------------------------------------------------------------
    def reboot(self) -> None:
        marker: dict[str, Any] = self.a.get("reboot_marker") or {}
        content = marker.get("content")
        if not marker.get("exists"):
            self.add("reboot_required", "reboot", "no reboot pending", "no reboot pending", "ok")
        elif self.container:
            self.na("reboot_required", "reboot", "no reboot pending", content, CONTAINER)
        else:
            self.add(
                "reboot_required",
                "reboot",
                "no reboot pending",
                content,
                "drift",
                "boot arguments wait for a reboot",
            )

    # -- ptp -------------------------------------------------------------------------------
    def ptp(self) -> None:
        c = "ptp"
        e = self.e.get(c) or {}
        if not e.get("enabled"):
            return
        p: dict[str, Any] = self.a.get("ptp") or {}
        mode = e.get("mode", "client")
        free = bool(e.get("free_running"))
        want_state = (
            "grandmaster"
            if mode == "grandmaster"
            else ("tracking (free running)" if free else "locked")
        )
        if not p.get("script"):
            self.add("ptp_lock", c, want_state, None, "drift", "ptp-offset script missing")
            return
        off: dict[str, Any] = p.get("offset") or {}
        if "error" in off:
            self.add("ptp_lock", c, want_state, off.get("error"), "drift", "ptp4l does not answer")
            return
        if mode == "grandmaster":
            ok = bool(off.get("is_grandmaster"))
            actual_state = "grandmaster" if ok else f"not grandmaster ({off.get('port_state')})"
        else:
            ok = bool(off.get("tracking") if free else off.get("locked"))
            actual_state = want_state if ok else str(off.get("port_state"))
        self.add("ptp_lock", c, want_state, actual_state, "ok" if ok else "drift")
        if mode != "grandmaster":
            slo = int(e.get("slo_ns", 1000))
            offset = off.get("offset_ns")
            if offset is None:
                self.add("ptp_offset", c, f"|offset| <= {slo} ns", None, "drift", "no offset")
            else:
                self.add(
                    "ptp_offset",
                    c,
                    f"|offset| <= {slo} ns",
                    f"{offset:.0f} ns",
                    "ok" if abs(float(offset)) <= slo else "drift",
                )

    # -- tickpath_deploy -------------------------------------------------------------------
    def tickpath_deploy(self) -> None:
        c = "tickpath_deploy"
        e = self.e.get(c) or {}
        want = e.get("version") or None
        app: dict[str, Any] = self.a.get("app") or {}
        have = app.get("version")
        if want is None:
            self.na("app_version", c, None, have, "no expected version")
        else:
            self.compare(
                "app_version",
                c,
                want,
                have,
                "" if have else f"{e.get('root', '/opt/tickpath')}/current missing",
            )

    # -- transport -------------------------------------------------------------------------
    def transport(self) -> None:
        t = self.e.get("transport") or {}
        name = t.get("name", "kernel")
        if name not in self.concerns:
            return
        paths: dict[str, bool] = self.a.get("paths") or {}
        mods: dict[str, bool] = self.a.get("modules") or {}
        if name == "afxdp":
            # the XDP program is embedded in tickpath-fh (nothing on disk to check)
            want = {t.get("bpffs"): True}
            self.compare(
                "transport:afxdp", "afxdp", want, {k: bool(paths.get(str(k))) for k in want}
            )
        elif name == "dpdk":
            have = sorted(m for m in ("vfio_pci", "uio_pci_generic", "igb_uio") if mods.get(m))
            self.add(
                "transport:dpdk",
                "dpdk",
                "vfio_pci or uio driver loaded",
                have or None,
                "ok" if have else "drift",
            )
            self.dpdk_bindings(t)
        elif name == "onload":
            self.add(
                "transport:onload",
                "onload",
                "onload module loaded",
                "loaded" if mods.get("onload") else "not loaded",
                "ok" if mods.get("onload") else "drift",
            )

    def dpdk_bindings(self, t: dict[str, Any]) -> None:
        """dpdk_binding:IF: each DPDK port on its driver now (sysfs) and persisted (driverctl)."""
        c = "dpdk"
        driver = str(t.get("dpdk_driver") or "vfio-pci")
        want = {"driver": driver, "override": driver}
        d: dict[str, Any] = self.a.get("dpdk") or {}
        devices: dict[str, dict[str, Any]] = d.get("devices") or {}
        overrides: dict[str, str] | None = d.get("overrides")
        for iface in t.get("dpdk_interfaces") or []:
            check = f"dpdk_binding:{iface}"
            dev = devices.get(iface) or {"source": "unknown"}
            pci = dev.get("pci")
            if self.container:
                self.na(check, c, want, dev, CONTAINER + " (PCI bindings are host-global)")
                continue
            if dev.get("source") == "virtual":
                self.na(check, c, want, None, f"no PCI device behind {iface} (virtual interface)")
                continue
            if not pci:
                self.add(
                    check,
                    c,
                    want,
                    None,
                    "drift",
                    f"{iface} not found and no PCI address for it in the dpdk binding report",
                )
                continue
            have = {
                "driver": dev.get("driver"),
                "override": None if overrides is None else overrides.get(str(pci)),
            }
            problems = []
            if have["driver"] != driver:
                problems.append(f"{pci} is bound to {have['driver'] or 'no driver'}")
            if overrides is None:
                problems.append("driverctl missing: the binding is not persisted")
            elif have["override"] != driver:
                problems.append(
                    f"no driverctl override {pci} -> {driver} (not persisted across reboots)"
                    if have["override"] is None
                    else f"driverctl overrides {pci} to {have['override']}"
                )
            self.add(
                check,
                c,
                want,
                {"pci": pci, **have},
                "drift" if problems else "ok",
                "; ".join(problems),
            )

    # -- config files ----------------------------------------------------------------------
    def config(self) -> None:
        files: dict[str, str | None] = self.a.get("files") or {}
        for path, info in sorted((self.e.get("files") or {}).items()):
            concern = str(info.get("concern", "config"))
            want = info.get("sha1")
            have = files.get(path)
            check = f"config:{path}"
            if have is None:
                self.add(check, concern, want, None, "drift", "file missing")
            else:
                self.add(
                    check,
                    concern,
                    want,
                    have,
                    "ok" if have == want else "drift",
                    "" if have == want else "edited on the host (checksum differs)",
                )

    def run(self) -> list[Record]:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("cpu_partitioning", self.cpu_partitioning),
            ("hugepages", self.hugepages),
            ("kernel_tuning", self.kernel_tuning),
            ("irq_nic", self.irq_nic),
            ("reboot", self.reboot),
            ("ptp", self.ptp),
            ("tickpath_deploy", self.tickpath_deploy),
        ]
        for concern, step in steps:
            if concern in self.concerns:
                step()
        self.services()
        self.transport()
        self.config()
        return self.records


def evaluate(
    host: str, entry: dict[str, Any], severity: dict[str, str] | None = None
) -> list[Record]:
    """Records of one host from its results.json entry {expected, actual, error} (or records)."""
    overrides = severity or {}
    if entry.get("records") is not None:
        return [Record.from_dict({"host": host, **r}) for r in entry["records"]]
    if entry.get("error") or not entry.get("actual") or not entry.get("expected"):
        why = entry.get("error") or "no state collected (host failed before the collector ran)"
        return [
            Record(
                host=host,
                check="collect",
                concern="drift_check",
                expected="state collected",
                actual=None,
                status="error",
                severity=severity_for("collect", overrides),
                detail=str(why),
            )
        ]
    try:
        return _Host(host, entry["expected"], entry["actual"], overrides).run()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [
            Record(
                host=host,
                check="collect",
                concern="drift_check",
                expected="valid state",
                actual=None,
                status="error",
                severity=severity_for("collect", overrides),
                detail=f"cannot evaluate: {type(exc).__name__}: {exc}",
            )
        ]
