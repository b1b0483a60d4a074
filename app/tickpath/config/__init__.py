"""Validated data-path configuration: YAML in, key=value files for the C programs out."""

from tickpath.config.host import HostFacts, HostFactsError
from tickpath.config.models import STAGES, TRANSPORTS, Config
from tickpath.config.render import render, write_rendered
from tickpath.config.validate import ConfigError, Issue, load_config, validate_text

__all__ = [
    "STAGES",
    "TRANSPORTS",
    "Config",
    "ConfigError",
    "HostFacts",
    "HostFactsError",
    "Issue",
    "load_config",
    "render",
    "validate_text",
    "write_rendered",
]
