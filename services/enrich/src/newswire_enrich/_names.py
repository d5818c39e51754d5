"""Personal and organisation names: normalising them and telling people from the rest.

Pure helpers shared by the entity step (grouping, typing) and the quote step (pronouns):
the name key used to compare spellings, title and possessive trimming, a table of common
given names with the share of women bearing them (``data/given_names.tsv``, derived from
nomquamgender, MIT), and words that mark a capitalised phrase as an organisation or place.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

#: Honorifics and offices that precede a person's name and are not part of it.
TITLES = frozenset(
    """
    president vice-president vp premier chancellor minister secretary secretary-general
    senator sen rep representative congressman congresswoman governor gov mayor councillor
    councilor alderman king queen prince princess pope sheikh emir sultan general gen lieutenant
    lt colonel col captain capt commander cmdr admiral adm major maj sergeant sgt corporal cpl
    private pte judge justice chief leader ambassador envoy spokesman spokeswoman spokesperson
    mr mrs ms miss mx dr prof professor sir dame lord lady rev reverend father sister brother
    ceo cfo coo chairman chairwoman chair director commissioner inspector officer constable
    detective det attorney mp mpp mla mep deputy coach manager superintendent supt
    archbishop bishop cardinal rabbi imam ayatollah
    """.split()
)
#: Words that, inside a capitalised phrase, make it an organisation, place, work or event.
NON_PERSON_WORDS = frozenset(
    """
    inc corp corporation co ltd llc plc group company holdings bank university college school
    institute academy hospital clinic foundation association society council committee
    commission agency department ministry office bureau party union league club fc team
    airlines airways motors energy oil gas capital partners fund trust church mosque temple
    city county province state republic kingdom island islands river lake mountain mount
    street st avenue ave road rd square park bridge airport station centre center hall
    tower house court parliament senate assembly congress army navy force forces police
    news times post daily herald journal tribune gazette telegraph mail star sun globe press
    review magazine radio tv television network media cup games championship open award
    awards prize festival tech technologies technology labs systems software
    """.split()
)
#: Last words that make a capitalised phrase an organisation ("South China Morning Post").
ORG_HEAD_WORDS = frozenset(
    """
    inc corp corporation co ltd llc plc group company holdings university college institute
    academy hospital foundation association society council committee commission agency
    ministry bureau party union league club fc airlines airways motors news times post daily
    herald journal tribune gazette telegraph mail globe press magazine radio tv television
    network media
    """.split()
)
#: Common nouns for people that the suffix test below misses.
PEOPLE_NOUNS = frozenset(
    """
    people person staff crew police official expert critic analyst witness victim citizen
    public family relative friend neighbour neighbor child parent student patient doctor nurse
    lawyer attorney chief leader aide source insider delegate diplomat activist advocate
    spokesperson spokesman spokeswoman executive candidate colleague fan player coach
    """.split()
)
_PEOPLE_SUFFIXES = ("er", "or", "ist", "ian", "ant", "ent", "ee", "man", "woman", "ive")
_NOT_PEOPLE = frozenset(
    """
    number paper order letter matter water river border sector factor error motor
    report center centre event government agreement statement document percent comment
    element moment argument department environment investment parliament management
    development treatment movement settlement equipment payment incident content talent
    objective initiative incentive alternative perspective
    """.split()
)


def is_people_noun(lemma: str) -> bool:
    """Whether a common noun names people ("critics", "resident", "staff", "spokesperson")."""
    return (
        lemma in PEOPLE_NOUNS
        or lemma in TITLES
        or (lemma.endswith(_PEOPLE_SUFFIXES) and lemma not in _NOT_PEOPLE)
    )


#: Name particles that are given names only rarely at the head of a name ("Al Jazeera").
NAME_PARTICLES = frozenset(
    "al el de la le da di du van von der den del san santa saint st mac mc bin ibn abu".split()
)
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")
_EDGE = re.compile(r"^[\s\"“”‘’'(\[\-–—,.:;]+|[\s\"“”‘’'()\[\]\-–—,:;]+$")
_KEY_STRIP = re.compile(r"[.\s]+")
_NICKNAME = re.compile(r"(?<=\w)\s+[“\"][^“”\"]{1,30}[”\"]\s+(?=\w)")
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")


def strip_nickname(name: str) -> str:
    """Drop a nickname quoted inside a name: 'Riefian "Ifan" Fajarsyah' -> 'Riefian Fajarsyah'."""
    return _NICKNAME.sub(" ", name) if "“" in name or '"' in name else name


def name_key(name: str) -> str:
    """Return the form used to compare names: case-folded, no dots, single spaces, no
    quoted nickname."""
    folded = strip_nickname(name).replace("’", "'").casefold().replace(".", "")
    return _KEY_STRIP.sub(" ", folded).strip()


def name_tokens(name: str) -> list[str]:
    """Return the comparable words of a name (single letters, e.g. initials, dropped)."""
    return [t for t in name_key(name).split() if len(t) > 1]


def trim_name(text: str, start: int, end: int, *, person: bool) -> tuple[int, int] | None:
    """Narrow ``text[start:end]`` to the bare name: no edge punctuation, 'the', possessive,
    and for people no leading titles. Return None when no name is left."""
    while start < end:
        piece = text[start:end]
        m = _EDGE.search(piece)
        if m and 0 < m.end() - m.start() < len(piece):
            if m.start() == 0:
                start += m.end()
            else:
                end -= m.end() - m.start()
            continue
        m = _LEADING_THE.match(piece)
        if m and m.end() < len(piece):
            start += m.end()
            continue
        m = _POSSESSIVE.search(piece)
        if m and m.start() > 0:
            end -= m.end() - m.start()
            continue
        if person:
            cut = _after_last_title(piece)
            if cut:
                start += cut
                continue
        break
    piece = text[start:end]
    if start >= end or not _WORD.search(piece) or piece.islower():
        return None
    return start, end


def _after_last_title(piece: str) -> int:
    """Offset just past the last title word before the name proper ("Russian Foreign
    Minister Sergey Lavrov" -> start of "Sergey"), or 0 when there is none."""
    cut = 0
    for m in _WORD.finditer(piece):
        if m.end() >= len(piece.rstrip()):
            break
        if m.group().rstrip(".").casefold() in TITLES:
            rest = piece[m.end() :]
            cut = m.end() + len(rest) - len(rest.lstrip())
    return cut


@lru_cache(maxsize=1)
def _given_names() -> dict[str, tuple[int, float]]:
    table: dict[str, tuple[int, float]] = {}
    path = resources.files("newswire_enrich") / "data" / "given_names.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, count, female = line.split("\t")
            table[name] = (int(count), float(female))
    return table


def is_given_name(word: str) -> bool:
    """Return True if `word` is a common given name (case-insensitive)."""
    return name_key(word) in _given_names()


def female_share(first_name: str) -> float | None:
    """Return the share of women among bearers of `first_name`, or None if unknown."""
    found = _given_names().get(name_key(first_name))
    return found[1] if found else None


def looks_like_person_name(name: str) -> bool:
    """Return True for 2-4 capitalised words that start with a given name and contain no
    organisation or place word ("Julia Child" yes, "Georgia Tech", "China Daily" no)."""
    words = name.split()
    if not 2 <= len(words) <= 4:
        return False
    if not all(w[:1].isupper() for w in words):
        return False
    if any(name_key(w) in NON_PERSON_WORDS for w in words):
        return False
    return name_key(words[0]) not in NAME_PARTICLES and is_given_name(words[0])


def _phrases(block: str) -> frozenset[str]:
    return frozenset(p.strip() for line in block.strip().splitlines() for p in line.split("|"))


#: Countries, national capitals and the main cities of world news, by name key. spaCy's small
#: models type some of them PERSON or ORG ("envoy to Kyiv", "Beijing's crackdown"); a name on
#: this list that is not a person's (given) name is always a place.
PLACE_NAMES = _phrases(
    """
    afghanistan|albania|algeria|andorra|angola|argentina|armenia|australia|austria|azerbaijan
    bahamas|bahrain|bangladesh|barbados|belarus|belgium|belize|benin|bhutan|bolivia|bosnia
    botswana|brazil|brunei|bulgaria|burkina faso|burundi|cambodia|cameroon|canada|cape verde
    central african republic|chad|chile|china|colombia|comoros|congo|costa rica|croatia|cuba
    cyprus|czech republic|czechia|denmark|djibouti|dominica|dominican republic|ecuador|egypt
    el salvador|eritrea|estonia|eswatini|ethiopia|fiji|finland|france|gabon|gambia|georgia
    germany|ghana|greece|grenada|guatemala|guinea|guyana|haiti|honduras|hungary|iceland|india
    indonesia|iran|iraq|ireland|israel|italy|ivory coast|jamaica|japan|jordan|kazakhstan|kenya
    kiribati|kosovo|kuwait|kyrgyzstan|laos|latvia|lebanon|lesotho|liberia|libya|liechtenstein
    lithuania|luxembourg|madagascar|malawi|malaysia|maldives|mali|malta|mauritania|mauritius
    mexico|micronesia|moldova|monaco|mongolia|montenegro|morocco|mozambique|myanmar|burma
    namibia|nauru|nepal|netherlands|new zealand|nicaragua|niger|nigeria|north korea
    north macedonia|norway|oman|pakistan|palau|palestine|panama|papua new guinea|paraguay|peru
    philippines|poland|portugal|qatar|romania|russia|rwanda|samoa|san marino|saudi arabia
    senegal|serbia|seychelles|sierra leone|singapore|slovakia|slovenia|somalia|south africa
    south korea|south sudan|spain|sri lanka|sudan|suriname|sweden|switzerland|syria|taiwan
    tajikistan|tanzania|thailand|togo|tonga|trinidad and tobago|tunisia|turkey|türkiye
    turkmenistan|tuvalu|uganda|ukraine|uruguay|uzbekistan|vanuatu|vatican|venezuela|vietnam
    yemen|zambia|zimbabwe|crimea|gaza|west bank|hong kong|macau|tibet|xinjiang|kashmir|donbas
    abu dhabi|abuja|accra|addis ababa|algiers|amman|amsterdam|ankara|antananarivo|asuncion
    astana|athens|baghdad|baku|bamako|bangkok|beijing|beirut|belgrade|berlin|bern|bishkek
    bogota|brasilia|bratislava|brussels|bucharest|budapest|buenos aires|cairo|canberra|caracas
    chisinau|colombo|copenhagen|dakar|damascus|dhaka|doha|dublin|dushanbe|hanoi|harare|havana
    helsinki|islamabad|jakarta|jerusalem|kabul|kampala|kathmandu|khartoum|kigali|kinshasa|kyiv
    kiev|kuala lumpur|lisbon|ljubljana|london|luanda|lusaka|madrid|managua|manila|maputo
    minsk|mogadishu|montevideo|moscow|muscat|nairobi|naypyidaw|new delhi|niamey|nicosia|oslo
    ottawa|ouagadougou|panama city|paris|phnom penh|podgorica|port-au-prince|prague|pretoria
    pyongyang|quito|rabat|reykjavik|riga|riyadh|rome|sanaa|santiago|sarajevo|seoul|skopje
    sofia|stockholm|taipei|tallinn|tashkent|tbilisi|tehran|tirana|tokyo|tripoli|tunis|ulaanbaatar
    vienna|vilnius|warsaw|washington|wellington|windhoek|yaounde|yerevan|zagreb|aleppo|mosul
    kharkiv|kharkov|odesa|odessa|mariupol|donetsk|luhansk|lviv|kherson|sevastopol|shanghai
    shenzhen|guangzhou|wuhan|mumbai|karachi|lahore|istanbul|dubai|tel aviv|gaza city|rafah
    st petersburg|vladivostok|geneva|davos|brussels|strasbourg|the hague|hiroshima|osaka
    """
)

#: News agencies, broadcasters and platforms that spaCy's small models type PERSON or a place
#: ("after Politico reported", "on Twitter"), by name key.
KNOWN_ORGS = _phrases(
    """
    reuters|ap|afp|xinhua|tass|ria novosti|interfax|sputnik|anadolu|kyodo|yonhap|bernama|efe
    ansa|dpa|bloomberg|politico|axios|cnn|bbc|npr|cnbc|msnbc|cctv|cgtn|al jazeera|twitter
    facebook|instagram|youtube|tiktok|whatsapp|telegram|wechat|weibo|linkedin|reddit|snapchat
    netflix|yahoo|spacex|huawei|tencent|alibaba|baidu|gazprom|rosneft|hamas|hezbollah|taliban
    """
)
