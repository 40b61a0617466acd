#!/usr/bin/env python3
"""Peers for the captures of a Close answered after the closer's TCP FIN
(m_close_then_fin, m_close_then_fin_lws; scripts/captures/make-captures-more.sh).

  close_fin_peers.py server --host H --port P --truth FILE [--result FILE]
  close_fin_peers.py client --host H --port P --truth FILE
  close_fin_peers.py lws-truth LOG TRUTH   (the C client's log -> truth lines)

server: a `websockets` 10.x server (asyncio API, compression off, no pings)
  that echoes every text and answers the Close automatically, as every
  websockets server does; it serves one connection and writes what its
  application saw (close code/reason, or the error) to --result.
client: the framing of websockets' own sans-I/O client
  (websockets.client.ClientConnection: handshake, masking, Close payload)
  over a plain socket. It sends two texts, reads their echoes, sends Close
  1000 "bye" and right after it half-closes TCP with shutdown(SHUT_WR), the
  way libwebsockets clients and wstunnel end a connection; then it reads the
  server's answering Close and the server's FIN.

Truth lines are truthlog.TruthLog's (tests/captures/README.md): what each peer
sent explicitly. The server's Close is the library's automatic answer and is
not a line (as in every m_* capture).
"""
import argparse
import asyncio
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from truthlog import TruthLog  # noqa: E402

import websockets  # noqa: E402
from websockets.client import ClientConnection  # noqa: E402
from websockets.frames import Close, Opcode  # noqa: E402
from websockets.uri import parse_uri  # noqa: E402

PLAIN = dict(compression=None, ping_interval=None, max_size=None)
MESSAGES = ["first message", '{"op":"last","id":2}']


async def server(a):
    log = TruthLog(a.truth, "server")
    done = asyncio.get_running_loop().create_future()

    async def handler(ws, path=None):
        result = {}
        try:
            async for msg in ws:
                await ws.send(msg)
                log.log("text", msg)
            result = {"closed": "cleanly", "close_code": ws.close_code,
                      "close_reason": ws.close_reason}
        except websockets.exceptions.ConnectionClosed as e:
            result = {"closed": "with error", "error": repr(e),
                      "close_code": ws.close_code}
        finally:
            print(f"server: {result}", file=sys.stderr)
            if a.result:
                with open(a.result, "w", encoding="utf-8") as f:
                    json.dump(result, f)
            if not done.done():
                done.set_result(None)

    async with websockets.serve(handler, a.host, a.port, **PLAIN):
        await done
        await asyncio.sleep(0.3)


def client(a):
    log = TruthLog(a.truth, "client")
    conn = ClientConnection(parse_uri(f"ws://{a.host}:{a.port}/close-then-fin"))
    sock = socket.create_connection((a.host, a.port))
    sock.settimeout(10)

    def flush():
        for data in conn.data_to_send():
            if data:
                sock.sendall(data)

    def events():
        """Read until the connection yields events (or EOF); return them."""
        while True:
            evs = conn.events_received()
            if evs:
                return evs
            data = sock.recv(65536)
            if not data:
                conn.receive_eof()
                return conn.events_received()
            conn.receive_data(data)

    conn.send_request(conn.connect())
    flush()
    resp = events()
    assert resp and getattr(resp[0], "status_code", None) == 101, resp
    for m in MESSAGES:
        conn.send_text(m.encode())
        flush()
        log.log("text", m)
        echo = events()
        assert echo[0].opcode == Opcode.TEXT and echo[0].data == m.encode(), echo
    conn.send_close(1000, "bye")
    flush()
    log.log_close(1000, "bye")
    # Like libwebsockets clients and wstunnel: no more sending after Close, so TCP is
    # half-closed at once (RFC 6455 §7.1.1 would have the client wait for the server).
    sock.shutdown(socket.SHUT_WR)
    answer = events()
    assert answer and answer[0].opcode == Opcode.CLOSE, answer
    got = Close.parse(answer[0].data)
    print(f"client: the server answered Close {got.code} {got.reason!r}", file=sys.stderr)
    # The server closes its side once the handshake is done.
    while sock.recv(65536):
        pass
    sock.close()


def lws_truth(log_path, truth_path):
    """The lws C client writes 'text<TAB>msg' and 'close<TAB>code<TAB>reason' lines."""
    log = TruthLog(truth_path, "client")
    with open(log_path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "text":
                log.log("text", parts[1])
            elif parts[0] == "close":
                log.log_close(int(parts[1]), parts[2])


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "lws-truth":
        lws_truth(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["server", "client"])
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--truth")
    ap.add_argument("--result")
    a = ap.parse_args()
    if a.mode == "server":
        asyncio.run(server(a))
    else:
        client(a)


if __name__ == "__main__":
    main()
