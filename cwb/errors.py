"""The cwb exception family.

Every error that cwb raises on purpose derives from :class:`CwbError`, so callers
can catch one class. The CLI catches it once and turns it into an exit code:
``DatasetError`` → 1 (the data has errors), ``UsageError`` and
``MissingDependencyError`` → 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a dataset, located as precisely as possible.

    ``row`` is numbered as a spreadsheet numbers it: the header is row 1, so the
    first data row is row 2. It is ``None`` for problems about a whole file or column.
    """

    file: str
    reason: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    hint: str | None = None
    severity: Severity = "error"
    code: str = "invalid"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:  # a manifest names a key, a table a column
            where += f", {'key' if self.file.endswith('dataset.toml') else 'column'} {self.column}"
        text = f"{where}: "
        if self.value is not None:
            text += f"{self.value!r}: "
        text += self.reason
        if self.hint:
            text += f" ({self.hint})"
        return text


class CwbError(Exception):
    """Root of every error cwb raises on purpose."""


class UsageError(CwbError):
    """The caller asked for something that cannot be done (bad option, missing path).

    ``argument`` names the function argument (or manifest key) at fault, when one
    is; the message then starts with it, and the CLI shows its flag instead.
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        self.message = message
        self.argument = argument
        super().__init__(f"{argument}: {message}" if argument else message)

    @classmethod
    def check_suffix(
        cls, path: object, suffixes: tuple[str, ...], what: str, argument: str = "output"
    ) -> None:
        """Raise unless ``path`` ends in one of ``suffixes`` (cwb never writes HTML into a .png).

        >>> UsageError.check_suffix("map.png", (".html",), "a map")
        Traceback (most recent call last):
        cwb.errors.UsageError: output: cannot write a map to 'map.png': use a file ending in .html
        """
        name = str(path)
        if not name.lower().endswith(tuple(s.lower() for s in suffixes)):
            raise cls(
                f"cannot write {what} to {name!r}: use a file ending in " + ", ".join(suffixes),
                argument=argument,
            )


class MissingDependencyError(CwbError, ImportError):
    """An optional dependency is not installed; the message says how to install it."""

    @classmethod
    def for_extra(cls, extra: str, needed_for: str) -> MissingDependencyError:
        """The error for a feature whose optional extra ``cwb[extra]`` is not installed.

        >>> print(MissingDependencyError.for_extra("ocds", "importing OCDS"))
        importing OCDS needs cwb's optional 'ocds' dependencies: pip install 'cwb[ocds]'
        """
        return cls(
            f"{needed_for} needs cwb's optional {extra!r} dependencies: pip install 'cwb[{extra}]'"
        )


class DatasetError(CwbError):
    """A dataset has errors. ``problems`` carries every one of them (and the warnings)."""

    def __init__(self, problems: list[Problem], summary: str | None = None) -> None:
        self.problems: list[Problem] = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = summary or f"the dataset has {len(errors)} error(s)"
        lines = [head] + [f"  {p}" for p in errors[:20]]
        if len(errors) > 20:
            lines.append(f"  … and {len(errors) - 20} more")
        super().__init__("\n".join(lines))

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``error``."""
        return [p for p in self.problems if p.severity == "error"]


@dataclass
class ProblemLog:
    """Collects problems while a dataset is read; raise once at the end."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, file: str, reason: str, **kwargs: object) -> None:
        """Record one problem (keyword arguments as in :class:`Problem`)."""
        self.problems.append(Problem(file=file, reason=reason, **kwargs))  # type: ignore[arg-type]

    def warn(self, file: str, reason: str, **kwargs: object) -> None:
        """Record a warning."""
        self.add(file, reason, severity="warning", **kwargs)

    @property
    def has_errors(self) -> bool:
        """Whether any recorded problem is an error."""
        return any(p.severity == "error" for p in self.problems)


def require_path(path: str | Path) -> Path:
    """``path`` as a Path, or a UsageError naming it when it does not exist."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{p} does not exist")
    return p


def tidy_problems(problems: list[Problem]) -> list[Problem]:
    """Problems sorted by file (in the order files were read) and row, each cell once.

    File-level problems come before the rows of their file. When one cell (file, row,
    column) has several problems, the first error is kept, else the first warning.
    """
    file_order: dict[str, int] = {}
    for p in problems:
        file_order.setdefault(p.file, len(file_order))
    kept: dict[tuple[str, int, str], int] = {}
    out: list[Problem] = []
    for p in problems:
        if p.row is None or not p.column:
            out.append(p)
            continue
        key = (p.file, p.row, p.column)
        if key not in kept:
            kept[key] = len(out)
            out.append(p)
        elif p.severity == "error" and out[kept[key]].severity != "error":
            out[kept[key]] = p
    return sorted(
        out, key=lambda p: (file_order[p.file], p.row is not None, p.row or 0, p.column or "")
    )


@dataclass(frozen=True, slots=True)
class ProblemGroup:
    """Identical problems on several rows: one line with a count and the first rows."""

    first: Problem
    rows: tuple[int, ...]

    @property
    def count(self) -> int:
        """How many problems the group stands for."""
        return max(len(self.rows), 1)

    def __str__(self) -> str:
        if len(self.rows) <= 1:
            return str(self.first)
        p = self.first
        where = p.file + (f", column {p.column}" if p.column else "")
        shown = ", ".join(map(str, self.rows[:MAX_ROWS_SHOWN]))
        more = " …" if len(self.rows) > MAX_ROWS_SHOWN else ""
        text = f"{where}: {len(self.rows)} rows ({shown}{more}): {p.reason}"
        return text + (f" ({p.hint})" if p.hint else "")


#: Rows named in a grouped problem's line.
MAX_ROWS_SHOWN = 5


def group_problems(problems: list[Problem]) -> list[ProblemGroup]:
    """Identical problems (same file, column, reason, hint, severity) as one group each.

    Groups keep the order of their first problem; the value is left out of a group's
    line (it differs between rows).
    """
    groups: dict[tuple[object, ...], list[Problem]] = {}
    for i, p in enumerate(problems):
        key: tuple[object, ...] = (
            (p.severity, p.file, p.column, p.reason, p.hint, p.code) if p.row is not None else (i,)
        )
        groups.setdefault(key, []).append(p)
    out = []
    for members in groups.values():
        rows = tuple(p.row for p in members if p.row is not None)
        first = members[0]
        if len(members) > 1:
            first = replace(first, row=None, value=None)
        out.append(ProblemGroup(first=first, rows=rows))
    return out
