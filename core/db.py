"""Engines, sessions, migrations and the few SQL spots where SQLite and PostgreSQL differ."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Float, case, cast, event, func, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from core import backup as backups
from core import config, textsearch
from models.data_version import DATA_VERSION_ID, DataVersion

MIGRATIONS = config.ROOT / "migrations"


def utcnow() -> datetime:
    return datetime.now(UTC)


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class Busy(Exception):
    """The database did not become free in time (a full pool, a write lock held too long).
    Nothing was written; the UI says "系统繁忙，请稍后再试"."""


# Every server process shares one pool per database. Sized for the sessions of a centre's
# staff at once (measured: 50 concurrent writers on SQLite, see the README's soak figures),
# with waits bounded by DIANDAN_DB_TIMEOUT instead of SQLAlchemy's 30 s.
POOL_SIZE = 20
MAX_OVERFLOW = 40


def _pool_args() -> dict:
    return {"pool_size": POOL_SIZE, "max_overflow": MAX_OVERFLOW,
            "pool_timeout": config.db_timeout(), "pool_use_lifo": False}


class FairLock:
    """A first-come, first-served lock with a bounded wait.

    SQLite's own busy handler polls with growing sleeps, so a writer that has waited long sleeps
    longest and a newcomer often takes the write lock first: under 20 writers the slowest waited
    29.5 s. Within one server process, writers queue here in arrival order instead, and each
    takes SQLite's lock only when it is its turn (other processes still meet the busy timeout).
    """

    def __init__(self):
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Event] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held and not self._waiting:
                self._held = True
                return True
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over just as the wait ran out
                return True
            self._waiting.remove(turn)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().set()  # handed straight to the next in line
            else:
                self._held = False


_HELD = "diandan_write_turn"
_IN_USE: dict[str, object] = {}


_ENGINES: OrderedDict[str, Engine] = OrderedDict()
_ENGINES_KEPT = 8
_ENGINES_LOCK = threading.Lock()


def engine_for(url: str) -> Engine:
    """One engine per URL, so tests can point the app at a temporary database; the eight used
    last are kept. One pushed out is disposed: its idle connections would otherwise stay open
    until collected, and on SQLite an open WAL connection keeps the next connection to a
    fresh copy of that file from switching it to WAL ("database is locked" after the busy
    timeout, seen when a test suite went through more than eight files)."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is not None:
            _ENGINES.move_to_end(url)
            return engine
        engine = _ENGINES[url] = _make_engine(url)
        pushed_out = _ENGINES.popitem(last=False)[1] if len(_ENGINES) > _ENGINES_KEPT else None
    if pushed_out is not None:
        pushed_out.dispose()
    return engine


def _prepare_sqlite(dbapi_conn, timeout: float) -> None:
    """Every new SQLite connection: transactions begun by SQLAlchemy, the busy timeout, WAL,
    foreign keys, and the order search's function."""
    # Let SQLAlchemy, not the driver, decide when a transaction begins (SQLAlchemy's
    # documented SQLite recipe), so that writes can start with BEGIN IMMEDIATE.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # The busy timeout first: switching to WAL needs a lock, and a connection opened while
    # another writes would otherwise get "database is locked" at once (seen, rarely, in
    # tests/services/test_concurrency.py).
    cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    # Switch to WAL only when the file is not in it yet (once per database): asking again on
    # every connection takes a lock for nothing.
    if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
    textsearch.register(dbapi_conn)  # the order search index's triggers call it


def _make_engine(url: str) -> Engine:
    """Errors never print their parameters (hide_parameters): a failed INSERT must not put a
    phone number or a password hash into the log."""
    if not _is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, hide_parameters=True, **_pool_args())
    timeout = config.db_timeout()
    kwargs: dict = {"connect_args": {"check_same_thread": False, "timeout": timeout},
                    "hide_parameters": True}
    if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
        kwargs["poolclass"] = StaticPool
    else:
        kwargs.update(_pool_args())
    engine = create_engine(url, **kwargs)
    _IN_USE[url] = backups.hold_in_use(url)  # restore refuses while this process runs
    turns = FairLock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        _prepare_sqlite(dbapi_conn, timeout)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE" and not conn.info.get(_HELD):
            if not turns.acquire(timeout):
                raise Busy("no turn to write within the timeout")
            conn.info[_HELD] = True
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            _end_turn(conn.info)
            raise

    def _end_turn(info) -> None:
        if info.pop(_HELD, False):
            turns.release()

    # The turn ends with the transaction, however it ends: commit, rollback, or the pool
    # taking the connection back (a session closed without either).
    event.listen(engine, "commit", lambda conn: _end_turn(conn.info))
    event.listen(engine, "rollback", lambda conn: _end_turn(conn.info))
    event.listen(engine, "checkin", lambda _dbapi, record: _end_turn(record.info))
    return engine


