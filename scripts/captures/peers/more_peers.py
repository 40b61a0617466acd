#!/usr/bin/env python3
"""Python peers for the extra captures made by scripts/captures/make-captures-more.sh.

WebSocket modes use `websockets` 10.x (asyncio API), like py_ws.py.  Ground truth
is written with truthlog.TruthLog (same format as tests/captures/README.md).  For
compressed connections, len/sha256/text describe the UNCOMPRESSED payload as the
application passed it to the library, and each line has "compressed": true.

Usage: more_peers.py MODE --host H --port P [--truth FILE] [--sync DIR]
                      [--cert FILE --key FILE] [--keylog FILE]

--sync DIR: handshake with the capture script through files:  the peer creates
DIR/ready when it is at the point where the capture should start and then waits
for DIR/go (created by the script once dumpcap is running).
"""
import argparse
import asyncio
import json
import os
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from truthlog import TruthLog  # noqa: E402

import websockets  # noqa: E402
from websockets.extensions.permessage_deflate import (  # noqa: E402
    ClientPerMessageDeflateFactory, ServerPerMessageDeflateFactory)

PLAIN = dict(compression=None, ping_interval=None, max_size=None)


def pattern(n, mul=1):
    return bytes((i * mul) % 251 for i in range(n))


def kind(msg):
    return "text" if isinstance(msg, str) else "binary"


async def wait_go(sync):
    """Signal 'ready' and wait until the capture script says 'go'."""
    if not sync:
        return
    open(os.path.join(sync, "ready"), "w").close()
    go = os.path.join(sync, "go")
    for _ in range(3000):
        if os.path.exists(go):
            return
        await asyncio.sleep(0.02)
    raise SystemExit("timed out waiting for " + go)


def wait_go_blocking(sync):
    if not sync:
        return
    open(os.path.join(sync, "ready"), "w").close()
    go = os.path.join(sync, "go")
    for _ in range(3000):
        if os.path.exists(go):
            return
        time.sleep(0.02)
    raise SystemExit("timed out waiting for " + go)


# ------------------------------------------------------------ generic echo server
async def echo_server(a, opts, skip_prefix=None, ssl_ctx=None, subprotocols=None,
                      extra=None, compressed=False, once=True):
    """Echo every data message back; log every echo (except those of messages
    starting with skip_prefix, which are the pre-capture warm-up messages)."""
    log = TruthLog(a.truth, "server")
    done = asyncio.get_running_loop().create_future()
    ext = {"compressed": True} if compressed else {}

    async def handler(ws, path=None):
        try:
            async for msg in ws:
                await ws.send(msg)
                if skip_prefix is not None and isinstance(msg, str) and msg.startswith(skip_prefix):
                    continue
                log.log(kind(msg), msg, **ext)
                if extra:
                    await extra(ws, msg, log)
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            if once and not done.done():
                done.set_result(None)

    kw = dict(opts)
    if ssl_ctx is not None:
        kw["ssl"] = ssl_ctx
    if subprotocols:
        kw["subprotocols"] = subprotocols
    async with websockets.serve(handler, a.host, a.port, **kw):
        await done
        await asyncio.sleep(0.2)


async def send_and_echo(ws, log, msgs, **ext):
    for m in msgs:
        await ws.send(m)
        log.log(kind(m), m, **ext)
        echo = await ws.recv()
        assert echo == m, "echo mismatch"


# ------------------------------------------------------------------ m_midstream_py
def midstream_messages():
    big = '{"op":"bulk","seq":4,"data":"'
    big += ("0123456789abcdef" * 400)[: 5000 - len(big) - 2] + '"}'
    assert len(big) == 5000
    return [
        '{"op":"subscribe","channel":"ticker","id":1}',
        '{"op":"ping","id":2}',
        '{"op":"get","key":"user:42","id":3}',
        big,
        '{"op":"set","key":"k","value":"v","id":5}',
        "plain text, not JSON",
        '{"op":"note","text":"héllo wörld ✓","id":7}',
        "{}",
        '{"op":"list","items":[1,2,3,4,5,6,7,8,9,10],"id":9}',
        '{"op":"unsubscribe","channel":"ticker","id":10}',
    ]


