"""Every analyst notebook runs top to bottom on small data, in a temporary folder.

The notebooks read ``FRAUD_NOTEBOOK_ORDERS`` (simulated orders instead of the 20,000-order
sample) and write everything into ``FRAUD_NOTEBOOK_DIR``; the public data set is pointed
at a missing folder, so notebook 04 takes its "data absent" path.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
SMALL_ORDERS = "1500"


def _snapshot(folders: list[Path]) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for f in folders if f.exists() for p in f.rglob("*")}


def test_there_are_the_four_analyst_notebooks() -> None:
    names = [p.stem for p in NOTEBOOKS]
    assert names == ["01-explore", "02-train-evaluate", "03-rules-backtest", "04-public-data"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_small_data_without_writing_into_the_repository(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    monkeypatch.setenv("FRAUD_NOTEBOOK_ORDERS", SMALL_ORDERS)
    monkeypatch.setenv("FRAUD_NOTEBOOK_DIR", str(work))
    monkeypatch.setenv("FRAUD_ECOMMERCE_DATA", str(tmp_path / "no-public-data"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for name in [k for k in os.environ if k.startswith("FRAUD_") and "NOTEBOOK" not in k
                 and k != "FRAUD_ECOMMERCE_DATA" and k != "FRAUD_TEST_POSTGRES_URL"]:
        monkeypatch.delenv(name)  # the notebooks must not depend on a developer's settings
    monkeypatch.chdir(tmp_path)
    watched = [REPO / "models", REPO / "data", REPO / "notebooks"]
    before = _snapshot(watched)

    nb = nbformat.read(path, as_version=4)
    # "python3" is ipykernel's own kernel; jupyter_client starts it with this interpreter
    # (sys.executable), so a fresh clone needs no kernelspec installed.
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []
    assert _snapshot(watched) == before
