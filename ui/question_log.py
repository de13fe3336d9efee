"""Who asked what: one JSON line per question, `{"time", "user", "question"}`, off unless a file is named
(`referat serve --question-log FILE`, or `REFERAT_QUESTION_LOG`).

The file is created readable by its owner only (0600): questions name people and cases.

>>> import tempfile; path = Path(tempfile.mkdtemp()) / "spørgsmål.jsonl"
>>> QuestionLog(path).write("anne", "Hvad besluttede KD-Net?")
>>> json.loads(path.read_text())["user"]
'anne'
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path


class QuestionLog:
    """Appends who asked what to one JSON-lines file; safe to share between request threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, user: str | None, question: str) -> None:
        """Append one line: the time (UTC, ISO 8601), the user (None for local use without logins), the question."""
        line = json.dumps(
            {"time": datetime.now(UTC).isoformat(timespec="seconds"), "user": user, "question": question},
            ensure_ascii=False,
        )
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as f:
                f.write(line + "\n")
