"""HTML cleaning: boilerplate pruning before trafilatura and block rules after it."""

from __future__ import annotations

from lxml import etree
from lxml.html import document_fromstring

from newswire_enrich.clean._html import clean_html
from newswire_enrich.clean._html_post import (
    Block,
    body_blocks,
    drop_company_profile,
    filter_blocks,
    is_repeated_title,
    is_title_again,
)
from newswire_enrich.clean._html_prune import (
    drop_inline_link_clusters,
    keep_embedded_posts,
    merge_split_bodies,
    prune_tree,
)
from newswire_enrich.clean._html_title import headline

_PARAS = [
    "The city council voted on Tuesday to extend the harbour ferry to three new stops, "
    "a plan that has been debated for more than a decade.",
    "Officials said the first boats would run in June, and that fares would stay at the "
    "current level for at least two years after the launch.",
    "Residents of the northern districts, who now spend an hour on buses to reach the "
    "centre, welcomed the decision at a packed public meeting.",
    "The mayor said the extension would be paid for from the transport budget and a "
    "regional grant, without raising local taxes.",
    "Critics on the council argued that the money would be better spent on cycle lanes, "
    "but the motion passed with a comfortable majority.",
]


def _page(extra_inside: str = "", extra_outside: str = "", paras: list[str] | None = None) -> str:
    body = "".join(f"<p>{p}</p>" for p in (paras or _PARAS))
    return (
        '<html lang="en"><head><title>Ferry to expand | Harbour Times</title>'
        '<meta property="og:site_name" content="Harbour Times">'
        '<meta name="author" content="Jane Doe">'
        '<meta property="article:published_time" content="2024-03-03T10:00:00Z"></head>'
        '<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>'
        f"<article><h1>Ferry to expand</h1>{body}{extra_inside}</article>"
        f"{extra_outside}</body></html>"
    )


def _block(
    text: str, kind: str = "p", link_chars: int = 0, group: int = 0, internal: int = 0
) -> Block:
    return Block(text, kind, link_chars, group, internal)


def _chunks(first: str, second: str) -> str:
    """A long-form page whose body is cut in two chunks around an ad slot."""
    return (
        "<html><head><title>Ferry to expand</title></head><body><article><h1>Ferry to expand</h1>"
        f'<div class="chunk"><div class="story-body">{first}</div></div>'
        '<div class="ad-slot">Advertisement</div>'
        f'<div class="chunk"><div class="story-body">{second}</div></div>'
        "</article></body></html>"
    )


def test_article_text_and_metadata_come_out() -> None:
    """Body paragraphs, title, author, site name, ISO date and language are extracted."""
    art, _ = clean_html(_page())
    assert art.text.split("\n\n") == _PARAS
    assert art.title is not None and "Ferry to expand" in art.title
    assert art.authors == ("Jane Doe",)
    assert art.publisher == "Harbour Times"
    assert art.published == "2024-03-03"
    assert art.language == "en"


def test_related_rail_and_comments_are_pruned() -> None:
    """A related-stories aside and a comment section next to the article are removed."""
    outside = (
        '<div class="related-stories"><h3>Related stories</h3><ul>'
        '<li><a href="/a">Bridge tolls to rise next spring</a></li>'
        '<li><a href="/b">Tram line opens after long delays</a></li></ul></div>'
        '<section id="comments"><p>I think this ferry is a waste of money and nobody will '
        "ever use it in winter, mark my words.</p></section>"
    )
    art, removals = clean_html(_page(extra_outside=outside))
    assert "Bridge tolls" not in art.text
    assert "waste of money" not in art.text
    assert {r.rule for r in removals} >= {"story-list", "comment-form"}


def test_newsletter_prompt_and_caption_are_pruned() -> None:
    """Newsletter boxes and figure captions inside the article are removed."""
    inside = (
        '<figure><img src="x.jpg"><figcaption>The ferry at dawn. Photo: J. Smith</figcaption>'
        "</figure>"
        '<div class="newsletter-signup"><p>Get the morning briefing in your inbox.</p></div>'
    )
    art, _ = clean_html(_page(extra_inside=inside))
    assert "ferry at dawn" not in art.text
    assert "morning briefing" not in art.text
    assert art.text.split("\n\n") == _PARAS


