"""A small town built through the services, for tests: one 所 with two 站, two teams with
their leads, volunteers, and one account of each role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from models import Gender, OrderSource, Role, SiteLevel, TeamTier
from services import catalog, completions, orders, sites, teams, users, volunteers
from services.permissions import Actor

PASSWORD = "correct horse"


@dataclass
class Town:
    station: int
    village_a: int
    village_b: int
    other_station: int
    team_a: int
    team_b: int
    category: int
    other_category: int
    manager: Actor
    officer: Actor
    lead_a: Actor
    lead_b: Actor
    leader: Actor
    outsider: Actor        # a manager of another station
    volunteers_a: list[int]


def build_town(session: Session) -> Town:
    centre = users.create_first_manager(session, centre_name="县中心", level=SiteLevel.center,
                                        username="boss", display_name="县管理员", password=PASSWORD)
    boss = users.to_actor(session, centre)
    catalog.ensure_default_categories(session)
    cats = catalog.categories(session)
    station = sites.create(session, name="青山镇", level=SiteLevel.station,
                           parent_id=centre.site_id)
    other = sites.create(session, name="绿水镇", level=SiteLevel.station,
                         parent_id=centre.site_id)
    va = sites.create(session, name="东村", level=SiteLevel.point, parent_id=station.id)
    vb = sites.create(session, name="西村", level=SiteLevel.point, parent_id=station.id)
    corps = teams.create(session, actor=boss, name="青山总队", tier=TeamTier.corps,
                         site_id=station.id, category_ids=(cats[0].id,))
    ta = teams.create(session, actor=boss, name="宣讲支队", tier=TeamTier.detachment,
                      site_id=station.id, parent_id=corps.id, category_ids=(cats[0].id,))
    tb = teams.create(session, actor=boss, name="健康支队", tier=TeamTier.detachment,
                      site_id=station.id, parent_id=corps.id, category_ids=(cats[4].id,))

    def account(username, role, site_id, team_id=None):
        user, _ = users.create(session, actor=boss, username=username,
                               display_name=username.upper(), role=role, site_id=site_id,
                               team_id=team_id, password=PASSWORD)
        return users.to_actor(session, user)

    manager = account("mgr", Role.manager, station.id)
    town = Town(
        station=station.id, village_a=va.id, village_b=vb.id, other_station=other.id,
        team_a=ta.id, team_b=tb.id, category=cats[0].id, other_category=cats[4].id,
        manager=manager, officer=account("off", Role.officer, station.id),
        lead_a=account("lead_a", Role.team_lead, station.id, ta.id),
        lead_b=account("lead_b", Role.team_lead, station.id, tb.id),
        leader=account("boss2", Role.leader, station.id),
        outsider=account("stranger", Role.manager, other.id),
        volunteers_a=[],
    )
    for i in range(3):
        v = volunteers.create(session, actor=manager, name=f"志愿者{i}", phone=f"1380000000{i}",
                              gender=Gender.female, site_id=va.id, registered_on=date(2025, 1, 1),
                              team_ids=(ta.id,))
        town.volunteers_a.append(v.id)
    return town


def place(session: Session, town: Town, **overrides):
    args = {"actor": town.officer, "site_id": town.village_a, "category_id": town.category,
            "title": "理论宣讲进村", "source": OrderSource.survey}
    args.update(overrides)
    return orders.place(session, **args)


def completed_order(session: Session, town: Town, **overrides):
    order = place(session, town, **overrides)
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a)
    orders.accept(session, actor=town.lead_a, order_id=order.id)
    done = completions.Completion(beneficiaries={"elderly": 10, "general": 5},
                                  hours={town.volunteers_a[0]: 2, town.volunteers_a[1]: 3},
                                  note="顺利完成")
    return completions.complete(session, actor=town.lead_a, order_id=order.id, done=done)
