"""户 and 户联系 driven through their widgets, the effect checked in the database; the refusals
that change nothing; personal data kept from a leader."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from core import db
from models import ContactPair, ContactVisit, Gender, Household, Need
from services import contacts, households, volunteers
from services.households import HouseholdInput
from tests.pages.conftest import goto, open_app, run, select_row, submit, table, values, zh


def _page(world, who, page):
    return goto(open_app(getattr(world.town, who)), page)


def _household(world, head="王大伯", address="东村一组 3 号"):
    with db.write_session(world.url) as s:
        return households.create(s, actor=world.town.officer, raw=HouseholdInput(
            site_id=world.town.village_a, head_name=head, address=address,
            phone="13900000001", people=3)).id


def _member(world, name="党员甲", phone="13700000001"):
    with db.write_session(world.url) as s:
        return volunteers.create(s, actor=world.town.manager, name=name, phone=phone,
                                 gender=Gender.male, site_id=world.town.village_a,
                                 party_member=True, registered_on=date(2025, 1, 1)).id


def _pair(world, household_id, member_id, started=None):
    with db.write_session(world.url) as s:
        contacts.pair(s, actor=world.town.manager, household_id=household_id,
                      volunteer_id=member_id,
                      started_on=started or db.utcnow().date() - timedelta(days=30))


# --- 户 ---------------------------------------------------------------------------------------


def test_an_officer_registers_a_household_and_the_form_starts_afresh(world):
    at = _page(world, "officer", "households.py")
    at.selectbox(key="hh_new_0_site").set_value(world.town.village_a)
    at.text_input(key="hh_new_0_head").input("李婶")
    at.text_input(key="hh_new_0_addr").input("东村二组 8 号")
    at.number_input(key="hh_new_0_people").set_value(2)
    with db.session(world.url) as s:
        tag = households.tags(s)[0].id
    at.multiselect(key="hh_new_0_tags").select(tag)
    submit(at, zh("common.save"))
    assert values(at.success) == [zh("households.saved", name="李婶")]
    with db.session(world.url) as s:
        h = s.exec(select(Household)).one()
    assert (h.head_name, h.address, h.people, h.phone) == ("李婶", "东村二组 8 号", 2, "")
    assert at.text_input(key="hh_new_1_head").value == ""
    assert list(table(at, "households_table")["head_name"]) == ["李婶"]


def test_a_household_without_a_head_is_refused_and_nothing_is_written(world):
    at = _page(world, "officer", "households.py")
    at.selectbox(key="hh_new_0_site").set_value(world.town.village_a)
    at.text_input(key="hh_new_0_addr").input("东村二组 8 号")
    at.number_input(key="hh_new_0_people").set_value(2)
    submit(at, zh("common.save"))
    assert values(at.error) == [zh("error.required", field=zh("field.head_name"))]
    with db.session(world.url) as s:
        assert s.exec(select(Household)).all() == []


def test_picking_a_household_opens_its_edit_form(world):
    hid = _household(world)
    at = _page(world, "officer", "households.py")
    select_row(at, "households_table", 0)
    at.number_input(key=f"hh_{hid}_0_people").set_value(5)
    submit(at, zh("households.save_edit"))
    with db.session(world.url) as s:
        assert s.get(Household, hid).people == 5


def test_a_leader_sees_the_register_without_phones_or_addresses(world):
    _household(world)
    at = _page(world, "leader", "households.py")
    frames = [f.value for f in at.dataframe if "head_name" in f.value.columns]
    assert len(frames) == 1
    assert list(frames[0]["head_name"]) == ["王大伯"]
    assert list(frames[0]["phone"]) == [""] and list(frames[0]["address"]) == [""]
    assert zh("households.add_tab") not in [tab.label for tab in at.tabs]
    assert zh("households.personal_hidden") in values(at.caption)


def test_the_manager_adds_a_tag(world):
    at = _page(world, "manager", "households.py")
    at.text_input(key="tag_new").input("退役军人")
    submit(at, zh("households.tag_add"))
    assert values(at.success) == [zh("households.tag_added", name="退役军人")]


# --- 户联系 ---------------------------------------------------------------------------------------


def test_the_manager_pairs_a_member_with_a_household(world):
    hid = _household(world)
    member = _member(world)
    at = _page(world, "manager", "contacts.py")
    select_row(at, "cp_unpaired", 0)
    at.selectbox(key="cp_member_0").set_value(member)
    submit(at, zh("contacts.pair"))
    assert values(at.success) == [zh("contacts.paired", name="王大伯")]
    with db.session(world.url) as s:
        p = s.exec(select(ContactPair)).one()
    assert (p.household_id, p.volunteer_id, p.ended_on) == (hid, member, None)


def test_pairing_without_a_member_says_so_and_writes_nothing(world):
    _household(world)
    _member(world)
    at = _page(world, "manager", "contacts.py")
    select_row(at, "cp_unpaired", 0)
    submit(at, zh("contacts.pair"))
    assert values(at.error) == [zh("error.volunteer_unknown")]
    with db.session(world.url) as s:
        assert s.exec(select(ContactPair)).all() == []


def test_the_officer_records_a_visit_with_a_need_that_reaches_the_board(world):
    hid = _household(world)
    member = _member(world)
    _pair(world, hid, member)
    at = _page(world, "officer", "contacts.py")
    at.selectbox(key="cv_member_0").set_value(member)
    run(at)
    at.selectbox(key="cv_household_0").set_value(hid)
    at.date_input(key="cv_date_0").set_value(db.utcnow().date() - timedelta(days=1))
    at.radio(key="cv_method_0").set_value("home")
    at.text_area(key="cv_topics_0").input("聊孩子学习")
    at.button(key="cv_add").click()
    run(at)
    at.selectbox(key="cv_cat_0_0").set_value(world.town.category)
    at.radio(key="cv_pri_0_0").set_value("hear")
    at.text_input(key="cv_text_0_0").input("想听家庭教育讲座")
    at.button(key="cv_save").click()
    run(at)
    assert values(at.success) == [zh("contacts.visit_saved", needs=1)]
    with db.session(world.url) as s:
        visit = s.exec(select(ContactVisit)).one()
        need = s.exec(select(Need)).one()
    assert visit.survey_id is not None and need.text == "想听家庭教育讲座"
    board = goto(at, "needs.py")
    frame = table(board, "needs_table")
    assert list(frame["from_contact"]) == [zh("contacts.from_contact_mark")]


def test_a_visit_without_a_date_is_refused_and_nothing_is_written(world):
    hid = _household(world)
    member = _member(world)
    _pair(world, hid, member)
    at = _page(world, "officer", "contacts.py")
    at.selectbox(key="cv_member_0").set_value(member)
    run(at)
    at.selectbox(key="cv_household_0").set_value(hid)
    at.radio(key="cv_method_0").set_value("phone")
    at.text_area(key="cv_topics_0").input("电话问候")
    at.button(key="cv_save").click()
    run(at)
    assert values(at.error) == [zh("error.visit_date")]
    with db.session(world.url) as s:
        assert s.exec(select(ContactVisit)).all() == []


def test_the_lists_show_overdue_unpaired_and_coverage(world):
    paired = _household(world)
    _household(world, head="李婶", address="二组 8 号")
    member = _member(world)
    _pair(world, paired, member, started=db.utcnow().date() - timedelta(days=400))
    at = _page(world, "leader", "contacts.py")
    heads = [list(f.value["head_name"]) for f in at.dataframe if "head_name" in f.value.columns]
    assert ["王大伯"] in heads   # overdue: never visited, paired 400 days ago
    assert ["李婶"] in heads     # unpaired
    (metric,) = at.metric   # coverage: one paired household, not visited
    assert metric.label.endswith("走访覆盖率") and metric.value == "0.0%"
    assert zh("contacts.tab_pair") not in [tab.label for tab in at.tabs]
