"""Sanity check for eval/dev.jsonl (stdlib only).

For every question: the record has the expected shape, every gold doc_id exists in the corpus, every
numbered gold item has a heading with that number somewhere in the document, and every facts group has at
least one alternative occurring (case-insensitive) in the concatenated text of the gold documents.
It does not know item boundaries, so a fact found in the wrong item of a gold document passes here.

    python eval/check_devset.py [--devset eval/dev.jsonl] [--corpus data/sample]

Prints one line per problem and exits 1 if there are any.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPES = {"fact", "decision", "list", "multi", "unanswerable", "crosslingual"}
KEYS = {"id", "question", "gold", "facts", "type"}


def heading_present(text: str, item: str) -> bool:
    """An item heading with this number: `6. Title`, `Punkt 6: Title` or `[bookmark: ...]6.<TAB>Title`."""
    n = re.escape(item)
    pattern = rf"^(?:\[bookmark: [^\]]*\])?(?:{n}\.[ \t]+\S|Punkt {n}:)"
    return re.search(pattern, text, flags=re.MULTILINE) is not None


def check(devset: Path, corpus: Path) -> list[str]:
    docs = {p.stem: p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))}
    problems: list[str] = []
    seen: set[str] = set()
    types: Counter[str] = Counter()
    for lineno, line in enumerate(devset.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"line {lineno}: not JSON ({e})")
            continue
        qid = q.get("id", f"line {lineno}")
        if set(q) != KEYS:
            problems.append(f"{qid}: keys {sorted(q)} != {sorted(KEYS)}")
            continue
        if qid in seen:
            problems.append(f"{qid}: duplicate id")
        seen.add(qid)
        if q["type"] not in TYPES:
            problems.append(f"{qid}: unknown type {q['type']!r}")
        types[q["type"]] += 1
        if not isinstance(q["question"], str) or not q["question"].strip():
            problems.append(f"{qid}: empty question")
        gold, facts = q["gold"], q["facts"]
        if q["type"] == "unanswerable":
            if gold or facts:
                problems.append(f"{qid}: unanswerable question with gold or facts")
            continue
        if not gold:
            problems.append(f"{qid}: no gold")
            continue
        if not 1 <= len(facts) <= 3:
            problems.append(f"{qid}: {len(facts)} facts groups (want 1-3)")
        texts = []
        for g in gold:
            doc, item = g.get("doc_id"), g.get("item")
            if set(g) != {"doc_id", "item"}:
                problems.append(f"{qid}: gold entry keys {sorted(g)}")
            if doc not in docs:
                problems.append(f"{qid}: unknown doc_id {doc!r}")
                continue
            if item is not None and not isinstance(item, str):
                problems.append(f"{qid}: item {item!r} is neither a string nor null")
            elif item is not None and not heading_present(docs[doc], item):
                problems.append(f"{qid}: no heading for item {item} in {doc}")
            texts.append(docs[doc])
        if len({(g.get("doc_id"), g.get("item")) for g in gold}) != len(gold):
            problems.append(f"{qid}: duplicate gold entries")
        if q["type"] == "multi" and len(gold) < 2:
            problems.append(f"{qid}: multi question with a single gold item")
        haystack = "\n".join(texts).lower()
        for group in facts:
            if not isinstance(group, list) or not group or not all(isinstance(a, str) and a for a in group):
                problems.append(f"{qid}: bad facts group {group!r}")
                continue
            if not any(a.lower() in haystack for a in group):
                problems.append(f"{qid}: no alternative of {group} occurs in the gold documents")
    print(f"{sum(types.values())} questions: " + ", ".join(f"{t} {n}" for t, n in sorted(types.items())))
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=ROOT / "eval" / "dev.jsonl")
    ap.add_argument("--corpus", type=Path, default=ROOT / "data" / "sample")
    args = ap.parse_args()
    problems = check(args.devset, args.corpus)
    for p in problems:
        print(p)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
