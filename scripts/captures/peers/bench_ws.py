#!/usr/bin/env python3
"""Bulk-traffic peers for scripts/dev/bench.sh (Python `websockets` 10.x, no compression).

Usage:
  bench_ws.py server --host H --port P --messages N [--scale S] [--seed X]
  bench_ws.py client --host H --port P --messages N [--scale S] [--seed X]

N messages in total over one connection, half sent by each side, concurrently (each side reads
while it writes). Sizes, drawn from a seeded PRNG (the same on both sides):
  60% 0..125 bytes (text), 30% 126..65536/S bytes (binary), 10% 65537/S..98304/S bytes (binary).
The client masks (the library does). The client closes (1000) when both sides have everything.
Prints one summary line (messages, payload bytes, seconds) on stderr.
"""
import argparse
import asyncio
import os
import random
import sys
import time

import websockets

COMMON = dict(compression=None, ping_interval=None, max_size=None, max_queue=64)

TEXT = (b"The quick brown fox jumps over the lazy dog 0123456789 " * 3).decode()
BLOB = os.urandom(98304 + 16)


def plan(total, scale, seed, side):
    """Sizes and kinds of the messages `side` sends (client: even indexes, server: odd)."""
    rng = random.Random(seed)
    out = []
    for i in range(total):
        r = rng.random()
        if r < 0.6:
            size, text = rng.randint(0, 125), True
        elif r < 0.9:
            size, text = rng.randint(126, max(126, 65536 // scale)), False
        else:
            lo = 65536 // scale + 1
            size, text = rng.randint(lo, max(lo, 98304 // scale)), False
        if (i % 2 == 0) == (side == "client"):
            out.append((size, text))
    return out


def payload(i, size, text):
    if text:
        return TEXT[:size] if size <= len(TEXT) else (TEXT * (size // len(TEXT) + 1))[:size]
    off = (i * 7919) % 16
    return BLOB[off:off + size]


async def pump(ws, mine, expect):
    t0 = time.monotonic()
    sent_bytes = 0

    async def sender():
        nonlocal sent_bytes
        for i, (size, text) in enumerate(mine):
            await ws.send(payload(i, size, text))
            sent_bytes += size

    async def receiver():
        got = 0
        while got < expect:
            await ws.recv()
            got += 1

    await asyncio.gather(sender(), receiver())
    return sent_bytes, time.monotonic() - t0


async def server(a):
    mine = plan(a.messages, a.scale, a.seed, "server")
    expect = a.messages - len(mine)
    done = asyncio.get_running_loop().create_future()

    async def handler(ws, path=None):
        try:
            sent, secs = await pump(ws, mine, expect)
            print(f"server: sent {len(mine)} messages, {sent} payload bytes, {secs:.1f}s",
                  file=sys.stderr)
            await ws.wait_closed()
        finally:
            if not done.done():
                done.set_result(None)

    async with websockets.serve(handler, a.host, a.port, **COMMON):
        await done
        await asyncio.sleep(0.2)


async def client(a):
    mine = plan(a.messages, a.scale, a.seed, "client")
    expect = a.messages - len(mine)
    async with websockets.connect(f"ws://{a.host}:{a.port}/bench", **COMMON) as ws:
        sent, secs = await pump(ws, mine, expect)
        print(f"client: sent {len(mine)} messages, {sent} payload bytes, {secs:.1f}s",
              file=sys.stderr)
        await ws.close(1000, "bench done")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["server", "client"])
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--messages", type=int, required=True)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--seed", type=int, default=6455)
    a = ap.parse_args()
    asyncio.run(server(a) if a.mode == "server" else client(a))


if __name__ == "__main__":
    main()
