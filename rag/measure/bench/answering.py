"""The answering benchmarks: the product's generator against raw llama-cpp, and the prefix cache."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence

from ingest.errors import ConfigError
from rag.measure.bench.records import (
    Clock,
    FirstAnswer,
    FirstAnswerBench,
    GenerationBench,
    PrefixCacheBench,
    StreamTiming,
)


def time_stream(pieces: Iterable[str], clock: Clock = time.perf_counter) -> StreamTiming:
    """Time a stream from the moment iteration starts (setup done when the iterable was made).

    >>> t = iter([0.0, 0.5, 0.6, 0.7, 0.7])
    >>> time_stream(["a", "b", "c"], clock=lambda: next(t))
    StreamTiming(ttft_s=0.5, total_s=0.7, pieces=3, text='abc')
    """
    it = iter(pieces)
    start = clock()
    first: float | None = None
    out: list[str] = []
    last = start
    for piece in it:
        last = clock()
        if first is None:
            first = last - start
        out.append(piece)
    end = clock() if first is None else last
    return StreamTiming(first if first is not None else end - start, end - start, len(out), "".join(out))


def bench_generation(
    product: Callable[[], Iterable[str]],
    raw: Callable[[], Iterable[str]],
    *,
    repeats: int = 3,
    clock: Clock = time.perf_counter,
) -> GenerationBench:
    """Product vs raw streaming on the same prompt. Each callable does its (untimed) setup, e.g.
    clearing the KV cache, and returns the stream; iteration is what is timed."""
    if repeats < 1:
        raise ConfigError(f"repeats must be >= 1, got {repeats}")
    p_runs: list[StreamTiming] = []
    r_runs: list[StreamTiming] = []
    for r in range(repeats):
        order = [(raw, r_runs), (product, p_runs)] if r % 2 == 0 else [(product, p_runs), (raw, r_runs)]
        for make, runs in order:
            runs.append(time_stream(make(), clock))
    return GenerationBench(
        product_ttft_s=statistics.median(t.ttft_s for t in p_runs),
        raw_ttft_s=statistics.median(t.ttft_s for t in r_runs),
        product_tokens_per_s=statistics.median(t.tokens_per_s for t in p_runs),
        raw_tokens_per_s=statistics.median(t.tokens_per_s for t in r_runs),
        pieces=int(statistics.median(t.pieces for t in p_runs)),
        same_text=all(p.text.strip() == r_.text.strip() for p, r_ in zip(p_runs, r_runs, strict=True)),
        repeats=repeats,
    )


def bench_prefix_cache(
    cold: Callable[[], Iterable[str]],
    primed: Callable[[], Iterable[str]],
    *,
    repeats: int = 3,
    prompt_tokens: int | None = None,
    prefix_tokens: int | None = None,
    clock: Clock = time.perf_counter,
) -> PrefixCacheBench:
    """Time to first token from an empty cache vs. with the static prefix primed (priming untimed)."""
    if repeats < 1:
        raise ConfigError(f"repeats must be >= 1, got {repeats}")
    cold_s: list[float] = []
    primed_s: list[float] = []
    for r in range(repeats):
        order = [(cold, cold_s), (primed, primed_s)] if r % 2 == 0 else [(primed, primed_s), (cold, cold_s)]
        for make, runs in order:
            runs.append(time_stream(make(), clock).ttft_s)
    return PrefixCacheBench(
        cold_ttft_s=statistics.median(cold_s),
        primed_ttft_s=statistics.median(primed_s),
        prompt_tokens=prompt_tokens,
        prefix_tokens=prefix_tokens,
        repeats=repeats,
    )


def time_first_answer(events: Iterable[object], *, phrase: bool, clock: Clock = time.perf_counter) -> FirstAnswer:
    """Follow one `Assistant.ask_stream` from the moment iteration starts: the first checked answer is the
    first `Checked`, or the final `Answer` where none comes (register answers, abstentions, no model).

    With `phrase`, iteration goes on to the model's first draft token (then stops: decoding is not what is
    timed here); without, it stops at the checked answer. Stopping closes the stream.

    >>> from rag.answer import Answer, Checked
    >>> t = iter([0.0, 0.4, 2.0])
    >>> time_first_answer([Checked(Answer("q", "a", (), ())), "Det"], phrase=True, clock=lambda: next(t))
    FirstAnswer(answer_s=0.4, token_s=2.0)
    """
    from rag.answer import Answer, Checked

    it = iter(events)
    start = clock()
    answer_s: float | None = None
    token_s: float | None = None
    try:
        for event in it:
            if answer_s is None and isinstance(event, Checked | Answer):
                answer_s = clock() - start
                if not phrase or isinstance(event, Answer):
                    break
            elif isinstance(event, str) and answer_s is not None:
                token_s = clock() - start
                break
    finally:
        close = getattr(it, "close", None)
        if close:
            close()
    if answer_s is None:
        raise ConfigError("the stream ended without an answer")
    return FirstAnswer(answer_s, token_s)


def bench_first_answer(
    ask: Callable[[str], Iterable[object]],
    questions: Sequence[str],
    *,
    phrase: int = 2,
    clock: Clock = time.perf_counter,
) -> FirstAnswerBench:
    """Time `ask(question)` to its first checked answer for each question, and to the model's first phrasing
    token for the first `phrase` questions a model phrases (register answers and abstentions have no phrasing).
    Warm the models before (an untimed question).

    Usage: `bench_first_answer(assistant.ask_stream, ["Hvad besluttede KD-Net om Midttrafik?"], phrase=1)`.
    """
    if not questions:
        raise ConfigError("no questions to time the first answer with")
    answers: list[float] = []
    tokens: list[float] = []
    for question in questions:
        timed = time_first_answer(ask(question), phrase=len(tokens) < phrase, clock=clock)
        answers.append(timed.answer_s)
        if timed.token_s is not None:
            tokens.append(timed.token_s)
    return FirstAnswerBench(tuple(answers), tuple(tokens), len(questions))