def test_article_mentioning_related_is_kept() -> None:
    """A paragraph whose words say 'related' or 'newsletter' is article text, not a widget."""
    paras = [
        *_PARAS[:3],
        "Related stories about the ferry have appeared in the newsletter of the residents' "
        "association, which has campaigned for the route since 2012.",
        *_PARAS[3:],
    ]
    art, _ = clean_html(_page(paras=paras))
    assert "Related stories about the ferry" in art.text


def test_article_list_is_kept() -> None:
    """A bulleted list that is part of the article survives, item by item."""
    inside = (
        "<p>The new stops will be:</p><ul><li>North Quay, near the market</li>"
        "<li>Fisher's Point, by the old lighthouse</li><li>Westbank pier</li></ul>"
        f"<p>{_PARAS[0]}</p>"
    )
    art, _ = clean_html(_page(extra_inside=inside))
    for item in ("North Quay, near the market", "Fisher's Point", "Westbank pier"):
        assert item in art.text


def test_wrapper_named_like_boilerplate_keeps_article() -> None:
    """A container holding most of the page's text is kept even if its class says 'sidebar'."""
    html = _page().replace("<article>", '<article><div class="has-sidebar content">', 1)
    html = html.replace("</article>", "</div></article>", 1)
    art, _ = clean_html(html)
    assert art.text.split("\n\n") == _PARAS


def test_cms_taxonomy_classes_do_not_prune() -> None:
    """WordPress 'tag-…' classes on the post wrapper are not a tags box."""
    tree = document_fromstring(
        '<html><body><div class="post tag-news category-local"><h1>Title</h1></div>'
        '<div class="post-tags"><a href="/t/x">x</a></div></body></html>'
    )
    removals = prune_tree(tree)
    assert tree.find(".//h1") is not None
    assert [r.text for r in removals] == ["x"]


def test_embedded_tweet_is_kept() -> None:
    """A quoted tweet inside a social-embed wrapper is article text and is unhidden."""
    tree = document_fromstring(
        '<html><body><div class="social-media-embed"><blockquote class="twitter-tweet">'
        "<p>The ferry is finally coming!</p></blockquote></div></body></html>"
    )
    keep_embedded_posts(tree)
    assert prune_tree(tree) == []
    assert "finally coming" in tree.text_content()


def test_hidden_elements_are_pruned() -> None:
    """Elements hidden with style or the hidden attribute are not part of the article."""
    tree = document_fromstring(
        '<html><body><p>Visible text.</p><div style="display: none">Modal text</div>'
        "<div hidden>Also hidden</div></body></html>"
    )
    prune_tree(tree)
    assert "Modal" not in tree.text_content()
    assert "Also hidden" not in tree.text_content()


def test_story_list_after_heading_is_dropped() -> None:
    """'You may also like...' and the linked headlines under it go; later text stays."""
    blocks = [
        _block(_PARAS[0]),
        _block("You may also like..."),
        _block("Bridge tolls to rise next spring", link_chars=32),
        _block("Tram line opens after long delays", link_chars=33),
    ]
    kept, removals = filter_blocks(blocks)
    assert [b.text for b in kept] == [_PARAS[0]]
    assert {r.rule for r in removals} == {"story-list-heading", "story-list"}


def test_sentence_starting_like_a_heading_is_kept() -> None:
    """A full article sentence beginning with 'Related' is not a list heading."""
    text = "Related to the vote, the council also approved a new bus timetable for the summer."
    kept, _ = filter_blocks([_block(text), _block(_PARAS[1])])
    assert [b.text for b in kept] == [text, _PARAS[1]]


def test_calls_to_action_contacts_and_credits_dropped() -> None:
    """Newsletter prompts, reporter contact lines and agency credits are removed."""
    blocks = [
        _block(_PARAS[0]),
        _block("Get the latest updates right in your inbox. Subscribe to our newsletters."),
        _block("Write to Jane Doe at jane.doe@example.com"),
        _block("(Reporting by Jane Doe; editing by John Roe.)"),
        _block("Sam Lee contributed to this report."),
    ]
    kept, removals = filter_blocks(blocks)
    assert [b.text for b in kept] == [_PARAS[0]]
    assert len(removals) == 4


