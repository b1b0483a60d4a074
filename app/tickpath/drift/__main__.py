"""`python -m tickpath.drift`: the report writer (stdlib only; see tickpath.drift.cli)."""

import sys

from tickpath.drift.cli import main

sys.exit(main())
