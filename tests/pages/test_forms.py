"""Forms that never surprise (issue 10): each form starts empty after a successful save, so the
next entry inherits nothing; no answer is preselected for the user; every refusal of a form is
listed at once, each naming its field, and the message goes once the mistake is fixed; the
confirmation of a save survives the rerun that follows it."""

from __future__ import annotations

from sqlmodel import select

from core import db
from models import OrderStatus, Rating, Role, ServiceItem, Team, User, Volunteer, WorkOrder
from tests.pages.conftest import goto, open_app, run, select_code, submit, values, zh


def fkey(at, base: str) -> str:
    """The key a form widget has now: ui.widgets.form_key adds the generation a save moves on."""
    state = at.session_state
    generation = state["table_generation"] if "table_generation" in state else 0
    return base if generation == 0 else f"{base}~{generation}"


def _page(world, who, page):
    return goto(open_app(getattr(world.town, who)), page)


def _user(world, username) -> User | None:
    with db.session(world.url) as s:
        return s.exec(select(User).where(User.username == username)).first()


def _problems(at) -> list[str]:
    """The lines of the one error message above the form, without its heading."""
    assert len(at.error) == 1, values(at.error)
    return [line.removeprefix("- ") for line in at.error[0].value.splitlines()[2:]]


# --- 账号: the issue's own case ------------------------------------------------------------------


def test_an_officer_added_after_a_team_lead_is_an_officer_with_no_team(world):
    at = _page(world, "manager", "users.py")
    at.text_input(key="user_name_new").input("dui")
    at.text_input(key="user_display_new").input("王队长")
    at.selectbox(key="user_role_new").set_value("team_lead")
    at.selectbox(key="user_team_new").set_value(world.town.team_a)
    submit(at, zh("common.save"))
    lead = _user(world, "dui")
    assert (lead.role, lead.team_id) == (Role.team_lead, world.town.team_a)
    assert zh("forms.user_created", username="dui") in values(at.success)

    # The form is empty again: nothing of the team lead is left in it.
    new = fkey(at, "new")
    assert new != "new"
    assert at.text_input(key=f"user_name_{new}").value == ""
    assert at.selectbox(key=f"user_role_{new}").value == "officer"
    assert at.selectbox(key=f"user_team_{new}").value is None

    at.text_input(key=f"user_name_{new}").input("shi")
    at.text_input(key=f"user_display_{new}").input("李实践员")
    submit(at, zh("common.save"))
    officer = _user(world, "shi")
    assert (officer.role, officer.team_id) == (Role.officer, None)


def test_pressing_save_again_after_a_save_creates_no_second_account(world):
    at = _page(world, "manager", "users.py")
    at.text_input(key="user_name_new").input("once")
    at.text_input(key="user_display_new").input("只建一次")
    submit(at, zh("common.save"))
    submit(at, zh("common.save"))  # the same button again, on the emptied form
    assert zh("error.username_format") in _problems(at)
    with db.session(world.url) as s:
        assert len(s.exec(select(User).where(User.display_name == "只建一次")).all()) == 1


def test_a_team_lead_account_without_a_team_lists_every_problem_by_its_field(world):
    at = _page(world, "manager", "users.py")
    at.text_input(key="user_name_new").input("X")
    at.selectbox(key="user_role_new").set_value("team_lead")
    submit(at, zh("common.save"))
    assert at.error[0].value.startswith(zh("error.problems", count=3))
    assert _problems(at) == [zh("error.username_format"), zh("error.display_name"),
                             zh("error.team_required")]
    # fixed and saved: the stale message is gone, the confirmation stays
    at.text_input(key="user_name_new").input("xlead")
    at.text_input(key="user_display_new").input("新队长")
    at.selectbox(key="user_team_new").set_value(world.town.team_b)
    submit(at, zh("common.save"))
    assert not at.error
    assert zh("forms.user_created", username="xlead") in values(at.success)


# --- 志愿者 / 志愿服务队 / 服务菜单 ---------------------------------------------------------------


