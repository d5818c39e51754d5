"""HTML cleaning: boilerplate pruning before trafilatura and block rules after it."""

from __future__ import annotations

from lxml.html import document_fromstring

from newswire_enrich.clean._html import clean_html
from newswire_enrich.clean._html_post import Block, filter_blocks, is_repeated_title
from newswire_enrich.clean._html_prune import keep_embedded_posts, prune_tree

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


def _block(text: str, kind: str = "p", link_chars: int = 0) -> Block:
    return Block(text, kind, link_chars)


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
    assert any("boilerplate container" in r.reason for r in removals)


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
    assert [r.line for r in removals] == ["x"]


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
    assert {r.reason for r in removals} == {"html: list heading", "html: story list"}


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
    from lxml import etree

    from newswire_enrich.clean._html_post import body_blocks

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