async def midstream_client(a):
    log = TruthLog(a.truth, "client")
    async with websockets.connect(f"ws://{a.host}:{a.port}/stream", **PLAIN) as ws:
        for m in ("pre: warm-up 1", "pre: warm-up 2", "pre: warm-up 3"):
            await ws.send(m)
            await ws.recv()
        await wait_go(a.sync)
        await asyncio.sleep(0.2)
        await send_and_echo(ws, log, midstream_messages())
        b = pattern(3000, 3)
        await send_and_echo(ws, log, [b])
        w = await ws.ping(b"mid-ping")
        log.log("ping", b"mid-ping")
        await asyncio.wait_for(w, 10)
        log.log_close(1000, "bye")
        await ws.close(1000, "bye")


# ----------------------------------------------------------------- m_deflate_py*
def deflate_messages():
    msgs = []
    for i in range(1, 9):
        msgs.append(json.dumps({
            "type": "quote", "seq": i, "symbol": "ACME", "exchange": "NASDAQ",
            "currency": "USD", "price": 100 + i * 0.25, "volume": 1000 * i,
            "tags": ["realtime", "equity", "websocket", "deflate"],
            "comment": "the quick brown fox jumps over the lazy dog",
        }, separators=(",", ":")))
    rows = []
    i = 0
    while sum(len(r) + 1 for r in rows) < 20000:
        rows.append(f'{{"row":{i},"name":"item-{i % 37}","ok":{"true" if i % 3 else "false"}}}')
        i += 1
    big = "[" + ",".join(rows)
    big = big[:19999] + "]"
    assert len(big) == 20000
    msgs.append(big)
    msgs.append(pattern(4000, 7))
    return msgs


def deflate_opts(mode, side):
    if mode == "context":
        return dict(compression="deflate", ping_interval=None, max_size=None)
    if side == "server":
        f = ServerPerMessageDeflateFactory(server_no_context_takeover=True,
                                           client_no_context_takeover=True)
    else:
        f = ClientPerMessageDeflateFactory(server_no_context_takeover=True,
                                           client_no_context_takeover=True)
    return dict(compression=None, extensions=[f], ping_interval=None, max_size=None)


async def deflate_client(a, mode):
    log = TruthLog(a.truth, "client")
    async with websockets.connect(f"ws://{a.host}:{a.port}/deflate",
                                  **deflate_opts(mode, "client")) as ws:
        await send_and_echo(ws, log, deflate_messages(), compressed=True)
        w = await ws.ping(b"deflate-ping")
        log.log("ping", b"deflate-ping")  # control frames are never compressed
        await asyncio.wait_for(w, 10)
        log.log_close(1000, "done")
        await ws.close(1000, "done")


# --------------------------------------------------------------- m_json_subprotocol
async def json_server(a):
    log = TruthLog(a.truth, "server")
    done = asyncio.get_running_loop().create_future()

    async def handler(ws, path=None):
        assert ws.subprotocol == "json.v1", ws.subprotocol
        try:
            hello = {"type": "welcome", "subprotocol": ws.subprotocol, "server": "more_peers.py"}
            s = json.dumps(hello)
            await ws.send(s)
            log.log("text", s)
            async for msg in ws:
                req = json.loads(msg)
                s = json.dumps({"type": "result", "id": req.get("id"), "ok": True,
                                "echo": req})
                await ws.send(s)
                log.log("text", s)
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            if not done.done():
                done.set_result(None)

    async with websockets.serve(handler, a.host, a.port, subprotocols=["json.v1"], **PLAIN):
        await done
        await asyncio.sleep(0.2)