def test_the_volunteer_form_is_empty_after_a_save_and_has_no_preselected_gender(world):
    at = _page(world, "manager", "volunteers.py")
    assert at.selectbox(key="vol_gender_new").value is None
    assert at.selectbox(key="vol_site_new").value is None
    at.text_input(key="vol_name_new").input("赵六")
    at.text_input(key="vol_phone_new").input("13912340000")
    at.selectbox(key="vol_gender_new").set_value("male")
    at.selectbox(key="vol_site_new").set_value(world.town.village_b)
    at.multiselect(key="vol_teams_new").select(world.town.team_a)
    submit(at, zh("common.save"))
    assert values(at.success) == [zh("forms.volunteer_saved", name="赵六")]
    new = fkey(at, "new")
    assert at.text_input(key=f"vol_name_{new}").value == ""
    assert at.text_input(key=f"vol_phone_{new}").value == ""
    assert at.multiselect(key=f"vol_teams_{new}").value == []
    submit(at, zh("common.save"))  # again, empty: refused, nothing written twice
    assert zh("error.choose", field=zh("field.gender")) in _problems(at)
    assert zh("error.site_required") in _problems(at)
    assert at.selectbox(key=f"vol_site_{new}").value is None
    with db.session(world.url) as s:
        assert len(s.exec(select(Volunteer).where(Volunteer.name == "赵六")).all()) == 1


def test_a_new_team_with_no_parent_defaults_to_a_corps_and_the_form_resets(world):
    at = _page(world, "manager", "teams.py")
    assert at.selectbox(key="team_tier_None_None").value == "corps"
    at.text_input(key="team_name_None").input("绿水总队")
    submit(at, zh("common.save"))
    with db.session(world.url) as s:
        team = s.exec(select(Team).where(Team.name == "绿水总队")).one()
    assert (team.tier, team.parent_id) == ("corps", None)
    assert values(at.success) == [zh("forms.team_saved", name="绿水总队")]
    k = fkey(at, "None")
    assert at.text_input(key=f"team_name_{k}").value == ""
    # under a 总队 the default is a 支队
    at.selectbox(key=f"team_parent_{k}").set_value(team.id)
    run(at)
    assert at.selectbox(key=f"team_tier_{k}_{team.id}").value == "detachment"


def test_the_menu_item_form_is_empty_after_a_save(world):
    at = _page(world, "manager", "menu.py")
    assert at.selectbox(key="menu_cat_None").value is None  # no category chosen for the user
    at.text_input(key="menu_title_None").input("防诈骗讲座")
    at.selectbox(key="menu_cat_None").set_value(world.town.category)
    submit(at, zh("common.save"))
    assert values(at.success) == [zh("forms.item_saved", title="防诈骗讲座")]
    k = fkey(at, "None")
    assert at.text_input(key=f"menu_title_{k}").value == ""
    assert at.selectbox(key=f"menu_cat_{k}").value is None
    with db.session(world.url) as s:
        assert len(s.exec(select(ServiceItem).where(ServiceItem.title == "防诈骗讲座")).all()) == 1


# --- 点单 ----------------------------------------------------------------------------------------


def test_the_order_form_answers_nothing_for_the_user_and_is_empty_after_placing(world):
    at = _page(world, "officer", "orders.py")
    assert at.selectbox(key="place_source").value is None
    assert zh("source.survey") not in at.selectbox(key="place_source").options
    assert at.selectbox(key="place_cat").value is None
    at.selectbox(key="place_cat").set_value(world.town.category)
    run(at)
    at.selectbox(key="place_site").set_value(world.town.village_a)
    at.text_input(key="place_title").input("老年人防跌倒讲座")
    at.selectbox(key="place_source").set_value("walk_in")
    at.number_input(key="place_expected").set_value(30)
    submit(at, zh("orders.place"))
    with db.session(world.url) as s:
        placed = s.exec(select(WorkOrder).where(WorkOrder.title == "老年人防跌倒讲座")).one()
    assert (placed.source.value, placed.expected_beneficiaries) == ("walk_in", 30)
    k = fkey(at, "place")
    assert at.text_input(key=f"{k}_title").value == ""
    assert at.selectbox(key=f"{k}_source").value is None
    assert at.number_input(key=f"{k}_expected").value == 0
    assert values(at.success) == [zh("orders.placed", code=placed.code)]


