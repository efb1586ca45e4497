"""Parsed layers cached by content, so that DFM, rendering and pooling reuse the analysis' geometry.

The key is the SHA-256 of the file's text plus what was computed (with or without the copper area,
and the threshold below which every width and gap was kept)
and a version that changes whenever the condensed form changes. Entries live in memory for the
process and, when a directory is configured, on disk (written atomically, oldest evicted first).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections import OrderedDict
from pathlib import Path

from flyfab.cam.layerdata import LayerData

CACHE_VERSION = 4


def cache_key(text: str, area: bool, spans: float = 0.0, measured: bool = True) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
    what = ("a" if area else "p") + ("" if measured or not area else "u") + (f"s{spans:g}" if spans else "")
    return f"v{CACHE_VERSION}-{what}-{digest}"


class LayerCache:
    def __init__(
        self, directory: Path | None = None, memory_entries: int = 256, disk_entries: int = 4000
    ) -> None:
        self.directory = directory
        self.memory_entries = memory_entries
        self.disk_entries = disk_entries
        self._memory: OrderedDict[str, LayerData] = OrderedDict()

    def get(self, key: str) -> LayerData | None:
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        if self.directory is None:
            return None
        path = self.directory / f"{key}.pickle"
        try:
            with path.open("rb") as f:
                data = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            return None
        if not isinstance(data, LayerData):
            return None
        self._remember(key, data)
        return data

    def put(self, key: str, data: LayerData) -> None:
        self._remember(key, data)
        if self.directory is None:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
            Path(tmp).replace(self.directory / f"{key}.pickle")
            self._evict()
        except OSError:
            return  # a cache that cannot be written is only slower, never wrong

    def _remember(self, key: str, data: LayerData) -> None:
        self._memory[key] = data
        self._memory.move_to_end(key)
        while len(self._memory) > self.memory_entries:
            self._memory.popitem(last=False)

    def _evict(self) -> None:
        assert self.directory is not None
        entries = sorted(self.directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in entries[: max(0, len(entries) - self.disk_entries)]:
            with contextlib.suppress(OSError):
                old.unlink()


def default_cache() -> LayerCache:
    """FLYFAB_CACHE_DIR names the directory; 'off' keeps the cache in memory only."""
    setting = os.environ.get("FLYFAB_CACHE_DIR")
    if setting is not None and setting.strip().lower() in ("", "off", "none", "0"):
        return LayerCache(None)
    if setting:
        return LayerCache(Path(setting))
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return LayerCache(Path(base) / "flyfab" / "layers")
