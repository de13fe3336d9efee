"""Embedders: the `Embedder` protocol, a hash fake for tests and the sentence-transformers implementation."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ingest.errors import ConfigError, IndexMismatch, ModelUnavailable

if TYPE_CHECKING:
    from models.settings import Settings

ONNX_CONFIG = "referat-onnx.json"  # written by `models.e5.build_e5_onnx`; marks a folder to run on onnxruntime
SPINNING = "session.intra_op.allow_spinning"  # onnxruntime's session option: idle threads busy-wait


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension.

    Every implementation passes the contract suite in tests/rag/test_embed.py. A model loads on first use;
    any method may then raise `ModelUnavailable` when it cannot.
    """

    @property
    def model_id(self) -> str:
        """The embedder's name, recorded in the index's manifest: an index refuses another embedder's vectors."""
        ...

    @property
    def dimension(self) -> int:
        """The length of every vector (384 for multilingual-e5-small)."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """An (len(texts), dimension) float32 array of unit vectors, row i for texts[i]; (0, dimension) for
        no texts. A text's vector does not depend on the others embedded with it."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """A (dimension,) float32 unit vector for a question; its dot product with a passage's vector is their
        cosine similarity, higher for closer meaning."""
        ...


class HashEmbedder:
    """A deterministic, model-free embedder for fast tests: hashed word unigrams, L2-normalised.

    Texts that share words get similar vectors, which is enough to test plumbing and ranking code.

    >>> e = HashEmbedder(dimension=64)
    >>> e.embed_query("Midttrafik").shape
    (64,)
    """

    def __init__(self, dimension: int = 256) -> None:
        self._dimension = dimension

    @property
    def model_id(self) -> str:
        return f"hash-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def _one(self, text: str) -> np.ndarray:
        import hashlib
        import re

        v = np.zeros(self._dimension, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            v[h % self._dimension] += 1.0 if (h >> 32) & 1 else -1.0
        n = float(np.linalg.norm(v))
        return v / n if n else v

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return np.stack([self._one(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._one(text)


class OnnxEncoder:
    """A BERT-style encoder in ONNX form on onnxruntime: `tokenizer.json`, the graph, mean pooling, L2 norm.

    It reads a folder built by `models.e5.build_e5_onnx` and offers the part of `SentenceTransformer`'s
    interface the embedder uses (`encode`, `get_embedding_dimension`), so torch is not needed at run time.

    >>> home = Path("~/.cache/referat/models").expanduser()
    >>> enc = OnnxEncoder(home / "multilingual-e5-small-onnx-int8")  # doctest: +SKIP
    >>> enc.encode(["Mødet blev hævet."], prompt="passage: ").shape  # doctest: +SKIP
    (1, 384)
    """

    def __init__(self, folder: Path, *, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.config = json.loads((folder / ONNX_CONFIG).read_text(encoding="utf-8"))
        if self.config.get("pooling") != "mean":
            raise ModelUnavailable(
                f"{folder / ONNX_CONFIG}: only mean pooling is known, got {self.config.get('pooling')!r}; "
                "rebuild the folder with `referat models provision`"
            )
        self.prompts: dict[str, str] = dict(self.config.get("prompts") or {})
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(self.config.get("max_tokens", 512)))
        self.tokenizer.no_padding()
        # One thread per run and `workers` texts at once: a text of ~130 tokens is too small to split well
        # over cores (48 sample passages: 3.45 s on 2 threads a run, 2.76 s as 2 runs of 1 thread at once,
        # the same vectors; median of 4 interleaved, 2 shared cores at load 4-5).
        self.workers = threads or os.cpu_count() or 1
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning between the many small runs (one text each): on 2 cores
        # shared with other work (load 5-6), 48 passages took 4.5 s instead of 6.6 s (median of 4 interleaved).
        options.add_session_config_entry(SPINNING, "0")
        self.session = ort.InferenceSession(
            str(folder / self.config["onnx"]), options, providers=["CPUExecutionProvider"]
        )
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def get_embedding_dimension(self) -> int:
        return int(self.config["dimension"])

    def _one(self, ids: list[int], normalize: bool) -> np.ndarray:
        input_ids = np.asarray([ids], dtype=np.int64)
        tokens = self.session.run(None, {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)})[0][0]
        vector = tokens.mean(axis=0)
        if normalize:
            vector /= max(float(np.linalg.norm(vector)), 1e-12)
        return vector.astype(np.float32)

    def encode(
        self,
        sentences: Sequence[str],
        *,
        prompt: str | None = None,
        normalize_embeddings: bool = True,
        **_ignored: Any,
    ) -> np.ndarray:
        """Vectors for `sentences` (with `prompt` put before each), in input order.

        Each text runs alone: nothing is padded, and an int8 graph (whose activation scale is taken over
        the whole input) gives a text the same vector whatever else is embedded with it. On 2 cores this
        was also faster than batches of 16 (34 against 24 passages/s for ~200-token passages).
        """
        encodings = self.tokenizer.encode_batch([(prompt or "") + t for t in sentences])
        out = np.empty((len(encodings), self.get_embedding_dimension()), dtype=np.float32)
        if len(encodings) > 1 and self.workers > 1:
            # onnxruntime runs concurrent calls on one session, releasing the GIL
            with self._pool_lock:  # answers phrased in parallel embed passages at once: one pool for all
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="onnx-encode")
            vectors = self._pool.map(lambda e: self._one(e.ids, normalize_embeddings), encodings)
        else:
            vectors = (self._one(e.ids, normalize_embeddings) for e in encodings)
        for i, vector in enumerate(vectors):
            out[i] = vector
        return out


def embed_missing(embedder: Embedder, texts: Sequence[str], known: dict[str, np.ndarray], dimension: int) -> int:
    """Embed the `texts` that `known` (text -> unit-length float32 vector) lacks, each distinct text once, and
    add their unit-length vectors to `known`; return how many were embedded. What a store's upsert shares:
    unchanged passages keep their stored vectors. Raises `IndexMismatch` when the embedder's vectors are not
    `dimension` wide.

    >>> known = {}
    >>> embed_missing(HashEmbedder(8), ["a", "b", "a"], known, 8), sorted(known)
    (2, ['a', 'b'])
    """
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    if missing:
        fresh = np.asarray(embedder.embed_passages(missing), dtype=np.float32)
        if fresh.shape != (len(missing), dimension):
            raise IndexMismatch(
                f"{embedder.model_id} returned vectors of shape {fresh.shape}; expected {(len(missing), dimension)}"
            )
        norms = np.linalg.norm(fresh, axis=1, keepdims=True)
        known.update(zip(missing, fresh / np.where(norms == 0, 1.0, norms), strict=True))
    return len(missing)


def length_sorted_batches(texts: Sequence[str], batch_size: int) -> list[list[int]]:
    """Indices of `texts` in batches of similar length, longest first, so a batch pads little.

    >>> length_sorted_batches(["a", "ccc", "bb", "dddd"], 2)
    [[3, 1], [2, 0]]
    """
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


class SentenceTransformerEmbedder:
    """An `Embedder` backed by sentence-transformers, loading the model on first use.

    `model` is whatever `SentenceTransformer()` accepts: a local folder (the usual case, see
    `models.registry.resolve_embedder`) or a Hugging Face id. For a local folder the hub is switched
    off (`HF_HUB_OFFLINE=1`) before loading, so nothing ever tries the network. A folder in ONNX form
    (one holding `referat-onnx.json`, see `models.e5.build_e5_onnx`) runs on onnxruntime through
    `OnnxEncoder` instead, without torch. The E5 prefixes "passage: " / "query: " are applied here; pass
    other prompts for models trained without them.

    >>> from models.registry import resolve_embedder
    >>> e = SentenceTransformerEmbedder(resolve_embedder("multilingual-e5-small-int8"),
    ...                                 name="multilingual-e5-small-int8", threads=2)  # doctest: +SKIP
    >>> e.embed_query("Hvad besluttede KD-Net om Midttrafik?").shape  # doctest: +SKIP
    (384,)
    """

    def __init__(
        self,
        model: str,
        *,
        name: str | None = None,
        batch_size: int = 16,
        threads: int | None = None,
        query_prompt: str = "query: ",
        passage_prompt: str = "passage: ",
        device: str = "cpu",
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}: pass how many texts to embed at once")
        if threads is not None and threads < 1:
            raise ConfigError(
                f"threads must be >= 1, got {threads}: pass a count of CPU cores, or None for the default"
            )
        self._model_ref = model
        self._name = name or model
        self.batch_size = batch_size
        self.threads = threads
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()
        self._last_query: tuple[str, np.ndarray] | None = None

    @property
    def model_id(self) -> str:
        """The name the model was asked for (a registry name, a path or a hub id): what the index records."""
        return self._name

    @property
    def dimension(self) -> int:
        model = self.warm_up()
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def is_local(self) -> bool:
        return Path(self._model_ref).expanduser().exists()

    @property
    def backend(self) -> str:
        """`onnx` for a folder in ONNX form (run by onnxruntime), else `torch`."""
        return "onnx" if (Path(self._model_ref).expanduser() / ONNX_CONFIG).is_file() else "torch"

    def warm_up(self) -> Any:
        """Load the model now (otherwise the first embedding call does).

        Returns the SentenceTransformer, or for a folder in ONNX form an `OnnxEncoder` with the same `encode`.
        """
        with self._lock:
            if self._model is None and self.is_local:
                from models.settings import set_offline_environment

                set_offline_environment(force_hub_offline=True)
            if self._model is None and self.backend == "onnx":
                self._model = OnnxEncoder(Path(self._model_ref).expanduser(), threads=self.threads)
            if self._model is None:
                import torch
                from sentence_transformers import SentenceTransformer

                if self.threads:
                    torch.set_num_threads(self.threads)
                from transformers.utils import logging as hf_logging

                path = str(Path(self._model_ref).expanduser()) if self.is_local else self._model_ref
                was_enabled = hf_logging.is_progress_bar_enabled()
                hf_logging.disable_progress_bar()  # a per-tensor bar on every start is noise
                try:
                    self._model = SentenceTransformer(path, device=self.device, local_files_only=self.is_local)
                finally:
                    if was_enabled:
                        hf_logging.enable_progress_bar()
            return self._model

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        vectors = self.warm_up().encode(
            list(texts),
            prompt=prompt,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_passages(
        self,
        texts: Sequence[str],
        *,
        show_progress: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """Embed passages with the passage prompt; `on_progress(done, total)` is called after each batch.

        Returns an (n, dimension) float32 array of unit vectors, in the order of `texts`.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Longest first in batches of similar length (a batch is as long as its longest text), then
        # each vector put back at its text's position.
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        done = 0
        batches = length_sorted_batches(texts, self.batch_size)
        if show_progress:
            from tqdm.auto import tqdm

            batches = tqdm(batches, desc="embedding", unit="batch")
        for idx in batches:
            out[idx] = self._encode([texts[i] for i in idx], self.passage_prompt)
            done += len(idx)
            if on_progress is not None:
                on_progress(done, len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one question with the query prompt: a (dimension,) float32 unit vector.

        The last question's vector is kept: answering embeds the question again after retrieval did.
        """
        last = self._last_query
        if last is None or last[0] != text:
            last = (text, self._encode([text], self.query_prompt)[0])
            self._last_query = last
        return last[1].copy()


def load_embedder(name: str, *, settings: Settings) -> Embedder:
    """The embedder called `name` (what `REFERAT_EMBEDDER` says), registered fakes included.

    A registered fake made in code (`hash-64`) is a `HashEmbedder` of its registered dimension; any other name
    is resolved by `models.registry.resolve_embedder` and run by sentence-transformers (or onnxruntime).

    >>> from models.settings import Settings
    >>> load_embedder("hash-64", settings=Settings()).model_id
    'hash-64'
    """
    from models.recipes import InCode
    from models.registry import get_spec, resolve_embedder

    spec = get_spec(name, "embedder")
    if spec is not None and isinstance(spec.recipe, InCode):
        return HashEmbedder(spec.dimension or 256)
    return SentenceTransformerEmbedder(resolve_embedder(name, settings=settings), name=name, threads=settings.threads)
