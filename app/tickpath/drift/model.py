"""The drift record and the severity order."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

STATUSES = ("ok", "drift", "n/a", "error")
SEVERITIES = ("critical", "major", "minor", "info")
_RANK = {"info": 1, "minor": 2, "major": 3, "critical": 4}


def severity_rank(severity: str) -> int:
    """1 (info) .. 4 (critical); "none" (never fail) is 5, above every severity."""
    if severity == "none":
        return 5
    try:
        return _RANK[severity]
    except KeyError:
        raise ValueError(
            f"unknown severity {severity!r} (expected one of {', '.join(SEVERITIES)} or none)"
        ) from None


@dataclass
class Record:
    """One check of one host."""

    host: str
    check: str
    concern: str
    expected: Any
    actual: Any
    status: str
    severity: str
    since: str | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"{self.host} {self.check}: bad status {self.status!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.host} {self.check}: bad severity {self.severity!r}")

    @property
    def failing(self) -> bool:
        return self.status in ("drift", "error")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        missing = [k for k in ("host", "check", "concern", "status", "severity") if k not in data]
        if missing:
            raise ValueError(f"record {data!r} lacks {', '.join(missing)}")
        return cls(
            host=str(data["host"]),
            check=str(data["check"]),
            concern=str(data["concern"]),
            expected=data.get("expected"),
            actual=data.get("actual"),
            status=str(data["status"]),
            severity=str(data["severity"]),
            since=data.get("since"),
            detail=str(data.get("detail", "")),
        )
