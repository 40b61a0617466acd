#!/usr/bin/env python3
"""WebSocket peers for the TCP keep-alive captures (scripts/captures/make-keepalive-captures.sh).

  ka_peers.py server --host H --port P --log FILE
  ka_peers.py client --host H --port P --log FILE --idle SECS
                     [--keepalive IDLE,INTVL,CNT] [--idle-flag F --cut-flag F]

Needs `websockets` 10.x (Debian 12: /usr/bin/python3 with python3-websockets).
Library pings are off (ping_interval=None) and compression is off, so the only
traffic during the idle period is what the kernel sends (keep-alive probes).

Every action is logged as one JSON object per line with a wall-clock
timestamp (time.time(), the clock dumpcap stamps packets with).
"""
import argparse
import asyncio
import json
import os
import socket
import sys
import time

import websockets


class Log:
    def __init__(self, path, who):
        self.path, self.who = path, who
        open(path, "w").close()

    def __call__(self, event, **kw):
        rec = {"t": round(time.time(), 6), "who": self.who, "event": event}
        rec.update(kw)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")


async def server(args):
    log = Log(args.log, "server")
    done = asyncio.get_running_loop().create_future()

    async def handler(ws, path=None):
        peer = "%s:%d" % ws.remote_address[:2]
        log("accepted", peer=peer)
        try:
            async for msg in ws:
                log("recv_text", text=msg)
                reply = "echo: " + msg
                await ws.send(reply)
                log("send_text", text=reply)
            log("closed", code=ws.close_code, reason=ws.close_reason)
        except websockets.ConnectionClosed as e:
            log("connection_error", error=repr(e), cause=repr(e.__cause__))
        finally:
            if not done.done():
                done.set_result(None)

    async with websockets.serve(handler, args.host, args.port,
                                compression=None, ping_interval=None):
        log("listening", addr="%s:%d" % (args.host, args.port))
        # the unanswered scenario never sees a close: the script kills us
        await done


async def wait_file(path, timeout=5.0):
    end = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > end:
            raise SystemExit("timed out waiting for " + path)
        await asyncio.sleep(0.02)


async def client(args):
    log = Log(args.log, "client")
    uri = "ws://%s:%d/keepalive" % (args.host, args.port)
    ws = await websockets.connect(uri, compression=None, ping_interval=None,
                                  close_timeout=2)
    sock = ws.transport.get_extra_info("socket")
    local = "%s:%d" % sock.getsockname()[:2]
    log("connected", uri=uri, local=local)
    if args.keepalive:
        idle, intvl, cnt = (int(x) for x in args.keepalive.split(","))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, intvl)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, cnt)
        log("keepalive_set",
            SO_KEEPALIVE=sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            TCP_KEEPIDLE=sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            TCP_KEEPINTVL=sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
            TCP_KEEPCNT=sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT))
    try:
        for i in (1, 2):
            msg = "hello %d" % i
            await ws.send(msg)
            log("send_text", text=msg)
            reply = await ws.recv()
            log("recv_text", text=reply)
        # let the last delayed ACK go out: nothing unacknowledged, nothing queued
        await asyncio.sleep(0.3)
        log("idle_start", seconds=args.idle)
        if args.idle_flag:
            open(args.idle_flag, "w").close()
            await wait_file(args.cut_flag)
            log("peer_cut_off")
            # the peer is unreachable now: just wait for the kernel to give up
            try:
                msg = await asyncio.wait_for(ws.recv(), timeout=args.idle)
                log("unexpected_recv", text=msg)
            except websockets.ConnectionClosed as e:
                log("connection_error", error=repr(e), cause=repr(e.__cause__),
                    close_code=ws.close_code)
            except asyncio.TimeoutError:
                log("idle_timeout_no_error")
            return
        await asyncio.sleep(args.idle)
        log("idle_end")
        msg = "after idle"
        await ws.send(msg)
        log("send_text", text=msg)
        reply = await ws.recv()
        log("recv_text", text=reply)
        await ws.close(1000, "bye")
        log("closed", code=ws.close_code, reason=ws.close_reason)
    finally:
        if not ws.closed:
            ws.transport.abort()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("role", choices=["server", "client"])
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--idle", type=float, default=8.0)
    ap.add_argument("--keepalive", help="IDLE,INTVL,CNT (seconds, seconds, count)")
    ap.add_argument("--idle-flag")
    ap.add_argument("--cut-flag")
    args = ap.parse_args()
    asyncio.run(server(args) if args.role == "server" else client(args))


if __name__ == "__main__":
    sys.exit(main())
