"""What no file watch covers: [tool.bf] and the installed packages' versions."""

from __future__ import annotations

import os
import sys
import time

from workbench.config import find_project
from workbench.watch.environment import Environment


def test_an_upgraded_package_and_a_changed_setting_are_seen(project_copy, tmp_path_factory, monkeypatch):
    site = tmp_path_factory.mktemp("site-packages")  # outside the project
    (site / "fancylib-1.0.dist-info").mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    environment = Environment(project_copy)
    key = environment.key([])
    assert environment.changed() is None
    (site / "fancylib-1.0.dist-info").rename(site / "fancylib-1.1.dist-info")
    later = time.time() + 1
    os.utime(site, (later, later))  # a coarse clock may not have ticked since the folder was made
    assert environment.changed() == "installed packages changed: fancylib 1.0 -> 1.1"
    environment.forget_key()
    assert environment.key([]) != key, "remembered verdicts are not trusted after an upgrade"

    pyproject = project_copy.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[tool.bf]\n", "[tool.bf]\nspec_timeout = 2\n"))
    assert find_project(project_copy.root).spec_timeout == 2.0
    assert environment.changed() == "pyproject.toml: the [tool.bf] settings changed"
    assert environment.changed() is None


def test_a_bad_spec_timeout_is_one_clear_line(project_copy):
    import pytest

    from workbench.config import ConfigError

    pyproject = project_copy.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[tool.bf]\n", '[tool.bf]\nspec_timeout = "soon"\n'))
    with pytest.raises(ConfigError, match=r"\[tool.bf\] spec_timeout must be a number of seconds above 0, got 'soon'"):
        find_project(project_copy.root)
