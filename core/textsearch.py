"""The order search index: an order's code and title as character bigrams, for SQLite FTS5.

`LIKE '%义诊%'` cannot use an index, so at county scale every search read the whole order table
(1.6 s for a code fragment, 0.7 s for a title word at a million orders). A trigram index cannot
answer a two-character word, and Chinese search words are mostly two characters. So each field
is written as its overlapping character pairs, one token per pair (the code points in hex, so
the FTS5 tokenizer sees plain ASCII words), plus a closing token for the field's last character:

    "义诊" → 00004e49008bca 00008bcazzzzzz

A search text of n ≥ 2 characters is the phrase of its n − 1 pairs: consecutive pair tokens of
one field spell exactly that substring, and no pair crosses a field, so the phrase matches
exactly the orders whose code or title contains the text. One character is a prefix query on the
pair tokens that start with it (the closing token covers the last character). ASCII letters are
folded to lower case first, which is what SQLite's LIKE does, so the index finds what
`code LIKE '%…%' OR title LIKE '%…%'` found, minus LIKE's wildcards (`%`, `_` are literal here).

The index (table `ordersearch`, migration 0013) is kept by SQLite triggers that call
`dd_grams(code, title)`; core/db registers that function on every SQLite connection, and so must
any other program that writes orders into the file (bench/build.py does). PostgreSQL has no such
table and searches with LIKE (services/order_queries._text).
"""

from __future__ import annotations

from itertools import pairwise

TABLE = "ordersearch"
_END = "zzzzzz"
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _hex(ch: str) -> str:
    return f"{ord(ch):06x}"


def _field(text: str) -> list[str]:
    chars = [_hex(c) for c in text.translate(_FOLD)]
    if not chars:
        return []
    return [a + b for a, b in pairwise(chars)] + [chars[-1] + _END]


def grams(code: str | None, title: str | None) -> str:
    """The indexed text of one order: the pair tokens of its code, then of its title."""
    return " ".join(_field(code or "") + _field(title or ""))


def match_query(text: str) -> str | None:
    """The FTS5 query that finds exactly the orders whose code or title contains `text`
    (ASCII case folded), or None for an empty text."""
    chars = [_hex(c) for c in text.translate(_FOLD)]
    if not chars:
        return None
    if len(chars) == 1:
        return f"{chars[0]}*"
    return '"' + " ".join(a + b for a, b in pairwise(chars)) + '"'


def register(dbapi_conn) -> None:
    """Make dd_grams() known to a sqlite3 connection (the triggers of migration 0013 call it)."""
    dbapi_conn.create_function("dd_grams", 2, grams, deterministic=True)


def include_name(name, type_, _parent_names) -> bool:
    """For Alembic's autogenerate: the FTS5 table and its shadow tables are not models."""
    return not (type_ == "table" and name and name.startswith(TABLE))
