"""Unit tests of the cleaning step (pure function, no I/O besides reading fixtures)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newswire_enrich.clean import CleanedArticle, clean_article
from newswire_enrich.errors import BadInputError, EmptyArticleError, UnsupportedJSONError
from newswire_shared.schemas import MediaType

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"

BODY = (
    "The city council voted on Tuesday to expand the harbour ferry service to three new stops.\n\n"
    "Mayor Ana Ruiz said the decision would cut commuting times for thousands of residents.\n\n"
    "He said no.\n\n"
    "The first new boats are expected to enter service next spring, officials said."
)


def _clean(text: str, media: MediaType = MediaType.TEXT) -> CleanedArticle:
    return clean_article(text, media, "test.txt")


def test_clean_text_comes_through_whole() -> None:
    """Already clean text keeps every paragraph, including a short one-line paragraph."""
    art = _clean(BODY)
    assert art.text == BODY
    assert art.title is None
    assert art.removed == ()


def test_paragraphs_are_separated_by_one_blank_line() -> None:
    """Single newlines and runs of blank lines become exactly one blank line between paragraphs."""
    text = "First paragraph is here.\nSecond paragraph is here.\n\n\n\nThird one is here."
    art = _clean(text)
    assert art.text == (
        "First paragraph is here.\n\nSecond paragraph is here.\n\nThird one is here."
    )


def test_advertisement_and_recommended_markers_are_removed() -> None:
    """'- Advertisement -' and 'RECOMMENDED' lines go; the paragraphs around them stay."""
    text = (
        "Farmers in the valley welcomed the rain after a long dry summer.\n\n"
        "- Advertisement -\n\n"
        "RECOMMENDED\n\n"
        "The regional water board said reservoirs were now half full."
    )
    art = _clean(text)
    assert "Advertisement" not in art.text
    assert "RECOMMENDED" not in art.text
    assert art.text.startswith("Farmers in the valley")
    assert art.text.endswith("reservoirs were now half full.")
    assert {r.rule for r in art.removed} >= {"advertisement", "story-list-heading"}


def test_story_list_under_explore_heading_is_removed() -> None:
    """Headlines listed under an 'Explore' heading are dropped with the heading."""
    text = (
        BODY + "\n\nExplore\nStorm knocks out power across the coast\n"
        "Local bakery wins national bread award\nMinisters meet over fishing quotas"
    )
    art = _clean(text)
    assert art.text == BODY
    assert not any("bakery" in p for p in art.text.split("\n\n"))


def test_story_list_stops_at_real_paragraph() -> None:
    """A list heading does not swallow the article text that follows its headlines."""
    text = (
        "Officials opened the new bridge on Monday after two years of work.\n\n"
        "Related Stories\nBridge costs soar past estimates\n\n"
        "Traffic engineers expect the crossing to carry 20,000 cars a day."
    )
    art = _clean(text)
    assert "Traffic engineers expect" in art.text
    assert "Bridge costs soar" not in art.text


def test_reading_time_breadcrumb_and_comment_form_removed() -> None:
    """'1 min read', glued breadcrumbs and comment-form prompts are page residue."""
    text = (
        "HomeNewsLocal Council Approves...\n"
        "3 min read\n\n" + BODY + "\n\nLeave a Reply\nPlease enter your comment!\n"
        "Please enter your name here"
    )
    art = _clean(text)
    assert art.text == BODY


def test_byline_headline_and_date_become_metadata() -> None:
    """A byline, a headline and a date line before the body become metadata, not text."""
    text = (
        "By: Jane Doe | Harbour Times\n\n"
        "Ferry service to expand to three new stops\n\n"
        "March 3, 2024\n\n" + BODY
    )
    art = _clean(text)
    assert art.title == "Ferry service to expand to three new stops"
    assert art.authors == ("Jane Doe",)
    assert art.published == "2024-03-03"
    assert art.text == BODY


def test_repeated_headline_and_photo_credit_removed() -> None:
    """The headline repeated above the body and a photo caption with its agency are dropped."""
    text = (
        "Ferry service to expand to three new stops\n"
        "Ferry service to expand to three new stops\n"
        "Commuters board a ferry at the main pier. / Reuters\n\n" + BODY
    )
    art = _clean(text)
    assert art.title == "Ferry service to expand to three new stops"
    assert art.text == BODY


def test_markdown_emphasis_stripped_keeping_words() -> None:
    """**bold** and _italic_ markers go, the words stay in place."""
    text = 'She called the plan **"a real step forward."** and _left_ early.'
    art = _clean(text, MediaType.MARKDOWN)
    assert art.text == 'She called the plan "a real step forward." and left early.'


def test_broken_paragraph_rejoined() -> None:
    """A paragraph broken mid-sentence (next part starts lower-case) is joined again."""
    text = "Relations between the two ports have\n\ndeepened in recent years, traders said."
    art = _clean(text)
    assert art.text == (
        "Relations between the two ports have deepened in recent years, traders said."
    )


def test_subheading_followed_by_capitalised_paragraph_not_joined() -> None:
    """A subheading without final punctuation is not glued onto the next paragraph."""
    text = BODY + "\n\nA new timetable\n\nThe timetable will be published in May."
    art = _clean(text)
    assert "A new timetable\n\nThe timetable will be published in May." in art.text


def test_pull_quote_repeated_from_body_removed() -> None:
    """In page text, a line that repeats part of a body paragraph is a pull quote."""
    text = (
        "Menu\nSearch\nSubscribe\n\n"
        "The minister said the new rules would protect small fishing boats from big trawlers, "
        "and that they would start in June.\n\n"
        "the new rules would protect small fishing boats from big trawlers\n\n"
        "Fishermen said they had waited a decade for the change."
    )
    art = _clean(text)
    assert art.text.count("protect small fishing boats") == 1
    assert "Fishermen said" in art.text


def test_words_like_advertisement_inside_sentences_are_kept() -> None:
    """Rules match whole lines: a sentence that mentions adverts or comments stays."""
    text = (
        "The advertisement was pulled after viewers complained to the regulator.\n\n"
        "Readers can leave a comment on the council's website until Friday."
    )
    assert _clean(text).text == text


def test_mojibake_and_nbsp_normalised() -> None:
    """Mojibake is repaired and non-breaking spaces become plain spaces."""
    art = _clean("The cafÃ© reopened on Monday,\u00a0the owner said.")
    assert art.text == "The café reopened on Monday, the owner said."


def test_empty_article_raises() -> None:
    """A page with nothing but residue raises EmptyArticleError."""
    with pytest.raises(EmptyArticleError):
        _clean("- Advertisement -\n\nRECOMMENDED\n\n")


def test_html_page_extracts_body_and_metadata() -> None:
    """HTML goes through trafilatura: title, author, date and body paragraphs come out."""
    paras = "".join(f"<p>{p}</p>" for p in BODY.split("\n\n"))
    html = (
        '<html lang="en"><head><title>Ferry expansion | Harbour Times</title>'
        '<meta name="author" content="Jane Doe">'
        '<meta property="article:published_time" content="2024-03-03T10:00:00Z">'
        '</head><body><nav><a href="/">Home</a><a href="/news">News</a></nav>'
        f"<article><h1>Ferry expansion</h1>{paras}</article>"
        "<footer>Copyright 2024 Harbour Times. All rights reserved.</footer></body></html>"
    )
    art = clean_article(html, MediaType.HTML, "page.html")
    assert art.title is not None and "Ferry expansion" in art.title
    assert "He said no." in art.text
    assert "three new stops" in art.text
    assert "All rights reserved" not in art.text
    assert art.published == "2024-03-03"
    assert art.language == "en"


def test_json_article_shapes() -> None:
    """JSON with title/body/authors/date is read; the body is cleaned like text."""
    doc = {
        "headline": "Ferry service to expand",
        "articleBody": BODY,
        "author": [{"name": "Jane Doe"}],
        "datePublished": "2024-03-03T08:00:00Z",
        "url": "https://example.org/ferry",
    }
    art = clean_article(json.dumps(doc), MediaType.JSON, "a.json")
    assert art.title == "Ferry service to expand"
    assert art.text == BODY
    assert art.authors == ("Jane Doe",)
    assert art.published == "2024-03-03"
    assert art.url == "https://example.org/ferry"


def test_json_with_html_body() -> None:
    """A JSON 'html' field is extracted like an HTML page."""
    paras = "".join(f"<p>{p}</p>" for p in BODY.split("\n\n"))
    doc = {"title": "Ferry", "html": f"<html><body><article>{paras}</article></body></html>"}
    art = clean_article(json.dumps(doc), MediaType.JSON, "a.json")
    assert "He said no." in art.text and art.title == "Ferry"


@pytest.mark.parametrize("payload", ['{"foo": 1}', "[1, 2, 3]", '"just a string"', "{not json"])
def test_unsupported_json_raises(payload: str) -> None:
    """JSON without an article shape, or invalid JSON, raises UnsupportedJSONError."""
    with pytest.raises(UnsupportedJSONError):
        clean_article(payload, MediaType.JSON, "x.json")


def test_seed_with_residue_is_cleaned() -> None:
    """The seed page with a story list and comment form loses them and keeps its body."""
    text = (SEEDS / "004_e149cd83e211bb7b.txt").read_text(encoding="utf-8")
    art = _clean(text)
    assert art.title == (
        "Chinese Leader Xi and Russian Foreign Minister Lavrov Strengthen Strategic Partnership"
    )
    assert "Please enter your comment" not in art.text
    assert "Popular News" not in art.text
    assert "Hurricane Otis" not in art.text
    assert "Advertisement" not in art.text
    assert art.text.startswith("The meeting between Chinese leader Xi Jinping")


def test_all_seeds_clean_fast() -> None:
    """Every seed article cleans without error and with a non-empty body."""
    for path in sorted(SEEDS.glob("*.txt")):
        art = _clean(path.read_text(encoding="utf-8"))
        assert len(art.text.split()) > 100, path.name
        assert "\n\n\n" not in art.text


_GARBAGE_HTML = st.lists(
    st.sampled_from(["<p>", "</p>", "<div>", "<script>", "<!--", "-->", "<html>", "&amp;", "x "]),
    max_size=40,
).map("".join)


@settings(max_examples=80, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=400),
        st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
        _GARBAGE_HTML,
        st.text(alphabet='{}[]":,0123456789abtext ', max_size=80),
    ),
    media=st.sampled_from(list(MediaType)),
)
def test_never_crashes(text: str, media: MediaType) -> None:
    """Any input either cleans or raises a BadInputError, never anything else."""
    try:
        art = clean_article(text, media, "fuzz")
    except BadInputError:
        return
    assert art.text.strip()
    assert "\n\n\n" not in art.text


# ---------------------------------------------------------------- page or clean article

_INLINE_MARKERS = (
    "Workers at the port walked off the job on Monday after talks on pay broke down.\n\n"
    "READ MORE: Port strike enters its second week as talks stall\n\n"
    "Article Continued Below\n\n"
    "The union said its members had not had a raise in four years.\n\n"
    "WATCH: Dock workers picket outside the main gate\n\n"
    "Open this photo in gallery Pickets stand at the main gate of the port on Monday.\n\n"
    "not had a raise in four years\n\n"
    "He said no.\n\n"
    "The port authority said it would meet the union again on Friday."
)


def test_clean_article_keeps_inline_markers_and_short_lines() -> None:
    """Text without page structure is an article: teaser, ad and gallery lines stay as body."""
    art = _clean(_INLINE_MARKERS)
    assert art.text == _INLINE_MARKERS
    assert art.removed == ()


def test_page_structure_switches_on_page_rules() -> None:
    """The same text inside navigation and footer widgets loses its markers and teasers."""
    text = "Home\nMenu\nSearch\nSign in\n\n" + _INLINE_MARKERS + "\n\nPrivacy Policy\nTerms of Use"
    art = _clean(text)
    assert "READ MORE" not in art.text
    assert "Article Continued Below" not in art.text
    assert "Open this photo in gallery" not in art.text
    assert "He said no." in art.text
    assert "Privacy Policy" not in art.text


def test_page_evidence_counts_structure() -> None:
    """Widgets and story lists make a page; a list of short items alone does not."""
    from newswire_enrich.clean._page_signals import page_evidence

    award_list = [
        "The jury named the winners of the regional book prize on Saturday evening.",
        "Best novel",
        "The Salt Road",
        "Winter Harbour",
        "Best first book",
        "Small Rooms",
    ]
    assert not page_evidence(award_list).is_page
    nav = ["Home", "Subscribe", "The council met on Monday to discuss the budget for next year."]
    assert page_evidence(nav).is_page
    lists = ["The council met on Monday to discuss the budget.", "Related", "Budget row deepens"]
    assert page_evidence(lists).is_page
    residue_only = ["- Advertisement -", "RECOMMENDED"]
    assert page_evidence(residue_only).is_page


def test_agency_byline_becomes_author() -> None:
    """'Name, The Associated Press' above the lede is a byline, not body text."""
    text = "Jane Doe and Tom Lee, The Associated Press\n\n" + BODY
    art = _clean(text)
    assert art.authors == ("Jane Doe", "Tom Lee")
    assert art.text == BODY


def test_agency_name_inside_sentence_is_not_a_byline() -> None:
    """A sentence that ends with a news agency's name stays in the body."""
    text = BODY + "\n\nThe figures were first reported by Tom Lee, The Associated Press"
    art = _clean(text)
    assert art.text.endswith("first reported by Tom Lee, The Associated Press")
    assert art.authors == ()


