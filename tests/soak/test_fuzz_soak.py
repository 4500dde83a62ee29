"""2,000 hostile inputs at each service entry point (SOAK_FUZZ_EXAMPLES to change): 0
unhandled exceptions."""

from __future__ import annotations

import os

import pytest

from tests.services.fuzz_entry_points import ENTRY_POINTS, fuzz
from tests.soak.conftest import report

pytestmark = pytest.mark.soak


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_two_thousand_hostile_inputs_find_no_crash(soak_db, name):
    url, town = soak_db
    examples = int(os.environ.get("SOAK_FUZZ_EXAMPLES", "2000"))
    fuzz(name, url, town, examples)
    report(f"fuzz {name}", f"{examples} examples, 0 unhandled exceptions")