def test_article_about_newsletters_is_kept() -> None:
    """A long article paragraph that mentions subscribing is not a call to action."""
    text = (
        "The association said that more than 4,000 residents subscribe to its newsletter, "
        "and that the paper edition, delivered by volunteers to every household in the "
        "northern districts, has become the main way older people hear about council "
        "decisions such as this one, which many of them had asked for at earlier meetings."
    )
    kept, _ = filter_blocks([_block(text)])
    assert [b.text for b in kept] == [text]


def test_quote_with_email_word_is_kept() -> None:
    """A sentence that mentions e-mail but holds no address is article text."""
    text = "She said residents could e-mail the council with their views before June."
    kept, _ = filter_blocks([_block(text)])
    assert kept and kept[0].text == text


def test_shortcode_is_stripped() -> None:
    """Unrendered CMS shortcodes ([button ...]...[/button]) are removed from the text."""
    kept, _ = filter_blocks([_block('[button link="/x" type="big"]Send us a review[/button]')])
    assert [b.text for b in kept] == ["Send us a review"]


def test_repeated_title_matches_headline_without_site_name() -> None:
    """The headline at the top of the body is recognised even when <title> adds the site."""
    assert is_repeated_title("Ferry to expand north", "Ferry to expand north | Harbour Times")
    assert not is_repeated_title("Ferry.", "Ferry to expand north | Harbour Times")


def test_html_fragment_from_json_is_extracted() -> None:
    """An HTML fragment (as found in JSON bodies) is wrapped and extracted."""
    art, _ = clean_html("".join(f"<p>{p}</p>" for p in _PARAS))
    assert _PARAS[0] in art.text


def test_body_blocks_render_lists_tables_and_links() -> None:
    """Nested list items, table rows (cells joined by spaces) and link shares are rendered."""
    body = etree.fromstring(
        "<body><list><item>Stops<list><item>North Quay</item></list> in order</item>"
        "<item>See <ref>the map</ref></item></list>"
        "<table><row><cell>Fare</cell><cell>2.50</cell></row></table></body>"
    )
    blocks = body_blocks(body)
    assert [(b.text, b.kind) for b in blocks] == [
        ("Stops in order", "item"),
        ("North Quay", "item"),
        ("See the map", "item"),
        ("Fare 2.50", "row"),
    ]
    assert blocks[2].link_chars == len("the map")


def test_split_article_body_is_joined() -> None:
    """Body chunks with the same class around an ad slot become one body, in order."""
    first = "".join(f"<p>{p}</p>" for p in _PARAS[:2])
    second = "".join(f"<p>{p}</p>" for p in _PARAS[2:])
    tree = document_fromstring(_chunks(first, second))
    assert merge_split_bodies(tree) == 1
    chunks = tree.find_class("story-body")
    assert [p.text for p in chunks[0].iter("p")] == _PARAS
    art, _ = clean_html(_chunks(first, second))
    assert art.text.split("\n\n") == _PARAS


def test_teaser_cards_and_separate_stories_are_not_joined() -> None:
    """Cards with one short summary each, and chunks of two <article>s, stay apart."""
    card = '<div class="card"><p>Bridge tolls to rise next spring, the council says.</p></div>'
    tree = document_fromstring(f"<html><body>{card}{card}</body></html>")
    assert merge_split_bodies(tree) == 0
    story = "".join(f"<p>{p}</p>" for p in _PARAS[:2])
    two = (
        f'<html><body><article><div class="entry">{story}</div></article>'
        f'<article><div class="entry">{story}</div></article></body></html>'
    )
    tree = document_fromstring(two)
    assert merge_split_bodies(tree) == 0


def test_hover_card_inside_paragraph_is_dropped() -> None:
    """A hidden card of headlines after a linked name goes; the name and sentence stay."""
    tree = document_fromstring(
        "<html><body><p>The bill was filed by Rep. "
        '<span><a href="/people/jane-doe">Jane Doe</a><span><span>'
        '<a href="/people/jane-doe">Jane Doe</a><a href="/a">Ferry vote delayed again</a> '
        '<a href="/b">Council passes budget</a> <a href="/people/jane-doe">MORE</a>'
        "</span></span></span> (D-Harbour) on Monday.</p></body></html>"
    )
    removals = drop_inline_link_clusters(tree)
    text = " ".join(tree.text_content().split())
    assert text == "The bill was filed by Rep. Jane Doe (D-Harbour) on Monday."
    assert [r.rule for r in removals] == ["link-card"]


