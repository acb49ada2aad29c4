"""Pick one spec by its number in the run order (1, 2, ...), its id
(`specs/products/add.spec#2`, as the watch engine and the TUI name it), or its name."""

from __future__ import annotations

from pathlib import Path

from workbench.specs.model import Spec
from workbench.watch.spec_ids import relative_file, spec_id


class NoSuchSpec(LookupError):
    pass


def pick_spec(specs: list[Spec], wanted: str, root: Path) -> Spec:
    """By number, id, exact name, or a name part that matches one spec only (any case)."""
    if "#" in wanted:
        found = [spec for spec in specs if spec.path and spec_id(relative_file(root, spec.path), spec.number) == wanted]
        if found:
            return found[0]
    if wanted.isdigit():
        number = int(wanted)
        if not 1 <= number <= len(specs):
            raise NoSuchSpec(f"no spec number {number}: there are {len(specs)} specs (1 to {len(specs)})")
        return specs[number - 1]
    exact = [spec for spec in specs if spec.name == wanted]
    if len(exact) == 1:
        return exact[0]
    needle = wanted.lower()
    found = exact or [spec for spec in specs if needle in spec.name.lower()]
    if len(found) == 1:
        return found[0]
    if not found:
        raise NoSuchSpec(f"no spec named {wanted!r}")
    names = "; ".join(f"{spec.name} ({spec.location})" for spec in found[:8])
    more = f" and {len(found) - 8} more" if len(found) > 8 else ""
    raise NoSuchSpec(f"{len(found)} specs match {wanted!r}: {names}{more}; give more of the name or a number")
