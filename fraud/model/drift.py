"""Drift: how far recent orders' features and scores have moved from a reference window.

A :class:`Profile` summarises the reference (the model's training rows, or a window of
stored orders): for each feature its bins and the share of rows in each, and the same
for the model's score. :func:`compare` bins recent rows with the reference's bins and
measures each feature's move with the population stability index::

    PSI = sum over bins of (recent share - reference share) * ln(recent share / reference share)

Common reading: below 0.1 stable, 0.1 to 0.25 a moderate move, above 0.25 a shift worth a
look. A feature is *drifting* when its PSI passes the threshold (``FRAUD_DRIFT_THRESHOLD``).

Numbers are cut at the reference's deciles; categories keep the reference's most common
values, the rest falls in one "other" bin; a missing value has a bin of its own, so a
signal that stops answering shows as drift too. Pure: frames and numbers in, numbers out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCORE = "model_score"
"""The name the model's probability is profiled under, beside the features."""
NUM_BINS = 10
TOP_CATEGORIES = 20
MISSING = "(missing)"
OTHER = "(other)"
# An empty bin would make PSI infinite: shares are floored at this.
SHARE_FLOOR = 1e-4
PROFILE_FORMAT = 1


@dataclass(frozen=True)
class Binning:
    """One feature's bins and the reference's share of rows in each.

    Numbers: ``edges`` cut the line into ``len(edges) + 1`` bins, then a bin for missing.
    Categories (and booleans, as text): one bin per ``categories`` value, ``(other)``,
    then missing.
    """

    name: str
    kind: str  # "num" or "cat"
    shares: tuple[float, ...]
    edges: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        if self.kind == "num":
            bounds = ("-inf", *(f"{e:g}" for e in self.edges), "inf")
            return (*(f"[{a}, {b})" for a, b in zip(bounds, bounds[1:], strict=False)), MISSING)
        return (*self.categories, OTHER, MISSING)

    def counts(self, values: Iterable[Any]) -> np.ndarray:
        """How many of ``values`` fall in each bin."""
        counts = np.zeros(len(self.labels), dtype=np.int64)
        if self.kind == "num":
            numbers = []
            for v in values:
                x = _number(v)
                if x is None:
                    counts[-1] += 1
                else:
                    numbers.append(x)
            if numbers:
                idx = np.searchsorted(np.asarray(self.edges), np.asarray(numbers), side="right")
                counts[: len(self.edges) + 1] += np.bincount(idx, minlength=len(self.edges) + 1)
            return counts
        where = {c: i for i, c in enumerate(self.categories)}
        other = len(self.categories)
        for v in values:
            text = _category(v)
            counts[other + 1 if text is None else where.get(text, other)] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "shares": list(self.shares)}
        if self.kind == "num":
            out["edges"] = list(self.edges)
        else:
            out["categories"] = list(self.categories)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Binning:
        kind = data["kind"]
        if kind not in ("num", "cat"):
            raise ValueError(f"binning {data.get('name')!r}: kind {kind!r} is not num or cat")
        binning = cls(
            name=str(data["name"]),
            kind=kind,
            shares=tuple(float(s) for s in data["shares"]),
            edges=tuple(float(e) for e in data.get("edges", ())),
            categories=tuple(str(c) for c in data.get("categories", ())),
        )
        if len(binning.shares) != len(binning.labels):
            raise ValueError(f"binning {binning.name!r}: {len(binning.shares)} shares for "
                             f"{len(binning.labels)} bins")
        return binning


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, str):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _category(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def shares_of(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    if total == 0:
        return np.zeros(len(counts))
    return counts / total


def binning_of(name: str, kind: str, values: Sequence[Any]) -> Binning:
    """Bins for ``values`` (the reference): deciles for numbers, top values for the rest."""
    if kind == "num":
        numbers = np.asarray([x for x in map(_number, values) if x is not None])
        edges: tuple[float, ...] = ()
        if len(numbers):
            inner = np.quantile(numbers, np.linspace(0, 1, NUM_BINS + 1)[1:-1])
            edges = tuple(float(e) for e in np.unique(inner))
        binning = Binning(name, "num", (), edges=edges)
    else:
        common = Counter(c for c in map(_category, values) if c is not None)
        categories = tuple(sorted(c for c, _ in common.most_common(TOP_CATEGORIES)))
        binning = Binning(name, "cat", (), categories=categories)
    shares = tuple(float(s) for s in shares_of(binning.counts(values)))
    return Binning(binning.name, binning.kind, shares, binning.edges, binning.categories)


def psi(reference: Sequence[float] | np.ndarray, recent: Sequence[float] | np.ndarray) -> float:
    """Population stability index of two share vectors over the same bins."""
    e = np.maximum(np.asarray(reference, dtype=float), SHARE_FLOOR)
    a = np.maximum(np.asarray(recent, dtype=float), SHARE_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class Profile:
    """The reference: every feature's binning, the score's, and what it was made from."""

    binnings: tuple[Binning, ...]
    rows: int
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"format": PROFILE_FORMAT, "rows": self.rows, "source": self.source,
                "binnings": [b.to_json() for b in self.binnings]}

    @classmethod
    def from_json(cls, data: Any) -> Profile:
        if not isinstance(data, Mapping) or data.get("format") != PROFILE_FORMAT:
            raise ValueError(f"not a drift profile of format {PROFILE_FORMAT}")
        return cls(tuple(Binning.from_json(b) for b in data["binnings"]), int(data["rows"]),
                   str(data.get("source", "")))


def profile_of(
    columns: Mapping[str, Sequence[Any]],
    kinds: Mapping[str, str],
    scores: Sequence[float] | None = None,
    *,
    source: str = "",
) -> Profile:
    """The reference profile of ``columns`` (name -> values, one per row) of the given
    ``kinds`` (num, bool, cat), and of the model's ``scores`` when given."""
    binnings = [binning_of(name, "num" if kinds[name] == "num" else "cat", list(values))
                for name, values in columns.items() if name in kinds]
    if scores is not None:
        binnings.append(binning_of(SCORE, "num", list(scores)))
    rows = len(next(iter(columns.values()), ())) if columns else len(scores or ())
    return Profile(tuple(binnings), rows, source)


@dataclass(frozen=True)
class Move:
    """One feature's drift: its PSI and the bin whose share moved the most."""

    name: str
    psi: float
    bin: str
    reference_share: float
    recent_share: float


@dataclass(frozen=True)
class DriftReport:
    """Every profiled feature's move, largest first, against ``threshold``."""

    moves: tuple[Move, ...]
    threshold: float
    reference_rows: int
    recent_rows: int
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def drifting(self) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if m.psi > self.threshold)

    @property
    def is_drifting(self) -> bool:
        return bool(self.drifting)

    def top(self, n: int = 5) -> tuple[Move, ...]:
        return self.moves[:n]

    def score(self) -> Move | None:
        return next((m for m in self.moves if m.name == SCORE), None)

    def summary(self, n: int = 3) -> str:
        """One line: the verdict and the top movers (what ``/readyz`` shows)."""
        movers = ", ".join(f"{m.name} {m.psi:.2f}" for m in self.top(n))
        verdict = "drifting" if self.is_drifting else "ok"
        return (f"{verdict}: PSI over {self.threshold:g} on {len(self.drifting)} of "
                f"{len(self.moves)}; top {movers} ({self.recent_rows} recent orders)")


def compare(
    reference: Profile,
    columns: Mapping[str, Sequence[Any]],
    scores: Sequence[float] | None = None,
    *,
    threshold: float,
) -> DriftReport:
    """Bin recent ``columns`` (and ``scores``) with the reference's bins; PSI per feature.

    Features the reference has but the recent rows lack are left out (a feature added
    since is not drift); so is the score when no recent scores are given.
    """
    moves = []
    recent_rows = 0
    for binning in reference.binnings:
        values = scores if binning.name == SCORE else columns.get(binning.name)
        if values is None:
            continue
        values = list(values)
        recent_rows = max(recent_rows, len(values))
        shares = shares_of(binning.counts(values))
        change = np.abs(shares - np.asarray(binning.shares))
        worst = int(np.argmax(change))
        moves.append(Move(binning.name, psi(binning.shares, shares), binning.labels[worst],
                          binning.shares[worst], float(shares[worst])))
    moves.sort(key=lambda m: m.psi, reverse=True)
    return DriftReport(tuple(moves), threshold, reference.rows, recent_rows, reference.source)
