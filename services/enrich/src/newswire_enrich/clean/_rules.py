"""Line rules for the page residue found around news articles in plain text.

Each rule names a *shape* of boilerplate seen on news sites in general (advert markers,
share/comment widgets, reading-time badges, breadcrumbs, credits, teaser lists), never a
sentence of one particular article.
"""

from __future__ import annotations

import re
from functools import lru_cache

from newswire_enrich.lexicon import pairs
from newswire_enrich.lexicon import words as lexicon_words

#: Characters that end a sentence, including CJK full stops, marks and closing quotes.
TERMINAL = '.!?"”’»)…:;。！？」』'
_WORD = re.compile(r"\w+")

AD_MARKER = re.compile(
    r"^[-–—_*=•|\s]*(advertisements?|adverts?|advertising|sponsored( content| links?)?|ad|"
    r"ads by \w+|"
    r"(story|article) continue[sd]? (below|after)( (this |the )?(advertisement|advert|ad))?|"
    r"continue reading (below|the main story)|scroll to continue( with content)?|"
    r"スポンサー(ド)?リンク|広告|广告|광고)"
    r"[-–—_*=•|\s.]*$",
    re.IGNORECASE,
)
READ_TIME = re.compile(
    r"^(\d+|one|two|three|four|five)\s*-?\s*(min|mins|minutes?)\.?\s*(read|reading|to read)"
    r"( time)?\.?$|^(reading time|read time|estimated reading time)\s*:?\s*\d+.*$",
    re.IGNORECASE,
)
_BLOCK_START = re.compile(
    r"^((our|the) )?(explore( more)?|popular( news| now| stories| posts| articles)?|"
    r"(most (popular|read|viewed|shared|commented|watched)( in [\w .'’&-]{1,40})?\s*){1,3}|"
    r"read (now|more|next|also|this next)|more in [\w .'’&-]{1,40}|"
    r"(?-i:[A-Z][\w'’&-]*(?: [A-Z][\w'’&-]*){1,4} More)|related( articles| stories| news| content|"
    r" coverage| posts| topics| links| reading| videos?)?|(also )?recommended( for you| stories|"
    r" articles| reading| videos?)?|you (may|might) (also )?(like|be interested in|have missed)|"
    r"more (stories|news|articles|from [\w .'’&-]{1,40}|on this (story|topic)|to read)|"
    r"latest( news| stories| articles| posts| headlines)?|trending( now| news| stories| topics)?|"
    r"top (stories|news|headlines)|editor'?s'? (picks?|choice)|also read|see also|"
    r"what to read next|further reading|in other news|(don'?t|do not) miss( this)?|must reads?|"
    r"recent (posts|stories|news|articles)|other (stories|news)|around the web|"
    r"from (around )?the web|sponsored stories|promoted (stories|content)|"
    r"(watch|videos?)( now| next)?|more videos|"
    r"(?-i:More(?: [A-Z][\w'’&-]*){1,3})|(?-i:Latest(?: [A-Z][\w'’&-]*){1,2})|"
    r"partner (news|content|stories)|(stories |more )?from (our|the) partners|"
    r"(sponsored|paid|partner) content|"
    r"(関連|新着|人気|最新|おすすめ|オススメ|注目)(の)?(記事|ニュース|エントリー?)(一覧)?|"
    r"(相关|相關|热门|熱門|最新|推荐|推薦)(文章|新闻|新聞|阅读|閱讀|报道|報導)|"
    r"(관련|인기|최신|추천) ?(기사|뉴스))\s*([:：»›>]|\.\.\.|…)?\s*$",
    re.IGNORECASE,
)
#: A line that only points to another story ("Related: <headline>", "Read more > ...",
#: "Further reading: ..."), on a line of text or in an HTML block.
RELATED_POINTER = re.compile(
    r"^(?:(?:related|read (?:more|next|also)|also read|see also|more|recommended|watch|listen|"
    r"suggested|editor'?s pick|further reading)"
    r"\s*(?:articles?|stories|story|reading|coverage|content|videos?)?\s*[:|>»›\-–—]\s*(?=\S)"
    r"|related(?=[A-Z0-9‘'\"“]))",
    re.IGNORECASE,
)
COMMENT_FORM = re.compile(
    r"^(please enter your (comment|name|e-?mail|website)( address)?( here)?[!.]?|"
    r"leave a (comment|reply)|post a comment|add (a|your) comment|\d+\s+comments?|"
    r"comments?( \(\d+\))?|(log|sign) in to (comment|reply).*|you must be logged in.*|"
    r"save my name,? e-?mail.*|notify me of .*|your e-?mail address will not be published.*|"
    r"required fields are marked.*|be the first to comment.*|join the (conversation|discussion)|"
    r"(show|view|hide|load more|read) comments?|cancel reply|post comment|submit|"
    r"(view|read|join|see) the (discussion|comments?)( thread)?|"
    r"name\s*\*?|e-?mail\s*\*?|website|comment\s*\*?|reply)\s*[!.]?$",
    re.IGNORECASE,
)
#: What a widget line may end with.
_WIDGET_END = r")\s*[!.]?$"
_SOCIAL = "|".join(sorted(lexicon_words("social_networks")))


