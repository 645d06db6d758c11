"""The schema of ``dataset.toml``: every section, key, type and range, checked with pydantic.

:func:`check_manifest` validates parsed TOML section by section and turns each
pydantic error into a :class:`~cwb.errors.Problem` naming ``dataset.toml``, the
key (``privacy.min_count``) and the value, with a did-you-mean for unknown
sections and keys. A key whose value is wrong is reported and then left at its
default, so that validation of the tables can go on.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError
from pyproj import CRS
from pyproj.exceptions import CRSError
from rapidfuzz import fuzz, process

from cwb import settings
from cwb.errors import ProblemLog

MANIFEST_NAME = "dataset.toml"

#: Keys of the sections a stage reads itself (``[spend]`` checks its values on use).
SPEND_KEYS: tuple[str, ...] = (
    "before_after",
    "buyer_projects",
    "default_local_respend",
    "deprived_indicator",
    "deprived_max",
    "duplicate_key",
    "employees",
    "enterprise_categories",
    "fx",
    "geographies",
    "local",
    "min_leakage",
    "region_postcode_areas",
    "regional",
    "register_assets",
    "register_fuzzy_threshold",
    "sector_map",
    "social_types",
    "supplier_register",
    "survey",
    "top",
    "year_start_month",
)

_Finite = Annotated[float, Field(allow_inf_nan=False)]
_Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
_NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
_Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
_Text = Annotated[str, Field(strict=True)]


def _crs(value: str, *, metric: bool) -> str:
    try:
        crs = CRS.from_user_input(value)
    except CRSError:
        raise PydanticCustomError(
            "unknown_crs",
            "is not a coordinate reference system cwb knows; write an EPSG code such as "
            "EPSG:27700 (British National Grid) or EPSG:4326 (latitude/longitude)",
        ) from None
    if metric and (not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter")):
        raise PydanticCustomError(
            "geographic_crs",
            "is not a projected CRS in metres, so distances cannot be measured in it; "
            "use e.g. EPSG:27700 for Great Britain",
        )
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DatasetSection(_Section):
    """``[dataset]``."""

    name: _Text = "unnamed dataset"
    description: _Text = ""
    metric_crs: _Text | None = None
    allow_outside: StrictBool = False

    @field_validator("metric_crs")
    @classmethod
    def _metric(cls, value: str | None) -> str | None:
        return None if value is None else _crs(value, metric=True)


class ProjectSection(BaseModel):
    """One ``[[projects]]`` entry; keys beyond these are kept as the project's extra fields."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    id: Annotated[str, Field(min_length=1)]
    name: str | None = None
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    kind: str = ""
    postcode: str = ""
    opened: str = ""
    investment: _NonNegative | None = None
    description: str = ""

    @field_validator("id", "name", "kind", "postcode", "description", mode="before")
    @classmethod
    def _no_tables(cls, value: Any) -> Any:
        if isinstance(value, dict | list):
            raise PydanticCustomError("string_type", "must be text")
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )

    @field_validator("opened", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str) and value.strip():
            try:
                date.fromisoformat(value.strip()[:10])
            except ValueError:
                raise PydanticCustomError("date", "is not a date; write YYYY-MM-DD") from None
            if len(value.strip()) > 10 and value.strip()[10] not in "T ":
                raise PydanticCustomError("date", "is not a date; write YYYY-MM-DD")
        return value


class FileSection(_Section):
    """A ``[files]`` entry written as a table."""

    path: Annotated[str, Field(strict=True, min_length=1)]
    crs: _Text | None = None
    layer: _Text | None = None
    sheet: _Text | None = None
    columns: dict[str, Annotated[str, Field(strict=True)]] = {}

    @field_validator("crs")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        return None if value is None else _crs(value, metric=False)


class CatchmentSection(_Section):
    """``[catchment]``."""

    bands_m: Annotated[list[_Positive], Field(min_length=1)] = list(settings.BANDS_M)
    max_outside_m: _NonNegative = settings.MAX_OUTSIDE_M


class PrivacySection(_Section):
    """``[privacy]``."""

    min_count: Annotated[int, Field(ge=1)] = settings.MIN_COUNT
    allow_small_groups: StrictBool = False


class LimitsSection(_Section):
    """``[limits]``: how big a table file may be before cwb refuses to read it."""

    max_file_mb: _Positive = settings.MAX_FILE_MB
    max_columns: Annotated[int, Field(ge=1)] = settings.MAX_COLUMNS
    max_xlsx_unzipped_mb: _Positive = settings.MAX_XLSX_UNZIPPED_MB


class MatchingSection(_Section):
    """``[matching]`` (``cwb.matching`` reads it; the ranges are checked here too)."""

    weights: dict[str, _NonNegative] = {}
    decay_m: _Positive = settings.DECAY_M
    max_distance_m: _Positive = settings.MAX_DISTANCE_M
    min_score: _Share = settings.MIN_SCORE
    top_k: Annotated[int, Field(ge=0)] = settings.TOP_K
    related_credit: _Share = settings.RELATED_CREDIT
    fuzzy_threshold: Annotated[float, Field(ge=0, le=100)] = settings.SKILL_FUZZY_THRESHOLD
    contracts_per_supplier: Annotated[int, Field(ge=1)] = settings.CONTRACTS_PER_SUPPLIER
    max_consortium_size: Annotated[int, Field(ge=2, le=6)] = settings.MAX_CONSORTIUM_SIZE
    consortia_per_contract: Annotated[int, Field(ge=1)] = settings.CONSORTIA_PER_CONTRACT
    vocabulary: list[str] | str = []

    @field_validator("weights")
    @classmethod
    def _components(cls, value: dict[str, float]) -> dict[str, float]:
        for key in value:
            if key not in settings.MATCH_WEIGHTS:
                known = tuple(settings.MATCH_WEIGHTS)
                raise PydanticCustomError(
                    "unknown_component",
                    f"names an unknown component {key!r}{did_you_mean(key, known)}; "
                    f"known: {', '.join(known)}",
                )
        return value


