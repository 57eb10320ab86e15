"""The running service's state, wired from settings: store, geo database, rules,
model. The API and the CLI are thin layers over this; notebooks can use it too.

Anything optional that fails to load (geo database, model) is logged and left
out: scoring still answers, names what was unavailable and leans to review.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

from cachetools import TTLCache
from sqlalchemy.orm import Session, sessionmaker

from fraud.domain import Outcome
from fraud.errors import ConfigError, FraudError, StoreFull
from fraud.evidence import Signer, checkpoint_due, write_checkpoint
from fraud.featurestore import FollowedHistory
from fraud.geo import load_geo  # defined there; importable from here as before
from fraud.model.drift import DriftReport
from fraud.model.registry import ModelHolder, ModelRegistry
from fraud.model.scorer import ModelScorer
from fraud.monitoring.drift_check import DriftWatch, check_recent_drift
from fraud.monitoring.stages import timed
from fraud.replay.challenger import ChallengerRunner
from fraud.replay.shadow import ShadowRunner
from fraud.rules import RuleBook
from fraud.schema import Order
from fraud.scoring import Scored, score_order
from fraud.settings import Settings
from fraud.signals import Context, load_signal_modules
from fraud.store import apikeys, repository
from fraud.store.contact_history import contact_extras
from fraud.store.db import StoreTimeouts, checkpoint_bounded, make_engine, upgrade_database
from fraud.store.event_store import SqlEvents, order_events
from fraud.store.failures import store_faults
from fraud.store.group_commit import GroupCommitWriter
from fraud.store.history import SqlHistory
from fraud.store.probe import OK, StoreProbe
from fraud.store.statements import raw_connection
from fraud.store.watchdog import ConnectionWatchdog

log = logging.getLogger(__name__)

API_KEY_CACHE_SECONDS = 5.0
# A refused key is remembered briefly (a flood of one wrong key costs no queries).
REFUSED_KEY_CACHE_SECONDS = 2.0
KEY_CACHE_SIZE = 10_000
# SQLite WAL checkpoints run from a thread this often, never in a request (every second
# cost ~15 % on the median, every 5 s nothing measurable: docs/performance.md).
CHECKPOINT_SECONDS = 5.0
# A request's connection is cut this long after the store timeout (PostgreSQL cancels
# a statement past the timeout first, which keeps the connection).
WATCHDOG_GRACE_SECONDS = 1.0


@dataclass
class Runtime:
    settings: Settings
    engine: Any
    sessions: sessionmaker[Session]
    rulebook: RuleBook
    geo: Any | None = None
    models: ModelHolder | None = None
    shadow: ShadowRunner | None = None
    challenger: ChallengerRunner | None = None
    problems: dict[str, str] = field(default_factory=dict)
    signer: Signer | None = None
    drift: DriftWatch | None = None
    watchdog: ConnectionWatchdog | None = None
    probe: StoreProbe | None = None
    writer: GroupCommitWriter | None = None  # FRAUD_WRITE_MODE=group: commits for requests
    # history kept in memory (FRAUD_HISTORY_BACKEND=memory); None: read from the store
    features: FollowedHistory | None = None
    # why the last write failed for lack of space; cleared by the next write that succeeds
    store_full: str | None = None
    _accepted_keys: TTLCache[str, str] = field(
        default_factory=lambda: TTLCache(KEY_CACHE_SIZE, API_KEY_CACHE_SECONDS, _clock),
        repr=False,
    )
    _refused_keys: TTLCache[str, bool] = field(
        default_factory=lambda: TTLCache(KEY_CACHE_SIZE, REFUSED_KEY_CACHE_SECONDS, _clock),
        repr=False,
    )
    _key_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stop_checkpoints: threading.Event = field(default_factory=threading.Event, repr=False)

    @classmethod
    def start(cls, settings: Settings, *, migrate: bool = True) -> Runtime:
        """Open the store (migrating it to the latest schema), load the shop's signal
        modules, geo, rules and model (rules and model are checked against the signals)."""
        load_signal_modules(settings.signal_modules)
        url = settings.resolved_database_url
        if url.startswith("sqlite:///"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        if migrate:
            upgrade_database(url)
        engine = make_engine(url, background_checkpoints=True, timeouts=StoreTimeouts(
            statement_seconds=settings.store_timeout_seconds,
            connect_seconds=settings.store_connect_timeout_seconds,
        ))
        watchdog = ConnectionWatchdog(
            engine, settings.store_timeout_seconds + WATCHDOG_GRACE_SECONDS
        )
        probe = StoreProbe(engine, answer_within=settings.ready_check_seconds,
                           remember=settings.ready_check_seconds, guard=watchdog.guarding)
        problems: dict[str, str] = {}
        geo = load_geo(settings, problems)
        # Postal and city tables take seconds to load: pay that at start, not on an order.
        from fraud.places import warm_up

        warm_up()
        rulebook = RuleBook(settings.rules_path)
        models = ModelHolder(ModelRegistry(settings.model_dir), pinned=settings.model_version)
        error = models.reload()
        if error is not None:
            log.warning("model unavailable: %s", error.message)
            problems["model"] = error.message
        shadow = None
        if settings.shadow_rules_path is not None:
            try:
                shadow = ShadowRunner.from_path(settings.shadow_rules_path)
            except FraudError as exc:
                log.error("shadow rules not loaded: %s", exc.message)
                problems["shadow_rules"] = exc.message
        runtime = cls(
            settings=settings,
            engine=engine,
            sessions=sessionmaker(engine, expire_on_commit=False),
            rulebook=rulebook,
            geo=geo,
            models=models,
            shadow=shadow,
            challenger=ChallengerRunner.from_settings(settings),
            problems=problems,
            signer=Signer.load_or_create(settings.resolved_evidence_key_path),
            watchdog=watchdog,
            probe=probe,
        )
        runtime.writer = GroupCommitWriter.for_mode(settings.write_mode, engine, settings.fx_rates,
            watchdog.guarding, 2 * settings.store_timeout_seconds + WATCHDOG_GRACE_SECONDS)
        runtime._start_checkpointer()
        if settings.history_backend == "memory":
            runtime.features = FollowedHistory(settings.fx_rates)
            runtime.features.rebuild_in_background(engine)
        return runtime

    def _start_checkpointer(self) -> None:
        """SQLite's WAL is checkpointed here, off the request path (see make_engine);
        past ``FRAUD_SQLITE_WAL_MAX_BYTES`` it is emptied (:func:`checkpoint_bounded`)."""
        if self.engine.dialect.name != "sqlite":
            return
        stop = self._stop_checkpoints
        every_seconds = CHECKPOINT_SECONDS
        max_bytes = self.settings.sqlite_wal_max_bytes

        def run() -> None:
            while not stop.wait(every_seconds):
                try:
                    if checkpoint_bounded(self.engine, max_bytes):
                        log.info("SQLite WAL was over %d bytes: emptied", max_bytes)
                except Exception as exc:  # a busy database: try again next time
                    log.debug("WAL checkpoint skipped: %s", exc)

        threading.Thread(target=run, name="wal-checkpoint", daemon=True).start()

    def reload(self) -> dict[str, str]:
        """What SIGHUP runs: re-read the rules, the shadow rules and the model.

        A part that fails to load is refused and its previous version keeps running;
        the failure is logged and kept in ``problems``. Returns what happened, in words."""
        outcome = {
            "rules": self._reload_rules(),
            "shadow_rules": self._reload_shadow(),
            "model": self._reload_model(),
        }
        kept = any(text.startswith("kept") for text in outcome.values())
        log.log(
            logging.ERROR if kept else logging.INFO,
            "reload: %s",
            "; ".join(f"{part} {text}" for part, text in outcome.items()),
        )
        return outcome

    def _reload_rules(self) -> str:
        error = self.rulebook.reload()
        if error is not None:
            return f"kept {self.rulebook.current.version}: {error.message}"
        return f"loaded {self.rulebook.current.version}"

    def _reload_shadow(self) -> str:
        path = self.settings.shadow_rules_path
        if path is None:
            return "none configured"
        try:
            shadow = ShadowRunner.from_path(path)
        except FraudError as exc:
            self.problems["shadow_rules"] = exc.message
            old = self.shadow.version if self.shadow is not None else "none"
            return f"kept {old}: {exc.message}"
        self.shadow = shadow
        self.problems.pop("shadow_rules", None)
        return f"loaded {shadow.version}"

    def _reload_model(self) -> str:
        if self.models is None:
            return "none configured"
        error = self.models.reload()
        current = self.models.current
        if error is not None:
            self.problems["model"] = error.message
            return f"kept {current.version if current else 'none'}: {error.message}"
        self.problems.pop("model", None)
        return f"loaded {current.version}" if current else "none (rules only)"

    def warm_up_in_background(self) -> threading.Thread:
        """Load the postal data of every other EU country (about 14 s) off the request path
        (NL/BE/DE/FR load at start), so no order waits for, say, Austria's tables."""
        from fraud.geo import EU_COUNTRIES
        from fraud.places import warm_up

        others = tuple(sorted((EU_COUNTRIES | {"GB", "CH", "NO"}) - {"NL", "BE", "DE", "FR"}))
        thread = threading.Thread(
            target=warm_up, args=(others,), name="places-warm-up", daemon=True
        )
        thread.start()
        return thread

    def start_drift_watch(self) -> DriftWatch | None:
        """Check drift now and every ``FRAUD_DRIFT_CHECK_SECONDS`` in a thread; ``/readyz``
        shows the latest verdict (``model_drift``). Never on a request's path."""
        if self.settings.drift_check_seconds > 0:
            self.drift = DriftWatch(self.check_drift, self.settings.drift_check_seconds)
            self.drift.start()
        return self.drift

    def check_drift(self) -> DriftReport:
        """The current model's drift over the last ``FRAUD_DRIFT_DAYS`` of stored orders."""
        with self.sessions() as session:
            return check_recent_drift(session, self.model, self.settings)

    def close(self) -> None:
        if self.drift is not None:
            self.drift.stop()
        self._stop_checkpoints.set()
        if self.writer is not None:
            self.writer.close()
        if self.features is not None:
            self.features.stop()
        if self.watchdog is not None:
            self.watchdog.close()
        if self.probe is not None:
            self.probe.close()
        self.sign_evidence_head()
        self.engine.dispose()

    @contextmanager
    def store_call(self) -> Iterator[None]:
        """Around every store call a request makes: its connection is cut past the store
        timeout (:mod:`fraud.store.watchdog`) and store faults become
        :class:`~fraud.errors.StoreUnavailable` / :class:`~fraud.errors.StoreFull`."""
        guard = self.watchdog.guarding() if self.watchdog is not None else nullcontext()
        try:
            with guard, store_faults():
                yield
        except StoreFull:
            self.store_full = "the last write failed for lack of space; reads still work"
            raise

    def sign_evidence_head(self) -> None:
        """Write a signed checkpoint of the evidence chain (at shutdown, every N records)."""
        if self.signer is None:
            return
        try:
            with self.sessions() as session:
                write_checkpoint(session, self.signer)
        except Exception:  # a checkpoint missed is caught up by the next one
            log.exception("evidence checkpoint not written")

    def _after_evidence(self, seq: int | None) -> None:
        if checkpoint_due(seq, self.settings.evidence_checkpoint_every):
            self.sign_evidence_head()

    def evidence_sources(self) -> dict[str, str | None]:
        """Versions of the signal sources that decisions do not name themselves."""
        build = getattr(self.geo, "build_epoch", None)
        return {
            "geo_database": None
            if build is None
            else f"{getattr(self.geo, 'database_type', 'mmdb')} built "
            f"{datetime.fromtimestamp(build, UTC).date().isoformat()}"
        }

    @cached_property
    def history(self) -> SqlHistory:
        return SqlHistory(self.engine)

    def context(self) -> Context:
        return Context(self.settings, self.geo, self.history, events=SqlEvents(self.engine),
                       extras=contact_extras(self.engine))

    def score(self, order: Order) -> repository.StoredDecision:
        """Score and store one order; a retry (same id, same order) returns the stored
        decision, a different order under a stored id raises Conflict. Retry check and
        history share one pooled connection; the write goes to the group-commit writer
        (answers after its commit) or is committed on it (``FRAUD_WRITE_MODE``). Shadow
        rules and a challenger decide on the same features, stored apart."""
        sources = self.evidence_sources()
        with self.store_call():  # the account's events first: one connection at a time
            events = order_events(self.engine, order)
        with self.store_call():
            with raw_connection(self.engine) as conn:
                existing = repository.find_retry(conn, order)
                if existing is not None:
                    return existing
                history = self.features.view(conn) if self.features else SqlHistory(conn)
                ctx = Context(self.settings, self.geo, history, events=events,
                              extras=contact_extras(conn))
                scored = self._score(order, ctx)
                if self.writer is None:
                    with timed("store_write"):
                        stored = repository.save_decision(
                            conn, order, scored.decision, scored.features.values,
                            fx_rates=self.settings.fx_rates, sources=sources)
            if self.writer is not None:  # the connection is back in the pool meanwhile
                with timed("store_write"):
                    stored = self.writer.save(
                        order, scored.decision, scored.features.values, sources=sources)
        if stored.created:
            self.store_full = None
        self._after_evidence(stored.evidence_seq)
        if stored.created and (self.shadow is not None or self.challenger is not None):
            with self.store_call(), self.sessions() as session:
                if self.shadow is not None:
                    self.shadow.record(session, order, self.context(), scored)
                if self.challenger is not None:  # scored in shadow, stored, never acting
                    self.challenger.record(session, order, self.context(),
                                           self.rulebook.current, scored)
        return stored

    def _score(self, order: Order, ctx: Context) -> Scored:
        return score_order(
            order,
            ctx,
            self.rulebook.current,
            self.model,
            model_unavailable=self.model_unavailable(),
        )

    @property
    def model(self) -> ModelScorer | None:
        """The model in use now; a promotion is picked up within a second, no restart."""
        if self.models is None:
            return None
        self.models.maybe_reload()
        return self.models.current

    def model_unavailable(self) -> bool:
        """A model was asked for but none could be loaded: decisions lean to review."""
        return self.models is not None and self.models.current is None and bool(self.models.problem)

    def evaluate(self, order: Order) -> Scored:
        """Score without storing (what-if)."""
        return self._score(order, self.context())

    def get_order(self, order_id: str) -> repository.StoredOrder | None:
        with self.store_call(), self.sessions() as session:
            return repository.get_stored_order(session, order_id)

    def record_outcome(
        self, order_id: str, outcome: Outcome, at: datetime
    ) -> repository.StoredOutcome:
        with self.store_call(), self.sessions() as session:
            stored = repository.record_outcome(session, order_id, outcome, at)
        self._after_evidence(stored.evidence_seq)
        return stored

    def cached_api_key(self, secret: str) -> str | None | Literal[False]:
        """What this process remembers of a key without asking the store: its name,
        ``False`` when it was refused a moment ago, ``None`` when it must be looked up."""
        digest = _key_digest(secret)
        with self._key_lock:
            name = self._accepted_keys.get(digest)
            if name is not None:
                return name
            return False if digest in self._refused_keys else None

    def verify_api_key(self, secret: str) -> str | None:
        """The name of the active key with this secret, or ``None``. Blocks on the
        store on a cache miss: call it from a worker thread in async code.

        Accepted keys are remembered for ``API_KEY_CACHE_SECONDS`` (a query per request
        cost more than rules and model together): a key revoked elsewhere stops working
        within that time, at once in this process. Refused keys are remembered for
        ``REFUSED_KEY_CACHE_SECONDS`` (a flood of wrong keys costs few queries).
        """
        cached = self.cached_api_key(secret)
        if cached is not None:
            return cached or None
        with self.store_call(), self.sessions() as session:
            key = apikeys.verify_api_key(session, secret, demo_mode=self.settings.demo)
        digest = _key_digest(secret)
        with self._key_lock:
            if key is None:
                self._refused_keys[digest] = True
            else:
                self._accepted_keys[digest] = key.name
        return key.name if key is not None else None

    def create_api_key(self, name: str, *, secret: str | None = None) -> str:
        """Create a key (:func:`fraud.store.apikeys.create_api_key`); it works at once here."""
        with self.sessions() as session:
            created = apikeys.create_api_key(session, name, secret=secret)
        with self._key_lock:
            self._refused_keys.clear()
        return created

    def revoke_api_key(self, name: str) -> None:
        """Revoke a key; this process refuses it from the next request on."""
        with self.sessions() as session:
            apikeys.revoke_api_key(session, name)
        with self._key_lock:
            self._accepted_keys.clear()

    def readiness(
        self, store: str | None = None
    ) -> tuple[Literal["ok", "degraded", "unavailable"], dict[str, str]]:
        """Whether the service can score (store reachable, rules loaded) and what is
        degraded. ``store`` is the probe's answer when the caller already has it (async
        code awaits :meth:`StoreProbe.check_async`); without, the store is asked here,
        waiting at most ``FRAUD_READY_CHECK_SECONDS``."""
        if store is None:
            store = self.probe.check() if self.probe is not None else OK
        checks: dict[str, str] = {"store": store}
        if store != OK:
            return "unavailable", checks
        if self.store_full is not None:
            checks["store"] = f"full: {self.store_full}"
        checks["rules"] = self.rulebook.current.version
        if self.settings.shadow_rules_path is not None:
            checks["shadow_rules"] = (
                self.shadow.version
                if self.shadow is not None
                else self.problems.get("shadow_rules", "unavailable")
            )
        checks["geo"] = "ok" if self.geo is not None else self.problems.get("geo", "unavailable")
        model = self.models.current if self.models is not None else None
        problem = self.models.problem if self.models is not None else None
        checks["model"] = model.version if model else (problem or "none (rules only)")
        if self.challenger is not None and self.challenger.holder.current is not None:
            checks["challenger_model"] = self.challenger.status()
        if self.drift is not None:
            checks["model_drift"] = self.drift.status()
        degraded = self.geo is None or self.model_unavailable() or self.store_full is not None
        return ("degraded" if degraded else "ok"), checks


def prepare_to_serve(settings: Settings) -> None:
    """What ``fraud serve`` does once, before any worker starts: migrate the store and
    load the rules. Raises :class:`FraudError` with one line saying what is wrong.

    Workers that each migrated a new store raced to create its tables, and uvicorn then
    stopped every worker; a bad rules file gives one line here, not a traceback per worker.
    """
    import sqlalchemy.exc
    from sqlalchemy.engine import make_url

    url = settings.resolved_database_url
    if url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        upgrade_database(url)
    except (sqlalchemy.exc.SQLAlchemyError, OSError) as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        raise ConfigError(
            f"the store {shown} cannot be opened or migrated ({type(exc).__name__})"
        ) from None
    RuleBook(settings.rules_path)


def _clock() -> float:
    """``time.monotonic``, looked up at each call so a test can move the clock."""
    return time.monotonic()


def _key_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
