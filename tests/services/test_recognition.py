"""评优推荐: the four candidate lists of a 考核年度 from orders with known timestamps, made through
the services with an injected clock, counted in Beijing time (UTC+8), and the 公示 workbook.

Times below are UTC: 15:30 UTC on 31 December 2025 is 23:30 on 31 December in Beijing (2025),
16:30 UTC is 00:30 on 1 January 2026.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models import AuditLog, SiteLevel, Volunteer
from services import catalog, completions, orders, ratings, recognition
from services import settings as settings_service
from services import volunteers as volunteer_service
from services.errors import Forbidden
from tests.factories import place
from ui.i18n import words_in

H = timedelta(hours=1)
LATE_2025 = datetime(2025, 12, 31, 15, 30, tzinfo=UTC)    # 23:30 on 31 Dec, Beijing
EARLY_2026 = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)   # 00:30 on 1 Jan, Beijing
NOW = datetime(2026, 2, 1, 2, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def done(session, town, at: datetime, hours: dict[int, float], *, people: int = 5,
         item_id: int | None = None, level: int | None = None, rated_at: datetime | None = None,
         team: str = "a", site_id: int | None = None):
    """An order completed at `at` (placed, dispatched and accepted in the hours before) with
    these hours per volunteer, and rated `level` at `rated_at` (an hour later by default)."""
    lead, team_id = (town.lead_a, town.team_a) if team == "a" else (town.lead_b, town.team_b)
    start = at - 5 * H
    order = place(session, town, now=start, due_on=(at + 48 * H).date(), item_id=item_id,
                  **({"site_id": site_id} if site_id else {}))
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=team_id,
                    now=start + H)
    orders.accept(session, actor=lead, order_id=order.id, now=start + 2 * H)
    completions.complete(session, actor=lead, order_id=order.id, now=at,
                         done=completions.Completion(beneficiaries={"general": people},
                                                     hours=hours))
    if level is not None:
        ratings.rate(session, actor=town.officer, order_id=order.id, level=level,
                     now=rated_at or at + H)
    return order


def settings(session, town, **values):
    settings_service.update(session, actor=town.manager, values=values)


def by_key(found: recognition.Candidates) -> dict:
    return {r["key"]: r for r in found.rows}


# --- 最美志愿者 ----------------------------------------------------------------------------------


def test_volunteer_hours_fall_in_the_beijing_year(session, town):
    v0, v1, _v2 = town.volunteers_a
    settings(session, town, recognition_min_hours=3)
    done(session, town, utc(2025, 6, 10, 2), {v0: 1.5, v1: 4}, level=5)
    done(session, town, LATE_2025, {v0: 2}, level=2, rated_at=EARLY_2026 + 24 * H)
    done(session, town, EARLY_2026, {v0: 2.5, v1: 1})
    y2025 = recognition.volunteers(session, actor=town.leader, number=2025)
    rows = by_key(y2025)
    # v0: 1.5 h in June + 2 h at 23:30 on 31 Dec = 3.5 h in 2025; the 00:30 order is 2026's
    assert (rows[v0]["hours"], rows[v0]["orders"]) == (3.5, 2)
    # their orders' 好评率 counts every rating so far, also one given in January
    assert (rows[v0]["good"], rows[v0]["rated"], rows[v0]["good_rate"]) == (1, 2, 0.5)
    assert (rows[v1]["hours"], rows[v1]["orders"], rows[v1]["good_rate"]) == (4.0, 1, 1.0)
    assert [r["key"] for r in y2025.rows] == [v1, v0] and y2025.total == 2
    assert [r["rank"] for r in y2025.rows] == [1, 2]
    y2026 = recognition.volunteers(session, actor=town.leader, number=2026)
    # 2026: v0 has 2.5 h (below 3), v1 1 h: nobody qualifies
    assert y2026.rows == [] and y2026.total == 0
    settings(session, town, recognition_min_hours=2.5)
    row = by_key(recognition.volunteers(session, actor=town.leader, number=2026))[v0]
    assert (row["hours"], row["total_hours"], row["orders"], row["rated"]) == (2.5, 6.0, 1, 0)
    assert row["good_rate"] is None  # no rating is no 好评率, not 0 %


def test_the_star_level_is_the_one_reached_by_the_years_end(session, town):
    v0 = town.volunteers_a[0]
    settings(session, town, recognition_min_hours=1, star_1_hours=4, star_2_hours=6)
    done(session, town, utc(2025, 3, 1, 2), {v0: 3})
    done(session, town, LATE_2025, {v0: 1.5})         # 4.5 h by the end of 2025: 1 star
    done(session, town, EARLY_2026, {v0: 2})          # 6.5 h in 2026: 2 stars
    assert by_key(recognition.volunteers(session, actor=town.leader, number=2025))[v0][
        "stars"] == 1
    assert by_key(recognition.volunteers(session, actor=town.leader, number=2026))[v0][
        "stars"] == 2


def test_the_minimum_hours_default_is_20_and_an_inactive_volunteer_is_no_candidate(session,
                                                                                      town):
    v0, v1, _ = town.volunteers_a
    assert settings_service.current(session)["recognition_min_hours"] == 20
    for day in range(1, 5):
        done(session, town, utc(2025, 5, day, 2), {v0: 5, v1: 4.99})
    rows = by_key(recognition.volunteers(session, actor=town.leader, number=2025))
    assert set(rows) == {v0}  # 20 h exactly qualifies, 19.96 h does not
    volunteer_service.retire(session, actor=town.manager, volunteer_id=v0, reason="搬走了")
    assert recognition.volunteers(session, actor=town.leader, number=2025).rows == []


def test_other_sites_volunteers_and_roles_without_evaluation(session, town):
    v0 = town.volunteers_a[0]
    settings(session, town, recognition_min_hours=1)
    done(session, town, utc(2025, 5, 1, 2), {v0: 3})
    assert recognition.volunteers(session, actor=town.outsider, number=2025).rows == []
    for who in (town.officer, town.lead_a):
        with pytest.raises(Forbidden):
            recognition.volunteers(session, actor=who, number=2025)


# --- 最佳志愿服务队 and 最美志愿服务站点 ---


def test_teams_and_sites_ranked_by_the_years_score_then_beneficiaries(session, town):
    v0 = town.volunteers_a[0]
    # team A: two on time, rated 5; team B: one on time rated 5, one late (done 3 days late)
    done(session, town, utc(2025, 4, 1, 2), {v0: 2}, people=10, level=5)
    done(session, town, LATE_2025, {v0: 2}, people=7, level=5)   # due 2 Jan 2026: not 2025's
    found = recognition.teams(session, actor=town.leader, number=2025, now=NOW)
    assert [r["key"] for r in found.rows] == [town.team_a] and found.total == 1
    row = found.rows[0]
    assert (row["due"], row["on_time"], row["beneficiaries"], row["completed"]) == (1, 1, 17, 2)
    assert row["score"] == 100.0
    sites = recognition.sites(session, actor=town.leader, number=2025, now=NOW)
    assert [r["key"] for r in sites.rows] == [town.village_a]
    assert sites.rows[0]["beneficiaries"] == 17
    assert sites.rows[0]["idle_months"] == 10  # services in April and December only
    # in 2026 the order due on 2 January is due: the 2026 list has team A, done on time
    y2026 = recognition.teams(session, actor=town.leader, number=2026, now=NOW)
    assert [(r["key"], r["due"], r["completed"]) for r in y2026.rows] == [(town.team_a, 1, 0)]


def test_an_equal_score_is_broken_by_beneficiaries(session, town):
    v0 = town.volunteers_a[0]
    done(session, town, utc(2025, 4, 1, 2), {v0: 2}, people=3, level=5)
    done(session, town, utc(2025, 4, 1, 2), {v0: 2}, people=9, level=5, site_id=town.village_b)
    found = recognition.sites(session, actor=town.leader, number=2025, now=NOW)
    assert [r["key"] for r in found.rows] == [town.village_b, town.village_a]
    assert all(r["score"] == 100.0 for r in found.rows)
    assert {r["level"] for r in found.rows} == {SiteLevel.point.value}


# --- 最佳志愿服务项目 ---


def _item(session, town, title):
    return catalog.create_item(session, actor=town.manager, title=title,
                               category_id=town.category, team_ids=(town.team_a,)).id


def test_items_need_enough_ratings_in_the_year_and_rank_by_beneficiaries(session, town):
    v0 = town.volunteers_a[0]
    settings(session, town, recognition_min_ratings=2)
    talk, film, music = (_item(session, town, t) for t in ("防诈骗讲座", "露天电影", "广场舞"))
    done(session, town, utc(2025, 5, 1, 2), {v0: 1}, people=20, item_id=talk, level=5)
    # rated at 23:30 on 31 Dec: 2025's; the next, rated at 00:30 on 1 Jan, is 2026's
    done(session, town, LATE_2025 - 2 * H, {v0: 1}, people=4, item_id=talk, level=2,
         rated_at=LATE_2025)
    done(session, town, LATE_2025 - H, {v0: 1}, people=4, item_id=talk, level=5,
         rated_at=EARLY_2026)
    done(session, town, utc(2025, 6, 1, 2), {v0: 1}, people=30, item_id=film, level=4)
    done(session, town, utc(2025, 6, 2, 2), {v0: 1}, people=30, item_id=film, level=4)
    done(session, town, utc(2025, 6, 3, 2), {v0: 1}, people=99, item_id=music, level=5)
    found = recognition.items(session, actor=town.leader, number=2025)
    # 广场舞 has one rating (fewer than 2): no candidate
    assert [r["key"] for r in found.rows] == [film, talk] and found.total == 2
    rows = by_key(found)
    assert (rows[film]["beneficiaries"], rows[film]["good_rate"]) == (60, 1.0)
    assert (rows[talk]["beneficiaries"], rows[talk]["completed"]) == (28, 3)
    assert (rows[talk]["ratings"], rows[talk]["good"], rows[talk]["good_rate"]) == (2, 1, 0.5)
    assert rows[talk]["category"] and rows[talk]["name"] == "防诈骗讲座"
    assert recognition.items(session, actor=town.outsider, number=2025).rows == []


def test_the_default_minimum_of_ratings_is_5(session, town):
    v0 = town.volunteers_a[0]
    talk = _item(session, town, "防诈骗讲座")
    for i in range(4):
        done(session, town, utc(2025, 5, 1 + i, 2), {v0: 1}, item_id=talk, level=5)
    assert recognition.items(session, actor=town.leader, number=2025).rows == []
    done(session, town, utc(2025, 5, 9, 2), {v0: 1}, item_id=talk, level=5)
    assert [r["key"] for r in recognition.items(session, actor=town.leader,
                                                number=2025).rows] == [talk]


def test_the_year_follows_the_period_start_day(session, town):
    settings(session, town, eval_period_start_day=19)
    year = recognition.the_year(session, 2026)
    assert (year.start, year.end) == (date(2025, 12, 19), date(2026, 12, 18))


# --- the 公示 workbook ---------------------------------------------------------------------------


def test_the_shortlist_workbook_holds_only_the_ticked_candidates_recounted(session, town):
    v0, v1, _ = town.volunteers_a
    settings(session, town, recognition_min_hours=1)
    done(session, town, utc(2025, 6, 10, 2), {v0: 1.5, v1: 4}, level=5)
    words = words_in("zh")
    content = recognition.workbook(session, actor=town.leader, number=2025,
                                   picked={"volunteer": [v0, 999_999], "team": [town.team_a]},
                                   words=words, now=NOW)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == [words("recognition.cover_sheet"),
                               *(words(f"recognition.kind.{k}") for k in recognition.KINDS)]
    cover = book[words("recognition.cover_sheet")]
    assert cover["B2"].value == datetime(2025, 1, 1) and cover["B2"].is_date
    assert cover["B3"].value == datetime(2025, 12, 31) and cover["B4"].is_date
    sheet = book[words("recognition.kind.volunteer")]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(words(f"recognition.col.{c}") for c in
                            recognition.COLUMNS["volunteer"])
    # v0 only (999999 is no candidate), with its rank among all candidates: 2nd after v1
    assert rows[1:] == [(2, "志愿者0", "东村", 1.5, 1, 1.0, 1, 0, 1.5)]
    assert sheet.freeze_panes == "A2"
    assert sheet.page_setup.orientation == "landscape"  # wide: landscape, fitted to the width
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
    assert book[words("recognition.kind.item")]["A2"].value == words("recognition.none_picked")
    audit = session.exec(select(AuditLog).where(AuditLog.action == "recognition.export")).one()
    assert "volunteer=1" in audit.detail and "team=1" in audit.detail


def test_names_that_look_like_formulas_stay_text(session, town):
    v0 = town.volunteers_a[0]
    vol = session.get(Volunteer, v0)
    volunteer_service.update(session, actor=town.manager, volunteer_id=v0, name="=1+1",
                             phone=vol.phone, gender=vol.gender, site_id=vol.site_id,
                             party_member=False, skills="", active=True,
                             team_ids=(town.team_a,))
    settings(session, town, recognition_min_hours=1)
    done(session, town, utc(2025, 6, 10, 2), {v0: 2})
    content = recognition.workbook(session, actor=town.leader, number=2025,
                                   picked={"volunteer": [v0]}, words=words_in("zh"), now=NOW)
    sheet = load_workbook(io.BytesIO(content))[words_in("zh")("recognition.kind.volunteer")]
    assert sheet["B2"].value == "=1+1" and sheet["B2"].data_type == "s"


def test_a_short_list_keeps_the_ties_in_order_and_counts_every_candidate(session, town):
    v0, v1, v2 = town.volunteers_a
    settings(session, town, recognition_min_hours=1)
    done(session, town, utc(2025, 5, 1, 2), {v0: 4, v1: 2, v2: 1})
    done(session, town, utc(2025, 5, 2, 2), {v1: 2})   # v1: 4 h on two orders, v0 on one
    found = recognition.volunteers(session, actor=town.leader, number=2025, limit=1)
    assert [r["key"] for r in found.rows] == [v1] and found.total == 3
    two = recognition.volunteers(session, actor=town.leader, number=2025, limit=2)
    assert [r["key"] for r in two.rows] == [v1, v0] and two.total == 3
