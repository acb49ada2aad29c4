"""Location inventory: per product, what a location holds, nested locations included.

OnHand is the stock in the location's subtree. Available is what a new
reservation at the location could still take: on-hand less what reservations
hold, at the location and at every location above it (a reservation on a
container can take its stock from anywhere inside it).
"""

from domain.contracts.inventory_pb2 import GetLocInventoryReq, GetLocInventoryResp
from domain.lookups import require_location
from workbench.core import ROOT, Transaction

_ITEMS = """
SELECT t.product, t.on_hand,
       (SELECT min(up.on_hand - up.reserved) FROM ancestry a
        JOIN subtree_totals up ON up.location = a.ancestor AND up.product = t.product
        WHERE a.location = t.location)
FROM subtree_totals t JOIN products p ON p.uid = t.product
WHERE t.location = ? AND (t.on_hand != 0 OR t.reserved != 0)
ORDER BY p.rowid
"""


def location_inventory(tx: Transaction, req: GetLocInventoryReq) -> GetLocInventoryResp:
    location = req.location or ROOT
    require_location(tx, location)
    items = [
        GetLocInventoryResp.Item(Product=product, OnHand=on_hand, Available=available)
        for product, on_hand, available in tx.all(_ITEMS, (location,))
    ]
    return GetLocInventoryResp(items=items)


HANDLERS = {GetLocInventoryReq: location_inventory}
