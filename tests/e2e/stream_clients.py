"""Asyncio viewers for the end-to-end tests: an SSE client and a minimal RFC 6455 WebSocket
client written with the standard library only (independent of the server's Beast code)."""
import asyncio
import base64
import json
import os
import struct


async def until(pred, timeout):
    """Waits until pred() is true or `timeout` seconds have passed."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end and not pred():
        await asyncio.sleep(0.05)


def unread(viewer):
    """Bytes an SSE viewer has received but not parsed yet (its StreamReader's buffer): a
    viewer behind with bytes here is a slow client, not a server that stopped sending."""
    return len(viewer.reader._buffer) if viewer.reader else 0  # noqa: SLF001 - diagnosis only


class Viewer:
    """Collects snapshots from one stream; `seqs` in arrival order."""

    def __init__(self):
        self.snapshots, self.seqs, self.error = [], [], None
        self.reader = None  # its StreamReader: what it holds is received but not yet parsed

    @property
    def last(self):
        return self.snapshots[-1] if self.snapshots else None

    def got(self, data):
        snap = json.loads(data)
        self.snapshots.append(snap)
        self.seqs.append(snap["seq"])


async def sse(port, election, viewer, stop, last_event_id=None, rcvbuf=None, read=True):
    """Reads the SSE stream until `stop` is set. With read=False it connects and never reads."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    viewer.reader = reader
    if rcvbuf:
        writer.get_extra_info("socket").setsockopt(__import__("socket").SOL_SOCKET,
                                                   __import__("socket").SO_RCVBUF, rcvbuf)
    head = f"GET /v1/elections/{election}/results/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
    if last_event_id is not None:
        head += f"Last-Event-ID: {last_event_id}\r\n"
    writer.write((head + "\r\n").encode())
    await writer.drain()
    if not read:
        await stop.wait()
        writer.close()
        return
    try:
        status = await reader.readline()
        assert b" 200 " in status, status
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        # Whole chunks, not a readline per line: asyncio reads every socket eagerly into the
        # StreamReader, so the server never sees a slow viewer here; a reader that costs a task
        # and a timer per line fell far behind 1,000 viewers at 20 events/s (tens of KB of
        # events left unparsed in each StreamReader while both kernels' queues were empty).
        loop = asyncio.get_running_loop()
        heard, rest = loop.time(), b""
        while not stop.is_set():
            try:
                chunk = await asyncio.wait_for(reader.read(1 << 16), 0.5)
            except asyncio.TimeoutError:
                if loop.time() - heard > 30:
                    raise TimeoutError("30 s without a byte (keep-alives come every 15 s)")
                continue
            if not chunk:
                viewer.error = "the server closed the stream"
                break
            heard = loop.time()
            *events, rest = (rest + chunk).split(b"\n\n")
            for event in events:
                data = [ln[6:] for ln in event.split(b"\n") if ln.startswith(b"data: ")]
                if data:
                    viewer.got(b"\n".join(data))
    except Exception as e:  # noqa: BLE001 - reported by the test
        viewer.error = repr(e)
    finally:
        writer.close()


async def ws(port, election, viewer, stop):
    """Reads text messages from the WebSocket until `stop` is set; answers pings; closes cleanly."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /v1/elections/{election}/results/ws HTTP/1.1\r\nHost: x\r\n"
                  f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    await writer.drain()

    def frame(opcode, payload=b""):
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked

    try:
        status = await reader.readline()
        assert b" 101 " in status, status
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        while not stop.is_set():
            try:
                h = await asyncio.wait_for(reader.readexactly(2), 0.5)
            except asyncio.TimeoutError:
                continue
            opcode, n = h[0] & 0x0F, h[1] & 0x7F
            if n == 126:
                n = struct.unpack("!H", await reader.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", await reader.readexactly(8))[0]
            payload = await reader.readexactly(n)
            if opcode == 1:
                viewer.got(payload)
            elif opcode == 9:
                writer.write(frame(10, payload))
            elif opcode == 8:
                return
        writer.write(frame(8, struct.pack("!H", 1000)))
        await writer.drain()
        # The server's close reply; a snapshot already on its way may come first (skip it).
        async def close_reply():
            while True:
                h = await reader.readexactly(2)
                n = h[1] & 0x7F
                if n == 126:
                    n = struct.unpack("!H", await reader.readexactly(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", await reader.readexactly(8))[0]
                await reader.readexactly(n)
                if h[0] & 0x0F == 8:
                    return True
        viewer.clean_close = await asyncio.wait_for(close_reply(), 5)
    except Exception as e:  # noqa: BLE001 - reported by the test
        viewer.error = repr(e)
    finally:
        writer.close()
