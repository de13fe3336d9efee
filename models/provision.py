"""Offline provisioning: make the configured models ready, each by the recipe its spec carries.

Idempotent and quick once done (a marker per model; nothing is re-hashed or re-converted).
`referat models provision` calls `provision_all`; resolving a registered name builds it the same way.
"""

from __future__ import annotations

import time

from models.recipes import Step
from models.registry import get_spec, model_path, resolve_embedder, resolve_llm
from models.settings import Settings


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
        if kind == "llm" and name.startswith("openai:"):
            messages.append(f"{name}: a model server; nothing to provision here")
            continue
        if spec is None:
            where = resolve_embedder(name, settings=settings) if kind == "embedder" else resolve_llm(name)
            messages.append(f"{name}: not a registered {kind}; using {where} as given")
            continue
        if spec.recipe.path(settings) is None:
            messages.append(f"{spec.id}: ready (made in code, a test fake: no files)")
            continue
        t0 = time.perf_counter()
        built = spec.recipe.build(settings, on_step)
        state = f"built in {time.perf_counter() - t0:.1f} s" if built else "ready"
        messages.append(f"{spec.id}: {state} ({model_path(spec, settings)})")
    return messages
