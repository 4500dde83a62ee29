"""The login cookie carries its own issue time: changing DIANDAN_COOKIE_DAYS cannot move an old
cookie past a logout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from ui import session

T = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
KEY = "k" * 48


def test_the_issue_time_is_read_from_the_cookie_not_worked_out_from_the_setting(monkeypatch):
    monkeypatch.setenv("DIANDAN_COOKIE_KEY", KEY)
    monkeypatch.setenv("DIANDAN_COOKIE_DAYS", "30")
    token, expires = session.cookie_token("off", T)
    assert expires == T + timedelta(days=30)
    claims = jwt.decode(token, KEY, algorithms=["HS256"])
    assert claims["username"] == "off"
    monkeypatch.setenv("DIANDAN_COOKIE_DAYS", "1")  # shortened after the cookie was issued
    # expiry − the current setting would say 29 days after T: past a logout at T + 1 hour.
    assert session.issued_at(claims) == T


def test_a_cookie_without_its_issue_time_is_not_honoured():
    assert session.issued_at({"username": "off", "exp_date": T.timestamp()}) is None
    assert session.issued_at({"username": "off", "iat": True}) is None
