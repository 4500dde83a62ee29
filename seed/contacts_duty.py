"""The demo town's 户 / 户联系 and 站点值班 (issue 15), made through the services like the rest of
the town: households with tags in every village, party members paired with most of them (some
households left without a contact, some members below the target), their visits over the past
months (a few carrying needs to the 群众需求 board, a few households overdue), two service
stations with opening hours and a weekly rota (one slot short), the last weeks' attendance
credited as duty hours, and the desk's 来访 of the last days.

Every choice comes from the `rng` passed in, every moment from `anchor` (the start of the demo's
today): the same seed and day give the same households, pairs, visits and rota.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, select

from models import Volunteer
from services import contacts, duty, households, surveys, walk_ins
from services.contacts import VisitInput
from services.households import HouseholdInput

HOUSEHOLDS_PER_VILLAGE = 12
CONTACT_TARGET = 3   # the setting's default (contact_households_target)
GROUPS = ("一组", "二组", "三组", "四组", "五组")
TOPICS = ("家庭教育：孩子放学后的作业辅导", "讲解医保缴费和报销政策", "了解老人身体和生活情况",
          "宣讲防范电信诈骗", "交流家风家训，推荐好家风故事", "询问孩子在校情况，讲安全常识")
GUIDANCE = ("", "建议每周和在外打工的父母视频一次", "提醒按时服药，介绍村卫生室上门服务",
            "介绍村里的四点半课堂", "留下联系电话，有事随时找")
VISIT_NEEDS = (("想请医生来村里讲讲高血压", 4), ("孩子暑假想参加书法兴趣班", 1),
               ("希望有人帮忙申请临时救助", 5), ("想学用手机视频通话", 3))
WALK_IN_MATTERS = (("咨询养老保险缴费", 5), ("代办医保异地备案", 5), ("借阅农技书籍", 3),
                   ("咨询家庭教育问题", 1), ("量血压、测血糖", 4))
STATIONS = (
    # (site: None is the 所 itself, name, address, services, opening (weekday, from, to))
    (None, "微爱志愿者服务站", "云溪镇人民东路780号", "政策咨询、代办服务、心理疏导",
     ((1, 14, 18), (3, 14, 18), (5, 9, 12))),
    ("河口社区", "河口社区志愿服务站", "河口社区党群服务中心一楼", "便民理发、健康检测",
     ((2, 9, 12), (5, 14, 17))),
)
SLOTS = (  # (station index, weekday, from, to, volunteers needed, assigned)
    (0, 1, 15, 18, 2, 2), (0, 3, 15, 18, 2, 2), (0, 5, 9, 12, 3, 2),
    (1, 2, 9, 12, 2, 2), (1, 5, 14, 17, 2, 2),
)
ATTENDANCE_WEEKS = 4


def build(session: Session, *, town, planner, rng: random.Random, anchor: datetime,
          scale: float = 1.0) -> None:
    today = planner.day(anchor)
    now = anchor - timedelta(minutes=1)   # the history ends before the demo's today
    tags = {t.name: t.id for t in households.tags(session)}
    homes = _households(session, town, planner, rng, tags,
                        max(3, round(HOUSEHOLDS_PER_VILLAGE * scale)))
    _pairs_and_visits(session, town, rng, homes, today, now)
    _stations(session, town, planner, rng, today, now)


def _households(session, town, planner, rng, tags, per_village) -> list:
    homes = []
    for village in town.villages:
        for n in range(per_village):
            head, _ = planner.name()
            chosen = rng.sample(sorted(tags.values()), k=rng.choices((0, 1, 2), (5, 4, 1))[0])
            homes.append(households.create(session, actor=town.officer, raw=HouseholdInput(
                site_id=village.id, head_name=head,
                address=f"{village.name}{rng.choice(GROUPS)}{n + 1}号",
                phone=planner.mobile() if rng.random() < 0.6 else "",
                people=rng.choices((1, 2, 3, 4, 5, 6), (2, 4, 3, 3, 2, 1))[0],
                tag_ids=tuple(chosen))))
    return homes


def _pairs_and_visits(session, town, rng, homes, today: date, now: datetime) -> None:
    """About four in five households get a party member as contact; each member takes up to
    three (the target), so some end below it. Visits run from the pairing to yesterday."""
    members = list(session.exec(select(Volunteer.id).where(
        Volunteer.party_member, Volunteer.active).order_by(Volunteer.id)))
    if not members:
        return
    load = dict.fromkeys(members, 0)
    target = CONTACT_TARGET
    needs_left = list(VISIT_NEEDS)
    for home in homes:
        if rng.random() < 0.2:
            continue  # no contact yet: on the list of households without one
        free = [m for m in members if load[m] < target]
        if not free:
            break
        member = rng.choice(free)
        load[member] += 1
        started = today - timedelta(days=rng.randint(60, 400))
        contacts.pair(session, actor=town.manager, household_id=home.id, volunteer_id=member,
                      started_on=started, now=now)
        # Most households visited within the last half year; some not since long: overdue.
        n_visits = rng.choices((0, 1, 2, 3), (2, 4, 3, 2))[0]
        days = sorted(rng.sample(range(1, (today - started).days), k=n_visits), reverse=True)
        for back in days:
            needs = ()
            if needs_left and back < 30 and rng.random() < 0.5:
                text, cat = needs_left.pop(0)
                needs = (surveys.NeedInput(category_id=town.categories[cat].id,
                                           priority="get", text=text),)
            contacts.record_visit(session, actor=town.officer, now=now, visit=VisitInput(
                household_id=home.id, volunteer_id=member,
                visited_on=today - timedelta(days=back),
                method=rng.choices(("home", "phone", "wechat"), (6, 3, 2))[0],
                topics=rng.choice(TOPICS), guidance=rng.choice(GUIDANCE), needs=needs))


def _stations(session, town, planner, rng, today: date, now: datetime) -> None:
    by_name = {v.name: v for v in town.villages}
    made = []
    for site, name, address, services, opening in STATIONS:
        site_id = by_name[site].id if site else town.station.id
        station = duty.create_station(session, actor=town.manager, site_id=site_id, name=name,
                                      address=address, services=services)
        duty.set_hours(session, actor=town.manager, station_id=station.id,
                       periods=[(w, time(lo), time(hi)) for w, lo, hi in opening])
        made.append(station)
    pool = list(session.exec(select(Volunteer.id).where(Volunteer.active)
                             .order_by(Volunteer.id)))
    rng.shuffle(pool)
    since = today - timedelta(days=7 * ATTENDANCE_WEEKS + 7)
    for index, weekday, lo, hi, needed, assigned in SLOTS:
        slot = duty.add_slot(session, actor=town.manager, station_id=made[index].id,
                             weekday=weekday, start=time(lo), end=time(hi), needed=needed)
        crew = [pool.pop() for _ in range(assigned)]   # distinct people: no clash possible
        for vid in crew:
            duty.assign(session, actor=town.manager, slot_id=slot.id, volunteer_id=vid,
                        starts_on=since)
        # The slot's last few weeks, marked: mostly present, now and then absent.
        day = since + timedelta(days=(weekday - since.weekday()) % 7)
        while day < today:
            marks = {vid: "present" if rng.random() < 0.85 else "absent" for vid in crew}
            duty.mark(session, actor=town.manager, slot_id=slot.id, on_date=day, marks=marks,
                      now=now)
            day += timedelta(days=7)
    _walk_ins(session, town, planner, rng, made[0], today, now)


def _walk_ins(session, town, planner, rng, station, today: date, now: datetime) -> None:
    """The main station's desk over the last days: residents served on the spot."""
    for back in range(1, walk_ins.DAYS_BACK):
        day = today - timedelta(days=back)
        if day.weekday() not in (1, 3, 5):
            continue
        for _ in range(rng.randint(1, 3)):
            matter, cat = rng.choice(WALK_IN_MATTERS)
            people = {"elderly": rng.randint(0, 2), "general": rng.randint(1, 2)}
            walk_ins.record(session, actor=town.manager, station_id=station.id,
                            category_id=town.categories[cat].id, title=matter,
                            beneficiaries={g: n for g, n in people.items() if n},
                            served_at=planner.at(day, rng.uniform(15, 17.9)),
                            requester_name=planner.name()[0], note="当场办结", now=now)

