"""wrk scripts for the scenarios that need more than one fixed GET."""

from __future__ import annotations

import json
from pathlib import Path

_TRANSFER = """
-- Transfers of 1 cent between random pairs of the bench's accounts, each with a fresh Idempotency-Key.
local accounts = {%s}
local counter, prefix = 0, ""
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("thread_number", threads)
end
function init(args)
    prefix = args[1] .. "-" .. thread_number
    math.randomseed(os.time() + thread_number)
end
request = function()
    counter = counter + 1
    local i = math.random(#accounts)
    local j = math.random(#accounts - 1)
    if j >= i then j = j + 1 end
    local body = '{"source_account_id":"' .. accounts[i][2]
        .. '","target_account_id":"' .. accounts[j][2] .. '","amount":1}'
    return wrk.format("POST", "/bank/api/transfers/", {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. accounts[i][1],
        ["Idempotency-Key"] = prefix .. "-" .. counter,
    }, body)
end
"""

_LOGIN = """
-- Sign in, each request as the next of many users (one account signed in to by 32 clients at once
-- would trip its failed-attempt lockout, which counts attempts before checking them).
local bodies = {%s}
local counter = 0
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("offset", threads * 7919)
end
request = function()
    counter = counter + 1
    return wrk.format("POST", "/auth/api/token/", {["Content-Type"] = "application/json"},
        bodies[(offset + counter) %% #bodies + 1])
end
"""

_REFRESH = """
-- Refresh tokens rotate: each is good once. Every thread starts with its own pool of them, spends
-- one per request and puts back the new one each answer carries.
local pools = {%s}
local threads = 0
local tokens = {}
function setup(thread)
    threads = threads + 1
    thread:set("pool", pools[(threads - 1) %% #pools + 1])
end
function init(args)
    for token in string.gmatch(pool, "[^,]+") do table.insert(tokens, token) end
end
request = function()
    local token = table.remove(tokens, 1) or "pool-exhausted"
    return wrk.format("POST", "/auth/api/token/refresh/", {["Content-Type"] = "application/json"},
        '{"refresh":"' .. token .. '"}')
end
response = function(status, headers, body)
    local token = string.match(body, '"refresh"%%s*:%%s*"([^"]+)"')
    if token then table.insert(tokens, token) end
end
"""


def login_script(work: Path, users: list[tuple[str, str]]) -> Path:
    """A script that signs in as each of `users` (email, password) in turn."""
    script = work / "login.lua"
    bodies = [json.dumps(json.dumps({"email": email, "password": password})) for email, password in users]
    script.write_text(_LOGIN % ", ".join(bodies))
    return script


def refresh_script(work: Path, tokens: list[str], *, threads: int) -> Path:
    """A script for `threads` wrk threads, the refresh tokens dealt out among them."""
    pools = [",".join(tokens[number::threads]) for number in range(threads)]
    script = work / "refresh.lua"
    script.write_text(_REFRESH % ", ".join(json.dumps(pool) for pool in pools))
    return script


def transfer_script(work: Path, accounts: list[tuple[str, str]]) -> Path:
    """A script that moves 1 cent between random pairs of `accounts` (access token, account id)."""
    script = work / "transfers.lua"
    script.write_text(_TRANSFER % ", ".join(f'{{"{token}", "{account}"}}' for token, account in accounts))
    return script
