"""Ids: UUID strings. In spec mode they come from one counter, in the kata's format."""

from __future__ import annotations

import re

import uuid6

ROOT = "00000000-0000-0000-0000-000000000000"
_SPEC_ID = re.compile(r"00000000-0000-0000-0000-([0-9a-f]{12})")


def spec_uid(number: int) -> str:
    return f"00000000-0000-0000-0000-{number:012x}"


def spec_uid_number(value: str) -> int | None:
    """7 for `00000000-0000-0000-0000-000000000007`; None for anything else."""
    match = _SPEC_ID.fullmatch(value)
    return int(match.group(1), 16) if match else None


def show_uids(text: str) -> str:
    """Write every spec-mode id in `text` as `UID(n)`, the way people read them."""
    return _SPEC_ID.sub(lambda m: f"UID({int(m.group(1), 16)})", text)


class SequentialIds:
    """Spec mode: 1, 2, 3, ... from `next_number`, shared by every kind of id."""

    __slots__ = ("next_number",)

    def __init__(self, next_number: int = 1):
        self.next_number = next_number

    def __call__(self) -> str:
        number = self.next_number
        self.next_number = number + 1
        return spec_uid(number)


def new_id() -> str:
    """A fresh id for a live tenant: a UUIDv7, whose leading timestamp makes ids
    grow over time. Rows keyed by ids made later then land at the end of
    SQLite's indexes, not at random places in them: a growing state keeps
    writing to a few pages, and its cost per request stays flat."""
    return str(uuid6.uuid7())
