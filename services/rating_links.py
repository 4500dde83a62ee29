"""评单 by QR code: one-time rating links for residents.

A link is `<public_base_url>/?rate=<token>`, the token `secrets.token_urlsafe(32)` (256 random
bits). Only its SHA-256 is stored, so the database cannot give a working link away; the token is
shown once, to whoever issued it. A link works once, for `rating_link_days`, and only while its
order is 已完成. Issuing a new link for an order revokes the order's earlier unused ones (one
printed card in circulation per order: a lost card can be replaced without leaving it valid).

Every way a token can be wrong — unknown, used, expired, revoked, another order's, an order
already rated — gives the same answer (None, or LinkNotValid), so a caller learns nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from core.db import utcnow
from models import AuditAction, OrderStatus, RatingChannel, RatingToken, Team, WorkOrder
from services import audit, orders, ratings
from services import settings as settings_service
from services.clock import local_today
from services.errors import DomainError, Invalid, OrderNotInState
from services.permissions import Action, Actor

TOKEN_BYTES = 32
_MAX_TOKEN_CHARS = 64      # token_urlsafe(32) is 43 characters
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class LinkNotValid(DomainError):
    """Unknown, used, expired or revoked: one message for all."""

    key = "error.rating_link"


@dataclass(frozen=True)
class Issued:
    token: str            # shown once; never stored
    order_id: int
    expires_at: datetime


@dataclass(frozen=True)
class PublicOrder:
    """What the rating page may show a resident: no names, no phone numbers."""

    order_id: int
    title: str
    team: str
    service_day: str      # local date of completion, YYYY-MM-DD


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def well_formed(token: str | None) -> bool:
    """A token as token_urlsafe makes them, before anything is looked up (progress links too)."""
    return (isinstance(token, str) and 0 < len(token) <= _MAX_TOKEN_CHARS
            and set(token) <= _TOKEN_CHARS)


def _issuable(session: Session, actor: Actor, order_id: int) -> WorkOrder:
    return orders.load_for(session, actor, Action.RATING_LINK, order_id)


def issue(session: Session, *, actor: Actor, order_id: int,
          now: datetime | None = None) -> Issued:
    """A new one-time rating link for a completed order, revoking the order's earlier unused
    ones; the lead of the order's team, or a manager of its site."""
    now = now or utcnow()
    order = _issuable(session, actor, order_id)
    if order.status != OrderStatus.completed:
        session.rollback()
        raise Invalid("error.rating_link_not_completed")
    days = settings_service.current(session)["rating_link_days"]
    session.exec(update(RatingToken)
                 .where(RatingToken.order_id == order.id, RatingToken.used_at.is_(None),
                        RatingToken.expires_at > now)
                 .values(expires_at=now))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = now + timedelta(days=days)
    session.add(RatingToken(order_id=order.id, token_hash=token_hash(token), created_at=now,
                            expires_at=expires))
    audit.record(session, AuditAction.rating_link_issue, actor_id=actor.id,
                 target=order.code or str(order.id), at=now)
    session.commit()
    return Issued(token=token, order_id=order.id, expires_at=expires)


def live_until(session: Session, *, actor: Actor, order_id: int,
               now: datetime | None = None) -> datetime | None:
    """When the order's unused link runs out, if it has one (the token itself is not kept)."""
    now = now or utcnow()
    order = _issuable(session, actor, order_id)
    return session.exec(select(RatingToken.expires_at)
                        .where(RatingToken.order_id == order.id, RatingToken.used_at.is_(None),
                               RatingToken.expires_at > now)
                        .order_by(RatingToken.expires_at.desc()).limit(1)).first()


def link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/?rate={token}"


def _live_token(session: Session, token: str | None, now: datetime) -> RatingToken | None:
    if not well_formed(token):
        return None
    row = session.exec(select(RatingToken)
                       .where(RatingToken.token_hash == token_hash(token))).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row


def public_view(session: Session, *, token: str | None,
                now: datetime | None = None) -> PublicOrder | None:
    """The order a valid link rates, as a resident may see it; None for any bad link."""
    now = now or utcnow()
    row = _live_token(session, token, now)
    if row is None:
        return None
    order = session.get(WorkOrder, row.order_id)
    if order is None or order.status != OrderStatus.completed:
        return None
    team = session.get(Team, order.team_id) if order.team_id else None
    tz = settings_service.current(session)["timezone"]
    return PublicOrder(order_id=order.id, title=order.title, team=team.name if team else "",
                       service_day=local_today(order.completed_at, tz).isoformat())


def rate(session: Session, *, token: str | None, order_id: int, level, comment: str = "",
         now: datetime | None = None) -> None:
    """The resident's rating through a link, for the order the page showed them: the token is
    used (compare-and-set on unused and unexpired), the rating written and the order moved to
    已评价, all in one transaction. A bad link, or a link of another order, changes nothing."""
    now = now or utcnow()
    level, comment, channel = ratings.clean(level, comment, RatingChannel.qr)
    row = _live_token(session, token, now)
    if row is None or row.order_id != order_id:
        session.rollback()
        raise LinkNotValid()
    used = session.exec(update(RatingToken)
                        .where(RatingToken.id == row.id, RatingToken.used_at.is_(None),
                               RatingToken.expires_at > now)
                        .values(used_at=now))
    if used.rowcount != 1:
        session.rollback()
        raise LinkNotValid()
    order = session.get(WorkOrder, row.order_id, populate_existing=True)
    try:
        ratings.record(session, order, by=None, level=level, comment=comment,
                       channel=channel, now=now, token_id=row.id)
    except OrderNotInState:
        # Rated meanwhile by a call: the first rating stands (the refusal rolled back).
        raise LinkNotValid() from None
    session.commit()
