from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "evidence"))

from evidence_helpers import start_runtime  # noqa: E402

from fraud.runtime import Runtime  # noqa: E402


@pytest.fixture
def runtime(db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    rt = start_runtime(db_url, tmp_path)
    yield rt
    rt.close()
