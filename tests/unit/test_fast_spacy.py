"""The faster attribute ruler and lemmatizer give exactly the stock components' output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.language import Language
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc, Token
from spacy.vocab import Vocab
from thinc.api import NumpyOps
from threadpoolctl import threadpool_info

from newswire_enrich._fast_matmul import matmul_of, use_fastest_matmul
from newswire_enrich._fast_spacy import IndexedRulerMatch, MemoLemmatize, sped_up, speed_up
from newswire_enrich.nlp import MODEL_DEFAULT, load_model

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"

#: Text touching the model's exceptions: contractions, "gonna", "y'all", expletive "there".
EXCEPTIONS = (
    "I told 'em we ain't gonna wait, y'all. Let's go, c'mon! There is a plan and there "
    "were doubts; she'd have said it's theirs. You and I gotta see. Didn't he? 'Tis done.\n\n"
    "The U.S. Senate's 52-48 vote came at 3 p.m. -- officials said    it was 'over'."
)


def _token_view(doc: Doc) -> list[tuple[Any, ...]]:
    return [
        (t.text, t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_, t.head.i, t.ent_type_) for t in doc
    ]


@pytest.fixture(scope="module")
def stock() -> Language:
    """The model exactly as spaCy loads it."""
    return spacy.load(MODEL_DEFAULT)


@pytest.fixture(scope="module")
def fast() -> Language:
    """The model as newswire loads it (faster ruler and lemmatizer)."""
    return load_model(MODEL_DEFAULT)


def test_the_model_components_are_sped_up(fast: Language, stock: Language) -> None:
    """The default model's attribute ruler and lemmatizer are changed; fast=False and
    spacy.load leave them as shipped."""
    assert isinstance(fast.get_pipe("attribute_ruler").match, IndexedRulerMatch)
    assert isinstance(fast.get_pipe("lemmatizer").lemmatize, MemoLemmatize)
    plain = load_model(MODEL_DEFAULT, fast=False)
    assert not isinstance(plain.get_pipe("attribute_ruler").match, IndexedRulerMatch)
    assert not isinstance(stock.get_pipe("lemmatizer").lemmatize, MemoLemmatize)


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_same_tokens_as_stock_on_articles(name: str, fast: Language, stock: Language) -> None:
    """Every token of a real article gets the stock tag, POS, morphology, lemma and parse,
    twice (the second time from the memories)."""
    text = (SEEDS / name).read_text()
    expected = _token_view(stock(text))
    assert _token_view(fast(text)) == expected
    assert _token_view(fast(text)) == expected


def test_same_tokens_as_stock_on_exceptions(fast: Language, stock: Language) -> None:
    """Contractions and the model's multi-token exceptions come out as with spaCy."""
    for text in (EXCEPTIONS, EXCEPTIONS.upper(), EXCEPTIONS.lower(), "", " ", "\n\n"):
        assert _token_view(fast(text)) == _token_view(stock(text))


def test_pipe_batches_match_stock(fast: Language, stock: Language) -> None:
    """nlp.pipe over several texts gives what stock nlp.pipe gives."""
    texts = [EXCEPTIONS, 'Mayor Ana Ruiz said: "We will rebuild."', "gonna gon na"]
    got = [_token_view(d) for d in fast.pipe(texts)]
    assert got == [_token_view(d) for d in stock.pipe(texts)]


# ----------------------------------------------------------------- made-up ruler patterns

WORDS = ["a", "A", "b", "gon", "na", "y'", "all", "is", "There", " ", "x1"]
TAGS = ["NN", "VB", "DT", "XX", ""]
DEPS = ["nsubj", "dobj", "ROOT", "dep", "expl"]

