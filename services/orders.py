"""The order lifecycle 点单 → 派单 → 接单 → 完成 → 评单, one function per transition.

Each transition: validate → authorise → compare-and-set on the current state → event row → commit.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, not_, or_, update
from sqlmodel import Session, select

from core.db import utcnow
from models import (BeneficiaryGroup, Need, NeedStatus, OrderBeneficiary,
                    OrderEvent, OrderSource, OrderStatus, PointsEntry, PointsReason, Rating,
                    RatingChannel, Role, ServiceCategory, ServiceItem, ServiceRecord, Site, Survey,
                    Team, User, Volunteer, VolunteerTeam, WorkOrder)
from services import settings as settings_service
from services import follow_ups, scope, sla, validate
from services.clock import day_range_utc, local_today
from services.errors import Invalid, NotFound, OrderNotInState
from services.permissions import Action, Actor, ensure_allowed, in_scope

S = OrderStatus

# action → (states it may start from, state it leads to)
ALLOWED_TRANSITIONS: dict[str, tuple[frozenset[OrderStatus], OrderStatus]] = {
    "dispatch": (frozenset({S.submitted}), S.dispatched),
    "accept": (frozenset({S.dispatched}), S.accepted),
    "decline": (frozenset({S.dispatched}), S.submitted),
    "complete": (frozenset({S.accepted}), S.completed),
    "rate": (frozenset({S.completed}), S.rated),
    "cancel": (frozenset({S.submitted, S.dispatched, S.accepted}), S.cancelled),
}

MAX_HOURS = 24.0
MAX_BENEFICIARIES = 100_000


def next_status(current: OrderStatus, action: str) -> OrderStatus:
    """Where an action leads from the current state, or OrderNotInState."""
    sources, target = ALLOWED_TRANSITIONS[action]
    if current not in sources:
        raise OrderNotInState(status=current.value, action=action)
    return target


# --- helpers --------------------------------------------------------------------------------


def _load(session: Session, order_id: int) -> WorkOrder:
    order = session.get(WorkOrder, order_id, populate_existing=True)
    if order is None:
        raise NotFound(what="order")
    return order


def _site_path(session: Session, site_id: int) -> str:
    return session.get(Site, site_id).path


def _last_actor_name(session: Session, order_id: int) -> str:
    row = session.exec(select(User.display_name).join(OrderEvent, OrderEvent.actor_id == User.id)
                       .where(OrderEvent.order_id == order_id)
                       .order_by(OrderEvent.id.desc()).limit(1)).first()
    return row or ""


def _refuse(session: Session, order: WorkOrder, action: str) -> OrderNotInState:
    code, status = order.code, order.status.value
    by = _last_actor_name(session, order.id)
    session.rollback()
    return OrderNotInState(code=code, status=status, by=by, action=action)


def _transition(session: Session, order: WorkOrder, *, actor: Actor | None, action: str,
                now: datetime, values: dict, note: str = "", team_id: int | None = None) -> None:
    """Compare-and-set the status and write the event; the caller commits. No actor: the
    resident, through a rating link."""
    if order.status not in ALLOWED_TRANSITIONS[action][0]:
        raise _refuse(session, order, action)
    target, source = ALLOWED_TRANSITIONS[action][1], order.status
    result = session.exec(
        update(WorkOrder)
        .where(WorkOrder.id == order.id, WorkOrder.status == source,
               WorkOrder.version == order.version)
        .values(status=target, version=WorkOrder.version + 1, **values))
    if result.rowcount != 1:
        order = _load(session, order.id)
        raise _refuse(session, order, action)
    session.add(OrderEvent(order_id=order.id, at=now, actor_id=actor.id if actor else None,
                           action=action, from_status=source, to_status=target, team_id=team_id,
                           note=note))
    session.flush()


def _commit(session: Session, order_id: int) -> WorkOrder:
    # Read back inside the transaction: a read after COMMIT would open a new BEGIN IMMEDIATE
    # and hold SQLite's write lock for as long as the caller keeps the session.
    order = _load(session, order_id)
    session.commit()
    return order


# --- transitions ----------------------------------------------------------------------------


def place(session: Session, *, actor: Actor, site_id: int, category_id: int, title: str,
          source: OrderSource, description: str = "", item_id: int | None = None,
          requester_name: str = "", requester_phone: str = "", due_on: date | None = None,
          expected_beneficiaries: int = 0, need_ids: tuple[int, ...] = (),
          now: datetime | None = None) -> WorkOrder:
    """Record a resident's need as a new order; managers and officers, within their sites."""
    now = now or utcnow()
    ensure_allowed(actor, Action.PLACE_ORDER)
    site = session.get(Site, site_id) if site_id else None
    if site is None:
        raise Invalid("error.site_required")
    ensure_allowed(actor, Action.PLACE_ORDER, site_path=site.path)
    title = validate.text(title, key="title", maximum=80)
    description = validate.text(description, key="description", maximum=2000, required=False)
    requester_name = validate.text(requester_name, key="requester_name", maximum=40,
                                   required=False)
    requester_phone = validate.phone(requester_phone)
    expected = validate.whole(expected_beneficiaries, key="expected_beneficiaries",
                              maximum=MAX_BENEFICIARIES)
    try:
        source = OrderSource(source)
    except ValueError:
        raise Invalid("error.source") from None
    category = session.get(ServiceCategory, category_id) if category_id else None
    if category is None or not category.active:
        raise Invalid("error.category_required")
    if item_id is not None:
        item = session.get(ServiceItem, item_id)
        if item is None or not item.active or item.category_id != category_id:
            raise Invalid("error.item_category")
    values = settings_service.current(session)
    today = local_today(now, values["timezone"])
    due_on = due_on or today + timedelta(days=values["due_days"])
    if due_on < today:
        raise Invalid("error.due_in_past")
    needs = []
    for need_id in dict.fromkeys(need_ids):
        need = session.get(Need, need_id)
        if need is None or not need_waiting(session, need):
            raise Invalid("error.need_not_open")
        survey_site = session.exec(select(Site.path).join(Survey, Survey.site_id == Site.id)
                                   .where(Survey.id == need.survey_id)).one()
        ensure_allowed(actor, Action.PLACE_ORDER, site_path=survey_site)
        needs.append(need)
    order = WorkOrder(source=source, site_id=site.id, category_id=category_id, item_id=item_id,
                      title=title, description=description, requester_name=requester_name,
                      requester_phone=requester_phone, due_on=due_on,
                      expected_beneficiaries=expected, created_by_id=actor.id, submitted_at=now)
    session.add(order)
    session.flush()
    order.code = f"DD-{today.year}-{order.id:06d}"
    session.add(order)
    for need in needs:  # compare-and-set: a need ordered or closed meanwhile stops it all
        result = session.exec(update(Need).where(
            Need.id == need.id, Need.status == need.status,
            Need.order_id.is_not_distinct_from(need.order_id))
            .values(status=NeedStatus.ordered, order_id=order.id))
        if result.rowcount != 1:
            session.rollback()
            raise Invalid("error.need_not_open")
    session.add(OrderEvent(order_id=order.id, at=now, actor_id=actor.id, action="place",
                           from_status=None, to_status=S.submitted))
    return _commit(session, order.id)