def engine(url: str | None = None) -> Engine:
    return engine_for(url or config.database_url())


@contextmanager
def _busy_as_busy() -> Iterator[None]:
    """A pool timeout or SQLite's "database is locked" becomes Busy; the session's transaction
    is rolled back on the way out, so nothing is half-written."""
    try:
        yield
    except SATimeoutError as err:
        raise Busy(str(err)) from None
    except OperationalError as err:
        message = str(err.orig).lower()
        if "locked" in message or "busy" in message:
            raise Busy(message) from None
        raise


@contextmanager
def session(url: str | None = None) -> Iterator[Session]:
    """A read session: a deferred transaction that never blocks other readers."""
    with _busy_as_busy(), Session(engine(url), expire_on_commit=False) as s:
        yield s


@contextmanager
def write_session(url: str | None = None) -> Iterator[Session]:
    """A session whose transactions start with BEGIN IMMEDIATE on SQLite.

    A deferred transaction that reads and then writes fails at once with "database is locked"
    when another writer got there first, whatever the busy timeout; IMMEDIATE waits its turn.
    """
    eng = engine(url)
    if _is_sqlite(str(eng.url)):
        eng = eng.execution_options(sqlite_begin="IMMEDIATE")
    with _busy_as_busy(), Session(eng, expire_on_commit=False) as s:
        yield s


# --- the data version: what lets several app processes keep figures in memory -----------------
#
# Every transaction that writes anything also adds one to data_version.n, just before it commits
# (so the row is locked only for the commit itself). A process that keeps something computed from
# the data reads the version once per rerun (data_version()) and keys what it keeps by it: a
# write committed by any process is seen on the next rerun of every other one. Writes are seen
# here from both ORM flushes and UPDATE / INSERT / DELETE statements run through a session.

_WROTE = "diandan_wrote"


def mark_written(session: Session) -> None:
    """A write made on the session's connection (Core), which neither hook below sees: the
    commit moves the data version."""
    session.info[_WROTE] = True


def unseen_write(session: Session) -> None:
    """This transaction writes only rows that nothing kept per data version reads (a login's
    audit row and lockout): its commit leaves the version where it is, so what every process
    keeps stays valid. A login moved it, and the overview that follows each login recomputed
    every figure (bench/README.md, login → overview). Anything else written in the same
    transaction would go unseen too: call it only right before such a commit."""
    session.info[_UNSEEN] = True


_UNSEEN = "diandan_unseen"


@event.listens_for(Session, "after_flush")
def _flushed(session, _context):
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state):
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


# A Core statement built once: through the ORM (session.execute of an ORM update) the bump cost
# about as much Python time as a transition's own UPDATE.
_version_table = DataVersion.__table__
_BUMP = (update(_version_table).where(_version_table.c.id == DATA_VERSION_ID)
         .values(n=_version_table.c.n + 1))


@event.listens_for(Session, "before_commit")
def _bump_data_version(session):
    # SQLAlchemy flushes what is pending only after before_commit: flush it first, so that a
    # commit whose only writes were still pending (add, then commit) moves the version too.
    session.flush()
    unseen = session.info.pop(_UNSEEN, False)
    if session.info.pop(_WROTE, False) and not unseen:
        session.connection().execute(_BUMP)
        session.info.pop(_WROTE, None)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session):
    session.info.pop(_WROTE, None)
    session.info.pop(_UNSEEN, None)


def data_version(url: str | None = None) -> int:
    """The current data version: it moves on with every committed write, in any process."""
    with engine(url).connect() as conn:
        value = conn.execute(select(DataVersion.n).where(DataVersion.id == DATA_VERSION_ID))
        return int(value.scalar() or 0)


