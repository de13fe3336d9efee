"""Generators: the scripted fake, llama.cpp with SmolLM2 (plumbing) and with the default Qwen (slow)."""

import pytest

from ingest.errors import ModelUnavailable
from models.registry import resolve_llm
from models.settings import Settings
from rag.generate import Generator, LlamaCppGenerator, ScriptedGenerator
from rag.prompt import FEW_SHOT, SYSTEM

USER = [{"role": "user", "content": "Write one short sentence about the sea."}]


def test_scripted_generator_streams_its_replies_in_order() -> None:
    g: Generator = ScriptedGenerator(["Første svar [A 1].", "Andet svar."])
    first = list(g.stream(USER, max_tokens=50))
    assert first[:2] == ["Første", " svar"] and "".join(first) == "Første svar [A 1]."
    assert "".join(g.stream(USER, max_tokens=50)) == "Andet svar."
    assert "".join(g.stream(USER, max_tokens=50)) == "Andet svar."  # the last reply repeats


def test_scripted_generator_honours_stop_and_max_tokens_and_records_calls() -> None:
    g = ScriptedGenerator("en to tre STOP fire")
    assert "".join(g.stream(USER, max_tokens=50, stop=[" STOP"])) == "en to tre"
    assert "".join(g.stream(USER, max_tokens=2)) == "en to"
    assert [c["max_tokens"] for c in g.calls] == [50, 2] and g.calls[0]["messages"] == USER


def test_llama_constructor_is_cheap_and_a_missing_file_fails_on_first_use(tmp_path) -> None:  # type: ignore[no-untyped-def]
    g = LlamaCppGenerator(tmp_path / "missing.gguf", n_threads=1)
    assert g.model_id == "missing.gguf"
    with pytest.raises(ModelUnavailable, match="referat models provision"):
        list(g.stream(USER, max_tokens=4))


@pytest.mark.parametrize("kw", [{"n_ctx": 16}, {"n_threads": 0}, {"temperature": -1.0}])
def test_llama_bad_arguments(kw: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="got"):
        LlamaCppGenerator("x.gguf", **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def smollm2() -> LlamaCppGenerator:
    s = Settings.from_env()
    return LlamaCppGenerator(resolve_llm("smollm2-135m", settings=s), model_id="smollm2-135m", n_threads=s.threads)


def test_smollm2_streams_text(smollm2: LlamaCppGenerator) -> None:
    pieces = list(smollm2.stream(USER, max_tokens=16))
    assert len(pieces) > 1 and "".join(pieces).strip()


def test_max_tokens_bounds_the_reply(smollm2: LlamaCppGenerator) -> None:
    llm = smollm2.warm_up()
    reply = "".join(smollm2.stream([{"role": "user", "content": "Count from 1 to 100."}], max_tokens=5))
    assert 1 <= len(llm.tokenize(reply.encode(), add_bos=False, special=False)) <= 6


def test_prefix_reuse_keeps_replies_deterministic(smollm2: LlamaCppGenerator) -> None:
    static = [{"role": "system", "content": SYSTEM}, *FEW_SHOT]
    a = [*static, {"role": "user", "content": "Spørgsmål: Hvad koster en ny skole?"}]
    b = [*static, {"role": "user", "content": "Spørgsmål: Hvem godkendte budgettet?"}]
    cold = "".join(smollm2.stream(a, max_tokens=12))  # KV cache holds another prompt before this
    "".join(smollm2.stream(b, max_tokens=12))
    smollm2.prime(static)
    warm = "".join(smollm2.stream(a, max_tokens=12))
    assert warm == cold  # reusing the cached prefix must not change the answer


@pytest.mark.slow
def test_qwen_answers_in_danish() -> None:
    s = Settings.from_env()
    g = LlamaCppGenerator(resolve_llm("qwen2.5-coder-1.5b", settings=s), n_threads=s.threads, n_ctx=1024)
    messages = [
        {"role": "system", "content": "Du svarer kort og altid på dansk."},
        {"role": "user", "content": "Hvad hedder Danmarks hovedstad? Svar med én sætning."},
    ]
    reply = "".join(g.stream(messages, max_tokens=24))
    assert "København" in reply, reply
    assert "<|im_" not in reply  # the chat template's end-of-turn token stops generation
