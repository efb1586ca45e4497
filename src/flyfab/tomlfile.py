"""What the factory's editable TOML files share: reading them, and saying where one is wrong.

Capability profiles, pooling settings, the factory model and the price book are each validated by
their own pydantic model; a problem is reported as `file: dotted.key: message (got value)`.
"""

from __future__ import annotations

import tomllib
from typing import Any

from pydantic import ValidationError


def read_toml(text: str, source: str, error: type[Exception]) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{source}: not valid TOML: {err}") from None


def dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def problems(err: ValidationError, source: str, unknown_key: str) -> str:
    """One line per problem, naming the file, the key, what is wrong and the value found;
    `unknown_key` is the message for a key the model does not know."""
    lines = []
    for e in err.errors():
        got = f" (got {e['input']!r})" if e["type"] != "missing" and not isinstance(e["input"], dict) else ""
        msg = unknown_key if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(f"{source}: {dotted(e['loc'])}: {msg}{got}")
    return "\n".join(lines)
