"""积分超市 ("积分兑物质服务"): the goods of a site's points store, redeeming them for a
volunteer at the counter, cancelling a redemption, and the lists and Excel export.

A redemption is one transaction: the reward's stock is taken by a compare-and-set
(`UPDATE reward SET stock = stock - n WHERE id = … AND active AND stock >= n`), the volunteer's
spendable points are checked with the volunteer locked, and the points leave by a ledger line
(services/points.py, the ledger's only writer). Two redemptions of the last item: the first
takes it, the second finds the stock gone and is told so; nothing of it is written. A
cancellation puts the stock back and gives the points back by a new line; the redemption stays,
marked cancelled with its reason.
"""

from __future__ import annotations

import io
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

from core.db import utcnow
from models import AuditAction, Redemption, Reward, Site, User, Volunteer
from services import audit, points, scope, validate, xlsx
from services import settings as settings_service
from services.clock import local_today
from services.errors import DomainError, Invalid, NotFound
from services.permissions import Action, Actor, ensure_allowed
from services.survey_import import Words

MAX_COST = 100_000
MAX_STOCK = 100_000
MAX_QUANTITY = 100


def _reward_in_scope(session: Session, actor: Actor, reward_id: int) -> Reward:
    reward = session.get(Reward, reward_id)
    if reward is None or not session.get(Site, reward.site_id).path.startswith(actor.site_path):
        raise NotFound(what="reward")
    return reward


def rewards(session: Session, *, actor: Actor, include_retired: bool = False) -> list[dict]:
    """The goods of the actor's sites, active first, by name."""
    ensure_allowed(actor, Action.MANAGE_POINTS)
    q = (select(Reward, Site.name).join(Site, Site.id == Reward.site_id)
         .where(Reward.site_id.in_(scope.sites_under(actor.site_path))))
    if not include_retired:
        q = q.where(Reward.active)
    return [{"id": r.id, "name": r.name, "cost": r.cost, "stock": r.stock, "active": r.active,
             "site": site, "site_id": r.site_id}
            for r, site in session.exec(q.order_by(Reward.active.desc(), Reward.name, Reward.id))]


def save_reward(session: Session, *, actor: Actor, name: str, cost, stock, site_id: int,
                reward_id: int | None = None, active: bool = True) -> Reward:
    """Add goods to a site's store or edit them (name, cost in points, stock, active: a retired
    reward can no longer be redeemed, and its past redemptions stay); managers only."""
    ensure_allowed(actor, Action.MANAGE_POINTS)
    name = validate.text(name, key="reward_name", maximum=60)
    cost = validate.whole(cost, key="reward_cost", minimum=1, maximum=MAX_COST)
    stock = validate.whole(stock, key="reward_stock", minimum=0, maximum=MAX_STOCK)
    site = session.get(Site, site_id) if site_id else None
    if site is None:
        raise Invalid("error.site_required")
    ensure_allowed(actor, Action.MANAGE_POINTS, site_path=site.path)
    if reward_id is None:
        reward = Reward(site_id=site.id, name=name, cost=cost, stock=stock, active=active)
    else:
        reward = _reward_in_scope(session, actor, reward_id)
        reward.site_id, reward.name, reward.cost = site.id, name, cost
        reward.stock, reward.active = stock, active
    clash = session.exec(select(Reward.id).where(Reward.site_id == site.id, Reward.name == name,
                                                 Reward.id != (reward.id or -1))).first()
    if clash is not None:
        raise Invalid("error.reward_name_taken", name=name)
    session.add(reward)
    session.flush()
    audit.record(session, AuditAction.reward_save, actor_id=actor.id, target=name,
                 detail=f"reward={reward.id} cost={cost} stock={stock} active={active}")
    session.commit()
    return reward


