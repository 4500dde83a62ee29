"""The migrations build exactly the tables of models/, and every SQLite connection is set up the
way ARCHITECTURE.md asks: WAL, foreign keys, a busy timeout, and writes that begin IMMEDIATE."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text
from sqlmodel import SQLModel, select

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from core import db, textsearch


@pytest.fixture
def fresh_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    db.upgrade(url)
    return url


def test_upgrading_a_fresh_database_gives_exactly_the_models(fresh_url):
    with db.engine(fresh_url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "render_as_batch": True,
                                                         "include_name": textsearch.include_name})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_the_database_is_at_the_single_head_revision(fresh_url):
    script = ScriptDirectory.from_config(db.alembic_config(fresh_url))
    heads = script.get_heads()
    assert len(heads) == 1
    with db.engine(fresh_url).connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)


def test_every_table_of_the_models_exists_with_its_foreign_keys(fresh_url):
    inspector = inspect(db.engine(fresh_url))
    tables = {t for t in inspector.get_table_names()
              if textsearch.include_name(t, "table", {})} - {"alembic_version"}
    assert tables == set(SQLModel.metadata.tables)
    fks = {(fk["referred_table"], tuple(fk["constrained_columns"]))
           for fk in inspector.get_foreign_keys("workorder")}
    assert ("site", ("site_id",)) in fks and ("team", ("team_id",)) in fks


def test_0003_renames_old_audit_rows_and_keeps_the_rest_and_back(tmp_path):
    from alembic import command

    from models import AuditAction

    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = db.alembic_config(url)
    command.upgrade(cfg, "0002")
    old = ["login", "login_failed", "logout", "password.change", "setup", "import.surveys",
           "export.surveys", "export.menu", "user.create", "settings.update"]
    with db.engine(url).begin() as conn:
        for name in old:
            conn.execute(text("INSERT INTO auditlog (at, action, target, detail) "
                              "VALUES ('2026-01-01 00:00:00.000000', :a, '', '')"), {"a": name})
    command.upgrade(cfg, "head")
    with db.engine(url).connect() as conn:
        names = conn.execute(text("SELECT action FROM auditlog ORDER BY id")).scalars().all()
    assert names == [
        "auth.login", "auth.login_failed", "auth.logout", "auth.password_change",
        "install.setup", "surveys.import", "surveys.export", "menu.export", "user.create",
        "settings.update"]
    assert set(names) <= {a.value for a in AuditAction}
    command.downgrade(cfg, "0002")
    with db.engine(url).connect() as conn:
        assert conn.execute(text("SELECT action FROM auditlog ORDER BY id")).scalars().all() == old


def test_upgrade_runs_once_per_url_and_again_is_harmless(fresh_url):
    db.upgrade(fresh_url)  # remembered: returns at once
    db._upgraded.discard(fresh_url)
    db.upgrade(fresh_url)  # really runs alembic again: nothing to do, nothing breaks
    with db.engine(fresh_url).connect() as conn:
        assert conn.execute(text("select count(*) from alembic_version")).scalar_one() == 1


# --- connection set-up -----------------------------------------------------------------------


def test_every_connection_uses_wal_foreign_keys_and_a_busy_timeout(fresh_url):
    with db.session(fresh_url) as s:
        pragma = {name: s.exec(text(f"PRAGMA {name}")).scalar_one()
                  for name in ("journal_mode", "foreign_keys", "busy_timeout")}
    assert pragma["journal_mode"] == "wal"
    assert pragma["foreign_keys"] == 1
    assert pragma["busy_timeout"] >= 1000


def test_foreign_keys_are_enforced(fresh_url):
    from sqlalchemy.exc import IntegrityError

    with db.write_session(fresh_url) as s:
        with pytest.raises(IntegrityError):
            s.exec(text("INSERT INTO site (name, level, parent_id, path) "
                        "VALUES ('孤儿', 'point', 4242, '/x/')"))


def _statements(url):
    """Record the SQL that reaches the driver on this engine."""
    seen: list[str] = []

    def remember(conn, cursor, statement, *args):
        seen.append(statement.strip().upper())

    event.listen(db.engine(url), "before_cursor_execute", remember)
    return seen, lambda: event.remove(db.engine(url), "before_cursor_execute", remember)


def test_a_write_session_begins_immediate_and_a_read_session_deferred(fresh_url):
    seen, stop = _statements(fresh_url)
    try:
        with db.write_session(fresh_url) as s:
            s.exec(text("SELECT 1")).all()
        with db.session(fresh_url) as s:
            s.exec(text("SELECT 1")).all()
    finally:
        stop()
    assert [x for x in seen if x.startswith("BEGIN")] == ["BEGIN IMMEDIATE", "BEGIN DEFERRED"]
    assert seen.index("BEGIN IMMEDIATE") < seen.index("SELECT 1")


def test_a_second_writer_waits_for_the_first_instead_of_failing(fresh_url):
    started, finished = threading.Event(), threading.Event()
    outcome: list[object] = []

    def second_writer():
        try:
            with db.write_session(fresh_url) as s:
                started.set()
                # reading first, then writing: the case that fails at once when deferred
                n = s.exec(text("SELECT count(*) FROM setting")).scalar_one()
                s.exec(text("INSERT INTO setting (key, value, updated_at) "
                            "VALUES ('second', :n, '2026-01-01 00:00:00.000000')"), params={"n": n})
                s.commit()
            outcome.append(n)
        except Exception as err:  # reported below
            outcome.append(err)
        finally:
            finished.set()

    with db.write_session(fresh_url) as first:
        first.exec(text("INSERT INTO setting (key, value, updated_at) "
                        "VALUES ('first', '1', '2026-01-01 00:00:00.000000')"))
        thread = threading.Thread(target=second_writer)
        thread.start()
        assert started.wait(5)
        time.sleep(0.3)
        assert not finished.is_set(), "the second writer did not wait for the first"
        first.commit()
    thread.join(10)
    assert outcome == [1]  # it saw the first writer's row, then wrote its own
    with db.session(fresh_url) as s:
        keys = s.exec(text("SELECT key FROM setting ORDER BY key")).scalars().all()
    assert keys == ["first", "second"]


def test_readers_are_not_blocked_by_a_writer(fresh_url):
    with db.write_session(fresh_url) as writer:
        writer.exec(text("INSERT INTO setting (key, value, updated_at) "
                         "VALUES ('pending', '1', '2026-01-01 00:00:00.000000')"))
        start = time.perf_counter()
        with db.session(fresh_url) as reader:
            assert reader.exec(text("SELECT count(*) FROM setting")).scalar_one() == 0
        assert time.perf_counter() - start < 2


def test_a_backup_of_a_live_database_is_a_consistent_copy(fresh_url, tmp_path):
    with db.write_session(fresh_url) as s:
        s.exec(text("INSERT INTO setting (key, value, updated_at) "
                    "VALUES ('kept', '1', '2026-01-01 00:00:00.000000')"))
        s.commit()
        s.exec(text("INSERT INTO setting (key, value, updated_at) "
                    "VALUES ('uncommitted', '1', '2026-01-01 00:00:00.000000')"))
        target = tmp_path / "backup.db"
        db.backup(fresh_url, target)  # while the writer still holds its transaction
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("SELECT key FROM setting").fetchall() == [("kept",)]
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        copy.close()


def test_constraint_and_index_names_are_unique_across_tables():
    """PostgreSQL keeps unique constraints, primary keys and indexes in one namespace per schema
    (SQLite names them per table): two tables with a constraint called "site_name" migrate on
    SQLite and fail on PostgreSQL with "relation already exists"."""
    seen: dict[str, str] = {}
    clashes = []
    for table in SQLModel.metadata.sorted_tables:
        named = [c.name for c in table.constraints if c.name and not c.__class__.__name__
                 .startswith(("ForeignKey", "Check"))]
        named += [i.name for i in table.indexes if i.name]
        for name in named:
            if name in seen and seen[name] != table.name:
                clashes.append((name, seen[name], table.name))
            seen.setdefault(name, table.name)
    assert clashes == []


def test_0016_down_and_up_keeps_the_order_search_triggers_and_waiting_orders_columns(tmp_path):
    """0016 adds columns without rebuilding workorder; its downgrade rebuilds it (batch) and
    must give back 0013's search triggers."""
    from alembic import command

    url = f"sqlite:///{tmp_path / 'review.db'}"
    cfg = db.alembic_config(url)
    command.upgrade(cfg, "head")

    def triggers():
        with db.engine(url).connect() as conn:
            return set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                         " AND tbl_name = 'workorder'")).scalars())

    before = triggers()
    assert {"ordersearch_insert", "ordersearch_update", "ordersearch_delete"} <= before
    command.downgrade(cfg, ScriptDirectory.from_config(cfg).get_revision("0016").down_revision)
    assert triggers() == before
    with db.engine(url).connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("workorder")}
    assert not {"reviewed_at", "return_reason", "return_count"} & columns
    command.upgrade(cfg, "head")
    with db.engine(url).connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("workorder")}
    assert {"reviewed_at", "return_reason", "return_count"} <= columns
    db.engine(url).dispose()


