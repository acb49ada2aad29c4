"""Run a spec's request in isolation: fresh state, the given events, the
request, and everything rolled back afterwards.

One database with the schema is made once. Its first run opens a transaction
at the savepoint `spec` and every run rolls back to it: far cheaper than a new
schema per spec, and cheaper than a BEGIN and ROLLBACK per spec, because the
pages a rollback restores stay in the cache of the open transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.core.domain import Domain
from workbench.core.execute import Outcome, execute
from workbench.core.ids import SequentialIds
from workbench.core.state_db import open_state
from workbench.core.transaction import apply_event


class SpecSandbox:
    def __init__(self, domain: Domain, path: Path | str = ":memory:"):
        self.registry = domain.registry
        self.db = open_state(domain.schema_sql, path)

    def run(self, given: list[Any], when: Any, next_uid: int, keep: bool = False) -> Outcome:
        """Raises whatever a broken handler or applier raises, after rolling back.

        With `keep`, the final state is committed instead (for exploring it).
        Between runs the transaction stays open (and, on a file, its write lock).
        """
        db = self.db
        appliers = self.registry.appliers
        if not db.in_transaction:
            db.execute("SAVEPOINT spec")  # the outermost savepoint: it opens the transaction
        try:
            for event in given:
                apply_event(appliers, db, event)
            outcome = execute(self.registry, db, when, SequentialIds(next_uid))
        except BaseException:
            if db.in_transaction:  # SQLite rolls back all by itself on some errors (a full database)
                db.execute("ROLLBACK TO spec")
            raise
        db.execute("RELEASE spec" if keep else "ROLLBACK TO spec")  # releasing the outermost one commits
        return outcome
