"""flyfab: the online factory of a printed-circuit-board maker."""

__version__ = "0.1.0"