def need_waiting(session: Session, need: Need) -> bool:
    """Open, or ordered on an order that was then cancelled: the need waits for an order again
    (services/needs.py shows it so; nothing is rewritten when an order is cancelled)."""
    if need.status == NeedStatus.open:
        return True
    if need.status != NeedStatus.ordered or need.order_id is None:
        return False
    return session.get(WorkOrder, need.order_id).status == S.cancelled


def dispatch(session: Session, *, actor: Actor, order_id: int, team_id: int,
             now: datetime | None = None) -> WorkOrder:
    """Send a submitted order to an active team; managers of the order's site only."""
    now = now or utcnow()
    ensure_allowed(actor, Action.DISPATCH)
    team = session.get(Team, team_id) if team_id else None
    order = dispatch_step(session, actor=actor, order_id=order_id, team=team, now=now)
    return _commit(session, order.id)


def dispatch_step(session: Session, *, actor: Actor, order_id: int, team: Team | None,
                  now: datetime) -> WorkOrder:
    """The checks and the change of one dispatch, without the commit (batch dispatch sends
    several in one transaction)."""
    order = _load(session, order_id)
    ensure_allowed(actor, Action.DISPATCH, site_path=_site_path(session, order.site_id))
    if team is None or not team.active or not in_scope(actor, _site_path(session, team.site_id)):
        raise Invalid("error.team_required")
    _transition(session, order, actor=actor, action="dispatch", now=now, team_id=team.id,
                values={"team_id": team.id, "dispatched_at": now})
    return order


