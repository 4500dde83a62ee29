"""户联系: party members fixed to households, their visits, and the lists and figures that show
whether every household is looked after.

Rules, in words:
- A manager pairs an active **party-member** volunteer of their sites with an active household
  of their sites. A household has **one contact member at a time**; pairing it again with the
  same member, or with another while one is in place, is refused (end the pair first). A pair
  ends on a day with a reason and stays in the history.
- A member is **below target** while their open pairs number fewer than
  `contact_households_target`.
- A **visit** (date not in the future, visitor, how: 入户 / 电话 / 微信, topics, guidance) is
  recorded by an officer or manager for a household and the member paired with it on that day.
  Needs heard on the visit are written as a survey of the household in the same transaction, so
  they land on the 群众需求 board (marked 户联系: their survey has a visit) and become orders as
  usual.
- A paired household is **overdue** when its last visit — or, never visited, the start of the
  pair — lies `contact_visit_days` or more days before today (local time).
- **Coverage** of a period = households visited in it ÷ households paired at some time in it,
  per member (visits by that member to their own households) and per 站.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    ContactPair,
    ContactVisit,
    Household,
    Need,
    Site,
    Survey,
    VisitMethod,
    Volunteer,
)
from services import households, scope, surveys, validate
from services import settings as settings_service
from services.clock import local_today
from services.errors import Duplicate, Invalid, NotFound
from services.permissions import Action, Actor, ensure_allowed, in_scope

MAX_NEEDS = surveys.MAX_NEEDS


def _today(session: Session, now: datetime) -> date:
    return local_today(now, settings_service.current(session)["timezone"])


def _member(session: Session, actor: Actor, volunteer_id: int | None) -> Volunteer:
    """An active party-member volunteer of the actor's sites."""
    volunteer = session.get(Volunteer, volunteer_id) if volunteer_id else None
    if volunteer is None or not volunteer.active:
        raise Invalid("error.volunteer_unknown")
    if not in_scope(actor, session.get(Site, volunteer.site_id).path):
        raise Invalid("error.volunteer_unknown")
    if not volunteer.party_member:
        raise Invalid("error.contact_not_party_member", name=volunteer.name)
    return volunteer


def _open_pair(session: Session, household_id: int) -> ContactPair | None:
    return session.exec(select(ContactPair).where(ContactPair.household_id == household_id,
                                                  ContactPair.ended_on.is_(None))).first()


# --- pairing -----------------------------------------------------------------------------------


def pair(session: Session, *, actor: Actor, household_id: int, volunteer_id: int,
         started_on: date | None = None, now: datetime | None = None) -> ContactPair:
    """Fix a party member to a household from a day (today by default); managers of both."""
    now = now or utcnow()
    ensure_allowed(actor, Action.PAIR_CONTACTS)
    household = households.load_for(session, actor, Action.PAIR_CONTACTS, household_id)
    if not household.active:
        raise Invalid("error.household_inactive")
    member = _member(session, actor, volunteer_id)
    today = _today(session, now)
    started_on = started_on or today
    if started_on > today:
        raise Invalid("error.contact_start_future")
    current = _open_pair(session, household.id)
    if current is not None and current.volunteer_id == member.id:
        raise Duplicate("error.contact_same_pair", name=member.name)
    if current is not None:
        other = session.get(Volunteer, current.volunteer_id)
        raise Invalid("error.household_has_contact", name=other.name)
    record = ContactPair(household_id=household.id, volunteer_id=member.id, started_on=started_on,
                         created_by_id=actor.id, created_at=now)
    session.add(record)
    try:
        session.commit()
    except IntegrityError:  # another manager paired it meanwhile (the partial unique index)
        session.rollback()
        raise Invalid("error.household_has_contact", name="") from None
    return record


def end(session: Session, *, actor: Actor, pair_id: int, reason: str,
        ended_on: date | None = None, now: datetime | None = None) -> ContactPair:
    """End a pair on a day (today by default) with a reason; the pair stays in the history.
    Managers of the household's sites."""
    now = now or utcnow()
    ensure_allowed(actor, Action.PAIR_CONTACTS)
    reason = validate.text(reason, key="reason", maximum=200)
    record = session.get(ContactPair, pair_id) if pair_id else None
    if record is None:
        raise NotFound(what="contact_pair")
    households.load_for(session, actor, Action.PAIR_CONTACTS, record.household_id)
    today = _today(session, now)
    ended_on = ended_on or today
    if ended_on > today:
        raise Invalid("error.contact_end_future")
    if ended_on < record.started_on:
        raise Invalid("error.end_before_start")
    result = session.exec(update(ContactPair)
                          .where(ContactPair.id == record.id, ContactPair.ended_on.is_(None))
                          .values(ended_on=ended_on, end_reason=reason, ended_by_id=actor.id))
    if result.rowcount != 1:
        session.rollback()
        raise Invalid("error.contact_already_ended")
    session.commit()
    return session.get(ContactPair, record.id, populate_existing=True)


