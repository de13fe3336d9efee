from pathlib import Path

import pytest

from models import provision, recipes
from models.settings import Settings


@pytest.fixture
def fake_builders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    built: list[str] = []

    def build_e5(dest: Path, **_kw: object) -> bool:
        if dest.is_dir():
            return False
        dest.mkdir(parents=True)
        built.append("e5")
        return True

    def assemble(parts: list[Path], dest: Path, *, sha256: str) -> bool:
        if dest.is_file():
            return False
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(b"GGUF")
        built.append("qwen")
        return True

    def build_onnx(src: Path, dest: Path, *, quantization: str, force: bool, **_kw: object) -> bool:
        assert src.is_dir()  # exported from the sentence-transformers folder
        if dest.is_dir() and not force:
            return False
        dest.mkdir(parents=True, exist_ok=True)
        built.append(f"e5-{quantization}")
        return True

    monkeypatch.setattr(recipes, "build_e5_folder", build_e5)
    monkeypatch.setattr(recipes, "build_e5_onnx", build_onnx)
    monkeypatch.setattr(recipes, "assemble", assemble)
    monkeypatch.setattr(recipes, "qwen_part_paths", lambda: [])
    return built


def test_builds_what_is_missing_then_is_a_no_op(tmp_path: Path, fake_builders: list[str]) -> None:
    s = Settings(home=tmp_path, threads=1)
    first = provision.provision_all(s)
    assert fake_builders == ["e5", "e5-int8", "qwen"]
    assert first[0].startswith("multilingual-e5-small-int8: built") and first[1].startswith("qwen2.5-coder-1.5b: built")
    second = provision.provision_all(s)
    assert fake_builders == ["e5", "e5-int8", "qwen"]
    assert all(": ready (" in m for m in second)


def test_llm_false_only_builds_the_embedder(tmp_path: Path, fake_builders: list[str]) -> None:
    messages = provision.provision_all(Settings(home=tmp_path, threads=1), llm=False)
    assert fake_builders == ["e5", "e5-int8"] and len(messages) == 1


def test_the_torch_form_by_name_builds_no_onnx(tmp_path: Path, fake_builders: list[str]) -> None:
    s = Settings(home=tmp_path, embedder="multilingual-e5-small-torch", threads=1)
    messages = provision.provision_all(s, llm=False)
    assert fake_builders == ["e5"] and messages[0].startswith("multilingual-e5-small-torch: built")


def test_unregistered_models_are_checked_not_built(tmp_path: Path, fake_builders: list[str]) -> None:
    gguf = tmp_path / "own.gguf"
    gguf.write_bytes(b"GGUF")
    s = Settings(home=tmp_path, embedder="intfloat/multilingual-e5-base", llm=str(gguf), threads=1)
    messages = provision.provision_all(s)
    assert fake_builders == []
    assert "not a registered embedder" in messages[0] and str(gguf) in messages[1]


def test_real_provisioning_is_quick_when_done() -> None:
    import time

    s = Settings.from_env()
    provision.provision_all(s)  # builds on a fresh machine (about 20 s), else a no-op
    t0 = time.perf_counter()
    messages = provision.provision_all(s)
    assert time.perf_counter() - t0 < 2.0
    assert len(messages) == 2 and all(": ready (" in m for m in messages)
    assert (s.models_dir / "multilingual-e5-small" / "model.safetensors").is_file()
    if s.embedder == "multilingual-e5-small-int8":
        assert (s.models_dir / "multilingual-e5-small-onnx-int8" / "onnx" / "model_int8.onnx").is_file()


def test_the_test_fakes_need_no_provisioning(tmp_path: Path, fake_builders: list[str]) -> None:
    messages = provision.provision_all(Settings(home=tmp_path, embedder="hash-64", llm="scripted", threads=1))
    assert fake_builders == [] and all("made in code" in m for m in messages) and len(messages) == 2