def _own_team_order(session: Session, actor: Actor, order_id: int) -> WorkOrder:
    ensure_allowed(actor, Action.WORK_ORDERS)
    order = _load(session, order_id)
    if order.team_id is None or order.team_id != actor.team_id:
        ensure_allowed(actor, Action.WORK_ORDERS, team_id=order.team_id or -1)
    return order


def accept(session: Session, *, actor: Actor, order_id: int, planned_on: date | None = None,
           now: datetime | None = None) -> WorkOrder:
    """Take on an order dispatched to one's own team; team leads only."""
    now = now or utcnow()
    order = _own_team_order(session, actor, order_id)
    if planned_on is not None:
        today = local_today(now, settings_service.current(session)["timezone"])
        if planned_on < today:
            raise Invalid("error.planned_in_past")
    _transition(session, order, actor=actor, action="accept", now=now,
                note=planned_on.isoformat() if planned_on else "",
                values={"accepted_at": now, "planned_on": planned_on})
    return _commit(session, order.id)


def decline(session: Session, *, actor: Actor, order_id: int, reason: str,
            now: datetime | None = None) -> WorkOrder:
    """Hand a dispatched order back to the queue with a reason; the lead of its team only."""
    now = now or utcnow()
    reason = validate.text(reason, key="reason", maximum=500)
    order = _own_team_order(session, actor, order_id)
    _transition(session, order, actor=actor, action="decline", now=now, note=reason,
                team_id=order.team_id,
                values={"team_id": None, "dispatched_at": None, "last_decline_reason": reason,
                        "decline_count": WorkOrder.decline_count + 1})
    return _commit(session, order.id)


@dataclass
class Completion:
    """What a team lead reports when an order is done."""

    beneficiaries: dict[str, int] = field(default_factory=dict)  # group → people
    hours: dict[int, float] = field(default_factory=dict)         # volunteer id → hours
    note: str = ""


def _clean_completion(session: Session, done: Completion,
                      team_id: int) -> tuple[dict, dict, str]:
    groups: dict[BeneficiaryGroup, int] = {}
    for group, count in done.beneficiaries.items():
        try:
            group = BeneficiaryGroup(group)
        except ValueError:
            raise Invalid("error.beneficiary_group") from None
        groups[group] = validate.whole(count, key="beneficiaries", maximum=MAX_BENEFICIARIES)
    if not done.hours:
        raise Invalid("error.volunteers_required")
    hours: dict[int, float] = {}
    for volunteer_id, value in done.hours.items():
        try:
            h = float(value)
        except (TypeError, ValueError):
            raise Invalid("error.hours_range", maximum=MAX_HOURS) from None
        if not (0 < h <= MAX_HOURS):
            raise Invalid("error.hours_range", maximum=MAX_HOURS)
        vol = session.get(Volunteer, volunteer_id)
        if vol is None or not vol.active or not _may_serve(session, vol, team_id):
            raise Invalid("error.volunteer_unknown")
        hours[vol.id] = round(h, 2)
    note = validate.text(done.note, key="note", maximum=2000, required=False)
    return groups, hours, note


def _may_serve(session: Session, volunteer: Volunteer, team_id: int) -> bool:
    """A volunteer may be recorded on a team's order when in the team or in its site's subtree."""
    if session.get(VolunteerTeam, (volunteer.id, team_id)) is not None:
        return True
    team_site = _site_path(session, session.get(Team, team_id).site_id)
    return _site_path(session, volunteer.site_id).startswith(team_site)


