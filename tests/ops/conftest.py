"""An app over a fresh store and a client holding a valid API key, for the operations tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from fraud.monitoring.stages import set_stage_observer
from fraud.runtime import Runtime
from fraud.settings import Settings
from fraud.store import apikeys


@pytest.fixture
def settings(tmp_path) -> Settings:
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
    try:
        with TestClient(app) as c:
            c.headers["Authorization"] = f"Bearer {api_key}"
            yield c
    finally:
        set_stage_observer(None)  # the app installed one for this process
