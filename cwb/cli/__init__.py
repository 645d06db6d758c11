"""cwb's command-line interface (typer). Each module registers its commands on ``app``."""

from cwb.cli import core  # noqa: F401
from cwb.cli import data  # noqa: F401
from cwb.cli import graph  # noqa: F401
from cwb.cli import maps  # noqa: F401
from cwb.cli import match  # noqa: F401
from cwb.cli import spend  # noqa: F401
from cwb.cli import tools  # noqa: F401
from cwb.cli.app import app, main

__all__ = ["app", "main"]
