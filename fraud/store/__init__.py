"""The store: SQLAlchemy tables (:mod:`~fraud.store.tables`), the codecs values cross
with (:mod:`~fraud.store.codecs`), Alembic migrations, and the functions that read and
write them (:mod:`~fraud.store.repository`, :mod:`~fraud.store.apikeys`,
:mod:`~fraud.store.history`, :mod:`~fraud.store.shadow`). SQLite (WAL) is the embedded
default; PostgreSQL goes through psycopg 3. Nothing outside this package sees a
database row."""
