"""中心制单 driven through its widgets: the manager makes a campaign for two 站 (one with its
team) and the form is empty again, bad input is worded above the form and writes nothing, 下发
asks for a tick and then makes the orders, and a leader reads the progress without a form."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from core import db
from models import Campaign, CampaignTarget, OrderSource, OrderStatus, WorkOrder
from services import campaigns
from services.campaigns import TargetInput
from services.clock import local_today
from tests.pages.conftest import goto, open_app, run, select_row, submit, table, values, zh

NEW = "camp_new"


def _today():
    return local_today(db.utcnow(), "Asia/Shanghai")


def _page(world, who):
    return goto(open_app(getattr(world.town, who)), "campaigns.py")


def _new_view(at):
    at.segmented_control(key="camp_view").set_value("new")
    return run(at)


def _click(at, label):
    [button] = [b for b in at.button if b.label == label]
    button.click()
    return run(at)


def _campaign(world, title="重阳敬老"):
    day = _today() + timedelta(days=3)
    with db.write_session(world.url) as s:
        return campaigns.create(s, actor=world.town.manager, title=title,
                                category_id=world.town.category, starts_on=day, ends_on=day,
                                targets=[TargetInput(site_id=world.town.village_a,
                                                     team_id=world.town.team_a,
                                                     expected_beneficiaries=40),
                                         TargetInput(site_id=world.town.village_b,
                                                     expected_beneficiaries=25)]).id


def _campaign_orders(world):
    with db.session(world.url) as s:
        return list(s.exec(select(WorkOrder).where(WorkOrder.source == OrderSource.campaign)
                           .order_by(WorkOrder.id)))


def test_the_manager_makes_a_campaign_for_two_zhan_and_the_form_is_empty_again(world):
    town = world.town
    at = _page(world, "manager")
    assert values(at.info) == [zh("campaigns.none_manager")]
    at = _new_view(at)
    at.text_input(key=f"{NEW}_title").input("学雷锋日志愿服务")
    at.selectbox(key=f"{NEW}_cat").set_value(town.category)
    at.date_input(key=f"{NEW}_start").set_value(_today() + timedelta(days=2))
    at.multiselect(key=f"{NEW}_sites").select(town.village_a).select(town.village_b)
    run(at)
    at.selectbox(key=f"{NEW}_team_{town.village_a}").set_value(town.team_a)
    at.number_input(key=f"{NEW}_exp_{town.village_a}").set_value(30)
    at.number_input(key=f"{NEW}_exp_{town.village_b}").set_value(20)
    at = _click(at, zh("campaigns.save"))
    assert values(at.success) == [zh("campaigns.saved", title="学雷锋日志愿服务", count=2)]
    with db.session(world.url) as s:
        [c] = s.exec(select(Campaign)).all()
        targets = s.exec(select(CampaignTarget.site_id, CampaignTarget.team_id,
                                CampaignTarget.expected_beneficiaries)
                         .order_by(CampaignTarget.id)).all()
    assert (c.title, c.starts_on, c.ends_on) == ("学雷锋日志愿服务", _today() + timedelta(days=2),
                                                 _today() + timedelta(days=2))
    assert targets == [(town.village_a, town.team_a, 30), (town.village_b, None, 20)]
    # back on the list, which shows it; the form starts empty under new keys
    assert list(table(at, "camp_table")["title"]) == ["学雷锋日志愿服务"]
    at = _new_view(at)
    key = next(w.key for w in at.text_input if w.key.endswith("_title"))
    assert key != f"{NEW}_title" and at.text_input(key=key).value == ""
    assert next(w for w in at.multiselect if w.key.endswith("_sites")).value == []


def test_bad_input_is_worded_above_the_form_all_at_once_and_nothing_is_written(world):
    at = _new_view(_page(world, "manager"))
    at.text_input(key=f"{NEW}_title").input("重阳敬老")
    at = _click(at, zh("campaigns.save"))
    shown = values(at.error)
    assert len(shown) == 1
    for key, params in (("error.category_required", {}),
                        ("error.choose", {"field": zh("campaigns.field.starts_on")}),
                        ("error.campaign.no_targets", {})):
        assert zh(key, **params) in shown[0]
    with db.session(world.url) as s:
        assert s.exec(select(Campaign)).all() == []
    assert at.text_input(key=f"{NEW}_title").value == "重阳敬老"  # nothing lost


def test_issuing_asks_for_a_tick_then_makes_one_order_per_target(world):
    _campaign(world)
    at = select_row(_page(world, "manager"), "camp_table", 0)
    assert "重阳敬老" in [h.value for h in at.subheader]
    assert values(at.info) == [zh("campaigns.not_issued", count=2)]
    at = submit(at, zh("campaigns.issue"))
    assert zh("common.confirm_first") in values(at.warning)
    assert _campaign_orders(world) == []
    next(c for c in at.checkbox if c.key.startswith("camp_issue_sure_")).check()
    at = submit(at, zh("campaigns.issue"))
    assert values(at.success) == [zh("campaigns.issued", title="重阳敬老", count=2)]
    made = _campaign_orders(world)
    assert [(o.status, o.team_id) for o in made] == [
        (OrderStatus.dispatched, world.town.team_a), (OrderStatus.submitted, None)]
    at = select_row(at, "camp_table", 0)
    frame = next(f.value for f in at.dataframe if "expected" in f.value.columns)
    assert list(frame["code"]) == [o.code for o in made]
    assert list(frame["status"]) == [zh("status.dispatched"), zh("status.submitted")]
    assert [b.label for b in at.get("form_submit_button")] == []  # issued: no second 下发


def test_a_leader_reads_the_progress_without_any_form(world):
    cid = _campaign(world)
    with db.write_session(world.url) as s:
        campaigns.issue(s, actor=world.town.manager, campaign_id=cid)
    at = _page(world, "leader")
    assert [w.key for w in at.get("segmented_control") if w.key == "camp_view"] == []
    at = select_row(at, "camp_table", 0)
    assert [b.label for b in at.get("form_submit_button")] == []
    assert [b.label for b in at.button if b.label == zh("campaigns.save")] == []
    labels = [m.label for m in at.metric]
    assert zh("campaigns.total_done") in labels and zh("campaigns.total_good_rate") in labels
    frame = next(f.value for f in at.dataframe if "expected" in f.value.columns)
    assert list(frame["site"]) == ["东村", "西村"]


def test_a_leader_with_no_campaign_is_told_what_happens_next(world):
    at = _page(world, "leader")
    assert values(at.info) == [zh("campaigns.none")]


def test_the_order_form_does_not_offer_the_campaign_source(world):
    at = goto(open_app(world.town.manager), "orders.py")
    options = at.selectbox(key="place_source").options
    assert zh("source.phone") in options and zh("source.campaign") not in options


def test_the_manager_deletes_a_draft_after_ticking_the_confirmation(world):
    _campaign(world)
    at = select_row(_page(world, "manager"), "camp_table", 0)
    at = submit(at, zh("campaigns.discard"))
    assert zh("common.confirm_first") in values(at.warning)
    next(c for c in at.checkbox if c.key.startswith("camp_discard_sure_")).check()
    at = submit(at, zh("campaigns.discard"))
    assert values(at.success) == [zh("campaigns.discarded", title="重阳敬老")]
    with db.session(world.url) as s:
        assert s.exec(select(Campaign)).all() == []
    assert values(at.info) == [zh("campaigns.none_manager")]
