"""cwb: a toolkit for community wealth building around capital projects.

Public API
----------
read_dataset, validate_dataset, write_dataset
    Read (and validate) a dataset folder, or write one out.
Dataset, Manifest, Project
    The in-memory dataset and its manifest.
CwbError, DatasetError, UsageError, Problem
    The error family; ``DatasetError.problems`` lists every row-level problem.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cwb")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from cwb.dataset import Dataset
from cwb.errors import CwbError, DatasetError, MissingDependencyError, Problem, UsageError
from cwb.io import read_dataset, write_dataset
from cwb.manifest import Manifest, Project
from cwb.validate import ValidationReport, validate_dataset

__all__ = [
    "CwbError",
    "Dataset",
    "DatasetError",
    "Manifest",
    "MissingDependencyError",
    "Problem",
    "Project",
    "UsageError",
    "ValidationReport",
    "__version__",
    "read_dataset",
    "validate_dataset",
    "write_dataset",
]