_upgrade_lock = threading.Lock()
_upgraded: set[str] = set()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    eng = engine(url)
    if _is_sqlite(url):
        # Migrating writes: begin IMMEDIATE, so that two processes starting on one new file
        # take turns instead of one failing with "database is locked".
        eng = eng.execution_options(sqlite_begin="IMMEDIATE")
    cfg.attributes["engine"] = eng
    return cfg


def upgrade(url: str | None = None) -> None:
    """Bring the schema to the newest migration; once per process and URL."""
    url = url or config.database_url()
    with _upgrade_lock:
        if url in _upgraded:
            return
        from alembic import command

        with _across_processes(url):
            command.upgrade(alembic_config(url), "head")
        _upgraded.add(url)


# Any fixed number: the key of the advisory lock that app processes take to migrate.
_MIGRATION_LOCK = 0x0D1A_0D0A


@contextmanager
def _across_processes(url: str) -> Iterator[None]:
    """One app process at a time migrates (two started together would both try to create the
    tables, or both add a column); the others wait, then find the schema at head. PostgreSQL:
    an advisory lock. SQLite: an exclusive lock on a file beside the database — its own write
    lock is not enough, since a migration's deferred transaction reads before it writes, and a
    second process could read the old version meanwhile and then run the same step."""
    if _is_sqlite(url):
        database = make_url(url).database
        if not database or database == ":memory:":
            yield
            return
        import fcntl

        path = Path(database)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_name(path.name + ".migrating"), "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    with engine(url).connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({_MIGRATION_LOCK})")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK})")
            conn.commit()


# --- the dialect-specific bits, behind one helper each ----------------------------------------


def _offset_minutes(tz: str) -> int:
    # Minutes, not hours: some zones are half an hour off UTC (Asia/Kolkata is +5:30).
    offset = utcnow().astimezone(ZoneInfo(tz)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def _local_wall_time(column, tz: str):
    # The columns are timestamptz (SQLModel's UTCDateTime): timezone(tz, timestamptz) is the
    # local wall-clock time in tz, whatever the server's TimeZone. Wrapping the column in
    # timezone('UTC', …) first, as one would for a naive timestamp, turns it into a naive UTC
    # time that timezone(tz, …) then reads as tz-local: shifted twice (issue 12).
    return func.timezone(tz, column)


def local_month(column, tz: str, dialect: str):
    """'YYYY-MM' of a UTC timestamp column in local time, computed by the database."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m", column, f"{_offset_minutes(tz):+d} minutes")
    return func.to_char(_local_wall_time(column, tz), "YYYY-MM")


def local_day(column, tz: str, dialect: str):
    """'YYYY-MM-DD' of a UTC timestamp column in local time, computed by the database."""
    if dialect == "sqlite":
        return func.date(column, f"{_offset_minutes(tz):+d} minutes")
    return func.to_char(_local_wall_time(column, tz), "YYYY-MM-DD")


def hours_between(start, end, dialect: str):
    """Hours from one timestamp column to another, computed by the database, the same on both:
    whole seconds and milliseconds exact (julianday's float days, rounded to the millisecond),
    then divided as floats, so that a median rounded to 0.1 h rounds alike on both engines."""
    if dialect == "sqlite":
        return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3) / 3600.0
    return cast(func.extract("epoch", end - start), Float) / 3600.0


def enum_order(column, enum_class):
    """ORDER BY an enum column in the enum's own order. PostgreSQL sorts a native enum by its
    declaration, SQLite the stored names alphabetically; this is the same on both."""
    return case(*[(column == member, i) for i, member in enumerate(enum_class)], else_=None)


def dialect_of(s: Session) -> str:
    return s.get_bind().dialect.name


def backup(url: str, target: Path) -> None:
    """Copy a live SQLite database safely (VACUUM INTO), never by copying the file."""
    # On the raw driver connection: a SQLAlchemy connection would run our "begin" hook first,
    # and SQLite cannot VACUUM inside a transaction.
    raw = engine(url).raw_connection()
    try:
        raw.driver_connection.execute("VACUUM INTO ?", (str(target),))
    finally:
        raw.close()



def flag(condition):
    """SQL: 1 when the condition holds, else 0 (an integer, so sums agree on every engine)."""
    return case((condition, 1), else_=0)


def count_where(condition):
    """SQL: how many rows of the group meet the condition (0, never NULL, for none)."""
    return func.coalesce(func.sum(flag(condition)), 0)