def test_headline_above_lede_is_title() -> None:
    """One short line above the lede of a clean article is its headline."""
    art = _clean("Ferry service to expand to three new stops\n\n" + BODY)
    assert art.title == "Ferry service to expand to three new stops"
    assert art.text == BODY


def test_summary_bullets_above_lede_are_not_a_title() -> None:
    """Several short lines above the lede, without byline or date, stay as body text."""
    text = "Three new stops planned\n\nBoats arrive next spring\n\n" + BODY
    art = _clean(text)
    assert art.title is None
    assert art.text.startswith("Three new stops planned\n\nBoats arrive next spring")


def test_source_credit_removed_but_source_in_sentence_kept() -> None:
    """A labelled credit line goes even in a clean article; the word in a sentence stays."""
    text = BODY + "\n\nSource: Harbour Times and agencies\n\nThe source of the funds was unclear."
    art = _clean(text)
    assert "Harbour Times and agencies" not in art.text
    assert art.text.endswith("The source of the funds was unclear.")
    assert any(r.rule == "source-credit" for r in art.removed)


def test_reading_time_removed_in_clean_article() -> None:
    """A reading-time badge is never article text."""
    art = _clean("4 min read\n\n" + BODY)
    assert art.text == BODY


_PAGE_TEASERS = (
    "Storm closes schools across the north as snow keeps falling through the night.\n"
    "Local team wins the cup after a dramatic penalty shoot-out in the final.\n"
    "New bakery opens on the high street and draws long queues on its first day.\n"
    "Council approves plans for a new cycle lane along the river after long debate.\n"
)


