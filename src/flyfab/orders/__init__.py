"""Orders: the life cycle of a customer's order and the immutable record of what it was priced from."""

from flyfab.orders.lifecycle import (
    FINAL,
    MOVES,
    Action,
    Role,
    State,
    Transition,
    TransitionError,
    allowed,
    transition,
)
from flyfab.orders.snapshot import Snapshot, SnapshotError, canonical, digest

__all__ = [
    "FINAL",
    "MOVES",
    "Action",
    "Role",
    "Snapshot",
    "SnapshotError",
    "State",
    "Transition",
    "TransitionError",
    "allowed",
    "canonical",
    "digest",
    "transition",
]