def history(session: Session, *, actor: Actor, household_id: int) -> list[dict]:
    """Every pair a household has had, newest first, with how each ended."""
    households.load_for(session, actor, Action.VIEW_HOUSEHOLDS, household_id)
    rows = session.exec(select(ContactPair, Volunteer.name)
                        .join(Volunteer, Volunteer.id == ContactPair.volunteer_id)
                        .where(ContactPair.household_id == household_id)
                        .order_by(ContactPair.started_on.desc(), ContactPair.id.desc())).all()
    return [{"id": p.id, "member": name, "started_on": p.started_on, "ended_on": p.ended_on,
             "end_reason": p.end_reason} for p, name in rows]


def _members_of(session: Session, actor: Actor):
    q = select(Volunteer.id).where(Volunteer.party_member, Volunteer.active)
    if not scope.whole_tree(session, actor):
        q = q.where(Volunteer.site_id.in_(scope.sites_under(actor.site_path)))
    return q


def members(session: Session, *, actor: Actor) -> list[dict]:
    """Active party members of the actor's sites with their open pairs, fewest first (who can
    take a household), for the pairing form and the below-target list."""
    ensure_allowed(actor, Action.VIEW_HOUSEHOLDS)
    target = settings_service.current(session)["contact_households_target"]
    held = (select(ContactPair.volunteer_id, func.count().label("n"))
            .where(ContactPair.ended_on.is_(None)).group_by(ContactPair.volunteer_id).subquery())
    rows = session.exec(
        select(Volunteer.id, Volunteer.name, Site.name, func.coalesce(held.c.n, 0))
        .join(Site, Site.id == Volunteer.site_id)
        .join(held, held.c.volunteer_id == Volunteer.id, isouter=True)
        .where(Volunteer.id.in_(_members_of(session, actor)))
        .order_by(func.coalesce(held.c.n, 0), Volunteer.name, Volunteer.id)).all()
    return [{"id": vid, "name": name, "site": site, "households": int(n), "target": target,
             "below_target": int(n) < target} for vid, name, site, n in rows]


def below_target(session: Session, *, actor: Actor) -> list[dict]:
    """Party members with fewer open pairs than `contact_households_target`."""
    return [m for m in members(session, actor=actor) if m["below_target"]]


def unpaired(session: Session, *, actor: Actor, site_id: int | None = None, offset: int = 0,
             limit: int = 50) -> tuple[list[dict], int]:
    """Active households of the actor's sites with no contact member, by 站 and head."""
    ensure_allowed(actor, Action.VIEW_HOUSEHOLDS)
    conds = [*households.conditions(session, actor, households.HouseholdFilter(site_id=site_id)),
             ~select(ContactPair.id).where(ContactPair.household_id == Household.id,
                                           ContactPair.ended_on.is_(None)).exists()]
    total = session.exec(select(func.count()).select_from(Household).where(*conds)).one()
    ids = list(session.exec(select(Household.id).where(*conds)
                            .order_by(Household.site_id, Household.head_name, Household.id)
                            .offset(offset).limit(limit)))
    return households.rows_for(session, actor, ids), total


def pairs_of(session: Session, *, actor: Actor, volunteer_id: int) -> list[dict]:
    """A member's open pairs with each household's last visit (for the visit form)."""
    ensure_allowed(actor, Action.VIEW_HOUSEHOLDS)
    ids = list(session.exec(
        select(ContactPair.household_id).join(Household, Household.id == ContactPair.household_id)
        .where(ContactPair.volunteer_id == volunteer_id, ContactPair.ended_on.is_(None),
               *households.of_actor(session, actor)).order_by(Household.head_name)))
    rows = households.rows_for(session, actor, ids)
    pair_ids = dict(session.exec(select(ContactPair.household_id, ContactPair.id)
                                 .where(ContactPair.household_id.in_(ids),
                                        ContactPair.ended_on.is_(None))).all())
    for row in rows:
        row["pair_id"] = pair_ids.get(row["id"])
    return rows


# --- visits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitInput:
    household_id: int | None
    volunteer_id: int | None
    visited_on: date | None
    method: str | None
    topics: str = ""
    guidance: str = ""
    needs: tuple[surveys.NeedInput, ...] = ()


