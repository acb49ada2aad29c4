"""Serving the metrics over HTTP at `/metrics` (prometheus-client's own server, on a thread)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, start_http_server

DEFAULT_HOST = "127.0.0.1"


class BadMetricsAddress(ValueError):
    pass


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT`, `:PORT` or `PORT` (host 127.0.0.1; port 0 picks a free one)."""
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise BadMetricsAddress(f"bad metrics address {text!r}: use HOST:PORT, :PORT or PORT (0 picks a free port)")
    return (host.strip("[]") or DEFAULT_HOST), number


class MetricsHttp:
    def __init__(self, registry: CollectorRegistry, listen: str):
        host, port = parse_address(listen)
        try:
            self._server, self._thread = start_http_server(port, host, registry)
        except OSError as error:
            raise BadMetricsAddress(f"cannot serve metrics on {listen}: {error.strerror or error}") from None
        bound_host, bound_port = self._server.server_address[:2]
        self.address = f"{bound_host}:{bound_port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
