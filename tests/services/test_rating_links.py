"""评单 by QR code: one-time links, and the ways people will try to misuse them."""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from core import db
from models import FollowUp, OrderEvent, Rating, RatingChannel, RatingToken, WorkOrder
from services import rating_links, ratings, settings
from services.errors import Forbidden, Invalid, OrderNotInState
from services.rating_links import LinkNotValid
from tests.factories import build_town
from tests.services.steps import T0, S, count, order_in, run_together

LATER = T0 + timedelta(days=1)  # the order of `order_in` is completed at T0 + 3 h


def _completed(session, town, **overrides):
    return order_in(session, town, S.completed, **overrides)


def _issue(session, town, order, now=LATER, actor=None):
    return rating_links.issue(session, actor=actor or town.lead_a, order_id=order.id, now=now)


def _rating_rows(session) -> int:
    return count(session, Rating)


# --- issuing ------------------------------------------------------------------------------------


def test_a_link_is_a_fresh_43_character_token_of_which_only_the_hash_is_stored(session, town):
    order = _completed(session, town)
    issued = _issue(session, town, order)
    assert len(issued.token) == 43 and issued.order_id == order.id
    row = session.exec(select(RatingToken)).one()
    assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in (row.token_hash,)
    assert row.expires_at == LATER + timedelta(days=14) == issued.expires_at
    assert row.used_at is None
    assert rating_links.link("https://dd.example.cn/", issued.token) == \
        f"https://dd.example.cn/?rate={issued.token}"


def test_the_link_lifetime_is_the_setting(session, town):
    settings.update(session, actor=town.manager, values={"rating_link_days": 3})
    issued = _issue(session, town, _completed(session, town))
    assert issued.expires_at == LATER + timedelta(days=3)


def test_the_team_lead_and_the_manager_may_issue_a_link(session, town):
    order = _completed(session, town)
    _issue(session, town, order, actor=town.lead_a)
    _issue(session, town, order, actor=town.manager)
    assert count(session, RatingToken) == 2


@pytest.mark.parametrize("who", ["lead_b", "officer", "leader", "outsider"])
def test_nobody_else_may_issue_a_link(session, town, who):
    order = _completed(session, town)
    with pytest.raises(Forbidden):
        _issue(session, town, order, actor=getattr(town, who))
    session.rollback()
    assert count(session, RatingToken) == 0


@pytest.mark.parametrize("status", [S.submitted, S.dispatched, S.accepted, S.rated, S.cancelled])
def test_only_a_completed_unrated_order_gets_a_link(session, town, status):
    order = order_in(session, town, status)
    with pytest.raises(Invalid) as err:
        _issue(session, town, order, actor=town.manager)
    assert err.value.key == "error.rating_link_not_completed"
    assert count(session, RatingToken) == 0


def test_a_new_link_revokes_the_unused_earlier_one(session, town):
    order = _completed(session, town)
    first = _issue(session, town, order)
    second = _issue(session, town, order, now=LATER + timedelta(hours=1))
    now = LATER + timedelta(hours=2)
    assert rating_links.public_view(session, token=first.token, now=now) is None
    with pytest.raises(LinkNotValid):
        rating_links.rate(session, token=first.token, order_id=order.id, level=5, now=now)
    assert rating_links.public_view(session, token=second.token, now=now).order_id == order.id
    assert rating_links.live_until(session, actor=town.manager, order_id=order.id,
                                   now=now) == second.expires_at


# --- the page a resident sees ---------------------------------------------------------------------


def test_a_valid_link_shows_title_team_and_day_but_no_personal_data(session, town):
    order = _completed(session, town, requester_name="张阿姨", requester_phone="13912345678")
    issued = _issue(session, town, order)
    view = rating_links.public_view(session, token=issued.token, now=LATER)
    assert (view.order_id, view.title, view.team, view.service_day) == (
        order.id, "理论宣讲进村", "宣讲支队", "2026-03-02")
    assert "张阿姨" not in repr(view) and "13912345678" not in repr(view)


# --- rating through the link ----------------------------------------------------------------------


