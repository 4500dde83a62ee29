"""星级 moments (models/rollups.VolunteerStars): when each volunteer first reached each star.

A volunteer's cumulative hours are the sum of all their service records (order service and
duty alike) in the order served (served_at, then id); star N is reached by the first record
after which that sum is at least `star_N_hours` less EPSILON (hours are kept to two decimals;
a float sum may fall a hair short). Computed in SQL with one window sum per volunteer.

- `refresh` recomputes the rows of the given volunteers, inside the caller's transaction; every
  writer of service records calls it (services/completions.py, services/duty.py), so the
  moments never miss a committed record nor count a rolled-back one.
- `rebuild` recomputes every row; a change of a threshold runs it (services/settings.py), and
  so do `python -m diandan rollups rebuild`, the migration that made the table and the bench
  builder.
- `check` lists every volunteer whose stored moments differ from a fresh computation
  (`python -m diandan rollups check`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import bindparam, case, delete, func, insert, select
from sqlmodel import Session

from models import ServiceRecord, VolunteerStars

EPSILON = 0.005
LEVELS = (1, 2, 3, 4, 5)
COLUMNS = tuple(f"star_{n}_at" for n in LEVELS)


def thresholds(values: dict) -> dict[int, float]:
    """Star level → the cumulative hours it needs, from the settings' values."""
    return {n: float(values[f"star_{n}_hours"]) for n in LEVELS}


def _moments(values: dict, volunteer_ids: list[int] | None):
    """(volunteer_id, star_1_at … star_5_at) for every volunteer with a record (or the given
    ones): one window sum over their records, then the first moment past each threshold."""
    return _moments_of(tuple(sorted(thresholds(values).items())), volunteer_ids is not None)


@lru_cache(maxsize=16)
def _moments_of(need: tuple[tuple[int, float], ...], some: bool):
    """`_moments`, built once per set of thresholds; `some`: for the volunteers of an expanding
    parameter `ids` (building it each time cost more than running it, session 5)."""
    r = ServiceRecord.__table__.c
    running = func.sum(r.hours).over(partition_by=r.volunteer_id, order_by=(r.served_at, r.id),
                                     rows=(None, 0))
    base = select(r.volunteer_id.label("vid"), r.served_at.label("at"), running.label("total"))
    if some:
        base = base.where(r.volunteer_id.in_(bindparam("ids", expanding=True)))
    cum = base.subquery()
    hours = dict(need)
    return (select(cum.c.vid, *(func.min(case((cum.c.total >= hours[n] - EPSILON, cum.c.at)))
                                .label(f"star_{n}_at") for n in LEVELS))
            .group_by(cum.c.vid))


@lru_cache(maxsize=16)
def _replace_some(need: tuple[tuple[int, float], ...]):
    """The DELETE and INSERT … SELECT that rewrite the rows of the volunteers `ids`."""
    table = VolunteerStars.__table__
    return (delete(table).where(table.c.volunteer_id.in_(bindparam("ids", expanding=True))),
            insert(table).from_select(("volunteer_id", *COLUMNS), _moments_of(need, True)))


def _write(session: Session, values: dict, volunteer_ids: list[int] | None) -> int:
    table = VolunteerStars.__table__
    conn = session.connection()
    if volunteer_ids is None:
        conn.execute(delete(table))
        return conn.execute(insert(table).from_select(("volunteer_id", *COLUMNS),
                                                      _moments(values, None))).rowcount
    remove, add = _replace_some(tuple(sorted(thresholds(values).items())))
    conn.execute(remove, {"ids": volunteer_ids})
    return conn.execute(add, {"ids": volunteer_ids}).rowcount


def refresh(session: Session, volunteer_ids: Iterable[int], *, values: dict) -> None:
    """Recompute the moments of these volunteers from their records, in the caller's
    transaction (call it after the records are written or changed). `values` are the
    settings' (services/settings.current: this module does not read them itself, since the
    settings service rebuilds through it)."""
    ids = sorted({int(v) for v in volunteer_ids})
    if not ids:
        return
    session.flush()
    for start in range(0, len(ids), 500):
        _write(session, values, ids[start:start + 500])


def rebuild(session: Session, *, values: dict) -> int:
    """Replace every row by a fresh computation, in the caller's transaction (the caller
    commits). Returns the number of volunteers written."""
    session.flush()
    _write(session, values, None)
    # counted, not the INSERT's rowcount: psycopg reports -1 for an INSERT … SELECT
    return session.connection().execute(
        select(func.count()).select_from(VolunteerStars.__table__)).scalar_one()


def check(session: Session, *, values: dict) -> list[tuple[int, str, object, object]]:
    """Every (volunteer_id, column, stored, raw) that differs, stored moments vs fresh ones."""
    conn = session.connection()
    table = VolunteerStars.__table__
    stored = {row[0]: row[1:] for row in conn.execute(
        select(table.c.volunteer_id, *(table.c[c] for c in COLUMNS)))}
    raw = {row[0]: row[1:] for row in conn.execute(_moments(values, None))}
    out = []
    for vid in sorted(stored.keys() | raw.keys()):
        a, b = stored.get(vid, (None,) * 5), raw.get(vid, (None,) * 5)
        out.extend((vid, c, x, y) for c, x, y in zip(COLUMNS, a, b, strict=True) if x != y)
    return out