def test_page_article_found_under_repeated_headline() -> None:
    """In a page dump, the article starts under the <title> headline where it recurs."""
    text = (
        "Ferry service to expand to three new stops | Harbour Times\n"
        "Menu\nSearch\nSubscribe\nSign in\n" + _PAGE_TEASERS + "\n"
        "Ferry service to expand to three new stops\n"
        "March 3, 2024\n\n" + BODY + "\n\nShare\nTweet\n"
    )
    art = _clean(text)
    assert art.title == "Ferry service to expand to three new stops"
    assert art.text == BODY
    assert art.published == "2024-03-03"


def test_page_copyright_footer_ends_article() -> None:
    """Sentences after the copyright notice (sidebar teasers) are not article text."""
    text = (
        "Home\nMenu\nSearch\nSign in\n\n" + BODY + "\n\n"
        "© 2024 Harbour Times. All rights reserved.\n" + _PAGE_TEASERS
    )
    art = _clean(text)
    assert art.text == BODY


def test_post_navigation_above_article_does_not_end_search() -> None:
    """'Previous Post' above the article is navigation, not the end of the article."""
    text = "Home\nMenu\nSearch\nPrevious Post\nNext Post\n\n" + BODY + "\n\nComments\nGreat post!"
    art = _clean(text)
    assert art.text == BODY


