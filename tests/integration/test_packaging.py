"""``pip install .`` from a clean checkout gives a working ``newswire`` command.

The root distribution carries the CLI and the three internal packages, so its runtime
dependencies must be the union of theirs (the per-package pyprojects stay for the container
images); test and lint tools are only in the ``dev`` extra.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import SEEDS, cli_env

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["shared", "services/ingest", "services/enrich"]
INTERNAL = {"newswire", "newswire-shared", "newswire-ingest", "newswire-enrich"}


def _requirements(pyproject: Path) -> dict[str, str]:
    """Runtime requirements of `pyproject` by normalised name (internal ones left out)."""
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    found = {}
    for dep in deps:
        name = re.split(r"[\s\[<>=!~;]", dep, maxsplit=1)[0]
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key not in INTERNAL:
            found[key] = dep.replace(" ", "")
    return found


def test_root_dependencies_are_the_union_of_the_packages() -> None:
    """Every runtime requirement of shared/ingest/enrich is in the root one, word for word."""
    root = _requirements(ROOT / "pyproject.toml")
    for package in PACKAGES:
        for key, dep in _requirements(ROOT / package / "pyproject.toml").items():
            assert root.get(key) == dep, f"{package}: {dep} (root has {root.get(key)})"
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not [d for d in declared if d.split(">")[0].split("=")[0] in INTERNAL]


def test_test_tools_are_not_runtime_dependencies() -> None:
    """pytest, hypothesis, mypy, ruff and friends are in the dev extra, not the runtime."""
    runtime = set(_requirements(ROOT / "pyproject.toml"))
    for package in PACKAGES:
        runtime |= set(_requirements(ROOT / package / "pyproject.toml"))
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    tools = {re.split(r"[\s\[<>=!~;]", d, maxsplit=1)[0].lower() for d in dev["dev"]}
    assert "pytest" in tools
    assert not runtime & tools


def _clean_checkout(dest: Path) -> Path:
    """Copy what git would check out (tracked and new, not ignored files) to `dest`."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def test_pip_install_of_a_clean_checkout_gives_a_working_command(tmp_path: Path) -> None:
    """Fresh venv + ``pip install .``: --help, schema and a one-shot enrich all work."""
    checkout = _clean_checkout(tmp_path / "checkout")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = {**cli_env(), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    install = subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "-c",
         str(checkout / "constraints.txt"), str(checkout)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    newswire = str(venv / "bin/newswire")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [newswire, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip

    shown = run("--help")
    assert shown.returncode == 0, shown.stderr
    for command in ("run", "ingest", "worker", "enrich", "status", "health", "schema"):
        assert command in shown.stdout
    schema = run("schema")
    assert schema.returncode == 0, schema.stderr
    assert "ArticleJob" in schema.stdout
    # the installed modules come from the venv, not from the checkout or the test's venv
    code = "import newswire, newswire_shared, newswire_ingest, newswire_enrich; "
    code += "print(newswire_enrich.__file__)"
    where = subprocess.run(
        [str(venv / "bin/python"), "-c", code],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert Path(where.strip()).is_relative_to(venv)
    article = next(p for p in sorted(SEEDS.rglob("*.txt")) if p.is_file())
    enriched = run("enrich", str(article), "--out", "out")
    assert enriched.returncode == 0, enriched.stderr
    (result,) = (tmp_path / "out").glob("*.json")
    assert json.loads(result.read_text())["text"]
    pip_check = subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "check"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert pip_check.returncode == 0, pip_check.stdout
    no_test_tools = subprocess.run(
        [str(venv / "bin/python"), "-c", "import pytest"],
        env=env, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert no_test_tools.returncode != 0, "pytest must come only with the dev extra"
    assert os.access(newswire, os.X_OK)
