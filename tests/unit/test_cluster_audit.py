"""The chaos run's judges, on logs and ledgers made up at random (no NATS needed)."""

import pytest
from hypothesis import given, settings, strategies as st

pytest.importorskip("nats", reason="cluster mode needs nats-py (pip install -e '.[test]')")

from workbench.cluster.audit import Group, missing, positions_continue, writers_overlap  # noqa: E402
from workbench.cluster.chaos_load import TenantRecord, ledger_faults  # noqa: E402

terms = st.lists(st.tuples(st.integers(1, 5), st.integers(1, 3)), min_size=1, max_size=30)  # (term step, groups)


def owned_in_turn(steps: list[tuple[int, int]]) -> list[Group]:
    """A log as one owner after another writes it: terms go up, one writer per term."""
    groups, term, position = [], 0, 0
    for step, count in steps:
        term += step
        for _ in range(count):
            position += 1
            groups.append(Group(f"node-{term % 3}", term, (position,), f"id-{position}".encode()))
    return groups


@settings(max_examples=200, derandomize=True)
@given(terms)
def test_a_log_written_owner_after_owner_shows_no_two_writers(steps):
    groups = owned_in_turn(steps)
    assert not writers_overlap(groups) and positions_continue(groups)
    assert missing(groups, {f"id-{g.positions[0]}" for g in groups}) == set()


@settings(max_examples=200, derandomize=True)
@given(terms, st.data())
def test_an_old_owner_writing_after_a_newer_one_is_caught(steps, data):
    groups = owned_in_turn(steps)
    terms_seen = sorted({g.term for g in groups})
    if len(terms_seen) < 2:
        return
    old = data.draw(st.sampled_from(terms_seen[:-1]))
    late = Group(f"node-{old % 3}", old, (len(groups) + 1,), b"late")
    assert writers_overlap(groups + [late])
    intruder = Group("someone-else", groups[-1].term, (len(groups) + 1,), b"x")
    assert writers_overlap(groups + [intruder])


@settings(max_examples=200, derandomize=True)
@given(st.integers(0, 40), st.integers(0, 5), st.integers(0, 5), st.data())
def test_the_ledger_judge_against_an_oracle(acknowledged, uncertain_landed, uncertain_lost, data):
    """+1s acknowledged in order answer 1..n (plus uncertain ones that landed in between);
    the judge is silent exactly when nothing acknowledged was lost."""
    landed_before = sorted(data.draw(st.lists(st.integers(0, acknowledged), min_size=uncertain_landed,
                                              max_size=uncertain_landed)))
    values, total = [], 0
    for number in range(acknowledged):
        total += 1 + landed_before.count(number)
        values.append(total)
    record = TenantRecord("t", ledger_values=values, ledger_uncertain=uncertain_landed + uncertain_lost)
    final = total + landed_before.count(acknowledged)
    assert ledger_faults(record, final) == []
    if acknowledged:
        assert ledger_faults(record, final - 1 - (final - values[-1])) != []  # the last acknowledged +1 lost
        doubled = TenantRecord("t", ledger_values=values + [values[-1]], ledger_uncertain=record.ledger_uncertain)
        assert ledger_faults(doubled, final) != []  # two acknowledgements of one on-hand
