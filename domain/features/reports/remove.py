"""Remove a report: its name is free again."""

from domain.contracts.scripts_pb2 import RemoveReportReq, RemoveReportResp, ReportRemoved
from workbench.core import Code, Rejected, Transaction


def remove_report(tx: Transaction, req: RemoveReportReq) -> RemoveReportResp:
    if not tx.exists("SELECT 1 FROM reports WHERE name = ?", (req.name,)):
        raise Rejected(Code.NOT_FOUND, f"report not found: {req.name}")
    tx.apply(ReportRemoved(name=req.name))
    return RemoveReportResp()


def report_removed(db, event: ReportRemoved) -> None:
    db.execute("DELETE FROM report_locations WHERE report = ?", (event.name,))
    db.execute("DELETE FROM reports WHERE name = ?", (event.name,))


HANDLERS = {RemoveReportReq: remove_report}
APPLIERS = {ReportRemoved: report_removed}
