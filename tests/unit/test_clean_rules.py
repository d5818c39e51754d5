"""The registry of cleaning rules: names, reasons, one rule per kind of residue on both the
HTML and the text path, removal records, and the plain-text headline ending in a full stop."""

from __future__ import annotations

import re

import pytest
from lxml.html import document_fromstring

from newswire_enrich.clean import RULES, RemovalReason, Rule, clean_article
from newswire_enrich.clean._html_post import Block, filter_blocks
from newswire_enrich.clean._html_prune import prune_tree
from newswire_enrich.clean._plain_headline import is_plain_headline
from newswire_enrich.clean._registry import LINE_RULES, by_name, line_rule
from newswire_enrich.decisions import MAX_REMOVED_CHARS, Removal
from newswire_shared.schemas import MediaType

_KEBAB = re.compile(r"^[a-z]+(?:-[a-z]+)*$")

_PARAS = [
    "The harbour board approved a plan on Monday to add three ferry stops on the east side "
    "of the bay, a change officials said would shorten many commutes.",
    "Board chair Lena Ortiz said the first of the new stops would open next spring, once the "
    "floating dock had been built and inspected.",
    "Residents of the eastern suburbs have asked for better ferry links for more than a "
    "decade, and a petition last year gathered thousands of names.",
    "The plan will be paid for from the regional transport budget, the board said, without "
    "any rise in fares for the first two years.",
]
_BODY = "\n\n".join(_PARAS)


def test_every_rule_has_a_unique_kebab_case_name_and_a_reason() -> None:
    """Rule names are unique kebab-case words; each rule has one RemovalReason."""
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    assert all(_KEBAB.match(n) for n in names), names
    assert all(isinstance(r.reason, RemovalReason) for r in RULES)


def test_rules_are_found_by_name() -> None:
    """``by_name`` returns the registered rule itself."""
    for rule in RULES:
        assert by_name(rule.name) is rule


def test_every_reason_is_used_by_a_rule() -> None:
    """No RemovalReason member is left without a rule that gives it."""
    assert {r.reason for r in RULES} == set(RemovalReason)


def _pruned(container: str) -> list[Removal]:
    """The removals of pruning one container next to an article."""
    paras = "".join(f"<p>{p}</p>" for p in _PARAS)
    tree = document_fromstring(f"<html><body><article>{paras}</article>{container}</body></html>")
    return prune_tree(tree)


# (html container, the same residue as a line of page text, the rule that removes both)
_SAME_KIND = [
    ('<div class="ad-slot">Advertisement</div>', "Advertisement", "advertisement"),
    ('<div id="comments"><p>Leave a reply</p></div>', "Leave a reply", "comment-form"),
    ('<div class="share-bar"><a href="#">Share</a></div>', "Share this article", "share-widget"),
    (
        '<div class="breadcrumb">Home / Ferries / Harbour</div>',
        "Home > Ferries > Harbour",
        "breadcrumb",
    ),
    ("<nav><a href='/'>Back to top</a></nav>", "Back to top", "navigation"),
    (
        "<figcaption>The ferry at dawn / Harbour Times</figcaption>",
        "The ferry at dawn / Harbour Times",
        "photo-caption",
    ),
    ('<div class="cookie-banner">Accept cookies</div>', "Accept cookies and continue", "popup"),
]


@pytest.mark.parametrize(("container", "line", "name"), _SAME_KIND)
def test_same_residue_is_removed_by_the_same_rule_on_both_paths(
    container: str, line: str, name: str
) -> None:
    """A kind of residue has one rule: the HTML container and the text line name it alike."""
    assert [r.rule for r in _pruned(container)] == [name]
    rule = line_rule(line)
    assert rule is not None and rule.name == name


def test_story_list_heading_is_one_rule_on_both_paths() -> None:
    """'Related stories' over a list of headlines: the same rule in HTML blocks and in text."""
    items = ["Bakers share the secrets of rye bread", "Night trains return to the coast line"]
    blocks = [Block(_PARAS[0], "p"), Block("Related stories", "head")]
    blocks += [Block(t, "item", len(t), 1) for t in items]
    _, html_removed = filter_blocks(blocks)
    page = "Home\nMenu\nSearch\nSign in\n\n" + _BODY + "\n\nRelated stories\n" + "\n".join(items)
    text_removed = clean_article(page, MediaType.TEXT).removed
    for removed in (html_removed, text_removed):
        assert ("story-list-heading", "Related stories") in {(r.rule, r.text) for r in removed}
        assert {r.rule for r in removed if r.text in items} == {"story-list"}


def test_repeated_headline_is_one_rule_on_both_paths() -> None:
    """The headline printed again in the body goes as ``repeated-headline`` in both paths."""
    headline = "Ferry to add three stops on the east side"
    paras = "".join(f"<p>{p}</p>" for p in [headline, *_PARAS])
    html = (
        f"<html><head><title>{headline}</title></head><body><article><h1>{headline}</h1>"
        f"{paras}</article></body></html>"
    )
    text = f"{headline}\n{headline}\n\n{_BODY}"
    for source, media in ((html, MediaType.HTML), (text, MediaType.TEXT)):
        art = clean_article(source, media)
        assert art.title == headline
        assert ("repeated-headline", headline) in {(r.rule, r.text) for r in art.removed}


