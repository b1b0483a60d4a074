"""gateway.enter_order: the firm-specific fields of every OUCH 4.2 Enter Order.

Defaults are a proprietary trading firm's (Customer Type N, not retail designated; Capacity P,
principal; Display Y; ISO N; Cross Type N; Firm blank = the OUCH account's default), every
value is checked against the OUCH 4.2 spec's list for its field, a bad one is an error naming
its key, and the values reach gw.conf and strategy.conf as the keys tickpath-gw reads
(app/src/gw/README.md).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from tickpath.cli import main
from tickpath.config import render, validate_text
from tickpath.config.models import OUCH_VALUES

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "app" / "tickpath" / "config" / "examples" / "lab.yaml"

#: The OUCH 4.2 spec's values per field (app/src/ouch/fields.h names the sources); the
#: blank Customer Type ("the port's default") is deliberately not offered.
SPEC = {
    "display": "AYNPIMWLOTQmn",
    "capacity": "APRO",
    "iso": "YNy",
    "cross_type": "NOCHSRE",
    "customer_type": "RN",
}
KEYS = {
    "firm": "firm",
    "display": "ouch.display",
    "capacity": "ouch.capacity",
    "iso": "ouch.iso",
    "cross_type": "ouch.cross_type",
    "customer_type": "ouch.customer_type",
}


def lab(enter_order: dict[str, Any] | None = None) -> dict[str, Any]:
    data = yaml.safe_load(LAB.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    data = copy.deepcopy(data)
    # no section: the defaults (the example spells them out)
    data["gateway"].pop("enter_order", None)
    if enter_order is not None:
        data["gateway"]["enter_order"] = enter_order
    return data


def kv(text: str) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )


def rendered(data: dict[str, Any], name: str = "gw.conf") -> dict[str, str]:
    cfg, issues = validate_text(yaml.safe_dump(data, sort_keys=False), None)
    assert cfg is not None, issues
    return kv(render(cfg)[name])


def issues(data: dict[str, Any]) -> list[tuple[str, str]]:
    cfg, found = validate_text(yaml.safe_dump(data, sort_keys=False), None)
    assert (cfg is None) == bool(found)
    return [(i.path, i.message) for i in found]


def test_the_tables_are_the_specs() -> None:
    assert {k: "".join(v) for k, v in OUCH_VALUES.items()} == SPEC
    assert OUCH_VALUES["customer_type"]["N"] == "not a retail designated order"
    assert OUCH_VALUES["capacity"]["P"] == "principal"


@pytest.mark.parametrize("name", ["gw.conf", "strategy.conf"])
def test_defaults_are_a_proprietary_firms(name: str) -> None:
    """No enter_order section: the rendered file still states every field, none retail."""
    data = lab()
    assert "enter_order" not in data["gateway"]
    keys = rendered(data, name)
    assert {k: keys[v] for k, v in KEYS.items()} == {
        "firm": "",
        "display": "Y",
        "capacity": "P",
        "iso": "N",
        "cross_type": "N",
        "customer_type": "N",
    }


def test_the_lab_example_spells_out_the_defaults() -> None:
    example = yaml.safe_load(LAB.read_text(encoding="utf-8"))["gateway"]["enter_order"]
    assert rendered(lab(example)) == rendered(lab())


def test_configured_values_are_rendered() -> None:
    fields = {
        "firm": "ABCD",
        "display": "A",
        "capacity": "R",
        "iso": "y",
        "cross_type": "E",
        "customer_type": "R",
    }
    for name in ("gw.conf", "strategy.conf"):
        keys = rendered(lab(fields), name)
        assert {k: keys[v] for k, v in KEYS.items()} == fields


@pytest.mark.parametrize("field", sorted(SPEC))
def test_every_spec_value_is_accepted(field: str) -> None:
    for letter in SPEC[field]:
        assert rendered(lab({field: letter}))[KEYS[field]] == letter


def test_letters_survive_yaml_unquoted() -> None:
    """`display: Y`, `iso: y`, `customer_type: N` are YAML strings (not booleans): the lab
    example's section, unquoted, with some values changed."""
    text = LAB.read_text(encoding="utf-8")
    for old, new in (("    capacity: P\n", "    capacity: O\n"),
                     ("    display: Y\n", "    display: N\n"),
                     ("    iso: N\n", "    iso: y\n")):
        assert text.count(old) == 1
        text = text.replace(old, new)
    assert "    customer_type: N\n" in text
    cfg, found = validate_text(text, None)
    assert cfg is not None, found
    keys = kv(render(cfg)["gw.conf"])
    assert (keys["ouch.display"], keys["ouch.iso"], keys["ouch.customer_type"],
            keys["ouch.capacity"]) == ("N", "y", "N", "O")


BAD = [
    ("customer_type", "X", "'X' is not an OUCH 4.2 Customer Type; one of: R (retail "
     "designated order), N (not a retail designated order)"),
    ("customer_type", " ", "the spec's blank, the port's default, is not offered"),
    ("customer_type", "", "'' is not an OUCH 4.2 Customer Type"),
    ("customer_type", "n", "'n' is not an OUCH 4.2 Customer Type"),
    ("capacity", "G", "'G' is not an OUCH 4.2 Capacity; one of: A (agency), P (principal), "
     "R (riskless principal), O (other)"),
    ("capacity", "PP", "'PP' is not an OUCH 4.2 Capacity"),
    ("display", "Z", "'Z' is not an OUCH 4.2 Display; one of: A (Attributable-Price to "
     "Display), Y (Anonymous-Price to Comply)"),
    ("display", True, "True is not an OUCH 4.2 Display"),
    ("iso", "n", "'n' is not an OUCH 4.2 Intermarket Sweep Eligibility"),
    ("cross_type", "I", "'I' is not an OUCH 4.2 Cross Type"),
    ("cross_type", 1, "1 is not an OUCH 4.2 Cross Type"),
    ("firm", "abcd", "'abcd' is not 0-4 capital letters"),
    ("firm", "ABCDE", "'ABCDE' is not 0-4 capital letters"),
    ("firm", "AB1", "'AB1' is not 0-4 capital letters"),
]


@pytest.mark.parametrize(("field", "value", "fragment"), BAD,
                         ids=[f"{b[0]}-{b[1]!r}" for b in BAD])
def test_a_bad_value_is_refused_naming_its_key(field: str, value: Any, fragment: str) -> None:
    found = issues(lab({field: value}))
    assert [p for p, _ in found] == [f"gateway.enter_order.{field}"]
    assert fragment in found[0][1]


def test_unknown_key_is_refused() -> None:
    found = issues(lab({"customer": "N"}))
    assert [p for p, _ in found] == ["gateway.enter_order.customer"]


def test_config_check_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(lab({"customer_type": "X", "capacity": "P"}),
                                   sort_keys=False))
    rc = main(["config", "check", str(path), "--no-host-checks"])
    err = capsys.readouterr().err
    assert rc == 2
    lines = [line for line in err.splitlines() if "gateway.enter_order" in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}:")
    assert ": gateway.enter_order.customer_type: 'X' is not an OUCH 4.2 Customer Type" in lines[0]
    assert f"{path}: 1 error" in err
    out = tmp_path / "out"
    rc = main(["config", "render", str(path), "--out", str(out), "--no-host-checks"])
    assert rc == 2 and not out.exists()
