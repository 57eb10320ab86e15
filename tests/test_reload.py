"""SIGHUP re-reads the rules, the shadow rules and the model; a bad new file keeps the
old one running and says so (README, "Changing rules without a restart")."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from factories import make_order

from fraud.rules import default_rules_path
from fraud.runtime import Runtime
from fraud.settings import BUNDLED_MODEL_DIR, Settings

PINNED = "pinned"


@dataclass
class Files:
    rules: Path
    shadow: Path
    model_dir: Path

    def write_rules(self, path: Path, version: str) -> None:
        text = default_rules_path().read_text(encoding="utf-8")
        lines = [f'version: "{version}"' if line.startswith("version:") else line
                 for line in text.splitlines()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def set_model_version(self, version: str) -> None:
        """Re-export the pinned model folder in place under a new version label."""
        card_path = self.model_dir / PINNED / "card.json"
        card = json.loads(card_path.read_text())
        card["version"] = version
        card_path.write_text(json.dumps(card))

    def settings_env(self) -> dict[str, str]:
        return {
            "FRAUD_RULES_PATH": str(self.rules),
            "FRAUD_SHADOW_RULES_PATH": str(self.shadow),
            "FRAUD_MODEL_DIR": str(self.model_dir),
            "FRAUD_MODEL_VERSION": PINNED,
        }


@pytest.fixture
def files(tmp_path: Path) -> Files:
    """Rules, shadow rules and a pinned model version, all editable by the test."""
    bundled = (BUNDLED_MODEL_DIR / "CURRENT").read_text().strip()
    model_dir = tmp_path / "models"
    shutil.copytree(BUNDLED_MODEL_DIR / bundled, model_dir / PINNED)
    out = Files(tmp_path / "rules.yaml", tmp_path / "shadow.yaml", model_dir)
    out.write_rules(out.rules, "live-1")
    out.write_rules(out.shadow, "shadow-1")
    out.set_model_version("model-1")
    return out


@pytest.fixture
def runtime(files: Files, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path / "store",
        rules_path=files.rules,
        shadow_rules_path=files.shadow,
        model_dir=files.model_dir,
        model_version=PINNED,
        _env_file=None,
    )
    rt = Runtime.start(settings)
    yield rt
    rt.close()


def _labels(checks: dict[str, str]) -> dict[str, str]:
    """Rules, shadow rules and model versions, without the rules' content hash."""
    return {part: checks[part].split("+")[0] for part in ("rules", "shadow_rules", "model")}


def _versions(runtime: Runtime) -> dict[str, str]:
    return _labels(runtime.readiness()[1])


def test_reload_reads_new_rules_shadow_rules_and_model(files: Files, runtime: Runtime) -> None:
    assert _versions(runtime) == {"rules": "live-1", "shadow_rules": "shadow-1",
                                  "model": "model-1"}
    files.write_rules(files.rules, "live-2")
    files.write_rules(files.shadow, "shadow-2")
    files.set_model_version("model-2")
    assert _versions(runtime)["model"] == "model-1"  # a pinned model changes on reload only

    outcome = runtime.reload()

    assert _labels(outcome) == {"rules": "loaded live-2", "shadow_rules": "loaded shadow-2",
                                "model": "loaded model-2"}
    assert _versions(runtime) == {"rules": "live-2", "shadow_rules": "shadow-2",
                                  "model": "model-2"}
    decision = runtime.score(make_order()).decision
    assert (decision.versions.rules.split("+")[0], decision.versions.model) == ("live-2",
                                                                                "model-2")
    from fraud.store.shadow import find_shadow_decision

    with runtime.sessions() as session:
        shadow = runtime.shadow.version
        assert shadow.startswith("shadow-2+")
        assert find_shadow_decision(session, decision.order_id, shadow) is not None


def test_a_bad_new_file_keeps_the_old_one_running_and_says_so(
    files: Files, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    files.rules.write_text("version: broken\nrules: [", encoding="utf-8")
    files.shadow.write_text("version: shadow-broken\nrules:\n  - id: x\n", encoding="utf-8")
    (files.model_dir / PINNED / "encoding.json").write_text("{not json")

    with caplog.at_level(logging.INFO, logger="fraud.runtime"):
        outcome = runtime.reload()

    assert outcome["rules"].startswith("kept live-1+")
    assert outcome["shadow_rules"].startswith("kept shadow-1+")
    assert outcome["model"].startswith("kept model-1: ") and "encoding.json" in outcome["model"]
    assert _versions(runtime) == {"rules": "live-1", "shadow_rules": "shadow-1",
                                  "model": "model-1"}
    assert {"shadow_rules", "model"} <= set(runtime.problems)
    [record] = [r for r in caplog.records if r.getMessage().startswith("reload:")]
    assert record.levelno == logging.ERROR and "rules kept live-1" in record.getMessage()
    decision = runtime.score(make_order()).decision
    assert (decision.versions.rules.split("+")[0], decision.versions.model) == ("live-1",
                                                                                "model-1")


def test_sighup_reaches_the_reload_through_the_handler_the_app_installs(
    files: Files, runtime: Runtime
) -> None:
    from api.main import _reload_on_sighup

    async def send_sighup_and_wait() -> bool:
        if not _reload_on_sighup(runtime):
            return False
        files.write_rules(files.rules, "live-2")
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(200):
            if runtime.rulebook.current.version.startswith("live-2+"):
                break
            await asyncio.sleep(0.01)
        return True

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be installed from the main thread")
    assert asyncio.run(send_sighup_and_wait()), "the SIGHUP handler was not installed"
    assert runtime.rulebook.current.version.startswith("live-2+")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, want: dict[str, str] | None, deadline: float) -> dict[str, str]:
    """GET /readyz until its checks include ``want`` (or, without, until it answers)."""
    checks: dict[str, str] = {}
    while time.monotonic() < deadline:
        try:
            checks = httpx.get(url, timeout=2).json()["checks"]
        except (httpx.HTTPError, ValueError, KeyError):
            time.sleep(0.2)
            continue
        if want is None or want.items() <= _labels(checks).items():
            return checks
        time.sleep(0.1)
    raise AssertionError(f"{url} did not show {want}; last checks: {checks}")


@pytest.mark.slow
def test_kill_hup_reloads_a_running_fraud_serve(files: Files, tmp_path: Path) -> None:
    port = _free_port()
    log_path = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAUD_")}
    env.update(files.settings_env(), FRAUD_DATA_DIR=str(tmp_path / "store"))
    fraud = Path(sys.executable).with_name("fraud")
    with log_path.open("w") as log:
        server = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
            [str(fraud), "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}/readyz"
    try:
        first = _wait_for(url, None, time.monotonic() + 90)
        assert _labels(first) == {"rules": "live-1", "shadow_rules": "shadow-1",
                                  "model": "model-1"}

        files.write_rules(files.rules, "live-2")
        files.write_rules(files.shadow, "shadow-2")
        files.set_model_version("model-2")
        server.send_signal(signal.SIGHUP)
        _wait_for(url, {"rules": "live-2", "shadow_rules": "shadow-2", "model": "model-2"},
                  time.monotonic() + 20)

        files.rules.write_text("version: broken\nrules: [", encoding="utf-8")
        server.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while "rules kept live-2" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "rules kept live-2" in log_path.read_text()
        assert _labels(_wait_for(url, None, deadline))["rules"] == "live-2"
        assert server.poll() is None, "the service must keep running"
    finally:
        server.terminate()
        server.wait(timeout=20)
