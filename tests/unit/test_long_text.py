"""Unit tests of long texts: pieces cut at paragraph breaks, offsets mapped back, bounded cost."""

from __future__ import annotations

import itertools
import random
import time

import pytest
from spacy.language import Language

from newswire_enrich._chunks import Piece, freeze, split_text, thaw
from newswire_enrich.clean import clean_article
from newswire_enrich.clean._text import Line, _quoted, _repeat_keepers, line_key
from newswire_enrich.entities import extract_entities
from newswire_enrich.errors import BadInputError, UnprocessableTextError
from newswire_enrich.nlp import MODEL_DEFAULT, load_model
from newswire_enrich.pipeline import Pipeline
from newswire_enrich.quotes import extract_quotes
from newswire_enrich.settings import DEFAULT_CHUNK_CHARS, PipelineSettings, WorkerSettings
from newswire_enrich.steps import default_steps
from newswire_shared.schemas import ArticleJob, EnrichedArticle, MediaType, Source
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def nlp() -> Language:
    """The spaCy pipeline, loaded once per module (load_model also caches it)."""
    return load_model(MODEL_DEFAULT)


@pytest.fixture(scope="module")
def bodies() -> list[str]:
    """The clean bodies of the seed articles."""
    return [
        clean_article(p.read_text(encoding="utf-8"), MediaType.TEXT).text
        for p in sorted(SEEDS.glob("*.txt"))
    ]


def _job(text: str, name: str = "long.txt") -> ArticleJob:
    return ArticleJob(
        job_id="0" * 16,
        source=Source(
            filename=name,
            size=len(text.encode()),
            sha256="0" * 64,
            received_at="2024-05-01T00:00:00Z",
            media_type=MediaType.TEXT,
            encoding="utf-8",
        ),
        text=text,
    )


def _texts(text: str, pieces: list[Piece]) -> list[str]:
    return [text[p.start : p.end] for p in pieces]


def _assert_offsets(result: EnrichedArticle) -> None:
    for entity in result.entities:
        for m in entity.mentions:
            source = result.text if m.source == "text" else (result.title or "")
            assert source[m.start : m.end] == m.text, (entity.name, m)
    ids = {e.id for e in result.entities}
    for q in result.quotes:
        assert result.text[q.start : q.end] == q.text
        assert q.speaker.entity_id is None or q.speaker.entity_id in ids


# -- cutting -------------------------------------------------------------------------------------


def test_short_text_is_one_piece() -> None:
    """A text within the limit is not cut at all."""
    text = "One paragraph.\n\nAnother one."
    assert split_text(text, 100) == [Piece(0, len(text))]
    assert split_text("", 100) == [Piece(0, 0)]


def test_pieces_cut_after_paragraph_breaks(bodies: list[str]) -> None:
    """Pieces concatenate to the text, stay within the limit and end after a blank line."""
    text = "\n\n".join(bodies * 3)
    pieces = split_text(text, 3000)
    assert "".join(_texts(text, pieces)) == text
    assert all(0 < p.end - p.start <= 3000 for p in pieces)
    assert all(b.start == a.end for a, b in itertools.pairwise(pieces))
    for piece in _texts(text, pieces)[:-1]:
        assert piece.endswith("\n\n")
        assert not piece.startswith("\n")
    # as full as the paragraphs allow: the next paragraph would not have fitted
    for a, b in itertools.pairwise(pieces):
        nxt = text.find("\n\n", b.start)
        assert nxt == -1 or nxt + 2 - a.start > 3000


def test_giant_paragraph_cut_at_sentence_ends() -> None:
    """A paragraph longer than a piece is cut after a sentence end, then at white space."""
    sentence = "The council met on Monday and said the bridge would reopen. "
    text = "Intro.\n\n" + sentence * 200 + "\n\nLast paragraph."
    pieces = _texts(text, split_text(text, 1000))
    assert "".join(pieces) == text
    assert pieces[0] == "Intro.\n\n"
    for piece in pieces[1:-1]:
        assert len(piece) <= 1000
        assert piece.endswith(("reopen. ", "\n\n")), piece[-30:]
    words = " ".join(["word"] * 1000)  # no sentence end: cut after a space
    assert all(p.endswith(" ") for p in _texts(words, split_text(words, 333))[:-1])


def test_text_without_white_space_is_cut_hard() -> None:
    """One 'word' longer than a piece (a blob) is cut inside it, never looping forever."""
    text = "x" * 2500
    assert split_text(text, 1000) == [Piece(0, 1000), Piece(1000, 2000), Piece(2000, 2500)]
    with pytest.raises(ValueError, match="positive"):
        split_text(text, 0)


