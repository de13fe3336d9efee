"""Generators: the `Generator` protocol, llama.cpp on a local GGUF, any OpenAI-compatible model server,
and a scripted fake for tests.

A generator turns chat messages into a stream of text pieces. Anything that can do that fits: it only
needs `model_id` and `stream`.

Prompt caching: llama-cpp-python keeps the KV cache of the last prompt and, on the next call,
evaluates only the tokens after the longest common prefix. Every answer prompt starts with the
same system rules and few-shot turns, so from the second question on only the sources and the
question are evaluated, whichever question came before. `LlamaCppGenerator.prime` evaluates that
static prefix ahead of the first question. A `LlamaRAMCache` (state snapshots keyed by prompt) is
not used: it only pays off when unrelated prompts interleave on one model, and it snapshots the
whole state after every answer (Qwen 1.5B, n_ctx 4096: ~1.4 s and ~340 MB per snapshot, 2.3 s to
restore), which costs more than re-evaluating the ~120 prompt tokens that differ between questions.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ingest.errors import ConfigError

if TYPE_CHECKING:
    from models.settings import Settings

Message = dict[str, str]


class Generator(Protocol):
    """Streams the assistant's reply to chat `messages` ({"role", "content"} dicts).

    Every implementation passes the contract suite in tests/rag/test_generate.py. An implementation whose
    `stream` may run in several threads at once says so with a class attribute `concurrent_calls = True`
    (see `calls_concurrently`); one that does not say is called one at a time.
    """

    @property
    def model_id(self) -> str:
        """The model's name (a registry name, or the GGUF file's name): what reports record."""
        ...

    def stream(self, messages: list[Message], *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        """Yield the reply in pieces (non-empty strings) as it is generated; joined, they are the whole reply.

        `max_tokens` (>= 1) bounds the reply in the model's tokens, and no more than that many pieces come;
        the reply ends before the first of the `stop` strings, which is not yielded. The chat template's own
        tokens never appear in it. Raises `ConfigError` for `max_tokens` < 1 (on the first `next`), and
        `ModelUnavailable` when the model cannot load (it loads on first use).
        """
        ...


class LlamaCppGenerator:
    """A `Generator` on a local GGUF model via llama-cpp-python; the model loads on first use.

    Deterministic: temperature 0 and a fixed seed. The chat template is the one stored in the GGUF.
    One generation runs at a time per instance (llama.cpp contexts are not thread-safe).

    >>> LlamaCppGenerator.concurrent_calls
    False
    >>> from models.registry import resolve_llm
    >>> g = LlamaCppGenerator(resolve_llm("qwen2.5-coder-1.5b"), n_threads=2)  # doctest: +SKIP
    >>> "".join(g.stream([{"role": "user", "content": "Sig hej."}], max_tokens=8))  # doctest: +SKIP
    'Hej! Hvordan kan jeg hjælpe dig i dag?'
    """

    concurrent_calls: ClassVar[bool] = False

    def __init__(
        self,
        model_path: str | Path,
        *,
        model_id: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_batch: int = 512,
        flash_attn: bool = True,
        temperature: float = 0.0,
        seed: int = 1234,
        chat_format: str | None = None,
    ) -> None:
        if n_ctx < 128:
            raise ConfigError(f"n_ctx must be >= 128 tokens, got {n_ctx}: pass a larger context (default 4096)")
        if n_threads is not None and n_threads < 1:
            raise ConfigError(f"n_threads must be >= 1, got {n_threads}: pass a count of CPU cores, or None for all")
        if temperature < 0:
            raise ConfigError(f"temperature must be >= 0, got {temperature}: pass 0 for deterministic replies")
        self.model_path = Path(model_path)
        self._model_id = model_id or self.model_path.name
        self.n_ctx = n_ctx
        # llama.cpp's default is half the cores; generation here is compute-bound, so use them all.
        self.n_threads = n_threads or os.cpu_count() or 1
        self.n_batch = n_batch
        self.flash_attn = flash_attn
        self.temperature = temperature
        self.seed = seed
        self.chat_format = chat_format
        self._llm: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._model_id

    def warm_up(self) -> Any:
        """Load the model now (otherwise the first `stream` does). Returns the `llama_cpp.Llama`."""
        with self._lock:
            return self._load()

    def _load(self) -> Any:
        if self._llm is None:
            from llama_cpp import Llama

            from ingest.errors import ModelUnavailable

            if not self.model_path.is_file():
                raise ModelUnavailable(f"No GGUF model at {self.model_path}: run `referat models provision`")
            self._llm = Llama(**self.llama_kwargs())
        return self._llm

    def llama_kwargs(self) -> dict[str, Any]:
        """The `llama_cpp.Llama` settings this generator loads its model with."""
        return {
            "model_path": str(self.model_path),
            "n_ctx": self.n_ctx,
            "n_threads": self.n_threads,
            "n_threads_batch": self.n_threads,
            "n_batch": self.n_batch,
            "flash_attn": self.flash_attn,
            "seed": self.seed,
            "chat_format": self.chat_format,
            "verbose": False,
        }

    def prime(self, messages: list[Message]) -> None:
        """Evaluate a static prompt prefix (system rules, few-shot turns) so later prompts reuse it.

        The next `stream` whose messages start with `messages` only evaluates what follows them.
        """
        for _ in self.stream(messages, max_tokens=1):
            pass

    def stream(self, messages: list[Message], *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        """Stream the reply (see `Generator.stream`). The lock is held until the iterator is exhausted or closed."""
        _check_max_tokens(max_tokens)
        with self._lock:
            llm = self._load()
            chunks = llm.create_chat_completion(
                messages=messages,
                stream=True,
                max_tokens=max_tokens,
                stop=stop or [],
                temperature=self.temperature,
                seed=self.seed,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece


OPENAI_PREFIX = "openai:"


class OpenAIGenerator:
    """A `Generator` on an OpenAI-compatible chat completions server: vLLM, llama.cpp's server (`python -m
    llama_cpp.server`), Ollama and most hosted services. Named `openai:MODEL@URL` in `REFERAT_LLM`, e.g.
    `openai:qwen2.5@http://gpu-server:8000/v1`; the key, when the server wants one, is `REFERAT_LLM_API_KEY`.

    Deterministic where the server allows it (temperature 0, a fixed seed). Requests run in parallel: the
    server queues or batches them. Nothing is sent until the first `stream`. A server that cannot be reached
    within `connect_timeout` s, does not answer within `timeout` s, or refuses the request raises
    `ModelUnavailable` naming the server and the reason.

    >>> g = OpenAIGenerator.from_name("openai:qwen2.5@http://127.0.0.1:8000/v1")
    >>> g.model, g.base_url, g.concurrent_calls
    ('qwen2.5', 'http://127.0.0.1:8000/v1', True)
    """

    concurrent_calls: ClassVar[bool] = True  # each call is its own HTTP request; the server queues or batches

    def __init__(
        self,
        model: str,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 120.0,
        connect_timeout: float = 5.0,
        temperature: float = 0.0,
        seed: int = 1234,
    ) -> None:
        if not model.strip():
            raise ConfigError(f"the model server needs a model name, got {model!r}: write openai:MODEL@URL")
        if not re.match(r"https?://[^/\s]+", base_url):
            raise ConfigError(f"the model server's URL must start with http:// or https://, got {base_url!r}")
        if timeout <= 0 or connect_timeout <= 0:
            raise ConfigError(f"timeouts must be > 0 s, got {timeout} and {connect_timeout}")
        if temperature < 0:
            raise ConfigError(f"temperature must be >= 0, got {temperature}: pass 0 for deterministic replies")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.temperature = temperature
        self.seed = seed
        self._client: Any = None
        self._client_lock = threading.Lock()

    @classmethod
    def from_name(cls, name: str, *, api_key: str | None = None) -> OpenAIGenerator:
        """The generator `openai:MODEL@URL` names. Raises `ConfigError` for any other form."""
        model, at, url = name.removeprefix(OPENAI_PREFIX).rpartition("@")
        if not name.startswith(OPENAI_PREFIX) or not at:
            raise ConfigError(
                f"a model server is named openai:MODEL@URL (openai:qwen2.5@http://host:8000/v1), got {name!r}"
            )
        return cls(model, url, api_key=api_key)

    @property
    def model_id(self) -> str:
        return f"{OPENAI_PREFIX}{self.model}@{self.base_url}"

    def _openai(self) -> Any:
        with self._client_lock:  # one client (one connection pool) for every thread that asks
            if self._client is None:
                import httpx
                import openai

                self._client = openai.OpenAI(
                    base_url=self.base_url,
                    api_key=self.api_key or "none",  # the client insists on one; local servers ignore it
                    timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
                    max_retries=0,  # a user waits: a down server is said at once, not after retries
                )
            return self._client

    def stream(self, messages: list[Message], *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        """Stream the reply (see `Generator.stream`) over server-sent events."""
        import openai

        from ingest.errors import ModelUnavailable

        _check_max_tokens(max_tokens)
        where = f"The model server at {self.base_url}"
        try:
            chunks = self._openai().chat.completions.create(
                model=self.model,
                messages=messages,
                stream=True,
                max_tokens=max_tokens,
                stop=stop or None,
                temperature=self.temperature,
                seed=self.seed,
            )
            for chunk in chunks:
                piece = chunk.choices[0].delta.content if chunk.choices else None
                if piece:
                    yield piece
        except openai.APITimeoutError:
            raise ModelUnavailable(f"{where} did not answer within {self.timeout:g} s.") from None
        except openai.APIConnectionError as e:
            raise ModelUnavailable(
                f"{where} cannot be reached ({e.__cause__ or e}): start it, or set REFERAT_LLM to a local model."
            ) from None
        except openai.APIStatusError as e:
            raise ModelUnavailable(
                f"{where} refused the request for {self.model!r}: {e.status_code} {e.message}"
            ) from None


class ScriptedGenerator:
    """A fake `Generator` that streams scripted replies word by word, one reply per call.

    After the last reply it keeps repeating it. `calls` records what each call was given.

    >>> g = ScriptedGenerator(["Byrådet godkendte sagen [Byrådet 12.03.2019, punkt 4]."])
    >>> list(g.stream([{"role": "user", "content": "?"}], max_tokens=100))[:2]
    ['Byrådet', ' godkendte']
    """

    concurrent_calls: ClassVar[bool] = True  # nothing shared but the record of calls (appends are atomic)

    def __init__(self, replies: str | Sequence[str], *, model_id: str = "scripted") -> None:
        self.replies = [replies] if isinstance(replies, str) else list(replies)
        if not self.replies:
            raise ConfigError("ScriptedGenerator needs at least one reply, got none: pass the text it should say")
        self._model_id = model_id
        self.calls: list[dict[str, Any]] = []

    @property
    def model_id(self) -> str:
        return self._model_id

    def stream(self, messages: list[Message], *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        _check_max_tokens(max_tokens)
        reply = self.replies[min(len(self.calls), len(self.replies) - 1)]
        self.calls.append({"messages": messages, "max_tokens": max_tokens, "stop": stop})
        for s in stop or []:
            if s and s in reply:
                reply = reply[: reply.index(s)]
        # Word pieces with their leading space, as BPE models emit them; max_tokens counts pieces.
        yield from re.findall(r"\s*\S+|\s+$", reply)[:max_tokens]


def calls_concurrently(generator: Generator | None) -> bool:
    """Whether `generator.stream` may run in several threads at once: what its class says in `concurrent_calls`,
    False when it says nothing (llama.cpp's contexts, and any generator not known to be thread-safe); True for
    no generator (extractive answers: nothing to share).

    >>> calls_concurrently(ScriptedGenerator("Ja.")), calls_concurrently(None)
    (True, True)
    """
    return generator is None or bool(getattr(generator, "concurrent_calls", False))


def _check_max_tokens(max_tokens: int) -> None:
    if max_tokens < 1:
        raise ConfigError(f"max_tokens must be >= 1, got {max_tokens}: pass how many tokens the reply may have")


# What the registered fake `scripted` says: a plain Danish sentence without citations or figures.
SCRIPTED_REPLY = "Det fremgår af kilderne, at udvalget traf en beslutning om sagen."


def load_generator(name: str, *, settings: Settings) -> Generator:
    """The generator called `name` (what `REFERAT_LLM` says), registered fakes included.

    The registered fake `scripted` is a `ScriptedGenerator` saying `SCRIPTED_REPLY`; `openai:MODEL@URL` is
    an `OpenAIGenerator` on that server; any other name is resolved to a GGUF file by
    `models.registry.resolve_llm` and run by llama.cpp (loaded on first use).

    >>> from models.settings import Settings
    >>> "".join(load_generator("scripted", settings=Settings()).stream([], max_tokens=3))
    'Det fremgår af'
    """
    from models.recipes import InCode
    from models.registry import get_spec, resolve_llm

    if name.startswith(OPENAI_PREFIX):
        return OpenAIGenerator.from_name(name, api_key=settings.llm_api_key)
    spec = get_spec(name, "llm")
    if spec is not None and isinstance(spec.recipe, InCode):
        return ScriptedGenerator(SCRIPTED_REPLY, model_id=spec.id)
    return LlamaCppGenerator(resolve_llm(name, settings=settings), model_id=name, n_threads=settings.threads)