#: Patterns of every kind the index handles and some it leaves to a Matcher (OP, LENGTH,
#: IS_TITLE), with overlapping rules so that the order of application shows.
RULES: list[dict[str, Any]] = [
    {"patterns": [[{"TAG": "NN"}]], "attrs": {"POS": "NOUN"}},
    {"patterns": [[{"TAG": "NN", "LOWER": "a"}]], "attrs": {"POS": "DET", "LEMMA": "one"}},
    {"patterns": [[{"lower": "b"}], [{"ORTH": "x1"}]], "attrs": {"MORPH": "Number=Sing"}},
    {"patterns": [[{"TAG": {"IN": ["VB", "XX"]}}]], "attrs": {"POS": "VERB"}},
    {"patterns": [[{"TAG": {"NOT_IN": ["NN", ""]}, "DEP": {"IN": ["nsubj", "dobj"]}}]],
     "attrs": {"POS": "PRON"}},
    {"patterns": [[{"LOWER": "gon"}, {"LOWER": "na"}]], "attrs": {"LEMMA": "to"}, "index": 1},
    {"patterns": [[{"LOWER": {"REGEX": "^y'?$"}}, {"LOWER": "all"}]], "attrs": {"LEMMA": "you"}},
    {"patterns": [[{"DEP": "expl"}, {"LOWER": {"IN": ["is", "are"]}}]],
     "attrs": {"POS": "AUX"}, "index": -1},
    {"patterns": [[{"IS_SPACE": True}]], "attrs": {"POS": "SPACE"}},
    {"patterns": [[{"TEXT": {"REGEX": "[0-9]"}}]], "attrs": {"POS": "NUM"}},
    {"patterns": [[{"LOWER": "a", "OP": "+"}]], "attrs": {"LEMMA": "many"}},
    {"patterns": [[{"LENGTH": 1}, {"IS_TITLE": True}]], "attrs": {"POS": "X"}},
    {"patterns": [[{"TAG": "DT"}]], "attrs": {"POS": "DET", "LEMMA": "the"}},
    {"patterns": [[{"TAG": "NN", "DEP": "nsubj"}]], "attrs": {"POS": "PROPN"}},
]  # fmt: skip


def _rulers() -> tuple[AttributeRuler, AttributeRuler]:
    vocab = Vocab()
    stock, fast = AttributeRuler(vocab), AttributeRuler(vocab)
    for ruler in (stock, fast):
        ruler.add_patterns(RULES)
    fast.match = IndexedRulerMatch(fast)  # type: ignore[method-assign]
    return stock, fast


_STOCK_RULER, _FAST_RULER = _rulers()

_tokens = st.lists(
    st.tuples(st.sampled_from(WORDS), st.sampled_from(TAGS), st.sampled_from(DEPS)),
    max_size=12,
)


def _doc(vocab: Vocab, tokens: list[tuple[str, str, str]]) -> Doc:
    return Doc(
        vocab,
        words=[w for w, _, _ in tokens],
        tags=[t for _, t, _ in tokens],
        deps=[d for _, _, d in tokens],
        heads=list(range(len(tokens))),
    )


def _ruled_view(doc: Doc) -> list[tuple[str, ...]]:
    return [(t.pos_, t.lemma_, str(t.morph)) for t in doc]


def test_made_up_patterns_split_between_index_and_matcher() -> None:
    """OP, LENGTH and IS_TITLE patterns stay with a Matcher; the rest are indexed."""
    match = _FAST_RULER.match
    assert isinstance(match, IndexedRulerMatch)
    assert match.rest_patterns == 2
    assert match.indexed_patterns == sum(len(rule["patterns"]) for rule in RULES) - 2


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_tokens)
def test_made_up_patterns_match_as_the_stock_ruler(tokens: list[tuple[str, str, str]]) -> None:
    """Any document gets the same matches, in the same order, and the same attributes."""
    vocab = _STOCK_RULER.vocab
    expected_doc, doc = _doc(vocab, tokens), _doc(vocab, tokens)
    expected = _STOCK_RULER.match(expected_doc)
    assert sorted(set(_FAST_RULER.match(doc))) == sorted(set(expected))
    _STOCK_RULER(expected_doc)
    _FAST_RULER(doc)
    assert _ruled_view(doc) == _ruled_view(expected_doc)


def test_ruler_memory_is_bounded() -> None:
    """The ruler's memory of token combinations is cleared when full, also when a document
    brings more new combinations than it holds; answers stay right."""
    vocab = _STOCK_RULER.vocab
    match = IndexedRulerMatch(_FAST_RULER, limit=3)
    for tokens in ([("a", "NN", "nsubj"), ("b", "VB", "dobj")], [("x1", "XX", "dep")] * 2,
                   [("gon", "DT", "ROOT"), ("na", "", "dep"), ("all", "NN", "dobj")],
                   [("a", "NN", "nsubj"), ("is", "VB", "dep"), ("There", "DT", "expl")],
                   [(w, "NN", "dep") for w in WORDS]):  # fmt: skip
        doc = _doc(vocab, tokens)
        assert sorted(set(match(doc))) == sorted(set(_STOCK_RULER.match(doc)))
        assert len(match._memo) <= 3


