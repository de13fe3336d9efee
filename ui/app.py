"""The web app: chat with sources first and the answer streaming in, uploads, briefings, decisions.

`build_app(assistant)` is cheap: it wires plain handler functions (unit-tested with a fake assistant)
to Gradio components and loads nothing; the index and models load on the first request.
Everything shown from a document is escaped: documents are untrusted input.

>>> # demo = build_app(assistant); launch(assistant, host="127.0.0.1", port=7860)
"""

from __future__ import annotations

import html
import os
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Referat never phones home: no analytics, no telemetry, no calls to the Hugging Face hub. Set before Gradio
# (and through it huggingface_hub) is imported: both read these at import time, hence the imports below it.
# ruff: noqa: E402
from models.settings import set_offline_environment

set_offline_environment()

import gradio as gr

from ingest.danish import date_dk
from ingest.errors import IndexMissing, ReferatError
from ingest.readers import MAX_FILE_BYTES, SUPPORTED_SUFFIXES
from ingest.records import page_label
from rag.citations import CITATION_RE
from rag.filters import Filters

if TYPE_CHECKING:
    from rag.answer import Answer
    from rag.assistant import Assistant
    from rag.citations import Source
    from rag.conversation import Turn
    from rag.corpus import FileReport
    from rag.index import DocumentInfo
    from rag.ingest_progress import IngestProgress
    from ui.question_log import QuestionLog
    from ui.users import Logins, Rights

# Gradio's own shapes: the chat in its "messages" form ({"role", "content"} dicts), and a component update.
Chat = list[dict[str, Any]]
Update = dict[str, Any]

FILE_TYPES = list(SUPPORTED_SUFFIXES)
# Gradio refuses a bigger upload before it is stored, and checks the type again on the server (a browser's
# file picker filter is only a hint); the ingest itself refuses the same sizes and types.
MAX_FILE_SIZE = MAX_FILE_BYTES
OUTCOMES = ["godkendt", "taget til efterretning", "drøftet", "besluttet", "udsat", "afvist", "ingen", "ukendt"]
ALL = "Alle"
DECISION_HEADERS = ["Organ", "Dato", "Punkt", "Titel", "Udfald", "Beslutning", "Dokument"]
DECISION_CELL_CHARS = 200
NO_SOURCES = '<p class="kilde-tom">Kilderne vises her, så snart du har stillet et spørgsmål.</p>'
SEARCHING = "_Søger i referaterne …_"
WRITING = "_Kilderne er fundet – svaret skrives …_"
DRAFT = "_Udkast – kontrolleres, når det er skrevet:_\n\n"
SUMMARY_PENDING = "_Modellen skriver et sammendrag under citaterne …_"
SUMMARY_DRAFT = "**Sammendrag fra modellen** _(udkast – kontrolleres, når det er skrevet):_\n\n"
SUMMARY_KEPT = (
    "**Sammendrag fra modellen** _(kontrolleret: henvisninger, tal og navne står i de citerede punkter):_\n\n"
)

# Answers phrased at once when the model runs on a server (`REFERAT_LLM=openai:MODEL@URL`): the server queues or
# batches what it gets (vLLM batches many; llama.cpp's server runs one and queues the rest), so more in flight
# costs the app a thread each, and an answer made in code (the register, a count) need not wait behind one
# the model phrases. 8: the team the load test measures (8 users at once), well under Gradio's 40 worker threads.
# With the model in this process it is 1: llama.cpp phrases one answer at a time, and Gradio's queue serves the
# others in the order they asked, showing each its place ("I kø: 2 af 3").
PARALLEL_ANSWERS = 8
# The ask handler's name in the app's HTTP API (`gradio_client`'s api_name "/on_ask"; Gradio names an event's
# API after its function, the second event with it "on_ask_1"): what the load and security tests call.
ASK_API = "on_ask"

SUMMARY_DROPPED = "_Modellens sammendrag blev droppet: "

_WORD = re.compile(r"[\wæøåÆØÅ-]{4,}")
_SNIPPET_CHARS = 420

CSS = """
.kilde { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
         margin: 0 0 10px 0; background: var(--background-fill-secondary); scroll-margin-top: 12px; }
.kilde.valgt { outline: 3px solid var(--color-accent); }
.kilde-head { font-size: 0.9em; color: var(--body-text-color-subdued); }
.kilde-nr { display: inline-block; min-width: 1.6em; text-align: center; border-radius: 4px;
            background: var(--color-accent); color: white; font-weight: bold; margin-right: 6px; }
.kilde-titel { font-weight: bold; margin: 4px 0; }
.kilde-beslutning { margin: 6px 0; }
.kilde-uddrag { margin: 6px 0; padding-left: 8px; border-left: 3px solid var(--color-accent);
                font-size: 0.92em; }
.kilde details summary { cursor: pointer; color: var(--color-accent); margin-top: 4px; }
.kilde-tekst { white-space: pre-wrap; font-size: 0.9em; max-height: 420px; overflow-y: auto;
               margin-top: 6px; }
mark { background: #fff1a8; color: inherit; }
#samtale .progress-text { font-size: 0.95em; font-weight: bold; }
"""

# Citation links in the chat jump to (and open) their card, in this tab rather than a new one.
HEAD = r"""
<script>
document.addEventListener("click", function (ev) {
  var a = ev.target.closest && ev.target.closest('a[href^="#kilde-"]');
  if (!a) return;
  var card = document.getElementById(a.getAttribute("href").slice(1));
  if (!card) return;
  ev.preventDefault(); ev.stopPropagation();
  document.querySelectorAll(".kilde.valgt").forEach(function (c) { c.classList.remove("valgt"); });
  card.classList.add("valgt");
  var d = card.querySelector("details"); if (d) d.open = true;
  card.scrollIntoView({behavior: "smooth", block: "start"});
}, true);
// A question waiting in the queue shows its place on the chat, which Gradio writes in English ("queue: 2/3 |"
// before the seconds waited): said here in Danish, each time Gradio writes it again.
(function () {
  var queued = /queue: (\d+)\/(\d*) \|/;
  function danish() {
    document.querySelectorAll(".progress-text").forEach(function (el) {
      el.childNodes.forEach(function (n) {
        var m = n.nodeType === 3 && queued.exec(n.nodeValue);
        if (m) n.nodeValue = n.nodeValue.replace(queued, "I kø: nr. " + m[1] + (m[2] ? " af " + m[2] : "") + " ·");
      });
    });
  }
  new MutationObserver(danish).observe(document.documentElement, {subtree: true, childList: true, characterData: true});
})();
</script>
"""