def _pair_on(session: Session, household_id: int, volunteer_id: int, day: date) -> bool:
    return session.exec(select(ContactPair.id).where(
        ContactPair.household_id == household_id, ContactPair.volunteer_id == volunteer_id,
        ContactPair.started_on <= day,
        or_(ContactPair.ended_on.is_(None), ContactPair.ended_on >= day))).first() is not None


def record_visit(session: Session, *, actor: Actor, visit: VisitInput,
                 now: datetime | None = None) -> ContactVisit:
    """Record a member's visit to a household they were paired with on that day, and the
    needs heard, all in one transaction; officers and managers within their sites."""
    now = now or utcnow()
    ensure_allowed(actor, Action.RECORD_VISIT)
    household = households.load_for(session, actor, Action.RECORD_VISIT, visit.household_id)
    member = _member(session, actor, visit.volunteer_id)
    if not isinstance(visit.visited_on, date):
        raise Invalid("error.visit_date")
    if visit.visited_on > _today(session, now):
        raise Invalid("error.visit_date_future")
    try:
        method = VisitMethod(visit.method)
    except ValueError:
        raise Invalid("error.visit_method") from None
    if not _pair_on(session, household.id, member.id, visit.visited_on):
        raise Invalid("error.visit_not_paired", name=member.name)
    topics = validate.text(visit.topics, key="visit_topics", maximum=500)
    guidance = validate.text(visit.guidance, key="visit_guidance", maximum=500, required=False)
    if len(visit.needs) > MAX_NEEDS:
        raise Invalid("error.too_many_needs", maximum=MAX_NEEDS)
    needs = [surveys.clean_need(session, n) for n in visit.needs]
    row = ContactVisit(household_id=household.id, volunteer_id=member.id,
                       visited_on=visit.visited_on, method=method, topics=topics,
                       guidance=guidance, recorded_by_id=actor.id, created_at=now)
    if needs:
        survey = surveys.write(session, actor=actor, site_id=household.site_id,
                               surveyed_on=visit.visited_on, respondent=household.head_name[:60],
                               people_covered=household.people, needs=needs, now=now)
        survey.household_id = household.id
        session.add(survey)
        row.survey_id = survey.id
    session.add(row)
    session.commit()
    return row


def visits(session: Session, *, actor: Actor, household_id: int, limit: int = 50) -> list[dict]:
    """A household's visits, newest first, with how many needs each brought."""
    households.load_for(session, actor, Action.VIEW_HOUSEHOLDS, household_id)
    rows = session.exec(select(ContactVisit, Volunteer.name)
                        .join(Volunteer, Volunteer.id == ContactVisit.volunteer_id)
                        .where(ContactVisit.household_id == household_id)
                        .order_by(ContactVisit.visited_on.desc(), ContactVisit.id.desc())
                        .limit(limit)).all()
    ids = [v.survey_id for v, _ in rows if v.survey_id]
    counts = dict(session.exec(select(Need.survey_id, func.count()).where(Need.survey_id.in_(ids))
                               .group_by(Need.survey_id)).all()) if ids else {}
    return [{"id": v.id, "visited_on": v.visited_on, "member": name, "method": v.method.value,
             "topics": v.topics, "guidance": v.guidance, "needs": counts.get(v.survey_id, 0)}
            for v, name in rows]


def from_contact():
    """True for a survey written by a 户联系 visit (for the needs board's mark), as SQL."""
    return select(ContactVisit.id).where(ContactVisit.survey_id == Survey.id).exists()


# --- overdue and coverage ------------------------------------------------------------------------


