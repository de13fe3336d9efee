"""Contract tests for every `Generator` (the scripted fake, and llama.cpp with the default Qwen when its GGUF
is provisioned, in process and behind llama-cpp-python's OpenAI-compatible server), plus the specifics: the
scripted fake, llama.cpp with SmolLM2 (plumbing) and Qwen (slow), the model server with SmolLM2."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.errors import ConfigError, ModelUnavailable
from models.registry import MODELS, model_path, resolve_llm
from models.settings import Settings
from rag.generate import Generator, LlamaCppGenerator, OpenAIGenerator, ScriptedGenerator, load_generator
from rag.prompt import FEW_SHOT, SYSTEM
from tests.servers import free_port, llama_server

USER = [{"role": "user", "content": "Write one short sentence about the sea."}]
COUNT = [
    {"role": "system", "content": "Reply with the numbers only, separated by commas."},
    {"role": "user", "content": "Count from 1 to 100."},
]
COUNTED = ", ".join(str(n) for n in range(1, 101)) + "."  # what the scripted fake replies to COUNT

QWEN_GGUF = model_path(MODELS["qwen2.5-coder-1.5b"], Settings.from_env())

GENERATORS: list[object] = [
    pytest.param("scripted", id="scripted"),
    pytest.param(
        "qwen",
        id="llama.cpp-qwen",
        marks=[
            pytest.mark.slow,
            pytest.mark.skipif(not QWEN_GGUF.is_file(), reason=f"no GGUF at {QWEN_GGUF}: `referat models provision`"),
        ],
    ),
    pytest.param(
        "qwen_server",
        id="server-qwen",
        marks=[
            pytest.mark.slow,
            pytest.mark.skipif(not QWEN_GGUF.is_file(), reason=f"no GGUF at {QWEN_GGUF}: `referat models provision`"),
        ],
    ),
]


@pytest.fixture
def scripted() -> ScriptedGenerator:
    return ScriptedGenerator(COUNTED)


@pytest.fixture(scope="module")
def qwen() -> LlamaCppGenerator:
    """The default LLM, loaded once for the module."""
    s = Settings.from_env()
    return LlamaCppGenerator(QWEN_GGUF, model_id="qwen2.5-coder-1.5b", n_threads=s.threads, n_ctx=1024)


@pytest.fixture(scope="module")
def qwen_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenAIGenerator]:
    """The default LLM behind llama-cpp-python's OpenAI-compatible server, reached over HTTP."""
    log = tmp_path_factory.mktemp("server") / "llama-server.log"
    with llama_server(QWEN_GGUF, log=log, alias="qwen", n_ctx=1024, threads=Settings.from_env().threads) as url:
        yield OpenAIGenerator("qwen", url)


@pytest.fixture(params=GENERATORS)
def generator(request: pytest.FixtureRequest) -> Generator:
    made: Generator = request.getfixturevalue(request.param)
    return made


def test_pieces_are_text_and_join_to_the_whole_reply(generator: Generator) -> None:
    pieces = list(generator.stream(COUNT, max_tokens=12))
    assert len(pieces) > 1 and all(isinstance(p, str) and p for p in pieces)
    reply = "".join(pieces)
    assert reply.startswith("1,") and "<|" not in reply
    assert "".join(generator.stream(COUNT, max_tokens=12)) == reply  # the same messages, the same reply


def test_max_tokens_bounds_the_reply(generator: Generator) -> None:
    short = list(generator.stream(COUNT, max_tokens=3))
    longer = "".join(generator.stream(COUNT, max_tokens=24))
    assert 1 <= len(short) <= 3
    assert longer.startswith("".join(short)) and len(longer) > len("".join(short))


def test_a_stop_string_ends_the_reply_before_it(generator: Generator) -> None:
    whole = "".join(generator.stream(COUNT, max_tokens=24))
    stopped = "".join(generator.stream(COUNT, max_tokens=24, stop=["4"]))
    assert "4" in whole and stopped == whole[: whole.index("4")]


@pytest.mark.parametrize("max_tokens", [0, -1])
def test_max_tokens_below_one_is_a_config_error(generator: Generator, max_tokens: int) -> None:
    with pytest.raises(ConfigError, match=f"max_tokens must be >= 1, got {max_tokens}"):
        list(generator.stream(COUNT, max_tokens=max_tokens))


def test_model_id_is_a_name(generator: Generator) -> None:
    assert isinstance(generator.model_id, str) and generator.model_id


