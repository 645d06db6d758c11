"""The installed version of cwb, kept apart so that reading it imports nothing else of cwb."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cwb")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
