"""An app over a fresh SQLite store, and a client holding a valid API key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from fraud.runtime import Runtime
from fraud.settings import Settings
from fraud.store import apikeys


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Rules only: tests about the model use the bundled one explicitly."""
    return Settings(data_dir=tmp_path, model_dir=tmp_path / "no-models", _env_file=None)


@pytest.fixture
def runtime(settings) -> Iterator[Runtime]:
    rt = Runtime.start(settings)
    yield rt
    rt.close()


@pytest.fixture
def api_key(runtime) -> str:
    with runtime.sessions() as session:
        return apikeys.create_api_key(session, "order-service")


@pytest.fixture
def client(settings, runtime, api_key) -> Iterator[TestClient]:
    app = create_app(settings, runtime=runtime)
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {api_key}"
        yield c


@pytest.fixture
def anonymous(settings, runtime) -> Iterator[TestClient]:
    with TestClient(create_app(settings, runtime=runtime)) as c:
        yield c
