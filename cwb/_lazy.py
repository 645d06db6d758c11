"""Lazy public names for a package (PEP 562): each is imported from its module on first use."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_attributes(
    package: str, names: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for ``package`` serving ``names`` lazily.

    Parameters
    ----------
    package
        The package's ``__name__``.
    names
        Public name → the module that defines it.

    Returns
    -------
    getattr, dir
        Assign them to the package's ``__getattr__`` and ``__dir__``. A name is
        imported the first time it is asked for, then kept in the package.
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
