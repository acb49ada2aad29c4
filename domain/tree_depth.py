"""How deep the location tree may grow: MAX_DEPTH levels below the root.

Why a limit: listings nest a location's children inside it, and protobuf
decoders refuse messages nested deeper than 100 levels (Python's, C++'s and
Java's default), so a deeper tree could be stored but never listed by them.
And the ancestry closure and the subtree totals keep a row per location and
ancestor, so their size grows with depth: bounded depth keeps them linear in
the number of locations. Thirty-two levels is far deeper than any real
warehouse (depot, hall, aisle, rack, shelf, bin, box...).

Logs written before the limit may hold deeper trees: they replay as they
are, a listing that would nest past the limit is refused with a clear error
(list a location further down instead), and a move that makes such a tree
shallower is allowed.
"""

from __future__ import annotations

from workbench.core import ROOT, Transaction

MAX_DEPTH = 32


def depth_of(tx: Transaction, uid: str) -> int:
    """Levels below the root: 0 for the root, 1 for a top-level location."""
    return tx.value("SELECT depth FROM ancestry WHERE location = ? AND ancestor = ?", (uid, ROOT)) or 0


def height_below(tx: Transaction, uid: str) -> int:
    """Levels of the subtree below `uid`: 0 when it has no children."""
    return tx.value("SELECT max(depth) FROM ancestry WHERE ancestor = ?", (uid,)) or 0
