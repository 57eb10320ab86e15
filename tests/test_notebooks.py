"""Every analyst notebook runs top to bottom on small data, in a temporary folder.

The notebooks read ``FRAUD_NOTEBOOK_ORDERS`` (simulated orders instead of the 20,000-order
sample) and write everything into their own folder under ``FRAUD_NOTEBOOK_DIR``; the public
data set is pointed at a missing folder, so notebook 04 takes its "data absent" path. The
kernel's temporary folder must be empty afterwards.
"""

from __future__ import annotations

import re
import shutil
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
def test_notebook_runs_on_small_data_and_writes_only_into_its_own_folder(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work, temp = tmp_path / "work", tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("FRAUD_NOTEBOOK_ORDERS", SMALL_ORDERS)
    monkeypatch.setenv("FRAUD_NOTEBOOK_DIR", str(work))
    monkeypatch.setenv("FRAUD_ECOMMERCE_DATA", str(tmp_path / "no-public-data"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("TMPDIR", str(temp))  # the kernel's temporary folder
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
    assert sorted(p.name for p in temp.iterdir()) == []
    if work.exists():  # notebook 04 writes nothing
        assert [p.name for p in work.iterdir()] == [path.stem]
    six_places = [m for c in nb.cells if c.cell_type == "code" for o in c.outputs
                  for m in re.findall(r">\s*-?[\d,]*\.\d{6}\s*<", _html(o))
                  + re.findall(r"\b\d+\.\d{6}\b", _text(o))]
    assert six_places == [], "figures shown with pandas' six places, not as percentages"
    shutil.rmtree(work, ignore_errors=True)  # pytest keeps the last runs' tmp_path: keep it small


def _html(output) -> str:
    return output.get("data", {}).get("text/html", "")


def _text(output) -> str:
    return output.get("text") or output.get("data", {}).get("text/plain", "")


def test_a_notebook_folder_replaces_what_the_previous_run_left(tmp_path, monkeypatch) -> None:
    from fraud.analysis import notebook_folder

    monkeypatch.setenv("FRAUD_NOTEBOOK_DIR", str(tmp_path))
    first = notebook_folder("01-explore")
    (first / "store.db").write_text("old run", encoding="utf-8")
    (tmp_path / "02-train-evaluate").mkdir()
    again = notebook_folder("01-explore")
    assert again == tmp_path / "01-explore" and list(again.iterdir()) == []
    assert (tmp_path / "02-train-evaluate").exists()  # another notebook's folder is left alone
