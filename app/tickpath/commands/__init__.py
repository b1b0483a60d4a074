"""Sub-commands of the `tickpath` CLI (one module each, discovered by tickpath.cli)."""
