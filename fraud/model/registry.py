"""The model registry: which model versions exist, which one the service uses,
and switching between them.

Layout (the artifact contract)::

    <model_dir>/<version>/      one model version (fraud.model.artifact)
    <model_dir>/CURRENT         the version the service uses (one line)
    <model_dir>/HISTORY         every promoted version, one a line, newest last
    <model_dir>/CHALLENGER      a version scored in shadow beside CURRENT (optional)

``promote`` and ``rollback`` check that the target loads and matches the code's
features before they touch CURRENT; both files are replaced atomically (temporary
file + ``os.replace``), so a reader never sees half a file. The running service
holds its model in a :class:`ModelHolder`, which notices a new CURRENT without a
restart and keeps the previous model when the new one cannot be loaded.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fraud.errors import FraudError, ModelError, NotFound
from fraud.model.artifact import CARD_FILE, MODEL_FILE, read_json
from fraud.model.serving import ServedModel

log = logging.getLogger(__name__)

CURRENT_FILE = "CURRENT"
HISTORY_FILE = "HISTORY"
CHALLENGER_FILE = "CHALLENGER"


@dataclass(frozen=True)
class ModelInfo:
    """One model version as ``fraud models list`` shows it."""

    version: str
    created_at: str | None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    is_current: bool = False
    path: Path | None = None


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step (temporary file in the same folder)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _headline_metrics(card: Mapping[str, Any]) -> dict[str, Any]:
    """The card's top-level numeric metrics (nested sections are left for card.md)."""
    metrics = card.get("metrics")
    if not isinstance(metrics, Mapping):
        return {}
    return {
        k: v for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }


class ModelRegistry:
    """The model versions in ``model_dir`` and the CURRENT / HISTORY pointers."""

    def __init__(
        self, model_dir: str | Path, *, loader: Callable[[Path], ServedModel] | None = None
    ):
        self.model_dir = Path(model_dir)
        self._loader = loader or ServedModel.load

    @property
    def current_path(self) -> Path:
        return self.model_dir / CURRENT_FILE

    @property
    def history_path(self) -> Path:
        return self.model_dir / HISTORY_FILE

    def path_of(self, version: str) -> Path:
        """The folder of ``version``; refuses names that would leave ``model_dir``."""
        if not version or version in (".", "..") or "/" in version or "\\" in version:
            raise ModelError(f"{version!r} is not a model version name")
        return self.model_dir / version

    def versions(self) -> list[ModelInfo]:
        """Every version folder (one holding a ``model.txt``), oldest first."""
        if not self.model_dir.is_dir():
            return []
        current = self.current_version()
        out = []
        for folder in sorted(p for p in self.model_dir.iterdir() if p.is_dir()):
            if not (folder / MODEL_FILE).exists():
                continue
            card: Any = {}
            if (folder / CARD_FILE).exists():
                try:
                    card = read_json(folder / CARD_FILE)
                except ModelError:
                    card = {}
            card = card if isinstance(card, dict) else {}
            created = card.get("created_at")
            out.append(
                ModelInfo(
                    version=folder.name,
                    created_at=str(created) if created else None,
                    metrics=_headline_metrics(card),
                    is_current=folder.name == current,
                    path=folder,
                )
            )
        return sorted(out, key=lambda i: (i.created_at or "", i.version))

    def current_version(self) -> str | None:
        """The version CURRENT names, or ``None`` when there is none (rules only)."""
        return self._pointed(self.current_path)

    @property
    def challenger_path(self) -> Path:
        return self.model_dir / CHALLENGER_FILE

    def challenger_version(self) -> str | None:
        """The version CHALLENGER names (scored in shadow, never acting), or ``None``."""
        return self._pointed(self.challenger_path)

    def set_challenger(self, version: str) -> ServedModel:
        """Score ``version`` in shadow beside the current model, after checking it loads."""
        model = self.load(version)
        assert model is not None  # a version was named
        self.model_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.challenger_path, f"{version}\n")
        return model

    def clear_challenger(self) -> str | None:
        """Stop the shadow scoring; returns the version that was the challenger."""
        was = self.challenger_version()
        self.challenger_path.unlink(missing_ok=True)
        return was

    @staticmethod
    def _pointed(path: Path) -> str | None:
        try:
            text = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return text or None

    def history(self) -> list[str]:
        """Promoted versions, oldest first."""
        try:
            lines = self.history_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [line.strip() for line in lines if line.strip()]

    def load(self, version: str | None = None) -> ServedModel | None:
        """Load ``version`` (default: CURRENT). ``None`` when no version is current.

        Raises :class:`ModelError` when the folder is missing, broken or trained
        on another feature set than the code's.
        """
        version = version or self.current_version()
        if version is None:
            return None
        path = self.path_of(version)
        if not path.is_dir():
            raise NotFound(f"model version {version!r} not found in {self.model_dir}")
        return self._loader(path)

    def promote(self, version: str) -> ServedModel:
        """Make ``version`` the one the service uses, after checking that it loads."""
        model = self.load(version)
        assert model is not None
        self.model_dir.mkdir(parents=True, exist_ok=True)
        history = self.history()
        if not history or history[-1] != version:
            history.append(version)
        write_atomic(self.history_path, "".join(f"{v}\n" for v in history))
        write_atomic(self.current_path, f"{version}\n")
        return model

    def rollback(self) -> str:
        """Go back to the version promoted before the current one; returns it.

        HISTORY loses its newest entry, so a second rollback goes one further back.
        """
        current = self.current_version()
        history = self.history()
        while history and history[-1] == current:
            history.pop()
        if not history:
            raise ModelError(
                f"no earlier promoted version to roll back to (current: {current or 'none'})"
            )
        target = history[-1]
        self.load(target)
        write_atomic(self.history_path, "".join(f"{v}\n" for v in history))
        write_atomic(self.current_path, f"{target}\n")
        return target


