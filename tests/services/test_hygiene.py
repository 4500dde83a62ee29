"""The one text rule, ASCII phone digits, and the inputs that used to crash a service: each is
refused with a message key and writes nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from core import db
from models import Role, ServiceRecord, Site, SiteLevel, User, WorkOrder
from services import completions, settings, sites, teams, users, validate
from services.errors import Duplicate, Invalid
from tests.engines import skip_on_postgres
from tests.factories import place
from tests.services.steps import S, count, order_in

# --- the text rule ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["讲座\u202e", "a\x00b", "a\x1bb", "\u2066讲座\u2069", "x\ud800",
                                 "一行\n两行", "\x7f"])
def test_control_bidi_and_surrogate_characters_are_refused_in_a_one_line_field(raw):
    with pytest.raises(Invalid) as err:
        validate.text(raw, key="title", maximum=80)
    assert (err.value.key, err.value.params) == ("hygiene.characters", {"field": "title"})


def test_line_breaks_are_kept_in_text_areas_and_carriage_returns_unified():
    assert validate.text(" 第一行 \r\n第二行\r第三行 ", key="description", maximum=80) == \
        "第一行\n第二行\n第三行"


def test_text_is_nfc_and_its_length_is_counted_in_characters():
    decomposed = "e\u0301" * 40  # 80 code points, 40 characters once composed
    assert validate.text(decomposed, key="title", maximum=40) == "\u00e9" * 40


def test_a_pasted_bom_zero_width_space_and_tab_are_cleaned_not_refused():
    assert validate.text("\ufeff讲座\u200b\t宣讲", key="title", maximum=80) == "讲座 宣讲"


@pytest.mark.parametrize("field,call", [
    ("title", lambda s, t: place(s, t, title="防诈骗\u202e讲座")),
    ("name", lambda s, t: users.create(s, actor=t.manager, username="newbie",
                                       display_name="新\x00人", role=Role.officer,
                                       site_id=t.village_a)),
    ("site", lambda s, t: sites.create(s, name="东\u200f村", level=SiteLevel.point,
                                       parent_id=t.station)),
    ("team_name", lambda s, t: teams.create(s, actor=t.manager, name="一队\x07", tier="corps",
                                            site_id=t.station, parent_id=None,
                                            category_ids=[t.category])),
])
def test_titles_and_names_with_control_or_bidi_characters_are_refused(session, town, field,
                                                                      call):
    before = (count(session, WorkOrder), count(session, User), count(session, Site))
    with pytest.raises(Invalid) as err:
        call(session, town)
    assert (err.value.key, err.value.params.get("field")) == ("hygiene.characters", field)
    session.rollback()
    assert (count(session, WorkOrder), count(session, User), count(session, Site)) == before


# --- phones -------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["0\u0a6c\u1a900000000", "1\u0663800000000",
                                    "\u0661\u0663\u0668" + "0" * 8])
def test_phones_with_digits_of_other_scripts_are_refused(number):
    with pytest.raises(Invalid) as err:
        validate.phone(number)
    assert err.value.key == "error.phone_format"


def test_full_width_digits_and_dashes_are_converted():
    assert validate.phone("１３８ ００１３ ８０００") == "13800138000"
    assert validate.phone("０７９７－８１２３４５６") == "0797-8123456"


def test_account_phones_are_validated_and_stored_in_ascii(session, town):
    with pytest.raises(Invalid) as err:
        users.create(session, actor=town.manager, username="newbie", display_name="新人",
                     role=Role.officer, site_id=town.village_a, phone="12345")
    assert err.value.key == "error.phone_format"
    session.rollback()
    user, _ = users.create(session, actor=town.manager, username="newbie", display_name="新人",
                           role=Role.officer, site_id=town.village_a,
                           phone="１３８００１３８０００")
    assert user.phone == "13800138000"
    with pytest.raises(Invalid):
        users.update(session, actor=town.manager, user_id=user.id, display_name="新人",
                     role=Role.officer, site_id=town.village_a, phone="电话")


# --- inputs that used to crash ------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Asia", "Asia/" + "x" * 90, "../../etc/passwd", "", "UTC\x00"])
def test_a_time_zone_that_is_not_a_zone_is_refused_in_words(session, town, zone):
    with pytest.raises(Invalid) as err:
        settings.update(session, actor=town.manager, values={"timezone": zone})
    assert err.value.key == "error.setting_timezone"


@pytest.mark.parametrize("url", ["http://[", "http://[::1", "https://example.org:99999",
                                 "https://exa\u202emple.org"])
def test_a_public_address_that_cannot_be_parsed_is_refused_in_words(session, town, url):
    with pytest.raises(Invalid) as err:
        settings.update(session, actor=town.manager, values={"public_base_url": url})
    assert err.value.key == "error.setting_base_url"


@pytest.mark.parametrize("hours", [0.004, 0.0049, 1e-9])
def test_hours_that_round_to_zero_are_refused_not_an_integrity_error(session, town, hours):
    order = order_in(session, town, S.accepted)
    done = completions.Completion(beneficiaries={"general": 1},
                                  hours={town.volunteers_a[0]: hours})
    with pytest.raises(Invalid) as err:
        completions.complete(session, actor=town.lead_a, order_id=order.id, done=done)
    assert err.value.key == "error.hours_range"
    session.rollback()
    assert session.get(WorkOrder, order.id).status == S.accepted
    assert count(session, ServiceRecord) == 0


def test_hours_of_0_005_round_to_a_hundredth_and_are_stored(session, town):
    order = order_in(session, town, S.accepted)
    done = completions.Completion(beneficiaries={"general": 1},
                                  hours={town.volunteers_a[0]: 0.005})
    completions.complete(session, actor=town.lead_a, order_id=order.id, done=done)
    assert session.exec(select(ServiceRecord.hours)).all() == [0.01]


@pytest.mark.parametrize("parent", ["station", None])
def test_a_duplicate_site_name_is_refused_in_words(session, town, parent):
    parent_id = getattr(town, parent) if parent else None
    level = SiteLevel.point if parent else SiteLevel.station
    name = session.get(Site, town.village_a).name if parent else "重名所"
    if not parent:
        sites.create(session, name=name, level=level)
    with pytest.raises(Duplicate) as err:
        sites.create(session, name=f" {name} ", level=level, parent_id=parent_id)
    assert (err.value.key, err.value.params) == ("hygiene.site_name_taken", {"name": name})


def test_database_errors_do_not_print_their_parameters(session, town):
    secret = "13912345678-secret"
    with pytest.raises(IntegrityError) as err:
        session.execute(text("INSERT INTO site (name, level, parent_id, path) "
                             "VALUES (:n, 'point', 999999, '/x/')"), {"n": secret})
    session.rollback()
    assert secret not in str(err.value)
    assert "hidden due to hide_parameters" in str(err.value)


# --- a busy database ----------------------------------------------------------------------------


@skip_on_postgres  # SQLite's one write lock (BEGIN IMMEDIATE)
def test_a_write_that_cannot_get_its_turn_is_busy_and_writes_nothing(db_url, monkeypatch):
    monkeypatch.setenv("DIANDAN_DB_TIMEOUT", "0.3")
    url = db_url + "?busy"  # a new engine, built with the short timeout
    with db.write_session(url) as s:
        from tests.factories import build_town

        town = build_town(s)
    holding, release = threading.Event(), threading.Event()

    def hold():
        with db.write_session(url) as s:
            s.execute(text("UPDATE site SET name = name WHERE id = :i"), {"i": town.station})
            holding.set()
            release.wait(10)
            s.rollback()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        started = datetime.now(UTC)
        with pytest.raises(db.Busy), db.write_session(url) as s:
            place(s, town, title="不会写入的工单")
        assert (datetime.now(UTC) - started).total_seconds() < 3
    finally:
        release.set()
        holder.join(10)
    with db.session(url) as s:
        assert s.exec(select(WorkOrder).where(WorkOrder.title == "不会写入的工单")).all() == []
    db.engine(url).dispose()


def test_a_full_pool_is_busy_after_the_timeout_not_after_thirty_seconds(db_url, monkeypatch):
    monkeypatch.setenv("DIANDAN_DB_TIMEOUT", "0.2")
    url = db_url + "?pool"
    engine = db.engine(url)
    held = [engine.connect() for _ in range(db.POOL_SIZE + db.MAX_OVERFLOW)]
    try:
        with pytest.raises(db.Busy), db.session(url) as s:
            s.execute(text("SELECT 1"))
    finally:
        for conn in held:
            conn.close()
        engine.dispose()
