"""The one error tree. Every message says what went wrong and how to fix it.

Raised anywhere; translated only at the edges (CLI -> message + exit code, UI -> gr.Error).
"""

from __future__ import annotations


class ReferatError(Exception):
    """Base class for every error Referat raises on purpose."""


class DocumentError(ReferatError):
    """One input document cannot be read or segmented. Names the file and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class UnsupportedFormat(DocumentError):
    """The file's type is not one Referat reads."""


class IndexMissing(ReferatError):
    """No index where one was expected."""


class IndexMismatch(ReferatError):
    """The saved index was built with another embedder or format than the one asked for."""

    @classmethod
    def of_embedder(cls, directory: object, built_with: str, uses: str) -> IndexMismatch:
        """The index at `directory` holds vectors of `built_with`; this run embeds with `uses`."""
        return cls(
            f"Index at {directory} was built with {built_with}; this run uses {uses}. "
            f"Re-ingest with `referat ingest --rebuild` or pass --embedder {built_with}"
        )


class ModelUnavailable(ReferatError):
    """A model's weights cannot be found or provisioned."""


class ConfigError(ReferatError, ValueError):
    """A setting or argument has a value it cannot have. The message names it, the value given and what to
    set or pass instead (`n_ctx must be >= 128 tokens, got 16: pass a larger context (default 4096)`).
    Also a `ValueError`, as any bad value is."""
