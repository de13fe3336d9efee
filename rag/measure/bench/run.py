"""`run`: the benchmarks strung together with the configured models (what `referat bench` calls)."""

from __future__ import annotations

import gc
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.errors import ConfigError
from rag.embed import Embedder
from rag.index import HNSW_EF_SEARCH, Index
from rag.measure.bench.answering import bench_first_answer, bench_generation, bench_prefix_cache, time_stream
from rag.measure.bench.cold_start import bench_cold_start, free_port
from rag.measure.bench.embedding import (
    bench_embed,
    bench_ingest_speed,
    encoder_flops_per_token,
    matmul_gflops,
    spread_sample,
)
from rag.measure.bench.incremental import bench_add_one
from rag.measure.bench.ingest import bench_ingest
from rag.measure.bench.load import Chat, bench_load, has_reply, spread_questions
from rag.measure.bench.records import (
    AnnBench,
    BenchReport,
    EmbedBench,
    FirstAnswerBench,
    GenerationBench,
    IngestSpeedBench,
    PrefixCacheBench,
    ProductSearchBench,
)
from rag.measure.bench.search import bench_ann, bench_product_search, exact_top_k, synthetic_vectors

PARTS = ("ingest", "embed", "search", "answer", "cold", "load")
DEFAULT_PARTS = PARTS[:-1]  # the load test runs when asked for: 40 answers, twice
LOAD_CONFIGS = ("local", "server")
TORCH_EMBEDDER = "multilingual-e5-small-torch"  # the reference the product's embedder is measured against


def corpus_vocabulary(files: Sequence[Path], *, limit: int = 20_000) -> list[str]:
    """Words of the corpus, most frequent first (for synthetic passages with realistic BM25 postings)."""
    from collections import Counter

    counts: Counter[str] = Counter()
    for f in files:
        counts.update(re.findall(r"[^\W\d_]{2,}", f.read_text(encoding="utf-8", errors="replace").lower()))
    return [w for w, _ in counts.most_common(limit)]