def _widget(body: str) -> re.Pattern[str]:
    """A line that is nothing but the widget `body` (a regex alternation)."""
    return re.compile(f"^({body}{_WIDGET_END}", re.IGNORECASE)


#: Sign-up and subscription links of the page's header or footer.
SUBSCRIBE_LINK = _widget(
    r"(free )?subscri(b|pt)\w*( now| today| for free| here)?|sign up( now| for free| here)?|"
    r"sign up for (our|the) .*newsletter.*|subscribe to (our|the) .*"
)
#: Account links.
ACCOUNT_LINK = _widget(r"(log|sign) ?(in|out)|register")
#: Share buttons and "follow us" prompts.
SHARE_LINK = _widget(
    rf"share( this)?( article| story| on \w+)?|tweet|e-?mail|print|{_SOCIAL}|"
    r"copy( the)? link|follow us( on \w+( \w+)?)?|\d+ shares?"
)
#: Links around the site: menu, search, paging, "back to top".
NAVIGATION_LINK = _widget(
    r"click here.*|skip to (main )?content|back to top|close|menu|search|"
    r"home|next|previous|prev|load more|show more|see more|view more"
)
#: Script and cookie prompts.
CONSENT_PROMPT = _widget(r"(enable|turn on) javascript.*|(accept|manage) cookies.*")
#: Audio player controls.
AUDIO_LINK = _widget(r"listen( to (this )?(article|story))?( \d+ min)?|audio")
#: App promos.
APP_PROMO = _widget(r"download the app.*|get the app.*")
#: Copyright notices.
COPYRIGHT_LINE = _widget(
    r"all rights reserved.*|(©|\(c\)|copyright)\s.*|.*\ball rights reserved\.?"
)
MEDIA_LINK = re.compile(
    r"^((open|view|enlarge|expand|see) (this |the )?(photo|image|picture|gallery|video)s?"
    r"( in gallery| gallery)?|(photo|image) \d+ of \d+|\d+ (photos|images))\b",
    re.IGNORECASE,
)
SOURCE_CREDIT = re.compile(
    r"^((photo|image|picture|video|graphic|illustration|file photo|photograph)s?( credit| by)?|"
    r"credits?|credited( from)?|source|sources|via|courtesy( of)?)\s*:\s*\S.{0,80}$",
    re.IGNORECASE,
)
_CAPTION_AGENCY = re.compile(
    r"\s[/|]\s*(?:[A-Z][\w.&-]*|AP|AFP)(?:\s(?:[A-Z][\w.&-]*|via|/))*\s*(?:photo)?\s*$"
)
_CAPTION_CREDIT = re.compile(
    r"\s(?:credit|photo|picture|image)s?\s*:\s*[A-Z][^.!?:]{1,60}$", re.IGNORECASE
)
_PHOTO_PAREN = re.compile(
    r"\((?:[A-Z][\w.&-]* )*(?:photo|photograph|image|file)[^)]{0,60}\)\s*$", re.IGNORECASE
)
_BYLINE = re.compile(
    r"^(by|written by|reporting by|posted by|words by|story by|author)\s*:?\s+"
    r"(?P<who>(?:[A-Z][\w.'’-]*|[a-z]{1,3}|and|&|,|\||\s)+.*)$",
    re.IGNORECASE,
)
_NAME = r"[A-Z][\w'’.-]+(?: [A-Z][\w'’.-]*){1,3}"
#: News agencies signing agency bylines (a regex alternation, longest first).
_AGENCIES = "|".join(
    re.escape(a) for a in sorted(lexicon_words("news_agencies"), key=lambda a: (-len(a), a))
)
_AGENCY_BYLINE = re.compile(
    rf"^(?P<who>{_NAME}(?:(?:,| and| &) {_NAME})*),\s+(?:[Tt]he )?"
    rf"(?:(?i:{_AGENCIES})|"
    r"[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3} (?:Press|News|Times|Post|Herald|Journal|Staff)|"
    r"(?i:(?:staff|special|senior|foreign) (?:writer|reporter|correspondent)))$"
)
#: Month names and abbreviations -> month number (longest first: a regex alternation).
_MONTH_NUM = {name: int(num) for name, num in pairs("month_names").items()}
_MONTHS = "|".join(sorted(_MONTH_NUM, key=lambda m: (-len(m), m)))
_DATE_MDY = re.compile(rf"\b({_MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_DATE_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTHS})\.?,?\s+(\d{{4}})\b", re.I)
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
#: Words a date line holds besides the date: labels, weekdays, time zones, month names.
_DATE_LINE_WORDS = (
    lexicon_words("date_stamp_words")
    | lexicon_words("weekday_names")
    | lexicon_words("time_zones")
    | set(_MONTH_NUM)
)
#: ...and numbers: days ('3rd'), times ('10:15', 'p.m.').
_DATE_LINE_NUMBER = re.compile(r"^(\d+(st|nd|rd|th)?|\d+:\d+|[ap]\.?m\.?)$", re.IGNORECASE)
_BREADCRUMB_SEP = re.compile(r"\s*(?:>|»|›|/|\|)\s*")
_GLUED_HOME = re.compile(r"^Home(?=[A-Z])")


