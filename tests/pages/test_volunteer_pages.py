"""志愿者, 积分超市 and 志愿服务记录证明 through their widgets: the record of a picked volunteer, an
adjustment, the new-stars list, re-engagement with 不再活跃, the expert search and skills list,
the roster import, the points store's counter, goods and cancellation, and certificates issued,
printed and revoked; suggestions on an order; a lead's masked phones."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from core import db
from models import Certificate, PointsEntry, Redemption, Reward, Skill, Volunteer
from services import points, settings, store
from services.clock import local_today
from tests.pages.conftest import goto, open_app, run, select_row, submit, table, values, zh

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _frame(at, *columns):
    """The table showing these columns (a table without selection carries no key)."""
    frames = [f.value for f in at.dataframe if set(columns) <= set(f.value.columns)]
    assert len(frames) == 1, [list(f.value.columns) for f in at.dataframe]
    return frames[0]


def _page(world, who, page, view=None, key="vol_view"):
    at = goto(open_app(getattr(world.town, who)), page)
    if view:
        at.segmented_control(key=key).set_value(view)
        run(at)
    return at


def _record(world):
    at = _page(world, "manager", "volunteers.py")
    names = list(table(at, "vol_table")["name"])
    return select_row(at, "vol_table", names.index("志愿者0"))


def test_the_list_opens_a_volunteers_record_with_hours_star_and_points(world):
    at = _record(world)
    assert [s.value for s in at.subheader][0] == zh("record.heading", name="志愿者0")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[zh("volunteers.col.hours")] == "2"      # the town's completed order
    assert metrics[zh("record.points_available")] == "20"
    assert zh("record.to_next", hours="98", stars=1, need=100) in [c.value for c in at.caption]
    service = _frame(at, "served_on", "corrected")
    assert list(service["code"]) == [world.orders.completed_a[1]]
    assert list(_frame(at, "balance", "reason")["points"]) == [20]


def test_a_manager_adjusts_points_with_a_reason(world):
    at = _record(world)
    vid = world.town.volunteers_a[0]
    submit(at, zh("record.adjust"))
    assert values(at.error) == [zh("error.number", field=zh("field.points_change"))]
    at.number_input(key=f"adjust_points_{vid}_0").set_value(-5)
    at.text_input(key=f"adjust_reason_{vid}_0").input("重复计分")
    submit(at, zh("record.adjust"))
    assert values(at.success) == [zh("record.adjusted")]
    with db.session(world.url) as s:
        assert points.balances(s, [vid]) == {vid: 15}
        assert s.exec(select(PointsEntry.note).where(PointsEntry.points == -5)).one() == "重复计分"


def test_new_stars_and_an_empty_period_say_so(world):
    with db.write_session(world.url) as s:
        settings.update(s, actor=world.town.manager, values={"star_1_hours": 1})
    at = _page(world, "manager", "volunteers.py", "stars")
    rows = _frame(at, "stars_after")
    assert set(rows["name"]) == {"志愿者0", "志愿者1"}
    assert set(rows["stars_after"]) == {"★"}


def test_an_idle_volunteer_is_marked_no_longer_active_after_the_confirmation(world):
    with db.write_session(world.url) as s:
        settings.update(s, actor=world.town.manager, values={"reengage_months": 1})
    at = _page(world, "manager", "volunteers.py", "reengage")
    rows = table(at, "idle_table")
    assert "志愿者2" in set(rows["name"]) and list(rows["phone"])[0].startswith("138")
    at = select_row(at, "idle_table", list(rows["name"]).index("志愿者2"))
    vid = world.town.volunteers_a[2]
    at.text_input(key=f"retire_{vid}_reason").input("外出务工")
    submit(at, zh("reengage.retire"))
    assert values(at.warning) == [zh("common.confirm_first")]
    at.checkbox(key=f"retire_{vid}_sure").check()
    submit(at, zh("reengage.retire"))
    with db.session(world.url) as s:
        vol = s.get(Volunteer, vid)
        assert (vol.active, vol.inactive_reason) == (False, "外出务工")


def test_the_expert_pool_searches_by_skill_and_the_list_takes_a_new_skill(world):
    at = _page(world, "manager", "volunteers.py", "experts")
    assert len(_frame(at, "last_served", "skills")) == 3
    at.text_input(key="skill_name_None_0").input("书法")
    submit(at, zh("common.save"))
    with db.session(world.url) as s:
        assert s.exec(select(Skill).where(Skill.name == "书法")).one().active


def test_a_roster_is_previewed_and_imported_after_the_confirmation(world):
    from tests.services.test_roster_import import xlsx

    at = _page(world, "manager", "volunteers.py", "import")
    at.file_uploader(key="roster_upload_0").set_value(("名册.xlsx", xlsx([
        ["李梅", "13900000001", "女", "东村", "宣讲支队", "是", "医疗", "2026-01-05"],
        ["志愿者0", "13800000000", "女", "东村", "宣讲支队", "否", "", "2025-01-01"]]), XLSX))
    run(at)
    assert {m.label: m.value for m in at.metric}[zh("roster.existing")] == "1"
    submit(at, zh("roster.import"))
    assert values(at.warning)[-1] == zh("common.confirm_first")
    at.checkbox(key="roster_sure_0").check()
    submit(at, zh("roster.import"))
    assert values(at.success) == [zh("roster.imported", added=1, updated=0, skipped=1)]


def test_a_bad_roster_names_the_cell_and_offers_no_import(world):
    from tests.services.test_roster_import import xlsx

    at = _page(world, "manager", "volunteers.py", "import")
    at.file_uploader(key="roster_upload_0").set_value(("名册.xlsx", xlsx([
        ["李梅", "139", "女", "东村", "", "否", "", "2026-01-05"]]), XLSX))
    run(at)
    assert values(at.error) == [zh("roster.refused", count=1)]
    assert zh("roster.import") not in [b.label for b in at.get("form_submit_button")]


def _stocked(world, cost=10, stock=1):
    with db.write_session(world.url) as s:
        reward = store.save_reward(s, actor=world.town.manager, name="雨伞", cost=cost,
                                   stock=stock, site_id=world.town.station)
        return reward.id


def test_the_counter_redeems_for_a_volunteer_after_the_confirmation(world):
    reward_id = _stocked(world)
    at = _page(world, "manager", "points_store.py")
    at.text_input(key="counter_0_find").input("志愿者0")
    run(at)
    at.selectbox(key="counter_0_vid").select(world.town.volunteers_a[0])
    run(at)
    at.selectbox(key="redeem_reward_0").select(reward_id)
    at.checkbox(key="redeem_sure_0").check()
    submit(at, zh("points_store.redeem"))
    assert values(at.success) == [zh("points_store.redeemed", name="雨伞", points=10)]
    with db.session(world.url) as s:
        assert s.get(Reward, reward_id).stock == 0


def test_goods_are_added_and_a_redemption_cancelled_from_the_list(world):
    at = _page(world, "manager", "points_store.py", "goods", key="store_view")
    at.text_input(key="goods_new_0_name").input("毛巾")
    at.number_input(key="goods_new_0_cost").set_value(15)
    at.number_input(key="goods_new_0_stock").set_value(4)
    at.selectbox(key="goods_new_0_site").select(world.town.station)
    submit(at, zh("common.save"))
    with db.write_session(world.url) as s:
        reward = s.exec(select(Reward).where(Reward.name == "毛巾")).one()
        red = store.redeem(s, actor=world.town.manager, volunteer_id=world.town.volunteers_a[0],
                           reward_id=reward.id)
    at = _page(world, "manager", "points_store.py", "history", key="store_view")
    at = select_row(at, "red_table", 0)
    at.text_input(key=f"cancel_red_{red.id}_reason").input("物品破损")
    at.checkbox(key=f"cancel_red_{red.id}_sure").check()
    submit(at, zh("points_store.cancel"))
    with db.session(world.url) as s:
        assert s.get(Redemption, red.id).cancel_reason == "物品破损"
        assert s.get(Reward, reward.id).stock == 4


def test_a_certificate_is_issued_printed_and_revoked(world):
    with db.write_session(world.url) as s:
        settings.update(s, actor=world.town.manager, values={
            "certificate_head": "王主任", "certificate_phone": "0797-1234567"})
    at = _page(world, "manager", "certificates.py")
    at.text_input(key="cert_0_find").input("志愿者0")
    run(at)
    at.selectbox(key="cert_0_vid").select(world.town.volunteers_a[0])
    run(at)
    # The town's orders were done today, local time: the period ends today in Shanghai (the
    # test once used the UTC date, and failed between 16:00 and 24:00 UTC).
    today = local_today(db.utcnow(), "Asia/Shanghai")
    at.date_input(key="cert_from_0").set_value(today - timedelta(days=30))
    at.date_input(key="cert_to_0").set_value(today)
    at.checkbox(key="cert_sure_0").check()
    submit(at, zh("certificates.issue"))
    assert values(at.success)[0].startswith(zh("certificates.issued", number="ZM-", hours="")[:8])
    at = select_row(at, "cert_table", 0)
    assert [b for b in at.get("download_button")
            if b.proto.label == zh("certificates.print")]
    with db.session(world.url) as s:
        cert_id = s.exec(select(Certificate.id)).one()
    at.text_input(key=f"revoke_{cert_id}_reason").input("信息有误")
    at.checkbox(key=f"revoke_{cert_id}_sure").check()
    submit(at, zh("certificates.revoke"))
    with db.session(world.url) as s:
        assert s.get(Certificate, cert_id).revoke_reason == "信息有误"


def test_a_certificate_for_a_period_without_service_is_refused_in_words(world):
    with db.write_session(world.url) as s:
        settings.update(s, actor=world.town.manager, values={
            "certificate_head": "王主任", "certificate_phone": "0797-1234567"})
    at = _page(world, "manager", "certificates.py")
    at.text_input(key="cert_0_find").input("志愿者2")
    run(at)
    at.selectbox(key="cert_0_vid").select(world.town.volunteers_a[2])
    run(at)
    day = db.utcnow().date() - timedelta(days=2)
    at.date_input(key="cert_from_0").set_value(day)
    at.date_input(key="cert_to_0").set_value(day)
    at.checkbox(key="cert_sure_0").check()
    submit(at, zh("certificates.issue"))
    assert values(at.error) == [zh("error.certificate_no_service", name="志愿者2",
                                   start=day.isoformat(), end=day.isoformat())]


def _fits_team_a(world):
    with db.write_session(world.url) as s:
        from services import volunteers

        skill = s.exec(select(Skill).where(Skill.name == "宣讲")).one()
        vol = s.get(Volunteer, world.town.volunteers_a[1])
        volunteers.update(s, actor=world.town.manager, volunteer_id=vol.id, name=vol.name,
                          phone=vol.phone, gender=vol.gender, site_id=vol.site_id,
                          party_member=False, skills="", team_ids=(world.town.team_a,),
                          active=True, skill_ids=(skill.id,))


def test_a_lead_sees_the_fitting_volunteers_named_on_the_completion_form(world):
    _fits_team_a(world)
    at = goto(open_app(world.town.lead_a), "my_orders.py")
    at.segmented_control(key="my_orders_tab").set_value("accepted")
    run(at)
    from tests.pages.conftest import select_code

    at = select_code(at, "my_orders_table_accepted", world.orders.accepted_a[1])
    assert not [f for f in at.dataframe if "in_team" in f.value.columns]   # named in the form
    assert zh("experts.suggest_line", names="志愿者1（宣讲）") in [c.value for c in at.caption]


def test_an_officer_sees_fitting_volunteers_on_the_order_with_masked_phones(world):
    _fits_team_a(world)
    at = goto(open_app(world.town.officer), "orders.py")
    from tests.pages.conftest import select_code

    at = select_code(at, "orders_table", world.orders.accepted_a[1])
    assert list(_frame(at, "in_team", "phone")["phone"]) == ["138****0001"]
