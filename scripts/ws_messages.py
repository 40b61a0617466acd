"""The WebSocket messages of a capture, from `tshark -T json` with the ws-keepalive plugin (read
on stdin): JSON Lines (one object per message), or with --har FILE an HTTP Archive (HAR 1.2) in
the shape Chrome DevTools exports WebSocket connections. Run by scripts/ws-messages."""
import base64
import datetime
import json
import sys
from urllib.parse import parse_qsl, urlsplit

TYPES = {0: "continuation", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}
VERSION = "0.1.0"


def epoch(v):
    """frame.time_epoch: seconds as a number (4.0, 4.4) or an ISO 8601 UTC string (4.6)."""
    try:
        return float(v)
    except ValueError:
        head, _, frac = v.rstrip("Z").partition(".")
        t = datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
        return t.timestamp() + (float("0." + frac) if frac else 0.0)


def find(obj, key):
    """First value of key in a (nested) tshark JSON object."""
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            r = find(v, key)
            if r is not None:
                return r
    elif isinstance(obj, list):
        for v in obj:
            r = find(v, key)
            if r is not None:
                return r
    return None


def first(v):
    return v[0] if isinstance(v, list) else v


def as_list(v):
    return [] if v is None else v if isinstance(v, list) else [v]


# ---- application protocols and heartbeats -----------------------------------------------------

EIO = ["open", "close", "ping", "pong", "message", "upgrade", "noop"]
SIO = ["CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"]
SIGNALR = {1: "Invocation", 2: "StreamItem", 3: "Completion", 4: "StreamInvocation",
           5: "CancelInvocation", 6: "Ping", 7: "Close", 8: "Ack", 9: "Sequence"}
MQTT = ["Reserved", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
        "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT",
        "AUTH"]
APPS = [("socketio", "Socket.IO"), ("engineio", "Engine.IO"), ("stomp", "STOMP"),
        ("signalr", "SignalR"), ("graphql_ws", "GraphQL-WS"), ("mqtt", "MQTT")]

def name_of(table, v):
    try:
        i = int(v)
    except (TypeError, ValueError):
        return str(v)
    if isinstance(table, dict):
        return table.get(i, "type %d" % i)
    return table[i] if 0 <= i < len(table) else "type %d" % i

def what_of(layers, k, n):
    """(app, [what]) of the k-th of n data messages of a packet, from the app protocols trees."""
    for key, app in APPS:
        entries = as_list(layers.get(key))
        if not entries:
            continue
        if len(entries) != n:
            continue  # cannot tell which message each belongs to
        e = entries[k]
        if key == "stomp":
            w = [str(c) for c in as_list(e.get("stomp.command"))] or (
                ["heart-beat"] if e.get("stomp.eol_heartbeat") else [])
        elif key in ("socketio", "engineio"):
            # Socket.IO packets sit inside Engine.IO message packets (the socketio tree is a
            # child of the engineio one); the pings of a Socket.IO connection are Engine.IO pings.
            t = first(find(e, "socketio.type"))
            if t is not None:
                ev = first(find(e, "socketio.event"))
                w = [name_of(SIO, t) + (" \"%s\"" % ev if ev is not None else "")]
            elif find(e, "socketio.attachment_of") is not None:
                w = ["binary attachment"]
            else:
                w = [name_of(EIO, t) for t in as_list(e.get("engineio.type"))]
            if key == "engineio" and (t is not None or find(e, "socketio.attachment_of") is not None):
                app = "Socket.IO"
        elif key == "signalr":
            types, targets = as_list(e.get("signalr.type")), as_list(e.get("signalr.target"))
            w = ["handshake"] if e.get("signalr.handshake") else []
            w += [name_of(SIGNALR, t) for t in types]
            if len(targets) == len(types):
                w = w[:len(w) - len(types)] + ["%s %s" % (name_of(SIGNALR, t), g) for t, g in zip(types, targets)]
        elif key == "graphql_ws":
            w = [str(t) for t in as_list(e.get("graphql_ws.type"))]
        else:
            w = [name_of(MQTT, t) for t in as_list(find(e, "mqtt.msgtype"))]
        return app, w
    return None, []

