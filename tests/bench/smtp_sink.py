"""An SMTP sink on loopback that records, for every message, each recipient and the
message's Message-ID, one line each, so that a benchmark can count what every person got.

Run as `python -m tests.bench.smtp_sink PORT FILE`; it serves until terminated.
"""

import signal
import sys
import threading
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller


class RecordingSink:
    """Takes every message and appends `recipient<TAB>Message-ID` lines to a file."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("a", encoding="utf-8")
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        headers = BytesHeaderParser().parsebytes(envelope.original_content or b"")
        message_id = str(headers.get("Message-ID", "")).strip()
        lines = "".join(f"{rcpt.lower()}\t{message_id}\n" for rcpt in envelope.rcpt_tos)
        with self.lock:
            self.file.write(lines)
            self.file.flush()
        return "250 2.0.0 Accepted"


def main() -> None:
    port, path = int(sys.argv[1]), Path(sys.argv[2])
    controller = Controller(RecordingSink(path), hostname="127.0.0.1", port=port)
    controller.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stopped.set())
    signal.signal(signal.SIGINT, lambda *_args: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
