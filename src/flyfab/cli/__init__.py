"""The `flyfab` command line: a thin shell over the library, one module per group of commands.

Exit codes: 0 done and nothing wrong; 1 done, but something could not be used (the output says
what); 2 the input could not be used at all, or the command was used wrongly.
"""

from flyfab.cli import cam, plan, pool, quote, render, serve  # noqa: F401  (they register their commands)
from flyfab.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
