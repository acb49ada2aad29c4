"""Ids: the kata's spec-mode counter, and the time-ordered ids of live tenants."""

import time
import uuid

from workbench.core.ids import ROOT, SequentialIds, new_id, show_uids, spec_uid, spec_uid_number


def test_spec_mode_ids_count_from_the_next_free_number_in_the_kata_format():
    ids = SequentialIds(7)
    assert [ids(), ids()] == ["00000000-0000-0000-0000-000000000007", "00000000-0000-0000-0000-000000000008"]
    assert spec_uid_number(spec_uid(300)) == 300 and spec_uid_number(ROOT) == 0
    assert spec_uid_number("not an id") is None
    assert show_uids(f"moved {spec_uid(3)} under {spec_uid(12)}") == "moved UID(3) under UID(12)"


def test_live_ids_are_uuids_that_grow_over_time_so_new_rows_land_at_the_end_of_indexes():
    made = []
    for _ in range(3):
        made += [new_id() for _ in range(500)]
        time.sleep(0.002)
    assert all(uuid.UUID(made_id).version == 7 for made_id in made)
    assert len(set(made)) == len(made)
    assert made == sorted(made)  # as text, the way SQLite compares them
