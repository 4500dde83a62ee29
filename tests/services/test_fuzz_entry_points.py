"""Hostile input at every service entry point finds no unhandled exception: a few examples each
in the default run; 2,000 each under `pytest -m soak` (tests/soak/test_fuzz_soak.py)."""

from __future__ import annotations

import pytest

from tests.services.fuzz_entry_points import ENTRY_POINTS, EXAMPLES, fuzz


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_hostile_input_is_refused_in_words_never_with_a_crash(db_url, town, name):
    fuzz(name, db_url, town, EXAMPLES)
