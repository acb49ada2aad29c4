"""Define a report: a name and the locations it covers.

The listed locations must exist (an empty one means the root); with
`descendants`, every location below them is covered too, including ones
added or moved in later. Names are unique.
"""

from domain.contracts.scripts_pb2 import DefineReportReq, DefineReportResp, ReportDefined
from domain.lookups import require_location
from workbench.core import ROOT, Code, Rejected, Transaction


def define_report(tx: Transaction, req: DefineReportReq) -> DefineReportResp:
    if not req.name:
        raise Rejected(Code.INVALID_ARGUMENT, "'name' is empty")
    if not req.locations:
        raise Rejected(Code.INVALID_ARGUMENT, "a report needs at least one location")
    locations = [location or ROOT for location in req.locations]
    if len(set(locations)) != len(locations):
        raise Rejected(Code.INVALID_ARGUMENT, "a location is listed twice")
    for location in locations:
        require_location(tx, location)
    if tx.exists("SELECT 1 FROM reports WHERE name = ?", (req.name,)):
        raise Rejected(Code.ALREADY_EXISTS, f"report already exists: {req.name}")
    tx.apply(ReportDefined(name=req.name, locations=locations, descendants=req.descendants))
    return DefineReportResp()


def report_defined(db, event: ReportDefined) -> None:
    db.execute("INSERT INTO reports(name, descendants) VALUES (?, ?)", (event.name, event.descendants))
    db.executemany("INSERT INTO report_locations(report, location) VALUES (?, ?)",
                   [(event.name, location or ROOT) for location in event.locations])


HANDLERS = {DefineReportReq: define_report}
APPLIERS = {ReportDefined: report_defined}
