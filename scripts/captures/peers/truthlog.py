"""Ground-truth logger shared by the Python capture peers.

Each peer logs every WebSocket message / control frame it sends *explicitly*,
one JSON object per line, in send order.  Frames a library sends on its own
(automatic pongs, close replies) are not logged.
"""
import hashlib
import json
import struct


class TruthLog:
    def __init__(self, path, direction):
        self.path = path
        self.dir = direction
        self.n = 0
        # truncate
        if path:
            open(path, "w").close()

    def log(self, kind, payload, **extra):
        """kind: text|binary|ping|pong|close; payload: str or bytes (wire payload)."""
        self.n += 1
        if isinstance(payload, str):
            data = payload.encode("utf-8")
        else:
            data = bytes(payload)
        rec = {"dir": self.dir, "n": self.n, "type": kind, "len": len(data)}
        if kind == "text":
            rec["text"] = data.decode("utf-8")
        rec["sha256"] = hashlib.sha256(data).hexdigest()
        rec.update(extra)
        if self.path:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return rec

    def log_close(self, code, reason):
        payload = struct.pack("!H", code) + reason.encode("utf-8")
        return self.log("close", payload, close_code=code, close_reason=reason)
