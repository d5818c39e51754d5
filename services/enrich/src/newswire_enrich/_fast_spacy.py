"""Faster stand-ins for two of spaCy's rule components, with exactly their output.

Profiling the workers showed two components of the stock English pipelines spending a
quarter of the model's time on bookkeeping rather than on the neural network:

- the **attribute ruler** runs a :class:`~spacy.matcher.Matcher` of ~180 patterns (its tag
  map and exceptions) over every token, evaluating each pattern at each position;
- the **rule lemmatizer** caches only some of its answers: a token it recognises as a base
  form (a singular noun, a positive adjective: most tokens of news) is worked out again on
  every occurrence.

:func:`speed_up` changes how these two find their answers, never what they answer:

- the ruler's patterns without operators whose conditions are plain comparisons
  (``TAG``, ``LOWER``, ``DEP``... equal to, ``IN`` or ``NOT_IN`` a list of strings;
  ``IS_SPACE``) or ``REGEX`` are evaluated here: one-token patterns once per distinct
  combination of the attributes they read, and remembered; longer ones only where a token
  meets their most selective condition. Any other pattern stays with a Matcher of its own.
  The matches are sorted and applied by the ruler's own code, as before;
- the lemmatizer's answer for a token is remembered under what it depends on (the
  token's text, part of speech and morphology) for every path, not only the rule path.

Both memories are bounded (:data:`MEMO_LIMIT` entries; cleared when full), so a worker's
memory stays flat. Only the stock classes are touched (a subclass may compute otherwise);
``NEWSWIRE_FAST_SPACY=false`` keeps the stock components. The tests compare every token's
tag, part of speech, morphology, lemma and dependency with the stock components' on real
articles and on made-up patterns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar, cast

from spacy.attrs import DEP, IS_SPACE, LOWER, ORTH, POS, TAG
from spacy.lang.en.lemmatizer import EnglishLemmatizer
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import AttributeRuler, Lemmatizer
from spacy.strings import StringStore, get_string_id
from spacy.tokens import Doc, Token

#: Entries each memory holds before it is cleared: ~10 MB for the ruler's, ~8 MB for the
#: lemmatizer's (190k tokens of news filled 28k and 16k).
MEMO_LIMIT = 50_000

#: Pattern keys read as plain values (the same ids the Matcher compares).
_VALUE_ATTRS: dict[str, int] = {
    "ORTH": ORTH,
    "TEXT": ORTH,
    "LOWER": LOWER,
    "TAG": TAG,
    "POS": POS,
    "DEP": DEP,
}
_FLAG_ATTRS: dict[str, int] = {"IS_SPACE": IS_SPACE}

#: The lemmatizer modes whose answer depends only on a token's text, POS and morphology.
_PURE_LEMMATIZER_MODES = ("rule", "lookup", "pos_lookup")


def speed_up(nlp: Language) -> list[str]:
    """Give `nlp`'s stock attribute rulers and lemmatizers their faster lookups.

    Returns the names of the components changed. Output is unchanged, token for token.
    """
    changed = []
    for name, component in nlp.pipeline:
        if type(component) is AttributeRuler:
            component.match = IndexedRulerMatch(component)  # type: ignore[method-assign]
            changed.append(name)
        elif type(component) in (Lemmatizer, EnglishLemmatizer):
            lemmatizer = cast(Lemmatizer, component)
            if lemmatizer.mode in _PURE_LEMMATIZER_MODES:
                lemmatizer.lemmatize = MemoLemmatize(lemmatizer.lemmatize)
                changed.append(name)
    return changed


def sped_up(nlp: Language) -> list[str]:
    """The names of `nlp`'s components that :func:`speed_up` changed."""
    return [
        name
        for name, component in nlp.pipeline
        if isinstance(getattr(component, "match", None), IndexedRulerMatch)
        or isinstance(getattr(component, "lemmatize", None), MemoLemmatize)
    ]


class MemoLemmatize:
    """A lemmatizer's ``lemmatize`` that remembers each answer by text, POS and morphology."""

    def __init__(self, lemmatize: Callable[[Token], list[str]], limit: int = MEMO_LIMIT) -> None:
        self._lemmatize = lemmatize
        self._limit = limit
        self._memo: dict[tuple[int, int, int], list[str]] = {}

    def __call__(self, token: Token) -> list[str]:
        """The lemmas of `token`, as the wrapped ``lemmatize`` gives them."""
        key = (token.orth, token.pos, token.morph.key)  # type: ignore[attr-defined]
        found = self._memo.get(key)
        if found is not None:
            return found
        forms = self._lemmatize(token)
        if token.pos:  # without a POS the lemmatizer warns each time: keep that
            if len(self._memo) >= self._limit:
                self._memo.clear()
            self._memo[key] = forms
        return forms


