"""Tenant scripts: Lua (lupa) run in a sandbox on the domain's hooks.

sandbox.lua  what a script can see (no os, io, load, require, debug, patterns)
library.lua  the library functions, charged for their work in C before they run
runtime.py   one runtime: compile once per source, run under budget, memory and time caps
watchdog.py  the thread that stops a run past its time, at its next instruction
host_api.py  the read-only `inventory` table scripts query the state through
tenants.py   one runtime per tenant, reused
hooks.py     the hooks features call, and what a script's answer means there
"""
