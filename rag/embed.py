"""Embedders: the `Embedder` protocol, a hash fake for tests and the sentence-transformers implementation."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


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


class SentenceTransformerEmbedder:
    """An `Embedder` backed by sentence-transformers, loading the model on first use.

    `model` is whatever `SentenceTransformer()` accepts: a local folder (the usual case, see
    `models.registry.resolve_embedder`) or a Hugging Face id. For a local folder the hub is switched
    off (`HF_HUB_OFFLINE=1`) before loading, so nothing ever tries the network. The E5 prefixes
    "passage: " / "query: " are applied here; pass other prompts for models trained without them.

    >>> from models.registry import resolve_embedder
    >>> e = SentenceTransformerEmbedder(resolve_embedder("multilingual-e5-small"),
    ...                                 name="multilingual-e5-small", threads=2)  # doctest: +SKIP
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
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
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

    def warm_up(self) -> Any:
        """Load the model now (otherwise the first embedding call does). Returns the SentenceTransformer."""
        with self._lock:
            if self._model is None:
                if self.is_local:
                    os.environ["HF_HUB_OFFLINE"] = "1"
                    os.environ["TRANSFORMERS_OFFLINE"] = "1"
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

    def _encode(self, texts: Sequence[str], prompt: str, show_progress: bool = False) -> np.ndarray:
        vectors = self.warm_up().encode(
            list(texts),
            prompt=prompt,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
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
        if on_progress is None:
            return self._encode(texts, self.passage_prompt, show_progress)
        # Longest first, as sentence-transformers does inside one call, so batches pad little.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._encode([texts[i] for i in idx], self.passage_prompt)
            on_progress(min(start + self.batch_size, len(texts)), len(texts))
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