async def json_client(a):
    log = TruthLog(a.truth, "client")
    async with websockets.connect(f"ws://{a.host}:{a.port}/api",
                                  subprotocols=["json.v1", "graphql-transport-ws"], **PLAIN) as ws:
        assert ws.subprotocol == "json.v1"
        await ws.recv()
        reqs = [
            {"id": 1, "method": "add", "params": [2, 3]},
            {"id": 2, "method": "echo", "params": {"text": "héllo ✓"}},
            {"id": 3, "method": "list", "params": list(range(40))},
            {"id": 4, "method": "bye"},
        ]
        for r in reqs:
            s = json.dumps(r)
            await ws.send(s)
            log.log("text", s)
            await ws.recv()
        log.log_close(1000, "")
        await ws.close(1000, "")


# ------------------------------------------------------------------- m_abrupt_*
async def abrupt_client(a, how):
    log = TruthLog(a.truth, "client")
    async with websockets.connect(f"ws://{a.host}:{a.port}/abrupt", **PLAIN) as ws:
        await send_and_echo(ws, log, ["first", '{"n":2}', pattern(600)])
        await asyncio.sleep(0.2)
        sock = ws.transport.get_extra_info("socket")
        if how == "rst":
            # SO_LINGER {on, 0}: close() sends RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            ws.transport.abort()
        else:
            ws.transport.abort()  # plain close(): FIN, no Close frame
        await asyncio.sleep(0.3)
        os._exit(0)


async def abrupt_server(a):
    log = TruthLog(a.truth, "server")
    done = asyncio.get_running_loop().create_future()

    async def handler(ws, path=None):
        try:
            async for msg in ws:
                await ws.send(msg)
                log.log(kind(msg), msg)
        except websockets.exceptions.ConnectionClosed as e:
            print(f"server: connection closed: {e!r}", file=sys.stderr)
        finally:
            if not done.done():
                done.set_result(None)

    async with websockets.serve(handler, a.host, a.port, **PLAIN):
        await done
        await asyncio.sleep(0.3)


