"""List locations: a location and its whole subtree, children in creation order.

Listing the root lists every top-level location (the root itself is not shown).
"""

from collections import defaultdict

from domain.contracts.inventory_pb2 import ListLocationsReq, ListLocationsResp
from domain.lookups import require_location
from workbench.core import ROOT, Transaction


def list_locations(tx: Transaction, req: ListLocationsReq) -> ListLocationsResp:
    top = req.location or ROOT
    require_location(tx, top)
    rows = tx.all(
        "SELECT l.uid, l.name, l.parent FROM ancestry a JOIN locations l ON l.uid = a.location"
        " WHERE a.ancestor = ? ORDER BY l.rowid",
        (top,),
    )
    children = defaultdict(list)
    for row in rows:
        children[row[2]].append(row)
    response = ListLocationsResp()
    if top == ROOT:
        for row in children[ROOT]:
            _fill(response.locs.add(), row, children)
    else:
        _fill(response.locs.add(), next(row for row in rows if row[0] == top), children)
    return response


def _fill(loc: ListLocationsResp.Loc, row: tuple, children: dict) -> None:
    loc.uid, loc.name, loc.parent = row
    for child in children[loc.uid]:
        _fill(loc.chidren.add(), child, children)


HANDLERS = {ListLocationsReq: list_locations}