class IndexedRulerMatch:
    """The matches of an :class:`AttributeRuler`, as its ``match`` returns them.

    Patterns of one or more tokens without operators, whose conditions are plain
    comparisons or ``REGEX``, are evaluated here: one-token ones once per distinct
    combination of the attributes they read (remembered), longer ones only where a token
    meets their most selective plain condition. Any other pattern goes to a Matcher.
    """

    def __init__(self, ruler: AttributeRuler, limit: int = MEMO_LIMIT) -> None:
        strings = ruler.vocab.strings
        self._limit = limit
        self._strings = strings
        self._columns: list[int] = []
        #: one-token patterns by the column and value of their most selective test, and
        #: those without such a test
        self._single: dict[int, dict[int, list[_Single]]] = {}
        self._single_anywhere: list[_Single] = []
        #: patterns of several tokens by the column and value of their most selective test
        self._multi: dict[int, dict[int, list[_Multi]]] = {}
        self._single_count = 0
        self._rest = Matcher(ruler.vocab)
        self._rest_size = 0
        self._multi_count = 0
        for attr_id, entry in enumerate(ruler.patterns):
            match_id = strings[str(attr_id)]
            left = []
            for pattern in cast(list[list[dict[str, Any]]], entry["patterns"]):
                tokens = [self._tests(spec) for spec in pattern]
                if not tokens or any(tests is None for tests in tokens):
                    left.append(pattern)
                    continue
                plain = cast(list[_TokenTests], tokens)
                if len(plain) == 1:
                    self._single_count += 1
                    key = plain[0].key()
                    single = ((attr_id, match_id), plain[0])
                    if key is None:
                        self._single_anywhere.append(single)
                    else:
                        _index(self._single, key, single)
                    continue
                anchor = _anchor(plain)
                if anchor is None:
                    left.append(pattern)
                    continue
                self._multi_count += 1
                key = cast(tuple[int, set[int]], plain[anchor].key())
                _index(self._multi, key, (attr_id, match_id, plain, anchor))
            if left:
                self._rest.add(str(attr_id), left)
                self._rest_size += len(left)
        self._memo: dict[tuple[int, ...], tuple[_Id, ...]] = {}
        #: each distinct answer once (most tokens share a handful)
        self._answers: dict[tuple[_Id, ...], tuple[_Id, ...]] = {}

    def __call__(self, doc: Doc) -> list[tuple[int, int, int, int]]:
        """The ruler's matches in `doc`: ``(attr id, match id, start, end)``, sorted."""
        matches: list[tuple[int, int, int, int]] = []
        n = len(doc)
        if n and (self._single_count or self._multi):
            columns = self._columns
            rows = _rows(doc, columns)
            if self._single_count:
                found = self._found(rows)
                matches = [
                    (attr_id, match_id, i, i + 1)
                    for i, row in enumerate(rows)
                    for attr_id, match_id in found[row]
                ]
            if self._multi:
                matches.extend(self._multi_matches(rows))
        if self._rest_size:
            strings = self._strings
            matches.extend(
                (int(strings[m_id]), m_id, start, end)
                for m_id, start, end in self._rest(doc, allow_missing=True, as_spans=False)
            )
        matches.sort()
        return matches

    @property
    def indexed_patterns(self) -> int:
        """How many of the ruler's patterns are evaluated here."""
        return self._single_count + self._multi_count

    @property
    def rest_patterns(self) -> int:
        """How many of the ruler's patterns are left to a Matcher."""
        return self._rest_size

    def _tests(self, spec: dict[str, Any]) -> _TokenTests | None:
        """The tests of one token of a pattern, or None if one is not a plain comparison."""
        tests = _TokenTests()
        for raw_key, value in spec.items():
            key = raw_key.upper() if isinstance(raw_key, str) else None
            if key in _FLAG_ATTRS and isinstance(value, bool):
                tests.values.append((self._column(_FLAG_ATTRS[key]), True, {int(value)}))
                continue
            attr = _VALUE_ATTRS.get(key or "")
            if attr is None:
                return None
            column = self._column(attr)
            if isinstance(value, str):
                tests.values.append((column, True, {self._strings.add(value)}))
                continue
            if not isinstance(value, dict) or not value:
                return None
            for op, operand in value.items():
                if op in ("IN", "NOT_IN") and isinstance(operand, list) and _all_str(operand):
                    ids = {get_string_id(item) for item in operand}
                    tests.values.append((column, op == "IN", ids))
                elif op == "REGEX" and isinstance(operand, str):
                    tests.patterns.append((column, re.compile(operand)))
                else:
                    return None
        return tests

    def _column(self, attr: int) -> int:
        if attr not in self._columns:
            self._columns.append(attr)
        return self._columns.index(attr)

    def _found(self, rows: list[tuple[int, ...]]) -> dict[tuple[int, ...], tuple[_Id, ...]]:
        """The memory, holding the one-token matches of every row of `rows`; cleared first
        when they would not fit (a document bigger than it alone gets a table of its own)."""
        table = self._memo
        distinct = set(rows)
        new = distinct.difference(table)
        if len(table) + len(new) > self._limit:
            table.clear()
            new = distinct
            if len(distinct) > self._limit:
                table = {}
        for row in new:
            table[row] = self._evaluate(row)
        return table

    def _evaluate(self, row: tuple[int, ...]) -> tuple[_Id, ...]:
        """The (attr id, match id) of the one-token patterns a token of `row` matches."""
        candidates = list(self._single_anywhere)
        for column, by_value in self._single.items():
            candidates.extend(by_value.get(row[column], ()))
        strings = self._strings
        answer = tuple(ids for ids, tests in candidates if tests.hold(row, strings))
        if len(self._answers) >= self._limit:
            self._answers.clear()
        return self._answers.setdefault(answer, answer)

    def _multi_matches(self, rows: list[tuple[int, ...]]) -> Iterator[tuple[int, int, int, int]]:
        n, strings = len(rows), self._strings
        for column, by_value in self._multi.items():
            for i, row in enumerate(rows):
                for attr_id, match_id, tokens, anchor in by_value.get(row[column], ()):
                    start, end = i - anchor, i - anchor + len(tokens)
                    if not (start >= 0 and end <= n):
                        continue
                    if all(tests.hold(rows[start + j], strings) for j, tests in enumerate(tokens)):
                        yield attr_id, match_id, start, end