# ------------------------------------------------------------------------ m_wss_*
def server_ssl(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    return ctx


def client_ssl(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if a.keylog:
        ctx.keylog_filename = a.keylog
    return ctx


async def wss_client(a):
    log = TruthLog(a.truth, "client")
    url = f"wss://{a.host}:{a.port}/secure" if a.port != 443 else f"wss://{a.host}/secure"
    async with websockets.connect(url, ssl=client_ssl(a), **PLAIN) as ws:
        await send_and_echo(ws, log, ["hello over TLS", '{"secure":true,"port":%d}' % a.port,
                                      pattern(2000, 5), "x" * 3000])
        w = await ws.ping(b"tls-ping")
        log.log("ping", b"tls-ping")
        await asyncio.wait_for(w, 10)
        log.log_close(1000, "tls done")
        await ws.close(1000, "tls done")


# ----------------------------------------------------------------- m_mqtt_ws (paho)
def mqtt_ws_client(a):
    import paho.mqtt.client as mqtt
    log = TruthLog(a.truth, "client")
    orig = mqtt._WebsocketWrapper._create_frame

    def create_frame(self, opcode, data, do_masking=1):
        if opcode == mqtt._WebsocketWrapper.OPCODE_BINARY:
            log.log("binary", bytes(data), note="MQTT packet 0x%02x" % data[0])
        return orig(self, opcode, data, do_masking)

    mqtt._WebsocketWrapper._create_frame = create_frame
    got = []
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="wsk-more-client",
                    transport="websockets", protocol=mqtt.MQTTv311)
    c.ws_set_options(path="/mqtt")
    c.on_message = lambda cl, ud, msg: got.append((msg.topic, msg.payload))
    c.connect(a.host, a.port, keepalive=60)
    c.loop_start()
    time.sleep(0.3)
    c.subscribe("wsk/test/#", qos=1)
    time.sleep(0.3)
    for i, (topic, payload, qos) in enumerate([
            ("wsk/test/a", b"hello mqtt over websocket", 0),
            ("wsk/test/b", json.dumps({"temp": 21.5, "unit": "C"}).encode(), 1),
            ("wsk/test/c", pattern(300), 1)]):
        c.publish(topic, payload, qos=qos).wait_for_publish(5)
        time.sleep(0.2)
    time.sleep(0.5)
    c.disconnect()
    c.loop_stop()
    print(f"mqtt client: received {len(got)} messages", file=sys.stderr)
    assert len(got) == 3, got


# ======================================================================== negatives
def neg_http_server(a):
    import http.server

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _reply(self, body, ctype="text/plain; charset=utf-8"):
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self._reply(("GET " + self.path + "\n" + "line of text\n" * 20).encode())

        def do_POST(self):
            n = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(n)
            self._reply(b'{"received":%d}' % len(body), "application/json")

        def log_message(self, *args):
            pass

    srv = http.server.HTTPServer((a.host, a.port), H)
    srv.handle_request()  # one connection, all keep-alive requests on it


def neg_http_client(a):
    import http.client
    c = http.client.HTTPConnection(a.host, a.port)
    reqs = [("GET", "/", None), ("POST", "/api/items", b'{"name":"widget","qty":3}'),
            ("GET", "/chat?upgrade=websocket", None),
            ("POST", "/upload", bytes(range(256)) * 8),
            ("PUT", "/api/items/1", b"name=gadget&qty=7")]
    for m, p, body in reqs:
        hdrs = {"Content-Type": "application/octet-stream"} if body else {}
        c.request(m, p, body=body, headers=hdrs)
        r = c.getresponse()
        r.read()
        time.sleep(0.05)
    c.close()


def neg_random_server(a):
    import random
    rnd = random.Random(7777)
    ls = socket.create_server((a.host, a.port))
    s, _ = ls.accept()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    got = 0
    while got < 50000:
        d = s.recv(65536)
        if not d:
            break
        got += len(d)
    sent = 0
    while sent < 50000:
        n = min(rnd.randint(1, 4000), 50000 - sent)
        s.sendall(rnd.randbytes(n))
        sent += n
        time.sleep(rnd.random() * 0.005)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()


def neg_random_client(a):
    import random
    rnd = random.Random(1234)
    s = socket.create_connection((a.host, a.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sent = 0
    while sent < 50000:
        n = min(rnd.randint(1, 4000), 50000 - sent)
        s.sendall(rnd.randbytes(n))
        sent += n
        time.sleep(rnd.random() * 0.005)
    got = 0
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += len(d)
    assert got == 50000, got
    s.close()


def neg_smtp_server(a):
    import warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    import asyncore
    import smtpd

    class S(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kw):
            print(f"smtp server: mail from {mailfrom} to {rcpttos}, {len(data)} bytes",
                  file=sys.stderr)
            self.done = True

    srv = S((a.host, a.port), None, decode_data=False)
    srv.done = False
    deadline = time.time() + 30
    while time.time() < deadline:
        asyncore.loop(timeout=0.1, count=1)
        if srv.done:
            # let the client finish QUIT
            for _ in range(20):
                asyncore.loop(timeout=0.05, count=1)
            break


def neg_smtp_client(a):
    import smtplib
    from email.message import EmailMessage
    m = EmailMessage()
    m["From"] = "alice@example.invalid"
    m["To"] = "bob@example.invalid"
    m["Subject"] = "Upgrade: websocket (not really)"
    m.set_content("Hello Bob,\n\nthis is plain SMTP, not WebSocket.\n" + "filler line\n" * 30)
    with smtplib.SMTP(a.host, a.port, local_hostname="client.example.invalid") as s:
        s.send_message(m)


def neg_memcached_client(a):
    s = socket.create_connection((a.host, a.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def cmd(b, expect_end):
        s.sendall(b)
        buf = b""
        while not any(buf.endswith(e) for e in expect_end):
            d = s.recv(65536)
            if not d:
                break
            buf += d
        return buf

    val = b"hello websocket " * 4
    cmd(b"set greeting 0 0 %d\r\n%s\r\n" % (len(val), val), [b"STORED\r\n"])
    bval = bytes(range(256))
    cmd(b"set blob 5 0 %d\r\n%s\r\n" % (len(bval), bval), [b"STORED\r\n"])
    cmd(b"get greeting\r\n", [b"END\r\n"])
    cmd(b"get greeting blob missing\r\n", [b"END\r\n"])
    cmd(b"incr counter 1\r\n", [b"NOT_FOUND\r\n"])
    cmd(b"set counter 0 0 1\r\n7\r\n", [b"STORED\r\n"])
    cmd(b"incr counter 5\r\n", [b"\r\n"])
    cmd(b"delete blob\r\n", [b"DELETED\r\n"])
    cmd(b"version\r\n", [b"\r\n"])
    s.sendall(b"quit\r\n")
    s.recv(10)
    s.close()


def neg_tls_mid_server(a):
    ctx = server_ssl(a)
    ls = socket.create_server((a.host, a.port))
    raw, _ = ls.accept()
    s = ctx.wrap_socket(raw, server_side=True)
    while True:
        d = s.recv(65536)
        if not d:
            break
        s.sendall(b"ack:" + d[:64])
    s.close()


def neg_tls_mid_client(a):
    ctx = client_ssl(a)
    raw = socket.create_connection((a.host, a.port))
    s = ctx.wrap_socket(raw, server_hostname="wsk-test.invalid")
    s.sendall(b"pre-capture request\n")
    s.recv(100)
    wait_go_blocking(a.sync)
    time.sleep(0.2)
    for i, msg in enumerate([b"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", b"\x81\x05hello",
                             bytes(range(256)) * 12, b"short", b"x" * 5000]):
        s.sendall(msg)
        s.recv(100)
        time.sleep(0.05)
    s.unwrap()
    s.close()


MODES = {
    "midstream-server": lambda a: asyncio.run(echo_server(a, PLAIN, skip_prefix="pre:")),
    "midstream-client": lambda a: asyncio.run(midstream_client(a)),
    "deflate-server": lambda a: asyncio.run(echo_server(a, deflate_opts("context", "server"), compressed=True)),
    "deflate-client": lambda a: asyncio.run(deflate_client(a, "context")),
    "deflate-nc-server": lambda a: asyncio.run(echo_server(a, deflate_opts("nocontext", "server"), compressed=True)),
    "deflate-nc-client": lambda a: asyncio.run(deflate_client(a, "nocontext")),
    "json-server": lambda a: asyncio.run(json_server(a)),
    "json-client": lambda a: asyncio.run(json_client(a)),
    "abrupt-server": lambda a: asyncio.run(abrupt_server(a)),
    "abrupt-rst-client": lambda a: asyncio.run(abrupt_client(a, "rst")),
    "abrupt-fin-client": lambda a: asyncio.run(abrupt_client(a, "fin")),
    "wss-server": lambda a: asyncio.run(echo_server(a, PLAIN, ssl_ctx=server_ssl(a))),
    "wss-client": lambda a: asyncio.run(wss_client(a)),
    "mqtt-ws-client": mqtt_ws_client,
    "http-ka-server": neg_http_server,
    "http-ka-client": neg_http_client,
    "random-server": neg_random_server,
    "random-client": neg_random_client,
    "smtp-server": neg_smtp_server,
    "smtp-client": neg_smtp_client,
    "memcached-client": neg_memcached_client,
    "tls-mid-server": neg_tls_mid_server,
    "tls-mid-client": neg_tls_mid_client,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=sorted(MODES))
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--truth")
    ap.add_argument("--sync")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--keylog")
    a = ap.parse_args()
    MODES[a.mode](a)


if __name__ == "__main__":
    main()
