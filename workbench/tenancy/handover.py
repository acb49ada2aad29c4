"""Who owns a tenant: the durable record of its migrations, one file in its folder.

`handover.json` goes through these states (no file: created here, owned here,
epoch 0). The epoch counts the tenant's moves; an attempt names one try at a
move, so a late message from an older try is never taken for the current one.

  on the target  arriving  (epoch E, attempt, from)  being copied: never served
                 live      (epoch E, attempt, from)  copied whole and owned here
  on the source  sealed    (epoch E, attempt, to, position P)  refuses every call
                           from the moment it is written; its log ends at P;
                           once the target confirms, `moved-to` (moved.py) is
                           written beside it: the move is done

Fencing: the source writes `sealed` (durably, under the tenant's lock) before
it asks the target to go live; the target goes live only for the attempt it is
copying and only when its copy ends exactly at the sealed position P. So at no
moment do both nodes accept writes. A sealed source that lost the answer asks
the target again (`workbench/tenancy/resolution.py`): live, then the source
records `moved`; not live, the target abandons its copy and the source unseals.

Every write is atomic and durable: a temporary file fsynced, renamed over the
record, the folder fsynced.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from workbench.tenancy.durable import sync_folder, write_atomically

HANDOVER_FILE = "handover.json"
ARRIVING, LIVE, SEALED = "arriving", "live", "sealed"


@dataclass(frozen=True)
class Handover:
    state: str
    epoch: int
    attempt: str
    peer: str  # arriving, live: the source node; sealed: the target node
    position: int = 0  # sealed: the last position the source logged

    @property
    def served_here(self) -> bool:
        return self.state == LIVE

    def went_live(self, epoch: int, attempt: str) -> bool:
        """On a target: did the attempt `attempt` of the move to `epoch` go live here?
        (A later epoch here means it did, and the tenant moved on since.)"""
        return self.epoch > epoch or (self.epoch == epoch and self.attempt == attempt and self.state == LIVE)

    def becomes(self, state: str, **changes) -> "Handover":
        return replace(self, state=state, **changes)


def read_handover(folder: Path) -> Handover | None:
    try:
        return Handover(**json.loads((Path(folder) / HANDOVER_FILE).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


def write_handover(folder: Path, handover: Handover) -> None:
    folder = Path(folder)
    if not folder.exists():
        folder.mkdir(parents=True)
        sync_folder(folder.parent)
    write_atomically(folder / HANDOVER_FILE, json.dumps(asdict(handover)).encode())


def epoch_of(folder: Path) -> int:
    record = read_handover(folder)
    return record.epoch if record else 0