class ModelHolder:
    """The service's current model, swapped safely while requests are scored.

    ``reload()`` re-reads CURRENT (or the pinned version) and swaps the model in;
    on any error it keeps the model it had and returns the error.
    ``maybe_reload()`` is cheap enough to call on every request: it looks at
    CURRENT's modification time at most once per ``check_every`` seconds and
    reloads only when it changed.
    """

    def __init__(
        self,
        registry: ModelRegistry,
        *,
        pinned: str | None = None,
        check_every: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        challenger: bool = False,
    ) -> None:
        self.registry = registry
        self.pinned = pinned
        # follows CHALLENGER instead of CURRENT: the shadow model beside the live one
        self.challenger = challenger
        self.check_every = check_every
        self._clock = clock
        self._lock = threading.Lock()
        self._model: ServedModel | None = None
        self._problem: str | None = None
        self._stamp: tuple[int, int] | None = None
        self._next_check = 0.0

    @property
    def current(self) -> ServedModel | None:
        """The model in use (``None``: rules only)."""
        return self._model

    @property
    def problem(self) -> str | None:
        """Why the last load failed, or ``None`` when it succeeded."""
        return self._problem

    def _pointer(self) -> Path:
        return self.registry.challenger_path if self.challenger else self.registry.current_path

    def _current_stamp(self) -> tuple[int, int] | None:
        try:
            st = self._pointer().stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def reload(self) -> FraudError | None:
        """Load the version CURRENT names (or the pinned one); keep the old model on error."""
        with self._lock:
            self._stamp = self._current_stamp()
            try:
                wanted = self.pinned
                if wanted is None and self.challenger:
                    wanted = self.registry.challenger_version()
                    model = self.registry.load(wanted) if wanted is not None else None
                else:
                    model = self.registry.load(wanted)
            except FraudError as exc:
                error: FraudError = exc
            except Exception as exc:  # anything else from a damaged folder
                error = ModelError(f"model could not be loaded: {type(exc).__name__}: {exc}")
            else:
                if model is None and self._model is not None:
                    log.info("no %s model any more", self._pointer().name)
                elif model is not None and (
                    self._model is None or model.version != self._model.version
                ):
                    log.info("%s model %s", "challenger (shadow)" if self.challenger
                             else "serving", model.version)
                self._model, self._problem = model, None
                return None
            log.warning("model not changed (%s): %s", self._version_label(), error.message)
            self._problem = error.message
            return error

    def maybe_reload(self) -> FraudError | None:
        """Reload when CURRENT changed since the last look (checked at most once a second)."""
        if self.pinned is not None:
            return None
        now = self._clock()
        if now < self._next_check:
            return None
        self._next_check = now + self.check_every
        if self._current_stamp() == self._stamp:
            return None
        return self.reload()

    def _version_label(self) -> str:
        return f"still serving {self._model.version}" if self._model else "rules only"
