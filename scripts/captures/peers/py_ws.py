#!/usr/bin/env python3
"""Python `websockets` (asyncio, 10.x) peers for the py_basic and neg_refused captures.

Usage:
  py_ws.py basic-server  --host H --port P --truth FILE
  py_ws.py basic-client  --host H --port P --truth FILE
  py_ws.py refuse-server --host H --port P
  py_ws.py refuse-client --host H --port P
"""
import argparse
import asyncio
import http
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from truthlog import TruthLog  # noqa: E402

import websockets  # noqa: E402

COMMON = dict(compression=None, ping_interval=None, max_size=None)


def pattern(n):
    """Deterministic binary payload: byte i = i % 251."""
    return bytes(i % 251 for i in range(n))


TEXT125 = ("abcdefghijklmnopqrstuvwxyz0123456789" * 4)[:125]
assert len(TEXT125) == 125
TEXT_UTF8 = "héllo wörld ✓ 日本"


def basic_messages():
    msgs = ["hello"]
    msgs += [pattern(n) for n in (0, 125, 126, 65535, 65536, 200000)]
    msgs += [TEXT125, TEXT_UTF8]
    return msgs


async def basic_server(host, port, truth):
    log = TruthLog(truth, "server")
    done = asyncio.get_running_loop().create_future()

    async def handler(ws, path=None):
        try:
            async for msg in ws:
                await ws.send(msg)
                log.log("text" if isinstance(msg, str) else "binary", msg)
        finally:
            if not done.done():
                done.set_result(None)

    async with websockets.serve(handler, host, port, **COMMON):
        await done
        await asyncio.sleep(0.2)


async def basic_client(host, port, truth):
    log = TruthLog(truth, "client")
    async with websockets.connect(f"ws://{host}:{port}/echo", **COMMON) as ws:
        for msg in basic_messages():
            await ws.send(msg)
            log.log("text" if isinstance(msg, str) else "binary", msg)
            echo = await ws.recv()
            assert echo == msg, "echo mismatch"
        pong_waiter = await ws.ping(b"ka1")
        log.log("ping", b"ka1")
        await asyncio.wait_for(pong_waiter, 10)
        log.log_close(1000, "done")
        await ws.close(1000, "done")


async def refuse_server(host, port):
    done = asyncio.get_running_loop().create_future()

    def process_request(path, request_headers):
        if not done.done():
            asyncio.get_running_loop().call_later(0.5, lambda: done.done() or done.set_result(None))
        body = b"403 Forbidden: WebSocket upgrades are not allowed here.\n"
        headers = [("Content-Type", "text/plain; charset=utf-8"),
                   ("Content-Length", str(len(body)))]
        return http.HTTPStatus.FORBIDDEN, headers, body

    async def handler(ws, path=None):  # never reached
        await ws.close()

    async with websockets.serve(handler, host, port, process_request=process_request, **COMMON):
        await done


async def refuse_client(host, port):
    try:
        async with websockets.connect(f"ws://{host}:{port}/chat", **COMMON) as ws:
            raise SystemExit("unexpected: upgrade accepted")
    except websockets.exceptions.InvalidStatusCode as exc:
        print(f"refused as expected: HTTP {exc.status_code}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--truth")
    a = ap.parse_args()
    if a.mode == "basic-server":
        coro = basic_server(a.host, a.port, a.truth)
    elif a.mode == "basic-client":
        coro = basic_client(a.host, a.port, a.truth)
    elif a.mode == "refuse-server":
        coro = refuse_server(a.host, a.port)
    elif a.mode == "refuse-client":
        coro = refuse_client(a.host, a.port)
    else:
        ap.error("unknown mode")
    asyncio.run(coro)


if __name__ == "__main__":
    main()
