"""专家人才库 and re-engagement: the managed skills list, search by skill, site and
availability, the volunteers suggested for an order, the experts counted on the 派单 desk, the
volunteers idle for N months and 不再活跃 with a reason."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from models import Gender, Skill, Volunteer
from services import dispatch, experts, volunteers
from services.errors import Forbidden, Invalid
from tests.factories import place
from tests.services.test_volunteer_records import served

NOW = datetime(2026, 9, 1, 2, tzinfo=UTC)


def _skill(session, name):
    return session.exec(select(Skill).where(Skill.name == name)).one()


@pytest.fixture
def pool(session, town):
    """The default skills; volunteer 0 of team A is a 医疗 expert (a 主治医师), volunteer 1 a
    维修 one, and a 法律 volunteer of 西村 is on no team."""
    experts.ensure_default_skills(session)
    session.commit()
    v0, v1, _v2 = town.volunteers_a
    for vid, skill, title in ((v0, "医疗", "主治医师"), (v1, "维修", "")):
        vol = session.get(Volunteer, vid)
        volunteers.update(session, actor=town.manager, volunteer_id=vid, name=vol.name,
                          phone=vol.phone, gender=vol.gender, site_id=vol.site_id,
                          party_member=False, skills="", team_ids=(town.team_a,),
                          active=True, skill_ids=(_skill(session, skill).id,), title=title)
    lawyer = volunteers.create(session, actor=town.manager, name="律师", phone="13911110000",
                               gender=Gender.male, site_id=town.village_b,
                               skill_ids=(_skill(session, "法律").id,),
                               registered_on=date(2025, 1, 1))
    return town, lawyer.id


def test_the_default_skills_are_tied_to_their_categories(session, pool):
    rows = {s["name"]: s["category"] for s in experts.skills(session)}
    assert rows["医疗"] == "健康促进与体育服务" and rows["法律"] == "便民惠民服务"


def test_a_skill_name_is_unique_and_a_retired_one_cannot_be_given(session, pool):
    town, _ = pool
    with pytest.raises(Invalid) as err:
        experts.save_skill(session, actor=town.manager, name="医疗")
    assert err.value.key == "error.skill_taken"
    skill = experts.save_skill(session, actor=town.manager, name="书法")
    experts.save_skill(session, actor=town.manager, skill_id=skill.id, name="书法", active=False)
    with pytest.raises(Invalid) as err:
        volunteers.create(session, actor=town.manager, name="甲", phone="13911110001",
                          gender=Gender.male, site_id=town.village_a, skill_ids=(skill.id,))
    assert err.value.key == "error.skill_unknown"
    with pytest.raises(Forbidden):
        experts.save_skill(session, actor=town.officer, name="舞蹈")


def test_search_by_skill_site_and_availability(session, pool):
    town, lawyer = pool
    v0, v1, v2 = town.volunteers_a
    served(session, town, {v0: 2}, datetime(2026, 8, 1, 2, tzinfo=UTC))
    served(session, town, {v1: 2}, datetime(2025, 8, 1, 2, tzinfo=UTC))

    def ids(**kw):
        rows, total = experts.search(session, actor=town.manager, now=NOW, **kw)
        assert total == len(rows)
        return {r["id"] for r in rows}

    assert ids(skill_id=_skill(session, "医疗").id) == {v0}
    assert ids(site_id=town.village_b) == {lawyer}
    assert ids(availability="recent") == {v0}
    assert ids(availability="idle") == {v1, v2, lawyer}
    rows, _ = experts.search(session, actor=town.manager, skill_id=_skill(session, "医疗").id)
    assert (rows[0]["skills"], rows[0]["title"], rows[0]["phone"]) == ("医疗", "主治医师",
                                                                      "13800000000")


def test_an_order_suggests_the_volunteers_whose_skills_fit_it_team_first(session, pool):
    town, lawyer = pool
    v0, v1, _ = town.volunteers_a
    health = place(session, town, title="健康义诊", category_id=town.other_category)
    assert [r["id"] for r in experts.suggest(session, actor=town.manager,
                                              order_id=health.id)] == [v0]
    repair = place(session, town, title="家电维修进村", site_id=town.village_a)
    assert [r["id"] for r in experts.suggest(session, actor=town.officer,
                                              order_id=repair.id)] == [v1]
    # an officer sees the phone masked; a 法律 order in 西村 finds the lawyer of 西村
    assert experts.suggest(session, actor=town.officer,
                           order_id=repair.id)[0]["phone"] == "138****0001"
    legal = place(session, town, title="法律咨询", site_id=town.village_b)
    assert [r["id"] for r in experts.suggest(session, actor=town.manager,
                                              order_id=legal.id)] == [lawyer]


def test_the_dispatch_desk_counts_a_teams_fitting_experts(session, pool):
    town, _ = pool
    order = place(session, town, title="健康义诊", category_id=town.other_category)
    ranked = {r["team_id"]: r for r in dispatch.recommend(session, actor=town.manager,
                                                          order_ids=[order.id])}
    assert ranked[town.team_a]["experts"] == 1 and ranked[town.team_b]["experts"] == 0


def test_idle_volunteers_are_listed_for_a_call_and_can_be_marked_no_longer_active(
        session, pool):
    town, lawyer = pool
    v0, v1, v2 = town.volunteers_a
    served(session, town, {v0: 2}, datetime(2026, 8, 1, 2, tzinfo=UTC))
    served(session, town, {v1: 2}, datetime(2026, 2, 28, 2, tzinfo=UTC))   # 6 months + 1 day
    rows, total = volunteers.idle(session, actor=town.manager, now=NOW)
    assert [r["id"] for r in rows] == [v2, lawyer, v1] and total == 3
    assert rows[2]["last_served"] == date(2026, 2, 28) and rows[2]["phone"] == "13800000001"
    volunteers.retire(session, actor=town.manager, volunteer_id=v2, reason="已外出务工", now=NOW)
    vol = session.get(Volunteer, v2)
    assert (vol.active, vol.inactive_reason, vol.inactive_on) == (False, "已外出务工",
                                                                  date(2026, 9, 1))
    assert [r["id"] for r in volunteers.idle(session, actor=town.manager, now=NOW)[0]] == [
        lawyer, v1]
    with pytest.raises(Invalid) as err:
        volunteers.retire(session, actor=town.manager, volunteer_id=v2, reason="再次")
    assert err.value.key == "error.volunteer_inactive"
    with pytest.raises(Invalid):
        volunteers.retire(session, actor=town.manager, volunteer_id=v1, reason="")
