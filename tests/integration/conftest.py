"""Fixtures shared by the integration tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fh_helpers import FeedNet, new_net


@pytest.fixture
def net() -> Iterator[FeedNet]:
    """An exchange namespace and a trader namespace joined by lines A and B (fh_helpers),
    removed again after the test."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    n = new_net()
    try:
        yield n
    finally:
        n.down()
