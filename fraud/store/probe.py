"""Is the store reachable? Asked within a bound, remembered briefly, never piled up.

``/readyz`` is polled by load balancers every few seconds, by several of them. A
frozen database must not turn each poll into a thread waiting for minutes: the
probe runs one ``SELECT 1`` at a time on its own thread, answers "unavailable"
when it has no reply within ``answer_within`` seconds, and remembers each answer
for ``remember`` seconds.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy import Engine

OK = "ok"


class StoreProbe:
    def __init__(
        self,
        engine: Engine,
        *,
        answer_within: float = 1.0,
        remember: float = 1.0,
        guard: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        self.engine = engine
        self.guard = guard  # the connection watchdog's, so a frozen probe is cut too
        self.answer_within = answer_within
        self.remember = remember
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-probe")
        self._lock = threading.Lock()
        self._pending: Future[str] | None = None
        self._answer: tuple[float, str] | None = None  # (when, what)

    def check(self) -> str:
        """``"ok"`` or ``"unavailable: <why>"``; blocks at most ``answer_within`` seconds."""
        remembered, pending = self._remembered_or_pending()
        if remembered is not None:
            return remembered
        try:
            return pending.result(timeout=self.answer_within)
        except FutureTimeout:
            return self._no_answer()

    async def check_async(self) -> str:
        """:meth:`check` for async code: waits on the event loop, never blocks it."""
        remembered, pending = self._remembered_or_pending()
        if remembered is not None:
            return remembered
        try:
            return await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(pending)), self.answer_within
            )
        except TimeoutError:
            return self._no_answer()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _remembered_or_pending(self) -> tuple[str | None, Future[str]]:
        with self._lock:
            now = time.monotonic()
            if self._answer is not None and now - self._answer[0] < self.remember:
                return self._answer[1], Future()
            if self._pending is None:  # one probe at a time, whoever asks
                self._pending = self._executor.submit(self._probe)
            return None, self._pending

    def _no_answer(self) -> str:
        answer = f"unavailable: no answer within {self.answer_within:g} s"
        with self._lock:
            self._answer = (time.monotonic(), answer)
        return answer

    def _probe(self) -> str:
        try:
            with self.guard(), self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            answer = OK
        except Exception as exc:  # any failure means "unavailable"; the kind says why
            answer = f"unavailable: {type(exc).__name__}"
        with self._lock:
            self._answer = (time.monotonic(), answer)
            self._pending = None
        return answer
