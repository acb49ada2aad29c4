"""`bf serve --listen` with a port out of range is one clear line, not a node on another port."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from workbench.service.server import ListenError, Server


@pytest.mark.parametrize("listen", ["127.0.0.1:99999", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:http"])
def test_a_port_out_of_range_is_refused(domain, tmp_path, listen):
    server = Server(domain, tmp_path, listen)
    with pytest.raises(ListenError) as refused:
        server.start()
    assert "the port must be a number from 0 to 65535" in str(refused.value)


def test_bf_serve_says_so_in_one_line(tmp_path):
    served = subprocess.run([sys.executable, "-m", "workbench.cli", "serve", "--listen", "127.0.0.1:99999",
                             "--data", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert served.returncode != 0
    assert served.stderr.splitlines()[-1] == ("bf serve: cannot listen on 127.0.0.1:99999: the port must be a number"
                                              " from 0 to 65535, not '99999'")
    assert "Traceback" not in served.stderr and "listening" not in served.stdout
