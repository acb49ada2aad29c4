"""Move a location, with everything inside it, under a new parent.

Never the root, never into itself or its own subtree, never onto a sibling's
name, never away from reservations above it that need its stock, and never
so that its subtree reaches past MAX_DEPTH levels (tree_depth.py), unless it
ends shallower than it was (a tree from an old log may be flattened).
"""

from domain.contracts.inventory_pb2 import LocationMoved, MoveLocationReq, MoveLocationResp
from domain.lookups import is_within, require_location
from domain.totals import add_along_ancestors, overcommitted
from domain.tree_depth import MAX_DEPTH, depth_of, height_below
from workbench.core import ROOT, Code, Rejected, Transaction


def move_location(tx: Transaction, req: MoveLocationReq) -> MoveLocationResp:
    if not req.uid:
        raise Rejected(Code.INVALID_ARGUMENT, "'uid' is empty")
    if req.uid == ROOT:
        raise Rejected(Code.FAILED_PRECONDITION, "bad location move: the root cannot move")
    new_parent = req.newParent or ROOT
    row = tx.one("SELECT parent, name FROM locations WHERE uid = ?", (req.uid,))
    if row is None:
        raise Rejected(Code.NOT_FOUND, f"location not found: {req.uid}")
    old_parent, name = row
    require_location(tx, new_parent)
    if is_within(tx, new_parent, req.uid):
        raise Rejected(Code.FAILED_PRECONDITION, "bad location move: a location cannot move into itself or its subtree")
    if new_parent == old_parent:
        return MoveLocationResp()
    if tx.exists("SELECT 1 FROM locations WHERE parent = ? AND name = ?", (new_parent, name)):
        raise Rejected(Code.ALREADY_EXISTS, f"location name already exists in the new parent: {name}")
    height = height_below(tx, req.uid)
    deepest = depth_of(tx, new_parent) + 1 + height
    if deepest > MAX_DEPTH and deepest > depth_of(tx, req.uid) + height:
        raise Rejected(Code.INVALID_ARGUMENT, f"the move would put locations {deepest} levels below the root;"
                                              f" the tree is at most {MAX_DEPTH} deep")
    tx.apply(LocationMoved(uid=req.uid, oldParent=old_parent, newParent=new_parent))
    for (product,) in tx.all("SELECT product FROM subtree_totals WHERE location = ? AND on_hand > 0", (req.uid,)):
        if overcommitted(tx.db, old_parent, product):
            raise Rejected(Code.FAILED_PRECONDITION, "not enough quantity: reservations above the old place need its stock")
    return MoveLocationResp()


def location_moved(db, event: LocationMoved) -> None:
    uid, new_parent = event.uid, event.newParent or ROOT
    (old_parent,) = db.execute("SELECT parent FROM locations WHERE uid = ?", (uid,)).fetchone()
    moving = db.execute("SELECT product, on_hand, reserved FROM subtree_totals WHERE location = ?", (uid,)).fetchall()
    for product, on_hand, reserved in moving:
        add_along_ancestors(db, old_parent, product, -on_hand, -reserved)
        add_along_ancestors(db, new_parent, product, on_hand, reserved)
    # Cut the subtree from the ancestors it leaves, then join it to the new ones.
    db.execute(
        "DELETE FROM ancestry WHERE location IN (SELECT location FROM ancestry WHERE ancestor = ?1)"
        " AND ancestor IN (SELECT ancestor FROM ancestry WHERE location = ?2)",
        (uid, old_parent),
    )
    db.execute(
        "INSERT INTO ancestry(location, ancestor, depth)"
        " SELECT below.location, above.ancestor, below.depth + above.depth + 1"
        " FROM ancestry below, ancestry above WHERE below.ancestor = ?1 AND above.location = ?2",
        (uid, new_parent),
    )
    db.execute("UPDATE locations SET parent = ? WHERE uid = ?", (new_parent, uid))


HANDLERS = {MoveLocationReq: move_location}
APPLIERS = {LocationMoved: location_moved}
