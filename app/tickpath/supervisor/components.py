"""The data-path components `tickpath run` knows: which C program, which key=value file.

Every component is one C program started by the supervisor with `--config FILE`, FILE being the
key=value file rendered from the YAML config into the run directory (default /run/tickpath).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Component:
    """One supervised C program."""

    name: str
    binary: str
    conf_name: str
    description: str


COMPONENTS: dict[str, Component] = {
    c.name: c
    for c in (
        Component("fh", "tickpath-fh", "fh.conf", "feed handler (ITCH/MoldUDP64 A/B, order book)"),
        Component("gw", "tickpath-gw", "gw.conf", "order gateway (OUCH over SoupBinTCP)"),
        Component("strategy", "tickpath-strategy", "strategy.conf", "strategy and risk checks"),
        Component("sim", "tickpath-sim", "sim.conf", "exchange simulator (lab)"),
        Component("pub", "tickpath-pub", "pub.conf", "market-data publisher (lab)"),
    )
}


class UnknownComponentError(ValueError):
    """The component name is not one of COMPONENTS."""


def component(name: str) -> Component:
    """Return the component called `name` or raise with the list of known ones."""
    try:
        return COMPONENTS[name]
    except KeyError:
        known = ", ".join(sorted(COMPONENTS))
        raise UnknownComponentError(f"unknown component {name!r} (known: {known})") from None
