"""The watch never lies: after every step of a seeded random sequence of edits
(spec, feature, shared module, framework, schema, contract, Lua in a spec,
files and folders added, renamed, moved and deleted, a duplicate handler, a
syntax error, a runaway handler, and undoing any of them, with restarts of
`bf watch` in between), the verdicts `bf watch --json` shows equal a fresh
`bf test --json` of the same tree, totals included. A failing seed prints
its sequence; `benchmarks/watch_soak.py` runs many more seeds and steps.

BF_TRUTH_SEEDS=7,8,9 runs other seeds (a failing one, say).
"""

from __future__ import annotations

import os

import pytest

from tests.watch_truth import check_seed

SEEDS = [int(s) for s in os.environ.get("BF_TRUTH_SEEDS", "11,12,13,14").split(",")]
STEPS = 6


@pytest.mark.timeout(600)
@pytest.mark.parametrize("seed", SEEDS)
def test_after_every_edit_the_watch_shows_what_a_fresh_bf_test_says(seed, tmp_path):
    check_seed(seed, STEPS, tmp_path, restart_every=4, log=lambda line: None)