def test_a_resident_rates_once_through_the_link(session, town):
    order = _completed(session, town)
    issued = _issue(session, town, order)
    rating_links.rate(session, token=issued.token, order_id=order.id, level=4, comment="很好",
                      now=LATER + timedelta(hours=1))
    rating = session.exec(select(Rating)).one()
    token = session.exec(select(RatingToken)).one()
    assert (rating.level, rating.comment, rating.channel, rating.by_user_id, rating.token_id) == (
        4, "很好", RatingChannel.qr, None, token.id)
    assert token.used_at == LATER + timedelta(hours=1)
    row = session.get(WorkOrder, order.id)
    assert row.status == S.rated and row.rated_at == LATER + timedelta(hours=1)
    event = session.exec(select(OrderEvent).order_by(OrderEvent.id.desc())).first()
    assert (event.action, event.actor_id, event.to_status) == ("rate", None, S.rated)


def test_a_used_link_rates_nothing_and_shows_nothing(session, town):
    order = _completed(session, town)
    issued = _issue(session, town, order)
    rating_links.rate(session, token=issued.token, order_id=order.id, level=5, now=LATER)
    with pytest.raises(LinkNotValid) as err:
        rating_links.rate(session, token=issued.token, order_id=order.id, level=1, now=LATER)
    assert err.value.key == "error.rating_link"
    assert rating_links.public_view(session, token=issued.token, now=LATER) is None
    assert session.exec(select(Rating.level)).all() == [5]


def test_an_expired_link_rates_nothing_and_shows_nothing(session, town):
    order = _completed(session, town)
    issued = _issue(session, town, order)
    just_before = issued.expires_at - timedelta(seconds=1)
    assert rating_links.public_view(session, token=issued.token, now=just_before) is not None
    with pytest.raises(LinkNotValid):
        rating_links.rate(session, token=issued.token, order_id=order.id, level=5,
                          now=issued.expires_at)
    assert rating_links.public_view(session, token=issued.token, now=issued.expires_at) is None
    assert _rating_rows(session) == 0
    assert session.get(WorkOrder, order.id).status == S.completed


@pytest.mark.parametrize("bad", ["", None, "x" * 10_000, "abc'; DROP TABLE rating;--",
                                 "../../etc/passwd", "<script>alert(1)</script>", "测试令牌"])
def test_unknown_and_malformed_tokens_get_the_same_neutral_answer(session, town, bad):
    order = _completed(session, town)
    _issue(session, town, order)
    assert rating_links.public_view(session, token=bad, now=LATER) is None
    with pytest.raises(LinkNotValid):
        rating_links.rate(session, token=bad, order_id=order.id, level=5, now=LATER)
    assert _rating_rows(session) == 0


def test_a_link_for_order_a_cannot_rate_order_b(session, town):
    a, b = _completed(session, town), _completed(session, town, title="健康讲座")
    token_a = _issue(session, town, a).token
    _issue(session, town, b)
    with pytest.raises(LinkNotValid):
        rating_links.rate(session, token=token_a, order_id=b.id, level=1, now=LATER)
    assert _rating_rows(session) == 0
    assert session.get(WorkOrder, b.id).status == S.completed
    # ... and the refused attempt did not use up A's link.
    rating_links.rate(session, token=token_a, order_id=a.id, level=5, now=LATER)
    assert session.exec(select(Rating.order_id)).all() == [a.id]


def test_100000_random_tokens_find_nothing(session, town):
    order = _completed(session, town)
    _issue(session, town, order)
    hashes = [rating_links.token_hash(secrets.token_urlsafe(32)) for _ in range(100_000)]
    found = 0
    for i in range(0, len(hashes), 10_000):  # the same indexed lookup the page makes, in bulk
        found += session.exec(select(func.count()).select_from(RatingToken)
                              .where(RatingToken.token_hash.in_(hashes[i:i + 10_000]))).one()
    assert found == 0
    # and a thousand of them through the page's own function
    assert all(rating_links.public_view(session, token=secrets.token_urlsafe(32), now=LATER)
               is None for _ in range(1000))
    assert _rating_rows(session) == 0


