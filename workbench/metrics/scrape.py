"""Reading a node's `/metrics` (Prometheus text format, parsed by prometheus-client),
for `bf top`, the app's Server screen and the tests."""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

TIMEOUT_SECONDS = 1.0


class ScrapeFailed(OSError):
    pass


@dataclass
class Scrape:
    at: float  # time.monotonic() when it was read
    families: set[str] = field(default_factory=set)  # the family names ("bf_requests", ...)
    samples: dict[str, list[tuple[dict[str, str], float]]] = field(default_factory=dict)  # by sample name

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples `name` whose labels include `labels` (0 when none)."""
        return sum(value for found, value in self.samples.get(name, ()) if _matches(found, labels))

    def by(self, name: str, label: str, **labels: str) -> dict[str, float]:
        """The samples `name` summed by the value of `label`."""
        sums: dict[str, float] = defaultdict(float)
        for found, value in self.samples.get(name, ()):
            if label in found and _matches(found, labels):
                sums[found[label]] += value
        return dict(sums)

    def buckets(self, name: str, **labels: str) -> list[tuple[float, float]]:
        """A histogram's cumulative buckets (upper bound, count), summed over its other labels."""
        return sorted((float(le), count) for le, count in self.by(f"{name}_bucket", "le", **labels).items())


def _matches(found: dict[str, str], wanted: dict[str, str]) -> bool:
    return all(found.get(key) == value for key, value in wanted.items())


def parse(text: str, at: float | None = None) -> Scrape:
    scrape = Scrape(time.monotonic() if at is None else at)
    for family in text_string_to_metric_families(text):
        scrape.families.add(family.name)
        for sample in family.samples:
            scrape.samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return scrape


def metrics_url(address: str) -> str:
    """`HOST:PORT`, or a whole URL, as the URL of its metrics."""
    if address.startswith(("http://", "https://")):
        return address if address.rstrip("/").endswith("/metrics") else address.rstrip("/") + "/metrics"
    return f"http://{address}/metrics"


def scrape(address: str, timeout: float = TIMEOUT_SECONDS) -> Scrape:
    """Read and parse the metrics at `address`; ScrapeFailed says why not, in one line."""
    url = metrics_url(address)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            text = response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        raise ScrapeFailed(f"{url}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ScrapeFailed(f"{url}: {getattr(reason, 'strerror', None) or reason}") from None
    except (ValueError, http.client.InvalidURL) as error:  # no URL at all ("http://[bad", "host:port")
        raise ScrapeFailed(f"{url}: not an address: {error}") from None
    try:
        return parse(text)
    except ValueError as error:
        raise ScrapeFailed(f"{url}: not Prometheus metrics ({error})") from None


def read_all(addresses: list[str], timeout: float = TIMEOUT_SECONDS) -> dict[str, Scrape | str]:
    """Each node's reading, or the one line saying why there is none."""
    readings: dict[str, Scrape | str] = {}
    for address in addresses:
        try:
            readings[address] = scrape(address, timeout)
        except ScrapeFailed as failed:
            readings[address] = str(failed)
    return readings
