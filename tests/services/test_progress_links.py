"""办理进度: the resident's progress link — its token rules, the timeline it shows (and what it
must never show), the once-a-day 催单 at the local day's edges and under a race, and the rating
it offers once the order may be rated."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from core import db
from models import (
    AuditLog,
    OrderEvent,
    ProgressToken,
    Rating,
    RatingChannel,
    ResidentUrge,
    WorkOrder,
)
from services import escalation, order_queries, orders, progress_links, ratings, settings
from services.errors import DomainError, Forbidden, Invalid
from services.progress_links import AlreadyUrged, NotRatable, ProgressLinkNotValid
from tests.factories import build_town
from tests.services.steps import T0, S, count, order_in, run_together

DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
LATE = T0 + DAY + MINUTE   # a submitted order placed at T0 is late from T0 + dispatch_days (1)
# Beijing is UTC+8: 23:59 and 00:01 local on either side of midnight 3/4 March.
BEFORE_MIDNIGHT = datetime(2026, 3, 3, 15, 59, tzinfo=UTC)   # 2026-03-03 23:59 in Beijing
AFTER_MIDNIGHT = datetime(2026, 3, 3, 16, 1, tzinfo=UTC)     # 2026-03-04 00:01 in Beijing


def _card(session, town, order, now=T0 + MINUTE, actor=None):
    return progress_links.issue(session, actor=actor or town.officer, order_id=order.id, now=now)


def _resident_urges(session, order_id):
    return session.exec(select(OrderEvent).where(OrderEvent.order_id == order_id,
                                                 OrderEvent.action == "urge",
                                                 OrderEvent.actor_id.is_(None))).all()


# --- the token ----------------------------------------------------------------------------------


def test_a_card_is_a_fresh_256_bit_token_of_which_only_the_hash_is_stored(session, town):
    order = order_in(session, town, S.submitted, requester_name="李奶奶")
    issued = _card(session, town, order)
    assert len(issued.token) == 43 and issued.order_id == order.id
    row = session.exec(select(ProgressToken)).one()
    assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in row.model_dump().values()
    assert row.expires_at == T0 + MINUTE + timedelta(days=60) == issued.expires_at
    assert progress_links.link("https://dd.example.cn/", issued.token) == \
        f"https://dd.example.cn/?progress={issued.token}"
    audited = session.exec(select(AuditLog.action, AuditLog.target)).all()
    assert ("progress_link.issue", order.code) in audited


def test_the_card_lifetime_is_the_setting(session, town):
    settings.update(session, actor=town.manager, values={"progress_link_days": 5})
    issued = _card(session, town, order_in(session, town, S.submitted))
    assert issued.expires_at == T0 + MINUTE + timedelta(days=5)


@pytest.mark.parametrize("who", ["lead_a", "leader", "outsider"])
def test_only_those_who_place_orders_of_its_sites_may_make_a_card(session, town, who):
    order = order_in(session, town, S.submitted)
    with pytest.raises(Forbidden):
        _card(session, town, order, actor=getattr(town, who))
    session.rollback()
    assert count(session, ProgressToken) == 0
    _card(session, town, order, actor=town.manager)
    assert count(session, ProgressToken) == 1


def test_a_cancelled_order_gets_no_card(session, town):
    order = order_in(session, town, S.cancelled)
    with pytest.raises(Invalid) as err:
        _card(session, town, order)
    assert err.value.key == "error.progress_link_cancelled"
    assert count(session, ProgressToken) == 0


def test_a_new_card_revokes_the_earlier_one(session, town):
    order = order_in(session, town, S.submitted)
    first = _card(session, town, order)
    second = _card(session, town, order, now=T0 + HOUR)
    assert progress_links.view(session, token=first.token, now=T0 + 2 * HOUR) is None
    assert progress_links.view(session, token=second.token, now=T0 + 2 * HOUR) is not None


def test_the_link_can_be_read_again_and_again_until_it_expires(session, town):
    order = order_in(session, town, S.submitted)
    issued = _card(session, town, order)
    for _ in range(3):
        assert progress_links.view(session, token=issued.token, now=T0 + HOUR).order_id == order.id
    assert progress_links.view(session, token=issued.token,
                               now=issued.expires_at - MINUTE) is not None
    assert progress_links.view(session, token=issued.token, now=issued.expires_at) is None


@pytest.mark.parametrize("bad", ["", None, "x" * 43, "a b", "<script>", "x" * 65, "令牌" * 10,
                                 "' OR 1=1 --", 12345])
def test_unknown_and_malformed_tokens_show_nothing(session, town, bad):
    _card(session, town, order_in(session, town, S.submitted))
    assert progress_links.view(session, token=bad, now=T0 + HOUR) is None


def test_an_expired_token_shows_nothing_and_urges_nothing(session, town):
    order = order_in(session, town, S.submitted)
    settings.update(session, actor=town.manager, values={"progress_link_days": 1})
    issued = _card(session, town, order)
    assert progress_links.view(session, token=issued.token, now=LATE) is None
    with pytest.raises(ProgressLinkNotValid):
        progress_links.urge(session, token=issued.token, order_id=order.id, now=LATE)
    assert _resident_urges(session, order.id) == []


def test_another_orders_token_urges_and_rates_nothing(session, town):
    mine = order_in(session, town, S.submitted)
    other = order_in(session, town, S.completed)
    token = _card(session, town, mine).token
    with pytest.raises(ProgressLinkNotValid):
        progress_links.urge(session, token=token, order_id=other.id, now=LATE)
    with pytest.raises(ProgressLinkNotValid):
        progress_links.rate(session, token=token, order_id=other.id, level=5, now=LATE)
    assert count(session, Rating) == 0 and count(session, ResidentUrge) == 0


# --- the timeline -------------------------------------------------------------------------------


def test_the_timeline_lists_each_step_with_its_local_time(session, town):
    order = order_in(session, town, S.submitted)
    token = _card(session, town, order).token
    view = progress_links.view(session, token=token, now=T0 + MINUTE)
    assert [(s.name, s.at) for s in view.steps] == [
        ("placed", T0), ("dispatched", None), ("accepted", None), ("completed", None),
        ("rated", None)]
    order = orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a,
                            now=T0 + HOUR)
    orders.accept(session, actor=town.lead_a, order_id=order.id, now=T0 + 2 * HOUR)
    view = progress_links.view(session, token=token, now=T0 + 3 * HOUR)
    local = [(s.name, s.at and s.at.strftime("%Y-%m-%d %H:%M")) for s in view.steps]
    assert local == [("placed", "2026-03-02 10:00"), ("dispatched", "2026-03-02 11:00"),
                     ("accepted", "2026-03-02 12:00"), ("completed", None), ("rated", None)]
    assert view.status == "accepted" and not view.may_rate and view.code == order.code


def test_a_declined_dispatch_is_no_longer_a_step_reached(session, town):
    order = order_in(session, town, S.dispatched)
    token = _card(session, town, order).token
    orders.decline(session, actor=town.lead_a, order_id=order.id, reason="人手不足",
                   now=T0 + 2 * HOUR)
    view = progress_links.view(session, token=token, now=T0 + 3 * HOUR)
    assert [s.name for s in view.steps if s.at] == ["placed"]
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_b,
                    now=T0 + 4 * HOUR)
    view = progress_links.view(session, token=token, now=T0 + 5 * HOUR)
    assert [(s.name, s.at) for s in view.steps if s.at][1][1].hour == 14  # 06:00 UTC = 14:00


def test_a_cancelled_order_ends_with_its_cancellation(session, town):
    order = order_in(session, town, S.accepted)
    token = _card(session, town, order).token
    orders.cancel(session, actor=town.manager, order_id=order.id, reason="张三说不用了 13900001111",
                  now=T0 + 3 * HOUR)
    view = progress_links.view(session, token=token, now=T0 + 4 * HOUR)
    assert [s.name for s in view.steps] == ["placed", "dispatched", "accepted", "cancelled"]
    assert view.status == "cancelled" and not view.late and not view.may_rate


def test_the_timeline_names_nobody_and_shows_no_phone_or_note(session, town):
    order = order_in(session, town, S.accepted, requester_name="李奶奶",
                     requester_phone="13900001111", description="联系王五 13800002222")
    token = _card(session, town, order).token
    escalation.urge(session, actor=town.manager, order_id=order.id, note="MGR 请联系 LEAD_A",
                    now=T0 + 8 * DAY)
    orders.cancel(session, actor=town.manager, order_id=order.id, reason="张三说不用了",
                  now=T0 + 8 * DAY + HOUR)
    view = progress_links.view(session, token=token, now=T0 + 9 * DAY)
    shown = repr(view)
    # Every account name of the town (display names are the upper-case usernames), the team
    # and its lead, the requester, the phones, the notes.
    for secret in ("李奶奶", "13900001111", "13800002222", "王五", "张三", "MGR", "OFF", "LEAD_A",
                   "宣讲支队", "请联系", "人手", "1380000000"):
        assert secret not in shown, secret


# --- 催单 ---------------------------------------------------------------------------------------


def test_no_urge_before_the_time_limit(session, town):
    order = order_in(session, town, S.submitted)
    token = _card(session, town, order).token
    view = progress_links.view(session, token=token, now=T0 + DAY - MINUTE)
    assert not view.late and not view.may_urge
    with pytest.raises(Invalid) as err:
        progress_links.urge(session, token=token, order_id=order.id, now=T0 + DAY - MINUTE)
    assert err.value.key == "error.progress_not_late"
    assert _resident_urges(session, order.id) == []
    assert progress_links.view(session, token=token, now=LATE).may_urge


def test_a_resident_urge_is_an_event_the_holder_sees_like_a_managers(session, town):
    order = order_in(session, town, S.dispatched)   # accept_days = 2 after T0 + 1 h
    token = _card(session, town, order).token
    late = T0 + HOUR + 2 * DAY + MINUTE
    progress_links.urge(session, token=token, order_id=order.id, now=late)
    [event] = _resident_urges(session, order.id)
    assert (event.from_status, event.to_status, event.team_id, event.detail) == (
        S.dispatched, S.dispatched, town.team_a, {"limit": "accept", "by": "resident"})
    detail = order_queries.detail(session, actor=town.lead_a, order_id=order.id, now=late)
    assert [(u["actor"], u["detail"]) for u in detail["urges"]] == [
        ("", {"limit": "accept", "by": "resident"})]
    assert detail["history"][-1]["action"] == "urge"
    assert session.get(WorkOrder, order.id).status == S.dispatched
    assert escalation.urged_still_late(session, actor=town.manager, now=late) == 1
    view = progress_links.view(session, token=token, now=late)
    assert view.urged_today and not view.may_urge and len(view.urges) == 1


def test_a_second_urge_the_same_local_day_is_refused_and_writes_nothing(session, town):
    order = order_in(session, town, S.submitted)
    token = _card(session, town, order).token
    progress_links.urge(session, token=token, order_id=order.id, now=T0 + DAY + HOUR)  # 11:00
    with pytest.raises(AlreadyUrged):
        progress_links.urge(session, token=token, order_id=order.id, now=BEFORE_MIDNIGHT)
    assert len(_resident_urges(session, order.id)) == 1 and count(session, ResidentUrge) == 1


def test_the_day_turns_at_local_midnight_not_at_utc_midnight(session, town):
    order = order_in(session, town, S.submitted)
    token = _card(session, town, order).token
    progress_links.urge(session, token=token, order_id=order.id, now=BEFORE_MIDNIGHT)  # 23:59
    assert progress_links.view(session, token=token, now=BEFORE_MIDNIGHT).urged_today
    view = progress_links.view(session, token=token, now=AFTER_MIDNIGHT)              # 00:01
    assert view.may_urge and not view.urged_today
    progress_links.urge(session, token=token, order_id=order.id, now=AFTER_MIDNIGHT)
    # 15:59 UTC next day is still 23:59 on the same Beijing day (4 March): refused.
    with pytest.raises(AlreadyUrged):
        progress_links.urge(session, token=token, order_id=order.id,
                            now=BEFORE_MIDNIGHT + DAY)
    days = session.exec(select(ResidentUrge.day).order_by(ResidentUrge.day)).all()
    assert [d.isoformat() for d in days] == ["2026-03-03", "2026-03-04"]


def test_a_new_card_does_not_give_a_second_urge_the_same_day(session, town):
    order = order_in(session, town, S.submitted)
    first = _card(session, town, order).token
    progress_links.urge(session, token=first, order_id=order.id, now=LATE)
    second = _card(session, town, order, now=LATE + MINUTE).token
    with pytest.raises(AlreadyUrged):
        progress_links.urge(session, token=second, order_id=order.id, now=LATE + 2 * MINUTE)


@pytest.mark.parametrize("status", [S.completed, S.rated, S.cancelled])
def test_a_done_or_cancelled_order_cannot_be_urged(session, town, status):
    order = order_in(session, town, S.accepted if status == S.cancelled else status)
    token = _card(session, town, order).token
    if status == S.cancelled:
        orders.cancel(session, actor=town.manager, order_id=order.id, reason="不需要了",
                      now=T0 + 4 * HOUR)
    late = T0 + 30 * DAY   # far past every limit (an unrated completion is late for 评单)
    assert not progress_links.view(session, token=token, now=late).may_urge
    with pytest.raises(Invalid) as err:
        progress_links.urge(session, token=token, order_id=order.id, now=late)
    assert err.value.key == "error.progress_not_late"
    assert count(session, ResidentUrge) == 0


RACERS = 2


def test_two_presses_at_once_give_one_urge(db_url):
    with db.write_session(db_url) as s:
        town = build_town(s)
        order = order_in(s, town, S.submitted)
        token = progress_links.issue(s, actor=town.officer, order_id=order.id,
                                     now=T0 + MINUTE).token
    barrier = threading.Barrier(RACERS)
    won: list[int] = []
    refused: list[Exception] = []

    def press() -> None:
        try:
            with db.write_session(db_url) as s:
                barrier.wait(timeout=20)
                won.append(progress_links.urge(s, token=token, order_id=order.id, now=LATE).id)
        except Exception as err:  # anything but AlreadyUrged fails below, with its cause
            refused.append(err)

    run_together([threading.Thread(target=press) for _ in range(RACERS)], timeout=60)
    assert len(won) == 1 and len(refused) == 1, refused
    assert isinstance(refused[0], AlreadyUrged), refused
    with db.session(db_url) as s:
        assert len(_resident_urges(s, order.id)) == 1
        assert s.exec(select(ResidentUrge.event_id)).all() == won


# --- the rating ---------------------------------------------------------------------------------


def test_an_open_order_offers_no_rating_and_takes_none(session, town):
    order = order_in(session, town, S.accepted)
    token = _card(session, town, order).token
    assert not progress_links.view(session, token=token, now=T0 + 3 * HOUR).may_rate
    with pytest.raises(NotRatable):
        progress_links.rate(session, token=token, order_id=order.id, level=5, now=T0 + 3 * HOUR)
    assert count(session, Rating) == 0


def test_after_completion_the_resident_rates_once_through_the_progress_link(session, town):
    order = order_in(session, town, S.submitted)
    token = _card(session, town, order).token
    order = orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a,
                            now=T0 + HOUR)
    order_in_progress = orders.accept(session, actor=town.lead_a, order_id=order.id,
                                      now=T0 + 2 * HOUR)
    from services import completions
    from tests.services.steps import good_completion

    completions.complete(session, actor=town.lead_a, order_id=order_in_progress.id,
                         done=good_completion(town), now=T0 + 3 * HOUR)
    view = progress_links.view(session, token=token, now=T0 + 4 * HOUR)
    assert view.may_rate and view.steps[3].at is not None
    progress_links.rate(session, token=token, order_id=order.id, level=2, comment="<b>慢</b>",
                        now=T0 + 4 * HOUR)
    rating = session.exec(select(Rating)).one()
    assert (rating.level, rating.comment, rating.channel, rating.by_user_id) == (
        2, "<b>慢</b>", RatingChannel.qr, None)
    assert session.get(WorkOrder, order.id).status == S.rated
    view = progress_links.view(session, token=token, now=T0 + 5 * HOUR)
    assert not view.may_rate and view.steps[-1].name == "rated" and view.steps[-1].at
    with pytest.raises(NotRatable):
        progress_links.rate(session, token=token, order_id=order.id, level=5, now=T0 + 5 * HOUR)
    with pytest.raises(DomainError):  # a call after it is refused too (one rating per order)
        ratings.rate(session, actor=town.officer, order_id=order.id, level=5,
                     now=T0 + 6 * HOUR)
    assert count(session, Rating) == 1


def test_a_rating_by_call_first_leaves_the_progress_page_without_a_form(session, town):
    order = order_in(session, town, S.completed)
    token = _card(session, town, order).token
    ratings.rate(session, actor=town.officer, order_id=order.id, level=4, now=T0 + 5 * HOUR)
    assert not progress_links.view(session, token=token, now=T0 + 6 * HOUR).may_rate
    with pytest.raises(NotRatable):
        progress_links.rate(session, token=token, order_id=order.id, level=1, now=T0 + 6 * HOUR)


@pytest.mark.parametrize("level", [0, 6, None, "5; DROP TABLE rating"])
def test_a_level_outside_1_to_5_is_refused(session, town, level):
    order = order_in(session, town, S.completed)
    token = _card(session, town, order).token
    with pytest.raises(Invalid):
        progress_links.rate(session, token=token, order_id=order.id, level=level,
                            now=T0 + 5 * HOUR)
    assert count(session, Rating) == 0


def test_a_walk_in_shows_only_the_steps_it_went_through():
    steps = progress_links.timeline([("walk_in", T0), ("urge", T0 + HOUR)], "Asia/Shanghai")
    assert [(s.name, s.at and s.at.hour) for s in steps] == [
        ("placed", 10), ("completed", 10), ("rated", None)]