class CommonsSection(_Section):
    """``[commons]`` (``cwb.commons`` reads it)."""

    weights: dict[str, _NonNegative] = {}
    owner_scores: dict[str, _Share] = {}
    decay_m: _Positive = 1500.0
    max_distance_m: _Positive = 3000.0
    min_score: _Share = 0.0


class FlowsSection(_Section):
    """``[flows]``."""

    catchment: list[Annotated[str, Field(strict=True)]] = []


#: Every section a manifest may have, with its model (None: a list or free-form section).
SECTIONS: dict[str, type[BaseModel] | None] = {
    "dataset": DatasetSection,
    "projects": None,
    "files": None,
    "catchment": CatchmentSection,
    "privacy": PrivacySection,
    "limits": LimitsSection,
    "matching": MatchingSection,
    "spend": None,
    "commons": CommonsSection,
    "flows": FlowsSection,
    "synth": None,
}


def did_you_mean(word: str, known: tuple[str, ...] | list[str]) -> str:
    match = process.extractOne(word, list(known), scorer=fuzz.ratio, score_cutoff=60)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:79] + "…"


def _unknown(log: ProblemLog, where: str, key: str, value: object, known: list[str]) -> None:
    log.add(
        MANIFEST_NAME,
        f"unknown key {key!r} in [{where}]{did_you_mean(key, known)}",
        column=f"{where}.{key}",
        value=_shown(value),
        code="unknown_key",
        hint="known keys: " + ", ".join(known),
    )


def check_model(
    model: type[BaseModel], data: object, where: str, log: ProblemLog
) -> BaseModel | None:
    """Validate ``data`` against ``model``; report each error; drop bad keys and retry.

    Returns the validated section, with a bad key left at its default (None when
    ``data`` is not a table at all, or a required key is wrong).
    """
    if not isinstance(data, dict):
        not_a_table(log, where, data)
        return None
    data = dict(data)
    reported: set[str] = set()
    for _ in range(len(data) + 1):
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            dropped = False
            for error in exc.errors():
                loc = [str(p) for p in error["loc"]]
                if not loc:  # pragma: no cover - a whole-model error
                    continue
                key = loc[0]
                if key in reported:
                    continue
                reported.add(key)
                if error["type"] == "extra_forbidden":
                    known = list(model.model_fields)
                    _unknown(log, where, key, data.get(key), known)
                else:
                    value = data.get(key) if len(loc) == 1 else error.get("input")
                    log.add(
                        MANIFEST_NAME,
                        _message(error),
                        column=".".join([where, *loc]),
                        value=_shown(value) if key in data else None,
                        code="invalid" if key in data else "missing_key",
                    )
                if key in data:
                    del data[key]
                    dropped = True
            if not dropped:
                return None
    return None  # pragma: no cover


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("float_parsing", "float_type"):
        return "must be a number"
    if kind == "finite_number":
        return "must be a finite number"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false (without quotes)"
    if kind in ("string_type",):
        return "must be text in quotes"
    if kind in ("list_type",):
        return "must be a list in square brackets, e.g. [1000, 2000]"
    if kind in ("dict_type", "model_type"):
        return "must be a table, e.g. { key = value }"
    text = str(error["msg"]).replace("Input should be", "must be")
    return text[0].lower() + text[1:] if text else kind


def check_sections(raw: dict[str, Any], log: ProblemLog) -> None:
    """Report unknown top-level sections and sections that are not tables."""
    for name, value in raw.items():
        if name not in SECTIONS:
            log.add(
                MANIFEST_NAME,
                f"unknown section [{name}]{did_you_mean(name, list(SECTIONS))}",
                column=name,
                code="unknown_section",
                hint="known sections: " + ", ".join(SECTIONS),
            )
        elif name == "projects" and not isinstance(value, list):
            log.add(
                MANIFEST_NAME,
                "projects must be an array of tables: write each project under its own "
                "[[projects]] line (two brackets), not [projects]",
                column="projects",
                value=_shown(value),
                code="invalid",
            )
        elif name == "spend" and isinstance(value, dict):
            for key in value:
                if key not in SPEND_KEYS:
                    _unknown(log, "spend", key, value[key], list(SPEND_KEYS))
        elif SECTIONS[name] is None and name != "projects" and not isinstance(value, dict):
            not_a_table(log, name, value)


def not_a_table(log: ProblemLog, where: str, value: object) -> None:
    """Report a section or entry that should be a TOML table."""
    log.add(
        MANIFEST_NAME,
        f"[{where}] must be a table of keys (write [{where}] on its own line, "
        "then key = value lines)",
        column=where,
        value=_shown(value),
        code="invalid",
    )
