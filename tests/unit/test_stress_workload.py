"""The stress workload (`bf stress`, `bf chaos`) goes on whatever the service refuses."""

from domain.contracts import inventory_pb2 as inv
from domain.stress_workload import Workload


def test_a_first_round_whose_locations_were_refused_stocks_nothing_and_goes_on():
    """Under chaos a tenant's first AddLocations may be given up while AddProducts is answered: the
    stocking phase had no shelf to choose from and the workload's thread died (IndexError)."""
    workload = Workload(seed=1)
    phases = workload.phases(1)
    locations = next(phases)
    workload.observe(locations[0], None)  # refused
    products = next(phases)
    workload.observe(products[0], inv.AddProductsResp(uids=[f"p{n}" for n in range(len(products[0].skus))]))
    assert next(phases) == []  # nothing to stock: no shelf yet
    list(phases)  # the round's other phases still come
    again = Workload(seed=1)
    second = list(_answered_round(again, 1))
    assert any(isinstance(request, inv.UpdateInventoryReq) for phase in second for request in phase)


def _answered_round(workload: Workload, round_number: int):
    for phase in workload.phases(round_number):
        for request in phase:
            if isinstance(request, inv.AddLocationsReq):
                workload.observe(request, inv.AddLocationsResp(locs=[_answered(loc, n) for n, loc in enumerate(request.locs)]))
            elif isinstance(request, inv.AddProductsReq):
                workload.observe(request, inv.AddProductsResp(uids=[f"p{n}" for n in range(len(request.skus))]))
        yield phase


def _answered(loc, n: int, prefix: str = "loc"):
    return inv.AddLocationsResp.Loc(uid=f"{prefix}{n}", name=loc.name,
                                    locs=[_answered(child, m, f"{prefix}{n}-") for m, child in enumerate(loc.locs)])
