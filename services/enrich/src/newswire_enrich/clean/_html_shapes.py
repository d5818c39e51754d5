"""Shapes of the residue trafilatura keeps in an HTML page's extracted body: the patterns
the registry's HTML block rules (``_registry``) are made of; ``_html_post`` adds the
structure (word counts, link text, position).
"""

from __future__ import annotations

import re

#: Headings that open a list of other stories.
LIST_HEADING = re.compile(
    r"^(?:(?:you (?:may|might|will) (?:also )?(?:like|love|enjoy|be interested in)|"
    r"(?:also|further|recommended|suggested) reading|read (?:more|next|also)|also read|"
    r"see also|(?:more|other|related|recommended|latest|top|popular|trending|recent|similar)"
    r"(?: \w+){0,3} (?:stories|articles|news|posts|headlines|reads|videos|coverage|content)|"
    r"related(?: \w+)?|recommended(?: for you)?|most (?:read|popular|viewed|shared|commented)"
    r"(?: \w+){0,4}|more (?:from|on|in|about) [\w .'’&-]{1,40}|what to read next|"
    r"trending now|don'?t miss|editor'?s'? picks?|around the web|from (?:around )?the web|"
    r"in (?:other|case you missed|related) \w+|tags|topics|filed under|categories|"
    r"more (?:on|about) (?:this|these) (?:story|stories|topics?))"
    r")\s*[.…:»›>!]*\s*$",
    re.IGNORECASE,
)
#: Calls to action opening a paragraph, or unmistakable anywhere in it.
STRONG_PROMO = re.compile(
    r"^(?:sign up|subscribe|click here|follow us|get (?:access|the latest|unlimited)|"
    r"(?:download|get) (?:our|the) (?:free )?app|don'?t miss out|never miss)\b|"
    r"\b(?:right (?:in|to) your inbox|delivered (?:to|straight to) your inbox|"
    r"subscri\w+\b.{0,80}\bfor as little as|"
    r"subscribe to (?:our|the) [\w ’'.-]{0,30}newsletters?)\b",
    re.IGNORECASE,
)
#: Calls to action: newsletters, subscriptions, apps, comment prompts.
PROMO = re.compile(
    r"\b(?:sign up (?:for|to)|subscribe (?:to|for|now|today)|"
    r"delivered (?:to|right to|straight to|through) your|right in your inbox|"
    r"(?:download|get) (?:our|the) app|click here|follow us on|"
    r"tell us what you think|leave a (?:comment|reply)|join the (?:conversation|discussion)|"
    r"order reprints|print article|this copy is for your personal)",
    re.IGNORECASE,
)
#: An unrendered CMS shortcode ("[button ...]").
SHORTCODE = re.compile(r"\[/?[a-z_]+(?:\s[^\]]*)?\]")
#: A reporter's e-mail, web or social address.
CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|https?://\S+|\bwww\.\S+|(?<!\w)@\w{2,}|twitter\.com/\w+", re.I
)
#: Agency and contributor credits closing a story.
CREDIT = re.compile(
    r"^\(?(?:(?:additional )?reporting|writing|editing|compiled|produced) by\b.{0,300}\)?$|"
    r"^.{0,80}\bcontributed (?:reporting )?to this (?:report|story|article)\.?$",
    re.IGNORECASE,
)


#: Where a class word may start: the token's start or after a ``-``/``_``.
CSS_START = r"(?:^|(?<=[-_]))"


def _css(alternation: str) -> re.Pattern[str]:
    """A class or id word of a boilerplate container, tested at the token's start and after
    each ``-``/``_`` (``related-posts``, ``article__related``, ``c-recirc``), so ``unrelated``
    does not match."""
    return re.compile(rf"{CSS_START}({alternation})", re.IGNORECASE)


#: Class words of containers of other stories.
RELATED_CLASS = _css(
    r"related|recirc|read-?next|more-?(?:stories|articles|news|from)|"
    r"most-?(?:read|popular|viewed|shared)|popular|trending|recommend|also-?read|"
    r"latest-?(?:news|stories|articles|posts|headlines)|"
    r"you-?may-?(?:also-?)?like|outbrain|taboola"
)
#: ...of comment sections.
COMMENTS_CLASS = _css(r"comments?$|comment-?(?:list|form|section|area|s-?wrap)|disqus|respond$")
#: ...of newsletter and subscription boxes.
PROMO_CLASS = _css(
    r"newsletter|subscri(?:be|ption)-?(?:box|form|cta|module|promo|widget|banner)|signup|"
    r"sign-?up|promo|cta$"
)
#: ...of ad slots.
ADVERT_CLASS = _css(r"sponsor|advert|ad-?(?:slot|unit|container|wrapper)")
#: ...of share bars.
SHARE_CLASS = _css(r"share|sharing|social|sociable")
#: ...of cookie, consent and paywall prompts.
POPUP_CLASS = _css(r"cookie|consent|gdpr|paywall-?(?:prompt|banner)|modal|popup")
#: ...of navigation trails and tag lists.
BREADCRUMB_CLASS = _css(r"breadcrumb")
TAGS_CLASS = _css(r"tags$|tag-?(?:list|cloud)$|tagcloud")
#: ...of author boxes.
AUTHOR_CLASS = _css(r"author-?(?:bio|box|info|card)|about-?(?:the-?)?author")
#: ...of captions and credits.
CAPTION_CLASS = _css(r"caption|credit")
#: ...of sidebars and widgets.
SIDEBAR_CLASS = _css(r"sidebar|rail$|widget")
#: ...of elements hidden from readers.
HIDDEN_CLASS = _css(r"hide$|hidden$|overlay$|print-?(?:only|footer|header)$|d-none$")
