"""order search index: orders' codes and titles as character pairs in SQLite FTS5
(core/textsearch.py), kept by triggers; nothing on PostgreSQL (it searches with LIKE)

The triggers call dd_grams(), which core/db registers on every SQLite connection. A later
migration that rebuilds `workorder` in batch mode (copy, drop, rename) drops these triggers with
the old table: it must create them again (call create_triggers()).

Revision ID: 0013
Revises: 0011 (written on 0004; chained after main's 0014 → 0011 when merged)
Create Date: 2026-12-01 15:50:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0013'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TRIGGERS = {
    "ordersearch_insert": """
        CREATE TRIGGER ordersearch_insert AFTER INSERT ON workorder BEGIN
          INSERT INTO ordersearch(rowid, grams) VALUES (new.id, dd_grams(new.code, new.title));
        END""",
    "ordersearch_update": """
        CREATE TRIGGER ordersearch_update AFTER UPDATE OF code, title ON workorder BEGIN
          INSERT INTO ordersearch(ordersearch, rowid, grams)
            VALUES ('delete', old.id, dd_grams(old.code, old.title));
          INSERT INTO ordersearch(rowid, grams) VALUES (new.id, dd_grams(new.code, new.title));
        END""",
    "ordersearch_delete": """
        CREATE TRIGGER ordersearch_delete AFTER DELETE ON workorder BEGIN
          INSERT INTO ordersearch(ordersearch, rowid, grams)
            VALUES ('delete', old.id, dd_grams(old.code, old.title));
        END""",
}


def create_triggers() -> None:
    for sql in TRIGGERS.values():
        op.execute(sql)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # Contentless (the pairs are not stored twice); the ascii tokenizer, because every token
    # is a plain ASCII word of hex digits (core/textsearch.py).
    op.execute("CREATE VIRTUAL TABLE ordersearch USING fts5(grams, content='', "
               "tokenize='ascii')")
    op.execute("INSERT INTO ordersearch(rowid, grams) "
               "SELECT id, dd_grams(code, title) FROM workorder")
    create_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS ordersearch")
