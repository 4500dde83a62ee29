"""AppTest: the resident's rating page (/?rate=<token>), the QR code on a completed order, and
the 回访 page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core import db
from models import FollowUp, Rating, RatingToken, WorkOrder
from services import rating_links, ratings
from tests.pages.conftest import (
    APP,
    _new_app,
    goto,
    open_app,
    run,
    select_code,
    sign_in,
    submit,
    table,
    values,
    zh,
)
from ui import rating_page


def _token(world, order_id=None) -> str:
    with db.write_session(world.url) as s:
        return rating_links.issue(s, actor=world.town.manager,
                                  order_id=order_id or world.orders.completed_a[0]).token


def _rating_page(token: str, actor=None):
    at = _new_app(APP)
    if actor is not None:
        sign_in(at, actor)
    at.query_params["rate"] = token
    return run(at)


def _ratings(world) -> list[tuple]:
    with db.session(world.url) as s:
        return s.exec(select(Rating.order_id, Rating.level, Rating.comment, Rating.channel)).all()


@pytest.fixture
def no_sleep(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(rating_page, "_sleep", waits.append)
    return waits


# --- the public rating page ---------------------------------------------------------------------


def test_a_rating_link_shows_the_order_five_choices_and_no_menu(world, no_sleep):
    at = _rating_page(_token(world))
    assert values(at.title) == [zh("rate.title")]
    assert {"已完成的宣讲", "宣讲支队"} <= set(values(at.text))
    assert [b.key for b in at.button] == [f"rate_level_{v}" for v in (5, 4, 3, 2, 1)] + \
        ["rate_submit"]
    assert [b.label.split()[0] for b in at.button][:5] == [zh(f"level.{v}")
                                                          for v in (5, 4, 3, 2, 1)]
    assert not at.sidebar.button and not at.sidebar.text and not at.warning  # no demo banner
    assert "login_username" not in [w.key for w in at.text_input]


def test_a_resident_rates_and_is_thanked(world, no_sleep):
    at = _rating_page(_token(world))
    at.button(key="rate_level_4").click()
    run(at)
    assert at.button(key="rate_level_4").proto.type == "primary"
    at.text_area(key="rate_comment").input("<b>很好</b> **谢谢** =1+1")
    at.button(key="rate_submit").click()
    run(at)
    assert values(at.success) == [zh("rate.thanks")]
    assert _ratings(world) == [(world.orders.completed_a[0], 4, "<b>很好</b> **谢谢** =1+1", "qr")]
    assert not at.button  # the form is gone


def test_submitting_without_a_choice_asks_for_one_and_writes_nothing(world, no_sleep):
    at = _rating_page(_token(world))
    at.button(key="rate_submit").click()
    run(at)
    assert values(at.warning) == [zh("rate.choose_first")]
    assert _ratings(world) == []


@pytest.mark.parametrize("kind", ["used", "unknown", "expired", "revoked"])
def test_used_unknown_expired_and_revoked_links_get_the_same_neutral_message(world, no_sleep,
                                                                            kind):
    token = _token(world)
    if kind == "used":
        with db.write_session(world.url) as s:
            rating_links.rate(s, token=token, order_id=world.orders.completed_a[0], level=5)
    elif kind == "unknown":
        token = token[:-4] + "AAAA"
    elif kind == "expired":
        with db.write_session(world.url) as s:
            row = s.exec(select(RatingToken)).one()
            row.expires_at = db.utcnow() - timedelta(seconds=1)
            s.add(row)
            s.commit()
    else:
        _token(world)
    at = _rating_page(token)
    assert [i.value for i in at.info] == [zh("error.rating_link")]
    assert not at.button and not at.text_area and not at.error


def test_a_signed_in_user_opening_a_link_sees_the_public_page_only(world, no_sleep):
    at = _rating_page(_token(world), actor=world.town.manager)
    assert values(at.title) == [zh("rate.title")]
    assert not at.sidebar.button


def test_more_than_a_few_bad_tokens_in_one_session_are_slowed_down(world, no_sleep):
    at = _rating_page("bad-token-1")
    for n in range(2, 7):
        at.query_params["rate"] = f"bad-token-{n}"
        run(at)
    assert no_sleep == [0.0, 0.0, 0.0, 1.0, 2.0, 4.0]
    assert [rating_page.delay_for(n) for n in (7, 8, 20)] == [8.0, 8.0, 8.0]


# --- the QR code on the order ---------------------------------------------------------------


def test_the_team_lead_shows_the_qr_code_and_gets_the_rating_card(world):
    order_id, code = world.orders.completed_a
    at = goto(open_app(world.town.lead_a), "my_orders.py")
    at.segmented_control(key="my_orders_tab").set_value("completed")
    run(at)
    select_code(at, "my_orders_table_completed", code)
    at.button(key=f"rating_link_{order_id}_make").click()
    run(at)
    issued = at.session_state[f"rating_link_{order_id}"]
    with db.session(world.url) as s:
        row = s.exec(select(RatingToken)).one()
    assert row.token_hash == rating_links.token_hash(issued["token"])
    assert len(at.image) == 1, "the QR code image"
    link = [c.value for c in at.code if "?rate=" in c.value]
    assert link == [f"http://localhost:8501/?rate={issued['token']}"]
    assert values(at.warning)[-1].startswith("「设置 → 评单码」中尚未填写对外访问地址")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [zh("rating_link.card_download"), zh("rating_link.qr_download")]
    # Another run shows the same code; it is not made again.
    run(at)
    with db.session(world.url) as s:
        assert len(s.exec(select(RatingToken)).all()) == 1


def test_a_new_code_replaces_a_live_one_only_after_the_tick(world):
    order_id, code = world.orders.completed_a
    _token(world)
    at = goto(open_app(world.town.manager), "orders.py")
    select_code(at, "orders_table", code)
    assert zh("rating_link.live", until="")[:10] in values(at.info)[-1]
    at.button(key=f"rating_link_{order_id}_make").click()
    run(at)
    assert values(at.warning)[-1] == zh("common.confirm_first")
    at.checkbox(key=f"rating_link_{order_id}_sure").check()
    at.button(key=f"rating_link_{order_id}_make").click()
    run(at)
    with db.session(world.url) as s:
        live = s.exec(select(RatingToken).where(RatingToken.expires_at > db.utcnow())).all()
    assert len(live) == 1
    assert live[0].token_hash == rating_links.token_hash(
        at.session_state[f"rating_link_{order_id}"]["token"])


def test_officers_see_no_qr_code(world):
    order_id, code = world.orders.completed_a
    at = goto(open_app(world.town.officer), "orders.py")
    select_code(at, "orders_table", code)
    assert f"rating_link_{order_id}_make" not in [b.key for b in at.button]


# --- 回访 -----------------------------------------------------------------------------------


def _poorly_rated(world):
    order_id, code = world.orders.completed_a
    with db.write_session(world.url) as s:
        ratings.rate(s, actor=world.town.officer, order_id=order_id, level=1, comment="没人来")
    return order_id, code


def test_the_officer_records_a_follow_up_and_it_moves_to_done(world):
    order_id, code = _poorly_rated(world)
    at = goto(open_app(world.town.officer), "follow_ups.py")
    assert values(at.title) == [zh("follow_ups.title")]
    assert list(table(at, "follow_ups_table_due")["code"]) == [code]
    select_code(at, "follow_ups_table_due", code)
    assert "没人来" in values(at.text)
    at.text_area(key="follow_up_outcome").input("已致电道歉，队伍下周补上服务")
    submit(at, zh("follow_ups.save"))
    assert values(at.success) == [zh("follow_ups.saved", code=code)]
    with db.session(world.url) as s:
        f = s.exec(select(FollowUp)).one()
    assert (f.outcome, f.done_by_id) == ("已致电道歉，队伍下周补上服务", world.town.officer.id)
    at.segmented_control(key="follow_ups_state").set_value("done")
    run(at)
    assert list(table(at, "follow_ups_table_done")["outcome"]) == ["已致电道歉，队伍下周补上服务"]


def test_a_follow_up_without_an_outcome_is_refused_and_stays_open(world):
    _order_id, code = _poorly_rated(world)
    at = goto(open_app(world.town.manager), "follow_ups.py")
    select_code(at, "follow_ups_table_due", code)
    submit(at, zh("follow_ups.save"))
    assert len(at.error) == 1 and at.error[0].value.startswith("请填写")
    with db.session(world.url) as s:
        assert s.exec(select(FollowUp.done_at)).one() is None


def test_an_unrated_order_left_for_a_week_is_a_call_to_make(world):
    order_id, code = world.orders.completed_a
    with db.write_session(world.url) as s:
        order = s.get(WorkOrder, order_id)
        order.completed_at = db.utcnow() - timedelta(days=8)
        s.add(order)
        s.commit()
    at = goto(open_app(world.town.officer), "follow_ups.py")
    select_code(at, "follow_ups_table_due", code)
    at.radio(key="follow_up_level").set_value(4)
    at.text_area(key="follow_up_outcome").input("居民说讲得好")
    submit(at, zh("follow_ups.save"))
    assert _ratings(world) == [(order_id, 4, "", "call")]
    assert [m.label for m in at.metric][:2] == [zh("follow_ups.rate"),
                                                zh("follow_ups.on_time_rate")]


def test_the_satisfaction_page_shows_the_rates_and_the_trend(world):
    _poorly_rated(world)
    at = goto(open_app(world.town.leader), "satisfaction.py")
    tiles = {m.label: m.value for m in at.metric}
    assert tiles[zh("overview.good_rate")] == "0.0%"
    assert tiles[zh("satisfaction.ratings")] == "1"
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    comments = [d.value for d in at.dataframe if "comment" in d.value.columns]
    assert list(comments[-1]["comment"]) == ["没人来"]