def complete(session: Session, *, actor: Actor, order_id: int, done: Completion,
             now: datetime | None = None) -> WorkOrder:
    """Mark an accepted order done with beneficiaries, volunteers' hours and points, all in one
    transaction; the lead of its team only."""
    now = now or utcnow()
    order = _own_team_order(session, actor, order_id)
    groups, hours, note = _clean_completion(session, done, order.team_id)
    per_hour = settings_service.current(session)["points_per_hour"]
    total = sum(groups.values())
    _transition(session, order, actor=actor, action="complete", now=now, note=note,
                values={"completed_at": now, "actual_beneficiaries": total,
                        "completion_note": note})
    for group, count in groups.items():
        session.add(OrderBeneficiary(order_id=order.id, group=group, count=count))
    for volunteer_id, h in hours.items():
        session.add(ServiceRecord(order_id=order.id, volunteer_id=volunteer_id, hours=h,
                                  served_at=now))
        points = round(h * per_hour)
        if points:
            session.add(PointsEntry(volunteer_id=volunteer_id, points=points,
                                    reason=PointsReason.service, order_id=order.id, at=now,
                                    note=order.code or ""))
    return _commit(session, order.id)


CORRECT_HOURS = 24
_DONE = (S.completed, S.rated)


def correctable_until(session: Session, *, actor: Actor, order_id: int) -> datetime | None:
    """Until when the actor may correct the order's completion: 24 hours after it was marked
    done, by the team lead who marked it. None when they may not (any more)."""
    order = session.get(WorkOrder, order_id)
    if order is None or order.status not in _DONE or order.completed_at is None:
        return None
    done_by = session.exec(select(OrderEvent.actor_id).where(
        OrderEvent.order_id == order_id, OrderEvent.action == "complete")
        .order_by(OrderEvent.id.desc()).limit(1)).first()
    if done_by != actor.id or actor.role != Role.team_lead or order.team_id != actor.team_id:
        return None
    return order.completed_at + timedelta(hours=CORRECT_HOURS)


def correct(session: Session, *, actor: Actor, order_id: int, done: Completion, reason: str,
            now: datetime | None = None) -> WorkOrder:
    """Correct a completion within 24 hours, by the lead who marked it done: the beneficiaries,
    the service records and the note are replaced; each volunteer's points move by the
    difference (an adjustment line, the ledger is never rewritten); the history gets a
    'correct' event with the reason and the totals before and after. One transaction."""
    now = now or utcnow()
    reason = validate.text(reason, key="reason", maximum=300)
    order = _own_team_order(session, actor, order_id)
    until = correctable_until(session, actor=actor, order_id=order.id)
    if until is None or now > until:
        session.rollback()
        raise Invalid("error.correct_window", hours=CORRECT_HOURS)
    groups, hours, note = _clean_completion(session, done, order.team_id)
    per_hour = settings_service.current(session)["points_per_hour"]
    old_hours = dict(session.exec(select(ServiceRecord.volunteer_id, ServiceRecord.hours)
                                  .where(ServiceRecord.order_id == order.id)).all())
    old_points = dict(session.exec(
        select(PointsEntry.volunteer_id, func.sum(PointsEntry.points))
        .where(PointsEntry.order_id == order.id).group_by(PointsEntry.volunteer_id)).all())
    total = sum(groups.values())
    summary = (f"{reason}（受益群众 {order.actual_beneficiaries or 0}→{total} 人；"
               f"服务时长 {sum(old_hours.values()):g}→{sum(hours.values()):g} 小时，"
               f"{len(old_hours)}→{len(hours)} 人）")
    result = session.exec(
        update(WorkOrder).where(WorkOrder.id == order.id, WorkOrder.status == order.status,
                                WorkOrder.version == order.version)
        .values(version=WorkOrder.version + 1, actual_beneficiaries=total,
                completion_note=note))
    if result.rowcount != 1:
        raise _refuse(session, _load(session, order.id), "correct")
    for model in (OrderBeneficiary, ServiceRecord):
        for row in session.exec(select(model).where(model.order_id == order.id)):
            session.delete(row)
    session.flush()
    for group, count in groups.items():
        session.add(OrderBeneficiary(order_id=order.id, group=group, count=count))
    for volunteer_id, h in hours.items():
        session.add(ServiceRecord(order_id=order.id, volunteer_id=volunteer_id, hours=h,
                                  served_at=order.completed_at))
    for volunteer_id in set(old_points) | set(hours):
        change = round(hours.get(volunteer_id, 0) * per_hour) - (old_points.get(volunteer_id) or 0)
        if change:
            session.add(PointsEntry(volunteer_id=volunteer_id, points=change,
                                    reason=PointsReason.adjustment, order_id=order.id, at=now,
                                    note=f"{order.code} 更正"))
    session.add(OrderEvent(order_id=order.id, at=now, actor_id=actor.id, action="correct",
                           from_status=order.status, to_status=order.status,
                           team_id=order.team_id, note=summary[:2000]))
    return _commit(session, order.id)


