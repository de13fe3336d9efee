"""Contract tests for every `Embedder`, plus the sentence-transformers specifics."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import ConfigError
from models.registry import resolve_embedder
from models.settings import Settings
from rag.embed import Embedder, HashEmbedder, SentenceTransformerEmbedder, length_sorted_batches

PASSAGES = [
    "Byrådet godkendte en anlægsbevilling på 12 mio. kr. til renovering af Nørre Skole.",
    "KD-Net godkendte processen og den foreslåede indfasning af den nye fordelingsmodel for Midttrafik.",
    "Regionsrådet tog orienteringen om trafiksikkerhedsplanen og de 14 nye cykelstier til efterretning.",
    "Mødet blev hævet kl. 16.30.",
]

_st: SentenceTransformerEmbedder | None = None


def _sentence_transformer() -> Embedder:
    global _st
    if _st is None:
        s = Settings.from_env()
        _st = SentenceTransformerEmbedder(resolve_embedder(s.embedder, settings=s), name=s.embedder, threads=s.threads)
    return _st


_by_name: dict[str, SentenceTransformerEmbedder] = {}


def _registered(name: str) -> Callable[[], Embedder]:
    def make() -> Embedder:
        if name not in _by_name:
            s = Settings.from_env()
            _by_name[name] = SentenceTransformerEmbedder(
                resolve_embedder(name, settings=s), name=name, threads=s.threads
            )
        return _by_name[name]

    return make


EMBEDDERS: list[object] = [
    pytest.param(lambda: HashEmbedder(dimension=128), id="hash"),
    pytest.param(_sentence_transformer, id="sentence-transformers", marks=pytest.mark.slow),
    pytest.param(_registered("multilingual-e5-small-torch"), id="e5-torch", marks=pytest.mark.slow),
    pytest.param(_registered("multilingual-e5-small"), id="e5-onnx-fp32", marks=pytest.mark.slow),
]


@pytest.fixture(params=EMBEDDERS)
def embedder(request: pytest.FixtureRequest) -> Embedder:
    make: Callable[[], Embedder] = request.param
    return make()


def test_passages_are_unit_float32_rows_in_order(embedder: Embedder) -> None:
    m = embedder.embed_passages(PASSAGES)
    assert m.shape == (len(PASSAGES), embedder.dimension) and m.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(m, axis=1), 1.0, atol=1e-5)
    one = embedder.embed_passages(PASSAGES[2:3])[0]
    np.testing.assert_allclose(m[2], one, atol=1e-5)  # batching and order do not change a vector


def test_query_is_a_unit_vector(embedder: Embedder) -> None:
    q = embedder.embed_query("Hvad besluttede KD-Net om Midttrafik?")
    assert q.shape == (embedder.dimension,) and q.dtype == np.float32
    assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-5


def test_empty_input_gives_an_empty_matrix(embedder: Embedder) -> None:
    assert embedder.embed_passages([]).shape == (0, embedder.dimension)


def test_a_query_finds_the_passage_sharing_its_words(embedder: Embedder) -> None:
    scores = embedder.embed_passages(PASSAGES) @ embedder.embed_query("Midttrafik fordelingsmodel KD-Net")
    assert int(np.argmax(scores)) == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Hvor mange penge fik skolen til at blive istandsat?", 0),  # renovering/anlægsbevilling
        ("Hvordan skal udgifterne til den kollektive trafik fordeles fremover?", 1),  # fordelingsmodel
        ("Hvilke planer er der for cyklister?", 2),  # cykelstier
        ("Hvornår sluttede mødet?", 3),  # hævet kl. 16.30
    ],
)
def test_paraphrased_danish_questions_find_their_passage(question: str, expected: int) -> None:
    e = _sentence_transformer()
    scores = e.embed_passages(PASSAGES) @ e.embed_query(question)
    assert int(np.argmax(scores)) == expected, scores


def test_constructor_is_cheap_and_records_the_name() -> None:
    e = SentenceTransformerEmbedder("/nowhere/at/all", name="multilingual-e5-small")
    assert e.model_id == "multilingual-e5-small"
    assert e._model is None  # nothing loaded until first use


def test_model_id_defaults_to_what_was_given() -> None:
    assert SentenceTransformerEmbedder("intfloat/multilingual-e5-base").model_id == "intfloat/multilingual-e5-base"


@pytest.mark.parametrize("kw", [{"batch_size": 0}, {"threads": 0}])
def test_bad_arguments_name_the_value(kw: dict[str, int]) -> None:
    with pytest.raises(ConfigError, match="got 0: pass"):
        SentenceTransformerEmbedder("x", **kw)  # type: ignore[arg-type]


@pytest.mark.slow
def test_sentence_transformer_specifics(monkeypatch: pytest.MonkeyPatch) -> None:
    e = _sentence_transformer()
    assert isinstance(e, SentenceTransformerEmbedder)
    assert e.dimension == 384
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"  # a local model never reaches for the hub
    # The E5 prompts matter: the same text as query and as passage gives different vectors.
    text = PASSAGES[0]
    assert float(e.embed_query(text) @ e.embed_passages([text])[0]) < 0.999
    # Progress reporting batches by length but returns rows in input order.
    e.batch_size = 2
    seen: list[tuple[int, int]] = []
    with_progress = e.embed_passages(PASSAGES, on_progress=lambda d, t: seen.append((d, t)))
    e.batch_size = 16
    np.testing.assert_allclose(with_progress, e.embed_passages(PASSAGES), atol=1e-5)
    assert seen == [(2, 4), (4, 4)]


def test_the_same_question_is_embedded_once() -> None:
    class Model:
        calls = 0

        def encode(self, texts: list[str], **kw: object) -> np.ndarray:
            Model.calls += 1
            return np.ones((len(texts), 4), dtype=np.float32)

    e = SentenceTransformerEmbedder("/nowhere/at/all")
    e._model = Model()
    first = e.embed_query("Hvad besluttede KD-Net?")
    first[0] = 9.0  # a caller's change does not reach the kept vector
    assert e.embed_query("Hvad besluttede KD-Net?")[0] == 1.0 and Model.calls == 1
    e.embed_query("Hvem deltog?")
    assert Model.calls == 2


class _RecordingModel:
    """A stand-in model: one batch per call recorded; each vector encodes its text's length."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def get_embedding_dimension(self) -> int:
        return 4

    def encode(self, texts: list[str], **kw: object) -> np.ndarray:
        self.batches.append(list(texts))
        v = np.array([[len(t), 1.0, 0.0, 0.0] for t in texts], dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_passages_are_batched_by_length_and_returned_in_input_order() -> None:
    texts = ["kort", "en noget længere tekst her", "mellemlang tekst", "x", "den allerlængste tekst af dem alle sammen"]
    model = _RecordingModel()
    e = SentenceTransformerEmbedder("/nowhere/at/all", batch_size=2, passage_prompt="")
    e._model = model
    seen: list[tuple[int, int]] = []
    got = e.embed_passages(texts, on_progress=lambda d, t: seen.append((d, t)))
    # Longest first, two at a time: each batch holds texts of similar length.
    assert [[len(t) for t in b] for b in model.batches] == [[41, 26], [16, 4], [1]]
    np.testing.assert_allclose(got, model.encode(texts), atol=1e-6)  # row i is texts[i]'s vector
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_length_sorted_batches_cover_every_index_once() -> None:
    texts = ["a" * n for n in (5, 1, 9, 3, 3, 7, 2)]
    batches = length_sorted_batches(texts, 3)
    assert sorted(i for b in batches for i in b) == list(range(len(texts)))
    lengths = [len(texts[i]) for b in batches for i in b]
    assert lengths == sorted(lengths, reverse=True) and all(len(b) <= 3 for b in batches)


def test_onnx_backend_is_chosen_by_the_folder(tmp_path: Path) -> None:
    from rag.embed import ONNX_CONFIG

    assert SentenceTransformerEmbedder(str(tmp_path)).backend == "torch"
    (tmp_path / ONNX_CONFIG).write_text("{}")
    assert SentenceTransformerEmbedder(str(tmp_path)).backend == "onnx"


@pytest.mark.slow
def test_the_onnx_encoder_lets_idle_threads_sleep() -> None:
    """Spinning threads cost the encoder a third of its speed on shared cores (rag/embed.py)."""
    from rag.embed import SPINNING, OnnxEncoder

    encoder = _registered("multilingual-e5-small-int8")()
    assert isinstance(encoder, SentenceTransformerEmbedder)
    model = encoder.warm_up()
    assert isinstance(model, OnnxEncoder)
    assert model.session.get_session_options().get_session_config_entry(SPINNING) == "0"


@pytest.mark.slow
def test_the_onnx_encoder_side_by_side_gives_each_text_its_own_vector_in_order() -> None:
    """Texts run two at a time (one thread each): the vectors are those of each text run alone, in order."""
    from rag.embed import OnnxEncoder

    s = Settings.from_env()
    encoder = OnnxEncoder(Path(resolve_embedder("multilingual-e5-small-int8", settings=s)), threads=2)
    texts = [*PASSAGES, *(p.upper() for p in PASSAGES)]
    together = encoder.encode(texts, prompt="passage: ")
    alone = np.stack([encoder.encode([t], prompt="passage: ")[0] for t in texts])
    assert encoder.workers == 2 and together.shape == (8, 384)
    assert np.array_equal(together, alone)
    assert not np.array_equal(together[0], together[1])