def keepalive_of(entries):
    ka = {}
    for f, k in (("keepalive.app", "app"), ("keepalive.kind", "kind"), ("keepalive.num", "num"),
                 ("keepalive.reply_to", "reply_to"), ("keepalive.rtt", "rtt"),
                 ("keepalive.verdict", "late")):
        v = first(entries.get(f))
        if v is None:
            continue
        ka[k] = int(v) if k in ("num", "reply_to") else float(v) if k == "rtt" else v
    if find(entries, "keepalive.expert.late") is None:
        ka.pop("late", None)  # a verdict that is not about lateness (an unanswered ping, ...)
    return ka

conns = {}

def tally(rec):
    c = conns.setdefault(rec["stream"], {"stream": rec["stream"], "client": rec["client"],
                                         "server": rec["server"], "messages": 0})
    c["messages"] += 1
    if "app" in rec:
        if c.get("app") != "Socket.IO":  # Socket.IO runs on Engine.IO: name the upper one
            c["app"] = rec["app"]
        for w in rec.get("what", []):
            c.setdefault("what", {})
            c["what"][w] = c["what"].get(w, 0) + 1
    ka = rec.get("keepalive")
    if not ka:
        return
    group = c.setdefault("heartbeats" if "app" in ka else "pings",
                         {"count": 0, "answered": 0, "rtts": [], "late": 0})
    if ka.get("kind") in ("ping", "heartbeat"):
        group["count"] += 1
    if "rtt" in ka:
        group["answered"] += 1
        group["rtts"].append(ka["rtt"] * 1000.0)
    if "late" in ka:
        group["late"] += 1



def last(layers, name):
    v = layers.get(name) or {}
    return v[-1] if isinstance(v, list) else v


def packets(doc):
    """(frame number, time, stream, src, sport, dst, dport, layers) per packet."""
    for pkt in doc:
        layers = pkt["_source"]["layers"]
        tcp = last(layers, "tcp")
        ip = last(layers, "ip") or last(layers, "ipv6")
        src = first(find(ip, "ip.src") or find(ip, "ipv6.src"))
        dst = first(find(ip, "ip.dst") or find(ip, "ipv6.dst"))
        frame = layers.get("frame", {})
        stream = find(tcp, "tcp.stream")
        yield {
            "frame": int(first(find(frame, "frame.number"))),
            "time": epoch(first(find(frame, "frame.time_epoch"))),
            "stream": int(first(stream)) if stream is not None else None,
            "src": src,
            "dst": dst,
            "sport": first(find(tcp, "tcp.srcport")),
            "dport": first(find(tcp, "tcp.dstport")),
            "layers": layers,
        }


def hostport(addr, port):
    return "%s:%s" % ("[%s]" % addr if addr and ":" in addr else addr, port)


def messages(pkts):
    """One record per completed message (the JSON Lines objects), in capture order."""
    for p in pkts:
        layers = p["layers"]
        wss = [w for w in as_list(layers.get("ws")) if find(w, "ws.msg.len") is not None]
        data_n = sum(1 for w in wss if int(first(find(w, "ws.msg.type")) or 0) in (1, 2))
        kas = as_list(layers.get("keepalive"))
        app_kas = [e for e in kas if e.get("keepalive.layer") == "app"]
        ws_kas = [e for e in kas if e.get("keepalive.layer") == "ws"]
        ctl_n = sum(1 for w in wss if int(first(find(w, "ws.msg.type")) or 0) in (9, 10))
        data_k = ctl_k = 0
        for ws in as_list(layers.get("ws")):
            length = find(ws, "ws.msg.len")
            if length is None:
                continue  # a frame that completes no message, or the handshake
            d = first(find(ws, "ws.dir"))
            a, b = hostport(p["src"], p["sport"]), hostport(p["dst"], p["dport"])
            client, server = (a, b) if d == "client" else (b, a)
            typ = int(first(find(ws, "ws.msg.type")) or 0)
            data = find(ws, "ws.msg.data")
            raw = bytes.fromhex(first(data).replace(":", "")) if data else b""
            rec = {
                "stream": p["stream"],
                "client": client,
                "server": server,
                "frame": p["frame"],
                "time": p["time"],
                "dir": d,
                "n": int(first(find(ws, "ws.msg.index"))),
                "type": TYPES.get(typ, "opcode %d" % typ),
                "len": int(first(length)),
                "frames": int(first(find(ws, "ws.msg.frames")) or 1),
                "compressed": first(find(ws, "ws.msg.compressed")) == "1",
            }
            text = None
            if typ == 1:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    pass
            if text is not None:
                rec["text"] = text
            else:
                rec["base64"] = base64.b64encode(raw).decode("ascii")
            if typ == 8:
                code = find(ws, "ws.close.code")
                rec["close_code"] = int(first(code)) if code is not None else None
                reason = find(ws, "ws.close.reason")
                rec["close_reason"] = first(reason) if reason is not None else ""
            if typ in (1, 2):
                app, what = what_of(layers, data_k, data_n)
                if app:
                    rec["app"], rec["what"] = app, what
                if app_kas and (data_n == 1 or len(app_kas) == data_n):
                    ka = keepalive_of(app_kas[0] if data_n == 1 else app_kas[data_k])
                    if ka:
                        rec["keepalive"] = ka
                data_k += 1
            elif typ in (9, 10):
                if ws_kas and len(ws_kas) == ctl_n:
                    ka = keepalive_of(ws_kas[ctl_k])
                    if ka:
                        rec["keepalive"] = ka
                ctl_k += 1
            rec["_opcode"] = typ
            yield rec


