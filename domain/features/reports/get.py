"""Get a report: per covered location and product, on-hand, reserved and available.

The figures are GetLocInventory's for the same location (plus what the
reservations in its subtree hold), and they come from the same place: the
subtree totals every applier keeps up to date as stock, reservations and
whole containers move, and the ancestry closure that keeps "everything
below" current. So a report never walks the tree: it costs its covered
rows times their depth, however large the rest of the tree grows.
Lines follow location, then product, creation order.
"""

from domain.contracts.scripts_pb2 import GetReportReq, GetReportResp
from workbench.core import Code, Rejected, Transaction

_LINES = """
WITH covered(location) AS (
  SELECT location FROM report_locations WHERE report = ?1
  UNION
  SELECT a.location FROM report_locations rl
  JOIN reports r ON r.name = rl.report AND r.descendants
  JOIN ancestry a ON a.ancestor = rl.location
  WHERE rl.report = ?1
)
SELECT t.location, t.product, t.on_hand, t.reserved, min(above.on_hand - above.reserved)
FROM covered c
JOIN subtree_totals t ON t.location = c.location AND (t.on_hand != 0 OR t.reserved != 0)
JOIN ancestry a ON a.location = t.location
JOIN subtree_totals above ON above.location = a.ancestor AND above.product = t.product
JOIN locations l ON l.uid = t.location
JOIN products p ON p.uid = t.product
GROUP BY l.rowid, p.rowid
ORDER BY l.rowid, p.rowid
"""


def get_report(tx: Transaction, req: GetReportReq) -> GetReportResp:
    if not tx.exists("SELECT 1 FROM reports WHERE name = ?", (req.name,)):
        raise Rejected(Code.NOT_FOUND, f"report not found: {req.name}")
    lines = [
        GetReportResp.Line(location=location, product=product, on_hand=on_hand, reserved=reserved, available=free)
        for location, product, on_hand, reserved, free in tx.all(_LINES, (req.name,))
    ]
    return GetReportResp(lines=lines)


HANDLERS = {GetReportReq: get_report}
