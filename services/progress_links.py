"""办理进度: the resident's progress link, printed on the 服务卡 when an order is placed.

- **The link** is `<public_base_url>/?progress=<token>`, made by the rating link's own rules
  (services/rating_links.py: `token_urlsafe(32)`, 256 random bits, only its SHA-256 stored,
  checked by `rating_links.well_formed` before any lookup). It lasts `progress_link_days` and,
  unlike a rating link, is not used up by reading. Making a new card for an order revokes the
  order's earlier live ones, so a lost card can be replaced without staying valid. Whoever may
  place orders (点单) may make one, for an order of their sites that is not cancelled.
- **What it shows** (`view`): the order's code, title and status and a timeline of its steps
  (placed, dispatched, accepted, completed, rated — or cancelled) with their local times, read
  from the order's events. No names, no phone numbers, no notes (a reason may name someone).
  A declined order is back in the queue: its earlier dispatch is no longer a step reached.
- **催单** (`urge`): while the order is open and past the time limit of its step (services/sla.py)
  the resident may urge it once per local day: an OrderEvent `urge` without an actor, its
  detail `{"limit": …, "by": "resident"}`, shown to the holder and in the history like a
  manager's urge (services/escalation.py). A second one the same local day is refused and
  writes nothing: the ResidentUrge row's unique (order, day) pair decides, so two presses at
  once give one urge on SQLite (one writer at a time) and on PostgreSQL (the second INSERT waits
  for the first and then violates the pair).
- **评单** (`rate`): once the order may be rated — exactly when the rating service would take a
  rating (the state machine's own rule, `next_status(status, rate)`, i.e. models.RATABLE) — the
  same page takes the resident's rating through `ratings.record`, so it is one rating per order
  whichever channel comes first.

Every wrong token — unknown, expired, revoked, malformed, or another order's — gives the same
answer (None, or ProgressLinkNotValid), so a caller learns nothing from it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    OPEN,
    AuditAction,
    OrderAction,
    OrderEvent,
    OrderStatus,
    ProgressToken,
    RatingChannel,
    ResidentUrge,
    WorkOrder,
    next_status,
)
from services import audit, order_facts, orders, rating_links, ratings, sla
from services import settings as settings_service
from services.clock import local_today, to_local
from services.errors import DomainError, Invalid, OrderNotInState
from services.permissions import Action, Actor

STEPS = ("placed", "dispatched", "accepted", "completed", "rated")
RESIDENT = "resident"  # an urge's detail["by"] when the resident sent it


class ProgressLinkNotValid(DomainError):
    """Unknown, expired, revoked, malformed or another order's: one message for all."""

    key = "error.progress_link"


class AlreadyUrged(DomainError):
    key = "error.progress_urged_today"


class NotRatable(DomainError):
    """Not (or no longer) waiting for a rating; says nothing about who rated or why."""

    key = "error.progress_not_ratable"


@dataclass(frozen=True)
class Step:
    name: str                 # one of STEPS, or "cancelled"
    at: datetime | None       # local time (setting `timezone`); None: not reached yet


@dataclass(frozen=True)
class Progress:
    """What the public page may show: no names, no phone numbers, no notes."""

    order_id: int
    code: str
    title: str
    status: str
    steps: tuple[Step, ...]
    late: bool                # open and past the time limit of its step
    urged_today: bool         # the resident's 催单 of today (local day) is in
    urges: tuple[datetime, ...]   # the resident's 催单, local times, oldest first
    may_rate: bool

    @property
    def may_urge(self) -> bool:
        return self.late and not self.urged_today


def link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/?progress={token}"


def issue(session: Session, *, actor: Actor, order_id: int,
          now: datetime | None = None) -> rating_links.Issued:
    """A new progress link for an order that is not cancelled, revoking the order's earlier live
    ones; whoever may place orders, for the orders of their sites."""
    now = now or utcnow()
    order = orders.load_for(session, actor, Action.PROGRESS_LINK, order_id)
    if order.status == OrderStatus.cancelled:
        session.rollback()
        raise Invalid("error.progress_link_cancelled", code=order.code)
    days = settings_service.current(session)["progress_link_days"]
    session.exec(update(ProgressToken)
                 .where(ProgressToken.order_id == order.id, ProgressToken.expires_at > now)
                 .values(expires_at=now))
    token = secrets.token_urlsafe(rating_links.TOKEN_BYTES)
    expires = now + timedelta(days=days)
    session.add(ProgressToken(order_id=order.id, token_hash=rating_links.token_hash(token),
                              created_at=now, created_by_id=actor.id, expires_at=expires))
    audit.record(session, AuditAction.progress_link_issue, actor_id=actor.id,
                 target=order.code or str(order.id), at=now)
    session.commit()
    return rating_links.Issued(token=token, order_id=order.id, expires_at=expires)


def live_until(session: Session, *, actor: Actor, order_id: int,
               now: datetime | None = None) -> datetime | None:
    """When the order's live progress link runs out, if it has one (the token is not kept)."""
    now = now or utcnow()
    order = orders.load_for(session, actor, Action.PROGRESS_LINK, order_id)
    return session.exec(select(ProgressToken.expires_at)
                        .where(ProgressToken.order_id == order.id, ProgressToken.expires_at > now)
                        .order_by(ProgressToken.expires_at.desc()).limit(1)).first()


def _live(session: Session, token: str | None, now: datetime) -> ProgressToken | None:
    if not rating_links.well_formed(token):
        return None
    row = session.exec(select(ProgressToken)
                       .where(ProgressToken.token_hash == rating_links.token_hash(token))).first()
    if row is None or row.expires_at <= now:
        return None
    return row