def clean_rating(level, comment: str, channel) -> tuple[int, str, RatingChannel]:
    """A level 1–5, a comment of at most 500 characters (kept as typed: it is shown as plain
    text), and a known channel; anything else is refused before anything is read or written."""
    level = validate.whole(level, key="level", minimum=1, maximum=5)
    comment = validate.text(comment, key="comment", maximum=500, required=False)
    try:
        channel = RatingChannel(channel)
    except ValueError:
        raise Invalid("error.channel") from None
    return level, comment, channel


def record_rating(session: Session, order: WorkOrder, *, by: Actor | None, level: int,
                  comment: str, channel: RatingChannel, now: datetime,
                  token_id: int | None = None) -> None:
    """The writes of a rating, whoever gives it: the order moves to 已评价 (compare-and-set, so
    an order keeps the first rating only), the rating row, and the follow-ups it opens or
    settles. The caller has validated and authorised, and commits."""
    _transition(session, order, actor=by, action="rate", now=now, note=str(level),
                values={"rated_at": now})
    session.add(Rating(order_id=order.id, level=level, comment=comment, channel=channel, at=now,
                       by_user_id=by.id if by else None, token_id=token_id))
    follow_ups.after_rating(session, order=order, level=level, by_id=by.id if by else None,
                            now=now)


def rate(session: Session, *, actor: Actor, order_id: int, level: int, comment: str = "",
         channel: RatingChannel = RatingChannel.call, now: datetime | None = None) -> WorkOrder:
    """Record the resident's rating of a completed order (one per order) from a call or in
    person; a rating of 2 or less opens a follow-up (回访). Managers and officers of the order's
    site."""
    now = now or utcnow()
    ensure_allowed(actor, Action.RATE)
    level, comment, channel = clean_rating(level, comment, channel)
    order = _load(session, order_id)
    ensure_allowed(actor, Action.RATE, site_path=_site_path(session, order.site_id))
    record_rating(session, order, by=actor, level=level, comment=comment, channel=channel,
                  now=now)
    return _commit(session, order.id)


def cancel(session: Session, *, actor: Actor, order_id: int, reason: str,
           now: datetime | None = None) -> WorkOrder:
    """Cancel an order that is not yet done, with a reason; managers of its site only."""
    now = now or utcnow()
    ensure_allowed(actor, Action.CANCEL)
    reason = validate.text(reason, key="reason", maximum=500)
    order = _load(session, order_id)
    ensure_allowed(actor, Action.CANCEL, site_path=_site_path(session, order.site_id))
    _transition(session, order, actor=actor, action="cancel", now=now, note=reason,
                values={"cancelled_at": now, "cancel_reason": reason})
    return _commit(session, order.id)


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilter:
    statuses: tuple[str, ...] = ()
    site_id: int | None = None
    team_id: int | None = None
    category_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    overdue_only: bool = False
    search: str = ""
    source: str | None = None
    overdue_kind: str | None = None   # only the orders late at this step (sla.KINDS)


SORTS = ("newest", "urgent", "oldest")
CODE = re.compile(r"^DD-\d{4}-\d{6,}$", re.IGNORECASE)  # what place() writes


