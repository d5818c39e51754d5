"""Run the cleaning (and optionally entities/quotes) steps over a corpus folder.

Writes one result JSON per article with the fields the quality scorer reads, e.g.::

    .venv/bin/python bench/clean_eval.py ../shared/corpus/seeds/articles OUT --nlp
    python3 ../shared/eval/score.py ../shared/corpus/seeds/gold OUT -v
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import structlog

from newswire_enrich.clean import clean_article
from newswire_enrich.entities import extract_entities
from newswire_enrich.errors import BadInputError
from newswire_enrich.nlp import MODEL_DEFAULT, load_model
from newswire_enrich.quotes import extract_quotes
from newswire_shared.schemas import MediaType


def main(argv: list[str] | None = None) -> int:
    """Clean every article of a folder and write result JSONs."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--nlp", action="store_true", help="also extract entities and quotes")
    ap.add_argument("--model", default=MODEL_DEFAULT)
    a = ap.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    a.out.mkdir(parents=True, exist_ok=True)
    nlp = load_model(a.model) if a.nlp else None
    clean_s = nlp_s = 0.0
    n = 0
    for path in sorted(a.corpus.iterdir()):
        media = MediaType.from_suffix(path.suffix)
        if media is None:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        t0 = time.perf_counter()
        try:
            art = clean_article(text, media, path.name)
        except BadInputError as exc:
            print(f"{path.name}: {exc}")
            continue
        t1 = time.perf_counter()
        result: dict[str, object] = {
            "source": {"filename": path.name},
            "title": art.title,
            "text": art.text,
            "authors": list(art.authors),
            "published": art.published,
        }
        if nlp is not None:
            doc = nlp(art.text)
            ents = extract_entities(doc)
            quotes = extract_quotes(doc, ents)
            result["entities"] = [e.model_dump() for e in ents]
            result["quotes"] = [q.model_dump(mode="json") for q in quotes]
        t2 = time.perf_counter()
        clean_s += t1 - t0
        nlp_s += t2 - t1
        n += 1
        out = a.out / (path.name + ".json")
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    if n:
        print(
            f"{n} articles: clean {1000 * clean_s / n:.1f} ms/article, nlp {1000 * nlp_s / n:.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