# ---------------------------------------------------------------------------------------------
# Formatting (pure functions)


def _date_dk(date: str | None) -> str:
    if not date:
        return "ukendt dato"
    return date_dk(date)


def _highlight_terms(text: str, terms: Iterable[str]) -> str:
    """`text` escaped, with whole-word occurrences of `terms` wrapped in <mark>."""
    words = sorted({t for t in terms if len(t) >= 4}, key=len, reverse=True)
    if not words:
        return html.escape(text)
    pattern = re.compile(r"(?<![\w])(" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _mark_passages(text: str, passages: Sequence[str]) -> str:
    """The item's whole `text`, escaped, with every retrieved passage found in it in <mark>."""
    spans: list[tuple[int, int]] = []
    for p in passages:
        p = p.strip()
        at = text.find(p) if p else -1
        if at >= 0:
            spans.append((at, at + len(p)))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _question_terms(question: str) -> list[str]:
    return [w for w in _WORD.findall(question) if w.lower() not in {"hvad", "besluttede", "blev", "hvor"}]


def source_card(n: int, source: Source, question: str = "") -> str:
    """One source as an HTML card with anchor `kilde-N`; its <details> hold the whole item.

    >>> from rag.citations import Source
    >>> s = Source("d", "6", "Midttrafik", "KD-Net", "2021-01-22", "Tekst <b>", decision=("Godkendt.",))
    >>> 'id="kilde-1"' in source_card(1, s) and "&lt;b&gt;" in source_card(1, s)
    True
    """
    where = f"punkt {html.escape(source.number)}" if source.number else "indledning"
    pages = page_label(source.pages)
    head = (
        f'<span class="kilde-nr">{n}</span><b>{html.escape(source.body or "ukendt organ")}</b>'
        f" · {_date_dk(source.date)} · {where}" + (f" · {pages}" if pages else "")
    )
    parts = [
        f'<div class="kilde" id="kilde-{n}" data-label="{html.escape(source.label)}">',
        f'<div class="kilde-head">{head}</div>',
        f'<div class="kilde-titel">{html.escape(source.title)}</div>',
    ]
    if source.decision:
        outcome = f" ({html.escape(source.outcome)})" if source.outcome not in ("ukendt", "ingen") else ""
        decided = html.escape(" ".join(source.decision))
        parts.append(f'<div class="kilde-beslutning"><b>Beslutning{outcome}:</b> {decided}</div>')
    else:
        parts.append('<div class="kilde-beslutning"><i>Ingen beslutning fundet i punktet.</i></div>')
    if source.excerpts:
        best = source.excerpts[0].strip()
        if len(best) > _SNIPPET_CHARS:
            best = best[:_SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
        parts.append(f'<div class="kilde-uddrag">{_highlight_terms(best, _question_terms(question))}</div>')
    parts.append(
        "<details><summary>Vis hele punktet</summary>"
        f'<div class="kilde-tekst">{_mark_passages(source.text, source.excerpts)}</div></details>'
    )
    parts.append("</div>")
    return "".join(parts)


def source_cards(sources: Sequence[Source], question: str = "") -> str:
    """All sources as cards, numbered from 1 in retrieval order."""
    if not sources:
        return '<p class="kilde-tom">Ingen punkter passer til spørgsmålet og filtrene.</p>'
    cards = "".join(source_card(n, s, question) for n, s in enumerate(sources, 1))
    return f'<div class="kilder"><h3>Kilder ({len(sources)})</h3>{cards}</div>'


def _norm_label(label: str) -> str:
    return " ".join(label.casefold().split())


def link_citations(text: str, sources: Sequence[Source]) -> str:
    """`text` escaped, each `[label]` that names a source turned into a link to its card.

    >>> from rag.citations import Source
    >>> s = Source("d", "6", "Midttrafik", "KD-Net", "2021-01-22", "x")
    >>> link_citations("Ja [KD-Net 22.01.2021, punkt 6].", [s])
    'Ja <a href="#kilde-1" class="kilde-link">[KD-Net 22.01.2021, punkt 6]</a>.'
    """
    numbers = {_norm_label(s.label): n for n, s in enumerate(sources, 1)}
    out, pos = [], 0
    for m in CITATION_RE.finditer(text):
        n = numbers.get(_norm_label(f"{m.group(1)}, {m.group(2)}"))
        if n is None:
            continue
        out.append(html.escape(text[pos : m.start()], quote=False))
        out.append(f'<a href="#kilde-{n}" class="kilde-link">{html.escape(m.group(0), quote=False)}</a>')
        pos = m.end()
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def format_answer(answer: Answer, sources: Sequence[Source]) -> str:
    """The final answer as chat text: linked citations, and a note on how it was made."""
    text = link_citations(answer.text, sources)
    if answer.abstained:
        if answer.problems:
            text += "\n\n_Hvorfor: " + _md_escape("; ".join(answer.problems)) + "._"
        if sources:
            text += "\n\n_De nærmeste punkter står under Kilder._"
        return text
    if answer.extractive:
        note = "Citeret direkte fra referatet."
        if answer.problems:
            note = "Modellens udkast bestod ikke kontrollen, så her er citater fra referatet i stedet."
        text += f"\n\n_{note}_"
    return text


def format_summarised(quoted: Answer, final: Answer, sources: Sequence[Source]) -> str:
    """The checked quotes (`quoted`, shown first) with what the model's summary came to (`final`): the
    summary under them when it passed the checks, else a note that it was dropped and why. When the model
    found no answer in the quotes and no check overruled it, the abstention replaces them."""
    if final.abstained:
        return format_answer(final, sources)
    shown = format_answer(quoted, sources)
    if final.summary:
        return f"{shown}\n\n{SUMMARY_KEPT}{link_citations(final.summary, sources)}"
    if final.problems:
        return f"{shown}\n\n{SUMMARY_DROPPED}{_md_escape('; '.join(final.problems))}._"
    return shown


# ---------------------------------------------------------------------------------------------
# Handlers (plain functions of an assistant; Gradio errors are the UI's edge)


@contextmanager
def _shown(what: str = "") -> Iterator[None]:
    """The UI's one translation of library errors: a `ReferatError` is shown to the user as a `gr.Error`
    (its message, after `what`)."""
    try:
        yield
    except ReferatError as e:
        raise gr.Error(f"{what}{e}") from None


def make_filters(bodies: Sequence[str] | None, date_from: str | None, date_to: str | None) -> Filters:
    """Filters from the filter bar; a bad date becomes a visible error.

    >>> make_filters(["KD-Net"], "2021-01-01", "").date_to is None
    True
    """
    with _shown("Ugyldigt filter: "):
        return Filters(
            bodies=tuple(b for b in (bodies or ()) if b),
            date_from=(date_from or "").strip() or None,
            date_to=(date_to or "").strip() or None,
        )


def ask(
    assistant: Assistant,
    question: str,
    history: Chat | None,
    bodies: Sequence[str] | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    previous: Turn | None = None,
    stopped: Callable[[], bool] = lambda: False,
) -> Iterator[tuple[Chat, str, str, Turn | None]]:
    """Stream (chat history, source cards HTML, question box, conversation turn) updates for one question.

    The question is read against the previous turn (`previous`, kept by the browser session): a follow-up
    ("Hvad koster det?") is answered as understood, and the reading is shown ("Forstået som: ..."); one that
    cannot be read is answered by asking what it refers to. Sources come first, then the checked answer
    (quotes or the recorded decision, cited), then the model's summary under it as provisional text, then
    what the checks made of the summary. The last update carries the turn the next question is read against.
    Once `stopped()` says the user started over, the stream ends with the empty chat.
    """
    from rag.answer import Answer, Checked
    from rag.assistant import Retrieved, next_turn
    from rag.conversation import Reading, is_restart

    question = (question or "").strip()
    history = list(history or [])
    if not question:
        raise gr.Error("Skriv et spørgsmål.")
    if is_restart(question):  # typed as the button says: a new conversation
        yield [], NO_SOURCES, "", None
        return
    filters = make_filters(bodies, date_from, date_to)
    history.append({"role": "user", "content": question})
    history.append({"role": "assistant", "content": SEARCHING})
    cards = NO_SOURCES
    yield list(history), cards, "", previous
    sources: Sequence[Source] = ()
    quoted: Answer | None = None
    reading: Reading | None = None
    understood = ""
    draft: list[str] = []
    turn = previous
    with _shown():
        for event in assistant.converse_stream(question, previous, filters=filters):
            if stopped():  # the user started over: this answer belongs to the old chat. Gradio shows a
                yield [], NO_SOURCES, "", None  # stream's last update again when it ends: make it the empty chat
                return
            if isinstance(event, Reading):
                reading = event
                understood = f"_Forstået som: {_md_escape(event.understood or '')}_\n\n" if event.rewritten else ""
                continue
            if isinstance(event, Retrieved):
                sources = event.sources
                cards = source_cards(sources, reading.understood or question if reading else question)
                content = WRITING
            elif isinstance(event, Checked):
                quoted = event.answer
                content = f"{format_answer(quoted, sources)}\n\n{SUMMARY_PENDING}"
            elif isinstance(event, Answer):
                content = format_answer(event, sources) if quoted is None else format_summarised(quoted, event, sources)
                if reading is not None and reading.understood is not None:
                    turn = next_turn(reading, event)
            else:
                draft.append(event)
                written = html.escape("".join(draft), quote=False)
                content = (
                    DRAFT + written
                    if quoted is None
                    else f"{format_answer(quoted, sources)}\n\n{SUMMARY_DRAFT}{written}"
                )
            history[-1] = {"role": "assistant", "content": understood + content}
            yield list(history), cards, "", turn


def answer_shown(chat: Chat) -> bool:
    """Whether `chat` (the ask handler's last update, as a client receives it) ends in a finished answer: a reply
    that is neither a placeholder nor a draft still being written or checked.

    >>> answer_shown([{"role": "user", "content": "?"}, {"role": "assistant", "content": SEARCHING}])
    False
    >>> answer_shown([{"role": "user", "content": "?"}, {"role": "assistant", "content": "Ja [KD-Net ...]."}])
    True
    """
    if not chat or chat[-1].get("role") != "assistant":
        return False
    content = chat[-1].get("content")
    if isinstance(content, list):  # a client may give the parts of a message
        content = "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    text = str(content or "")
    unfinished = (SEARCHING, WRITING, SUMMARY_PENDING)
    return bool(text.strip()) and not text.endswith(unfinished) and DRAFT not in text and SUMMARY_DRAFT not in text


def answer_begun(chat: Chat) -> bool:
    """Whether `chat` (an update of the ask handler) shows an answer to read: the checked quotes or decision, or the
    model's draft, rather than a placeholder ("Søger i referaterne …").

    >>> [answer_begun([{"role": "assistant", "content": text}]) for text in (WRITING, "Ja [KD-Net ...].")]
    [False, True]
    """
    if not chat or chat[-1].get("role") != "assistant":
        return False
    content = chat[-1].get("content")
    if isinstance(content, list):
        content = "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    text = str(content or "")
    return bool(text.strip()) and not text.endswith((SEARCHING, WRITING))


def dropped_summary(chat: Chat) -> str | None:
    """Why the model's summary under the chat's last answer was dropped (a check it failed, or the model's error,
    as the answer says it), else None.

    >>> dropped_summary([{"role": "assistant", "content": "Citat.\\n\\n" + SUMMARY_DROPPED + "tallet 7 står ikke._"}])
    'tallet 7 står ikke'
    """
    content = chat[-1].get("content") if chat else None
    if isinstance(content, list):
        content = "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    text = str(content or "")
    if SUMMARY_DROPPED not in text:
        return None
    return text.split(SUMMARY_DROPPED, 1)[1].split("._", 1)[0].replace("\\", "")


def start_over() -> tuple[Chat, str, str, list[str], str, str, None]:
    """Empty chat, no sources, empty question and filters, and no turn to read a follow-up against."""
    return [], NO_SOURCES, "", [], "", "", None


def case_rows(assistant: Assistant, query: str) -> tuple[str, list[list[str]]]:
    """A case's timeline (`Assistant.case`: a case number or words naming the matter) as a Markdown heading
    and table rows (DECISION_HEADERS), oldest meeting first; a line saying so when nothing matches."""
    query = (query or "").strip()
    if not query:
        raise gr.Error("Skriv et sagsnummer eller hvad sagen handler om.")
    with _shown():
        try:
            case = assistant.case(query)
        except IndexMissing:
            return "Der er ingen dokumenter i indekset endnu.", []
    if case is None:
        return f"Ingen sag fundet for »{_md_escape(query)}«.", []
    n = len(case.steps)
    number = f" · sagsnr. {_md_escape(case.key)}" if case.numbered else ""
    head = f"**{_md_escape(case.title)}**{number} · behandlet på {n} {'møde' if n == 1 else 'møder'}, ældste først."
    rows = [
        [
            s.body or "",
            _date_dk(s.date) if s.date else "",
            s.number or "-",
            s.title,
            s.outcome,
            " ".join(s.decision),
            s.doc_id,
        ]
        for s in case.steps
    ]
    return head, rows


def body_choices(assistant: Assistant) -> list[str]:
    """The bodies (organer) of the indexed documents, sorted; empty when there is no index yet."""
    try:
        docs = assistant.documents()
    except IndexMissing:
        return []
    return sorted({info.body for _, info in docs if info.body}, key=str.casefold)


def ingest_uploads(
    assistant: Assistant,
    files: Sequence[Any] | None,
    *,
    on_progress: Callable[[IngestProgress], None] | None = None,
    lock: threading.Lock | None = None,
) -> str:
    """Ingest uploaded files into the assistant's index; a Markdown report with one line per file.

    `files` are what Gradio's upload gives: paths, or objects with the path as `name`. `on_progress` hears
    where the run stands before the first file and after each (files done, chunks/s, time left)."""
    paths = [Path(f if isinstance(f, str | os.PathLike) else getattr(f, "name", f)) for f in files or ()]
    if not paths:
        raise gr.Error("Vælg en eller flere filer først.")
    from rag.ingest_progress import IngestMeter

    meter = IngestMeter(paths)

    def step(report: FileReport) -> None:
        progress = meter.file_done(report)
        if on_progress:
            on_progress(progress)

    if on_progress:
        on_progress(meter.now())
    with lock or threading.Lock(), _shown():
        reports = assistant.ingest(paths, on_file=step, by_name=True)
    lines = []
    for r in reports:
        name = _md_escape(Path(r.path).name)
        if r.error:
            lines.append(f"- **FEJL** {name}: {_md_escape(r.error)}")
            continue
        if r.duplicate_of:
            lines.append(
                f"- **DUBLET** {name}: samme indhold som {_md_escape(Path(r.duplicate_of).name)}; ikke indlæst igen"
            )
            continue
        state = "uændret, allerede indlæst" if r.unchanged else f"{r.items} punkter indlæst"
        lines.append(f"- **OK** {name}: {state}")
        lines.extend(f"    - advarsel: {_md_escape(w)}" for w in r.warnings)
    ok = sum(1 for r in reports if not r.error and not r.duplicate_of)
    head = f"**{ok} af {len(reports)} filer indlæst.**"
    if ok:
        head += " De kan søges i med det samme."
    return head + "\n\n" + "\n".join(lines)


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def make_brief(
    assistant: Assistant,
    topic: str,
    bodies: Sequence[str] | None,
    date_from: str | None,
    date_to: str | None,
    *,
    out_dir: Path | None = None,
) -> tuple[str, str, str]:
    """The briefing note as Markdown, plus paths of its .md and .docx downloads."""
    topic = (topic or "").strip()
    if not topic:
        raise gr.Error("Skriv et emne.")
    filters = make_filters(bodies, date_from, date_to)
    with _shown():
        note = assistant.brief(topic, filters=filters)
    folder = Path(out_dir or tempfile.mkdtemp(prefix="referat-overblik-"))
    stem = re.sub(r"[^\wæøåÆØÅ-]+", "_", topic).strip("_")[:60] or "overblik"
    md_path = folder / f"overblik_{stem}.md"
    md_path.write_text(note.markdown, encoding="utf-8")
    docx_path = folder / f"overblik_{stem}.docx"
    markdown_to_docx(note.markdown, docx_path)
    return note.markdown, str(md_path), str(docx_path)


_MD_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")


def _plain(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    return re.sub(r"(\*\*|__)(.+?)\1", r"\2", text).replace("\\", "")


def markdown_to_docx(markdown: str, path: Path) -> Path:
    """Write the briefing's simple Markdown (headings, bullets, paragraphs) as a Word document."""
    import docx

    doc = docx.Document()
    for line in markdown.splitlines():
        s = line.strip()
        if not s:
            continue
        if s.startswith("# "):
            doc.add_heading(_plain(s[2:]), level=1)
        elif s.startswith("## "):
            doc.add_heading(_plain(s[3:]), level=2)
        elif s.startswith(("- ", "* ")):
            doc.add_paragraph(_plain(s[2:]), style="List Bullet")
        elif len(s) > 2 and s[0] == s[-1] == "_":
            doc.add_paragraph().add_run(_plain(s[1:-1])).italic = True
        else:
            doc.add_paragraph(_plain(s))
    doc.save(str(path))
    return path


DOCUMENT_HEADERS = ["Organ", "Dato", "Titel", "Art", "Punkter", "Fil"]
TITLE_CHARS = 100
# Where a document's opening stops naming the meeting and goes on to its details: "Referat af møde i KD-Net,
# den 22. januar 2021 Tid og sted: ...", "Byråd 2022-2025 Referat 15. maj 2023 kl. 19.00 Sted: ...".
_HEAD_DETAILS = re.compile(
    r"(?<=[a-zæøå]{3})\.(?=\s+[A-ZÆØÅ])"  # the end of the first sentence: "... på Søhusskolen. Der var mødt"
    r"|,?\s(?:Tid og sted|Mødedato|Mødested|Mødetidspunkt|Deltagere|Fremmødte|Fraværende|Indholdsfortegnelse"
    r"|(?:Sted|Tid|Dato|Afbud|Referent|Til stede)\s*:|kl\.\s*\d)"
)
# A page header the text layer repeats before the title it copies: "Dagsorden for bestyrelsesmøde i IMADA
# Fagråd Dagsorden for bestyrelsesmøde i IMADA Fagråd 13. December, 2024".
_REPEATED_OPENING = re.compile(r"^(.{12,}?)\s+(?=\1)")


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:–-") + " …"


def document_title(info: DocumentInfo, opening: str | None = None) -> str:
    """A title a person reads for an indexed document: the document's own words before its first item, up to
    where it lists the meeting's details, at most TITLE_CHARS; else `opening` (the title of its unnumbered
    part, for a document without recognised items); else its file name without extension.

    >>> from rag.index import DocumentInfo
    >>> head = "Referat af møde i KD-Net, den 22. januar 2021 Tid og sted: Fredag, kl. 10.00"
    >>> document_title(DocumentInfo("h", "/x/003_fc01.txt", "KD-Net", "2021-01-22", "referat", 21, 94, "", head))
    'Referat af møde i KD-Net, den 22. januar 2021'
    """
    head = _REPEATED_OPENING.sub("", info.head.strip())
    cut = _HEAD_DETAILS.search(head)
    title = (head[: cut.start()] if cut else head).strip(" ,.;:–-")
    if not title:
        title = (opening or "").strip() or Path(info.source).stem
    return _shorten(" ".join(title.split()), TITLE_CHARS)


def document_rows(assistant: Assistant) -> list[list[str]]:
    """The indexed documents as table rows, newest meeting first; none without an index. Each row holds the
    DOCUMENT_HEADERS columns and then the document id, which is for removing it, not for reading."""
    with _shown():
        try:
            docs = assistant.documents()
        except IndexMissing:
            return []
    rows = []
    for doc_id, info in docs:
        opening = None
        if not info.head.strip():
            item = assistant.item(doc_id, None)
            opening = item.title if item else None
        rows.append(
            [
                info.body or "",
                _date_dk(info.date) if info.date else "",
                document_title(info, opening),
                (info.kind or "").capitalize(),
                str(info.n_items),
                Path(info.source).name,
                doc_id,
            ]
        )
    return rows


def shown_documents(rows: Sequence[Sequence[str]]) -> list[list[str]]:
    """`document_rows` as the table shows them: without the document id."""
    return [list(r[: len(DOCUMENT_HEADERS)]) for r in rows]


def document_choices(rows: Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    """(label a person reads: organ · date · title, document id) for the remove dropdown; the file name is
    added where two documents would otherwise read the same."""
    labels = [" · ".join(x for x in (r[0], r[1], r[2]) if x) for r in rows]
    twice = {label for label, n in Counter(labels).items() if n > 1}
    return [(f"{label} ({r[5]})" if label in twice else label, r[-1]) for label, r in zip(labels, rows, strict=True)]


def remove_document(assistant: Assistant, doc_id: str | None, *, lock: threading.Lock | None = None) -> str:
    """Remove one document from the index; a Markdown line saying what happened."""
    if not doc_id:
        raise gr.Error("Vælg det dokument, der skal fjernes.")
    with lock or threading.Lock(), _shown():
        removed = assistant.remove_document(doc_id)
    if not removed:
        return f"Dokumentet {_md_escape(doc_id)} findes ikke (længere) i indekset."
    return f"**Fjernet:** {_md_escape(doc_id)}. Dets tekst er slettet fra indekset."


def decision_rows(
    assistant: Assistant,
    bodies: Sequence[str] | None,
    date_from: str | None,
    date_to: str | None,
    outcome: str | None,
    show_all: bool = False,
) -> list[list[str]]:
    """The decision register as table rows (DECISION_HEADERS): newest meeting first, each meeting's items in
    order; none without an index.

    Items that decide nothing (outcome "ingen": a paper's or an agenda's items, a document's opening before its
    first item) are left out unless `show_all`, or unless the chosen `outcome` asks for them."""
    filters = make_filters(bodies, date_from, date_to)
    chosen = None if outcome in (None, "", ALL) else outcome
    with _shown():
        try:
            rows = assistant.decisions(filters=filters, outcome=chosen)
        except IndexMissing:
            return []
    if not (show_all or chosen):
        rows = [r for r in rows if r.outcome != "ingen" and r.number is not None]
    # The register comes in date order, each meeting's items in order: a stable sort on the date alone turns
    # the meetings round and keeps the items in order (an undated document goes last).
    rows = sorted(rows, key=lambda r: r.date or "", reverse=True)
    return [
        [
            r.body or "",
            _date_dk(r.date) if r.date else "",
            r.number or "-",
            r.title,
            r.outcome,
            r.decision,
            r.doc_id,
        ]
        for r in rows
    ]


def item_html(assistant: Assistant, doc_id: str, number: str | None) -> str:
    """One agenda item's whole text as HTML (escaped), with its decision on top."""
    with _shown():
        item = assistant.item(doc_id, None if number in (None, "", "-") else number)
        info = assistant.document(doc_id)
    if item is None:
        return f"<p>Punktet findes ikke længere i indekset ({html.escape(doc_id)}).</p>"
    body = info.body if info else None
    date = info.date if info else None
    where = f"punkt {html.escape(item.number)}" if item.number else "indledning"
    if item.pages:
        where += f" · {page_label(item.pages)}"
    decided = html.escape(item.decision.text) or "<i>Ingen beslutning fundet i punktet.</i>"
    return (
        '<div class="kilde" id="punkt-vist">'
        f'<div class="kilde-head"><b>{html.escape(body or "ukendt organ")}</b> · {_date_dk(date)} · {where}'
        f" · {html.escape(doc_id)}</div>"
        f'<div class="kilde-titel">{html.escape(item.title)}</div>'
        f'<div class="kilde-beslutning"><b>Beslutning ({html.escape(item.decision.outcome)}):</b> {decided}</div>'
        f'<div class="kilde-tekst">{html.escape(item.text)}</div></div>'
    )


def selected_item(assistant: Assistant, rows: Sequence[Sequence[str]], index: Any, row_value: Any = None) -> str:
    """The item behind a selected register row (by the row's own values when Gradio gives them): `index` and
    `row_value` are Gradio's `SelectData.index` ([row, column], or the row) and `.row_value`."""
    row = list(row_value) if row_value else None
    if row is None:
        r = index[0] if isinstance(index, list | tuple) else index
        if not isinstance(r, int) or not 0 <= r < len(rows):
            return ""
        row = list(rows[r])
    return item_html(assistant, str(row[6]), str(row[2]))


# ---------------------------------------------------------------------------------------------
# The app


def _item_table(elem_id: str) -> gr.Dataframe:
    """A table of agenda items (DECISION_HEADERS): the register, a case's timeline. A long decision is cut
    short in its cell; a click shows the whole item under the table."""
    return gr.Dataframe(
        headers=DECISION_HEADERS,
        interactive=False,
        wrap=True,
        elem_id=elem_id,
        max_height=600,
        max_chars=DECISION_CELL_CHARS,
        column_widths=["12%", "9%", "5%", "23%", "10%", "31%", "10%"],
    )


def answer_concurrency(assistant: Assistant) -> int:
    """How many questions the app answers at once: `PARALLEL_ANSWERS` when the assistant's generator may be called
    concurrently (a model server, or no model), else 1. Loads no model (a generator is cheap to construct); a
    model that cannot be found counts as local, and says so when it is used.

    >>> from pathlib import Path
    >>> from rag.assistant import Assistant
    >>> from rag.embed import HashEmbedder
    >>> from rag.generate import OpenAIGenerator
    >>> server = OpenAIGenerator("qwen", "http://127.0.0.1:8000/v1")
    >>> answer_concurrency(Assistant(Path("idx"), HashEmbedder(8), generator_factory=lambda: server))
    8
    """
    try:
        parallel = assistant.parallel_answers
    except ReferatError:
        parallel = False
    return PARALLEL_ANSWERS if parallel else 1


NOT_LOGGED_IN = "Du er ikke logget ind (længere). Åbn siden /logout (log ud) og log ind igen."
NO_DOCUMENTS_RIGHT = "Du har ikke ret til at indlæse eller fjerne dokumenter. Spørg en administrator."


def build_app(
    assistant: Assistant,
    *,
    logins: Logins | None = None,
    question_log: QuestionLog | None = None,
    answers_at_once: int = 1,
) -> gr.Blocks:
    """The Gradio app for `assistant`. Cheap: nothing loads until the first request.

    With `logins` every handler works for the logged-in user's rights (`ui.users.Rights`): a user without
    the right to closed items is served by `assistant.without_closed()`, which shares the models, and
    uploads and removals are refused (and their controls hidden) for a user without the documents right.
    Without `logins` (local use on 127.0.0.1) the one user has every right. `question_log` records who
    asked what. `answers_at_once` questions are answered at a time (`answer_concurrency`).
    """
    ingest_lock = threading.Lock()
    reader = assistant.without_closed() if logins is not None else assistant

    def served(request: gr.Request | None) -> tuple[Assistant, Rights]:
        """The assistant for the user behind `request`, and their rights."""
        from ui.users import FULL

        if logins is None:
            return assistant, FULL
        with _shown():  # the users file gone or broken since the start
            rights = logins.rights(getattr(request, "username", None))
        if rights is None:  # no login, or the user was removed from the users file since
            raise gr.Error(NOT_LOGGED_IN)
        return (assistant if rights.closed else reader), rights

    def manager(request: gr.Request | None) -> Assistant:
        """The assistant for a user who may upload and remove documents; refused for others."""
        a, rights = served(request)
        if not rights.documents:
            raise gr.Error(NO_DOCUMENTS_RIGHT)
        return a

    # Uploaded files are copies of an organisation's documents: Gradio's cache of them is emptied hourly
    # (and at every start); the index keeps the text.
    with gr.Blocks(title="Referat", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# Referat\nSpørg om mødereferaterne. Hvert svar henviser til det dagsordenspunkt, det bygger på.")
        who = gr.Markdown(elem_id="bruger", visible=logins is not None)
        with gr.Row(equal_height=True):
            bodies = gr.Dropdown(
                label="Organ",
                elem_id="organ",
                choices=[],
                multiselect=True,
                allow_custom_value=True,
                scale=2,
                info="Tomt = alle organer",
            )
            date_from = gr.Textbox(label="Fra dato", placeholder="ÅÅÅÅ-MM-DD", scale=1)
            date_to = gr.Textbox(label="Til dato", placeholder="ÅÅÅÅ-MM-DD", scale=1)
        filters = [bodies, date_from, date_to]

        with gr.Tabs():
            with gr.Tab("Spørg", id="spoerg"), gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Samtale", height=520, elem_id="samtale", buttons=["copy"])
                    question = gr.Textbox(
                        label="Spørgsmål",
                        placeholder="Fx: Hvad besluttede KD-Net om Midttrafik?",
                        elem_id="spoergsmaal",
                        lines=1,
                        max_lines=4,
                    )
                    with gr.Row():
                        send = gr.Button("Spørg", variant="primary", elem_id="send")
                        reset = gr.Button("Start forfra", variant="secondary", elem_id="forfra")
                with gr.Column(scale=2):
                    cards = gr.HTML(NO_SOURCES, elem_id="kilder")

            with gr.Tab("Dokumenter", id="dokumenter"):
                with gr.Column(elem_id="upload-felt") as upload_box:
                    gr.Markdown(
                        "Upload referater og dagsordener (PDF, DOCX, HTML, TXT, MD eller JSON fra en "
                        f"dagsordensportal; højst {MAX_FILE_SIZE // 1_000_000} MB pr. fil). "
                        "De indlæses og kan søges i med det samme."
                    )
                    upload = gr.File(
                        label="Filer", file_count="multiple", file_types=FILE_TYPES, elem_id="upload", height=140
                    )
                    ingest_btn = gr.Button("Indlæs filer", variant="primary", elem_id="indlaes")
                    ingest_report = gr.Markdown(elem_id="indlaes-rapport")
                gr.Markdown("### Indlæste dokumenter")
                doc_table = gr.Dataframe(
                    headers=DOCUMENT_HEADERS,
                    interactive=False,
                    wrap=True,
                    elem_id="dokument-tabel",
                    max_height=360,
                    column_widths=["15%", "9%", "40%", "9%", "7%", "20%"],
                )
                with gr.Row(elem_id="fjern-felt") as remove_box:
                    doc_choice = gr.Dropdown(label="Dokument", choices=[], scale=4, elem_id="fjern-valg")
                    remove_btn = gr.Button("Fjern dokument", variant="stop", scale=1, elem_id="fjern")
                remove_report = gr.Markdown(elem_id="fjern-rapport")

            with gr.Tab("Overblik", id="overblik"):
                with gr.Row():
                    topic = gr.Textbox(label="Emne", placeholder="Fx: sociale investeringer", scale=4)
                    brief_btn = gr.Button("Lav overblik", variant="primary", scale=1)
                brief_md = gr.Markdown(elem_id="overblik-tekst")
                with gr.Row():
                    dl_md = gr.DownloadButton("Hent som Markdown", visible=False)
                    dl_docx = gr.DownloadButton("Hent som Word (DOCX)", visible=False)

            with gr.Tab("Beslutninger", id="beslutninger"):
                gr.Markdown(
                    "Nyeste møde først. Organ og datoer vælges i filteret øverst. "
                    "Klik på en række for at se hele punktet."
                )
                with gr.Row(equal_height=True):
                    outcome = gr.Dropdown(
                        label="Udfald", choices=[ALL, *OUTCOMES], value=ALL, scale=1, elem_id="udfald"
                    )
                    show_all = gr.Checkbox(
                        label="Vis også punkter uden beslutning",
                        value=False,
                        scale=1,
                        elem_id="vis-alle",
                        info="Indledninger og punkter i dagsordener og notater, der ikke beslutter noget",
                    )
                    show_btn = gr.Button("Vis beslutninger", variant="primary", scale=1)
                table = _item_table("beslutninger-tabel")
                rows_state = gr.State([])
                item_view = gr.HTML("<p>Vælg en række for at se hele punktet.</p>", elem_id="punkt")

            with gr.Tab("Sager", id="sager"):
                gr.Markdown(
                    "En sags forløb på tværs af møder og organer (fx fagudvalg → Økonomiudvalget → Byrådet), "
                    "fundet ved sagsnummeret eller ved det, sagen handler om. Klik på en række for at se punktet."
                )
                with gr.Row():
                    case_query = gr.Textbox(
                        label="Sagsnummer eller emne",
                        placeholder="Fx: 22-011322 eller Villa Sitka",
                        scale=4,
                        elem_id="sag-soeg",
                    )
                    case_btn = gr.Button("Vis forløb", variant="primary", scale=1, elem_id="sag-vis")
                case_head = gr.Markdown(elem_id="sag-overskrift")
                case_table = _item_table("sag-tabel")
                case_state = gr.State([])
                case_item = gr.HTML(elem_id="sag-punkt")

        # -- wiring ---------------------------------------------------------------------------
        # The turn a follow-up is read against, per browser session; "Start forfra" forgets it. The restarts
        # are counted here, on the server, per session: a State reaches each handler as its own copy.
        turn = gr.State(None)
        restarts: Counter[str] = Counter()

        # `previous` is a Turn | None; annotated Any because Gradio finds `request` by resolving the annotations
        # at run time, where Turn (imported for type checking only) is not defined.
        def on_ask(
            q: str, history: Chat, b: list[str], f: str, t: str, previous: Any, request: gr.Request
        ) -> Iterator[tuple[Chat, str, str, Any]]:
            a, _rights = served(request)
            if question_log is not None and (q or "").strip():
                question_log.write(request.username, q.strip())
            key = request.session_hash or ""
            started = restarts[key]
            yield from ask(a, q, history, b, f, t, previous, stopped=lambda: restarts[key] != started)

        def on_reset(request: gr.Request) -> tuple[Chat, str, str, list[str], str, str, None]:
            restarts[request.session_hash or ""] += 1  # an answer still streaming stops at its next step
            return start_over()

        ask_args: dict[str, Any] = {
            "fn": on_ask,
            "inputs": [question, chat, *filters, turn],
            "outputs": [chat, cards, question, turn],
            # Answers and ingests share one limit: one at a time with a local model, which both keep busy
            # (the index's own lock keeps questions out while an ingest changes it, whatever the limit).
            "concurrency_id": "model",
            "concurrency_limit": answers_at_once,
            "show_progress": "minimal",
        }
        send.click(**ask_args)
        question.submit(**ask_args)
        reset.click(on_reset, outputs=[chat, cards, question, *filters, turn], queue=False)

        def on_case(query: str, request: gr.Request | None = None) -> tuple[str, list[list[str]], list[list[str]], str]:
            head, rows = case_rows(served(request)[0], query)
            return head, rows, rows, ""

        case_btn.click(on_case, inputs=[case_query], outputs=[case_head, case_table, case_state, case_item])
        case_query.submit(on_case, inputs=[case_query], outputs=[case_head, case_table, case_state, case_item])

        def on_case_select(rows: list[list[str]], evt: gr.SelectData, request: gr.Request | None = None) -> str:
            return selected_item(served(request)[0], rows, evt.index, getattr(evt, "row_value", None))

        case_table.select(on_case_select, inputs=[case_state], outputs=[case_item])

        register_in = [*filters, outcome, show_all]
        register_out = [table, rows_state]

        def register(who: Assistant, b: list[str], f: str, t: str, o: str, a: bool) -> tuple[list[list[str]], ...]:
            rows = decision_rows(who, b, f, t, o, a)
            return rows, rows

        def documents(who: Assistant) -> tuple[list[list[str]], Update]:
            rows = document_rows(who)
            return shown_documents(rows), gr.update(choices=document_choices(rows), value=None)

        def on_decisions(
            b: list[str], f: str, t: str, o: str, a: bool, request: gr.Request | None = None
        ) -> tuple[list[list[str]], ...]:
            return register(served(request)[0], b, f, t, o, a)

        # Whatever changes the documents refreshes all that lists them: the body filter, the documents and
        # the register (under the filters as they stand).
        def on_ingest(
            files: list[Any],
            b: list[str],
            f: str,
            t: str,
            o: str,
            a: bool,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
            request: gr.Request | None = None,
        ) -> tuple[Any, ...]:
            who = manager(request)

            def report(p: IngestProgress) -> None:
                progress(p.fraction, desc=f"Indlæser: {p.describe()}")

            text = ingest_uploads(who, files, on_progress=report, lock=ingest_lock)
            bodies_now = gr.update(choices=body_choices(who))
            return text, bodies_now, None, *documents(who), *register(who, b, f, t, o, a)

        def on_remove(
            doc_id: str | None, b: list[str], f: str, t: str, o: str, a: bool, request: gr.Request | None = None
        ) -> tuple[Any, ...]:
            who = manager(request)
            text = remove_document(who, doc_id, lock=ingest_lock)
            bodies_now = gr.update(choices=body_choices(who))
            return text, bodies_now, *documents(who), *register(who, b, f, t, o, a)

        ingest_btn.click(
            on_ingest,
            inputs=[upload, *register_in],
            outputs=[ingest_report, bodies, upload, doc_table, doc_choice, *register_out],
            concurrency_id="model",
            concurrency_limit=answers_at_once,
        )
        remove_btn.click(
            on_remove,
            inputs=[doc_choice, *register_in],
            outputs=[remove_report, bodies, doc_table, doc_choice, *register_out],
        )

        def on_brief(
            tp: str, b: list[str], f: str, t: str, request: gr.Request | None = None
        ) -> tuple[str, Update, Update]:
            md, md_path, docx_path = make_brief(served(request)[0], tp, b, f, t)
            return md, gr.update(value=md_path, visible=True), gr.update(value=docx_path, visible=True)

        brief_btn.click(on_brief, inputs=[topic, *filters], outputs=[brief_md, dl_md, dl_docx])
        topic.submit(on_brief, inputs=[topic, *filters], outputs=[brief_md, dl_md, dl_docx])

        show_btn.click(on_decisions, inputs=register_in, outputs=register_out)
        outcome.change(on_decisions, inputs=register_in, outputs=register_out)
        show_all.change(on_decisions, inputs=register_in, outputs=register_out)

        def on_select(rows: list[list[str]], evt: gr.SelectData, request: gr.Request | None = None) -> str:
            return selected_item(served(request)[0], rows, evt.index, getattr(evt, "row_value", None))

        table.select(on_select, inputs=[rows_state], outputs=[item_view])

        def on_load(
            b: list[str], f: str, t: str, o: str, a: bool, request: gr.Request | None = None
        ) -> tuple[Any, ...]:
            who, rights = served(request)
            user = getattr(request, "username", None) if logins is not None else None
            signed = f"Logget ind som **{_md_escape(user)}** · [Log ud](logout)" if user else ""
            manage = gr.update(visible=rights.documents)
            return (
                gr.update(choices=body_choices(who)),
                *documents(who),
                *register(who, b, f, t, o, a),
                signed,
                manage,
                manage,
            )

        demo.load(
            on_load,
            inputs=register_in,
            outputs=[bodies, doc_table, doc_choice, *register_out, who, upload_box, remove_box],
        )
    return demo


THEME_FONTS = (["ui-sans-serif", "system-ui", "sans-serif"], ["ui-monospace", "monospace"])


# Gradio ships no Danish for its own widgets; these keys override its English text for every browser.
_DANISH_WIDGETS = {
    "upload_text.drop_file": "Slip filen her",
    "upload_text.click_to_upload": "Klik for at vælge fil",
    "upload_text.paste_clipboard": "Indsæt fra udklipsholder",
    "common.or": "eller",
    "common.clear": "Ryd",
    "common.submit": "Send",
    "common.stop": "Stop",
    "common.copy": "Kopiér",
    "common.download": "Hent",
    "common.error": "Fejl",
    "common.loading": "Indlæser",
    "upload.uploading": "Uploader ...",
    "file.uploading": "Uploader ...",
    "chatbot.copy": "Kopiér",
    "chatbot.clear": "Ryd samtalen",
    "status.queue_position": "I kø: {position} af {size}",
}


def launch(
    assistant: Assistant,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    logins: Logins | None = None,
    question_log: QuestionLog | None = None,
) -> None:
    """Serve the app on `host:port`: no share link, no analytics; answers one at a time with a local model, in
    parallel with a model server (`answer_concurrency`), the others queued in order with their place shown.
    With `logins`, every page and API call needs a login (Gradio's `auth=`, argon2id-checked by `Logins.login`).

    >>> # launch(assistant, port=7860)
    """
    demo = build_app(assistant, logins=logins, question_log=question_log, answers_at_once=answer_concurrency(assistant))
    demo.queue(default_concurrency_limit=1, max_size=64)
    # Local fonts only: the default theme would fetch Google Fonts, and Referat stays offline.
    theme = gr.themes.Default(font=THEME_FONTS[0], font_mono=THEME_FONTS[1])
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        max_file_size=MAX_FILE_SIZE,
        ssr_mode=False,
        mcp_server=False,
        show_error=True,
        inbrowser=False,
        theme=theme,
        css=CSS,
        head=HEAD,
        footer_links=[],
        auth=logins.login if logins is not None else None,  # type: ignore[arg-type]  # awaited (gradio.routes.login)
        auth_message="Log ind med dit brugernavn og din adgangskode til Referat." if logins is not None else None,
        i18n=gr.I18n(en=_DANISH_WIDGETS, da=_DANISH_WIDGETS),
    )
