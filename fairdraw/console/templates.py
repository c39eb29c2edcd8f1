"""Saved draw-plan templates for the operator console (issue 17).

A template is what stays the same from one batch to the next: the plan's
`kind`, `title`, `authority`, `strata` (quotas, reserves), `teams`, `zones`,
`exclusions`, `recusals` and the snapshots it draws from, plus console-only
`labels`: the Chinese display name of each stratum (the announce carries
only ASCII stratum names, DESIGN §4). The console fills in the draw id, the
period, the latest snapshots and the beacon round, and sends the plan to the
ordinary `POST /api/draws/plan` and `POST /api/draws`; a template never goes
into the log itself.

Stored as one JSON file per template, `<data_dir>/console-templates/<name>.json`,
written atomically (temporary file, then rename). A template is checked with
the plan's own structural check (`draw_engine.plan.check_plan`) when saved;
everything else is checked when a plan made from it is validated.

Left out: template history (a save replaces the file; the draws announced from
it are in the log), sharing templates between several servers' hosts.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from draw_engine.canonical import check_value, is_identifier, parse_json
from draw_engine.errors import CanonicalError, DrawEngineError
from draw_engine.plan import check_plan
from fairdraw.errors import FairdrawError

TEMPLATES_DIR = "console-templates"
"""Under the settings' data_dir."""
MAX_TEMPLATE_BYTES = 256 << 10
MAX_LABEL = 64
TEMPLATE_KEYS = ("description", "labels", "plan")
FILLED_IN = ("draw_id", "period", "beacon", "supersedes")
"""Plan members the console fills in per draw: a template may not fix them."""


class TemplateError(FairdrawError, ValueError):
    """A template was refused; `field` names what is wrong."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class TemplateNotFoundError(FairdrawError, LookupError):
    """No template of that name."""


def check_template(value: object) -> dict[str, Any]:
    """A template object, checked; TemplateError naming the field otherwise."""
    if not isinstance(value, dict):
        raise TemplateError("a template must be a JSON object", field="$")
    for key in value:
        if key not in TEMPLATE_KEYS:
            raise TemplateError(f"unknown field (allowed: {', '.join(TEMPLATE_KEYS)})",
                                field=key)
    plan = value.get("plan")
    if not isinstance(plan, dict):
        raise TemplateError("must be a JSON object (a draw plan)", field="plan")
    for key in FILLED_IN:
        if key in plan:
            raise TemplateError("is chosen per draw in the console, not in a template",
                                field=f"plan.{key}")
    try:
        check_value(value)
        check_plan(plan)
    except DrawEngineError as e:
        where = getattr(e, "field", None)
        raise TemplateError(str(e), field=f"plan.{where}" if where else "plan") from e
    description = value.get("description", "")
    if not isinstance(description, str) or len(description) > 2000:
        raise TemplateError("must be text of at most 2000 characters", field="description")
    labels = value.get("labels", {})
    if not isinstance(labels, dict):
        raise TemplateError("must be an object: stratum name -> display name", field="labels")
    listed = plan.get("strata", [])
    if not isinstance(listed, list):
        raise TemplateError("must be a list of strata", field="plan.strata")
    strata = {s.get("name") for s in listed if isinstance(s, dict)}
    for name, label in labels.items():
        if name not in strata:
            raise TemplateError("names no stratum of the plan", field=f"labels.{name}")
        if not isinstance(label, str) or not 0 < len(label) <= MAX_LABEL:
            raise TemplateError(f"must be text of 1 to {MAX_LABEL} characters",
                                field=f"labels.{name}")
    return value


class TemplateStore:
    """The templates directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path:
        if not is_identifier(name):
            raise TemplateError("must be an ASCII identifier [A-Za-z0-9._:-]{1,64}",
                                field="name")
        if name.startswith("."):
            raise TemplateError("must not start with a dot", field="name")
        return self.directory / f"{name}.json"

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob("*.json") if is_identifier(p.stem))

    def load(self, name: str) -> dict[str, Any]:
        path = self._path(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise TemplateNotFoundError(f"no template {name!r}") from None
        try:
            value: dict[str, Any] = parse_json(data[:MAX_TEMPLATE_BYTES + 1])
        except CanonicalError as e:
            raise TemplateError(f"stored file {path} is not JSON: {e}", field="name") from e
        return value

    def save(self, name: str, template: object) -> dict[str, Any]:
        path = self._path(name)
        checked = check_template(template)
        self.directory.mkdir(parents=True, exist_ok=True)
        data = json.dumps(checked, ensure_ascii=False, indent=1).encode("utf-8")
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data + b"\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return checked


def template_store(settings: Any) -> TemplateStore:
    """The templates directory of a service's settings (`<data_dir>/console-templates`)."""
    return TemplateStore(settings.path(settings.data_dir) / TEMPLATES_DIR)


def template_from_plan(plan: dict[str, Any], labels: dict[str, str], *,
                       description: str = "") -> dict[str, Any]:
    """A template of `plan` (what the console fills in per draw left out), checked."""
    kept = {k: v for k, v in plan.items() if k not in FILLED_IN}
    strata = {s["name"] for s in kept.get("strata", [])}
    return check_template({"description": description, "plan": kept,
                           "labels": {k: v for k, v in labels.items() if k in strata}})