def _conditions(session: Session, actor: Actor, flt: OrderFilter, now: datetime,
                values: dict) -> list:
    conds = scope.orders_of(session, actor)
    if flt.statuses:
        conds.append(WorkOrder.status.in_([S(x) for x in flt.statuses]))
    if flt.site_id:
        chosen = session.get(Site, flt.site_id)
        conds.append(WorkOrder.site_id.in_(scope.sites_under(chosen.path if chosen else "-")))
    if flt.team_id:
        conds.append(WorkOrder.team_id == flt.team_id)
    if flt.category_id:
        conds.append(WorkOrder.category_id == flt.category_id)
    if flt.source:
        conds.append(WorkOrder.source == OrderSource(flt.source))
    if flt.date_from or flt.date_to:
        start, end = day_range_utc(flt.date_from or date(2000, 1, 1),
                                   flt.date_to or date(2100, 1, 1), values["timezone"])
        conds += [WorkOrder.submitted_at >= start, WorkOrder.submitted_at < end]
    if flt.overdue_only:
        conds.append(sla.is_overdue(now, values))
    if flt.overdue_kind:
        if flt.overdue_kind not in sla.KINDS:
            raise Invalid("error.overdue_kind")
        conds += [WorkOrder.status.in_(sla.CAN_BE_OVERDUE),
                  sla.overdue_kind(now, values) == flt.overdue_kind]
    text = flt.search.strip()
    if CODE.match(text):
        conds.append(WorkOrder.code == text.upper())  # a whole code: the unique index
    elif text:
        like = f"%{text}%"
        conds.append(or_(WorkOrder.code.like(like), WorkOrder.title.like(like)))
    return conds


def _page_ids(session: Session, conds: list, *, offset: int, limit: int, sort: str,
              now: datetime, values: dict) -> list[int]:
    by_due = (WorkOrder.due_on, WorkOrder.submitted_at, WorkOrder.id)
    if sort != "urgent":
        order = ((WorkOrder.submitted_at, WorkOrder.id) if sort == "oldest" else
                 (WorkOrder.submitted_at.desc(), WorkOrder.id.desc()))
        return list(session.exec(select(WorkOrder.id).where(*conds).order_by(*order)
                                 .offset(offset).limit(limit)))
    # Most urgent first, in two indexed steps instead of sorting the whole scope: the overdue
    # orders by due date, then all the others by due date.
    late = sla.is_overdue(now, values)
    late_ids = list(session.exec(select(WorkOrder.id).where(*conds, late).order_by(*by_due)
                                 .offset(offset).limit(limit)))
    if len(late_ids) == limit:
        return late_ids
    skip = 0
    if not late_ids:  # the page starts after the overdue ones
        n_late = session.exec(select(func.count()).select_from(WorkOrder)
                              .where(*conds, late)).one()
        skip = max(0, offset - n_late)
    rest = session.exec(select(WorkOrder.id).where(*conds, not_(late)).order_by(*by_due)
                        .offset(skip).limit(limit - len(late_ids)))
    return late_ids + list(rest)


def page(session: Session, *, actor: Actor, flt: OrderFilter = OrderFilter(), offset: int = 0,
         limit: int = 50, sort: str = "newest",
         now: datetime | None = None) -> tuple[list[dict], int]:
    """Orders the actor may see, one page at a time, filtered and sorted in SQL: newest first,
    oldest first, or most urgent first (overdue, then nearest due date)."""
    if actor.role != Role.team_lead:
        ensure_allowed(actor, Action.VIEW_ORDERS)
    now = now or utcnow()
    values = settings_service.current(session)
    conds = _conditions(session, actor, flt, now, values)
    total = session.exec(select(func.count()).select_from(WorkOrder).where(*conds)).one()
    ids = _page_ids(session, conds, offset=offset, limit=limit, sort=sort, now=now,
                    values=values)
    return rows_for(session, ids, now=now, values=values), total


