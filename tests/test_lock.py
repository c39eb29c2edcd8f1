"""requirements/lock.txt pins every dependency of pyproject.toml inside its range (issue 13)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
PIN = re.compile(r"([A-Za-z0-9._-]+)==([^\s;#]+)")


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (REPO / "requirements" / "lock.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = PIN.fullmatch(line.strip())
        assert m is not None, f"lock line is not name==version: {line!r}"
        pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    names = [*project["dependencies"], *extras["test"], *extras["postgres"]]
    return [Requirement(r) for r in names]


def test_every_dependency_is_pinned_inside_its_range() -> None:
    pins = _pins()
    problems = []
    for req in _requirements():
        version = pins.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name} is not pinned")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}=={version} is outside {req.specifier}")
    assert problems == []


def test_readme_and_ci_install_with_the_lock() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -c requirements/lock.txt -e '.[test]'" in readme
    assert "-c requirements/lock.txt -e '.[test]'" in ci