@pytest.mark.parametrize("level", [0, 6, -1, 2.5, "5; DROP", True, None])
def test_a_rating_outside_1_to_5_is_refused_and_keeps_the_link(session, town, level):
    order = _completed(session, town)
    issued = _issue(session, town, order)
    with pytest.raises(Invalid):
        rating_links.rate(session, token=issued.token, order_id=order.id, level=level, now=LATER)
    assert _rating_rows(session) == 0
    assert session.exec(select(RatingToken.used_at)).one() is None


@pytest.mark.parametrize("comment", [
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "**很好** [点我](http://evil.example) ![x](http://evil.example/a.png)",
    "=HYPERLINK(\"http://evil.example\",\"点我\")",
    "+1+1", "@SUM(A1)", "-2+3",
])
def test_a_comment_with_html_markdown_or_a_formula_is_stored_exactly_as_typed(session, town,
                                                                              comment):
    order = _completed(session, town)
    issued = _issue(session, town, order)
    rating_links.rate(session, token=issued.token, order_id=order.id, level=3, comment=comment,
                      now=LATER)
    assert session.exec(select(Rating.comment)).one() == comment


def test_a_comment_over_500_characters_is_refused(session, town):
    order = _completed(session, town)
    issued = _issue(session, town, order)
    with pytest.raises(Invalid) as err:
        rating_links.rate(session, token=issued.token, order_id=order.id, level=3,
                          comment="好" * 501, now=LATER)
    assert err.value.key == "error.too_long"
    assert _rating_rows(session) == 0


@pytest.mark.parametrize("first", ["call", "link"])
def test_whichever_rating_comes_first_stands(session, town, first):
    order = _completed(session, town)
    issued = _issue(session, town, order)

    def by_call():
        ratings.rate(session, actor=town.officer, order_id=order.id, level=5, now=LATER)

    def by_link():
        rating_links.rate(session, token=issued.token, order_id=order.id, level=2, now=LATER)

    winner, loser, refusal = ((by_call, by_link, LinkNotValid) if first == "call"
                              else (by_link, by_call, OrderNotInState))
    winner()
    with pytest.raises(refusal):
        loser()
    assert session.exec(select(Rating.level, Rating.channel)).all() == (
        [(5, RatingChannel.call)] if first == "call" else [(2, RatingChannel.qr)])
    assert rating_links.public_view(session, token=issued.token, now=LATER) is None


def test_a_poor_rating_through_the_link_opens_a_follow_up(session, town):
    order = _completed(session, town)
    issued = _issue(session, town, order)
    rating_links.rate(session, token=issued.token, order_id=order.id, level=1, comment="没人来",
                      now=LATER)
    follow_up = session.exec(select(FollowUp)).one()
    assert (follow_up.reason.value, follow_up.due_at, follow_up.done_at) == (
        "bad_rating", LATER + timedelta(days=15), None)


# --- twenty phones, one link ----------------------------------------------------------------------

RACERS = 20


def test_twenty_concurrent_submissions_with_one_link_give_exactly_one_rating(db_url):
    with db.write_session(db_url) as s:
        town = build_town(s)
        order = order_in(s, town, S.completed)
        issued = rating_links.issue(s, actor=town.lead_a, order_id=order.id)
    barrier = threading.Barrier(RACERS)
    won: list[int] = []
    refused: list[Exception] = []

    def submit(level: int) -> None:
        try:
            with db.write_session(db_url) as s:
                barrier.wait(timeout=20)
                rating_links.rate(s, token=issued.token, order_id=order.id, level=level)
            won.append(level)
        except Exception as err:  # anything but LinkNotValid fails below, with its cause
            refused.append(err)

    threads = [threading.Thread(target=submit, args=(1 + i % 5,)) for i in range(RACERS)]
    run_together(threads, timeout=60)
    assert len(won) == 1, refused
    assert len(refused) == RACERS - 1
    assert all(isinstance(e, LinkNotValid) for e in refused), refused
    with db.session(db_url) as s:
        assert s.exec(select(Rating.level)).all() == won
        assert s.get(WorkOrder, order.id).status == S.rated
        assert s.exec(select(func.count()).select_from(OrderEvent)
                      .where(OrderEvent.action == "rate")).one() == 1
