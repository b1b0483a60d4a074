"""Supervisor of the data path's C programs (`tickpath run COMPONENT`).

`plan` turns the YAML config into a launch plan (program, key=value file, cores, priority);
`process` starts the program with that plan and keeps it running (restart with backoff, bounded
restarts, clean stop with signal forwarding).
"""

from tickpath.supervisor.components import COMPONENTS, Component, UnknownComponentError, component
from tickpath.supervisor.plan import (
    CREDENTIALS_ENV,
    ConfigError,
    LaunchPlan,
    load_plan,
    password_problem,
    write_conf,
)
from tickpath.supervisor.process import LaunchError, RestartPolicy, Supervisor, status_of

__all__ = [
    "COMPONENTS",
    "CREDENTIALS_ENV",
    "Component",
    "ConfigError",
    "LaunchError",
    "LaunchPlan",
    "RestartPolicy",
    "Supervisor",
    "UnknownComponentError",
    "component",
    "load_plan",
    "password_problem",
    "status_of",
    "write_conf",
]