def _for_order(session: Session, token: str | None, order_id: int,
               now: datetime) -> tuple[ProgressToken, WorkOrder]:
    row = _live(session, token, now)
    if row is None or row.order_id != order_id:
        session.rollback()
        raise ProgressLinkNotValid()
    return row, orders.load(session, row.order_id)


def may_rate(order: WorkOrder) -> bool:
    """The rating service's own rule: the state machine lets a rating start from here."""
    return next_status(order.status, OrderAction.rate) is not None


def timeline(events: list[tuple[str, datetime]], tz: str) -> tuple[Step, ...]:
    """The steps reached, in lifecycle order, from (action, time) events oldest first; a
    cancelled order ends with its cancellation, an open one lists the steps still to come."""
    reached: dict[str, datetime] = {}
    cancelled = None
    for action, at in events:
        if action in (OrderAction.place, OrderAction.walk_in):
            reached["placed"] = at
        if action == OrderAction.walk_in:   # served at a station's desk: placed and done at once
            reached["completed"] = at
        elif action == OrderAction.decline:  # back in the queue: the dispatch no longer holds
            reached.pop("dispatched", None)
        elif action == OrderAction.cancel:
            cancelled = at
        else:
            # 中心审核: done when approved (a submission waiting for review is not done yet)
            step = {OrderAction.dispatch: "dispatched", OrderAction.accept: "accepted",
                    OrderAction.complete: "completed", OrderAction.approve: "completed",
                    OrderAction.rate: "rated"}.get(action)
            if step:
                reached[step] = at
    if cancelled is not None:
        return (*(Step(s, to_local(reached[s], tz)) for s in STEPS if s in reached),
                Step("cancelled", to_local(cancelled, tz)))
    if "completed" in reached:  # a 来访 is never dispatched: only the steps it went through
        return tuple(Step(s, to_local(reached.get(s), tz)) for s in STEPS
                     if s in reached or s == "rated")
    return tuple(Step(s, to_local(reached.get(s), tz)) for s in STEPS)


def view(session: Session, *, token: str | None, now: datetime | None = None) -> Progress | None:
    """The order a valid progress link follows, as the resident may see it; None for any bad
    link."""
    now = now or utcnow()
    row = _live(session, token, now)
    if row is None:
        return None
    order = orders.load(session, row.order_id)
    values = settings_service.current(session)
    tz = values["timezone"]
    events = session.exec(select(OrderEvent.action, OrderEvent.at, OrderEvent.actor_id,
                                 OrderEvent.detail)
                          .where(OrderEvent.order_id == order.id)
                          .order_by(OrderEvent.at, OrderEvent.id)).all()
    kind = session.exec(select(sla.overdue_kind(now, values))
                        .where(WorkOrder.id == order.id)).one()
    today = local_today(now, tz)
    urged_today = session.exec(select(ResidentUrge.id).where(
        ResidentUrge.order_id == order.id, ResidentUrge.day == today)).first() is not None
    urges = tuple(to_local(at, tz) for action, at, actor, detail in events
                  if action == OrderAction.urge and actor is None
                  and (detail or {}).get("by") == RESIDENT)
    return Progress(order_id=order.id, code=order.code or "", title=order.title,
                    status=order.status.value,
                    steps=timeline([(a, at) for a, at, _, _ in events], tz),
                    late=order.status in OPEN and kind is not None, urged_today=urged_today,
                    urges=urges, may_rate=may_rate(order))


def urge(session: Session, *, token: str | None, order_id: int,
         now: datetime | None = None) -> OrderEvent:
    """The resident's 催单 on an open order past its time limit, at most once per local day:
    an urge event without an actor, and the day's ResidentUrge row beside it, in one
    transaction. A second 催单 the same day, even one pressed at the same moment, writes
    nothing."""
    now = now or utcnow()
    row, order = _for_order(session, token, order_id, now)
    values = settings_service.current(session)
    kind = session.exec(select(sla.overdue_kind(now, values))
                        .where(WorkOrder.id == order.id)).one()
    if order.status not in OPEN or kind is None:
        session.rollback()
        raise Invalid("error.progress_not_late")
    day = local_today(now, values["timezone"])
    if session.exec(select(ResidentUrge.id).where(ResidentUrge.order_id == order.id,
                                                  ResidentUrge.day == day)).first():
        session.rollback()
        raise AlreadyUrged()
    event = OrderEvent(order_id=order.id, at=now, actor_id=None, action=OrderAction.urge.value,
                       from_status=order.status, to_status=order.status, team_id=order.team_id,
                       note="", detail={"limit": kind, "by": RESIDENT})
    session.add(event)
    try:
        session.flush()
        session.add(ResidentUrge(order_id=order.id, day=day, at=now, token_id=row.id,
                                 event_id=event.id))
        session.flush()
    except IntegrityError:  # the other press of the same day committed first
        session.rollback()
        raise AlreadyUrged() from None
    order_facts.refresh(session, order.id, tz=values["timezone"])
    session.commit()
    return event


def rate(session: Session, *, token: str | None, order_id: int, level, comment: str = "",
         now: datetime | None = None) -> None:
    """The resident's rating from the progress page, once the order may be rated: written by
    ratings.record (one rating per order, whichever channel comes first), channel QR code."""
    now = now or utcnow()
    level, comment, channel = ratings.clean(level, comment, RatingChannel.qr)
    _, order = _for_order(session, token, order_id, now)
    if not may_rate(order):
        session.rollback()
        raise NotRatable()
    try:
        ratings.record(session, order, by=None, level=level, comment=comment, channel=channel,
                       now=now)
    except OrderNotInState:
        # Rated meanwhile through another channel: the first rating stands (rolled back). The
        # refusal's own words name who changed the order, which a resident is not told.
        raise NotRatable() from None
    session.commit()
