"""The Gerber job file (.gbrjob, Ucamco's JSON companion to X2): which file is which layer.

The job file names every file of the set with its X2 FileFunction, and states the layer count, the
board size and the generating software. It is metadata, not an image, so the upload lists it as
ignored, but its statements are the second-strongest evidence after the files' own attributes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any


@dataclass
class JobFile:
    path: str
    functions: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # file name (lower case) -> FileFunction
    polarity: dict[str, str] = field(default_factory=dict)
    layer_count: int | None = None
    size_mm: tuple[float, float] | None = None
    generator: str | None = None

    def function_for(self, path: str) -> tuple[str, ...] | None:
        name = PurePosixPath(path).name.lower()
        return self.functions.get(path.lower()) or self.functions.get(name)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_TJ = re.compile(r"%TJ\.(\w+),([^*]*)\*%")
_TF_SOFTWARE = re.compile(r"%TF\.GenerationSoftware,([^*]*)\*%")


def _read_gerber_syntax(path: str, text: str) -> JobFile:
    """The first job-file format: Gerber syntax with %TJ attributes."""
    job = JobFile(path)
    values = dict(_TJ.findall(text))
    layers = _number(values.get("B_LayerNum"))
    job.layer_count = int(layers) if layers else None
    x, y = _number(values.get("B_Size_X")), _number(values.get("B_Size_Y"))
    if x and y:
        job.size_mm = (x, y)
    if m := _TF_SOFTWARE.search(text):
        job.generator = " ".join(p.strip() for p in m.group(1).split(","))
    return job


def read_job(path: str, text: str) -> JobFile | None:
    if text.lstrip().startswith(("G04", "%")):
        return _read_gerber_syntax(path, text)
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    job = JobFile(path)
    header = doc.get("Header") or {}
    software = header.get("GenerationSoftware") if isinstance(header, dict) else None
    if isinstance(software, dict):
        job.generator = " ".join(
            str(software[k]) for k in ("Vendor", "Application", "Version") if k in software
        )
    specs = doc.get("GeneralSpecs") or doc.get("Overall") or {}
    if isinstance(specs, dict):
        layers = _number(specs.get("LayerNumber"))
        job.layer_count = int(layers) if layers else None
        size = specs.get("Size")
        if isinstance(size, dict):
            x, y = _number(size.get("X")), _number(size.get("Y"))
            if x and y:
                job.size_mm = (x, y)
    for entry in doc.get("FilesAttributes") or []:
        if not isinstance(entry, dict) or "Path" not in entry or "FileFunction" not in entry:
            continue
        fn = tuple(part.strip() for part in str(entry["FileFunction"]).split(","))
        key = str(entry["Path"]).replace("\\", "/")
        for k in (key.lower(), PurePosixPath(key).name.lower()):
            job.functions.setdefault(k, fn)
            if "FilePolarity" in entry:
                job.polarity.setdefault(k, str(entry["FilePolarity"]))
    return job
