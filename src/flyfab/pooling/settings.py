"""The factory's pooling settings (panel sizes, frame, spacing, overage, marks), from a TOML file it edits.

Validated as a whole on load: an unknown key, a wrong type or an impossible value is refused with
the file and the dotted key named.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, field_validator

from flyfab.pooling.model import PanelSize, Process
from flyfab.tomlfile import problems, read_toml

Length = Annotated[float, Field(ge=0, lt=10_000)]
Positive = Annotated[float, Field(gt=0, lt=10_000)]
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[x×X]\s*(\d+(?:\.\d+)?)\s*$")


class SettingsError(ValueError):
    """Pooling settings that cannot be used, with the reason and where."""


def parse_size(text: str) -> PanelSize:
    m = _SIZE.match(text)
    if not m or float(m[1]) <= 0 or float(m[2]) <= 0:
        raise ValueError(f"{text!r} is not a panel size; write it as WxH in millimetres, e.g. 457x610")
    return PanelSize(float(m[1]), float(m[2]))


class PanelTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sizes: list[str] = Field(min_length=1)
    frame_mm: Length
    spacing_mm: Length
    rotation: Annotated[bool, Strict()] = True
    keep_outs: list[tuple[Length, Length, Positive, Positive]] = []

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, v: list[str]) -> list[str]:
        for s in v:
            parse_size(s)
        return v


class OverageTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    percent: Annotated[float, Field(ge=0, le=100)] = 0.0
    min_copies: Annotated[int, Strict(), Field(ge=0, le=1000)] = 0


class MarksTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    tooling_hole_mm: Positive = 3.0
    tooling_keep_out_mm: Positive = 6.0
    fiducial_mm: Positive = 1.0
    fiducial_keep_out_mm: Positive = 4.0
    panel_id_height_mm: Positive = 3.0


class DefaultsTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    layers: Annotated[int, Strict(), Field(ge=1, le=32)] = 2
    thickness_mm: Positive = 1.6
    copper_oz: Positive = 1.0
    inner_copper_oz: Positive | None = None
    finish: str = "hasl"
    mask: str = "green"
    silkscreen: str = "white"
    klass: str = Field("standard", alias="class")
    material: str = "fr4"


class SettingsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    panel: PanelTable
    overage: OverageTable = OverageTable()
    marks: MarksTable = MarksTable()
    defaults: DefaultsTable = DefaultsTable.model_validate({})


class PoolSettings(BaseModel):
    """What pooling needs, after the command line has had its say."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    sizes: tuple[PanelSize, ...]
    frame_mm: float
    spacing_mm: float
    rotation: bool = True
    keep_outs: tuple[tuple[float, float, float, float], ...] = ()
    overage_percent: float = 0.0
    overage_min: int = 0
    marks: MarksTable = MarksTable()
    defaults: Process = Process()

    def copies(self, quantity: int) -> int:
        """Quantity plus the overage made for yield."""
        extra = -(-quantity * self.overage_percent // 100) if self.overage_percent else 0
        return quantity + max(int(extra), self.overage_min)


def parse_settings(text: str, source: str) -> PoolSettings:
    raw = read_toml(text, source, SettingsError)
    try:
        f = SettingsFile.model_validate(raw)
    except ValidationError as err:
        unknown = "unknown key (the keys are listed in the shipped settings.toml)"
        raise SettingsError(problems(err, source, unknown)) from None
    d = f.defaults
    from flyfab.pooling.orders import OrderError, parse_process

    try:
        defaults = parse_process(
            {
                "layers": d.layers,
                "thickness_mm": d.thickness_mm,
                "copper_oz": d.copper_oz,
                "finish": d.finish,
                "mask": d.mask,
                "silkscreen": d.silkscreen,
                "class": d.klass,
                "material": d.material,
                **({"inner_copper_oz": d.inner_copper_oz} if d.inner_copper_oz is not None else {}),
            },
            Process(),
        )
    except OrderError as err:
        raise SettingsError(f"{source}: defaults: {str(err).removeprefix('params.')}") from None
    return PoolSettings(
        sizes=tuple(parse_size(s) for s in f.panel.sizes),
        frame_mm=f.panel.frame_mm,
        spacing_mm=f.panel.spacing_mm,
        rotation=f.panel.rotation,
        keep_outs=tuple(f.panel.keep_outs),
        overage_percent=f.overage.percent,
        overage_min=f.overage.min_copies,
        marks=f.marks,
        defaults=defaults,
    )


def default_settings_text() -> str:
    return resources.files("flyfab.pooling").joinpath("settings.toml").read_text(encoding="utf-8")


def load_settings(path: Path | None = None) -> PoolSettings:
    """The settings in `path`, or the shipped defaults."""
    if path is None:
        return parse_settings(default_settings_text(), "flyfab/pooling/settings.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SettingsError(f"cannot read pooling settings {path}: {err}") from None
    return parse_settings(text, str(path))