def test_links_listed_in_a_sentence_are_kept() -> None:
    """Links with words between them are prose: '<a>A</a>, <a>B</a> and <a>C</a>'."""
    html = (
        '<html><body><p>Boats will stop at <span><a href="/n">North Quay</a>, '
        '<a href="/f">Fisher\'s Point</a> and <a href="/w">Westbank</a></span>.</p></body></html>'
    )
    tree = document_fromstring(html)
    assert drop_inline_link_clusters(tree) == []
    assert "Fisher's Point and Westbank" in tree.text_content()


def test_latest_news_box_is_pruned() -> None:
    """A 'latest news' box next to the article is a story list."""
    outside = (
        '<div class="latest-news-box"><h4>Bridge tolls to rise next spring</h4>'
        "<p>The council says the money will go to repairs.</p></div>"
    )
    art, _ = clean_html(_page(extra_outside=outside))
    assert "Bridge tolls" not in art.text


def test_layout_table_cell_gives_paragraphs() -> None:
    """A table cell holding paragraphs is a layout frame: one block per paragraph."""
    body = etree.fromstring(
        "<body><table><row><cell>Dateline<p>First paragraph.</p><p>Second <ref>one</ref>.</p>"
        "</cell></row><row><cell>Fare</cell><cell>2.50</cell></row></table></body>"
    )
    blocks = body_blocks(body)
    assert [(b.text, b.kind) for b in blocks] == [
        ("Dateline", "p"),
        ("First paragraph.", "p"),
        ("Second one.", "p"),
        ("Fare 2.50", "row"),
    ]


def test_list_items_know_their_list_and_site_links() -> None:
    """Items of one list share a group; links to the page's own site are counted."""
    body = etree.fromstring(
        '<body><list><item><ref target="https://www.harbour.example/a">A</ref></item>'
        '<item><ref target="/b">B</ref></item>'
        '<item><ref target="https://other.example/c">C</ref></item></list>'
        "<list><item>D</item></list></body>"
    )
    blocks = body_blocks(body, "https://harbour.example/story")
    assert [(b.group, b.internal_links) for b in blocks] == [(1, 1), (1, 1), (1, 0), (2, 0)]


def test_teasers_under_story_heading_to_the_end_are_dropped() -> None:
    """'Top stories' and the one-line teasers after it, up to the end of the body, go."""
    blocks = [
        *[_block(p) for p in _PARAS],
        _block("Top stories"),
        _block("The council overwhelmingly voted on Tuesday to recognise the harbour trust."),
        _block("A French actor of local descent died at the age of 96, reports say."),
        _block("Partner news"),
        _block("The queen of thieves", link_chars=20),
    ]
    kept, _ = filter_blocks(blocks)
    assert [b.text for b in kept] == _PARAS


def test_story_heading_followed_by_article_text_keeps_it() -> None:
    """After a stray list heading, a story that goes on in short paragraphs stays."""
    blocks = [
        *[_block(p) for p in _PARAS[:2]],
        _block("Related stories"),
        *[_block(p) for p in _PARAS[2:]],
    ]
    kept, _ = filter_blocks(blocks)
    assert [b.text for b in kept] == _PARAS


def test_trailing_list_of_site_links_is_dropped() -> None:
    """A list of links to other pages of the site closing the body is recirculation."""
    blocks = [
        *[_block(p) for p in _PARAS],
        _block("Bridge tolls to rise next spring", "item", 32, 1, 1),
        _block("Tram line opens, finally: see the map", "item", 20, 1, 1),
        _block("Follow us on social media.", "p"),
    ]
    kept, removals = filter_blocks(blocks)
    assert [b.text for b in kept] == _PARAS
    assert any(r.rule == "site-link-list" for r in removals)


