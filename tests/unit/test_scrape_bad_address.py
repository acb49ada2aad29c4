"""`bf top ADDR` and the Server screen with an address that is no URL at all:
the node shows as down with one line saying why; `bf top "http://[bad"` died
with a traceback inside the app before."""

from __future__ import annotations

import pytest

from workbench.metrics.scrape import ScrapeFailed, scrape


@pytest.mark.parametrize("address", ["http://[bad", "127.0.0.1:99999", "[::1", "127.0.0.1:port"])
def test_an_address_that_is_no_url_is_a_failed_scrape(address):
    with pytest.raises(ScrapeFailed) as failed:
        scrape(address, timeout=2)
    assert "\n" not in str(failed.value) and "/metrics" in str(failed.value)