# ---- HAR -------------------------------------------------------------------------------------


def iso(t):
    """HAR dates: ISO 8601 with milliseconds, UTC."""
    d = datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def headers(lines):
    out = []
    for line in as_list(lines):
        name, sep, value = line.rstrip("\r\n").partition(":")
        if sep:
            out.append({"name": name.strip(), "value": value.strip()})
    return out


def header_bytes(first_line, lines):
    """Size of the header block as sent: start line, header lines, the empty line."""
    return len(first_line) + 2 + sum(len(line.encode("utf-8")) for line in as_list(lines)) + 2


def cookies(hdrs):
    out = []
    for h in hdrs:
        if h["name"].lower() == "cookie":
            for part in h["value"].split(";"):
                name, sep, value = part.strip().partition("=")
                if sep:
                    out.append({"name": name, "value": value})
    return out


def handshakes(pkts):
    """tcp.stream -> {"request": ..., "response": ...} of its WebSocket Upgrade (the last GET
    with Upgrade: websocket before the 101)."""
    requests, out = {}, {}
    for p in pkts:
        for http in as_list(p["layers"].get("http")):
            method = first(find(http, "http.request.method"))
            if method is not None:
                if str(first(find(http, "http.upgrade")) or "").lower() == "websocket":
                    uri = first(find(http, "http.request.uri")) or "/"
                    version = first(find(http, "http.request.version")) or "HTTP/1.1"
                    lines = find(http, "http.request.line")
                    requests[p["stream"]] = {
                        "frame": p["frame"],
                        "time": p["time"],
                        "method": method,
                        "full_uri": first(find(http, "http.request.full_uri")),
                        "uri": uri,
                        "version": version,
                        "lines": as_list(lines),
                        "size": header_bytes("%s %s %s" % (method, uri, version), lines),
                        "server": p["dst"],
                        "sport": p["sport"],
                    }
                continue
            code = first(find(http, "http.response.code"))
            if code == "101" and p["stream"] in requests and p["stream"] not in out:
                version = first(find(http, "http.response.version")) or "HTTP/1.1"
                phrase = first(find(http, "http.response.phrase")) or ""
                lines = find(http, "http.response.line")
                out[p["stream"]] = {
                    "request": requests[p["stream"]],
                    "response": {
                        "frame": p["frame"],
                        "time": p["time"],
                        "version": version,
                        "phrase": phrase,
                        "lines": as_list(lines),
                        "size": header_bytes("%s 101 %s" % (version, phrase), lines),
                    },
                }
    return out


def ws_url(full_uri, server):
    if full_uri:
        u = urlsplit(full_uri)
        scheme = {"http": "ws", "https": "wss"}.get(u.scheme, u.scheme)
        return u._replace(scheme=scheme).geturl()
    return "ws://%s/" % server


