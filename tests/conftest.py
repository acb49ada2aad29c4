"""Shared fixtures: the project, its loaded domain, and the kata bundle."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from workbench.config import find_project
from workbench.core.domain import Domain

ROOT = Path(__file__).resolve().parent.parent
KATA_BUNDLE = ROOT.parent / "shared" / "kata" / "bundle.txt"


@pytest.fixture(autouse=True)
def _umask_restored():
    """Commands run in-process (`main(["serve", ...])`) make their files private with the
    process umask: give the next test the umask this one started with."""
    umask = os.umask(0o022)
    os.umask(umask)
    yield
    os.umask(umask)


@pytest.fixture(scope="session")
def project():
    return find_project(ROOT)


@pytest.fixture(scope="session")
def domain(project):
    return Domain.load(project)


@pytest.fixture
def kata_bundle() -> Path:
    if not KATA_BUNDLE.exists():
        pytest.skip(f"the kata bundle is not beside this checkout ({KATA_BUNDLE}); CI and developers have it")
    return KATA_BUNDLE


@pytest.fixture
def project_copy(project, tmp_path):
    """A temporary copy of the project (domain, specs, config) to edit freely."""
    for name in ("domain", "specs"):
        shutil.copytree(project.root / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(project.root / "pyproject.toml", tmp_path)
    return find_project(tmp_path)


@pytest.fixture
def small_project_copy(project_copy):
    """The project copy with only the products and locations specs: quicker to run whole."""
    for area in project_copy.specs_dir.iterdir():
        if area.name not in ("products", "locations"):
            shutil.rmtree(area)
    return project_copy


@pytest.fixture
def small_rounds(monkeypatch):
    """Stress rounds of 31 places, 60 products and 20 reservation attempts: the same phases, quicker."""
    import domain.stress_workload as workload

    monkeypatch.setattr(workload, "LEVELS", workload.LEVELS[:5])
    monkeypatch.setattr(workload, "PRODUCTS_PER_ROUND", 60)
    monkeypatch.setattr(workload, "FIRST_ROUND_ATTEMPTS", 20)


@pytest.fixture
def socket_dir():
    """A short folder for unix sockets: a socket path must fit in 108 bytes, and tmp_path's seldom does."""
    folder = Path(tempfile.mkdtemp(prefix="bf-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
