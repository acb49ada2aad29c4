"""One tenant's Lua runtime: compiles scripts once, runs them under limits.

A run is bounded four ways, so a runaway script fails only its own request,
quickly: an instruction budget (a count hook set from here, never visible to
the script; library functions charge it for the work they do in C, see
library.lua), a memory cap over what the runtime used before the run, a cap on
calls into the host API (Python time the budget cannot see), and a time limit
the watchdog enforces (watchdog.py) for single instructions that take long.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from lupa import lua54

from domain.scripting.host_api import HostApi
from domain.scripting.watchdog import WATCHDOG, installed_hook
from workbench.core import Code, Transaction
from workbench.core.observer import observer

INSTRUCTION_BUDGET = 1_000_000  # about 5 ms of a tight loop on this machine
MEMORY_PER_RUN = 16 * 1024 * 1024
TIME_PER_RUN = 0.25  # seconds of CPU time (watchdog.py); a run within its budget takes milliseconds
HOST_CALLS_PER_RUN = 1_000
MAX_SOURCE_BYTES = 64 * 1024
GARBAGE_KEPT = 1024 * 1024  # a run that leaves more is collected at once
_CACHED_CHUNKS = 64
# How Lua words the errors of a limit hit (even when a script caught and re-raised them).
_EXHAUSTION_ENDINGS = ("stack overflow", "not enough memory", "resulting string too large", "table overflow",
                       "string length overflow")
_NOT_UTF8 = "{name} script gave back text that is not UTF-8"
_LUA_MEMORY_ERROR = "not enough memory"  # what a memory error says once caught in Lua
_LUA_TYPE_OF = {bool: "boolean", int: "number", float: "number", str: "string"}

_SANDBOX_LUA = (Path(__file__).parent / "sandbox.lua").read_text(encoding="utf-8")
_LIBRARY_LUA = (Path(__file__).parent / "library.lua").read_text(encoding="utf-8")


class ScriptFailure(Exception):
    """A script run that failed: the status its request gets, and why."""

    def __init__(self, code: Code, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def lua_type_name(value: Any) -> str:
    """What Lua calls the type of a value a script gave back: "string", "table", ..."""
    return lua54.lua_type(value) or _LUA_TYPE_OF.get(type(value), type(value).__name__)


def _no_python_attributes(obj: Any, name: Any, *value: Any) -> Any:
    raise AttributeError("scripts cannot reach Python objects")


class ScriptRuntime:
    def __init__(self) -> None:
        self._lock = threading.RLock()  # one run at a time: the host API and the hook are per runtime
        self._start()

    def _start(self) -> None:
        """A fresh Lua state with the sandbox set up, and no compiled chunks."""
        if hasattr(self, "_host"):
            # The old state and its host functions refer to each other: cut the
            # cycle so the state is freed now, not at some later garbage collection.
            self._host.detach()
        self._lua = lua54.LuaRuntime(
            max_memory=0,
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_handlers=(_no_python_attributes, _no_python_attributes),
        )
        self._host = HostApi(self._lua.table_from, HOST_CALLS_PER_RUN)
        load = self._lua.globals().load
        setup = load(_SANDBOX_LUA, "=sandbox", "t")
        controls = setup(self._lua.table_from(self._host.functions()), load(_LIBRARY_LUA, "=sandbox", "t"))
        self._compile = controls.compile
        self._run_chunk = controls.run
        self._prepare = controls.prepare
        self._on_count = controls.on_count
        self._sethook = controls.sethook
        self._exhausted_at = controls.exhausted_at
        self._rawget = controls.rawget
        self._collect = controls.collect
        self._state = int(controls.state.rpartition("0x")[2], 16)
        self._sethook(self._on_count, "", INSTRUCTION_BUDGET)
        self._hook = installed_hook(self._state)
        self._sethook()
        self._timed_out = False
        # Keyed by the source itself, not the version: in spec mode one
        # runtime sees many tenants' histories, and "version 1" of each differs.
        self._chunks: OrderedDict[tuple[str, str], Any] = OrderedDict()

    def compile_error(self, name: str, source: str) -> str | None:
        """The Lua error (with its line) when `source` does not compile, else None."""
        try:
            with self._lock:
                self._chunk(name, source)
        except ScriptFailure as failure:
            return failure.message
        return None

    def run(self, name: str, source: str, request: dict, tx: Transaction) -> dict[str, Any] | None:
        """Run the script on `request`; its answer as a dict, None when it returned nothing.

        Raises ScriptFailure when the script fails or goes over a limit.
        """
        started, outcome = time.perf_counter(), "failed"
        try:
            with self._lock:
                answer = self._run(name, source, request, tx)
            outcome = "ok"
            return answer
        except ScriptFailure as failure:
            outcome = "bound" if failure.code is Code.RESOURCE_EXHAUSTED else "failed"
            raise
        finally:
            observer().script_ran(name, time.perf_counter() - started, outcome)

    def _run(self, name: str, source: str, request: dict, tx: Transaction) -> dict[str, Any] | None:
        chunk = self._chunk(name, source)
        lua = self._lua
        arguments = lua.table_from(request, recursive=True)
        self._prepare(chunk, arguments, INSTRUCTION_BUDGET)
        before = lua.get_memory_used()
        lua.set_max_memory(before + MEMORY_PER_RUN)
        self._host.begin(tx)
        self._sethook(self._on_count, "", INSTRUCTION_BUDGET)
        watch = WATCHDOG.watch(self._state, self._hook, TIME_PER_RUN)
        try:
            ok, answer = self._run_chunk(chunk, arguments)
            error = None if ok else lua54.LuaError(answer if isinstance(answer, str) else "")
        except Exception as raised:  # every way a script can fail becomes its request's status
            answer, error = None, raised.with_traceback(None)  # its frames would keep the Lua state alive
        finally:
            WATCHDOG.release(watch)  # before the hook goes off: the watchdog must not arm it again
            self._sethook()
            self._timed_out = watch.expired
            self._host.end()
            lua.set_max_memory(0)
        if error is not None or self._exhausted_at() is not None:  # a tail call can end a run that is over
            raise self._failure(name, error, before)
        self._drop_garbage(before)
        return self._answer(name, answer)

    def _drop_garbage(self, before: int) -> None:
        """Collect what the run left, when it is much: an idle tenant's runtime would keep it for good.
        It is the run's own garbage (its globals are gone), so its cost is the run's."""
        if self._lua.get_memory_used() > before + GARBAGE_KEPT:
            self._collect()

    def _chunk(self, name: str, source: str) -> Any:
        key = (name, source)
        chunk = self._chunks.get(key)
        if chunk is None:
            if len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
                raise ScriptFailure(Code.INVALID_ARGUMENT, f"{name} script is over {MAX_SOURCE_BYTES // 1024} KiB")
            chunk, error = self._compile(source, f"={name} script")
            if not chunk:
                raise ScriptFailure(Code.INVALID_ARGUMENT, f"{name} script does not compile: {error}")
            self._chunks[key] = chunk
            if len(self._chunks) > _CACHED_CHUNKS:
                self._chunks.popitem(last=False)
        else:
            self._chunks.move_to_end(key)
        return chunk

    def _failure(self, name: str, error: Exception | None, before: int) -> ScriptFailure:
        failure = self._describe(name, error)
        if failure.code is Code.RESOURCE_EXHAUSTED:
            # A run that hit a limit leaves the state bloated (a deep
            # recursion's stack stays grown and slows every later run):
            # start afresh, a few hundred microseconds on a path already slow.
            self._start()
        else:
            self._drop_garbage(before)
        return failure

    def _describe(self, name: str, error: Exception | None) -> ScriptFailure:
        line = self._exhausted_at()
        if line is not None:
            where = f"{name} script:{line}" if line else f"{name} script"  # a tail call leaves no line to point at
            limit = (f"time limit of {TIME_PER_RUN * 1000:.0f} ms" if self._timed_out
                     else f"budget of {INSTRUCTION_BUDGET:,} instructions")
            return ScriptFailure(Code.RESOURCE_EXHAUSTED, f"{where}: ran past its {limit}")
        if isinstance(error, lua54.LuaMemoryError) or str(error) == _LUA_MEMORY_ERROR:
            return ScriptFailure(Code.RESOURCE_EXHAUSTED,
                                 f"{name} script ran out of memory (limit {MEMORY_PER_RUN // 2**20} MiB per run)")
        if self._host.exhausted:
            return ScriptFailure(Code.RESOURCE_EXHAUSTED,
                                 f"{name} script made more than {HOST_CALLS_PER_RUN:,} inventory calls")
        if isinstance(error, lua54.LuaError):
            first_line = str(error).split("\n", 1)[0] or "raised an error that is not a string"
            if not first_line.startswith(f"{name} script"):
                first_line = f"{name} script: {first_line}"  # a tail call leaves no line to point at
            exhausted = first_line.endswith(_EXHAUSTION_ENDINGS)
            return ScriptFailure(Code.RESOURCE_EXHAUSTED if exhausted else Code.FAILED_PRECONDITION, first_line)
        if isinstance(error, UnicodeDecodeError):
            return ScriptFailure(Code.FAILED_PRECONDITION, _NOT_UTF8.format(name=name))
        return ScriptFailure(Code.FAILED_PRECONDITION, f"{name} script failed: {type(error).__name__}: {error}")

    def _answer(self, name: str, answer: Any) -> dict[str, Any] | None:
        """The script's table as a dict, read raw: no metamethod runs outside the budget."""
        if isinstance(answer, tuple):  # several values returned: Lua would keep the first
            answer = answer[0]
        if answer is None:
            return None
        kind = lua_type_name(answer)
        if kind != "table":
            raise ScriptFailure(Code.FAILED_PRECONDITION,
                                f"{name} script returned a {kind}: return nothing to go on, or a table such as {{reject = \"why\"}}")
        try:
            return {key: self._rawget(answer, key) for key in answer.keys()}
        except UnicodeDecodeError:
            raise ScriptFailure(Code.FAILED_PRECONDITION, _NOT_UTF8.format(name=name)) from None
