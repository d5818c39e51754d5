"""Residue shapes that only whole-page text shows: newsletter and sign-up blurbs, author
notes under the article, and photo credits printed on their own line under a caption.

These rules run on page text only (see ``_page_signals``). Each names a shape that news
sites in general put around their articles, never a sentence of one site.
"""

from __future__ import annotations

import re

from ._rules import words

#: A sign-up blurb is a short promo, never a long paragraph.
_CTA_WORDS = 40
#: A bare label ("Daily Briefing Newsletter") is at most this long.
_LABEL_WORDS = 5

#: A sentence that starts by asking the reader to subscribe or sign up.
_CTA_IMPERATIVE = re.compile(
    r"(?:^|[.!?]\s+)(?:subscribe|sign ?up)\b(?! (?:was|were|is|are|has|had)\b)",
    re.IGNORECASE,
)
#: Newsletter promos and form messages: they speak to the reader about a mailing.
_CTA_PHRASE = re.compile(
    r"\b(?:(?:our|your|free|daily|weekly|e-?mail)\s+newsletters?|newsletters? (?:sign-?up|"
    r"subscription)|(?:delivered|straight|directly|right) to your inbox|"
    r"(?:check|keep an eye on) your inbox|unsubscribe at any time|no spam\b|"
    r"thanks? (?:you )?for (?:signing up|subscribing)|activation link|"
    r"(?:got|have) a (?:confidential )?(?:news )?tip\b|\bopt-?in\b|(?:like|want) to subscribe|"
    r"(?:receive|send me) .{0,40}\b(?:newsletters?|e-?mails|updates|offers)\b|"
    r"^(?:(?:enter|type|add) )?your e-?mail(?: address)?(?: here| below)?\W*$)",
    re.IGNORECASE,
)
_NEWSLETTER_LABEL = re.compile(r"\bnewsletters?$", re.IGNORECASE)


def is_newsletter_blurb(line: str) -> bool:
    """A newsletter or sign-up promo ('Sign up for our daily briefing', 'Get it delivered to
    your inbox', 'No spam, we promise', 'Thanks for signing up!', 'Morning Newsletter').

    Only short lines: a long paragraph that mentions a newsletter is article text.
    """
    n = len(words(line))
    if n > _CTA_WORDS:
        return False
    if n <= _LABEL_WORDS and _NEWSLETTER_LABEL.search(line.rstrip(" :»›>")):
        return True
    return bool(_CTA_IMPERATIVE.search(line) or _CTA_PHRASE.search(line))


#: An author's note is a short paragraph.
_BIO_WORDS = 120
#: Contact lines that point the reader at the writer.
_BIO_CONTACT = re.compile(
    r"\b(?i:follow|e-?mail|contact|reach|write to) (?:him|her|them|me)\b|"
    r"^(?i:e-?mail|contact|reach) (?:[A-Z][\w'’.-]+ ){1,3}(?:at|on|via)\b|"
    r"^[A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){1,3} \(@\w+\)"
)
#: '<Name> is a staff writer at ...', '<Name> joined the paper in 2017', '<Name> writes ...'.
_BIO_ROLE = re.compile(
    r"^(?:[\w'’.,-]+ ){0,6}?(?:[A-Z][\w'’.-]+ ){1,3}(?:\([^)]{1,40}\) )?"
    r"(?:is|was|has been) (?:an?|the) (?:[\w-]+ ){0,4}?"
    r"(?:writer|reporter|correspondent|contributor|editor|columnist|journalist|blogger|"
    r"author|producer|photographer)\b|"
    r"^(?:[\w'’.,-]+ ){0,6}?(?:[A-Z][\w'’.-]+ ){1,3}"
    r"(?:joined [\w .&'’-]{2,40} in (?:[A-Z][a-z]+ )?\d{4}|"
    r"has been (?:reporting|writing|covering)\b|writes (?:a|the|about|for)\b)"
)


def is_author_bio(line: str) -> bool:
    """An author's note below an article: who the writer is and how to reach them ('Jane Doe
    is a staff writer at the Herald. Follow her on Twitter @jdoe')."""
    if len(words(line)) > _BIO_WORDS:
        return False
    return bool(_BIO_CONTACT.search(line) or _BIO_ROLE.search(line))


#: A photo credit is a few words.
_CREDIT_WORDS = 12
#: A caption is a sentence or two.
CAPTION_WORDS = 60
_CREDIT_CUE = re.compile(
    r"getty ?images|shutterstock|istock|ap photo|\breuters\b|\bafp\b|\bepa\b|alamy|©|"
    r"(?:image|photo|picture) ?credit|\bcourtesy\b",
    re.IGNORECASE,
)
_CREDIT_PAREN = re.compile(
    r"^\((?:[^()]*\b(?i:image|photo|picture|credit|file)\b|[^()]*©)[^()]*\)$"
)


def is_credit_line(line: str) -> bool:
    """A photo credit on a line of its own ('(Image credit: NASA)', 'Jane Doe | Reuters',
    'Getty Images'), as printed right under a caption."""
    n = len(words(line))
    if not 1 <= n <= _CREDIT_WORDS:
        return False
    if _CREDIT_PAREN.match(line):
        return True
    return bool(_CREDIT_CUE.search(line)) and (n <= 4 or "|" in line or "/" in line)
