"""Capability profiles: the factory's limits per process class, read from a TOML file it edits.

The file is validated as a whole on load; any unknown key, wrong type or impossible value is
refused with the file and the dotted key named, so a typo never silently loosens a limit.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

from flyfab.tomlfile import problems, read_toml

# Strict scalars: "0.3" in quotes is a typo to report, not a number to guess. (Lists become
# tuples, which strict mode as a whole would refuse.)
Length = Annotated[float, Strict(), Field(gt=0, lt=1000)]
Layers = Annotated[int, Strict(), Field(ge=1, le=128)]
Pair = tuple[Length, Length]


class ProfileError(ValueError):
    """A capability profile file that cannot be used, with the reason and where."""


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    description: Annotated[str, Strict()]
    min_trace_width_mm: Length
    min_clearance_mm: Length
    min_annular_ring_mm: Length
    min_drill_mm: Length
    max_drill_mm: Length
    min_hole_to_hole_mm: Length
    min_copper_to_edge_mm: Length
    min_npth_to_copper_mm: Length
    min_slot_width_mm: Length
    min_mask_web_mm: Length
    min_silk_line_mm: Length
    min_board_mm: Pair
    max_board_mm: Pair
    copper_layers: tuple[Layers, Layers]
    thickness_mm: Pair

    @model_validator(mode="after")
    def _ranges(self) -> Profile:
        pairs = {
            "max_drill_mm": (self.min_drill_mm, self.max_drill_mm),
            "copper_layers": self.copper_layers,
            "thickness_mm": self.thickness_mm,
            "min_board_mm": self.min_board_mm,
            "max_board_mm": self.max_board_mm,
        }
        for key, (low, high) in pairs.items():
            if low > high:
                raise ValueError(f"{key}: the first value must not exceed the second, got {low} > {high}")
        for i, side in enumerate(("short", "long")):
            if self.min_board_mm[i] > self.max_board_mm[i]:
                raise ValueError(f"min_board_mm: the {side} side {self.min_board_mm[i]} exceeds max_board_mm")
        return self


class Profiles(BaseModel):
    """Every class of the file, plainest first."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profiles: dict[str, Profile] = Field(min_length=1)
    source: str = ""

    def names(self) -> list[str]:
        return list(self.profiles)

    def get(self, name: str) -> Profile:
        if name not in self.profiles:
            known = ", ".join(self.profiles)
            raise ProfileError(f"no capability profile {name!r} in {self.source}; choose one of: {known}")
        return self.profiles[name]

    def above(self, name: str) -> list[Profile]:
        """The classes more capable than `name`, in order."""
        names = self.names()
        return [self.profiles[n] for n in names[names.index(name) + 1 :]]


def parse_profiles(text: str, source: str) -> Profiles:
    raw = read_toml(text, source, ProfileError)
    tables = raw.get("profiles")
    if isinstance(tables, dict):
        for name, table in tables.items():
            if isinstance(table, dict):
                if "name" in table:
                    raise ProfileError(f"{source}: profiles.{name}.name: the table's name is the class name")
                table["name"] = name
    try:
        return Profiles.model_validate({**raw, "source": source})
    except ValidationError as err:
        unknown = "unknown key (the keys are listed in the shipped profiles.toml)"
        raise ProfileError(problems(err, source, unknown)) from None


def default_profiles_text() -> str:
    return resources.files("flyfab.dfm").joinpath("profiles.toml").read_text(encoding="utf-8")


def load_profiles(path: Path | None = None) -> Profiles:
    """The profiles in `path`, or the shipped defaults."""
    if path is None:
        return parse_profiles(default_profiles_text(), "flyfab/dfm/profiles.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ProfileError(f"cannot read capability profiles {path}: {err}") from None
    return parse_profiles(text, str(path))
