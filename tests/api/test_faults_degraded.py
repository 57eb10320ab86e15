"""Degraded at start: the geo database missing or corrupt, the model missing or
incompatible. The service starts, ``/readyz`` answers 200 ``degraded`` naming what
is missing, and every decision lists the part in ``signals_unavailable`` and leans
to review (``FRAUD_UNAVAILABLE_POINTS`` per missing part). Never a 500.

(A rules file that does not load refuses the start: tests/api/test_faults_process.py.)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import make_order_data
from fastapi.testclient import TestClient

from api.main import create_app
from fraud.runtime import Runtime
from fraud.settings import BUNDLED_MODEL_DIR, Settings
from fraud.store import apikeys

MODEL_VERSIONS = sorted(p.name for p in BUNDLED_MODEL_DIR.iterdir() if p.is_dir())


def _missing_geo(tmp: Path) -> dict:
    return {"geoip_city_path": tmp / "GeoLite2-City.mmdb"}


def _corrupt_geo(tmp: Path) -> dict:
    path = tmp / "GeoLite2-City.mmdb"
    path.write_bytes(b"\x00not a maxmind database\xff" * 100)
    return {"geoip_city_path": path}


def _model_dir(tmp: Path, version: str) -> Path:
    models = tmp / "models"
    shutil.copytree(BUNDLED_MODEL_DIR / version, models / version)
    (models / "CURRENT").write_text(version + "\n")
    return models


def _missing_model(tmp: Path) -> dict:
    models = tmp / "models"
    models.mkdir()
    (models / "CURRENT").write_text("2026-01-01-gone\n")  # names a version not there
    return {"model_dir": models}


def _incompatible_model(tmp: Path) -> dict:
    newest, older = MODEL_VERSIONS[-1], MODEL_VERSIONS[0]
    models = _model_dir(tmp, newest)
    # a booster trained on another feature set than the encoding beside it
    shutil.copy(BUNDLED_MODEL_DIR / older / "model.txt", models / newest / "model.txt")
    return {"model_dir": models}


DEGRADED = {
    "geo missing": ("geo", _missing_geo),
    "geo corrupt": ("geo", _corrupt_geo),
    "model missing": ("model", _missing_model),
    "model incompatible": ("model", _incompatible_model),
}


def _client(settings: Settings) -> Iterator[TestClient]:
    runtime = Runtime.start(settings)
    try:
        with runtime.sessions() as session:
            key = apikeys.create_api_key(session, "order-service")
        with TestClient(create_app(settings, runtime=runtime)) as client:
            client.headers["Authorization"] = f"Bearer {key}"
            yield client
    finally:
        runtime.close()


@pytest.fixture
def healthy(tmp_path: Path) -> Iterator[TestClient]:
    """The bundled geo database and the newest bundled model."""
    base = tmp_path / "healthy"
    base.mkdir()
    settings = Settings(data_dir=base, model_dir=_model_dir(base, MODEL_VERSIONS[-1]),
                        _env_file=None)
    yield from _client(settings)


@pytest.fixture(params=list(DEGRADED), ids=list(DEGRADED))
def degraded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, TestClient]]:
    part, breaks = DEGRADED[request.param]
    base = tmp_path / "degraded"
    base.mkdir()
    fields: dict = breaks(base)
    if "model_dir" not in fields:
        fields["model_dir"] = _model_dir(base, MODEL_VERSIONS[-1])
    settings = Settings(data_dir=base, _env_file=None, **fields)
    for client in _client(settings):
        yield part, client


def test_the_service_starts_degraded_and_readyz_names_the_missing_part(degraded) -> None:
    part, client = degraded
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded", ready.json()
    assert ready.json()["checks"]["store"] == "ok"
    problem = ready.json()["checks"][part]
    assert problem not in ("ok", "unavailable") and len(problem) > 10  # says why, in words


def test_decisions_list_the_missing_part_and_lean_to_review(
    degraded, healthy: TestClient
) -> None:
    part, client = degraded
    missing_points = Settings(_env_file=None).unavailable_points
    order = ("approve", "review", "decline")
    for i in range(5):
        body = make_order_data(order_id=f"O-degraded-{i}")
        response = client.post("/v1/score", json=body)
        assert response.status_code == 200, response.text
        decision = response.json()
        assert part in decision["signals_unavailable"]
        assert decision["score"] >= missing_points  # the missing part's points are added
        reference = healthy.post("/v1/score", json=body).json()
        assert part not in reference["signals_unavailable"]
        if part == "geo":  # same model, one signal less: never a milder action
            assert order.index(decision["action"]) >= order.index(reference["action"])


def test_with_enough_points_per_missing_part_every_degraded_decision_is_held(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, model_dir=tmp_path / "no-models",
                        unavailable_points=40, _env_file=None, **_missing_geo(tmp_path))
    for client in _client(settings):
        actions = {client.post("/v1/score", json=make_order_data()).json()["action"]
                   for _ in range(5)}
        assert actions <= {"review", "decline"}