def test_footer_start_rule() -> None:
    """Copyright notices and closing stamps end an article; sentences about them do not."""
    from newswire_enrich.clean._rules import is_footer_start

    assert is_footer_start("© 2024 Harbour Times. All rights reserved.")
    assert is_footer_start("First published on March 3, 2024 / 9:15 AM")
    assert not is_footer_start("Copyright law changed in 2019, the court heard.")
    assert not is_footer_start("Published in 2019, the book sold well.")


_PAGE_TOP = "Home\nMenu\nSearch\nSign in\n\n"
_COMMENTS = (
    "Great read, thank you for writing this.\n"
    "I have lived by the harbour for ten years and the ferry is always late.\n"
    "Thanks for stopping by, it is good to hear from a local reader."
)


def test_page_share_row_ends_article_before_comments() -> None:
    """A share row cut away under the article starts a new span: comments in full sentences
    under it are not article text."""
    text = _PAGE_TOP + BODY + "\n\n120 Shares\nShare\nTweet\nEmail\n\n" + _COMMENTS
    art = _clean(text)
    assert art.text == BODY


def test_page_share_row_above_article_keeps_whole_article() -> None:
    """A share row between the headline and the lede does not cut the article."""
    text = _PAGE_TOP + "Ferry service to expand\n\nShare\nTweet\nEmail\n\n" + BODY
    art = _clean(text)
    assert art.text == BODY


def test_page_comment_thread_heading_ends_article() -> None:
    """'N thoughts on "Headline"' opens the comment thread; a sentence about comments does
    not end the article."""
    text = _PAGE_TOP + BODY + "\n\n3 thoughts on “Ferry service to expand”\n" + _COMMENTS
    assert _clean(text).text == BODY
    inside = "Readers left 40 comments on the plan within an hour, the council said."
    body = BODY.replace("He said no.", inside)
    assert inside in _clean(_PAGE_TOP + body).text


def test_page_about_this_article_and_sources_end_article() -> None:
    """'About this article' and 'Sources:' blocks close fact-check pages."""
    sources = (
        "Harbour Board, annual ferry report, March 2, 2024\n"
        "Email interview with a transport economist at the regional university, March 1, 2024"
    )
    for marker in ("About this article", "Sources:"):
        text = _PAGE_TOP + BODY + f"\n\n{marker}\n" + sources
        assert _clean(text).text == BODY


def test_story_list_stops_at_page_headline() -> None:
    """A menu read as a story list ends at the page's own headline, which the article
    follows."""
    text = (
        "Ferry service to expand to three new stops | Harbour Times\n"
        "Menu\nSearch\nSubscribe\nSign in\n\nLatest\nPolitics\nSport\nBusiness\n"
        "Ferry service to expand to three new stops\n"
        "March 3, 2024\n"
        "The harbour board agreed on Tuesday to add three stops to the ferry route without "
        "raising fares for commuters\n\n" + BODY
    )
    art = _clean(text)
    assert art.text.startswith("The harbour board agreed on Tuesday")
    assert art.text.endswith(BODY)


def test_title_case_headlines_continue_story_list() -> None:
    """Title Case headlines ending in '?' or '.' still belong to a story list; a sentence in
    sentence case ends it."""
    from newswire_enrich.clean._rules import is_title_case

    assert is_title_case("Can a Person Survive Eating Only Beef?")
    assert is_title_case("Ten Things That Happen to Your Body in Winter.")
    assert not is_title_case("The council met on Monday to discuss the budget.")
    assert not is_title_case("Ferry Fares")
    text = (
        _PAGE_TOP + BODY + "\n\nMost Read\nCan a Person Survive Eating Only Beef?\n"
        "Why Do Cats Sleep So Much of the Day?\n"
        "Officials said the new timetable would be published in the spring, after talks."
    )
    art = _clean(text)
    assert "Beef" not in art.text
    assert "Cats" not in art.text


def test_more_list_headings() -> None:
    """Section labels with a 'More' link and 'Most read in ...' open story lists; ordinary
    phrases with 'more' do not."""
    from newswire_enrich.clean._rules import is_block_start

    assert is_block_start("Trump Impeachment Inquiry More")
    assert is_block_start("Most read in world news")
    assert is_block_start("Most Read Most Shared")
    assert is_block_start("More in Harbour News")
    assert is_block_start("You may also like...")
    assert is_block_start("Read this next")
    assert not is_block_start("Tell me more")
    assert not is_block_start("Much more to come.")
    assert not is_block_start("Most readers agreed")


