"""`bf test --target ADDR` against a real `bf serve`: the same specs pass, with the same output."""

import select
import signal
import subprocess
import sys

from domain.contracts import inventory_pb2 as inv, inventory_pb2_grpc

from tests.conftest import ROOT
from tests.serve_process import ServeProcess
from workbench.service.event_log import EventLog


def bf(*args):
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def verdict_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(("PASS", "FAIL", "ERROR"))]


def test_the_project_specs_and_the_kata_bundle_pass_against_a_real_server_as_they_do_locally(tmp_path, kata_bundle):
    with ServeProcess(tmp_path / "data") as server:
        remote = bf("test", "--target", server.address)
        remote_bundle = bf("test", "--target", server.address, "--bundle", str(kata_bundle))
        code, out = server.stop()
    assert code == 0 and "stopped" in out  # SIGTERM is a clean shutdown
    assert remote.returncode == 0, remote.stdout[-3000:] + remote.stderr
    assert remote_bundle.returncode == 0, remote_bundle.stdout[-3000:] + remote_bundle.stderr
    assert remote_bundle.stdout.splitlines()[-1] == "55 passed, 0 failed"
    local = bf("test")
    assert verdict_lines(remote.stdout) == verdict_lines(local.stdout)
    assert len(verdict_lines(local.stdout)) > 50
    log = EventLog(tmp_path / "data" / "tenants" / "default" / "log.db")
    assert log.last_position == 0  # specs never touch tenant data
    log.close()


def test_a_failing_spec_reads_the_same_remote_and_local(tmp_path):
    spec = tmp_path / "wrong.spec"
    spec.write_text("wrong count\n---\nGIVEN:\nWHEN:\n  AddProductsReq skus:\"a\"\nTHEN:\n"
                    "  AddProductsResp uids:\"00000000-0000-0000-0000-000000000002\"\n")
    with ServeProcess(tmp_path / "data") as server:
        remote = bf("test", "--target", server.address, str(spec))
    local = bf("test", str(spec))
    assert remote.returncode == local.returncode == 1
    assert remote.stdout == local.stdout
    assert 'Response.uids[0]: expected "UID(2)", got "UID(1)"' in remote.stdout


def test_an_unreachable_target_is_one_clear_line_and_exit_3(tmp_path):
    result = bf("test", "--target", f"unix:{tmp_path}/nothing.sock")
    assert result.returncode == 3
    assert result.stderr.startswith("bf test: cannot reach the SpecService:")
    assert "Traceback" not in result.stderr


def test_bf_events_prints_the_log_and_follows_it(tmp_path):
    with ServeProcess(tmp_path / "data") as server, server.channel() as channel:
        stub = inventory_pb2_grpc.InventoryServiceStub(channel)
        stub.AddProducts(inv.AddProductsReq(skus=["cola", "tea"]))
        printed = bf("events", "--target", server.address)
        assert printed.returncode == 0, printed.stderr
        lines = printed.stdout.splitlines()
        assert len(lines) == 2 and lines[1].split()[:3] == ["2", "v1", "ProductAdded"] and 'sku:"tea"' in lines[1]
        assert bf("events", "--target", server.address, "--tenant", "nobody").returncode == 1

        follower = subprocess.Popen([sys.executable, "-m", "workbench.cli", "events", "--target", server.address,
                                     "--after", "2", "--follow"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            stub.AddProducts(inv.AddProductsReq(skus=["milk"]))
            assert select.select([follower.stdout], [], [], 20)[0], "bf events --follow printed nothing"
            assert 'sku:"milk"' in follower.stdout.readline() and follower.poll() is None
            follower.send_signal(signal.SIGINT)
            assert follower.wait(20) == 0
        finally:
            follower.kill()
            follower.stdout.close()
    assert bf("events", "--target", f"unix:{tmp_path}/gone.sock").returncode == 3
