"""Fleet drift check reports (roles/drift_check, playbooks/drift.yml).

The playbook collects, per host, the expected state (host profile + the roles' defaults) and the
running state, and writes them to ``results.json``. This package turns that into one record per
host per check (``checks``), keeps "since" per host+check across runs (``state``) and writes
records.json, junit.xml and an HTML fleet grid (``report``). Standard library only, so the
playbook can run it with the Python that runs Ansible (``python -m tickpath.drift``) on any
controller or AWX execution environment without installing the package.
"""

from tickpath.drift.model import SEVERITIES, STATUSES, Record, severity_rank

__all__ = ["SEVERITIES", "STATUSES", "Record", "severity_rank"]
