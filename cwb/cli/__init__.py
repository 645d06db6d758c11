"""cwb's command-line interface (typer): the top of the pipeline, ``cwb`` and ``python -m cwb``.

Each module registers its commands on ``app`` and imports the library inside each
command, so that ``cwb --help`` starts without loading it.

- ``app``: the typer application, shared options and the error-to-exit-code mapping.
- ``_output``: the one table printer every command uses (typed JSON/CSV), and ``-o -``.
- ``core``: ``init``, ``geocode``, ``validate``, ``catalogue``, ``demo``.
- ``data``: ``import``, ``stale``, ``areas``, ``build``.
- ``match``: ``match``, ``gaps``, ``compare``.
- ``spend``: ``spend``.
- ``graph``: ``graph``.
- ``maps``: ``map``, ``report``.
- ``flows``: ``import-flows``, ``flows``.
- ``commons``: ``commons``.
- ``tools``: ``synth``, ``bench``.
- ``national``: ``store build``, ``store info``, ``national``.
"""

from cwb.cli import (
    commons,  # noqa: F401
    core,  # noqa: F401
    data,  # noqa: F401
    flows,  # noqa: F401
    graph,  # noqa: F401
    maps,  # noqa: F401
    match,  # noqa: F401
    national,  # noqa: F401
    spend,  # noqa: F401
    tools,  # noqa: F401
)
from cwb.cli.app import app, main

__all__ = ["app", "main"]
