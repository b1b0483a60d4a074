"""Verify roles/chrony on a container host: local stratum only (no reachable NTP), chronyd runs
with -x (never adjusts the shared kernel clock) despite lacking CAP_SYS_TIME, and answers."""

from __future__ import annotations

import re
from typing import Any

CONF = "/etc/chrony/chrony.conf"
DROPIN = "/etc/systemd/system/chrony.service.d/10-tickpath-no-clock-control.conf"


def conf(host: Any) -> str:
    text: str = host.file(CONF).content_string
    return text


def test_conf_local_stratum_no_external_sources(host: Any) -> None:
    text = conf(host)
    assert re.search(r"^local stratum 10 orphan$", text, re.M)
    assert re.search(r"^allow 198\.18\.0\.0/15$", text, re.M)
    assert not re.search(r"^(pool|server|refclock) ", text, re.M)  # no PHC, no NTP in the lab


def test_dropin_lifts_capability_condition_and_adds_x(host: Any) -> None:
    text = host.file(DROPIN).content_string
    assert re.search(r"^ConditionCapability=$", text, re.M)
    assert re.search(r"^ExecStart=!/usr/sbin/chronyd \$DAEMON_OPTS -x$", text, re.M)


def test_chronyd_running_without_clock_control(host: Any) -> None:
    svc = host.service("chrony.service")
    assert svc.is_enabled
    assert svc.is_running
    args = host.check_output("ps -o args= -C chronyd")
    assert " -x" in args
    # the test host lacks CAP_SYS_TIME (bit 25): only -x lets chronyd run at all here
    bounding = int(host.check_output("awk '/^CapBnd/{print $2}' /proc/1/status"), 16)
    assert not bounding & (1 << 25)


def test_chronyc_answers(host: Any) -> None:
    out = host.check_output("chronyc -n tracking")
    assert "Reference ID" in out
