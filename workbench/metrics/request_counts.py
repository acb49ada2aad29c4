"""Requests counted by method, tenant and status code, exported with a bounded
number of tenant labels.

Counting is exact and cheap (a dict per call). Exporting names at most `top`
tenants: while slots are free, each scrape gives one to the busiest tenants
not yet named; a named tenant keeps its slot, and every other tenant counts as
"other". A tenant named late keeps what it did before in "other", so every
exported series only ever grows, as a Prometheus counter must.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

OTHER = "other"
DEFAULT_TOP = 20

Key = tuple[str, str, str]  # method, tenant, code


@dataclass
class CountsSnapshot:
    requests: dict[Key, int]  # (method, tenant or "other", code) -> requests
    seconds: dict[str, float]  # tenant or "other" -> server seconds spent on its requests


class RequestCounts:
    def __init__(self, top: int = DEFAULT_TOP):
        self.top = top
        self._lock = threading.Lock()
        self._requests: dict[Key, int] = {}
        self._seconds: dict[str, float] = {}
        self._named: set[str] = set()
        self._base: dict[Key, int] = {}  # a named tenant's counts when it was named (they stay in "other")
        self._seconds_base: dict[str, float] = {}

    def add(self, method: str, tenant: str, code: str, seconds: float) -> None:
        key = (method, tenant, code)
        with self._lock:
            self._requests[key] = self._requests.get(key, 0) + 1
            self._seconds[tenant] = self._seconds.get(tenant, 0.0) + seconds

    def by_code(self) -> Counter[str]:
        """Every request so far by status code (exact, for the log)."""
        with self._lock:
            items = list(self._requests.items())
        codes: Counter[str] = Counter()
        for (_, _, code), count in items:
            codes[code] += count
        return codes

    def snapshot(self) -> CountsSnapshot:
        with self._lock:
            self._name_busiest()
            requests, seconds = dict(self._requests), dict(self._seconds)
            named, base, seconds_base = self._named, self._base, self._seconds_base
            exported: Counter[Key] = Counter()
            for (method, tenant, code), count in requests.items():
                if tenant in named:
                    before = base.get((method, tenant, code), 0)
                    exported[(method, tenant, code)] += count - before
                    exported[(method, OTHER, code)] += before
                else:
                    exported[(method, OTHER, code)] += count
            spent: Counter[str] = Counter()
            for tenant, total in seconds.items():
                if tenant in named:
                    before = seconds_base.get(tenant, 0.0)
                    spent[tenant] += total - before
                    spent[OTHER] += before
                else:
                    spent[OTHER] += total
        return CountsSnapshot(dict(exported), dict(spent))

    def _name_busiest(self) -> None:
        free = self.top - len(self._named)
        if free <= 0:
            return
        load: Counter[str] = Counter()
        for (_, tenant, _), count in self._requests.items():
            if tenant not in self._named and tenant != OTHER:
                load[tenant] += count
        for tenant, _ in load.most_common(free):
            self._named.add(tenant)
            for key, count in self._requests.items():
                if key[1] == tenant:
                    self._base[key] = count
            self._seconds_base[tenant] = self._seconds.get(tenant, 0.0)
