"""Prometheus metrics at ``/metrics``: requests, stage timings, decisions, outcomes.

Labels are bounded sets only: the route *template* (``/v1/orders/{order_id}``, never an
order id), methods, status codes, actions, rule ids (from the shop's own rules file),
signal names, stages and outcomes. Nothing in a series names a customer or an order.

The collectors live in prometheus-client's default registry, once per process. With
``fraud serve --workers N`` each worker writes its values to files in a shared folder
(``PROMETHEUS_MULTIPROC_DIR``, set by ``fraud serve`` from ``FRAUD_METRICS_DIR``) and
``/metrics``, whichever worker answers, adds up all of them.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import cache
from time import perf_counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fraud.domain import Decision, Outcome
from fraud.errors import FraudError, Unauthorized
from fraud.monitoring.multiprocess import MULTIPROCESS_ENV
from fraud.monitoring.stages import STAGES, report, set_stage_observer, stage_observer
from fraud.monitoring.tallies import WEBHOOK_FAILURE, set_tally_sink
from fraud.runtime import Runtime
from fraud.settings import Settings
from fraud.store.activity import backlog

STARTED_KEY = "fraud.started"  # the request's start, in its ASGI scope
UNMATCHED = "unmatched"  # requests no route took: one series, whatever the path
# A client may send any token as its method: anything else is one series too.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"

disable_created_metrics()  # no *_created series: they double the output and nobody reads them

# A scored order takes a few hundred microseconds of server time: buckets start there.
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)
STAGE_BUCKETS = (
    0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25, 1.0,
)
SCORE_BUCKETS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
PROBABILITY_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)

REQUESTS = Counter(
    "fraud_http_requests", "HTTP requests answered", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "fraud_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, per route template",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
STAGE_SECONDS = Histogram(
    "fraud_stage_duration_seconds",
    "Time one order spent in a pipeline stage (docs/operations.md)",
    ["stage"],
    buckets=STAGE_BUCKETS,
)
DECISIONS = Counter("fraud_decisions", "Orders decided (retries not counted)", ["action"])
RULE_HITS = Counter("fraud_rule_hits", "Rules that hit on a decided order", ["rule_id"])
SCORES = Histogram("fraud_decision_score", "The 0-100 score of decided orders",
                   buckets=SCORE_BUCKETS)
MODEL_PROBABILITY = Histogram(
    "fraud_model_probability", "The model's fraud probability for decided orders",
    buckets=PROBABILITY_BUCKETS,
)
SIGNALS_UNAVAILABLE = Counter(
    "fraud_signals_unavailable", "Decided orders on which a signal (or the model) was unavailable",
    ["signal"],
)
OUTCOMES = Counter("fraud_outcomes_reported", "Outcomes the order service reported",
                   ["outcome"])
WEBHOOK_FAILURES = Counter(
    "fraud_webhook_failures",
    "Webhook attempts that failed: 'failed' (will retry) or 'gave_up' (refused, or out of "
    "attempts)",
    ["result"],
)
TALLIED = {WEBHOOK_FAILURE: WEBHOOK_FAILURES}
ACCOUNT_EVENTS = Counter(
    "fraud_account_events", "Account events stored (retries not counted), by type and "
    "decision (`none` for a type without a rule set)", ["type", "decision"],
)


@cache
def _child(metric: Counter | Histogram, *labels: str) -> Any:
    """``metric.labels(*labels)``, looked up once: every label here is from a bounded set."""
    return metric.labels(*labels)


class PrometheusStages:
    """The stage observer the app installs: each stage into its histogram; also the
    tally sink (:mod:`fraud.monitoring.tallies`): each tally into its counter."""

    def __init__(self) -> None:
        self._children = {stage: STAGE_SECONDS.labels(stage) for stage in STAGES}

    def stage_finished(self, stage: str, seconds: float) -> None:
        child = self._children.get(stage) or STAGE_SECONDS.labels(stage)
        child.observe(seconds)

    def tallied(self, name: str, label: str) -> None:
        counter = TALLIED.get(name)
        if counter is not None:
            _child(counter, label).inc()


def metrics_on() -> bool:
    return isinstance(stage_observer(), PrometheusStages)


def observe_account_event(event_type: str, decision: str | None) -> None:
    """Count a newly stored account event: both labels come from fixed sets."""
    if metrics_on():
        _child(ACCOUNT_EVENTS, event_type, decision or "none").inc()


def observe_decision(decision: Decision) -> None:
    """Count a newly decided order (a retry returning the stored decision is not new)."""
    if not metrics_on():
        return
    _child(DECISIONS, decision.action.label).inc()
    SCORES.observe(decision.score)
    if decision.model_probability is not None:
        MODEL_PROBABILITY.observe(decision.model_probability)
    for hit in decision.rule_hits:
        if hit.status == "hit":
            _child(RULE_HITS, hit.rule_id).inc()
    for signal in decision.signals_unavailable:
        _child(SIGNALS_UNAVAILABLE, signal).inc()


def observe_outcome(outcome: Outcome) -> None:
    if metrics_on():
        _child(OUTCOMES, outcome.value).inc()


def validation_finished(request: Request) -> None:
    """The request was read, parsed and validated: report that stage's time."""
    started = request.scope.get(STARTED_KEY)
    if started is not None:
        report("validation", perf_counter() - started)


