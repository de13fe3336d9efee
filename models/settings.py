"""Settings: the one place that reads environment variables (and, in `set_offline_environment`, writes them).

| variable           | default                   | meaning                                           |
|--------------------|---------------------------|---------------------------------------------------|
| `REFERAT_HOME`     | `~/.cache/referat`        | cache for provisioned models (and built wheels)   |
| `REFERAT_INDEX`    | `data/index`              | index directory, relative to the working dir      |
| `REFERAT_STORE`    | (none: `REFERAT_INDEX`)   | the index as a PostgreSQL URL                     |
|                    |                           | (`postgresql://user@host/db`) or a directory      |
| `REFERAT_EMBEDDER` | `multilingual-e5-small-int8` | registry name, local folder or Hugging Face id |
| `REFERAT_LLM`      | `qwen2.5-coder-1.5b`      | registry name, path to a `.gguf` file, or a model |
|                    |                           | server: `openai:MODEL@http://host:port/v1`        |
| `REFERAT_LLM_API_KEY` | (none)                 | key for a model server that wants one             |
| `REFERAT_THREADS`  | number of CPU cores       | threads for torch and llama.cpp                   |
| `REFERAT_USERS`    | `data/users.json`         | users file of `referat serve` (logins, rights)    |
| `REFERAT_QUESTION_LOG` | (off)                 | JSON-lines file of who asked what in the app      |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import ConfigError

DEFAULT_EMBEDDER = "multilingual-e5-small-int8"
DEFAULT_LLM = "qwen2.5-coder-1.5b"


def _default_threads() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Settings:
    """Validated run-time settings.

    >>> s = Settings(home=Path("/tmp/referat"), threads=2)
    >>> s.models_dir
    PosixPath('/tmp/referat/models')
    >>> Settings(threads=0)
    Traceback (most recent call last):
    ...
    ingest.errors.ConfigError: REFERAT_THREADS must be >= 1, got 0
    """

    home: Path = field(default_factory=lambda: Path("~/.cache/referat").expanduser())
    index_dir: Path = Path("data/index")
    embedder: str = DEFAULT_EMBEDDER
    llm: str = DEFAULT_LLM
    threads: int = field(default_factory=_default_threads)
    llm_api_key: str | None = field(default=None, repr=False)
    # A `postgresql://` URL (may hold a password: kept out of repr) or a directory; None: `index_dir`.
    store: str | None = field(default=None, repr=False)
    users_file: Path | None = None  # None: the default, data/users.json, used when it exists
    question_log: Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.threads, int) or isinstance(self.threads, bool) or self.threads < 1:
            raise ConfigError(f"REFERAT_THREADS must be >= 1, got {self.threads!r}")
        if not str(self.home).strip():
            raise ConfigError(f"REFERAT_HOME must be a directory path, got {str(self.home)!r}")
        if not str(self.index_dir).strip():
            raise ConfigError(f"REFERAT_INDEX must be a directory path, got {str(self.index_dir)!r}")
        if self.home.exists() and not self.home.is_dir():
            raise ConfigError(f"REFERAT_HOME must be a directory, got the file {str(self.home)!r}")
        if not self.embedder.strip():
            raise ConfigError(f"REFERAT_EMBEDDER must name a model, got {self.embedder!r}")
        if not self.llm.strip():
            raise ConfigError(f"REFERAT_LLM must name a model, got {self.llm!r}")

    @property
    def models_dir(self) -> Path:
        """Where provisioned models live: `$REFERAT_HOME/models`."""
        return self.home / "models"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the `REFERAT_*` variables; unset or empty ones take their defaults.

        >>> Settings.from_env({"REFERAT_THREADS": "3", "REFERAT_HOME": "/tmp/r"}).threads
        3
        >>> Settings.from_env({"REFERAT_THREADS": "many"})
        Traceback (most recent call last):
        ...
        ingest.errors.ConfigError: REFERAT_THREADS must be a whole number >= 1, got 'many'
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        kw: dict[str, object] = {}
        if (home := get("REFERAT_HOME")) is not None:
            kw["home"] = Path(home).expanduser()
        if (index := get("REFERAT_INDEX")) is not None:
            kw["index_dir"] = Path(index).expanduser()
        if (embedder := get("REFERAT_EMBEDDER")) is not None:
            kw["embedder"] = embedder
        if (llm := get("REFERAT_LLM")) is not None:
            kw["llm"] = llm
        if (key := get("REFERAT_LLM_API_KEY")) is not None:
            kw["llm_api_key"] = key
        if (store := get("REFERAT_STORE")) is not None:
            kw["store"] = store
        if (users := get("REFERAT_USERS")) is not None:
            kw["users_file"] = Path(users).expanduser()
        if (question_log := get("REFERAT_QUESTION_LOG")) is not None:
            kw["question_log"] = Path(question_log).expanduser()
        if (threads := get("REFERAT_THREADS")) is not None:
            bad = ConfigError(f"REFERAT_THREADS must be a whole number >= 1, got {threads!r}")
            try:
                kw["threads"] = int(threads)
            except ValueError:
                raise bad from None
            if kw["threads"] < 1:  # type: ignore[operator]
                raise bad
        return cls(**kw)  # type: ignore[arg-type]


def set_offline_environment(*, force_hub_offline: bool = False) -> None:
    """Switch off analytics, telemetry and the Hugging Face hub for this process and the libraries it loads.

    Called before Gradio or huggingface_hub is imported (both read these at import time). The hub is switched
    off unless the user already said otherwise (someone who names a hub embedder to download can say
    `HF_HUB_OFFLINE=0`); `force_hub_offline` switches it off regardless, for a model loaded from a local folder.

    >>> set_offline_environment()  # doctest: +SKIP
    >>> os.environ["HF_HUB_DISABLE_TELEMETRY"]  # doctest: +SKIP
    '1'
    """
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ.setdefault("DO_NOT_TRACK", "1")
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if force_hub_offline:
            os.environ[name] = "1"
        else:
            os.environ.setdefault(name, "1")
