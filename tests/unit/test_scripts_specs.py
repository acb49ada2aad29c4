"""The script and report specs, held to more than the kata runner checks.

The kata compares status codes only; an endless loop and a forbidden library
must not pass for each other, so here every expected error message must be
the one produced, word for word, and every spec must give the same outcome
when run again (spec mode is deterministic).
"""

from __future__ import annotations

import pytest

from workbench.core.codes import Code
from workbench.specs.loader import load_specs
from workbench.specs.sandbox import SpecSandbox

AREAS = ("scripts", "reports")


def _specs(project, domain):
    loaded = load_specs([project.specs_dir / area for area in AREAS], domain.messages)
    assert not loaded.errors, loaded.errors
    return loaded.specs


@pytest.fixture(scope="module")
def sandbox(domain):
    return SpecSandbox(domain)


def test_every_area_has_specs(project, domain):
    by_area = {area: [s for s in _specs(project, domain) if f"/{area}/" in str(s.path)] for area in AREAS}
    assert all(len(specs) >= 5 for specs in by_area.values()), {a: len(s) for a, s in by_area.items()}


def test_expected_error_messages_are_the_ones_produced(project, domain, sandbox):
    wrong = []
    for spec in _specs(project, domain):
        if spec.error is None:
            continue
        outcome = sandbox.run(spec.given, spec.when, spec.next_uid)
        if (outcome.code, outcome.message) != (spec.error.code, spec.error.message):
            wrong.append(f"{spec.location} {spec.name}: expected {spec.error.code.spec_name}: {spec.error.message!r},"
                         f" got {outcome.code.spec_name}: {outcome.message!r}")
    assert not wrong, "\n".join(wrong)


def test_running_a_spec_again_gives_the_same_outcome(project, domain, sandbox):
    for spec in _specs(project, domain):
        first = sandbox.run(spec.given, spec.when, spec.next_uid)
        again = sandbox.run(spec.given, spec.when, spec.next_uid)
        assert (again.code, again.message, again.response, again.events) == \
               (first.code, first.message, first.response, first.events), spec.location


def test_the_sandbox_limits_each_have_a_spec(project, domain):
    exhausted = [s for s in _specs(project, domain) if s.error and s.error.code is Code.RESOURCE_EXHAUSTED]
    messages = " ".join(s.error.message for s in exhausted)
    for limit in ("budget", "out of memory", "inventory calls"):
        assert limit in messages, f"no spec shows the {limit!r} limit"
