"""The audit log has one writer and one vocabulary: audit.record with an AuditAction."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select

from models import AuditAction, AuditLog
from services import audit
from tests.services.steps import T0, count

ROOT = Path(__file__).resolve().parents[2]


def test_a_row_is_named_by_its_action_and_cut_to_fit(session):
    audit.record(session, AuditAction.surveys_export, actor_id=None, target="x" * 300,
                 detail="y" * 3000, at=T0)
    session.commit()
    row = session.exec(select(AuditLog)).one()
    assert (row.action, len(row.target), len(row.detail), row.at) == (
        "surveys.export", 100, 1000, T0)


def test_a_name_that_is_not_an_audit_action_is_refused(session):
    with pytest.raises(ValueError):
        audit.record(session, "export.surveys", actor_id=None)
    assert count(session, AuditLog) == 0


def test_the_row_belongs_to_the_callers_transaction(session):
    audit.record(session, AuditAction.login, actor_id=None, target="someone")
    session.rollback()
    assert count(session, AuditLog) == 0


def test_every_action_is_named_what_dot_verb():
    assert [a.value for a in AuditAction
            if not re.fullmatch(r"[a-z_]+\.[a-z_]+", a.value)] == []


def test_no_service_writes_an_audit_row_by_hand():
    writers = [p.name for p in (ROOT / "services").glob("*.py")
               if re.search(r"\bAuditLog\(", p.read_text(encoding="utf-8"))]
    assert writers == ["audit.py"]
