"""Login that cannot hurt others: the hash is checked with no transaction open, failures count
per account and client, and unknown names leave a bounded trail."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from models import AuditAction, AuditLog, LoginLockout
from services import users
from services.errors import LoginRefused
from tests.engines import skip_on_postgres
from tests.factories import PASSWORD

T = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
WRONG = "wrong horse"


def _fail(session, username, times, at, client=""):
    for _ in range(times):
        with pytest.raises(LoginRefused):
            users.verify_login(session, username=username, password=WRONG, client=client, now=at)


@skip_on_postgres  # SQLite's one write lock (BEGIN IMMEDIATE)
def test_the_password_hash_is_checked_with_no_transaction_and_no_write_lock_held(
        session, town, db_url, monkeypatch):
    """Another writer commits while the hash runs (before: the login held BEGIN IMMEDIATE)."""
    seen = []
    check = users._check

    def observed(password, hashed):
        seen.append(session.in_transaction())
        other = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=0.2,
                                isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # 'database is locked' if the login holds it
            other.execute("ROLLBACK")
        finally:
            other.close()
        return check(password, hashed)

    monkeypatch.setattr(users, "_check", observed)
    users.verify_login(session, username="off", password=PASSWORD, now=T)
    _fail(session, "off", 1, T)
    _fail(session, "nobody", 1, T)
    assert seen == [False, False, False]


def test_five_guesses_from_one_client_lock_out_that_client_only(session, town):
    _fail(session, "mgr", 5, T, client="203.0.113.9")
    with pytest.raises(LoginRefused):  # the guesser, even with the right password
        users.verify_login(session, username="mgr", password=PASSWORD, client="203.0.113.9",
                           now=T + timedelta(minutes=1))
    # The manager, from the office, still logs in.
    user = users.verify_login(session, username="mgr", password=PASSWORD, client="10.0.0.7",
                              now=T + timedelta(minutes=1))
    assert user.id == town.manager.id
    lock = session.get(LoginLockout, ("mgr", "203.0.113.9"))
    assert (lock.failures, lock.locked_until) == (5, T + timedelta(minutes=15))
    assert session.get(LoginLockout, ("mgr", "10.0.0.7")) is None


def test_a_locked_client_is_refused_without_hashing_or_writing(session, town, monkeypatch):
    _fail(session, "off", 5, T, client="c1")
    rows = session.exec(select(func.count()).select_from(AuditLog)).one()

    def never(*_args):
        raise AssertionError("hashed for a locked client")

    monkeypatch.setattr(users, "_check", never)
    _fail(session, "off", 3, T + timedelta(minutes=2), client="c1")
    assert session.exec(select(func.count()).select_from(AuditLog)).one() == rows
    assert session.get(LoginLockout, ("off", "c1")).locked_until == T + timedelta(minutes=15)


def test_an_unknown_name_has_one_lockout_row_and_one_audit_row_per_hour(session, town):
    for minute, client in enumerate(["a", "b", "c", "d"] * 3):
        _fail(session, "ghost", 1, T + timedelta(minutes=minute % 4), client=client)
    locks = session.exec(select(LoginLockout).where(LoginLockout.username == "ghost")).all()
    assert [(lk.client, lk.locked_until is not None) for lk in locks] == [("", True)]
    audit = session.exec(select(AuditLog).where(AuditLog.target == "ghost")).all()
    # Five counted; the rest came while the name was locked and were refused unrecorded.
    assert [(a.action, a.at, a.detail) for a in audit] == [
        (AuditAction.login_failed, T, "attempts=5")]
    _fail(session, "ghost", 1, T + timedelta(hours=1, minutes=20))
    audit = session.exec(select(AuditLog.detail).where(AuditLog.target == "ghost")
                         .order_by(AuditLog.at)).all()
    assert audit == ["attempts=5", "attempts=1"]


def test_lockout_rows_of_faded_failures_are_dropped(session, town):
    for i in range(30):
        _fail(session, f"guess{i}", 1, T)
    _fail(session, "another", 1, T + timedelta(minutes=20))
    names = session.exec(select(LoginLockout.username)).all()
    assert names == ["another"]


def test_names_no_account_can_have_are_refused_and_leave_nothing(session, town):
    for name in ("\ud800", "a\x00b", "\u202eoff", "x" * 5000):
        with pytest.raises(LoginRefused):
            users.verify_login(session, username=name, password=WRONG, now=T)
    names = session.exec(select(LoginLockout.username)).all()
    assert names == ["x" * 100]  # a long name is cut to the column, like before
