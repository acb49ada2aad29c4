"""The project's own specs, held to more than the kata runner checks.

The kata compares status codes only, but a spec's ERROR line is documentation
a newcomer reads: every expected error message must be the one produced, word
for word (so an endless loop and a forbidden library cannot pass for each
other), and every spec must give the same outcome when run again (spec mode
is deterministic).
"""

from __future__ import annotations

import pytest

from workbench.specs.loader import load_specs
from workbench.specs.sandbox import SpecSandbox


@pytest.fixture(scope="module")
def specs(project, domain):
    loaded = load_specs([project.specs_dir], domain.messages)
    assert not loaded.errors, loaded.errors
    return loaded.specs


@pytest.fixture(scope="module")
def sandbox(domain):
    return SpecSandbox(domain)


def test_expected_error_messages_are_the_ones_produced(specs, sandbox):
    wrong = []
    for spec in specs:
        if spec.error is None:
            continue
        outcome = sandbox.run(spec.given, spec.when, spec.next_uid)
        if (outcome.code, outcome.message) != (spec.error.code, spec.error.message):
            wrong.append(f"{spec.location} {spec.name}: expected {spec.error.code.spec_name}: {spec.error.message!r},"
                         f" got {outcome.code.spec_name}: {outcome.message!r}")
    assert not wrong, "\n".join(wrong)


def test_running_a_spec_again_gives_the_same_outcome(specs, sandbox):
    for spec in specs:
        first = sandbox.run(spec.given, spec.when, spec.next_uid)
        again = sandbox.run(spec.given, spec.when, spec.next_uid)
        assert (again.code, again.message, again.response, again.events) == \
               (first.code, first.message, first.response, first.events), spec.location