def test_0021_fills_the_team_of_accept_events_written_before_it(tmp_path):
    """Accept events written before 0021 carry no team; the migration takes it from the order,
    which is the team the old rule read through coalesce: after it no accept event lacks one,
    and 预警's fast rule names the teams the old window query named. On PostgreSQL too when
    the tests run there."""
    from datetime import UTC, date, datetime, timedelta

    from alembic import command

    from services import alerts, orders
    from tests import engines
    from tests.factories import build_town, place
    from tests.services import raw_figures

    url = (engines.fresh_database("mig_0021") if engines.on_postgres()
           else f"sqlite:///{tmp_path / 'answers.db'}")
    db.upgrade(url)
    at = datetime(2026, 3, 2, 2, tzinfo=UTC)
    with db.write_session(url) as s:
        town = build_town(s)
        for i, (team, lead, accept) in enumerate([
                (town.team_a, town.lead_a, True), (town.team_a, town.lead_a, False),
                (town.team_b, town.lead_b, True), (town.team_a, town.lead_a, False),
                (town.team_a, town.lead_a, False), (town.team_b, town.lead_b, False)]):
            order = place(s, town, now=at, due_on=date(2026, 3, 28))
            orders.dispatch(s, actor=town.manager, order_id=order.id, team_id=team,
                            now=at + i * timedelta(hours=1))
            answer = orders.accept if accept else orders.decline
            answer(s, actor=lead, order_id=order.id, now=at + i * timedelta(hours=1),
                   **({} if accept else {"reason": "人手不足"}))
    cfg = db.alembic_config(url)
    command.downgrade(cfg, ScriptDirectory.from_config(cfg).get_revision("0021").down_revision)
    with db.engine(url).begin() as conn:  # as the code before 0021 wrote them
        conn.execute(text("UPDATE orderevent SET team_id = NULL WHERE action = 'accept'"))
    with db.session(url) as s:
        before = raw_figures.declining_teams(s, town.leader)
    command.upgrade(cfg, "head")
    with db.engine(url).connect() as conn:
        rows = conn.execute(text(
            "SELECT e.team_id, w.team_id FROM orderevent e JOIN workorder w"
            " ON w.id = e.order_id WHERE e.action = 'accept'")).all()
        indexes = {i["name"] for i in inspect(conn).get_indexes("orderevent")}
    assert len(rows) == 2 and all(event == order is not None for event, order in rows)
    assert "ix_orderevent_team_answers" in indexes
    with db.session(url) as s:
        assert [a["name"] for a in before] == ["宣讲支队"]
        assert alerts._declining_teams(s, town.leader) == before
        assert raw_figures.declining_teams(s, town.leader) == before
    db.engine(url).dispose()