def test_list_of_outside_links_or_mid_story_list_is_kept() -> None:
    """Sources linking elsewhere, a partly linked list or linked names in the story stay."""
    sources = [
        _block(_PARAS[0]),
        _block("The council's decision", "item", 22, 1, 0),
        _block("The transport study", "item", 19, 1, 0),
    ]
    kept, _ = filter_blocks(sources)
    assert len(kept) == 3
    mid = [
        _block("The new stops will be North Quay and Westbank, as the map shows.", "item", 8, 1, 1),
        _block("Fisher's Point, by the old lighthouse", "item", 14, 1, 1),
        *[_block(p) for p in _PARAS],
    ]
    kept, _ = filter_blocks(mid)
    assert len(kept) == 2 + len(_PARAS)
    names = [
        _block(_PARAS[0]),
        _block("Jane Doe", "item", 8, 1, 1),
        _block("John Roe", "item", 8, 1, 1),
        *[_block(p) for p in _PARAS[1:]],
    ]
    kept, _ = filter_blocks(names)
    assert len(kept) == 2 + len(_PARAS)


def test_related_pointer_paragraph_is_dropped() -> None:
    """'Related: <linked headline>' between paragraphs goes; 'Related:' prose stays."""
    pointer = "Related: Bridge tolls to rise next spring"
    prose = "Related: the council also approved a new timetable for the summer buses."
    kept, _ = filter_blocks([_block(pointer, link_chars=32), _block(prose)])
    assert [b.text for b in kept] == [prose]


def test_press_release_company_profile_is_dropped() -> None:
    """The closing 'Acme is a global provider ... headquartered in' profile goes."""
    blocks = [
        *[_block(p) for p in _PARAS],
        _block("Acme Ferries is a global provider of harbour transport and ticketing."),
        _block("Acme Ferries is headquartered in Harbour City and employs 1,300 people."),
    ]
    kept, removals = drop_company_profile(blocks, "Acme Ferries wins the harbour contract")
    assert [b.text for b in kept] == _PARAS
    assert len(removals) == 2


def test_description_inside_a_story_is_kept() -> None:
    """Not fired when the name is not in the headline, without company facts, or mid-story."""
    profile = _block("Acme Ferries is a global provider, headquartered in Harbour City.")
    blocks = [*[_block(p) for p in _PARAS], profile]
    assert drop_company_profile(blocks, "Council extends the ferry")[0] == blocks
    plain = [*[_block(p) for p in _PARAS], _block("Acme Ferries is a small family firm.")]
    assert drop_company_profile(plain, "Acme Ferries wins the contract")[0] == plain
    early = [profile, *[_block(p) for p in _PARAS]]
    assert drop_company_profile(early, "Acme Ferries wins the contract")[0] == early


def test_headline_drops_the_site_name() -> None:
    """'Headline | Site', 'Site: Headline' and 'Headline - Site' lose the site's part."""
    assert headline("Ferry to expand | Harbour Times", [], "Harbour Times") == "Ferry to expand"
    assert headline("Harbour Times: Ferry to expand", [], "Harbour Times") == "Ferry to expand"
    assert headline("Ferry to expand - HT", ["Ferry to expand"], None) == "Ferry to expand"


def test_headline_keeps_labels_and_dashes() -> None:
    """A label before a colon, or a dash inside the headline, is not a site name."""
    assert headline("Column: The ferry is late", [], "Harbour Times") == (
        "Column: The ferry is late"
    )
    title = "Ferry review - late, slow, but worth it"
    assert headline(title, ["Something else entirely"], "Harbour Times") == title


def test_headline_prefers_social_title_confirmed_by_h1() -> None:
    """An SEO <title> worded differently gives way to og:title when the <h1> says the same."""
    got = headline("Best ferry tips 2024", ["Ferry to expand north"], None, "Ferry to expand north")
    assert got == "Ferry to expand north"
    assert headline("Best ferry tips", ["Other"], None, "Ferry to expand north") == (
        "Best ferry tips"
    )


def test_headline_repeated_lower_in_the_body() -> None:
    """The whole headline as a block of its own is dropped anywhere; a sentence with it is not."""
    assert is_title_again("Ferry to expand north", "Ferry to expand north")
    assert not is_title_again("Ferry to expand north, the council says.", "Ferry to expand north")
    assert not is_title_again("Ferry", "Ferry")
