"""WebSocket frames (RFC 6455 section 5.2) for the Python generators: the one encoder and the
one splitter that scripts/captures/adversarial.py and scripts/dev/fuzz_seeds.py share (stdlib
only). The Rust tests build theirs with ws_keepalive::core::testutil::Frame."""
import struct

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def encode(opcode, payload=b"", *, fin=True, rsv=0, mask=None, length=None):
    """One frame: FIN, the RSV bits (rsv=4 is RSV1), the opcode, the minimal length form for
    `length` (default: the payload's length; a larger one claims bytes that are not there), and
    the payload masked with the 4-byte `mask` when one is given."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    m = 0x80 if mask else 0
    if n < 126:
        h = bytes([b0, m | n])
    elif n <= 0xFFFF:
        h = bytes([b0, m | 126]) + struct.pack("!H", n)
    else:
        h = bytes([b0, m | 127]) + struct.pack("!Q", n)
    if mask:
        h += mask
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return h + payload


def split(buf):
    """Split a byte stream into frames: (raw frame bytes, first header byte, unmasked payload)
    each; the last one may be cut short where the stream ends."""
    out, i = [], 0
    while i + 2 <= len(buf):
        b0, b1 = buf[i], buf[i + 1]
        n, h = b1 & 0x7F, 2
        if n == 126:
            if i + 4 > len(buf):
                break
            n, h = struct.unpack(">H", buf[i + 2:i + 4])[0], 4
        elif n == 127:
            if i + 10 > len(buf):
                break
            n, h = struct.unpack(">Q", buf[i + 2:i + 10])[0], 10
        key = None
        if b1 & 0x80:
            key = buf[i + h:i + h + 4]
            h += 4
        end = i + h + n
        raw = buf[i:min(end, len(buf))]
        pl = bytearray(buf[i + h:min(end, len(buf))])
        if key and len(key) == 4:
            for j in range(len(pl)):
                pl[j] ^= key[j % 4]
        out.append((raw, b0, bytes(pl)))
        if end > len(buf):
            break
        i = end
    return out
