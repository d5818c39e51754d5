"""The Pipeline as a list of steps: explanations on request, steps of one's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language

from newswire_enrich.pipeline import Pipeline
from newswire_enrich.steps import ArticleState, StepError, default_steps, load_steps
from newswire_shared.jobs import read_job
from newswire_shared.schemas import EnrichedArticle

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"


class WordCount:
    """A step of one's own: counts the clean body's words."""

    name = "word_count"

    def setup(self, nlp: Language) -> None:
        """Nothing to prepare."""

    def run(self, article: ArticleState) -> None:
        """Put the count under the step's name."""
        article.extensions[self.name] = len(article.text.split())


def not_a_step() -> object:
    """A factory that returns something that is no step."""
    return object()


def _seed_result(pipeline: Pipeline) -> EnrichedArticle:
    return pipeline.enrich(read_job(sorted(SEEDS.glob("*.txt"))[0], max_bytes=1_000_000))


def test_results_carry_no_explanation_by_default() -> None:
    """Explanations are off unless asked for: results stay small."""
    result = _seed_result(Pipeline(explain=False))
    assert result.explanation is None
    assert "explanation" not in result.model_dump(mode="json")
    assert all(q.found_by for q in result.quotes)  # quotes always say how they were found


def test_an_explained_result_accounts_for_each_decision() -> None:
    """With explain on: removed text with rule and reason, and for every entity its type
    decisions, the last of which is its label."""
    result = _seed_result(Pipeline(explain=True))
    explanation = result.explanation
    assert explanation is not None
    assert explanation.removed and all(r.rule and r.reason for r in explanation.removed)
    for entity in result.entities:
        decisions = [d for d in explanation.entity_types if d.entity_id == entity.id]
        assert decisions, entity.name
        assert decisions[0].step == "model"
        assert decisions[-1].label == entity.label


def test_a_step_of_ones_own_runs_after_the_built_in_ones() -> None:
    """Added to the list, a step sees the clean body and its output lands in extensions;
    it is timed under its name like the others."""
    steps = [*default_steps(50_000), WordCount()]
    result = _seed_result(Pipeline(steps=steps))
    assert result.extensions["word_count"] == len(result.text.split())
    assert [t.step for t in result.pipeline.timings] == [
        "clean", "nlp", "entities", "quotes", "word_count",
    ]  # fmt: skip


def test_extra_steps_are_loaded_from_import_paths() -> None:
    """NEWSWIRE_EXTRA_STEPS names steps as module:factory; a bad path is a clear error."""
    (step,) = load_steps(f"{__name__}:WordCount")
    assert step.name == "word_count"
    with pytest.raises(StepError, match="cannot be imported"):
        load_steps("no_such_module_xyz:Step")
    with pytest.raises(StepError, match="has no name"):
        load_steps(f"{__name__}:not_a_step")


def test_a_step_needing_the_parse_says_so() -> None:
    """Run without the nlp step, the entity step fails with a message naming what it needs."""
    pipeline = Pipeline(steps=[default_steps(50_000)[0], default_steps(50_000)[2]])
    with pytest.raises(StepError, match="needs the 'nlp' step"):
        _seed_result(pipeline)
