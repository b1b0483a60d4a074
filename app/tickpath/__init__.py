"""tickpath: control plane of a low-latency trading host's data path."""

__version__ = "0.1.0"