def words(line: str) -> list[str]:
    """The words of a line."""
    return _WORD.findall(line)


@lru_cache(maxsize=4096)
def line_key(text: str) -> str:
    """A line's words, case-folded and joined by single spaces: what two printings of the
    same line (headline and <title>, a repeated paragraph) have in common."""
    return " ".join(words(text.casefold()))


def ends_sentence(line: str) -> bool:
    """Whether the line ends like a sentence (terminal punctuation or closing quote)."""
    return bool(line) and line[-1] in TERMINAL


def is_teaser(line: str) -> bool:
    """A teaser paragraph cut off with an ellipsis."""
    return line.endswith(("...", "…")) and len(words(line)) >= 4


_SMALL_WORDS = lexicon_words("title_small_words")


def is_title_case(line: str) -> bool:
    """A headline written in Title Case ('Can a Person Survive Eating Only Beef?'): at
    least three words, and every word but short function words capitalised."""
    ws = [w for w in words(line) if not w.isdigit()]
    if not 3 <= len(ws) <= 25:
        return False
    return all(w[0].isupper() or w.casefold() in _SMALL_WORDS for w in ws)


def is_menu_line(line: str) -> bool:
    """Menu entries run together on one line ('World Business Sport Culture'): every word
    capitalised, no function words, none of the punctuation of a headline or sentence."""
    ws = words(line)
    return (
        bool(ws)
        and all(w[0].isupper() or w.isdigit() for w in ws)
        and not any(w.casefold() in _SMALL_WORDS for w in ws)
        and not re.search(r"[,:;'’?!\"“”()]", line)
    )


def is_block_start(line: str) -> bool:
    """A heading that opens a list of other stories (Explore, Popular News, Read more, ...)."""
    return bool(_BLOCK_START.match(line))


