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


def test_a_cluster_option_that_names_no_nats_server_is_refused_in_one_line():
    """`--cluster ""` used to start a single node without a word; a URL of another kind was tried for 30 s."""
    for value, said in (("", "give the NATS servers"), (" , ", "give the NATS servers"),
                        ("http://h1:4222", "'http://h1:4222' is not a NATS server URL"),
                        ("nats://h1", "'nats://h1' is not a NATS server URL")):
        served = subprocess.run([sys.executable, "-m", "workbench.cli", "serve", "--cluster", value], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert served.returncode == 2 and said in served.stderr.splitlines()[-1], (value, served.stderr)
        assert "Traceback" not in served.stderr