def redeem(session: Session, *, actor: Actor, volunteer_id: int, reward_id: int,
           quantity=1, now: datetime | None = None) -> Redemption:
    """兑换 at the counter: stock and points checked and changed in one transaction, race-safe
    (see the module's docstring); managers of the volunteer's and the reward's sites."""
    ensure_allowed(actor, Action.MANAGE_POINTS)
    quantity = validate.whole(quantity, key="quantity", minimum=1, maximum=MAX_QUANTITY)
    now = now or utcnow()
    reward = _reward_in_scope(session, actor, reward_id)
    vol = session.get(Volunteer, volunteer_id)
    if vol is None or not session.get(Site, vol.site_id).path.startswith(actor.site_path):
        raise NotFound(what="volunteer")
    if not vol.active:
        raise Invalid("error.volunteer_inactive", name=vol.name)
    taken = session.exec(update(Reward).where(Reward.id == reward.id, Reward.active,
                                              Reward.stock >= quantity)
                         .values(stock=Reward.stock - quantity)
                         .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        session.rollback()
        raise Invalid("error.reward_out_of_stock", name=reward.name)
    session.expire(reward, ["stock"])
    redemption = Redemption(reward_id=reward.id, volunteer_id=vol.id, quantity=quantity,
                            points=reward.cost * quantity, at=now, by_user_id=actor.id)
    session.add(redemption)
    session.flush()
    try:
        points.take_for_redemption(session, actor=actor, volunteer_id=vol.id,
                                   redemption=redemption, now=now)
    except DomainError:
        session.rollback()  # the stock taken above goes back with it
        raise
    audit.record(session, AuditAction.points_redeem, actor_id=actor.id, target=vol.name,
                 detail=f"redemption={redemption.id} reward={reward.id} quantity={quantity} "
                        f"points={redemption.points}", at=now)
    session.commit()
    return redemption


def cancel(session: Session, *, actor: Actor, redemption_id: int, reason: str,
           now: datetime | None = None) -> Redemption:
    """Cancel a redemption with a reason: the stock and the points come back (a new ledger
    line); once only (compare-and-set on 'not cancelled'); managers of the reward's site."""
    ensure_allowed(actor, Action.MANAGE_POINTS)
    reason = validate.text(reason, key="reason", maximum=200)
    now = now or utcnow()
    redemption = session.get(Redemption, redemption_id)
    if redemption is None:
        raise NotFound(what="redemption")
    reward = _reward_in_scope(session, actor, redemption.reward_id)
    done = session.exec(update(Redemption).where(Redemption.id == redemption.id,
                                                 Redemption.cancelled_at.is_(None))
                        .values(cancelled_at=now, cancelled_by_id=actor.id, cancel_reason=reason)
                        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        session.rollback()
        raise Invalid("error.redemption_cancelled")
    session.exec(update(Reward).where(Reward.id == reward.id)
                 .values(stock=Reward.stock + redemption.quantity)
                 .execution_options(synchronize_session=False))
    session.expire(reward, ["stock"])
    session.refresh(redemption)
    points.give_back_redemption(session, actor=actor, redemption=redemption, now=now)
    audit.record(session, AuditAction.points_redeem_cancel, actor_id=actor.id,
                 target=reward.name, detail=f"redemption={redemption.id} reason={reason}",
                 at=now)
    session.commit()
    return redemption


def redemptions(session: Session, *, actor: Actor, volunteer_id: int | None = None,
                offset: int = 0, limit: int = 50) -> tuple[list[dict], int]:
    """Redemptions of the actor's sites' goods, newest first, paginated in SQL."""
    ensure_allowed(actor, Action.MANAGE_POINTS)
    conds = [Reward.site_id.in_(scope.sites_under(actor.site_path))]
    if volunteer_id is not None:
        conds.append(Redemption.volunteer_id == volunteer_id)
    base = (select(Redemption, Reward.name, Volunteer.name, User.display_name)
            .join(Reward, Reward.id == Redemption.reward_id)
            .join(Volunteer, Volunteer.id == Redemption.volunteer_id)
            .join(User, User.id == Redemption.by_user_id).where(*conds))
    total = session.exec(select(func.count()).select_from(Redemption)
                         .join(Reward, Reward.id == Redemption.reward_id).where(*conds)).one()
    rows = session.exec(base.order_by(Redemption.at.desc(), Redemption.id.desc())
                        .offset(offset).limit(limit)).all()
    return [{"id": r.id, "at": r.at, "reward": reward, "volunteer": vol,
             "volunteer_id": r.volunteer_id, "quantity": r.quantity, "points": r.points,
             "by": by, "cancelled": r.cancelled_at is not None, "cancelled_at": r.cancelled_at,
             "cancel_reason": r.cancel_reason} for r, reward, vol, by in rows], total


EXPORT_ROWS = 50_000


def export_store(session: Session, *, actor: Actor, words: Words) -> bytes:
    """The store's stock and every redemption (up to 50,000, newest first) as a workbook of two
    sheets; audited."""
    goods = rewards(session, actor=actor, include_retired=True)
    done, _total = redemptions(session, actor=actor, limit=EXPORT_ROWS)
    tz = settings_service.current(session)["timezone"]
    buffer = io.BytesIO()
    book, bold = xlsx.workbook(buffer)
    xlsx.write_sheet(book, bold, words("points_store.sheet_stock"),
                     [words(f"points_store.col.{c}") for c in ("name", "site", "cost", "stock",
                                                        "active")],
                     [(g["name"], g["site"], g["cost"], g["stock"],
                       words("points_store.active" if g["active"] else "points_store.retired"))
                      for g in goods], (24, 14, 10, 10, 8))
    xlsx.write_sheet(book, bold, words("points_store.sheet_redemptions"),
                     [words(f"points_store.col.{c}") for c in
                      ("at", "volunteer", "reward", "quantity", "points", "by", "state",
                       "cancel_reason")],
                     [(local_today(r["at"], tz), r["volunteer"], r["reward"], r["quantity"],
                       r["points"], r["by"],
                       words("points_store.cancelled" if r["cancelled"]
                             else "points_store.redeemed_state"),
                       r["cancel_reason"]) for r in done], (12, 10, 24, 8, 8, 10, 8, 30))
    book.close()
    audit.record(session, AuditAction.store_export, actor_id=actor.id,
                 detail=f"rewards={len(goods)} redemptions={len(done)}")
    session.commit()
    return buffer.getvalue()
