"""How `bf chaos` finds JetStream's elections in its leaders' answers, and takes them out of failover times."""

import pytest
from hypothesis import given, settings, strategies as st

pytest.importorskip("nats", reason="cluster mode needs nats-py (pip install -e '.[test]')")

from workbench.cluster.elections import MIN_ELECTION_SECONDS, SAMPLE_SECONDS, leaderless, overlap  # noqa: E402

answers = st.lists(st.booleans(), min_size=1, max_size=300)


def _samples(answered: list[bool]) -> list[tuple[float, bool]]:
    return [(round(n * SAMPLE_SECONDS, 3), ok) for n, ok in enumerate(answered)]


@settings(max_examples=300, deadline=None)
@given(answers, st.lists(st.floats(0, 30), max_size=5))
def test_every_window_is_a_run_of_silence_long_enough_to_be_an_election(answered, kills):
    samples = _samples(answered)
    windows = leaderless(samples, sorted(kills))
    assert windows == sorted(windows)
    for (start, end), later in zip(windows, windows[1:] + [(float("inf"), 0)]):
        assert end - start >= MIN_ELECTION_SECONDS and end <= later[0]
        assert not any(ok and start < at < end for at, ok in samples)  # nobody answered inside it
        assert any(not ok and start <= at <= end for at, ok in samples)
    # The oracle: a silence (unanswered questions from one answer to the next) lasting long enough is found.
    last_answer = None
    for at, ok in samples:
        if ok:
            silent = [t for t, o in samples if not o and (last_answer or -1) < t < at]
            if silent and last_answer is not None and at - last_answer >= MIN_ELECTION_SECONDS and \
                    not [k for k in kills if last_answer < k <= silent[0] + 0.5]:
                assert (last_answer, at) in windows
            last_answer = at


def test_a_window_begins_at_the_kill_that_began_it():
    samples = _samples([True] * 10 + [False] * 50 + [True] * 5)  # answers stop after 0.9 s, resume at 6.0 s
    assert leaderless(samples, [1.2]) == [(1.2, 6.0)]  # killed at 1.2 s: the question asked at 1.0 s got no answer
    assert leaderless(samples, []) == [(0.9, 6.0)]  # no kill known: from the last answer
    assert leaderless(_samples([True] * 10 + [False] * 5 + [True]), []) == []  # 0.6 s: a reconnect, no election


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 10), st.floats(0, 3)), max_size=6), st.floats(0, 10), st.floats(0, 10))
def test_overlap_equals_the_time_counted_on_a_fine_grid(raw, start, length):
    windows, cursor = [], 0.0
    for gap, duration in raw:  # disjoint windows, in order
        windows.append((cursor + gap, cursor + gap + duration))
        cursor += gap + duration
    end = start + length
    step = 0.001
    counted = sum(step for n in range(int(length / step))
                  if any(a <= start + (n + 0.5) * step < b for a, b in windows))
    assert overlap(start, end, windows) == pytest.approx(counted, abs=0.002 * (len(windows) + 1) + step)