@lru_cache(maxsize=4096)
def parse_date(line: str) -> str | None:
    """Return the ISO date (YYYY-MM-DD) written in the line, if any."""
    m = _DATE_ISO.search(line)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _DATE_MDY.search(line)
        if m:
            mo, d, y = _MONTH_NUM[m.group(1).lower()], int(m.group(2)), int(m.group(3))
        else:
            m = _DATE_DMY.search(line)
            if not m:
                return None
            d, mo, y = int(m.group(1)), _MONTH_NUM[m.group(2).lower()], int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31 and 1900 <= y <= 2100):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def is_date_line(line: str) -> bool:
    """A line that is only a date/time stamp, maybe with a short label or agency name."""
    if parse_date(line) is None or (ends_sentence(line.rstrip(".")) and line.endswith(".")):
        return False
    rest = [w for w in re.split(r"[\s,|•·–—-]+", line) if w]
    unknown = [w for w in rest if not _is_date_word(w.strip(".:()"))]
    return len(unknown) <= 3 and len(rest) <= 12


def _is_date_word(word: str) -> bool:
    return word.lower() in _DATE_LINE_WORDS or bool(_DATE_LINE_NUMBER.match(word))


def parse_byline(line: str) -> tuple[str, ...] | None:
    """Return the author names of a byline line ('By: A and B | Agency'), else None."""
    if len(line) > 120 or (line.endswith(".") and not re.search(r"\b[A-Z]\.$", line)):
        return None
    m = _BYLINE.match(line)
    if not m:
        return None
    who = m.group("who").split("|")[0]
    who = re.split(r"\s[-–—]\s|,\s*(?:\w+\s+)?(?:correspondent|reporter|editor|staff)", who)[0]
    names = [n.strip(" ,;") for n in re.split(r",|\band\b|&", who)]
    names = [n for n in names if n and n[0].isupper() and len(words(n)) <= 5]
    if not names or len(words(line)) > 16:
        return None
    return tuple(names)


def is_breadcrumb(line: str) -> bool:
    """Navigation trails: 'Home > World > Asia' or glued 'HomeWorldChina...'."""
    if _GLUED_HOME.match(line) and not ends_sentence(line.rstrip(".…")):
        return True
    parts = [p for p in _BREADCRUMB_SEP.split(line) if p]
    return len(parts) >= 3 and all(len(words(p)) <= 4 for p in parts)


def is_photo_caption(line: str) -> bool:
    """A short caption ending in its agency credit ('... / Reuters') or '(AP Photo)'."""
    return len(words(line)) <= 30 and bool(
        (_CAPTION_AGENCY.search(line) and not ends_sentence(line))
        or _PHOTO_PAREN.search(line)
        or _CAPTION_CREDIT.search(line)
    )


_FOOTER_START = re.compile(
    r"^((©|\(c\)|copyright)\s*\d{4}|.*\ball rights reserved\b|.*©\s*\d{4}\b|"
    r"first published( on)?:? .{0,40}\d{4}[^.!?]{0,20}$)",
    re.IGNORECASE,
)


def is_footer_start(line: str) -> bool:
    """A copyright notice or a closing 'First published on ...' stamp: the article is over."""
    return len(words(line)) <= 40 and bool(_FOOTER_START.match(line))


_STAMP = re.compile(r"^(published|updated|posted|last updated)\b", re.IGNORECASE)


def is_date_stamp(line: str) -> bool:
    """A 'Published/Updated <date>' stamp: it heads an article as often as it closes one, or
    dates the entries of a story list, so it separates blocks without ending the article."""
    return bool(_STAMP.match(line)) and is_date_line(line)


def is_agency_byline(line: str) -> tuple[str, ...] | None:
    """'Jane Doe, The Associated Press' or 'A and B, Reuters': the names, else None."""
    m = _AGENCY_BYLINE.match(line)
    if not m:
        return None
    names = tuple(n.strip() for n in re.split(r",|\band\b|&", m.group("who")) if n.strip())
    return names or None
