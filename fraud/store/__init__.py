"""The store: SQLAlchemy tables (:mod:`~fraud.store.tables`), the codecs values cross
with (:mod:`~fraud.store.codecs`), Alembic migrations, and the functions that read and
write them (:mod:`~fraud.store.repository`, :mod:`~fraud.store.apikeys`,
:mod:`~fraud.store.history`, :mod:`~fraud.store.shadow`; the review pages' tables in
:mod:`~fraud.store.review_tables`). SQLite (WAL) is the embedded
default; PostgreSQL goes through psycopg 3. Nothing outside this package sees a
database row."""

# Imported here so every user of the store's metadata (migrations, the schema check)
# sees the review tables too.
from fraud.store import challenger as challenger  # noqa: E402  (challenger_scores)
from fraud.store import review_tables as review_tables  # noqa: E402