def route_template(scope: Scope, known: Sequence[tuple[re.Pattern[str], str]] = ()) -> str:
    """The route's path template, never the raw path (no order id in a label).

    ``known`` (pattern, template) pairs name the route of a request refused before
    routing (a body too large), which carries no route of its own.
    """
    route = scope.get("route")
    if route is not None:
        return getattr(route, "path", None) or UNMATCHED
    path = scope.get("path", "")
    return next((template for pattern, template in known if pattern.match(path)), UNMATCHED)


def path_templates(app: FastAPI) -> list[tuple[re.Pattern[str], str]]:
    """(pattern, template) of every documented path of ``app``."""
    return [(compile_path(template)[0], template) for template in app.openapi()["paths"]]


class RequestMetrics:
    """Count and time every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI | None = None) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self._templates: list[tuple[re.Pattern[str], str]] | None = None

    def _route(self, scope: Scope) -> str:
        if "route" not in scope and self._templates is None and self.fastapi_app is not None:
            self._templates = path_templates(self.fastapi_app)  # once, on the first need
        return route_template(scope, self._templates or ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        scope[STARTED_KEY] = started
        status = 500  # an exception that escapes every handler ends as a 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = self._route(scope)
            method = scope["method"] if scope["method"] in METHODS else OTHER_METHOD
            _child(REQUESTS, method, route, str(status)).inc()
            _child(REQUEST_SECONDS, method, route).observe(perf_counter() - started)


class ReviewQueueCollector:
    """The review queue's size and its oldest order's age, read from the store at scrape
    time: one aggregate query (:func:`fraud.store.activity.backlog`), whatever the queue's
    length. Every worker reads the same store, so these are not added up across workers;
    a store that does not answer leaves them out of that scrape (``/readyz`` says why)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with self.runtime.store_call(), self.runtime.sessions() as session:
                now = datetime.now(UTC)
                queue = backlog(session, now)
        except FraudError:
            return
        size = GaugeMetricFamily("fraud_review_queue_size",
                                 "Orders held for review and not decided yet")
        size.add_metric([], queue.size)
        oldest = GaugeMetricFamily(
            "fraud_review_queue_oldest_age_seconds",
            "Age of the oldest undecided held order (0 when the queue is empty)")
        oldest.add_metric([], queue.oldest_age_seconds(now))
        by_age = GaugeMetricFamily("fraud_review_queue_orders",
                                   "Undecided held orders by age", labels=["age"])
        for label, n in queue.by_age:
            by_age.add_metric([AGE_LABELS.get(label, label)], n)
        yield from (size, oldest, by_age)


AGE_LABELS = {"< 1 h": "0-1h", "1–4 h": "1-4h", "4–24 h": "4-24h", "1–3 d": "1-3d",
              "> 3 d": "3d+"}


def queue_gauges(runtime: Runtime) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReviewQueueCollector(runtime))  # type: ignore[arg-type]
    return generate_latest(registry)


def registry_to_expose() -> CollectorRegistry:
    """All workers' values in multiprocess mode; this process's otherwise."""
    if not os.environ.get(MULTIPROCESS_ENV):
        return REGISTRY
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


_bearer = HTTPBearer(auto_error=False, description="FRAUD_METRICS_TOKEN, when it is set")


def _metrics_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["operations"])
    token = settings.metrics_token

    async def check_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        if token is None:
            return
        given = credentials.credentials if credentials is not None else ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise Unauthorized("/metrics needs 'Authorization: Bearer <FRAUD_METRICS_TOKEN>'")

    @router.get(
        "/metrics",
        summary="Prometheus metrics (text exposition format)",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
        # only with a token does the schema name a security scheme: without one it is public
        dependencies=[Depends(check_token)] if token is not None else [],
    )
    async def get_metrics(request: Request) -> Response:
        text = generate_latest(registry_to_expose())
        runtime = getattr(request.app.state, "runtime", None)
        if runtime is not None:  # the queue is read from the store, off the event loop
            text += await run_in_threadpool(queue_gauges, runtime)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    return router


def install_metrics(app: FastAPI, settings: Settings) -> None:
    """``/metrics``, the request middleware and the stage observer, when metrics are on.

    Off, the stage observer is removed: the pipeline then pays nothing for timing.
    """
    if not settings.metrics_enabled:
        if metrics_on():
            set_stage_observer(None)
            set_tally_sink(None)
        return
    observer = PrometheusStages()
    set_stage_observer(observer)
    set_tally_sink(observer)
    app.include_router(_metrics_router(settings))
    app.add_middleware(RequestMetrics, fastapi_app=app)