def test_caption_with_credit_and_advert_marker() -> None:
    """'... Credit: Agency' captions and 'Advert' markers are residue; sentences that mention
    credit or an advert are not."""
    from newswire_enrich.clean._registry import ADVERTISEMENT, line_rule
    from newswire_enrich.clean._rules import is_photo_caption

    assert is_photo_caption("Officials inspect the harbour wall on Monday Credit: Harbour Times")
    assert is_photo_caption("The new ferry at its berth Picture: Jane Doe")
    assert not is_photo_caption("The bank cut his credit limit last year.")
    assert not is_photo_caption("He said the credit for the win belonged to the whole team.")
    assert line_rule("Advert") is ADVERTISEMENT
    assert line_rule("He saw the advert on television.") is None


def test_newsletter_blurb_rule() -> None:
    """Sign-up promos and newsletter form messages are residue; sentences that report on a
    newsletter or on subscribers are not."""
    from newswire_enrich.clean._page_residue import is_newsletter_blurb

    assert is_newsletter_blurb("Sign up for our free morning briefing")
    assert is_newsletter_blurb("Need more harbour news? Subscribe to our weekly digest!")
    assert is_newsletter_blurb("Get the best stories delivered to your inbox.")
    assert is_newsletter_blurb("No spam, we promise. You can unsubscribe at any time.")
    assert is_newsletter_blurb("Thanks for signing up!")
    assert is_newsletter_blurb("Harbour Times Newsletters")
    assert is_newsletter_blurb("Got a news tip? We want to hear from you.")
    assert not is_newsletter_blurb("In a newsletter to clients, the bank said rates would rise.")
    assert not is_newsletter_blurb("Subscribers to the ferry pass rose by a tenth last year.")
    assert not is_newsletter_blurb("The sign up rate for the scheme was low, officials said.")


def test_page_newsletter_blurb_removed() -> None:
    """A newsletter promo between two paragraphs of a page goes; the paragraphs stay."""
    first, rest = BODY.split("\n\n", 1)
    text = (
        _PAGE_TOP + first + "\n\nSign up for the Harbour Times daily newsletter\n"
        "Get our top stories delivered to your inbox every morning.\n\n" + rest
    )
    art = _clean(text)
    assert art.text == BODY
    assert "newsletter-promo" in {r.rule for r in art.removed}


def test_copyright_symbol_inside_line_is_a_footer() -> None:
    """A line that carries '©<year>' anywhere is a copyright footer; the word 'copyright' in
    a sentence is not."""
    from newswire_enrich.clean._rules import is_footer_start

    assert is_footer_start("The contents of this site are ©2024 Harbour Media Group.")
    assert not is_footer_start("The copyright 2019 dispute went to court, lawyers said.")
    text = _PAGE_TOP + BODY + "\n\nThe contents of this site are ©2024 Harbour Media Group.\n"
    assert _clean(text + _PAGE_TEASERS).text == BODY


def test_tag_line_without_colon_ends_article() -> None:
    """'Tags storms flooding' (no colon) and 'Related Tags' close the article in a page; a
    sentence starting with 'Tags' does not."""
    from newswire_enrich.clean._text import _END_MARKER

    assert _END_MARKER.match("Tags ferry harbour council")
    assert _END_MARKER.match("Related Tags")
    assert _END_MARKER.match("タグ: ソフトウェア")
    assert not _END_MARKER.match("Tags on the new bags show the price.")
    text = _PAGE_TOP + BODY + "\n\nTags ferry harbour council\n" + _COMMENTS
    assert _clean(text).text == BODY


def test_more_site_latest_section_and_partner_list_headings() -> None:
    """'More <Site>', 'Our Latest Stories', 'Latest <Section>', 'Partner news' and CJK
    'related articles' headings open story lists; sentences and long headlines do not."""
    from newswire_enrich.clean._rules import is_block_start

    assert is_block_start("More Harbour Times")
    assert is_block_start("Our Latest Stories")
    assert is_block_start("Latest Business")
    assert is_block_start("Partner news")
    assert is_block_start("関連記事")
    assert is_block_start("相关文章")
    assert not is_block_start("More ferries are planned for next year.")
    assert not is_block_start("More Than 100 Protesters Killed In Clashes")
    assert not is_block_start("Latest Polls Show Tight Race")


def test_story_list_with_summaries_is_removed() -> None:
    """Teaser cards under a list heading (headline, author line, one-sentence summary) go
    together; the article above stays whole."""
    cards = (
        "More Harbour Times\n\n"
        "Bakery wins national bread award\nJane Doe\n"
        "The family-run shop beat two hundred entries with its sourdough loaf.\n\n"
        "What makes the new museum so popular?\nJohn Roe\n"
        "Visitors have queued for hours since the doors opened last week.\n\n"
        "Ministers meet over fishing quotas\nAnna Poe\n"
        "Talks in the capital ended without agreement late on Friday.\n\n"
        "Council to review parking charges\n"
    )
    art = _clean(_PAGE_TOP + BODY + "\n\n" + cards)
    assert art.text == BODY


def test_paragraph_after_list_item_is_kept_when_article_continues() -> None:
    """A short paragraph right after a listed headline is article text when more paragraphs
    (or nothing) follow it, not another list item."""
    first, rest = BODY.split("\n\n", 1)
    text = (
        _PAGE_TOP + first + "\n\nRelated Stories\nBridge costs soar past estimates\n\n"
        "Traffic engineers expect the crossing to carry 20,000 cars a day.\n\n" + rest
    )
    art = _clean(text)
    assert "Traffic engineers expect the crossing" in art.text
    assert art.text.endswith("officials said.")


