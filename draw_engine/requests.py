"""Request bodies of the operator API (docs/spec/lifecycle.md §API) as pydantic v2 models.

They exist so that `/openapi.json` describes every write body in full (and API fuzzing
generates bodies that reach the lifecycle's own checks). They check only the JSON shape:
an object with these members of these JSON types, strictly (no coercion, so the service
sees exactly what was sent). Every rule beyond the shape (identifiers, dates, ratios,
snapshot names…) stays with the lifecycle, whose refusals name the field.
`draw_engine.api.parse_body` turns a shape error into the same 400 `{"field", "message"}`
as before; nothing here is trusted beyond "this member is a string".

Left out: the plan's nested members (strata, teams…) are plain JSON objects/arrays here;
`draw_engine.plan` and `draw_engine.announce` are their validators.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_STRICT = ConfigDict(strict=True, extra="allow")
"""Unknown members pass through to the lifecycle, which refuses them by name where it must."""


class SnapshotRequest(BaseModel):
    """POST /snapshots."""

    model_config = _STRICT
    kind: str = Field(max_length=64, description="units, inspectors or experts")
    name: str = Field(max_length=64, description="snapshot name, ASCII identifier")
    publish: str = Field("at_announce", max_length=64,
                         description="at_announce or after_inspection")


class PlanRequest(BaseModel):
    """POST /draws/plan and POST /draws: a draw plan (docs/spec/lifecycle.md §Plans)."""

    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)
    type: str | None = None
    v: int | None = None
    algorithm: str | None = None
    draw_id: str | None = Field(None, max_length=64)
    title: str | None = Field(None, max_length=1000)
    authority: str | None = Field(None, max_length=1000)
    kind: str = Field(max_length=64, description="routine, special or return_visit")
    period: dict[str, str] | None = None
    units: str | dict[str, Any] | None = None
    inspectors: str | dict[str, Any] | None = None
    experts: str | dict[str, Any] | None = None
    strata: list[dict[str, Any]] | None = None
    exclusions: list[Any] | dict[str, Any] | None = None
    zones: list[Any] | dict[str, Any] | None = None
    teams: dict[str, Any] | None = None
    recusals: list[list[str]] | None = None
    beacon: dict[str, Any] | None = None
    supersedes: str | None = Field(None, max_length=64)


class ExecuteRequest(BaseModel):
    """POST /draws/{id}/execute (the body is optional)."""

    model_config = _STRICT
    timeout: float | None = Field(None, ge=0, le=86_400,
                                  description="seconds to wait for the beacon round")


class CancelRequest(BaseModel):
    """POST /draws/{id}/cancel."""

    model_config = _STRICT
    reason: str = Field(max_length=4000)


class OutcomeRequest(BaseModel):
    """POST /draws/{id}/outcomes."""

    model_config = _STRICT
    unit_id: str = Field(max_length=64)
    date: str = Field(max_length=10, description="YYYY-MM-DD")
    result: str = Field(max_length=64, description="compliant, rectification_ordered, "
                        "penalised or not_inspected")
    note: str = Field("", max_length=4000)
    evidence_sha256: list[str] = Field(default_factory=list, max_length=64,
                                       description="SHA-256 hex digests of evidence files")
    supersedes: int | None = Field(None, ge=0, description="a correction: the log index of "
                                   "the unit's outcome in force, which this one supersedes")


class ReturnVisitRequest(BaseModel):
    """POST /return-visits/snapshot."""

    model_config = _STRICT
    quarter: str = Field(max_length=16, description="e.g. 2026Q1")
    name: str | None = Field(None, max_length=64)


class ReturnVisitPlanRequest(BaseModel):
    """POST /return-visits/plan (the commission's quarterly draw); unknown members refused."""

    model_config = ConfigDict(strict=True, extra="forbid")
    quarter: str = Field(max_length=16, description="e.g. 2026Q4")
    draw_id: str | None = Field(None, max_length=64,
                                description="default return-visit-<quarter>")
    ratio: str | None = Field(None, max_length=40, description="default 1/10")
    title: str | None = Field(None, max_length=1000)
    authority: str | None = Field(None, max_length=1000)
    beacon: dict[str, Any] | None = None


class SourceFile(BaseModel):
    """One department's export inside POST /registries/{kind}/import-sources."""

    model_config = ConfigDict(strict=True, extra="forbid")
    name: str = Field(min_length=1, max_length=256, description="file name (shown in "
                      "decisions and errors)")
    format: str = Field(max_length=16, description="csv, xlsx or jsonl")
    data_base64: str = Field(description="the file's bytes, base64 (RFC 4648, padded)")


class SourcesImportRequest(BaseModel):
    """POST /registries/{kind}/import-sources: several files merged, with a mapping."""

    model_config = ConfigDict(strict=True, extra="forbid")
    files: list[SourceFile] = Field(min_length=1, max_length=32, description="most "
                                    "authoritative first: the first file wins a merge")
    mapping: dict[str, Any] | None = Field(None, description="a fairdraw-registry-mapping-v1 "
                                           "object (docs/spec/lifecycle.md §Registry import)")
    allow_mass_removal: bool = False
