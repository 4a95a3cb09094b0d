"""constraints.txt: the Action installs exactly pinned versions of reviewbot's runtime dependencies."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for number, raw in enumerate((ROOT / "constraints.txt").read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        assert match, f"constraints.txt:{number}: not an exact `name==version` pin: {raw!r}"
        name = canonicalize_name(match[1])
        assert name not in pins, f"constraints.txt:{number}: {name} pinned twice"
        pins[name] = Version(match[2])
    return pins


def _runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(spec) for spec in project["dependencies"]]


def _environment(python: str) -> dict[str, str]:
    env = dict(default_environment())
    env.update(python_version=python, python_full_version=f"{python}.0", extra="")
    return env


def _closure(python: str, pins: dict[str, Version]) -> dict[str, list[str]]:
    """Every distribution a runtime install needs on `python`, each with who requires it and how.

    Requirements of a dependency are read from its installed metadata (the test environment has
    the pinned versions); a distribution this Python does not install here (pyyaml-ft on 3.13) is
    taken as a leaf.
    """
    env = _environment(python)
    needed: dict[str, list[str]] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    queue = [(req, "pyproject.toml") for req in _runtime_requirements()]
    while queue:
        req, parent = queue.pop()
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        name = canonicalize_name(req.name)
        why = f"{parent} requires {req}"
        assert name in pins, f"Python {python}: {name} is not pinned in constraints.txt ({why})"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"Python {python}: {name}=={pins[name]} is outside {req.specifier} ({why})"
        )
        needed.setdefault(name, []).append(why)
        if (name, frozenset(req.extras)) in seen:
            continue
        seen.add((name, frozenset(req.extras)))
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        extras = req.extras
        for spec in requires:
            child = Requirement(spec)
            if child.marker is not None and not any(
                child.marker.evaluate({**env, "extra": extra}) for extra in ("", *extras)
            ):
                continue
            queue.append((Requirement(str(child).split(";")[0]), name))
    return needed


@pytest.mark.parametrize("python", SUPPORTED_PYTHONS)
def test_every_runtime_dependency_is_pinned_within_its_declared_range(python: str) -> None:
    # pyproject.toml's ranges for the direct dependencies, the dependencies' own for the rest.
    needed = _closure(python, _pins())
    assert {"libcst", "sqlglot", "sqlglotc", "pygithub", "cryptography"} <= set(needed)


def test_constraints_pin_only_runtime_dependencies() -> None:
    pins = _pins()
    needed: set[str] = set()
    for python in SUPPORTED_PYTHONS:
        needed |= set(_closure(python, pins))
    # Nothing stray (a test tool, reviewbot itself): the file says what the Action downloads.
    assert set(pins) == needed


def test_pins_are_the_versions_the_suite_runs_with() -> None:
    for name, version in _pins().items():
        try:
            installed = Version(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            continue  # a pin for another Python version (pyyaml-ft on 3.13)
        assert installed == version, (
            f"constraints.txt pins {name}=={version} but the tests ran with {installed}: "
            "regenerate constraints.txt (its header says how) or reinstall"
        )


def test_action_installs_with_the_constraints_and_caches_per_ref_and_python() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = {step["name"]: step for step in action["runs"]["steps"]}
    install = steps["Install reviewbot"]["run"]
    assert '--constraint "$ACTION_PATH/constraints.txt"' in install
    assert steps["Install reviewbot"]["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    # Every pip install of the step goes through the constraints.
    for command in re.findall(r"pip install.*?(?<!\\)\n", install, flags=re.S):
        assert "--constraint" in command, command
    cache = steps["Restore reviewbot's virtualenv"]
    assert cache["uses"].startswith("actions/cache@")
    assert cache["with"]["path"] == "${{ runner.temp }}/reviewbot-venv"
    key = cache["with"]["key"]
    for part in (
        "${{ github.action_ref }}",
        "${{ steps.python.outputs.version }}",
        "${{ steps.python.outputs.constraints }}",
        "${{ runner.os }}",
        "${{ runner.arch }}",
    ):
        assert part in key
    assert (
        '"$RUNNER_TEMP/reviewbot-venv/bin/python" -I -m reviewbot' in steps["Run reviewbot"]["run"]
    )
