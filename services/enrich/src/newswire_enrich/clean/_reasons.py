"""Why the cleaning step removed a line or block: one member per kind of page residue."""

from __future__ import annotations

from enum import StrEnum


class RemovalReason(StrEnum):
    """The kind of residue a cleaning rule removes (the ``reason`` of a removal record).

    Several rules may share a reason (a share button on a line of its own and a share bar
    container are both ``SHARE_WIDGET``); each rule has exactly one.
    """

    #: A line or block without a word in it.
    EMPTY = "empty line"
    #: Menus, breadcrumbs, "back to top" and other links around the site.
    NAVIGATION = "navigation"
    #: Advert markers and ad slots.
    ADVERTISING = "advertising"
    #: Lists of other stories, their headings and "Related: ..." pointers.
    STORY_LIST = "story list"
    #: Comment sections and comment forms.
    COMMENTS = "comments"
    #: The writer's name line ("By Jane Doe").
    BYLINE = "byline"
    #: A line that only dates the article.
    DATE_LINE = "date line"
    #: Share buttons and bars, "follow us" prompts.
    SHARE_WIDGET = "share widget"
    #: Account, audio, print and form controls of the page.
    PAGE_WIDGET = "page widget"
    #: Newsletter, subscription and app promos; calls to action.
    PROMO = "newsletter or subscription promo"
    #: Cookie, consent and other pop-up prompts.
    POPUP = "popup or consent prompt"
    #: Photo captions and gallery links.
    PHOTO_CAPTION = "photo caption"
    #: Photo, source and contributor credits.
    CREDIT = "credit line"
    #: Copyright and legal notices.
    COPYRIGHT = "copyright or legal notice"
    #: "5 min read" badges.
    READING_TIME = "reading time"
    #: Sidebars and other complementary page parts.
    SIDEBAR = "sidebar"
    #: The page's header and footer.
    PAGE_FRAME = "page header or footer"
    #: Elements the page hides from readers.
    HIDDEN = "hidden element"
    #: The author's bio or contact box.
    AUTHOR_NOTE = "author note"
    #: A reporter's contact line or a bare address.
    CONTACT = "contact line"
    #: The headline, taken out of the body into the title.
    HEADLINE = "headline"
    #: The headline printed again in the body.
    REPEATED_HEADLINE = "repeated headline"
    #: A line repeated word for word.
    DUPLICATE_LINE = "duplicate line"
    #: A sentence of the body repeated on a line of its own.
    PULL_QUOTE = "pull quote"
    #: Page text outside the article's main span.
    OUTSIDE_MAIN_TEXT = "outside main text"
    #: Unrendered CMS shortcodes and markup.
    MARKUP = "shortcode or markup"
    #: A press release's closing company profile.
    COMPANY_PROFILE = "company profile"
    #: A hover card or link cluster inside a paragraph.
    LINK_CARD = "link card"