def overdue(session: Session, *, actor: Actor, now: datetime | None = None,
            site_id: int | None = None, offset: int = 0,
            limit: int = 50) -> tuple[list[dict], int]:
    """Paired households whose last visit (or, never visited, the pair's start) is
    `contact_visit_days` or more days ago, longest waiting first."""
    ensure_allowed(actor, Action.VIEW_HOUSEHOLDS)
    now = now or utcnow()
    days = settings_service.current(session)["contact_visit_days"]
    cutoff = _today(session, now) - timedelta(days=days)
    # The last visit of each paired household, one seek of (household_id, visited_on) each —
    # not a GROUP BY over every visit ever made, which bench/contacts.py timed at 1.4 s for
    # the county (30,000 pairs).
    last = (select(func.max(ContactVisit.visited_on))
            .where(ContactVisit.household_id == Household.id)
            .correlate(Household).scalar_subquery())
    since = func.coalesce(last, ContactPair.started_on)
    conds = [*households.conditions(session, actor, households.HouseholdFilter(site_id=site_id)),
             ContactPair.ended_on.is_(None), since <= cutoff]
    base = (select(Household.id, since.label("since"), ContactPair.volunteer_id)
            .join(ContactPair, ContactPair.household_id == Household.id).where(*conds))
    # The page and the total in one pass (a window count), not the same scan twice.
    paged = session.exec(base.add_columns(func.count().over().label("total"))
                         .order_by(since, Household.id).offset(offset).limit(limit)).all()
    if paged:
        total = paged[0][-1]
    else:  # past the last page (or nothing overdue): the total needs its own count
        total = session.exec(select(func.count()).select_from(base.subquery())).one()
    found = [(h, since_day, vid) for h, since_day, vid, _n in paged]
    rows = {r["id"]: r for r in households.rows_for(session, actor, [h for h, _s, _v in found])}
    today = _today(session, now)
    out = []
    for hid, since_day, _vid in found:
        row = rows[hid]
        row["waiting_since"] = since_day
        row["days"] = (today - since_day).days
        out.append(row)
    return out, total


def _paired_in(start: date, end: date):
    return and_(ContactPair.started_on <= end,
                or_(ContactPair.ended_on.is_(None), ContactPair.ended_on >= start))


def _visited(start: date, end: date):
    """SQL on ContactPair: its member visited its household within [start, end] (and not before
    the pair began)."""
    return (select(ContactVisit.id).where(
        ContactVisit.household_id == ContactPair.household_id,
        ContactVisit.volunteer_id == ContactPair.volunteer_id,
        ContactVisit.visited_on >= start, ContactVisit.visited_on <= end,
        ContactVisit.visited_on >= ContactPair.started_on).exists())


def site_counts(session: Session, *, site_path: str, start: date,
                end: date) -> dict[str, tuple[int, int]]:
    """`coverage` by 站 for every site under `site_path`, keyed by the site's path: (households
    paired in the period, of those visited by their member in it). One GROUP BY; the caller
    checks its own permission (the 绩效评价 of officers sums these over each officer's sites)."""
    counted = func.count(func.distinct(ContactPair.household_id))
    q = (select(Site.path, counted, counted.filter(_visited(start, end)))
         .select_from(ContactPair).join(Household, Household.id == ContactPair.household_id)
         .join(Site, Site.id == Household.site_id)
         .where(_paired_in(start, end), Site.path.startswith(site_path))
         .group_by(Site.path))
    return {path: (int(paired), int(seen)) for path, paired, seen in session.exec(q).all()}


def visits_recorded(session: Session, *, site_path: str, start: date,
                    end: date) -> dict[int, int]:
    """Per user, the 户联系 visits they recorded that were made in [start, end] at households
    under `site_path`."""
    q = (select(ContactVisit.recorded_by_id, func.count()).select_from(ContactVisit)
         .join(Household, Household.id == ContactVisit.household_id)
         .join(Site, Site.id == Household.site_id)
         .where(ContactVisit.visited_on >= start, ContactVisit.visited_on <= end,
                Site.path.startswith(site_path))
         .group_by(ContactVisit.recorded_by_id))
    return {uid: int(n) for uid, n in session.exec(q).all()}


def coverage(session: Session, *, actor: Actor, start: date, end: date,
             by: str = "member") -> list[dict]:
    """Households visited ÷ households paired in [start, end], per member or per 站. A pair
    counts as visited when its member visited its household within the period."""
    ensure_allowed(actor, Action.VIEW_HOUSEHOLDS)
    if end < start:
        raise Invalid("error.end_before_start")
    visited = _visited(start, end)
    counted = func.count(func.distinct(ContactPair.household_id))
    if by == "site":
        key, name, other = Household.site_id, Site.name, (Site, Site.id == Household.site_id)
    else:
        key, name, other = (ContactPair.volunteer_id, Volunteer.name,
                            (Volunteer, Volunteer.id == ContactPair.volunteer_id))
    q = (select(key, name, counted, counted.filter(visited)).select_from(ContactPair)
         .join(Household, Household.id == ContactPair.household_id).join(*other)
         .where(_paired_in(start, end), *households.of_actor(session, actor))
         .group_by(key, name).order_by(name, key))
    out = []
    for kid, label, paired, seen in session.exec(q).all():
        out.append({"id": kid, "name": label, "paired": int(paired), "visited": int(seen),
                    "coverage": (seen / paired) if paired else None})
    return out
