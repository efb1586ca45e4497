"""Manufacturability: capability profiles and the rules that check a board against them."""

from flyfab.dfm.checks import RULES, DfmReport, Finding, check, copper_limit
from flyfab.dfm.profiles import Profile, ProfileError, Profiles, load_profiles

DFM_AREAS = frozenset({"copper", "soldermask", "silkscreen"})  # layer areas the checks need

__all__ = [
    "DFM_AREAS",
    "RULES",
    "DfmReport",
    "Finding",
    "Profile",
    "ProfileError",
    "Profiles",
    "check",
    "copper_limit",
    "load_profiles",
]