def test_cjk_full_stop_ends_a_sentence() -> None:
    """Japanese and Chinese full stops and closing brackets end sentences."""
    from newswire_enrich.clean._rules import ends_sentence

    assert ends_sentence("これでようやく元の操作性を取り戻せました。")
    assert ends_sentence("他说：「我们会继续努力！」")
    assert not ends_sentence("関連記事")


def test_author_bio_rule() -> None:
    """Author notes (role, joining date, contact) are recognised; a sentence about a
    newsroom or a page's own social links is not."""
    from newswire_enrich.clean._page_residue import is_author_bio

    assert is_author_bio("Jane Doe is a staff writer at the Harbour Times.")
    assert is_author_bio("Jane Doe (@janedoe) is a contributing editor covering transport.")
    assert is_author_bio("Jane joined the Harbour Times in May 2019. She has covered ports.")
    assert is_author_bio("Email Jane Doe at jdoe@example.com or follow her on Twitter.")
    assert not is_author_bio("Follow Harbour Times on Facebook, Twitter and Instagram.")
    assert not is_author_bio("Nobody covers the harbour like the local paper, he said.")
    assert not is_author_bio("The mayor said the plan was a good one.")


def test_page_author_bio_at_foot_is_removed() -> None:
    """The author's name line and bio under a page's article go; the article stays."""
    bio = (
        "Jane Doe\n\nJane joined the Harbour Times in March 2017. She has been reporting on "
        "transport and the port since 2009.\n"
    )
    assert _clean(_PAGE_TOP + BODY + "\n\n" + bio).text == BODY


def test_page_photo_caption_with_credit_on_next_line_is_removed() -> None:
    """A caption sentence with its credit on the very next line goes with the credit; a
    paragraph separated from a credit by a blank line stays."""
    from newswire_enrich.clean._page_residue import is_credit_line

    assert is_credit_line("(Image credit: Harbour Board)")
    assert is_credit_line("Jane Doe | Reuters | Getty Images")
    assert is_credit_line("Getty Images")
    assert not is_credit_line("The photo was taken by a passer-by on the pier.")
    first, rest = BODY.split("\n\n", 1)
    caption = "The new ferry at its berth on Monday.\n(Image credit: Harbour Board)\n\n"
    art = _clean(_PAGE_TOP + first + "\n\n" + caption + rest)
    assert art.text == BODY
    loose = _PAGE_TOP + first + "\n\n(Image credit: Harbour Board)\n\n" + rest
    assert _clean(loose).text == BODY


# ------------------------------------------------------------ robustness rules (residue check)
_LONG_BODY = (
    "The harbour board approved a plan on Monday to add three ferry stops on the east side of "
    "the bay, a change that officials said would shorten many commutes by a quarter of an hour.\n\n"
    "Board chair Lena Ortiz said the first of the new stops would open next spring, once the "
    "floating dock had been built and inspected by the coast guard.\n\n"
    "Residents of the eastern suburbs have asked for better ferry links for more than a decade, "
    "and a petition last year gathered eleven thousand names in a few weeks.\n\n"
    "The plan will cost about forty million dollars, most of it paid by the regional government."
)


def _wrap(text: str, width: int) -> str:
    return "\n\n".join(
        textwrap.fill(para, width, break_long_words=False, break_on_hyphens=False)
        for para in text.split("\n\n")
    )


def test_unwrap_lines_joins_hard_wrapped_paragraphs() -> None:
    """Text saved at a fixed width gets its paragraphs back; short lines stay lines."""
    from newswire_enrich.clean._normalize import unwrap_lines

    wrapped = _wrap(_LONG_BODY, 64)
    assert max(len(x) for x in wrapped.split("\n")) <= 64
    assert "\n".join(unwrap_lines(wrapped.split("\n"))) == _LONG_BODY
    menu = ["World", "Politics", "Business", "Sport", ""]
    assert unwrap_lines(menu + wrapped.split("\n"))[:5] == menu


def test_unwrap_lines_leaves_unwrapped_text_alone() -> None:
    """Must not fire: one paragraph a line (lengths vary widely), menus, list items, and a
    line far longer than the wrap width (never wrapped) followed by another line."""
    from newswire_enrich.clean._normalize import unwrap_lines

    lines = _LONG_BODY.replace("\n\n", "\n").split("\n")
    assert unwrap_lines(lines) == lines
    short = ["Share", "Tweet", "Email", "Most Read", "Ferry fares rise", "Bridge closes"]
    assert unwrap_lines(short) == short
    wrapped = _wrap(_LONG_BODY, 60).split("\n")
    long_line = "A summary line that was never wrapped and runs on well past the width " * 2
    listed = [*wrapped, "", long_line.strip(), "Next headline in the list"]
    assert unwrap_lines(listed)[-2:] == listed[-2:]
    bullets = [*wrapped, "", "- first point of a list that runs close to sixty chars", "- b"]
    assert unwrap_lines(bullets)[-2:] == bullets[-2:]


def test_page_hard_wrapped_article_is_cleaned_whole() -> None:
    """A page dump wrapped at 70 columns keeps every paragraph of its article."""
    text = _PAGE_TOP + "Home > News > Local\n\nShare\nTweet\n\n" + _wrap(_LONG_BODY, 70)
    assert _clean(text).text == _LONG_BODY


