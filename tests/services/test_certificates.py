"""志愿服务记录证明: the register's numbering (per year, never reused, even after a revoke), what
a certificate holds, the ID number masked except on the printed copy, and refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from models import AuditLog, Certificate
from services import certificates, settings
from services.errors import Forbidden, Invalid, NotFound
from tests.services.steps import count
from tests.services.test_volunteer_records import served

NOW = datetime(2026, 6, 1, 2, tzinfo=UTC)
ID = "11010519491231002X"   # the standard's own example, check digit X


@pytest.fixture
def ready(session, town):
    settings.update(session, actor=town.manager, values={
        "certificate_head": "王主任", "certificate_phone": "0797-1234567"})
    v0 = town.volunteers_a[0]
    served(session, town, {v0: 2.5}, datetime(2026, 3, 2, 2, tzinfo=UTC), title="理论宣讲进村")
    served(session, town, {v0: 3}, datetime(2026, 4, 2, 2, tzinfo=UTC), title="义务维修")
    return town


def _issue(session, town, **kw):
    args = {"actor": town.manager, "volunteer_id": town.volunteers_a[0],
            "period_from": date(2026, 1, 1), "period_to": date(2026, 5, 31), "now": NOW}
    return certificates.issue(session, **{**args, **kw})


def test_a_certificate_holds_identity_services_issuer_number_and_date(session, ready):
    cert = _issue(session, ready, id_number=ID.lower())
    assert cert.number == "ZM-2026-0001"
    assert (cert.volunteer_name, cert.hours, cert.services) == ("志愿者0", 5.5, 2)
    assert [(x["served_on"], x["content"], x["hours"]) for x in cert.lines] == [
        ("2026-03-02", "理论宣讲进村", 2.5), ("2026-04-02", "义务维修", 3.0)]
    assert (cert.issuing_body, cert.person_in_charge, cert.handler, cert.contact_phone) == (
        "青山镇", "王主任", "MGR", "0797-1234567")
    assert cert.issued_on == date(2026, 6, 1) and cert.id_number == ID
    assert count(session, AuditLog) >= 1


def test_numbers_follow_on_and_are_never_reused_after_a_revoke(session, ready):
    first = _issue(session, ready)
    certificates.revoke(session, actor=ready.manager, certificate_id=first.id, reason="信息有误")
    second = _issue(session, ready)
    assert second.number == "ZM-2026-0002"
    rows, total = certificates.register(session, actor=ready.manager)
    assert total == 2
    assert [(r["number"], r["revoked"], r["revoke_reason"]) for r in rows] == [
        ("ZM-2026-0002", False, ""), ("ZM-2026-0001", True, "信息有误")]
    with pytest.raises(Invalid) as err:
        certificates.revoke(session, actor=ready.manager, certificate_id=first.id, reason="再次")
    assert err.value.key == "error.certificate_revoked"
    with pytest.raises(Invalid):   # a revoked certificate is not printed
        certificates.get(session, actor=ready.manager, certificate_id=first.id, printable=True)


def test_a_new_year_starts_at_one(session, ready):
    _issue(session, ready)
    later = _issue(session, ready, now=datetime(2027, 1, 5, 2, tzinfo=UTC))
    assert later.number == "ZM-2027-0001"


def test_the_id_number_is_masked_except_on_the_printed_copy(session, ready):
    cert = _issue(session, ready, id_number=ID)
    rows, _ = certificates.register(session, actor=ready.manager)
    assert rows[0]["id_number"] == "110***********002X"
    assert certificates.get(session, actor=ready.manager,
                            certificate_id=cert.id)["id_number"] == "110***********002X"
    assert certificates.get(session, actor=ready.manager, certificate_id=cert.id,
                            printable=True)["id_number"] == ID


@pytest.mark.parametrize("kw, key", [
    ({"period_from": date(2026, 5, 1), "period_to": date(2026, 5, 31)},
     "error.certificate_no_service"),
    ({"period_from": date(2026, 5, 1), "period_to": date(2026, 4, 1)}, "error.period_order"),
    ({"period_to": date(2026, 6, 2)}, "error.period_future"),
    ({"id_number": "110105194912310021"}, "error.id_number"),
    ({"id_number": "12345"}, "error.id_number")])
def test_bad_requests_are_refused_and_nothing_is_numbered(session, ready, kw, key):
    with pytest.raises(Invalid) as err:
        _issue(session, ready, **kw)
    assert err.value.key == key
    session.rollback()
    assert count(session, Certificate) == 0
    assert _issue(session, ready).number == "ZM-2026-0001"


def test_the_issuer_settings_must_be_filled_in(session, town):
    served(session, town, {town.volunteers_a[0]: 2}, NOW - timedelta(days=10))
    with pytest.raises(Invalid) as err:
        _issue(session, town)
    assert err.value.key == "error.certificate_settings"


def test_only_managers_of_the_volunteers_sites_issue(session, ready):
    with pytest.raises(Forbidden):
        _issue(session, ready, actor=ready.officer)
    with pytest.raises(NotFound):
        _issue(session, ready, actor=ready.outsider)
    cert = _issue(session, ready)
    with pytest.raises(NotFound):
        certificates.get(session, actor=ready.outsider, certificate_id=cert.id)
    assert session.exec(select(Certificate.number)).all() == ["ZM-2026-0001"]
