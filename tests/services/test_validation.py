"""Every form input rule: a clear Invalid with the rule's key, and nothing written."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from core import db
from models import AuditLog, OrderEvent, Rating, Role, Setting, Team, TeamTier, User, WorkOrder
from services import orders, ratings, settings, teams, users, validate
from services.errors import Duplicate, Invalid, NotFound
from tests.factories import place
from tests.services.steps import T0, S, order_in

# Deterministic (same examples every run) and free of timing limits on a busy machine.
fuzz = hyp_settings(deadline=None, derandomize=True, max_examples=40, database=None)


def _rows(db_url):
    with db.session(db_url) as s:
        return {m.__name__: s.exec(select(func.count()).select_from(m)).one()
                for m in (WorkOrder, OrderEvent, Rating, User, Team, Setting, AuditLog)}


@pytest.fixture
def nothing_written(db_url, session):
    """Call after the refused action: the committed rows are what they were before it."""
    before = {}

    def snapshot():
        before.update(_rows(db_url))

    def check():
        session.rollback()
        assert _rows(db_url) == before

    return snapshot, check


# --- placing an order ----------------------------------------------------------------------

PLACE_CASES = {
    "empty title": ({"title": ""}, "error.required", {"field": "title"}),
    "blank title": ({"title": "   "}, "error.required", {"field": "title"}),
    "title too long": ({"title": "讲" * 81}, "error.too_long", {"field": "title", "maximum": 80}),
    "description too long": ({"description": "x" * 2001}, "error.too_long",
                             {"field": "description", "maximum": 2000}),
    "requester name too long": ({"requester_name": "名" * 41}, "error.too_long",
                                {"field": "requester_name", "maximum": 40}),
    "bad phone": ({"requester_phone": "12345"}, "error.phone_format", {}),
    "phone with letters": ({"requester_phone": "1380000abcd"}, "error.phone_format", {}),
    "due date in the past": ({"due_on": date(2026, 3, 1)}, "error.due_in_past", {}),
    "negative expected": ({"expected_beneficiaries": -1}, "error.number_range",
                          {"field": "expected_beneficiaries", "minimum": 0, "maximum": 100_000}),
    "fractional expected": ({"expected_beneficiaries": 2.5}, "error.number",
                            {"field": "expected_beneficiaries"}),
    "expected not a number": ({"expected_beneficiaries": "很多"}, "error.number",
                              {"field": "expected_beneficiaries"}),
    "unknown source": ({"source": "pigeon"}, "error.source", {}),
    "unknown category": ({"category_id": 999}, "error.category_required", {}),
    "no site": ({"site_id": None}, "error.site_required", {}),
    "need that does not exist": ({"need_ids": (999,)}, "error.need_not_open", {}),
}


@pytest.mark.parametrize("case", list(PLACE_CASES))
def test_placing_an_order_with_bad_input_is_refused_and_writes_nothing(
        session, town, nothing_written, case):
    overrides, key, params = PLACE_CASES[case]
    snapshot, check = nothing_written
    snapshot()
    with pytest.raises(Invalid) as err:
        place(session, town, now=T0, **overrides)  # T0 is 2026-03-02 in Shanghai
    assert err.value.key == key
    assert err.value.params == params
    check()


def test_due_date_today_is_accepted_but_yesterday_is_not_in_local_time(session, town):
    late_evening = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 23:30 on 2 March in Shanghai
    order = place(session, town, now=late_evening, due_on=date(2026, 3, 2))
    assert order.due_on == date(2026, 3, 2)
    after_midnight = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # 00:00 on 3 March in Shanghai
    with pytest.raises(Invalid) as err:
        place(session, town, now=after_midnight, due_on=date(2026, 3, 2))
    assert err.value.key == "error.due_in_past"


def test_a_title_of_exactly_80_characters_and_a_landline_are_accepted(session, town):
    order = place(session, town, now=T0, title="讲" * 80, requester_phone="0797-8123456",
                  expected_beneficiaries="30")
    assert (len(order.title), order.requester_phone, order.expected_beneficiaries) == (
        80, "0797-8123456", 30)


def test_a_retired_menu_item_cannot_be_ordered(session, town):
    from services import catalog

    item = catalog.create_item(session, actor=town.manager, title="反诈宣传",
                               category_id=town.category)
    catalog.retire_item(session, actor=town.manager, item_id=item.id, reason="群众不欢迎")
    with pytest.raises(Invalid) as err:
        place(session, town, now=T0, item_id=item.id)
    assert err.value.key == "error.item_category"


# --- rating, declining, cancelling -----------------------------------------------------------


@pytest.mark.parametrize("level,key", [(0, "error.number_range"), (6, "error.number_range"),
                                       (-1, "error.number_range"), ("abc", "error.number"),
                                       (4.5, "error.number"), (None, "error.choose"),
                                       (True, "error.number")])
def test_a_rating_outside_one_to_five_is_refused(session, town, nothing_written, level, key):
    order = order_in(session, town, S.completed)
    snapshot, check = nothing_written
    snapshot()
    with pytest.raises(Invalid) as err:
        ratings.rate(session, actor=town.officer, order_id=order.id, level=level)
    assert err.value.key == key
    check()
    assert session.get(WorkOrder, order.id).status == S.completed


def test_a_rating_with_an_unknown_channel_is_refused(session, town):
    order = order_in(session, town, S.completed)
    with pytest.raises(Invalid) as err:
        ratings.rate(session, actor=town.officer, order_id=order.id, level=5, channel="fax")
    assert err.value.key == "error.channel"


def test_a_poor_rating_opens_a_follow_up_due_in_follow_up_days(session, town):
    from models import FollowUp

    order = order_in(session, town, S.completed)
    now = T0 + timedelta(days=2)
    ratings.rate(session, actor=town.officer, order_id=order.id, level=2, comment="没人来", now=now)
    follow = session.exec(select(FollowUp).where(FollowUp.order_id == order.id)).one()
    assert (follow.reason.value, follow.due_at, follow.done_at) == (
        "bad_rating", now + timedelta(days=15), None)


def test_a_good_rating_opens_no_follow_up(session, town):
    from models import FollowUp

    order = order_in(session, town, S.rated)  # rated 5
    assert session.exec(select(FollowUp).where(FollowUp.order_id == order.id)).first() is None


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_declining_without_a_reason_is_refused(session, town, nothing_written, reason):
    order = order_in(session, town, S.dispatched)
    snapshot, check = nothing_written
    snapshot()
    with pytest.raises(Invalid) as err:
        orders.decline(session, actor=town.lead_a, order_id=order.id, reason=reason)
    assert (err.value.key, err.value.params) == ("error.required", {"field": "reason"})
    check()
    assert session.get(WorkOrder, order.id).status == S.dispatched


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_cancelling_without_a_reason_is_refused(session, town, nothing_written, reason):
    order = order_in(session, town, S.submitted)
    snapshot, check = nothing_written
    snapshot()
    with pytest.raises(Invalid) as err:
        orders.cancel(session, actor=town.manager, order_id=order.id, reason=reason)
    assert (err.value.key, err.value.params) == ("error.required", {"field": "reason"})
    check()


def test_accepting_with_a_planned_day_in_the_past_is_refused(session, town):
    order = order_in(session, town, S.dispatched)
    with pytest.raises(Invalid) as err:
        orders.accept(session, actor=town.lead_a, order_id=order.id,
                      planned_on=date(2026, 3, 1), now=T0 + timedelta(hours=3))
    assert err.value.key == "error.planned_in_past"


# --- passwords --------------------------------------------------------------------------------


def _create(session, town, **overrides):
    args = {"actor": town.manager, "username": "newbie", "display_name": "新人",
            "role": Role.officer, "site_id": town.village_a}
    args.update(overrides)
    return users.create(session, **args)


@pytest.mark.parametrize("password,key", [
    ("short", "error.password_short"),
    ("1234567", "error.password_short"),
    ("密" * 7, "error.password_short"),
    ("密" * 25, "error.password_long"),   # 75 UTF-8 bytes
    ("a" * 73, "error.password_long"),
])
def test_a_bad_password_is_refused_and_no_account_is_made(session, town, nothing_written,
                                                          password, key):
    snapshot, check = nothing_written
    snapshot()
    with pytest.raises(Invalid) as err:
        _create(session, town, password=password)
    assert err.value.key == key
    check()
    assert users.by_username(session, "newbie") is None


def test_a_password_of_24_chinese_characters_fits_bcrypt(session, town):
    user, _ = _create(session, town, password="密" * 24)  # exactly 72 bytes
    assert users.verify_login(session, username="newbie", password="密" * 24).id == user.id


@fuzz
@given(st.text(max_size=7))
def test_any_password_under_eight_characters_is_too_short(password):
    with pytest.raises(Invalid) as err:
        users.validate_password(password)
    assert err.value.key == "error.password_short"


@fuzz
@given(st.text(min_size=8, max_size=40))
def test_any_password_of_eight_characters_is_checked_by_its_utf8_length(password):
    if len(password.encode("utf-8")) <= 72:
        users.validate_password(password)
    else:
        with pytest.raises(Invalid) as err:
            users.validate_password(password)
        assert err.value.key == "error.password_long"


@fuzz
@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
               min_size=25, max_size=60))
def test_any_password_of_25_or_more_chinese_characters_is_too_long(password):
    with pytest.raises(Invalid) as err:
        users.validate_password(password)
    assert err.value.key == "error.password_long"


# --- usernames and accounts ----------------------------------------------------------------


@pytest.mark.parametrize("username", ["ab", "a" * 41, "has space", "张三", "semi;colon",
                                      "tab\tname", "", "wang@town"])
def test_a_username_with_bad_characters_or_length_is_refused(session, town, nothing_written,
                                                             username):
    snapshot, check = nothing_written
    snapshot()
    with pytest.raises(Invalid) as err:
        _create(session, town, username=username)
    assert err.value.key == "error.username_format"
    check()


def test_usernames_are_stored_lowercase_and_trimmed(session, town):
    user, _ = _create(session, town, username="  Wang.Li-2 ")
    assert user.username == "wang.li-2"


@pytest.mark.parametrize("username", ["mgr", "MGR", " mgr "])
def test_a_taken_username_is_refused_whatever_its_case(session, town, nothing_written, username):
    snapshot, check = nothing_written
    snapshot()
    with pytest.raises(Duplicate) as err:
        _create(session, town, username=username)
    assert (err.value.key, err.value.params) == ("error.username_taken", {"username": "mgr"})
    check()


@pytest.mark.parametrize("display_name", ["", "   ", "名" * 41])
def test_an_account_needs_a_display_name(session, town, display_name):
    with pytest.raises(Invalid) as err:
        _create(session, town, display_name=display_name)
    assert err.value.key == "error.display_name"


def test_a_team_lead_account_needs_a_team(session, town):
    with pytest.raises(Invalid) as err:
        _create(session, town, role=Role.team_lead, team_id=None)
    assert err.value.key == "error.team_required"


# --- teams --------------------------------------------------------------------------------


@pytest.mark.parametrize("overrides,key", [
    ({"name": ""}, "error.required"),
    ({"name": "队" * 61}, "error.too_long"),
    ({"phone": "110"}, "error.phone_format"),
    ({"tier": TeamTier.squad}, "error.team_parent_tier"),  # a 小队 needs a 支队 above it
    ({"category_ids": (999,)}, "error.category_required"),
])
def test_a_team_with_bad_input_is_refused(session, town, overrides, key):
    args = {"actor": town.manager, "name": "文艺总队", "tier": TeamTier.corps,
            "site_id": town.station}
    args.update(overrides)
    with pytest.raises(Invalid) as err:
        teams.create(session, **args)
    assert err.value.key == key


def test_a_team_name_is_unique_within_its_site(session, town):
    with pytest.raises(Duplicate) as err:
        teams.create(session, actor=town.manager, name="青山总队", tier=TeamTier.corps,
                     site_id=town.station)
    assert err.value.key == "error.team_name_taken"


# --- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize("values,key", [
    ({"dispatch_days": 0}, "error.setting_range"),
    ({"dispatch_days": 31}, "error.setting_range"),
    ({"due_days": 181}, "error.setting_range"),
    ({"points_per_hour": -1}, "error.setting_range"),
    ({"satisfaction_threshold": 5.5}, "error.setting_range"),
    ({"satisfaction_threshold": 0.5}, "error.setting_range"),
    ({"accept_days": "abc"}, "error.setting_type"),
    ({"accept_days": "2.5"}, "error.setting_type"),
    ({"accept_days": 2.5}, "error.setting_type"),      # not silently stored as 2
    ({"accept_days": True}, "error.setting_type"),
    ({"accept_days": float("inf")}, "error.setting_type"),
    ({"satisfaction_threshold": "nan"}, "error.setting_range"),
    ({"no_such_setting": 1}, "error.setting_unknown"),
    ({"star_2_hours": 100}, "error.stars_not_increasing"),           # equal to 1★
    ({"star_5_hours": 900}, "error.stars_not_increasing"),           # below 4★
    ({"star_1_hours": 400, "star_2_hours": 350}, "error.stars_not_increasing"),
    ({"timezone": "Mars/Olympus"}, "error.setting_timezone"),
    ({"timezone": ""}, "error.setting_timezone"),
    ({"timezone": "../etc/passwd"}, "error.setting_timezone"),
    # all or nothing: one bad value refuses the good one beside it
    ({"points_per_hour": 20, "rate_days": 0}, "error.setting_range"),
])
def test_a_bad_setting_is_refused_and_nothing_changes(session, town, nothing_written, values, key):
    snapshot, check = nothing_written
    snapshot()
    with pytest.raises(Invalid) as err:
        settings.update(session, actor=town.manager, values=values)
    assert err.value.key == key
    check()
    assert settings.current(session)["points_per_hour"] == 10


# --- the shared validators, fuzzed ---------------------------------------------------------


@fuzz
@given(st.integers(min_value=0, max_value=1_000_000))
def test_whole_accepts_every_whole_number_in_range_in_any_form(n):
    assert validate.whole(n, key="k") == n
    assert validate.whole(str(n), key="k") == n
    assert validate.whole(f"  {n} ", key="k") == n
    assert validate.whole(float(n), key="k") == n


@fuzz
@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=1_000_001)))
def test_whole_refuses_numbers_out_of_range(n):
    with pytest.raises(Invalid) as err:
        validate.whole(n, key="k")
    assert (err.value.key, err.value.params) == (
        "error.number_range", {"field": "k", "minimum": 0, "maximum": 1_000_000})


@fuzz
@given(st.floats(allow_nan=True, allow_infinity=True).filter(
    lambda x: not (x == x and abs(x) != float("inf") and x.is_integer())))
def test_whole_refuses_fractions_nan_and_infinity(x):
    with pytest.raises(Invalid) as err:
        validate.whole(x, key="k")
    assert err.value.key == "error.number"


@fuzz
@given(st.text(alphabet="abcxyz 点单,.-e", min_size=0, max_size=10))
def test_whole_refuses_text_that_is_not_a_number(text):
    with pytest.raises(Invalid) as err:
        validate.whole(text, key="k")
    assert err.value.key == "error.number"


@fuzz
@given(st.booleans())
def test_whole_refuses_booleans(flag):
    with pytest.raises(Invalid):
        validate.whole(flag, key="k")


@fuzz
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_phone_accepts_any_mainland_mobile_number(number):
    assert validate.phone(number) == number
    assert validate.phone(f" {number[:3]} {number[3:7]} {number[7:]} ") == number


@fuzz
@given(st.from_regex(r"0[0-9]{2,3}-?[0-9]{7,8}", fullmatch=True))
def test_phone_accepts_any_landline_with_area_code(number):
    assert validate.phone(number) == number


@fuzz
@given(st.one_of(st.from_regex(r"1[0-2][0-9]{9}", fullmatch=True),   # no such mobile prefix
                 st.from_regex(r"1[3-9][0-9]{8}", fullmatch=True),    # ten digits
                 st.from_regex(r"1[3-9][0-9]{10}", fullmatch=True),   # twelve digits
                 st.from_regex(r"[2-9][0-9]{10}", fullmatch=True),
                 st.text(alphabet="abc+()#*", min_size=1, max_size=12)))
def test_phone_refuses_anything_else(number):
    with pytest.raises(Invalid) as err:
        validate.phone(number)
    assert err.value.key == "error.phone_format"


def test_phone_is_optional_unless_required():
    assert validate.phone("") == ""
    assert validate.phone(None) == ""
    with pytest.raises(Invalid):
        validate.phone("", required=True)


# Text without the characters the cleaning rule refuses or rewrites (tests/services/
# test_hygiene.py covers those), already in NFC.
_PLAIN = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cf")), max_size=100).map(
    lambda v: unicodedata.normalize("NFC", v))


@fuzz
@given(_PLAIN, st.integers(min_value=1, max_value=50))
def test_text_trims_and_checks_length(value, maximum):
    stripped = value.strip()
    if not stripped:
        with pytest.raises(Invalid) as err:
            validate.text(value, key="k", maximum=maximum)
        assert err.value.key == "error.required"
    elif len(stripped) > maximum:
        with pytest.raises(Invalid) as err:
            validate.text(value, key="k", maximum=maximum)
        assert err.value.key == "error.too_long"
    else:
        assert validate.text(value, key="k", maximum=maximum) == stripped


@pytest.mark.parametrize("huge", [2**31, 2**40, -(2**31) - 1, 2**63 - 1])
def test_an_id_beyond_the_databases_integer_range_is_refused_in_words(db_url, town, huge):
    """PostgreSQL's ids are 32-bit: a larger one from hostile input would fail in SQL ("integer
    out of range"); it is refused like any other unknown id, and the session goes on working."""
    for call in (lambda s: orders.dispatch(s, actor=town.manager, order_id=huge,
                                           team_id=town.team_a),
                 lambda s: orders.place(s, actor=town.officer, site_id=huge,
                                        category_id=town.category, title="门前路灯坏了",
                                        source="walk_in", expected_beneficiaries=1)):
        with db.write_session(db_url) as s:
            with pytest.raises((Invalid, NotFound)):
                call(s)
            s.rollback()
            assert s.exec(select(func.count()).select_from(WorkOrder)).one() >= 0


@pytest.mark.parametrize("bad", ["", "yes", 1, None])
def test_a_yes_no_that_is_not_a_bool_is_refused_in_words(session, town, bad):
    """Found by the 2,000-example fuzz: party_member='' reached the boolean column and raised
    a raw TypeError."""
    from services import volunteers

    with pytest.raises(Invalid):
        volunteers.create(session, actor=town.manager, name="赵六", phone="13912340000",
                          gender="female", site_id=town.village_a, party_member=bad)
