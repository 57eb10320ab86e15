"""Rate limits: per API key, per client address, and failed authentication per address.

Counting is the ``limits`` library's (sliding-window counters), in process memory by
default or in Redis when ``FRAUD_RATE_LIMIT_REDIS_URL`` names one, so that several
workers or hosts share one budget. Three budgets, checked in this order:

* every ``/v1`` request counts against its client address (``FRAUD_RATE_LIMIT_PER_CLIENT``);
* a request whose key is not known good, from an address that has spent its budget of
  failed authentications (``FRAUD_RATE_LIMIT_FAILED_AUTH``), is refused before the key is
  looked up: a flood of invented keys costs no store query and no hashing;
* a valid key counts against its own budget (``FRAUD_RATE_LIMIT_PER_KEY``).

"Known good" is a key that authenticated from this process within the last ten minutes:
the order service keeps working from an address that also sends a flood of bad keys
(a shared NAT). It is only a shortcut past the failed-authentication check; the key is
still verified as usual, so a revoked key is refused.

If the Redis store cannot be reached the limits are not enforced (logged, at most once a
minute): an unreachable counter must not stop scoring.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Awaitable
from dataclasses import dataclass

from cachetools import TTLCache
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from fraud.errors import FraudError
from fraud.settings import Settings

log = logging.getLogger(__name__)

KNOWN_GOOD_SECONDS = 600.0
KNOWN_GOOD_SIZE = 10_000
STORE_TIMEOUT_SECONDS = 0.5  # a slow Redis must not hold a request for long
WARN_EVERY_SECONDS = 60.0


class TooManyRequests(FraudError):
    """429 with ``Retry-After``: the client spent its budget; nothing was done."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Budgets:
    per_key: RateLimitItem
    per_client: RateLimitItem
    failed_auth: RateLimitItem

    @classmethod
    def from_settings(cls, settings: Settings) -> Budgets:
        return cls(
            per_key=parse(settings.rate_limit_per_key),
            per_client=parse(settings.rate_limit_per_client),
            failed_auth=parse(settings.rate_limit_failed_auth),
        )


def make_storage(redis_url: str | None, key_prefix: str) -> Storage:
    """In-memory counters, or Redis ones shared by every worker using the same URL."""
    if not redis_url:
        return MemoryStorage()
    return RedisStorage(
        "async+" + redis_url,
        implementation="redispy",
        key_prefix=key_prefix,
        wrap_exceptions=True,
        socket_timeout=STORE_TIMEOUT_SECONDS,
        socket_connect_timeout=STORE_TIMEOUT_SECONDS,
    )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class RateLimits:
    """The three budgets of one running service (one per process; counts may be shared)."""

    def __init__(self, budgets: Budgets, storage: Storage) -> None:
        self.budgets = budgets
        self.storage = storage
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self._known_good: TTLCache[str, bool] = TTLCache(KNOWN_GOOD_SIZE, KNOWN_GOOD_SECONDS)
        self._warned_at = -math.inf

    @classmethod
    def from_settings(cls, settings: Settings, *, key_prefix: str = "fraud-rate") -> RateLimits:
        storage = make_storage(settings.rate_limit_redis_url, key_prefix)
        return cls(Budgets.from_settings(settings), storage)

    async def close(self) -> None:
        if isinstance(self.storage, RedisStorage):
            try:
                await self.storage.bridge.storage.aclose()  # type: ignore[attr-defined]
            except Exception:  # closing is best effort; the process is stopping anyway
                log.debug("rate limit store not closed cleanly", exc_info=True)

    # --- the checks, in the order a request meets them ---------------------------------

    async def spend_client(self, client: str) -> None:
        """Count one request from ``client``; 429 once its budget is spent."""
        await self._spend(self.budgets.per_client, "client", client,
                          "too many requests from this client address")

    async def check_failed_auth(self, client: str, secret: str | None) -> None:
        """Before a key is looked up: 429 if ``client`` spent its failed-authentication
        budget and this key has not authenticated here recently."""
        if secret is not None and _digest(secret) in self._known_good:
            return
        item = self.budgets.failed_auth
        allowed = await self._ask(self.limiter.test(item, "failed-auth", client))
        if not allowed:
            raise TooManyRequests(
                "too many failed authentications from this client address",
                await self._retry_after(item, "failed-auth", client),
            )

    async def spend_failed_auth(self, client: str) -> None:
        """Count one failed authentication from ``client`` (the 401 still goes out)."""
        await self._ask(self.limiter.hit(self.budgets.failed_auth, "failed-auth", client))

    async def spend_key(self, name: str, secret: str) -> None:
        """Count one request under the valid key ``name``; 429 once its budget is spent."""
        self._known_good[_digest(secret)] = True
        await self._spend(self.budgets.per_key, "key", name, "too many requests for this API key")

    # --- plumbing ---------------------------------------------------------------------

    async def _spend(self, item: RateLimitItem, kind: str, who: str, message: str) -> None:
        if not await self._ask(self.limiter.hit(item, kind, who)):
            raise TooManyRequests(message, await self._retry_after(item, kind, who))

    async def _retry_after(self, item: RateLimitItem, kind: str, who: str) -> int:
        """Whole seconds until the budget allows a request again (at least 1)."""
        try:
            stats = await self.limiter.get_window_stats(item, kind, who)
        except StorageError:
            return item.get_expiry()
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def _ask(self, call: Awaitable[bool]) -> bool:
        """The limiter's answer; ``True`` (allowed) when its store cannot be reached."""
        try:
            return bool(await call)
        except StorageError as exc:
            now = time.monotonic()
            if now - self._warned_at >= WARN_EVERY_SECONDS:
                self._warned_at = now
                log.warning("rate limits not enforced: store unreachable (%s)",
                            type(exc.storage_error).__name__)
            return True
