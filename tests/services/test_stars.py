"""星级 moments (services/stars.py): when each volunteer first reached each star — kept by every
writer of service records (completion, correction, duty) in its transaction, rebuilt when a
threshold changes, checked against the raw records — and the new-stars list read from them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from models import VolunteerStars
from services import completions, duty, settings, stars, volunteer_records
from tests.services.test_duty import AFTER, TUESDAY, _assign, _slot, _station
from tests.services.test_volunteer_records import served

JAN = datetime(2026, 1, 10, 2, tzinfo=UTC)
FEB = datetime(2026, 2, 10, 2, tzinfo=UTC)
MAR = datetime(2026, 3, 10, 2, tzinfo=UTC)


def _moments(session, vid) -> tuple | None:
    """The stored moments of one volunteer as aware UTC datetimes (None: no row)."""
    session.expire_all()
    row = session.get(VolunteerStars, vid)
    return None if row is None else tuple(getattr(row, c) for c in stars.COLUMNS)


def _low_thresholds(session, town):
    settings.update(session, actor=town.manager, values={
        "star_1_hours": 5, "star_2_hours": 10, "star_3_hours": 20, "star_4_hours": 40,
        "star_5_hours": 80})


def test_a_star_is_reached_at_the_record_that_crosses_its_threshold(session, town):
    _low_thresholds(session, town)
    vid = town.volunteers_a[0]
    served(session, town, {vid: 4}, JAN)
    assert _moments(session, vid) == (None,) * 5
    served(session, town, {vid: 1}, FEB)           # 5 h: 1★ in February
    served(session, town, {vid: 16}, MAR)          # 21 h: 2★ and 3★ by the same record
    assert _moments(session, vid) == (FEB, MAR, MAR, None, None)
    assert stars.check(session, values=settings.current(session)) == []


def test_a_sum_a_hair_short_counts_as_the_threshold(session, town):
    _low_thresholds(session, town)
    vid = town.volunteers_a[0]
    served(session, town, {vid: 0.25}, JAN)
    served(session, town, {vid: 3.78}, JAN + timedelta(days=1))
    served(session, town, {vid: 0.97}, FEB)      # 0.25 + 3.78 + 0.97 is 4.999… as floats
    assert _moments(session, vid)[0] == FEB


def test_a_correction_moves_the_moment_and_a_later_record_moves_it_again(session, town):
    _low_thresholds(session, town)
    vid = town.volunteers_a[0]
    order = served(session, town, {vid: 6}, FEB)
    assert _moments(session, vid)[0] == FEB
    completions.correct(session, actor=town.lead_a, order_id=order.id, reason="工时填错",
                        now=FEB + timedelta(hours=1),
                        done=completions.Completion(beneficiaries={"general": 3},
                                                    hours={vid: 4}, note=""))
    assert _moments(session, vid) == (None,) * 5
    served(session, town, {vid: 2}, MAR)
    assert _moments(session, vid)[0] == MAR
    assert stars.check(session, values=settings.current(session)) == []


def test_a_correction_that_drops_a_volunteer_clears_their_stars(session, town):
    _low_thresholds(session, town)
    first, second, _ = town.volunteers_a
    order = served(session, town, {first: 6, second: 6}, FEB)
    completions.correct(session, actor=town.lead_a, order_id=order.id, reason="名单有误",
                        now=FEB + timedelta(hours=1),
                        done=completions.Completion(beneficiaries={"general": 3},
                                                    hours={first: 6}, note=""))
    assert _moments(session, first)[0] == FEB
    assert _moments(session, second) in (None, (None,) * 5)
    assert stars.check(session, values=settings.current(session)) == []


def test_duty_hours_count_toward_the_stars(session, town):
    settings.update(session, actor=town.manager, values={"star_1_hours": 3})
    slot = _slot(session, town, _station(session, town))
    vid = town.volunteers_a[0]
    _assign(session, town, slot, vid)
    duty.mark(session, actor=town.manager, slot_id=slot.id, on_date=TUESDAY,
              marks={vid: "present"}, now=AFTER)
    (moment, *_rest) = _moments(session, vid)
    assert moment is not None and moment.date() == TUESDAY
    assert stars.check(session, values=settings.current(session)) == []


def test_changing_a_threshold_recounts_every_volunteer(session, town):
    vid = town.volunteers_a[0]
    served(session, town, {vid: 6}, FEB)
    assert _moments(session, vid) == (None,) * 5      # 6 h: no star at the default 100 h
    settings.update(session, actor=town.manager, values={"star_1_hours": 5})
    assert _moments(session, vid)[0] == FEB
    assert stars.check(session, values=settings.current(session)) == []
    rows, total = volunteer_records.new_stars(session, actor=town.manager,
                                              date_from=date(2026, 2, 1),
                                              date_to=date(2026, 2, 28))
    assert (total, [r["id"] for r in rows]) == (1, [vid])


def test_the_check_finds_a_tampered_moment(session, town):
    _low_thresholds(session, town)
    vid = town.volunteers_a[0]
    served(session, town, {vid: 6}, FEB)
    row = session.get(VolunteerStars, vid)
    row.star_1_at = MAR
    session.add(row)
    session.commit()
    differences = stars.check(session, values=settings.current(session))
    assert [(v, column) for v, column, _stored, _raw in differences] == [(vid, "star_1_at")]
    assert stars.rebuild(session, values=settings.current(session)) == 1  # volunteers written
    session.commit()
    assert stars.check(session, values=settings.current(session)) == []
    assert _moments(session, vid)[0] == FEB


def test_new_stars_lists_most_stars_first_then_who_reached_them_first(session, town):
    _low_thresholds(session, town)
    v0, v1, v2 = town.volunteers_a
    served(session, town, {v0: 6}, FEB + timedelta(days=5))    # 1★, later
    served(session, town, {v1: 6}, FEB)                        # 1★, first
    served(session, town, {v2: 12}, FEB + timedelta(days=9))   # 2★
    rows, total = volunteer_records.new_stars(session, actor=town.manager,
                                              date_from=date(2026, 2, 1),
                                              date_to=date(2026, 2, 28))
    assert total == 3
    assert [(r["id"], r["stars_after"]) for r in rows] == [(v2, 2), (v1, 1), (v0, 1)]
    page, still = volunteer_records.new_stars(session, actor=town.manager,
                                              date_from=date(2026, 2, 1),
                                              date_to=date(2026, 2, 28), offset=1, limit=1)
    assert ([r["id"] for r in page], still) == ([v1], 3)
