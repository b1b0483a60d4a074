"""The data-path components `tickpath run` knows: which C program, which key=value file.

Every component is one C program started by the supervisor with `--config FILE`, FILE being the
key=value file rendered from the YAML config into the run directory (default /run/tickpath).

A trading host runs two long-lived components: `fh` (feed handler, publishes books and BBO
events in shared memory) and `strategy` (tickpath-strategy: the strategy thread hands orders
through an in-process SPSC ring to the order-gateway thread: risk checks, OUCH session). `gw`
(tickpath-gw) is the same gateway driven by commands on stdin: an operator tool, run in a
terminal (`tickpath run gw --foreground`), never a service -- a second long-running gateway would
open a second OUCH session for the same user next to the strategy's.
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
    #: Driven on stdin by an operator: only `--foreground` (or `--check`), never supervised.
    interactive: bool = False


COMPONENTS: dict[str, Component] = {
    c.name: c
    for c in (
        Component("fh", "tickpath-fh", "fh.conf", "feed handler (ITCH/MoldUDP64 A/B, order book)"),
        Component(
            "gw",
            "tickpath-gw",
            "gw.conf",
            "operator order gateway on stdin (OUCH over SoupBinTCP); not a service",
            interactive=True,
        ),
        Component(
            "strategy",
            "tickpath-strategy",
            "strategy.conf",
            "strategy with its order gateway (risk checks, OUCH over SoupBinTCP)",
        ),
        Component("sim", "tickpath-sim", "sim.conf", "exchange simulator (lab)"),
    )
}
# tickpath-pub (the tests' and benchmarks' BinaryFILE publisher) is not a component: it takes
# command-line flags, not a key=value --config file, so `tickpath run` could never start it.


class UnknownComponentError(ValueError):
    """The component name is not one of COMPONENTS."""


def component(name: str) -> Component:
    """Return the component called `name` or raise with the list of known ones."""
    try:
        return COMPONENTS[name]
    except KeyError:
        known = ", ".join(sorted(COMPONENTS))
        raise UnknownComponentError(f"unknown component {name!r} (known: {known})") from None