def test_0022_fills_each_orders_facts_as_the_services_would_have_kept_them(tmp_path):
    """Orders written before 0022 have no facts; the migration computes every row by the
    definition (services/order_facts.py), so after it `check` finds nothing and the 绩效评价
    table is the one the services' own rows give. On PostgreSQL too when the tests run there."""
    from datetime import UTC, date, datetime, timedelta

    from alembic import command

    from models import OrderFact
    from services import completions, evaluation, order_facts, orders, periods
    from tests import engines
    from tests.factories import build_town, place

    url = (engines.fresh_database("mig_0022") if engines.on_postgres()
           else f"sqlite:///{tmp_path / 'facts.db'}")
    db.upgrade(url)
    at = datetime(2026, 3, 2, 2, tzinfo=UTC)
    with db.write_session(url) as s:
        town = build_town(s)
        for i in range(4):
            order = place(s, town, now=at, due_on=date(2026, 3, 10 + i))
            orders.dispatch(s, actor=town.manager, order_id=order.id, team_id=town.team_a,
                            now=at + timedelta(hours=1))
            orders.accept(s, actor=town.lead_a, order_id=order.id, now=at + timedelta(hours=3))
            if i % 2:
                completions.complete(s, actor=town.lead_a, order_id=order.id,
                                     done=completions.Completion(
                                         beneficiaries={"general": 3 + i},
                                         hours={town.volunteers_a[0]: 2}),
                                     now=at + timedelta(days=2 * i))
        march = periods.month(2026, 3)
        kept = evaluation.teams(s, actor=town.leader, period=march, now=at).rows
        facts = [r.model_dump() for r in s.exec(select(OrderFact)
                                                 .order_by(OrderFact.order_id)).all()]
    cfg = db.alembic_config(url)
    command.downgrade(cfg, "0021")
    with db.engine(url).connect() as conn:
        assert "orderfact" not in inspect(conn).get_table_names()
    command.upgrade(cfg, "head")
    with db.session(url) as s:
        assert order_facts.check(s, tz="Asia/Shanghai") == []
        assert [r.model_dump() for r in s.exec(select(OrderFact)
                                               .order_by(OrderFact.order_id)).all()] == facts
        assert evaluation.teams(s, actor=town.leader, period=march, now=at).rows == kept
    assert len(facts) == 4 and sum(f["done"] for f in facts) == 2
    db.engine(url).dispose()


