"""Rate limits: per API key, per client address, failed authentications per address.

Every behaviour runs on the in-memory counters and on the real Redis at
127.0.0.1:6379 (each test under a key prefix of its own; skipped with the reason
when Redis does not answer).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.main import create_app
from api.ratelimit import Budgets, RateLimits, make_storage
from fraud.runtime import Runtime
from fraud.settings import Settings
from fraud.store import apikeys

REDIS_URL = "redis://127.0.0.1:6379/0"
MISSING = "/v1/orders/O-none"  # authenticated, then a cheap 404


@pytest.fixture(scope="module")
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {type(exc).__name__}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture(params=["memory", "redis"])
def storage_url(request: pytest.FixtureRequest) -> str | None:
    """None: counters in memory; else the Redis URL."""
    return request.getfixturevalue("redis_url") if request.param == "redis" else None


@pytest.fixture
def prefix() -> Iterator[str]:
    """A Redis key prefix of this test's own; its keys are deleted afterwards."""
    name = f"fraud-test-{uuid.uuid4().hex[:12]}"
    yield name
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        for key in client.scan_iter(match=f"{name}*"):
            client.delete(key)
        client.close()
    except redis.RedisError:
        pass


AppFactory = Callable[..., TestClient]


@pytest.fixture
def limited(
    tmp_path, runtime: Runtime, storage_url: str | None, prefix: str
) -> Iterator[AppFactory]:
    """Opens a client on an app with the given rate settings; all share ``runtime``
    (and, on Redis, the counters: they stand for several workers)."""
    clients: list[TestClient] = []

    def open_client(**rates: str) -> TestClient:
        settings = Settings(data_dir=tmp_path, model_dir=tmp_path / "none", _env_file=None,
                            rate_limit_redis_url=storage_url, **rates)
        client = TestClient(create_app(settings, runtime=runtime))
        client.__enter__()
        # the app's own limiter, but under this test's Redis prefix
        client.app.state.rate_limits = RateLimits(  # type: ignore[attr-defined]
            Budgets.from_settings(settings), make_storage(storage_url, prefix)
        )
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.__exit__(None, None, None)


def new_key(runtime: Runtime, name: str | None = None) -> str:
    with runtime.sessions() as session:
        return apikeys.create_api_key(session, name or f"k-{uuid.uuid4().hex[:8]}")


def get(client: TestClient, key: str | None) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.get(MISSING, headers=headers).status_code


def assert_rate_limited(response, message: str) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    body = response.json()
    assert body["code"] == "rate_limited"
    assert message in body["message"]
    assert body["fields"] == []


def test_a_key_over_its_budget_gets_429_with_retry_after(limited, runtime) -> None:
    client = limited(rate_limit_per_key="3/minute")
    key = new_key(runtime)
    assert [get(client, key) for _ in range(3)] == [404, 404, 404]
    assert_rate_limited(
        client.get(MISSING, headers={"Authorization": f"Bearer {key}"}),
        "too many requests for this API key",
    )
    assert get(client, new_key(runtime)) == 404  # another key has its own budget


def test_a_client_address_over_its_budget_gets_429_whatever_the_key(limited, runtime) -> None:
    client = limited(rate_limit_per_client="3/minute")
    keys = [new_key(runtime) for _ in range(4)]
    assert [get(client, k) for k in keys[:3]] == [404, 404, 404]
    assert_rate_limited(
        client.get(MISSING, headers={"Authorization": f"Bearer {keys[3]}"}),
        "too many requests from this client address",
    )


def test_health_endpoints_are_not_limited(limited, runtime) -> None:
    client = limited(rate_limit_per_client="1/minute")
    key = new_key(runtime)
    assert get(client, key) == 404
    assert get(client, key) == 429
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_failed_authentications_are_limited_without_asking_the_store(
    limited, runtime, monkeypatch
) -> None:
    client = limited(rate_limit_failed_auth="3/minute")
    good = new_key(runtime)
    assert get(client, good) == 404  # authenticated here: known good from now on
    asked: list[str] = []
    verify = runtime.verify_api_key
    monkeypatch.setattr(runtime, "verify_api_key", lambda s: asked.append(s) or verify(s))

    invented = [f"fsk_{uuid.uuid4().hex}" for _ in range(6)]
    assert [get(client, k) for k in invented[:2]] == [401, 401]
    assert get(client, None) == 401  # no key at all counts as a failure too
    assert len(asked) == 2
    response = client.get(MISSING, headers={"Authorization": f"Bearer {invented[2]}"})
    assert_rate_limited(response, "too many failed authentications")
    assert [get(client, k) for k in invented[3:]] == [429, 429, 429]
    assert get(client, None) == 429
    assert len(asked) == 2  # refused before the key was looked up
    # the address is blocked for unknown keys, not for the key it used successfully
    assert [get(client, good) for _ in range(3)] == [404, 404, 404]


def test_a_revoked_key_is_refused_even_when_it_was_known_good(limited, runtime) -> None:
    client = limited(rate_limit_failed_auth="3/minute")
    key = new_key(runtime, "leaving")
    assert get(client, key) == 404
    runtime.revoke_api_key("leaving")
    assert get(client, key) == 401


def test_several_workers_on_one_redis_share_a_budget(tmp_path, runtime, redis_url, prefix):
    settings = Settings(data_dir=tmp_path, _env_file=None, rate_limit_per_key="3/minute")
    key = new_key(runtime)
    apps = [create_app(settings, runtime=runtime) for _ in range(2)]
    with TestClient(apps[0]) as one, TestClient(apps[1]) as two:
        for client in (one, two):
            client.app.state.rate_limits = RateLimits(  # type: ignore[attr-defined]
                Budgets.from_settings(settings), make_storage(redis_url, prefix)
            )
        assert [get(one, key), get(two, key), get(one, key)] == [404, 404, 404]
        assert get(two, key) == 429


def test_concurrent_requests_never_pass_more_than_the_budget(limited, runtime) -> None:
    client = limited(rate_limit_per_key="10/minute")
    key = new_key(runtime)
    assert get(client, key) == 404  # looked up once, then served from the key cache
    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(lambda _: get(client, key), range(40)))
    assert codes.count(404) == 9
    assert codes.count(429) == 31


def test_an_unreachable_redis_does_not_stop_scoring(tmp_path, runtime, caplog) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None, rate_limit_per_key="1/minute",
                        rate_limit_redis_url="redis://127.0.0.1:1/0")
    key = new_key(runtime)
    with TestClient(create_app(settings, runtime=runtime)) as client:
        assert [get(client, key) for _ in range(3)] == [404, 404, 404]
    messages = [r.getMessage() for r in caplog.records]
    warnings = [m for m in messages if "rate limits not enforced" in m]
    assert len(warnings) == 1  # once a minute, not once a request


def test_the_defaults_leave_a_busy_test_client_alone(client) -> None:
    codes = {client.get(MISSING).status_code for _ in range(200)}
    assert codes == {404}


@pytest.mark.parametrize("setting", ["rate_limit_per_key", "rate_limit_failed_auth"])
def test_a_rate_setting_that_is_not_a_rate_is_refused(setting: str) -> None:
    with pytest.raises(ValidationError, match="not a rate: write N/second"):
        Settings(_env_file=None, **{setting: "lots"})


def test_a_redis_url_must_look_like_one() -> None:
    with pytest.raises(ValidationError, match="starts with redis://"):
        Settings(_env_file=None, rate_limit_redis_url="127.0.0.1:6379")
