"""kill -9 in the middle of writing, again and again: after each round the database passes
integrity_check and every rule of tests/soak/invariants.py (no half order: a transition, its
event, its service records and points are all there or none)."""

from __future__ import annotations

import os
import pickle
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import func, select

from core import db
from models import OrderEvent
from tests.soak.conftest import report, seconds
from tests.soak.invariants import problems

pytestmark = pytest.mark.soak
ROOT = Path(__file__).resolve().parents[2]


def test_kill_9_rounds_leave_a_whole_database(soak_db, tmp_path):
    url, town = soak_db
    town_file = tmp_path / "town.pickle"
    town_file.write_bytes(pickle.dumps(town))
    rounds = max(3, min(20, int(seconds() / 3)))
    rng = random.Random(11)
    db.engine(url).dispose()
    before = 0
    for n in range(rounds):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.soak.writer_process", url, str(town_file), "4"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.stdout.readline().strip() == b"writing"
        time.sleep(rng.uniform(0.5, 2.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        found = problems(url)
        assert found == [], f"round {n + 1}: {found}"
        with db.session(url) as s:
            events = s.exec(select(func.count()).select_from(OrderEvent)).one()
        db.engine(url).dispose()
        assert events >= before
        before = events
    report(f"kill -9 x {rounds}", f"integrity ok, no half order, {before} events written")
    assert before > 0