def test_line_breaks_used_when_no_blank_line() -> None:
    """Text with single line breaks only (no CR anywhere) is cut after a line break."""
    text = "\n".join(f"Line {i} of the list, with some words." for i in range(100))
    pieces = _texts(text, split_text(text, 500))
    assert "".join(pieces) == text
    assert all(p.endswith("\n") for p in pieces[:-1])
    assert not any("\r" in p for p in pieces)


def test_chunk_setting_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """NEWSWIRE_CHUNK_CHARS sets the piece size of pipelines built without one."""
    monkeypatch.delenv("NEWSWIRE_CHUNK_CHARS", raising=False)
    assert Pipeline().chunk_chars == DEFAULT_CHUNK_CHARS
    monkeypatch.setenv("NEWSWIRE_CHUNK_CHARS", "20000")
    assert Pipeline().chunk_chars == 20000
    assert WorkerSettings().chunk_chars == 20000
    assert Pipeline(chunk_chars=5000).chunk_chars == 5000
    monkeypatch.setenv("NEWSWIRE_CHUNK_CHARS", "5")
    with pytest.raises(ValueError, match="chunk_chars"):
        PipelineSettings()
    with pytest.raises(ValueError, match="chunk_chars"):  # the worker refuses to start
        WorkerSettings()


# -- parsing in pieces -----------------------------------------------------------------------


def test_frozen_piece_keeps_every_annotation(nlp: Language, bodies: list[str]) -> None:
    """A parsed piece kept compressed comes back with the same tokens, parse and entities,
    and the steps find the same entities and quotes in it."""
    doc = nlp(bodies[0])
    data = freeze(doc)
    back = thaw(data, nlp.vocab)
    assert len(data) < len(doc) * 60
    assert back.text == doc.text
    attrs = [(t.text, t.idx, t.tag_, t.pos_, t.dep_, t.head.i, t.lemma_, t.is_sent_start,
              t.ent_iob_, t.ent_type_, t.whitespace_) for t in doc]  # fmt: skip
    assert [(t.text, t.idx, t.tag_, t.pos_, t.dep_, t.head.i, t.lemma_, t.is_sent_start,
             t.ent_iob_, t.ent_type_, t.whitespace_) for t in back] == attrs  # fmt: skip
    entities = extract_entities(doc)
    assert extract_entities(back) == entities
    assert extract_quotes(back, entities) == extract_quotes(doc, entities)


def test_short_article_same_as_whole_parse(nlp: Language, bodies: list[str]) -> None:
    """An article within the piece size gives exactly what parsing it whole gives."""
    result = Pipeline(chunk_chars=DEFAULT_CHUNK_CHARS).enrich(_job(bodies[4], "seed.txt"))
    doc = nlp(result.text)
    entities = extract_entities(doc)
    assert result.entities == entities
    assert result.quotes == extract_quotes(doc, entities)
    assert [t.step for t in result.pipeline.timings] == ["clean", "nlp", "entities", "quotes"]


def test_seed_articles_unchanged_by_small_pieces(bodies: list[str]) -> None:
    """Cut into pieces of a few paragraphs, each seed article keeps its entities (names,
    types, every mention at the same offsets) and its quotes with their speakers."""
    whole, cut = Pipeline(chunk_chars=1_000_000), Pipeline(chunk_chars=1000)
    for i, body in enumerate(bodies):
        job = _job(body, f"seed{i}.txt")
        a, b = whole.enrich(job), cut.enrich(job)
        assert len(split_text(a.text, 1000)) > 1
        _assert_offsets(b)

        def names(r: EnrichedArticle) -> dict[str, tuple[str, list[tuple[int, int]]]]:
            return {e.name: (e.label, [(m.start, m.end) for m in e.mentions]) for e in r.entities}

        assert names(b) == names(a)
        spoken = [(q.start, q.end, q.kind, q.speaker.name) for q in a.quotes]
        assert [(q.start, q.end, q.kind, q.speaker.name) for q in b.quotes] == spoken


def test_long_article_enriched_in_pieces(bodies: list[str]) -> None:
    """A body many pieces long: entities grouped across pieces, offsets into the whole text,
    quotes found in every piece with speakers among the entities."""
    text = "\n\n".join(bodies * 8)
    result = Pipeline(chunk_chars=4000).enrich(_job(text))
    assert result.text == text
    pieces = split_text(text, 4000)
    assert len(pieces) >= 30
    _assert_offsets(result)
    lavrov = next(e for e in result.entities if e.name == "Sergey Lavrov")
    per_copy = sum(1 for m in lavrov.mentions if m.start < len("\n\n".join(bodies)))
    assert lavrov.count == 8 * per_copy  # one entity for all copies, none lost at the cuts
    assert result.entities[0].salience >= result.entities[-1].salience
    starts = [q.start for q in result.quotes]
    assert starts == sorted(starts)
    assert sum(1 for q in result.quotes if q.start > len(text) * 0.9) >= 3
    assert {t.step for t in result.pipeline.timings} == {"clean", "nlp", "entities", "quotes"}


