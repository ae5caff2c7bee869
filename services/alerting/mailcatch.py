"""The local stack's mail catcher: a real SMTP server (aiosmtpd) that writes every message
it receives to a folder as an .eml file, for a developer to read."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class _ToFolder:
    def __init__(self, folder: Path):
        self.folder = folder
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{self.n:05d}.eml"
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 OK"


def serve(folder: Path, port: int, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    ctl = Controller(_ToFolder(folder), hostname="127.0.0.1", port=port, ready_timeout=10)
    ctl.start()
    try:
        stop.wait()
    finally:
        ctl.stop()
