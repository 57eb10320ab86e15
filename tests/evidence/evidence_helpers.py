"""What the evidence, case and privacy tests share: a runtime on a test database,
threads released together, and direct looks into the evidence tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fraud.runtime import Runtime
from fraud.settings import Settings
from fraud.store.evidence_tables import evidence_records


def make_settings(db_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=db_url,
        model_dir=tmp_path / "no-models",
        _env_file=None,  # type: ignore[call-arg]
        **overrides,
    )


def start_runtime(db_url: str, tmp_path: Path, **overrides: Any) -> Runtime:
    return Runtime.start(make_settings(db_url, tmp_path, **overrides))


def records(session: Session) -> list[Any]:
    return list(session.execute(select(evidence_records).order_by(evidence_records.c.seq)))


def trusted(runtime: Runtime) -> dict[str, Any]:
    assert runtime.signer is not None
    return {runtime.signer.key_id: runtime.signer.public}