def test_0023_copies_each_orders_team_onto_its_service_records(tmp_path):
    """Records written before 0023 have no team; the migration copies their order's, so the
    county's 志愿服务队 table (volunteers who served, read per team from the records) is the
    one the services' own rows give. On PostgreSQL too when the tests run there."""
    from datetime import UTC, date, datetime, timedelta

    from alembic import command

    from models import ServiceRecord, User
    from services import completions, evaluation, order_facts, orders, periods, users
    from tests import engines
    from tests.factories import build_town, place

    url = (engines.fresh_database("mig_0023") if engines.on_postgres()
           else f"sqlite:///{tmp_path / 'teams.db'}")
    db.upgrade(url)
    at = datetime(2026, 3, 2, 2, tzinfo=UTC)
    with db.write_session(url) as s:
        town = build_town(s)
        for i, (team, lead) in enumerate(((town.team_a, town.lead_a), (town.team_b, town.lead_b))):
            order = place(s, town, now=at, due_on=date(2026, 3, 10))
            orders.dispatch(s, actor=town.manager, order_id=order.id, team_id=team,
                            now=at + timedelta(hours=1))
            orders.accept(s, actor=lead, order_id=order.id, now=at + timedelta(hours=3))
            completions.complete(s, actor=lead, order_id=order.id, done=completions.Completion(
                beneficiaries={"general": 3}, hours={town.volunteers_a[i]: 2}),
                now=at + timedelta(days=1))
        county = users.to_actor(s, s.exec(select(User).where(User.username == "boss")).one())
        boss = evaluation.teams(s, actor=county, period=periods.month(2026, 3), now=at).rows
        teams = dict(s.exec(select(ServiceRecord.id, ServiceRecord.team_id)).all())
    assert sorted(teams.values()) == sorted((town.team_a, town.team_b))
    assert sum(r["volunteers"] for r in boss) == 2
    cfg = db.alembic_config(url)
    command.downgrade(cfg, "0022")
    with db.engine(url).connect() as conn:
        assert "team_id" not in {c["name"] for c in inspect(conn).get_columns("servicerecord")}
    command.upgrade(cfg, "head")
    with db.session(url) as s:
        assert order_facts.check(s, tz="Asia/Shanghai") == []
        assert dict(s.exec(select(ServiceRecord.id, ServiceRecord.team_id)).all()) == teams
        assert evaluation.teams(s, actor=county, period=periods.month(2026, 3),
                                now=at).rows == boss
    db.engine(url).dispose()