def har(pkts, out):
    pkts = list(pkts)
    hs = handshakes(pkts)
    conns = {}
    for m in messages(pkts):
        conns.setdefault(m["stream"], []).append(m)
    entries = []
    for stream in sorted(set(conns) | set(hs)):
        msgs = conns.get(stream, [])
        h = hs.get(stream)
        ws_msgs = [
            {
                "type": "send" if m["dir"] == "client" else "receive",
                "time": m["time"],
                "opcode": m["_opcode"],
                "data": m.get("text", m.get("base64", "")),
            }
            for m in msgs
            # DevTools records the data messages; pings, pongs and Close are the browser's own.
            if m["_opcode"] in (1, 2)
        ]
        if h:
            req, resp = h["request"], h["response"]
            url = ws_url(req["full_uri"], hostport(req["server"], ""))
            req_headers = headers(req["lines"])
            resp_headers = headers(resp["lines"])
            wait = max(0.0, (resp["time"] - req["time"]) * 1000.0)
            entry = {
                "startedDateTime": iso(req["time"]),
                "time": round(wait, 3),
                "request": {
                    "method": req["method"],
                    "url": url,
                    "httpVersion": req["version"],
                    "headers": req_headers,
                    "queryString": [
                        {"name": k, "value": v}
                        for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True)
                    ],
                    "cookies": cookies(req_headers),
                    "headersSize": req["size"],
                    "bodySize": 0,
                },
                "response": {
                    "status": 101,
                    "statusText": resp["phrase"],
                    "httpVersion": resp["version"],
                    "headers": resp_headers,
                    "cookies": [],
                    "content": {"size": 0, "mimeType": "x-unknown"},
                    "redirectURL": "",
                    "headersSize": resp["size"],
                    "bodySize": 0,
                    "_transferSize": resp["size"],
                },
                "serverIPAddress": req["server"],
                "connection": str(req["sport"]),
            }
        else:
            # Recognised mid-stream: the capture holds no handshake.
            m = msgs[0]
            url = "ws://%s/" % m["server"]
            entry = {
                "startedDateTime": iso(m["time"]),
                "time": 0,
                "request": {
                    "method": "GET",
                    "url": url,
                    "httpVersion": "HTTP/1.1",
                    "headers": [],
                    "queryString": [],
                    "cookies": [],
                    "headersSize": -1,
                    "bodySize": 0,
                },
                "response": {
                    "status": 101,
                    "statusText": "",
                    "httpVersion": "HTTP/1.1",
                    "headers": [],
                    "cookies": [],
                    "content": {"size": 0, "mimeType": "x-unknown"},
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": 0,
                },
                "serverIPAddress": m["server"].rsplit(":", 1)[0].strip("[]"),
                "connection": m["client"].rsplit(":", 1)[1],
                "comment": "The capture began after the WebSocket handshake: request and response "
                "headers are not in it.",
            }
            wait = 0
        entry.update(
            {
                "cache": {},
                "timings": {
                    "blocked": -1,
                    "dns": -1,
                    "ssl": -1,
                    "connect": -1,
                    "send": 0,
                    "wait": round(wait, 3),
                    "receive": 0,
                },
                "_resourceType": "websocket",
                "_webSocketMessages": ws_msgs,
            }
        )
        entries.append(entry)
    doc = {
        "log": {
            "version": "1.2",
            "creator": {"name": "ws-keepalive", "version": VERSION},
            "pages": [],
            "entries": entries,
        }
    }
    json.dump(doc, out, ensure_ascii=False, indent=2)
    out.write("\n")


def main(argv):
    pkts = packets(json.load(sys.stdin))
    if len(argv) == 2 and argv[0] == "--har":
        if argv[1] == "-":
            har(pkts, sys.stdout)
        else:
            with open(argv[1], "w", encoding="utf-8") as f:
                har(pkts, f)
        return
    summary = argv == ["--summary"]
    for rec in messages(pkts):
        del rec["_opcode"]
        if summary:
            tally(rec)
        else:
            sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if summary:
        for c in conns.values():
            for g in ("heartbeats", "pings"):
                if g in c:
                    r = c[g].pop("rtts")
                    if r:
                        c[g]["rtt_ms"] = {"min": round(min(r), 3), "avg": round(sum(r) / len(r), 3),
                                          "max": round(max(r), 3)}
            sys.stdout.write(json.dumps(c, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except BrokenPipeError:  # e.g. piped into head
        sys.stderr.close()
        sys.exit(0)