def test_lemma_memory_is_bounded_and_skips_tokens_without_pos() -> None:
    """The lemmatizer's memory is cleared when full; a token without POS is asked each time."""
    asked: list[str] = []

    def lemmatize(token: Token) -> list[str]:
        asked.append(token.text)
        return [token.text.lower()]

    memo = MemoLemmatize(lemmatize, limit=2)
    doc = Doc(Vocab(), words=["A", "B", "C", "A", "x", "x"], pos=["NOUN"] * 4 + ["", ""])
    assert [memo(t)[0] for t in doc] == ["a", "b", "c", "a", "x", "x"]
    assert asked == ["A", "B", "C", "A", "x", "x"]  # cleared after two: A asked again
    assert len(memo._memo) <= 2


def test_subclassed_components_are_left_alone() -> None:
    """A component class of someone else's (a subclass) may compute otherwise: untouched."""

    if not Language.has_factory(_MY_RULER):
        Language.factory(_MY_RULER, func=lambda nlp, name: _MyRuler(nlp.vocab, name=name))
    nlp = spacy.blank("en")
    nlp.add_pipe("attribute_ruler")
    mine = nlp.add_pipe(_MY_RULER, name="mine")
    assert speed_up(nlp) == ["attribute_ruler"]
    assert not isinstance(mine.match, IndexedRulerMatch)


_MY_RULER = "newswire_test_my_ruler"


class _MyRuler(AttributeRuler):
    """An attribute ruler of someone else's."""


def test_patterns_that_read_no_attribute() -> None:
    """An empty token pattern (any token) is indexed too and matches every token."""
    vocab = Vocab()
    stock, fast = AttributeRuler(vocab), AttributeRuler(vocab)
    for ruler in (stock, fast):
        ruler.add_patterns([{"patterns": [[{}]], "attrs": {"LEMMA": "any"}}])
    match = IndexedRulerMatch(fast)
    doc = Doc(vocab, words=["one", "two", "three"])
    assert match.indexed_patterns == 1
    assert match(doc) == stock.match(doc)


def test_sped_up_names_the_changed_components(fast: Language, stock: Language) -> None:
    """sped_up (logged at model_loaded) lists what speed_up changed, nothing for spacy.load."""
    assert sped_up(fast) == ["attribute_ruler", "lemmatizer"]
    assert sped_up(stock) == []


# ----------------------------------------------------------------- the matrix product


def _timed(blis: float, numpy: float) -> Callable[[NumpyOps], float]:
    """A stand-in for the measurement: `blis` seconds with BLIS, `numpy` without."""
    return lambda ops: blis if ops.use_blis else numpy


def test_numpy_product_where_faster_gives_the_stock_tokens(stock: Language) -> None:
    """When numpy's product is clearly faster, every layer of every component (listeners of
    the shared token-to-vector layer included) uses it, numpy's BLAS runs one thread, and the
    seed articles come out token for token as with spaCy as shipped."""
    nlp = spacy.load(MODEL_DEFAULT)
    assert matmul_of(nlp) == "blis"
    assert use_fastest_matmul(nlp, seconds=_timed(blis=1.0, numpy=0.5)) == "numpy"
    assert matmul_of(nlp) == "numpy"
    layers = [n for _, c in nlp.pipeline if getattr(c, "model", None) for n in c.model.walk()]
    assert len(layers) > 50 and all(n.ops.use_blis is False for n in layers)
    assert {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"} == {1}
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text()
        assert _token_view(nlp(text)) == _token_view(stock(text)), path.name


def test_blis_is_kept_unless_numpy_is_clearly_faster() -> None:
    """numpy at 90% of BLIS's time is not enough (the margin is 80%): nothing changes."""
    nlp = spacy.load(MODEL_DEFAULT)
    assert use_fastest_matmul(nlp, seconds=_timed(blis=1.0, numpy=0.9)) == "blis"
    assert matmul_of(nlp) == "blis"
    assert use_fastest_matmul(nlp, seconds=_timed(blis=1.0, numpy=0.79)) == "numpy"


def test_newswire_loads_with_the_measured_product(fast: Language) -> None:
    """load_model measures on this CPU and says which product its layers use; fast=False
    leaves BLIS as spaCy ships it."""
    assert matmul_of(fast) in ("blis", "numpy")
    assert matmul_of(load_model(MODEL_DEFAULT, fast=False)) == "blis"
