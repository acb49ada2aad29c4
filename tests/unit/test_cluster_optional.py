"""Single node stays the default: without --cluster nothing imports the NATS client."""

import subprocess
import sys

from tests.conftest import ROOT


def test_a_single_node_never_imports_nats():
    probe = ("import sys\n"
             "from workbench.cli import build_parser\n"
             "import workbench.commands.serve, workbench.service.server, workbench.tenancy.node\n"
             "build_parser().parse_args(['serve'])\n"
             "print(sorted(m for m in sys.modules if m == 'nats' or m.startswith(('nats.', 'workbench.cluster.'))))\n")
    found = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "['workbench.cluster.serve_options']"  # the --cluster option only, no nats
