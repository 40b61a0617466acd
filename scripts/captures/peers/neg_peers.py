#!/usr/bin/env python3
"""Non-WebSocket peers for the negative captures (neg_http, neg_binary).

Usage:
  neg_peers.py http-server   --host H --port P
  neg_peers.py http-client   --host H --port P
  neg_peers.py binary-server --host H --port P
  neg_peers.py binary-client --host H --port P
"""
import argparse
import http.client
import http.server
import socket
import struct
import sys

# ------------------------------------------------------------------ neg_http
HTTP_BODIES = {
    "/index.html": (b"<!doctype html><html><body><h1>plain HTTP/1.1, no upgrade</h1></body></html>\n",
                    "text/html"),
    # A body that *starts* like an unmasked WebSocket text frame (0x81 0x05 "hello").
    "/blob.bin": (b"\x81\x05hello" + bytes(range(0x20, 0x80)), "application/octet-stream"),
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "wsk-test-http/1.0"
    served = 0

    def _reply(self, body, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        Handler.served += 1

    def do_GET(self):
        if self.path in HTTP_BODIES:
            body, ctype = HTTP_BODIES[self.path]
            self._reply(body, ctype)
        else:
            self.send_error(404)
            Handler.served += 1

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n)
        self._reply(b"received %d bytes: " % len(data) + data, "text/plain")

    def log_message(self, fmt, *args):
        sys.stderr.write("http-server: " + (fmt % args) + "\n")


def http_server(host, port):
    srv = http.server.HTTPServer((host, port), Handler)
    srv.timeout = 20
    # one keep-alive connection, 3 requests
    srv.handle_request()
    srv.server_close()


def http_client(host, port):
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request("GET", "/index.html")
    r = c.getresponse(); r.read(); print("GET /index.html", r.status)
    c.request("POST", "/submit", body=b"name=websocket&value=not-really",
              headers={"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse(); r.read(); print("POST /submit", r.status)
    c.request("GET", "/blob.bin")
    r = c.getresponse(); body = r.read(); print("GET /blob.bin", r.status, body[:2].hex())
    assert body[:2] == b"\x81\x05"
    c.close()


# ---------------------------------------------------------------- neg_binary
# Toy length-prefixed protocol:  type(1) flags(1) total_len(2, BE, includes the
# 4-byte header) payload(lowercase ASCII).  Types 0x81 (flags 0x05) and 0x82
# (flags 0x7e).  Read as WebSocket, "81 05" is an unmasked FIN text frame of 5
# bytes, after which the next "header" is a lowercase letter (RSV1+RSV2 set,
# reserved opcode) -> invalid; "82 7e LL LL" claims a 16-bit length that is 4
# bytes longer than the message, so the following header lands in the next
# message's lowercase payload -> invalid.  Both directions are unmasked.

def msg(mtype, payload):
    flags = {0x81: 0x05, 0x82: 0x7E}[mtype]
    return struct.pack("!BBH", mtype, flags, 4 + len(payload)) + payload


def letters(n, seed):
    return bytes(0x61 + (i * 7 + seed) % 26 for i in range(n))


CLIENT_MSGS = [msg(0x81, letters(10, 1)),          # 81 05 00 0e + 10 bytes (14 total)
               msg(0x82, letters(300, 2)),
               msg(0x81, letters(12, 3))]
SERVER_MSGS = [msg(0x81, letters(10, 4)),
               msg(0x82, letters(200, 5)),
               msg(0x81, letters(8, 6))]


def ws_tiles(stream):
    """True if `stream` is a complete, valid sequence of WebSocket frames (no extensions)."""
    i = 0
    while i < len(stream):
        if len(stream) - i < 2:
            return False
        b0, b1 = stream[i], stream[i + 1]
        if b0 & 0x70 or (b0 & 0x0F) not in (0, 1, 2, 8, 9, 10):
            return False
        ln, hl = b1 & 0x7F, 2
        if ln == 126:
            if len(stream) - i < 4:
                return False
            ln, hl = struct.unpack("!H", stream[i + 2:i + 4])[0], 4
        elif ln == 127:
            if len(stream) - i < 10:
                return False
            ln, hl = struct.unpack("!Q", stream[i + 2:i + 10])[0], 10
        if b1 & 0x80:
            hl += 4
        i += hl + ln
    return i == len(stream)


assert not ws_tiles(b"".join(CLIENT_MSGS)) and not ws_tiles(b"".join(SERVER_MSGS))
for m in CLIENT_MSGS + SERVER_MSGS:
    assert not ws_tiles(m)


def recv_msg(sock):
    hdr = recv_exact(sock, 4)
    if not hdr:
        return None
    total = struct.unpack("!H", hdr[2:4])[0]
    return hdr + recv_exact(sock, total - 4)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return buf
        buf += chunk
    return buf


def binary_server(host, port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(1)
    s, _ = ls.accept()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for reply in SERVER_MSGS:
        m = recv_msg(s)
        assert m is not None
        s.sendall(reply)
    assert recv_exact(s, 1) == b""  # client closes
    s.close()
    ls.close()


def binary_client(host, port):
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for m in CLIENT_MSGS:
        s.sendall(m)
        r = recv_msg(s)
        print("got", r[:4].hex(), len(r))
    s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    a = ap.parse_args()
    {"http-server": http_server, "http-client": http_client,
     "binary-server": binary_server, "binary-client": binary_client}[a.mode](a.host, a.port)


if __name__ == "__main__":
    main()
