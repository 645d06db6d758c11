"""cwb's command-line interface (typer). Each module registers its commands on ``app``."""

from cwb.cli import (
    commons,  # noqa: F401
    core,  # noqa: F401
    data,  # noqa: F401
    graph,  # noqa: F401
    maps,  # noqa: F401
    match,  # noqa: F401
    spend,  # noqa: F401
    tools,  # noqa: F401
)
from cwb.cli.app import app, main

__all__ = ["app", "main"]