def rows_for(session: Session, ids: list[int], *, now: datetime, values: dict) -> list[dict]:
    """The list rows of these orders, in this order, with names and the overdue kind."""
    if not ids:
        return []
    late = sla.overdue_kind(now, values).label("overdue")
    rows = session.exec(
        select(WorkOrder, Site.name, ServiceCategory.name, Team.name, late)
        .join(Site, Site.id == WorkOrder.site_id)
        .join(ServiceCategory, ServiceCategory.id == WorkOrder.category_id)
        .join(Team, Team.id == WorkOrder.team_id, isouter=True)
        .where(WorkOrder.id.in_(ids))).all()
    by_id = {o.id: (o, site, cat, team, kind) for o, site, cat, team, kind in rows}
    out = []
    for oid in ids:
        o, site, cat, team, kind = by_id[oid]
        late = (now - sla.deadline(o, kind, values)) if kind else None
        out.append({"id": o.id, "code": o.code, "title": o.title, "status": o.status.value,
                    "site": site, "category": cat, "team": team or "", "source": o.source.value,
                    "submitted_at": o.submitted_at, "due_on": o.due_on, "overdue": kind or "",
                    "late_hours": round(late.total_seconds() / 3600, 1) if late else None,
                    "last_decline_reason": o.last_decline_reason,
                    "expected_beneficiaries": o.expected_beneficiaries,
                    "actual_beneficiaries": o.actual_beneficiaries})
    return out


def detail(session: Session, *, actor: Actor, order_id: int, now: datetime | None = None) -> dict:
    """One order with its names, beneficiaries, service record, rating and full history."""
    now = now or utcnow()
    order = _load(session, order_id)
    site = session.get(Site, order.site_id)
    if actor.role == Role.team_lead:
        if order.team_id != actor.team_id:
            raise NotFound(what="order")
    elif not in_scope(actor, site.path):
        raise NotFound(what="order")
    values = settings_service.current(session)
    kind = session.exec(select(sla.overdue_kind(now, values)).where(WorkOrder.id == order.id)).one()
    team = session.get(Team, order.team_id) if order.team_id else None
    item = session.get(ServiceItem, order.item_id) if order.item_id else None
    service = session.exec(select(Volunteer.name, ServiceRecord.hours, Volunteer.id)
                           .join(Volunteer, Volunteer.id == ServiceRecord.volunteer_id)
                           .where(ServiceRecord.order_id == order.id)
                           .order_by(Volunteer.name)).all()
    groups = session.exec(select(OrderBeneficiary.group, OrderBeneficiary.count)
                          .where(OrderBeneficiary.order_id == order.id)).all()
    rating = session.exec(select(Rating).where(Rating.order_id == order.id)).first()
    return {
        "order": order.model_dump(), "site": site.name,
        "category": session.get(ServiceCategory, order.category_id).name,
        "item": item.title if item else "", "team": team.name if team else "",
        "overdue": kind or "",
        "service": [{"volunteer": n, "hours": h, "volunteer_id": v} for n, h, v in service],
        "beneficiaries": {g.value: c for g, c in groups},
        "rating": rating.model_dump() if rating else None,
        "history": history(session, order_id=order.id),
    }


def history(session: Session, *, order_id: int) -> list[dict]:
    """Every event of an order, oldest first, with who did it and the team it concerned."""
    rows = session.exec(select(OrderEvent, User.display_name, Team.name)
                        .join(User, User.id == OrderEvent.actor_id, isouter=True)
                        .join(Team, Team.id == OrderEvent.team_id, isouter=True)
                        .where(OrderEvent.order_id == order_id)
                        .order_by(OrderEvent.at, OrderEvent.id)).all()
    return [{"at": e.at, "actor": name or "", "action": e.action,
             "from_status": e.from_status.value if e.from_status else "",
             "to_status": e.to_status.value, "team": team or "", "note": e.note}
            for e, name, team in rows]


def waiting_count(session: Session, *, actor: Actor) -> int:
    """Orders dispatched to the team lead's team and not yet accepted."""
    if actor.role != Role.team_lead or actor.team_id is None:
        return 0
    return session.exec(select(func.count()).select_from(WorkOrder).where(
        WorkOrder.team_id == actor.team_id, WorkOrder.status == S.dispatched)).one()
