"""The run behind `referat eval`: a temporary index when given a corpus, the variants side by side, the report.

Every variant is an `Assistant` on the same index and embedder: one per LLM, an extractive one (no LLM),
and any extra answer configurations, each measured by `rag.measure.evaluation.evaluate`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from ingest.errors import ConfigError
from models.settings import Settings
from rag.answer import AnswerConfig
from rag.assistant import Assistant
from rag.measure.evaluation import AnswerResult, Question, Report, evaluate


def answer_config(specs: Sequence[str]) -> AnswerConfig:
    """`["max_source_chars=1600"]` -> AnswerConfig with that field set (typed like its default).

    >>> answer_config(["max_source_chars=1600"]).max_source_chars
    1600
    """
    base = AnswerConfig()
    types = {f.name: type(getattr(base, f.name)) for f in fields(base)}
    changes: dict[str, Any] = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not sep or key not in types:
            raise ConfigError(f"--config expects one of {', '.join(types)} as KEY=VALUE, got {spec!r}")
        try:
            if types[key] is bool:
                if value.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(value)
                changes[key] = value.lower() in ("true", "1")
            else:
                changes[key] = types[key](value)
        except ValueError:
            raise ConfigError(f"--config {key} must be a {types[key].__name__}, got {value!r}") from None
    return replace(base, **changes)


def run_eval(
    questions: Sequence[Question],
    *,
    questions_path: Path,
    settings: Settings,
    corpus: Path | None = None,
    index: Path | None = None,
    store: str | None = None,
    retrieval_only: bool = False,
    no_llm: bool = False,
    llms: Sequence[str] = (),
    config: Sequence[str] = (),
    variants: Sequence[str] = (),
    on_skip: Callable[[str, str], None] = lambda path, error: None,
    on_answer: Callable[[str, AnswerResult], None] | None = None,
) -> Report:
    """Measure retrieval and the answers of each variant on `index`, or on `corpus` ingested into a temporary
    index (`on_skip(path, error)` for each file that fails to ingest). With `store` (a `postgresql://` URL) the
    PostgreSQL store is measured instead: `corpus`, when given, is ingested into it first (use an empty database).

    Variants: one per name in `llms` (default `settings.llm` unless `no_llm`), `extractive` when `no_llm` or
    no LLM is named, and one per `variants` spec `NAME:KEY=VALUE[,KEY=VALUE]` on `settings.llm`; `config`
    (`KEY=VALUE`) applies to all of them.
    Usage: `run_eval(load_questions(p), questions_path=p, settings=Settings.from_env(), corpus=Path("data/sample"))`.
    """
    from rag.corpus import expand_paths, ingest_files
    from rag.embed import load_embedder
    from rag.generate import load_generator
    from rag.stores import open_or_create_store, shown

    if index is None and corpus is None and store is None:
        raise ConfigError("give --corpus DIR (ingested into a temporary index), --index DIR or --store URL")
    with tempfile.TemporaryDirectory(prefix="referat-eval-") as tmp:
        index_dir: Path | str | None = store or index
        if index_dir is None or (store and corpus is not None):
            assert corpus is not None
            index_dir = index_dir or Path(tmp) / "index"
            embedder = load_embedder(settings.embedder, settings=settings)
            reports = ingest_files(expand_paths([corpus]), open_or_create_store(index_dir, embedder), embedder)
            for r in reports:
                if r.error:
                    on_skip(r.path, r.error)
        base = answer_config(config)
        shared = load_embedder(settings.embedder, settings=settings)

        def assistant(llm: str | None, answer: AnswerConfig) -> Assistant:
            def generator() -> Any:
                return load_generator(llm, settings=settings) if llm else None

            return Assistant(index_dir, shared, generator_factory=generator, answer_config=answer)

        names = list(llms) or ([] if no_llm else [settings.llm])
        sides = {n: assistant(n, base) for n in names}
        if no_llm or not sides:
            sides["extractive"] = assistant(None, base)
        for spec in variants:
            name, _, changes = spec.partition(":")
            sides[name] = assistant(settings.llm, answer_config([*config, *filter(None, changes.split(","))]))
        return evaluate(
            sides,
            questions,
            corpus=str(corpus or shown(index_dir)),
            questions_path=str(questions_path),
            retrieval_only=retrieval_only,
            on_answer=on_answer,
        )
