#!/usr/bin/env python3
"""WebSocket peers for the ka_rst capture (scripts/captures/make-keepalive-rst-capture.sh):
a keep-alive probe answered by a RST because the server's kernel forgot the
connection (as after a reboot).

  ka_rst.py server --host H --port P --log FILE
  ka_rst.py client --host H --port P --log FILE --keepalive IDLE,INTVL,CNT
                   --idle-flag F [--wait SECS]

Needs `websockets` 10.x (Debian 12: /usr/bin/python3 with python3-websockets);
the log format is ka_peers.py's (one JSON object per line, time.time()).

The server echoes text messages and keeps listening until it is killed, like a
service that came back after a restart. The client sets keep-alive on its
socket, exchanges two messages, touches --idle-flag and then waits in recv()
until the connection fails; it logs the error and its errno (the truth: the
application's view of the RST).
"""
import argparse
import asyncio
import errno
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ka_peers import Log  # noqa: E402

import websockets  # noqa: E402


def os_error(e):
    """The OSError behind a websockets exception (or e itself), with its errno."""
    for x in (e, e.__cause__, e.__context__):
        if isinstance(x, OSError) and x.errno is not None:
            return x
    return None


def error_fields(e):
    err = os_error(e)
    out = {"error": repr(e), "cause": repr(e.__cause__)}
    if err is not None:
        out["errno"] = err.errno
        out["errno_name"] = errno.errorcode.get(err.errno, "?")
    return out


async def server(args):
    log = Log(args.log, "server")

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
            log("connection_error", **error_fields(e))

    async with websockets.serve(handler, args.host, args.port,
                                compression=None, ping_interval=None):
        log("listening", addr="%s:%d" % (args.host, args.port))
        await asyncio.Future()  # until the script kills us


async def client(args):
    log = Log(args.log, "client")
    uri = "ws://%s:%d/keepalive" % (args.host, args.port)
    ws = await websockets.connect(uri, compression=None, ping_interval=None,
                                  close_timeout=2)
    sock = ws.transport.get_extra_info("socket")
    log("connected", uri=uri, local="%s:%d" % sock.getsockname()[:2])
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
        log("idle_start")
        open(args.idle_flag, "w").close()
        try:
            msg = await asyncio.wait_for(ws.recv(), timeout=args.wait)
            log("unexpected_recv", text=msg)
        except websockets.ConnectionClosed as e:
            log("connection_error", close_code=ws.close_code, **error_fields(e))
        except asyncio.TimeoutError:
            log("wait_timeout_no_error")
    finally:
        if not ws.closed:
            ws.transport.abort()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("role", choices=["server", "client"])
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--keepalive", default="2,1,3", help="IDLE,INTVL,CNT")
    ap.add_argument("--idle-flag")
    ap.add_argument("--wait", type=float, default=15.0)
    args = ap.parse_args()
    asyncio.run(server(args) if args.role == "server" else client(args))


if __name__ == "__main__":
    sys.exit(main())
