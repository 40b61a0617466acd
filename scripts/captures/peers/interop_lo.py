"""Interop peers for scripts/dev/interop-loopback.sh: a client of one library and a server of another
(aiohttp, websockets) on loopback, both sending a seeded mix of messages concurrently; each side
logs what it sent (type, length, SHA-256 of the message before compression) as JSON Lines.

  interop_lo.py MODE HOST PORT SEED N TRUTH [deflate]

MODE aio-srv: aiohttp server, websockets client; ws-srv: websockets server, aiohttp client.
Sizes: 60% 0-125 bytes, 30% 126-65,535, 10% 65,536-299,999; text or binary; 5% pings."""
import asyncio, hashlib, json, random, sys

import aiohttp
from aiohttp import web
import websockets

MODE, HOST, PORT, SEED, N, TRUTH = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
COMPRESS = len(sys.argv) > 7 and sys.argv[7] == "deflate"
URLHOST = f"[{HOST}]" if ":" in HOST else HOST
log = open(TRUTH, "w")


def rec(d, kind, data):
    if isinstance(data, str):
        data = data.encode()
    log.write(json.dumps({"dir": d, "type": kind, "len": len(data), "sha256": hashlib.sha256(data).hexdigest()}) + "\n")
    log.flush()


def plan(seed):
    r = random.Random(seed)
    out = []
    for i in range(N):
        p = r.random()
        if p < 0.6:
            n = r.randrange(0, 126)
        elif p < 0.9:
            n = r.randrange(126, 65536)
        else:
            n = r.randrange(65536, 300000)
        kind = r.choice(["text", "binary"])
        if kind == "text":
            alphabet = "abcdefghij klmnop{}\":,0123456789ü€✓日本"
            s = "".join(r.choice(alphabet) for _ in range(n // 2 + 1))
            out.append(("text", s))
        else:
            out.append(("binary", r.randbytes(n)))
        if r.random() < 0.05:
            out.append(("ping", r.randbytes(r.randrange(0, 20))))
    return out


async def send_ws(ws, d, seed, lib):
    for kind, data in plan(seed):
        if lib == "websockets":
            if kind == "ping":
                await ws.ping(data)
            else:
                await ws.send(data)
        else:
            if kind == "ping":
                await ws.ping(data)
            elif kind == "text":
                await ws.send_str(data)
            else:
                await ws.send_bytes(data)
        rec(d, kind, data)
        await asyncio.sleep(0)


async def aiohttp_server_websockets_client():
    done = asyncio.Event()

    async def handler(request):
        ws = web.WebSocketResponse(compress=COMPRESS, autoping=True)
        await ws.prepare(request)
        sender = asyncio.create_task(send_ws(ws, "server", SEED + 1, "aiohttp"))
        async for _ in ws:
            pass
        await sender
        done.set()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, HOST, PORT)
    await site.start()
    comp = "deflate" if COMPRESS else None
    async with websockets.connect(f"ws://{URLHOST}:{PORT}/ws", compression=comp, max_size=None) as ws:
        async def reader():
            try:
                async for _ in ws:
                    pass
            except Exception:
                pass
        rd = asyncio.create_task(reader())
        await send_ws(ws, "client", SEED, "websockets")
        await asyncio.sleep(1.0)
        await ws.close(1000, "bye")
        rec("client", "close", b"\x03\xe8bye")
        await rd
    await asyncio.wait_for(done.wait(), 10)
    await runner.cleanup()


async def websockets_server_aiohttp_client():
    async def handler(ws, path=None):
        sender = asyncio.create_task(send_ws(ws, "server", SEED + 1, "websockets"))
        try:
            async for _ in ws:
                pass
        except Exception:
            pass
        await sender

    comp = "deflate" if COMPRESS else None
    async with websockets.serve(handler, HOST, PORT, compression=comp, max_size=None):
        async with aiohttp.ClientSession() as s:
            async with s.ws_connect(f"http://{URLHOST}:{PORT}/ws", compress=15 if COMPRESS else 0, max_msg_size=0) as ws:
                async def reader():
                    async for _ in ws:
                        pass
                rd = asyncio.create_task(reader())
                await send_ws(ws, "client", SEED, "aiohttp")
                await asyncio.sleep(1.0)
                await ws.close(code=1000, message=b"bye")
                rec("client", "close", b"\x03\xe8bye")
                await rd


asyncio.run(aiohttp_server_websockets_client() if MODE == "aio-srv" else websockets_server_aiohttp_client())