# -- the scripted fake ------------------------------------------------------------------------


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


def test_scripted_generator_needs_a_reply() -> None:
    with pytest.raises(ConfigError, match="at least one reply"):
        ScriptedGenerator([])


# -- llama.cpp --------------------------------------------------------------------------------


def test_llama_constructor_is_cheap_and_a_missing_file_fails_on_first_use(tmp_path) -> None:  # type: ignore[no-untyped-def]
    g = LlamaCppGenerator(tmp_path / "missing.gguf", n_threads=1)
    assert g.model_id == "missing.gguf"
    with pytest.raises(ModelUnavailable, match="referat models provision"):
        list(g.stream(USER, max_tokens=4))


@pytest.mark.parametrize("kw", [{"n_ctx": 16}, {"n_threads": 0}, {"temperature": -1.0}])
def test_llama_bad_arguments_say_what_to_pass(kw: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match=r"got .*: pass"):
        LlamaCppGenerator("x.gguf", **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def smollm2() -> LlamaCppGenerator:
    s = Settings.from_env()
    return LlamaCppGenerator(resolve_llm("smollm2-135m", settings=s), model_id="smollm2-135m", n_threads=s.threads)


def test_smollm2_streams_text(smollm2: LlamaCppGenerator) -> None:
    pieces = list(smollm2.stream(USER, max_tokens=16))
    assert len(pieces) > 1 and "".join(pieces).strip()


def test_smollm2_max_tokens_counts_model_tokens(smollm2: LlamaCppGenerator) -> None:
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
def test_qwen_answers_in_danish(qwen: LlamaCppGenerator) -> None:
    resolve_llm("qwen2.5-coder-1.5b", settings=Settings.from_env())  # provisioned when missing
    g = qwen
    messages = [
        {"role": "system", "content": "Du svarer kort og altid på dansk."},
        {"role": "user", "content": "Hvad hedder Danmarks hovedstad? Svar med én sætning."},
    ]
    reply = "".join(g.stream(messages, max_tokens=24))
    assert "København" in reply, reply
    assert "<|im_" not in reply  # the chat template's end-of-turn token stops generation


# -- a model server (OpenAI-compatible) ---------------------------------------------------------


@pytest.fixture(scope="module")
def smollm2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("server") / "llama-server.log"
    with llama_server(resolve_llm("smollm2-135m", settings=Settings.from_env()), log=log, n_ctx=2048) as url:
        yield url


def test_a_model_server_replies_as_the_same_model_in_process(smollm2_server: str, smollm2: LlamaCppGenerator) -> None:
    static = [{"role": "system", "content": SYSTEM}, *FEW_SHOT]
    asked = [*static, {"role": "user", "content": "Spørgsmål: Hvad koster en ny skole?"}]
    served = load_generator(f"openai:local@{smollm2_server}", settings=Settings.from_env())
    pieces = list(served.stream(asked, max_tokens=16))
    assert len(pieces) > 1 and all(pieces)  # streamed, not one block
    assert "".join(pieces) == "".join(smollm2.stream(asked, max_tokens=16))  # same prompt, same greedy reply
    whole = "".join(served.stream(COUNT, max_tokens=24))
    assert "2" in whole and "".join(served.stream(COUNT, max_tokens=24, stop=["2"])) == whole[: whole.index("2")]


def test_a_model_server_that_is_down_is_a_clear_error() -> None:
    port = free_port()  # nothing listens there
    g = OpenAIGenerator("qwen", f"http://127.0.0.1:{port}/v1", connect_timeout=2)
    with pytest.raises(ModelUnavailable, match=rf"model server at http://127.0.0.1:{port}/v1 cannot be reached"):
        list(g.stream(USER, max_tokens=4))


def test_a_model_server_that_does_not_answer_in_time_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # accepts the connection, never answers
        s.bind(("127.0.0.1", 0))
        s.listen()
        g = OpenAIGenerator("qwen", f"http://127.0.0.1:{s.getsockname()[1]}/v1", timeout=1)
        with pytest.raises(ModelUnavailable, match="did not answer within 1 s"):
            list(g.stream(USER, max_tokens=4))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("openai:qwen", "openai:MODEL@URL"),
        ("openai:@http://h:8000/v1", "needs a model name"),
        ("openai:qwen@h:8000", "must start with http"),
    ],
)
def test_a_model_server_name_says_its_form(name: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_generator(name, settings=Settings.from_env())
