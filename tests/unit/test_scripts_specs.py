"""The script and report specs cover every area and every sandbox limit.

(Every project spec's error message and determinism: test_project_specs.py.)
"""

from __future__ import annotations

from workbench.core.codes import Code
from workbench.specs.loader import load_specs

AREAS = ("scripts", "reports")


def _specs(project, domain):
    loaded = load_specs([project.specs_dir / area for area in AREAS], domain.messages)
    assert not loaded.errors, loaded.errors
    return loaded.specs


def test_every_area_has_specs(project, domain):
    by_area = {area: [s for s in _specs(project, domain) if f"/{area}/" in str(s.path)] for area in AREAS}
    assert all(len(specs) >= 5 for specs in by_area.values()), {a: len(s) for a, s in by_area.items()}


def test_the_sandbox_limits_each_have_a_spec(project, domain):
    exhausted = [s for s in _specs(project, domain) if s.error and s.error.code is Code.RESOURCE_EXHAUSTED]
    messages = " ".join(s.error.message for s in exhausted)
    for limit in ("budget", "out of memory", "inventory calls"):
        assert limit in messages, f"no spec shows the {limit!r} limit"
