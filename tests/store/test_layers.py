"""The store stands on its own: any module imports first, and none pulls in the signals."""

from __future__ import annotations

import subprocess
import sys

import pytest

# the three ends of the old tables <-> shadow <-> repository cycle and the history view
STORE_MODULES = ["fraud.store.repository", "fraud.store.shadow", "fraud.store.history"]


@pytest.mark.parametrize("module", STORE_MODULES)
def test_a_store_module_imports_first_without_the_signal_registry(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('fraud.signals'))\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and a fixed module list
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