def test_negative_expected_beneficiaries_are_refused_in_words(world):
    at = _page(world, "officer", "orders.py")
    at.selectbox(key="place_cat").set_value(world.town.category)
    run(at)
    at.selectbox(key="place_site").set_value(world.town.village_a)
    at.text_input(key="place_title").input("负数的工单")
    at.selectbox(key="place_source").set_value("phone")
    at.number_input(key="place_expected").set_value(-5)
    submit(at, zh("orders.place"))
    assert values(at.error) == [zh("error.number_range", field=zh("field.expected_beneficiaries"),
                                   minimum=0, maximum=100000)]
    with db.session(world.url) as s:
        assert not s.exec(select(WorkOrder).where(WorkOrder.title == "负数的工单")).all()


# --- 评单 ----------------------------------------------------------------------------------------


def test_rating_starts_with_no_level_and_refuses_to_save_until_one_is_picked(world):
    order_id, code = world.orders.completed_a
    at = _page(world, "officer", "ratings.py")
    select_code(at, "ratings_table", code)
    assert at.radio(key=f"rate_{order_id}_level").value is None
    assert at.radio(key=f"rate_{order_id}_channel").value is None
    submit(at, zh("ratings.submit"))
    assert _problems(at) == [zh("error.choose", field=zh("field.level")),
                             zh("error.choose", field=zh("field.channel"))]
    with db.session(world.url) as s:
        assert s.get(WorkOrder, order_id).status == OrderStatus.completed
        assert not s.exec(select(Rating).where(Rating.order_id == order_id)).all()
    at.radio(key=f"rate_{order_id}_level").set_value(2)
    at.radio(key=f"rate_{order_id}_channel").set_value("in_person")
    submit(at, zh("ratings.submit"))
    assert not at.error
    assert values(at.success) == [zh("ratings.saved", code=code)]
    with db.session(world.url) as s:
        assert s.exec(select(Rating).where(Rating.order_id == order_id)).one().level == 2


# --- 完成 ----------------------------------------------------------------------------------------


def test_bad_numbers_on_the_done_form_are_all_named_and_go_once_fixed(world):
    at = _page(world, "lead_a", "my_orders.py")
    at.segmented_control(key="my_orders_tab").set_value("accepted")
    run(at)
    select_code(at, "my_orders_table_accepted", world.orders.accepted_a[1])
    at.session_state["complete_volunteers"] = {
        "edited_rows": {0: {"take_part": True, "hours": 25}, 1: {"take_part": True, "hours": 0}},
        "added_rows": [], "deleted_rows": []}
    at.number_input(key="complete_group_elderly").set_value(-5)
    submit(at, zh("my_orders.complete"))
    assert _problems(at) == [
        zh("error.number_range", field=zh("group.elderly"), minimum=0, maximum=100000),
        zh("error.hours_range", name="志愿者0", maximum=24.0),
        zh("error.hours_range", name="志愿者1", maximum=24.0)]
    order_id = world.orders.accepted_a[0]
    with db.session(world.url) as s:
        assert s.get(WorkOrder, order_id).status == OrderStatus.accepted

    at.session_state["complete_volunteers"] = {
        "edited_rows": {0: {"take_part": True, "hours": 3}, 1: {"take_part": True, "hours": 2}},
        "added_rows": [], "deleted_rows": []}
    at.number_input(key="complete_group_elderly").set_value(5)
    submit(at, zh("my_orders.complete"))
    assert not at.error
    with db.session(world.url) as s:
        assert s.get(WorkOrder, order_id).status == OrderStatus.completed


# --- 首次使用 ------------------------------------------------------------------------------------


def test_the_setup_form_names_every_missing_field_as_it_is_labelled(empty_url):
    at = open_app()
    at.text_input(key="setup_password").input("a good password")
    at.text_input(key="setup_again").input("a good password")
    submit(at, zh("setup.create"))
    assert _problems(at) == [zh("error.required", field=zh("setup.centre_name")),
                             zh("error.username_format"), zh("error.display_name")]


def test_the_first_managers_confirmation_is_still_there_on_the_login_screen(empty_url):
    at = open_app()
    for key, value in {"setup_centre": "青山镇新时代文明实践所", "setup_username": "zhang",
                       "setup_display": "张站长", "setup_password": "a good password",
                       "setup_again": "a good password"}.items():
        at.text_input(key=key).input(value)
    submit(at, zh("setup.create"))
    assert "login_username" in [w.key for w in at.text_input]
    assert values(at.success) == [zh("setup.created", username="zhang")]
