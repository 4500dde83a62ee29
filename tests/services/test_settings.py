"""Business settings: defaults, changes with an audit row, and star levels."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.config import BUSINESS_SETTINGS
from models import AuditAction, AuditLog, Setting
from services import settings


def test_defaults_apply_until_a_manager_changes_them(session):
    current = settings.current(session)
    expected = {
        "dispatch_days": 1, "accept_days": 2, "due_days": 7, "rate_days": 7,
        "follow_up_days": 15, "star_1_hours": 100, "star_2_hours": 300, "star_3_hours": 600,
        "star_4_hours": 1000, "star_5_hours": 1500, "points_per_hour": 10,
        "satisfaction_threshold": 3.5, "timezone": "Asia/Shanghai", "rating_link_days": 14,
        "public_base_url": "", "menu_min_ratings": 5, "menu_idle_months": 6,
        "weight_category": 40, "weight_workload": 20, "weight_rating": 15, "weight_on_time": 10,
        "weight_nearby": 10, "weight_accept": 5, "team_full_load": 10,
    }
    assert {k: current[k] for k in expected} == expected
    assert set(current) == {spec.key for spec in BUSINESS_SETTINGS}
    assert session.exec(select(Setting)).all() == []


def test_every_business_setting_has_a_default_within_its_own_range_and_a_help():
    for spec in BUSINESS_SETTINGS:
        assert isinstance(spec.default, spec.kind), spec.key
        assert spec.help.strip(), spec.key
        if spec.minimum is not None:
            assert spec.minimum <= spec.default <= spec.maximum, spec.key


def test_an_update_is_stored_returned_and_audited(session, town):
    values = settings.update(session, actor=town.manager,
                             values={"points_per_hour": "12", "timezone": "Asia/Urumqi",
                                     "satisfaction_threshold": 4})
    assert (values["points_per_hour"], values["timezone"], values["satisfaction_threshold"]) == (
        12, "Asia/Urumqi", 4.0)
    assert settings.current(session) == values
    row = session.get(Setting, "points_per_hour")
    assert (row.value, row.updated_by_id) == ("12", town.manager.id)
    audit = session.exec(select(AuditLog)
                         .where(AuditLog.action == AuditAction.settings_update)).one()
    assert audit.actor_id == town.manager.id
    assert set(audit.detail.split("; ")) == {"points_per_hour=12", "timezone=Asia/Urumqi",
                                             "satisfaction_threshold=4.0"}


def test_saving_an_unchanged_value_writes_no_audit_row(session, town):
    settings.update(session, actor=town.manager, values={"rate_days": 5})
    settings.update(session, actor=town.manager, values={"rate_days": 5})
    audits = session.exec(select(AuditLog)
                          .where(AuditLog.action == AuditAction.settings_update)).all()
    assert [a.detail for a in audits] == ["rate_days=5"]


def test_star_thresholds_may_move_together_when_they_stay_increasing(session, town):
    values = settings.update(session, actor=town.manager, values={
        "star_1_hours": 50, "star_2_hours": 80, "star_3_hours": 120, "star_4_hours": 200,
        "star_5_hours": 400})
    assert [values[f"star_{i}_hours"] for i in range(1, 6)] == [50, 80, 120, 200, 400]


def test_a_hand_edited_bad_value_falls_back_to_the_default(session):
    session.add(Setting(key="due_days", value="seven"))
    session.commit()
    assert settings.current(session)["due_days"] == 7


DEFAULTS = {f"star_{i}_hours": h for i, h in enumerate((100, 300, 600, 1000, 1500), start=1)}


@pytest.mark.parametrize("hours,stars", [
    (0, 0), (99.9, 0), (100, 1), (299.99, 1), (300, 2), (600, 3), (999, 3), (1000, 4),
    (1499.5, 4), (1500, 5), (100_000, 5),
])
def test_star_level_follows_the_default_thresholds(hours, stars):
    assert settings.star_level(hours, DEFAULTS) == stars


def test_star_level_follows_changed_thresholds(session, town):
    values = settings.update(session, actor=town.manager, values={"star_1_hours": 10})
    assert settings.star_level(10, values) == 1
    assert settings.star_level(9.5, values) == 0


def test_volunteer_list_shows_hours_stars_and_points(session, town):
    from services import completions, volunteers
    from tests.services.steps import S, order_in

    settings.update(session, actor=town.manager, values={"star_1_hours": 5})
    for _ in range(2):  # 2 h + 2 h of service for volunteer 0
        order = order_in(session, town, S.accepted)
        completions.complete(session, actor=town.lead_a, order_id=order.id,
                        done=completions.Completion(hours={town.volunteers_a[0]: 2.5}))
    rows, total = volunteers.page(session, actor=town.manager)
    first = next(r for r in rows if r["id"] == town.volunteers_a[0])
    assert (first["hours"], first["stars"], first["points"]) == (5.0, 1, 50)
    other = next(r for r in rows if r["id"] == town.volunteers_a[1])
    assert (other["hours"], other["stars"], other["points"]) == (0.0, 0, 0)
    assert total == 3


@pytest.mark.parametrize("entered, stored", [
    ("https://diandan.example.gov.cn/", "https://diandan.example.gov.cn"),
    ("  http://192.168.1.20:8501  ", "http://192.168.1.20:8501"),
    ("https://example.cn/diandan", "https://example.cn/diandan"),
    ("", ""),
])
def test_the_public_address_is_kept_without_its_trailing_slash(session, town, entered, stored):
    assert settings.update(session, actor=town.manager,
                           values={"public_base_url": entered})["public_base_url"] == stored


@pytest.mark.parametrize("entered", ["diandan.example.gov.cn", "javascript:alert(1)",
                                     "ftp://example.cn", "https://exa mple.cn",
                                     "https://example.cn/?rate=x", "https://example.cn/#a",
                                     "https://" + "a" * 200 + ".cn", "https://"])
def test_a_public_address_that_is_not_an_http_address_is_refused(session, town, entered):
    with pytest.raises(settings.Invalid) as err:
        settings.update(session, actor=town.manager, values={"public_base_url": entered})
    assert err.value.key == "error.setting_base_url"
    assert session.get(Setting, "public_base_url") is None
