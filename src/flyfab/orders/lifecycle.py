"""An order's life cycle: its states, who may move it from one to another, and the record of each move.

    placed ──► awaiting_payment ──► cam_review ──► approved ──► in_production ──► shipped
                     │                 │   ▲
                     │                 ▼   │ (customer answers)
                     │              on_hold
                     ▼                 │
                 cancelled ◄───────────┴──── (also from cam_review; staff reject = cancelled)

A customer places an order from a quote; staff record the payment, review the CAM data (approve,
put on hold with a question, reject), release it to production and ship it. A customer may cancel
until the factory has approved the data; staff may cancel until production starts. Every move
carries who made it and why; a move the table does not allow is refused with the moves that are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class State(StrEnum):
    PLACED = "placed"
    AWAITING_PAYMENT = "awaiting_payment"
    CAM_REVIEW = "cam_review"
    ON_HOLD = "on_hold"
    APPROVED = "approved"
    IN_PRODUCTION = "in_production"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class Role(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    SYSTEM = "system"


class Action(StrEnum):
    CHECKOUT = "checkout"  # the customer confirms: payment is now awaited
    RECORD_PAYMENT = "record_payment"
    APPROVE = "approve"
    HOLD = "hold"  # a question to the customer about the data
    RESUME = "resume"  # the question is answered: back to review
    REJECT = "reject"  # the data cannot be built: the order is cancelled
    RELEASE = "release"  # to production
    SHIP = "ship"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Move:
    action: Action
    source: State
    target: State
    roles: frozenset[Role]
    needs_reason: bool = False


def _move(action: Action, source: State, target: State, *roles: Role, reason: bool = False) -> Move:
    return Move(action, source, target, frozenset(roles), reason)


C, S = Role.CUSTOMER, Role.STAFF
MOVES: tuple[Move, ...] = (
    _move(Action.CHECKOUT, State.PLACED, State.AWAITING_PAYMENT, C, S),
    _move(Action.RECORD_PAYMENT, State.AWAITING_PAYMENT, State.CAM_REVIEW, S),
    _move(Action.APPROVE, State.CAM_REVIEW, State.APPROVED, S),
    _move(Action.HOLD, State.CAM_REVIEW, State.ON_HOLD, S, reason=True),
    _move(Action.RESUME, State.ON_HOLD, State.CAM_REVIEW, C, S),
    _move(Action.REJECT, State.CAM_REVIEW, State.CANCELLED, S, reason=True),
    _move(Action.REJECT, State.ON_HOLD, State.CANCELLED, S, reason=True),
    _move(Action.RELEASE, State.APPROVED, State.IN_PRODUCTION, S, Role.SYSTEM),
    _move(Action.SHIP, State.IN_PRODUCTION, State.SHIPPED, S, Role.SYSTEM),
    _move(Action.CANCEL, State.PLACED, State.CANCELLED, C, S),
    _move(Action.CANCEL, State.AWAITING_PAYMENT, State.CANCELLED, C, S),
    _move(Action.CANCEL, State.CAM_REVIEW, State.CANCELLED, C, S),
    _move(Action.CANCEL, State.ON_HOLD, State.CANCELLED, C, S),
    _move(Action.CANCEL, State.APPROVED, State.CANCELLED, S),
)
FINAL = frozenset({State.SHIPPED, State.CANCELLED})


class TransitionError(ValueError):
    """A move the life cycle does not allow; the message names the moves that are."""


@dataclass(frozen=True)
class Transition:
    """One recorded move: the audit trail of an order is the list of these."""

    action: Action
    source: State
    target: State
    actor: str  # who: an account id, or "system"
    role: Role
    reason: str
    at: datetime


def allowed(state: State, role: Role) -> list[Action]:
    """The actions `role` may take on an order in `state`."""
    return [m.action for m in MOVES if m.source == state and role in m.roles]


def transition(
    state: State, action: Action, role: Role, actor: str, at: datetime, reason: str = ""
) -> Transition:
    """The move `action` makes from `state`, or TransitionError saying why not and what is possible."""
    move = next((m for m in MOVES if m.source == state and m.action == action), None)
    if move is None:
        possible = ", ".join(allowed(state, role)) or "none"
        raise TransitionError(
            f"an order that is {state.value} cannot {action.value}; possible now: {possible}"
        )
    if role not in move.roles:
        raise TransitionError(f"a {role.value} cannot {action.value} an order that is {state.value}")
    if move.needs_reason and not reason.strip():
        raise TransitionError(f"say why when you {action.value} an order: the customer will read it")
    return Transition(action, state, move.target, actor, role, reason.strip(), at)
