"""List locations: a location and its whole subtree, children in creation order.

Listing the root lists every top-level location (the root itself is not shown).
A listing that would nest deeper than MAX_DEPTH levels (only a tree from a log
older than the limit can) is refused: protobuf decoders could not read it.
"""

from collections import defaultdict

from domain.contracts.inventory_pb2 import ListLocationsReq, ListLocationsResp
from domain.lookups import require_location
from domain.tree_depth import MAX_DEPTH, height_below
from workbench.core import ROOT, Code, Rejected, Transaction


def list_locations(tx: Transaction, req: ListLocationsReq) -> ListLocationsResp:
    top = req.location or ROOT
    require_location(tx, top)
    nesting = height_below(tx, top) + (0 if top == ROOT else 1)
    if nesting > MAX_DEPTH:
        raise Rejected(Code.FAILED_PRECONDITION,
                       f"the listing would nest {nesting} levels, more than the {MAX_DEPTH} a tree may have:"
                       " list a location further down, or move the deepest ones up")
    rows = tx.all(
        "SELECT l.uid, l.name, l.parent FROM ancestry a JOIN locations l ON l.uid = a.location"
        " WHERE a.ancestor = ? ORDER BY l.rowid",
        (top,),
    )
    children = defaultdict(list)
    for row in rows:
        children[row[2]].append(row)
    response = ListLocationsResp()
    tops = children[ROOT] if top == ROOT else [next(row for row in rows if row[0] == top)]
    to_fill = [(response.locs.add(), row) for row in tops]
    while to_fill:  # no recursion: a location's children are added, in order, when it is filled
        loc, (uid, name, parent) = to_fill.pop()
        loc.uid, loc.name, loc.parent = uid, name, parent
        to_fill += [(loc.chidren.add(), child) for child in children[uid]]
    return response


HANDLERS = {ListLocationsReq: list_locations}