def test_removal_records_carry_rule_reason_and_text() -> None:
    """Every record is a decisions.Removal: a registered rule, that rule's reason, the text."""
    long_line = "Leave a reply " + "x" * (MAX_REMOVED_CHARS + 50)
    page = (
        "Home\nMenu\nSearch\nSign in\n\nAdvertisement\n\n"
        + _BODY
        + "\n\nShare\nTweet\nEmail\n\n"
        + long_line
    )
    art = clean_article(page, MediaType.TEXT)
    assert art.removed
    for r in art.removed:
        assert isinstance(r, Removal)
        rule: Rule = by_name(r.rule)
        assert r.reason == rule.reason.value
        assert len(r.text) <= MAX_REMOVED_CHARS
    assert ("advertisement", "advertising", "Advertisement") in {
        (r.rule, r.reason, r.text) for r in art.removed
    }


@pytest.mark.parametrize(
    "headline",
    [
        "Council votes to close harbour bridge for repairs.",
        "Harbour Bridge to Close for Six Months of Repairs.",
        "Ferry strike ends after pay deal.",
    ],
)
def test_plain_text_headline_ending_in_full_stop_becomes_the_title(headline: str) -> None:
    """A short first line in headline style, standing alone above the story, is its title."""
    art = clean_article(f"{headline}\n\n{_BODY}", MediaType.TEXT)
    assert art.title == headline.removesuffix(".")
    assert art.text == _BODY
    assert [(r.rule, r.reason) for r in art.removed] == [("first-line-headline", "headline")]


@pytest.mark.parametrize(
    ("first", "why"),
    [
        ("The council has voted to close the harbour bridge.", "a one-line lede"),
        ("It was a cold and quiet morning at the harbour.", "a first sentence of the story"),
        ("HARBOURTON, March 3 (Wire) - Ferry strike ends.", "a dateline"),
        ("By Nora Vance and Tom Reed.", "a byline"),
        (
            "Ferries across the bay stopped running at dawn as crews walked out over pay and "
            "rosters.",
            "a long first paragraph",
        ),
        ("Ferry strike ends. Crews back at work.", "two sentences"),
    ],
)
def test_plain_text_headline_must_not_fire(first: str, why: str) -> None:
    """A first paragraph that is part of the story keeps its place in the body."""
    art = clean_article(f"{first}\n\n{_BODY}", MediaType.TEXT)
    assert art.title is None, why
    assert art.text.startswith(first), why


def test_plain_text_headline_needs_its_own_paragraph_and_a_story_under_it() -> None:
    """Not alone in its paragraph, or with a single short paragraph under it: no title."""
    headline = "Council votes to close harbour bridge."
    assert is_plain_headline(headline, True, _PARAS[:2])
    assert not is_plain_headline(headline, False, _PARAS[:2])
    assert not is_plain_headline(headline, True, _PARAS[:1])
    assert not is_plain_headline(headline, True, ["It closes.", _PARAS[0]])
    art = clean_article(f"{headline}\n{_PARAS[0]}\n\n" + "\n\n".join(_PARAS[1:]), MediaType.TEXT)
    assert art.title is None


def test_line_rules_with_a_pattern_come_before_those_with_a_predicate() -> None:
    """The line patterns run as one regex before the predicates: the order must allow it."""
    kinds = [r.pattern is not None for r in LINE_RULES]
    assert kinds == sorted(kinds, reverse=True)
    assert all((r.pattern is None) != (r.line is None) for r in LINE_RULES)


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("Advertisement", "advertisement"),
        ("5 min read", "reading-time"),
        ("Leave a reply", "comment-form"),
        ("Subscribe now", "subscribe-link"),
        ("Sign in", "account-link"),
        ("Share on WhatsApp", "share-widget"),
        ("Back to top", "navigation"),
        ("Accept cookies", "popup"),
        ("Listen to this article", "audio-player"),
        ("Download the app", "app-promo"),
        ("© 2024 Harbour Times. All rights reserved.", "copyright"),
        ("Photo: Jane Doe", "source-credit"),
        ("View the photo gallery", "gallery-link"),
        ("Related: Ferry fares to stay the same", "related-link"),
        ("Most read", "story-list-heading"),
        ("By Nora Vance", "byline"),
        ("Home > Ferries > Harbour", "breadcrumb"),
        ("Published March 3, 2024", "date-line"),
        ("The new ferry at its berth (AP Photo)", "photo-caption"),
        ("The ferry stops at three new piers from June.", None),
    ],
)
def test_each_line_rule_names_its_residue(line: str, name: str | None) -> None:
    """Each line rule fires on its kind of line (and none on a sentence of the story)."""
    rule = line_rule(line)
    assert (rule.name if rule else None) == name


@pytest.mark.parametrize(
    "pointer",
    ["Related: Ferry fares to stay the same", "Read more > Night trains return to the coast"],
)
def test_pointer_to_another_story_is_one_pattern_on_both_paths(pointer: str) -> None:
    """'Related: <headline>' is ``related-link`` as a linked HTML block and as a text line."""
    linked = len(pointer.split(" ", 2)[-1])
    blocks = [Block(_PARAS[0], "p"), Block(pointer, "p", linked), Block(_PARAS[1], "p")]
    kept, removed = filter_blocks(blocks)
    assert [(r.rule, r.text) for r in removed] == [("related-link", pointer)]
    assert [b.text for b in kept] == _PARAS[:2]
    rule = line_rule(pointer)
    assert rule is not None and rule.name == "related-link"
