"""AppTest: the 服务卡 made with 点单 (and from an order's detail), the resident's public progress
page (/?progress=<token>) — its timeline, its one neutral message, the 催单 and the rating — and
the resident's urge on the holder's screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core import db
from models import OrderEvent, ProgressToken, Rating, WorkOrder
from services import orders, progress_links
from tests import factories
from tests.pages.conftest import (
    APP,
    _new_app,
    goto,
    open_app,
    run,
    select_code,
    sign_in,
    submit,
    values,
    zh,
)
from ui import rating_page


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(rating_page, "_sleep", waits.append)
    return waits


def _card(world, order_id: int) -> str:
    with db.write_session(world.url) as s:
        return progress_links.issue(s, actor=world.town.officer, order_id=order_id).token


def _late_order(world) -> tuple[int, str]:
    """An order of team A dispatched three days ago and never accepted: late (接单)."""
    past = db.utcnow() - timedelta(days=3)
    with db.write_session(world.url) as s:
        order = factories.place(s, world.town, title="迟迟未接的宣讲", requester_name="李奶奶",
                                requester_phone="13900001111", now=past)
        orders.dispatch(s, actor=world.town.manager, order_id=order.id,
                        team_id=world.town.team_a, now=past + timedelta(hours=1))
    return order.id, order.code


def _progress_page(token: str, actor=None):
    at = _new_app(APP)
    if actor is not None:
        sign_in(at, actor)
    at.query_params["progress"] = token
    return run(at)


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


# --- the 服务卡 ---------------------------------------------------------------------------------


def _fill_order(at, world, title: str):
    at.selectbox(key="place_cat").set_value(world.town.category)
    run(at)
    at.selectbox(key="place_site").set_value(world.town.village_a)
    at.text_input(key="place_title").input(title)
    at.selectbox(key="place_source").set_value("phone")


def test_placing_an_order_with_the_box_ticked_makes_its_service_card(world):
    at = goto(open_app(world.town.officer), "orders.py")
    assert at.checkbox(key="place_card").value is False   # off unless asked for
    _fill_order(at, world, "帮李奶奶修水管")
    at.checkbox(key="place_card").check()
    submit(at, zh("orders.place"))
    with db.session(world.url) as s:
        order = s.exec(select(WorkOrder).where(WorkOrder.title == "帮李奶奶修水管")).one()
        row = s.exec(select(ProgressToken)).one()
    kept = at.session_state["progress_card_new"]
    assert row.order_id == order.id == kept["order_id"]
    assert row.token_hash == progress_links.rating_links.token_hash(kept["token"])
    assert values(at.success) == [zh("orders.placed", code=order.code)]
    assert zh("progress.card.for_order", code=order.code) in values(at.subheader)
    assert len(at.image) == 1, "the QR code"
    assert [c.value for c in at.code if "?progress=" in c.value] == [
        f"http://localhost:8501/?progress={kept['token']}"]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [zh("progress.card.download"), zh("progress.card.qr_download")]
    assert at.checkbox(key=[c.key for c in at.checkbox if c.key.endswith("_card")][0]).value \
        is False  # the next order's form starts unticked
    at.button(key="progress_card_new_hide").click()
    run(at)
    assert not at.image and "progress_card_new" not in at.session_state


def test_without_the_tick_no_card_is_made(world):
    at = goto(open_app(world.town.officer), "orders.py")
    _fill_order(at, world, "不要服务卡的工单")
    submit(at, zh("orders.place"))
    with db.session(world.url) as s:
        assert s.exec(select(ProgressToken)).all() == []
    assert not at.image


def test_a_card_is_made_again_from_the_orders_detail_after_a_tick(world):
    order_id, code = world.orders.submitted
    _card(world, order_id)
    at = goto(open_app(world.town.manager), "orders.py")
    select_code(at, "orders_table", code)
    key = f"progress_card_{order_id}"
    at.button(key=f"{key}_make").click()
    run(at)
    assert values(at.warning)[-1] == zh("common.confirm_first")
    at.checkbox(key=f"{key}_sure").check()
    at.button(key=f"{key}_make").click()
    run(at)
    with db.session(world.url) as s:
        live = s.exec(select(ProgressToken).where(ProgressToken.expires_at > db.utcnow())).all()
    assert len(live) == 1
    assert live[0].token_hash == progress_links.rating_links.token_hash(
        at.session_state[key]["token"])


# --- the public page ----------------------------------------------------------------------------


def test_the_progress_page_shows_the_timeline_and_nothing_personal(world):
    order_id, code = _late_order(world)
    at = _progress_page(_card(world, order_id))
    assert values(at.title) == [zh("progress.title")]
    assert "迟迟未接的宣讲" in values(at.text)
    shown = _markdown(at)
    for step in ("placed", "dispatched", "accepted", "completed", "rated"):
        assert zh(f"progress.step.{step}") in shown
    assert shown.count(":material/check_circle:") == 2   # 点单 and 派单 reached
    assert zh("progress.pending") in shown
    everything = repr(at._tree)
    for secret in ("李奶奶", "13900001111", "MGR", "OFF", "LEAD_A", "宣讲支队"):
        assert secret not in everything, secret
    assert not at.sidebar.button and "login_username" not in [w.key for w in at.text_input]
    assert at.button(key="progress_urge")   # late: the 催单 is offered


@pytest.mark.parametrize("kind", ["unknown", "expired", "revoked", "malformed", "rating_token"])
def test_every_bad_link_gets_one_neutral_message_and_nothing_else(world, kind):
    order_id = world.orders.submitted[0]
    token = _card(world, order_id)
    if kind == "unknown":
        token = token[:-4] + "AAAA"
    elif kind == "expired":
        with db.write_session(world.url) as s:
            row = s.exec(select(ProgressToken)).one()
            row.expires_at = db.utcnow() - timedelta(seconds=1)
            s.add(row)
            s.commit()
    elif kind == "revoked":
        _card(world, order_id)
    elif kind == "malformed":
        token = "<script>alert(1)</script>"
    else:  # a rating link's token is no progress link
        with db.write_session(world.url) as s:
            token = progress_links.rating_links.issue(
                s, actor=world.town.manager, order_id=world.orders.completed_a[0]).token
    at = _progress_page(token)
    assert [i.value for i in at.info] == [zh("error.progress_link")]
    assert not at.button and not at.text and not at.markdown and not at.error


def test_the_resident_urges_once_and_the_holder_sees_it(world):
    order_id, code = _late_order(world)
    token = _card(world, order_id)
    at = _progress_page(token)
    at.button(key="progress_urge").click()
    run(at)
    assert values(at.success) == [zh("progress.urged")]
    assert zh("progress.urged_today") in [i.value for i in at.info]
    assert not at.button
    again = _progress_page(token)          # the same card, another phone, the same day
    assert not again.button and zh("progress.urged_today") in [i.value for i in again.info]
    with db.session(world.url) as s:
        urges = s.exec(select(OrderEvent).where(OrderEvent.order_id == order_id,
                                                OrderEvent.action == "urge")).all()
    assert [(e.actor_id, e.detail["by"]) for e in urges] == [(None, "resident")]
    lead = goto(open_app(world.town.lead_a), "my_orders.py")
    select_code(lead, "my_orders_table_dispatched", code)
    assert any(w.startswith("群众已催单 1 次") for w in values(lead.warning)), values(lead.warning)


def test_a_press_after_another_phone_urged_is_told_in_words_and_writes_nothing(world):
    order_id, _ = _late_order(world)
    token = _card(world, order_id)
    at = _progress_page(token)                  # the button is drawn ...
    with db.write_session(world.url) as s:      # ... and another phone urges first
        progress_links.urge(s, token=token, order_id=order_id)
    at.button(key="progress_urge").click()
    run(at)
    # The run reads the order again first, so it says so before any write is tried (a press
    # that slips between the read and the write gets error.progress_urged_today: the service
    # test of two presses at once).
    assert zh("progress.urged_today") in [i.value for i in at.info]
    assert not at.success and not at.button
    with db.session(world.url) as s:
        assert len(s.exec(select(OrderEvent).where(OrderEvent.action == "urge")).all()) == 1


def test_an_order_not_late_offers_no_urge_and_no_rating(world):
    at = _progress_page(_card(world, world.orders.accepted_a[0]))
    assert not at.button and not at.text_area and not at.warning


def test_after_completion_the_resident_rates_on_the_same_page(world):
    order_id = world.orders.completed_a[0]
    token = _card(world, order_id)
    at = _progress_page(token)
    assert values(at.subheader) == [zh("progress.rate_heading")]
    at.button(key="rate_submit").click()
    run(at)
    assert values(at.warning) == [zh("rate.choose_first")]
    at.button(key="rate_level_5").click()
    run(at)
    at.text_area(key="rate_comment").input("**很好** =1+1")
    at.button(key="rate_submit").click()
    run(at)
    assert values(at.success)[0] == zh("rate.thanks")
    assert zh("progress.rated") in values(at.success)
    assert not at.button and not at.text_area
    with db.session(world.url) as s:
        assert s.exec(select(Rating.order_id, Rating.level, Rating.comment)).all() == [
            (order_id, 5, "**很好** =1+1")]
    shown = _markdown(_progress_page(token))
    assert shown.count(":material/check_circle:") == 5   # every step, 评单 included


def test_a_signed_in_user_opening_a_progress_link_sees_the_public_page_only(world):
    at = _progress_page(_card(world, world.orders.submitted[0]), actor=world.town.manager)
    assert values(at.title) == [zh("progress.title")]
    assert not at.sidebar.button and not at.sidebar.text