def test_date_stamp_is_not_a_footer() -> None:
    """'Published <date>' heads articles as often as it closes them: it separates blocks but
    does not end the article; 'First published on' still does."""
    from newswire_enrich.clean._rules import is_date_stamp, is_footer_start

    assert is_date_stamp("Published March 3, 2021")
    assert is_date_stamp("Updated: 4:12 PM EST, March 3, 2021")
    assert not is_footer_start("Published March 3, 2021")
    assert is_footer_start("First published on March 3, 2021")
    assert not is_date_stamp("Published in March 2021, the report found rising fares.")
    assert not is_date_stamp("March 3, 2021")


def test_page_dateline_above_lede_keeps_lede() -> None:
    """A page with a 'Published <date>' line between headline and lede keeps the lede."""
    text = (
        "World\nPolitics\nBusiness\nSport\n\nHome > News > Local\n\n"
        "Ferry service to expand\n\nPublished March 3, 2021\n\nShare this article\n\n"
        + _LONG_BODY
        + "\n\nTags: ferries, harbour\n\n© 2024 Harbour Times. All rights reserved."
    )
    assert _clean(text).text == _LONG_BODY


def test_story_continues_below_advertisement_marker() -> None:
    """'Story continues below advertisement' and its variants are advert markers; a sentence
    that happens to start the same way is not."""
    from newswire_enrich.clean._registry import ADVERTISEMENT, line_rule

    for line in (
        "Story continues below advertisement",
        "Article continues below this ad",
        "Story continued below",
    ):
        assert line_rule(line) is ADVERTISEMENT, line
    assert line_rule("The story continues below the surface, she said.") is None


def test_email_field_is_a_newsletter_blurb() -> None:
    """An e-mail field of a sign-up box is a blurb; a sentence about e-mail is not."""
    from newswire_enrich.clean._page_residue import is_newsletter_blurb

    assert is_newsletter_blurb("Enter your email address")
    assert is_newsletter_blurb("Your e-mail address:")
    assert not is_newsletter_blurb("Residents can email their address to the ferry office.")
    assert not is_newsletter_blurb("Enter your email address in the form, the board said.")


def test_page_sign_up_box_inside_article_does_not_cut_it() -> None:
    """Three sign-up lines between two paragraphs are a newsletter box, not a share row that
    ends the article: the paragraphs after it stay."""
    first, rest = _LONG_BODY.split("\n\n", 1)
    box = "Subscribe to our newsletter\nEnter your email address\nSign up"
    text = _PAGE_TOP + first + "\n\n" + box + "\n\n" + rest
    assert _clean(text).text == _LONG_BODY


def test_page_pull_quote_sentence_is_removed() -> None:
    """In page text, a sentence of a paragraph repeated on a line of its own (a pull quote),
    with or without quote marks and final punctuation, goes; the paragraph stays."""
    pull = "Board chair Lena Ortiz said the first of the new stops would open next spring"
    first, rest = _LONG_BODY.split("\n\n", 1)
    for shown in (pull + ".", f"“{pull}”", pull):
        text = (
            _PAGE_TOP
            + first
            + "\n\n"
            + shown
            + "\n\n"
            + rest.replace("spring, once", "spring. Once")
        )
        art = _clean(text)
        assert shown not in art.text.split("\n\n"), shown
        assert "Once the floating dock" in art.text


def test_page_repeated_line_keeps_plain_copy() -> None:
    """A line repeated word for word keeps the copy without quote marks; short repeated
    lines ('He said no.') are not touched (must not fire)."""
    quote = "The plan will cost about forty million dollars, most of it regional money."
    first, rest = _LONG_BODY.split("\n\n", 1)
    body = first + "\n\nHe said no.\n\n" + rest + "\n\nHe said no.\n\n" + quote
    text = _PAGE_TOP + f"“{quote}”\n\n" + body
    art = _clean(text)
    assert art.text.count("forty million dollars, most of it regional") == 1
    assert quote in art.text.split("\n\n")
    assert art.text.count("He said no.") == 2


def test_clean_article_keeps_repeated_sentences() -> None:
    """Must not fire on clean articles: without page structure, nothing is deduplicated."""
    sent = "Board chair Lena Ortiz said the first of the new stops would open next spring."
    text = _LONG_BODY + "\n\n" + sent
    assert _clean(text).text == text


# --- page headlines -------------------------------------------------------------------------

_HEADLINE = "Harbour board backs three new ferry stops"
_MENU = "World\nSport\nVideo\nCulture\nTravel\n\n"
_SHARE = "Share\nTweet\nEmail\n\n"


def test_menu_entry_video_does_not_swallow_headline() -> None:
    """'Video' between other menu entries is a menu entry, not a story-list heading: the
    headline under the menu and the lede are kept."""
    text = _MENU + _HEADLINE + "\nBy Nora Vance\nMarch 3, 2024\n\n" + _SHARE + _LONG_BODY
    art = _clean(text)
    assert art.title == _HEADLINE
    assert art.text == _LONG_BODY
    assert not any(r.text == "Video" and r.rule == "story-list-heading" for r in art.removed)
    assert not any(r.rule == "story-list" for r in art.removed)


def test_video_heading_over_story_list_still_opens_list() -> None:
    """Must not fire on a real list: 'Video' above a list of headlines still heads a list."""
    listing = (
        "Video\nCyclists race through the old town at dawn\n"
        "Bakers share secrets of the perfect rye loaf\nNight trains return to the coast line\n"
    )
    text = _PAGE_TOP + _LONG_BODY + "\n\n" + listing
    art = _clean(text)
    assert art.text == _LONG_BODY
    assert any(r.rule == "story-list" for r in art.removed)