def test_giant_paragraph_enriched_in_pieces(bodies: list[str]) -> None:
    """One paragraph many pieces long (cut at sentence ends, or after a space when there are
    none) is enriched with every offset pointing into it."""
    line = " ".join(b.replace("\n\n", " ") for b in bodies)
    result = Pipeline(chunk_chars=2000).enrich(_job(line))
    assert result.text == line
    assert len(split_text(line, 2000)) >= 7
    _assert_offsets(result)
    assert len(result.quotes) >= 10
    assert any(e.name == "Sergey Lavrov" for e in result.entities)
    words = " ".join(["Anna Petrova met Omar Haddad in Geneva"] * 400)  # no sentence end
    result = Pipeline(chunk_chars=1000).enrich(_job(words))
    assert result.text == words
    _assert_offsets(result)
    assert result.entities


def test_model_length_limit_honoured(nlp: Language, bodies: list[str]) -> None:
    """Pieces never exceed the model's own max_length, whatever the setting says."""
    text = "\n\n".join(bodies)
    saved = nlp.max_length
    nlp.max_length = 3000
    try:
        result = Pipeline(chunk_chars=1_000_000).enrich(_job(text))
    finally:
        nlp.max_length = saved
    _assert_offsets(result)
    assert result.entities


def test_step_failure_is_bad_input(bodies: list[str]) -> None:
    """An error spaCy or a step raises on the text fails the job as bad input, with the step
    and the error in the reason (retrying gives the same error)."""

    class Refusing:
        name = "entities"

        def setup(self, nlp: object) -> None:
            """Nothing to prepare."""

        def run(self, article: object) -> None:
            """Fail as spaCy does on a text too long for it."""
            raise ValueError("[E088] Text of length 1500000 exceeds maximum of 1000000.")

    steps = [*default_steps(50_000)[:2], Refusing()]
    with pytest.raises(UnprocessableTextError) as failed:
        Pipeline(steps=steps).enrich(_job(bodies[0]))
    assert isinstance(failed.value, BadInputError)
    assert str(failed.value).startswith("the entities step cannot process this text: ")
    assert "E088" in str(failed.value)


# -- cleaning stays linear -------------------------------------------------------------------


def _keepers_by_brute_force(span: list[Line]) -> dict[int, str]:
    """The rule of ``_repeat_keepers`` written the obvious (quadratic) way."""
    keys = [line_key(ln.text) for ln in span]
    out: dict[int, str] = {}
    for i, k in enumerate(keys):
        n = len(k.split())
        if n < 5:
            out[i] = ""
            continue
        same = [j for j, o in enumerate(keys) if o == k]
        plain = [j for j in same if not _quoted(span[j].text)]
        if len(same) > 1 and i != (plain or same)[0]:
            out[-1 - i] = "duplicate line"
        elif n <= 60 and any(k in o and o != k for o in keys):
            out[-1 - i] = "pull quote"
        else:
            out[i] = ""
    return out


def test_repeat_keepers_exact_and_linear(bodies: list[str]) -> None:
    """Duplicate lines and pull quotes are found as before, and 40,000 lines take seconds,
    not the hours a comparison of every line with every other would."""
    rng = random.Random(7)
    paragraphs = [p for b in bodies for p in b.split("\n\n")]
    lines = list(paragraphs)
    for p in paragraphs:  # pull quotes, cut anywhere (inside words too), and repeats
        w = p.split()
        if len(w) > 12:
            a = rng.randrange(len(w) - 10)
            lines.append(" ".join(w[a : a + rng.randrange(5, 10)])[rng.randrange(3) :])
        if rng.random() < 0.2:
            lines.append(rng.choice(['"', "“"]) + p + "”")
    rng.shuffle(lines)
    span = [Line(t) for t in lines]
    got = _repeat_keepers(span)
    assert got == _keepers_by_brute_force(span)
    assert "pull quote" in got.values()
    assert "duplicate line" in got.values()

    many = [Line(f"{p} Number {i} of many.") for i in range(400) for p in paragraphs[:100]]
    started = time.perf_counter()
    kept = _repeat_keepers(many)
    assert time.perf_counter() - started < 30
    assert {k if k >= 0 else -1 - k for k in kept} == set(range(len(many)))


def test_long_text_cleaning_is_linear(bodies: list[str]) -> None:
    """Cleaning 4 MB takes at most a few times what 1 MB takes (the text is kept whole)."""
    text = "\n\n".join(bodies * 70)  # about 1 MB

    def seconds(t: str) -> float:
        started = time.perf_counter()
        assert clean_article(t, MediaType.TEXT).text == t
        return time.perf_counter() - started

    one = seconds(text)
    four = seconds("\n\n".join([text] * 4))
    assert four < 4 * one * 2.5