_Id = tuple[int, int]  # attr id, match id
_Single = tuple[_Id, "_TokenTests"]
_Multi = tuple[int, int, list["_TokenTests"], int]  # attr id, match id, tokens, anchor
_Entry = TypeVar("_Entry")


def _index(
    index: dict[int, dict[int, list[_Entry]]], key: tuple[int, set[int]], entry: _Entry
) -> None:
    """File `entry` under each value of `key`'s column it wants."""
    column, ids = key
    by_value = index.setdefault(column, {})
    for value in ids:
        by_value.setdefault(value, []).append(entry)


def _rows(doc: Doc, columns: list[int]) -> list[tuple[int, ...]]:
    """Each token's values of the attributes `columns`, as ids (the Matcher's values)."""
    if not columns:
        return [()] * len(doc)
    table = doc.to_array(cast(list[int | str], columns)).reshape(len(doc), -1).tolist()
    return [tuple(row) for row in cast(list[list[int]], table)]


class _TokenTests:
    """The conditions on one token: values in (or not in) sets, regular expressions."""

    __slots__ = ("patterns", "values")

    def __init__(self) -> None:
        self.values: list[tuple[int, bool, set[int]]] = []  # column, IN (True) or NOT_IN, ids
        self.patterns: list[tuple[int, re.Pattern[str]]] = []  # column, REGEX

    def key(self) -> tuple[int, set[int]] | None:
        """The column and values of the ``IN`` (or equality) test with the fewest values."""
        wanted = [(column, ids) for column, is_in, ids in self.values if is_in]
        return min(wanted, key=lambda test: len(test[1])) if wanted else None

    def hold(self, row: tuple[int, ...], strings: StringStore) -> bool:
        """Whether a token whose attribute values are `row` meets every condition."""
        return all((row[column] in ids) is wanted for column, wanted, ids in self.values) and all(
            regex.search(strings[row[column]]) for column, regex in self.patterns
        )


def _anchor(tokens: list[_TokenTests]) -> int | None:
    """The token of a pattern with the most selective ``IN`` (or equality) test."""
    keyed = [(len(key[1]), j) for j, key in enumerate(t.key() for t in tokens) if key]
    return min(keyed)[1] if keyed else None


def _all_str(items: Iterable[object]) -> bool:
    return all(isinstance(item, str) for item in items)
