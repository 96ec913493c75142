"""Many live-result viewers (stream_clients.sse / .ws) on a thread of their own, for tests and
benchmarks whose main thread does other work meanwhile (votes, kills):

    viewers = Viewers(port, "e1", sse=10, ws=10).start()
    viewers.wait(lambda v: v.last and v.last["total"] == 100, timeout=30)
    viewers.stop()

Each viewer's snapshots carry their arrival time (`times`, time.monotonic()). Every wait is
bounded; stop() ends every stream (WebSockets with a close handshake) within a few seconds.
"""
import asyncio
import threading
import time

import stream_clients


class TimedViewer(stream_clients.Viewer):
    def __init__(self, kind):
        super().__init__()
        self.kind, self.times = kind, []

    def got(self, data):
        super().got(data)
        self.times.append(time.monotonic())


class Viewers:
    def __init__(self, port, election, sse=0, ws=0):
        self.port, self.election = port, election
        self.all = [TimedViewer("sse") for _ in range(sse)] + [TimedViewer("ws") for _ in range(ws)]
        self._loop = self._stop = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="viewers")

    def start(self):
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the viewers' event loop did not start")
        return self

    def _run(self):
        asyncio.run(self._main())

    async def _main(self):
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._ready.set()
        tasks = []
        for v in self.all:
            client = stream_clients.sse if v.kind == "sse" else stream_clients.ws
            tasks.append(asyncio.create_task(client(self.port, self.election, v, self._stop)))
            await asyncio.sleep(0)  # connect one after another (source ports, not a burst)
        await self._stop.wait()
        # An SSE reader notices the stop at its next line (a keep-alive comes every 15 s):
        # give the streams a moment to end on their own, then cancel the rest.
        _, pending = await asyncio.wait(tasks, timeout=5)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def wait(self, pred, timeout):
        """True once pred(viewer) holds for every viewer, False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(pred(v) for v in self.all):
                return True
            time.sleep(0.05)
        return all(pred(v) for v in self.all)

    def errors(self):
        return [(v.kind, v.error) for v in self.all if v.error]

    def summary(self, n=4):
        """A few viewers' state, for failure messages."""
        return [(v.kind, len(v.snapshots), v.last and {k: v.last.get(k) for k in
                                                        ("seq", "total", "options", "stale")},
                 v.error) for v in self.all[:n]]

    def stop(self):
        if self._loop and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)
