"""A warm parent process that forks a fresh worker for every watch run.

Starting Python and importing grpc, protobuf and sqlite3 takes about 110 ms;
forking a parent that already did takes a few. The parent never imports the
project's own modules, so each forked worker imports them fresh from disk and
sees every edit. It is a separate process, not the engine's own: the engine's
process has threads (watchfiles, Textual) and may have imported the domain,
and neither should leak into a worker.

For each run the engine makes two pipes and hands their ends to the fork
server over a Unix socket (SCM_RIGHTS); the forked worker reads the request
from one and writes JSON lines to the other, its process id first, so the
engine can kill it when a newer save cancels the run.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import AsyncIterator

from workbench.config import Project, find_project
from workbench.core.registry import contract_messages
from workbench.watch.fresh_source import compile_from_source, precompile
from workbench.watch.spec_cache import SpecCache

_GO = b"go"
_LINE_LIMIT = 64 * 1024 * 1024  # one verdict with a long traceback is one line


class WorkerRun:
    """One worker's run: its messages as they come, and a way to stop it."""

    def __init__(self, reader: asyncio.StreamReader, transport: asyncio.BaseTransport):
        self._reader = reader
        self._transport = transport
        self._pid: int | None = None
        self.killed = False
        self.completed = False  # the worker said it was done

    async def messages(self) -> AsyncIterator[dict]:
        try:
            while line := await self._reader.readline():
                if not line.endswith(b"\n"):
                    break  # cut short: the worker was killed mid-line
                message = json.loads(line)
                if message["type"] == "pid":
                    self._pid = message["pid"]
                    if self.killed:
                        self._kill()
                elif message["type"] == "done":
                    self.completed = True
                else:
                    yield message
        finally:
            self._transport.close()

    def kill(self) -> None:
        """Stop the worker now; `messages()` then ends. Harmless when it is already done."""
        if self.completed or self.killed:
            return
        self.killed = True
        if self._pid is not None:
            self._kill()

    def _kill(self) -> None:
        try:
            os.kill(self._pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it finished on its own meanwhile


class ForkServer:
    def __init__(self, project: Project, output=subprocess.DEVNULL):
        self.project = project
        self.output = output
        self._process: subprocess.Popen | None = None
        self._socket: socket.socket | None = None
        self.imported: set[Path] = set()  # the project's and framework's files it imported: a change needs a restart

    async def start(self) -> None:
        """Start the warm parent and wait until it has imported what workers need.

        It says it is ready with the list of the project's files it imported.
        """
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "workbench.watch.forkserver", str(theirs.fileno()), str(self.project.root)],
            pass_fds=[theirs.fileno()], cwd=self.project.root, stdin=subprocess.DEVNULL,
            stdout=self.output, stderr=self.output,
            start_new_session=True,  # Ctrl+C is for the engine, which then stops it
        )
        theirs.close()
        ours.setblocking(False)
        self._socket = ours
        ready = b""
        while not ready.endswith(b"\n"):
            chunk = await asyncio.get_running_loop().sock_recv(ours, 65536)
            if not chunk:
                raise RuntimeError(f"the watch fork server did not start (exit code {self._process.wait()})")
            ready += chunk
        self.imported = {Path(f) for f in json.loads(ready)}

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def run(self, request: dict) -> WorkerRun:
        if self._process is None or self._process.poll() is not None:
            await self.start()  # it died: a fresh one costs one cold start
        request_read, request_write = os.pipe()
        result_read, result_write = os.pipe()
        try:
            socket.send_fds(self._socket, [_GO], [request_read, result_write])
        finally:
            os.close(request_read)
            os.close(result_write)
        with os.fdopen(request_write, "wb") as pipe:
            pipe.write(json.dumps(request).encode())
        reader = asyncio.StreamReader(limit=_LINE_LIMIT)
        transport, _ = await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(result_read, "rb", buffering=0))
        return WorkerRun(reader, transport)

    async def stop(self) -> None:
        if self._socket is not None:
            self._socket.close()  # the fork server exits when its socket closes
            self._socket = None
        if self._process is not None:
            try:
                await asyncio.to_thread(self._process.wait, 5)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None


# -- the fork server process ---------------------------------------------------------


# What every worker needs, except the project's own modules (lupa only where installed).
_WARM_MODULES = (
    "grpc", "sqlite3", "json",
    "google.protobuf.descriptor", "google.protobuf.descriptor_pool", "google.protobuf.runtime_version",
    "google.protobuf.symbol_database", "google.protobuf.text_format", "google.protobuf.internal.builder",
    "workbench.core.domain", "workbench.watch.worker",
)
_OPTIONAL_WARM_MODULES = ("lupa.lua54",)


def _warm_up() -> None:
    for name in _WARM_MODULES:
        importlib.import_module(name)
    for name in _OPTIONAL_WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def serve(channel: socket.socket, root: Path) -> None:
    from workbench.watch import worker

    _warm_up()
    compile_from_source(root)
    project = find_project(root)
    cache = _spec_cache(project)
    precompile(project.domain_dir)
    framework = Path(worker.__file__).resolve().parent.parent  # the workbench package
    channel.sendall(json.dumps(_imported_from(project.domain_dir) + _imported_from(framework)).encode() + b"\n")
    workers: set[int] = set()
    while True:
        message, fds, _, _ = socket.recv_fds(channel, len(_GO), 2)
        if not message:
            break  # the engine is gone
        request_fd, result_fd = fds
        precompile(project.domain_dir)  # here, so the next worker finds it compiled too
        if cache is not None:
            cache.refresh(project.specs_dir)
        pid = os.fork()
        if pid == 0:
            channel.close()
            os._exit(worker.main(root, request_fd, result_fd, cache))
        os.close(request_fd)
        os.close(result_fd)
        workers = _reap(workers) | {pid}
    for pid in workers:  # still our children (unreaped), so these ids cannot belong to anyone else
        os.kill(pid, signal.SIGKILL)
    _reap(workers)


def _spec_cache(project: Project) -> SpecCache | None:
    """Every spec file parsed, with the contracts' message classes.

    The contracts are the one part of the project imported here: generated
    code that rarely changes, and parsing specs needs them. When one changes,
    the engine starts a new fork server. When they do not import, each worker
    finds out and reports it.
    """
    project.make_importable()
    try:
        cache = SpecCache(contract_messages(project.contracts))
    except Exception:
        return None
    cache.refresh(project.specs_dir)
    return cache


def _imported_from(folder: Path) -> list[str]:
    files = (getattr(module, "__file__", None) for module in list(sys.modules.values()))
    paths = (Path(f).resolve() for f in files if f)
    return sorted(str(p) for p in paths if p.is_relative_to(folder.resolve()))


def _reap(workers: set[int]) -> set[int]:
    """Collect finished workers; the ones still running."""
    running = set()
    for pid in workers:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            running.add(pid)
    return running


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])), Path(sys.argv[2]))