def test_title_line_with_site_below_menu_is_found() -> None:
    """A 'Headline | Site' line with its headline right next to it is found below a menu
    longer than the first lines of the page, and gives the publisher."""
    text = _MENU + f"{_HEADLINE} | Bay Courier\n{_HEADLINE}\nJune 2, 2023\n\n" + _SHARE + _LONG_BODY
    art = _clean(text)
    assert art.title == _HEADLINE
    assert art.text == _LONG_BODY
    assert art.publisher == "Bay Courier"


def test_headline_over_name_and_role_lines() -> None:
    """A headline above a writer's name, role ('Staff Writer') and date is the title; the
    name line is not."""
    text = (
        _PAGE_TOP + _HEADLINE + "\nNora Vance\nStaff Writer\nMay 5, 2022\n\n" + _SHARE + _LONG_BODY
    )
    art = _clean(text)
    assert art.title == _HEADLINE


def test_agency_byline_is_not_a_page_title() -> None:
    """Must not fire: 'Name, The Associated Press' under the headline is never the title."""
    text = _PAGE_TOP + _HEADLINE + "\nNora Vance, The Associated Press\n\n" + _SHARE + _LONG_BODY
    art = _clean(text)
    assert art.title == _HEADLINE


def test_glued_breadcrumb_points_at_headline() -> None:
    """A glued breadcrumb that ends with the headline's first words ('HomeWorldHarbour boa...')
    marks the line it cuts off as the headline, over a later sidebar line."""
    sidebar = "Ferry fares will rise again next year"
    page = f"\n{_HEADLINE}\n{sidebar}\n\n{_LONG_BODY}\n\n{_SHARE}"
    assert _clean("HomeWorldHarbour board backs thr..." + page).title == _HEADLINE
    assert _clean("HomeWorldSport" + page).title == sidebar  # no cut-off headline to point


def test_page_title_line_and_its_h1_variant() -> None:
    """In a page dump that opens with its <title>, a later line repeating most of its words
    (the h1) is the headline; without one, the <title> less the site name is."""
    h1 = "Harbour board backs three new ferry stops on the east side"
    text = (
        f"{_HEADLINE} - Bay Courier\nHome\nMenu\nSearch\nSign in\n\n"
        f"{h1}\nPhoto: Nora Vance\n\n" + _LONG_BODY + "\n\n" + _SHARE
    )
    assert _clean(text).title == h1
    text = (
        f"{_HEADLINE} - Bay Courier\nHome\nMenu\nSearch\nSign in\n"
        "Ferry fares will rise again next year\n\n" + _LONG_BODY + "\n\n" + _SHARE
    )
    assert _clean(text).title == _HEADLINE


def test_page_without_headline_gets_no_title() -> None:
    """Must not fire: a page whose top is only menus and widgets has no title, and a story
    list above the article does not lend it one."""
    text = _PAGE_TOP + _SHARE + _LONG_BODY
    assert _clean(text).title is None
    listing = (
        "Most Read\nCyclists race through the old town at dawn\n"
        "Bakers share secrets of the perfect rye loaf\n\n"
    )
    assert _clean(_PAGE_TOP + listing + _LONG_BODY).title is None


def test_menu_line_rule() -> None:
    """Menu entries on one line are told apart from Title Case headlines."""
    from newswire_enrich.clean._rules import is_menu_line

    assert is_menu_line("World Business Sport Culture Travel")
    assert is_menu_line("News | Opinion | Video")
    assert not is_menu_line("Harbour Board Backs Three New Ferry Stops on the East Side")
    assert not is_menu_line("Mayor's Ferry Plan Wins Praise")
    assert not is_menu_line("harbour board backs ferry stops")


def test_follow_us_widget_rule() -> None:
    """'Follow us on Google News' is a widget; a sentence starting the same way is not."""
    from newswire_enrich.clean._registry import SHARE_WIDGET, line_rule

    assert line_rule("Follow us on Google News") is SHARE_WIDGET
    assert line_rule("Follow us on the long walk along the river to the old mill.") is None


def test_markdown_heading_opening_clean_article_is_title() -> None:
    """A markdown '# Heading' opening a clean article is its title even with a dek under it;
    without the heading mark the two short lines stay body text (must not fire)."""
    dek = "Boats will stop at three new piers from next spring"
    art = _clean(f"# {_HEADLINE}\n\n{dek}\n\n{BODY}", MediaType.MARKDOWN)
    assert art.title == _HEADLINE
    assert art.text == f"{dek}\n\n{BODY}"
    art = _clean(f"{_HEADLINE}\n\n{dek}\n\n{BODY}", MediaType.MARKDOWN)
    assert art.title is None


def test_menu_entry_not_joined_to_next_paragraph() -> None:
    """A menu entry is never joined to a lower-case line as a paragraph broken mid-sentence;
    a real broken sentence still is."""
    text = _PAGE_TOP + "World\n\nbut the plan still needs the approval of the regional council.\n\n"
    art = _clean(text + _LONG_BODY)
    assert "World but" not in art.text
    broken = "The board said the stops would\n\nopen next spring after a final inspection."
    art = _clean(broken)
    assert art.text == "The board said the stops would open next spring after a final inspection."