def run(
    *,
    quick: bool,
    corpus: Path = Path("data/sample"),
    parts: Sequence[str] = DEFAULT_PARTS,
    questions: Path = Path("eval/dev.jsonl"),
    speed_corpus: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
    index: Path | None = None,
    store: str | None = None,
    load_users: int = 8,
    load_per_user: int = 5,
    load_configs: Sequence[str] = LOAD_CONFIGS,
    load_timeout_s: float = 1800,
    answer_complete: Callable[[Chat], bool] = has_reply,
    summary_dropped: Callable[[Chat], str | None] = lambda _chat: None,
    answer_begun: Callable[[Chat], bool] = has_reply,
) -> BenchReport:
    """Run the benchmarks with the configured models (`REFERAT_EMBEDDER`, `REFERAT_LLM`).

    `quick`: ingest the smaller half of the corpus, search 10k and 100k chunks, 32-token replies, 48 passages
    and 2 files against torch, 8 questions to the first answer; the full run ingests all of it, adds 1M chunks,
    64-token replies, 160 passages and 6 files against torch, 20 questions. `speed_corpus` (default `corpus`)
    is where the embed part takes its chunk texts and files from. Usage: `print(run(quick=True).markdown())`.

    The load part (only when asked for) serves `index` (default: the corpus ingested here; `store`, a store URL,
    is passed to `referat serve --store`) to `load_users` simulated users asking `load_per_user` questions each
    from `questions`, once per configuration in `load_configs` ("local": the model in the app; "server": the
    same GGUF on llama.cpp's server), each bounded by `load_timeout_s`; `answer_complete(chat)` says whether the
    app's last update is a finished answer, `answer_begun(chat)` whether an update shows an answer to read, and
    `summary_dropped(chat)` why the model's summary was left out.
    """
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ConfigError(f"unknown benchmark parts {sorted(unknown)}; choose from {', '.join(PARTS)}")
    from models.settings import Settings
    from rag.corpus import expand_paths

    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    settings = Settings.from_env()
    files = expand_paths([corpus])
    if not files:
        raise ConfigError(f"no documents in {corpus} to benchmark with")
    repeats = 3 if quick else 5
    notes: list[str] = []
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="referat-bench-") as tmp:
        work = Path(tmp)
        index_dir = work / "sample-index"
        embedder = _product_embedder(settings)
        if "ingest" in parts:
            progress("ingest: pipeline vs raw encode")
            st = embedder.warm_up()

            def raw_encode(texts: list[str]) -> Any:
                return st.encode(texts, prompt=embedder.passage_prompt, normalize_embeddings=True)

            # Quick: the smaller half of the corpus (the ratio is per chunk); full: all of it.
            some = sorted(files, key=lambda f: f.stat().st_size)[: len(files) // 2 + 1] if quick else files
            results["ingest"] = bench_ingest(some, embedder, raw_encode, repeats=3, workdir=work)
            progress(f"  {results['ingest']}")
        if "embed" in parts:
            where = speed_corpus or corpus
            progress(f"embed: {settings.embedder} vs {TORCH_EMBEDDER} on {where}, raw and through ingest")
            results["embed"], results["ingest_speed"] = _bench_embedding(
                settings, embedder, where, quick=quick, workdir=work, progress=progress
            )
        if "answer" in parts or "cold" in parts or ("load" in parts and index is None):
            from rag.corpus import ingest_files

            ingest_files(files, Index.open_or_create(index_dir, embedder), embedder)
        if "search" in parts:
            vocab = corpus_vocabulary(files)
            sizes = (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
            ann: list[AnnBench] = []
            product: list[ProductSearchBench] = []
            n_queries = 200 if quick else 300
            for n in sizes:
                progress(f"search: {n:,} synthetic chunks")
                data, queries = synthetic_vectors(n, n_queries, seed=n)
                truth = exact_top_k(data, queries, 10)
                ef = (HNSW_EF_SEARCH,) if n < 100_000 else (16, 32, HNSW_EF_SEARCH, 128)
                ann += bench_ann(data, queries, truth, ef_search=ef)
                done = [
                    f"{a.kind} ef={a.ef_search}: {a.latency.p50_ms} ms, {a.recall_at_10:.3f}" for a in ann if a.n == n
                ]
                progress("  " + "; ".join(done))
                if n <= 100_000:
                    product.append(bench_product_search(data, queries, truth, vocabulary=vocab, workdir=work))
                    progress(f"  {product[-1]}")
                del data
                gc.collect()
            results["ann"] = tuple(ann)
            results["product_search"] = tuple(product)
            meeting = sorted(files, key=lambda f: f.stat().st_size)[len(files) // 2]  # a middle-sized meeting
            progress(f"add one meeting ({meeting.name}) to the saved 100,000-chunk index vs alone")
            results["add_one"] = bench_add_one(work / "search-100000", meeting, workdir=work, repeats=repeats)
            progress(f"  {results['add_one']}")
            notes.append(
                "memory_gb_1m: resident memory a fresh process adds by loading the saved 100k synthetic index and "
                "building BM25, per chunk, times 1M, plus what 'auto' searches at 1M: HNSW, whose measured "
                "serialised bytes per vector (its own copy of the vectors + graph) times 1M. The Index's float32 "
                "matrices are memory-mapped and not read by an HNSW search. add_one_meeting_ratio: "
                f"{meeting.name} added to the saved 100k index, one new document id per repeat."
            )
        if "answer" in parts:
            progress("answer: generator vs raw llama-cpp, prefix cache")
            gen, pc, note, product_gen = _bench_answering(settings, embedder, index_dir, quick=quick, repeats=repeats)
            results["generation"], results["prefix_cache"] = gen, pc
            progress(f"  {gen}\n  {pc}")
            notes.append(note)
            progress("answer: time to the first checked answer, models warm")
            results["first_answer"], note = _bench_first_answer(
                embedder, index_dir, product_gen, questions, quick=quick
            )
            progress(f"  {results['first_answer']}")
            notes.append(note)
        if "cold" in parts:
            progress("cold start: referat serve")
            port = free_port()
            referat = Path(sys.executable).with_name("referat")
            cmd = [str(referat), "serve", "--index", str(index_dir), "--port", str(port)]
            results["cold_start"] = bench_cold_start(cmd, f"http://127.0.0.1:{port}/", ready_pattern=r"^Klar\b")
            progress(f"  {results['cold_start']}")
        if "load" in parts:
            results["load"], note = _bench_load(
                settings,
                index or index_dir,
                spread_questions(questions, load_users * load_per_user),
                users=load_users,
                per_user=load_per_user,
                configs=load_configs,
                store=store,
                timeout_s=load_timeout_s,
                complete=answer_complete,
                dropped=summary_dropped,
                begun=answer_begun,
                workdir=work,
                progress=progress,
            )
            notes.append(note)
    return BenchReport(
        quick=quick,
        started=started,
        wall_s=time.perf_counter() - t0,
        machine=f"{os.cpu_count()} CPU cores, {sys.platform}, Python {sys.version.split()[0]}, "
        f"embedder {settings.embedder}, LLM {settings.llm}, {settings.threads} threads",
        notes=tuple(notes),
        **results,
    )


def _bench_load(
    settings: Any,
    index: Path,
    questions: Sequence[str],
    *,
    users: int,
    per_user: int,
    configs: Sequence[str],
    store: str | None,
    timeout_s: float,
    complete: Callable[[Chat], bool],
    dropped: Callable[[Chat], str | None],
    begun: Callable[[Chat], bool],
    workdir: Path,
    progress: Callable[[str], None],
) -> tuple[tuple[Any, ...], str]:
    from models.registry import resolve_llm
    from rag.generate import OPENAI_PREFIX
    from rag.stores import shown

    unknown = set(configs) - set(LOAD_CONFIGS)
    if unknown:
        raise ConfigError(f"unknown load configurations {sorted(unknown)}; choose from {', '.join(LOAD_CONFIGS)}")
    runs = []
    for config in configs:
        model_file = None
        if config == "server":
            if settings.llm.startswith(OPENAI_PREFIX):
                raise ConfigError(
                    "REFERAT_LLM already names a model server: run the load test with --load-config local"
                )
            model_file = resolve_llm(settings.llm, settings=settings)
        progress(f"load: {users} users x {per_user} questions, {settings.llm} ({config})")
        result = bench_load(
            index,
            questions,
            users=users,
            per_user=per_user,
            config=config,
            llm=settings.llm,
            workdir=workdir,
            threads=settings.threads,
            model_file=model_file,
            store=store,
            timeout_s=timeout_s,
            complete=complete,
            dropped=dropped,
            begun=begun,
        )
        p50, p95 = result.percentile(50) or 0, result.percentile(95) or 0
        progress(
            f"  {result.answered} of {result.asked} answered, {len(result.errors)} errors, "
            f"p50 {p50:.1f} s, p95 {p95:.1f} s, wall {result.wall_s:.0f} s, {len(result.dropped)} summaries dropped"
        )
        runs.append(result)
    note = (
        f"Load: {users * per_user} questions spread over the question set, user u asking the u-th {per_user} in "
        f"order; `referat serve --index {index}{f' --store {shown(store)}' if store else ''}` started afresh per "
        f"configuration and timed only once its models were loaded ('Klar'). Bounded at {timeout_s:.0f} s per "
        "configuration."
    )
    if "server" in configs:
        note += (
            f" The llama.cpp server ran the same GGUF with {settings.threads} threads, n_ctx 4096, "
            "--interrupt_requests False; the app answered PARALLEL_ANSWERS questions at once against it."
        )
    return tuple(runs), note


def _product_embedder(settings: Any) -> Any:
    from rag.embed import load_embedder

    return load_embedder(settings.embedder, settings=settings)


def _bench_embedding(
    settings: Any, embedder: Embedder, corpus: Path, *, quick: bool, workdir: Path, progress: Callable[[str], None]
) -> tuple[EmbedBench, IngestSpeedBench]:
    """The product's embedder against the torch reference: `embed_passages` of real chunk texts (taken along
    the length order of the chunks of up to 12 files spread over the corpus's sizes), then `ingest_files` of
    2 (quick) or 6 files, both interleaved; with the float32 matmul ceiling."""
    import json

    from ingest.chunking import chunk_document
    from ingest.parse import parse_document
    from models.registry import resolve_embedder
    from rag.corpus import expand_paths
    from rag.embed import load_embedder

    if settings.embedder == TORCH_EMBEDDER:
        raise ConfigError(
            f"the embed part measures the embedder against {TORCH_EMBEDDER}: set another REFERAT_EMBEDDER"
        )
    files = sorted(expand_paths([corpus]), key=lambda f: f.stat().st_size)
    if not files:
        raise ConfigError(f"no documents in {corpus} to benchmark with")
    baseline = load_embedder(TORCH_EMBEDDER, settings=settings)
    chunks = [c.embed_text for f in _spread_files(files, 12) for c in chunk_document(parse_document(f))]
    texts = spread_sample(chunks, 48 if quick else 160)
    n_tokens = _count_tokens(embedder, texts)
    folder = Path(resolve_embedder(settings.embedder, settings=settings)).expanduser()
    flops = None
    if (folder / "config.json").is_file():
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        flops = encoder_flops_per_token(config, seq_len=n_tokens / len(texts))
    gflops = matmul_gflops()
    raw = bench_embed(
        texts,
        embedder.embed_passages,
        baseline.embed_passages,
        model=settings.embedder,
        baseline=TORCH_EMBEDDER,
        n_tokens=n_tokens,
        repeats=3,
        matmul=gflops,
        flops_per_token=flops,
    )
    progress(f"  {raw}")
    picked = _spread_files(files, 2 if quick else 6)
    speed = bench_ingest_speed(picked, embedder, baseline, corpus=str(corpus), repeats=3, workdir=workdir)
    progress(f"  {speed}")
    return raw, speed


def _spread_files(files: Sequence[Path], n: int) -> list[Path]:
    """`n` of `files` (sorted by size) at even steps inside the size order, the smallest and largest left out
    (all of them when there are no more than `n`)."""
    if len(files) <= n:
        return list(files)
    step = len(files) / (n + 1)
    return [files[round(step * (k + 1))] for k in range(n)]


def _count_tokens(embedder: Embedder, texts: Sequence[str]) -> int:
    """Tokens the embedder's model reads for `texts` as passages (prompt included, truncated as it truncates)."""
    model = getattr(embedder, "warm_up", lambda: None)()
    prompt = getattr(embedder, "passage_prompt", "")
    prompted = [prompt + t for t in texts]
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is None:
        return sum(len(t.split()) for t in prompted)  # a model-free embedder: words
    if hasattr(tokenizer, "encode_batch"):  # tokenizers.Tokenizer (OnnxEncoder), truncation set
        return sum(len(e.ids) for e in tokenizer.encode_batch(prompted))
    limit = getattr(model, "max_seq_length", 512)
    return sum(min(len(ids), limit) for ids in tokenizer(prompted)["input_ids"])


def _bench_first_answer(
    embedder: Embedder, index_dir: Path, generator: Any, questions: Path, *, quick: bool
) -> tuple[FirstAnswerBench, str]:
    import json

    from rag.assistant import Assistant

    lines = questions.read_text(encoding="utf-8").splitlines()
    every = [json.loads(line)["question"] for line in lines if line.strip()]
    n = 8 if quick else 20
    asked = every[:: max(1, len(every) // n)][:n]  # spread over the set: its types come in runs
    phrase = 2 if quick else 5
    assistant = Assistant(index_dir, embedder, generator_factory=lambda: generator)
    assistant.warm_up()
    for event in assistant.ask_stream(asked[-1]):  # one untimed question: BM25, caches, the first prompt
        if isinstance(event, str):
            break
    result = bench_first_answer(assistant.ask_stream, asked, phrase=phrase)
    note = (
        f"First answer: {len(asked)} questions spread over {questions}, models warm (`Assistant.warm_up` and one "
        f"untimed question), timed from calling `ask_stream` to its `Checked` (or final `Answer`); the first "
        f"{phrase} that a model phrases followed on to its first token."
    )
    return result, note


def _bench_answering(
    settings: Any, embedder: Embedder, index_dir: Path, *, quick: bool, repeats: int
) -> tuple[GenerationBench, PrefixCacheBench, str, Any]:
    from llama_cpp import Llama

    from models.registry import resolve_llm
    from rag.assistant import Assistant
    from rag.generate import LlamaCppGenerator
    from rag.prompt import build_messages, static_prefix

    question = "Hvad besluttede KD-Net om Midttrafiks indtægtsfordelingsmodel?"
    sources = Assistant(index_dir, embedder).retrieve(question).sources
    messages = build_messages(question, sources[:3])
    max_tokens = 32 if quick else 64
    model = resolve_llm(settings.llm, settings=settings)
    gen = LlamaCppGenerator(model, model_id=settings.llm, n_threads=settings.threads)
    llm = gen.warm_up()
    raw: Any = Llama(**gen.llama_kwargs())  # the same settings, without the product's wrapper

    def product() -> Iterator[str]:
        return gen.stream(messages, max_tokens=max_tokens)

    def raw_stream() -> Iterator[str]:
        chunks: Iterator[Any] = raw.create_chat_completion(
            messages=messages, stream=True, max_tokens=max_tokens, stop=[], temperature=gen.temperature, seed=gen.seed
        )
        return (p for c in chunks if (p := c["choices"][0]["delta"].get("content")))

    # The first call of each evaluates the whole prompt from an empty cache: one cold time to first token each.
    # Later calls find the prompt in their own KV cache (llama-cpp-python keeps the longest common prefix), so the
    # repeats compare decoding, which is where a wrapper could cost, without paying a prompt evaluation each.
    cold_raw = time_stream(raw_stream())
    cold_product = time_stream(product())
    generation = replace(
        bench_generation(product, raw_stream, repeats=repeats),
        product_cold_ttft_s=cold_product.ttft_s,
        raw_cold_ttft_s=cold_raw.ttft_s,
    )

    def cold() -> Iterator[str]:
        llm.reset()
        return gen.stream(messages, max_tokens=1)

    def primed() -> Iterator[str]:
        llm.reset()
        gen.prime(static_prefix())
        return gen.stream(messages, max_tokens=1)

    prompt_tokens = _chat_tokens(llm, messages)
    prefix_tokens = _chat_tokens(llm, static_prefix())
    cache = bench_prefix_cache(cold, primed, repeats=2, prompt_tokens=prompt_tokens, prefix_tokens=prefix_tokens)
    note = (
        f"Answer prompt: '{question}' with its top 3 retrieved items ({prompt_tokens} tokens); replies capped "
        f"at {max_tokens} tokens. Tokens/s: {repeats} interleaved calls each with the prompt in the KV cache; "
        "cold time to first token: one call each from an empty cache (raw first); prefix cache: 2 interleaved "
        "pairs, cache cleared before each."
    )
    llm.reset()
    return generation, cache, note, gen


def _chat_tokens(llm: Any, messages: list[dict[str, str]]) -> int:
    """Prompt tokens of `messages` in ChatML, the template of both registered LLMs (Qwen, SmolLM2)."""
    from llama_cpp.llama_chat_format import format_chatml

    prompt: str = format_chatml(messages).prompt
    return len(llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))
