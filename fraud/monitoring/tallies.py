"""Counting things that happen deep in the library (a webhook attempt that failed) without
the library knowing about Prometheus or the web app.

Code calls :func:`tally` with a name and one label value from a bounded set; the app
installs a sink (``api/metrics.py``) that turns it into a counter. Without a sink, as in
the CLI and notebooks, a tally costs one global look-up.
"""

from __future__ import annotations

from typing import Protocol

WEBHOOK_FAILURE = "webhook_failure"
"""A webhook attempt that failed (label: ``failed``, will retry; ``gave_up``)."""


class TallySink(Protocol):
    def tallied(self, name: str, label: str) -> None: ...


_sink: TallySink | None = None


def set_tally_sink(sink: TallySink | None) -> TallySink | None:
    """Install ``sink`` (``None``: count nothing); returns the previous one."""
    global _sink
    previous, _sink = _sink, sink
    return previous


def tally(name: str, label: str) -> None:
    sink = _sink
    if sink is not None:
        sink.tallied(name, label)
