"""评单: the resident's rating of a completed order, whichever way it comes — a call or a visit
(`rate`), a QR code (rating_links.rate), the call of a follow-up (follow_ups.record) — and what a
rating triggers.

- One rating per order, whichever comes first: `record` moves the order 已完成 → 已评价 by
  compare-and-set, so a second rating is refused.
- **A 差评 (level ≤ 2, models.BAD_RATING_MAX) opens a 回访**, due `follow_up_days` after the
  rating (`after_rating`).
- A rating that arrives after `rate_days` settles the order's 未评价 follow-up: its aim, the
  resident's verdict, is reached.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    FollowUp,
    FollowUpReason,
    OrderAction,
    Rating,
    RatingChannel,
    WorkOrder,
    bad_rating,
)
from services import orders, sla, validate
from services import settings as settings_service
from services.errors import Checks
from services.permissions import Action, Actor, ensure_allowed

MAX_COMMENT = 500


def clean(level, comment: str, channel) -> tuple[int, str, RatingChannel]:
    """A level 1–5, a comment of at most 500 characters (kept as typed: it is shown as plain
    text), and a known channel; anything else is refused before anything is read or written."""
    check = Checks()
    if level is None:  # no level is preselected on any form: the resident's answer or nothing
        check.fail("error.choose", field="level")
    else:
        level = check(validate.whole, level, key="level", minimum=1, maximum=5)
    comment = check(validate.text, comment, key="comment", maximum=MAX_COMMENT, required=False)
    if channel is None:
        check.fail("error.choose", field="channel")
    else:
        try:
            channel = RatingChannel(channel)
        except ValueError:
            check.fail("error.channel")
    check.done()
    return level, comment, channel


def record(session: Session, order: WorkOrder, *, by: Actor | None, level: int, comment: str,
           channel: RatingChannel, now: datetime, token_id: int | None = None) -> None:
    """The writes of a rating, whoever gives it: the order moves to 已评价 (compare-and-set, so
    an order keeps the first rating only), the rating row, and the follow-ups it opens or
    settles. The caller has validated and authorised, and commits."""
    orders.transition(session, order, actor=by, action=OrderAction.rate, now=now,
                      note=str(level), values={"rated_at": now}, level=level)
    session.connection().execute(insert(Rating), {  # a Core INSERT: no ORM flush for one row
        "order_id": order.id, "level": level, "comment": comment, "channel": channel, "at": now,
        "by_user_id": by.id if by else None, "token_id": token_id})
    after_rating(session, order=order, level=level, by_id=by.id if by else None, now=now)


def after_rating(session: Session, *, order: WorkOrder, level: int, by_id: int | None,
                 now: datetime) -> None:
    """Inside the rating's transaction: a 差评 opens a follow-up; a rating that comes after the
    rating window has run out settles the order's 未评价 follow-up."""
    values = settings_service.current(session)
    needed_after, late_after = sla.follow_up_windows(values)
    if bad_rating(level):
        session.add(FollowUp(order_id=order.id, reason=FollowUpReason.bad_rating,
                             due_at=now + timedelta(days=values["follow_up_days"])))
    if order.completed_at is None or now <= order.completed_at + needed_after:
        return
    settled = session.exec(select(FollowUp.id).where(
        FollowUp.order_id == order.id, FollowUp.reason == FollowUpReason.unrated)).first()
    if settled is None:
        session.add(FollowUp(order_id=order.id, reason=FollowUpReason.unrated,
                             due_at=order.completed_at + late_after, done_at=now,
                             done_by_id=by_id))


def rate(session: Session, *, actor: Actor, order_id: int, level: int, comment: str = "",
         channel: RatingChannel = RatingChannel.call, now: datetime | None = None) -> WorkOrder:
    """Record the resident's rating of a completed order (one per order) from a call or in
    person; a 差评 opens a follow-up (回访). Managers and officers of the order's site."""
    now = now or utcnow()
    ensure_allowed(actor, Action.RATE)
    level, comment, channel = clean(level, comment, channel)
    order = orders.load_for(session, actor, Action.RATE, order_id)
    record(session, order, by=actor, level=level, comment=comment, channel=channel, now=now)
    return orders.commit(session, order.id)
