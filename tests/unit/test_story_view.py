"""Stories for a terminal (issue 12): rendering, story files without Redis, file-job reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswire._story_store import StoryFileError, StoryNotFoundError, StoryStore
from newswire.lookup import (
    FileJob,
    failure_reason,
    glob_escape,
    is_pattern,
    job_ids,
    job_state,
    name_matches,
)
from newswire.status import file_reports, render_file_reports
from newswire.stories_view import (
    STORY_ENTITIES,
    article_date,
    clip,
    render_list,
    render_story,
    summarize,
)
from newswire_shared.keys import RedisKeys
from newswire_shared.schemas import (
    QuoteCluster,
    QuoteInstance,
    QuoteKind,
    Story,
    StoryArticle,
    StoryEntity,
)

T0 = datetime(2025, 7, 14, 8, 30, tzinfo=UTC)
T1 = datetime(2025, 7, 14, 17, 5, tzinfo=UTC)
KEYS = RedisKeys("newswire")


def _instance(job_id: str, text: str, speaker: str = "Xi") -> QuoteInstance:
    return QuoteInstance(
        job_id=job_id, text=text, kind=QuoteKind.DIRECT, start=0, end=len(text),
        speaker_name=speaker,
    )  # fmt: skip


def meeting(story_id: str = "aaaa000000000001", **changes: object) -> Story:
    """The seed meeting as three outlets told it: one copy, one outlet without a publisher."""
    story = Story(
        story_id=story_id,
        absorbed=["bbbb000000000002"],
        articles=[
            StoryArticle(
                job_id="aaaa000000000001", title="Xi meets Lavrov in Beijing",
                publisher="Xinhua", published="2025-07-14T08:30:00+00:00", received_at=T0,
            ),
            StoryArticle(
                job_id="cccc000000000003", title="Xi calls ties with Russia 'precious'",
                publisher="Reuters", published="2025-07-14", received_at=T1,
            ),
            StoryArticle(
                job_id="dddd000000000004", title="Xi meets Lavrov in Beijing (page text)",
                publisher=None, received_at=T1, duplicate_of="aaaa000000000001",
                similarity=0.934,
            ),
        ],
        entities=[
            StoryEntity(
                id="S1", name="Xi Jinping", label="PERSON", aliases=["Xi", "President Xi"],
                salience=0.9, articles=3,
            ),
            StoryEntity(
                id="S2", name="Sergey Lavrov", label="PERSON", aliases=["Lavrov"],
                salience=0.7, articles=2,
            ),
            StoryEntity(id="S3", name="Beijing", label="GPE", salience=0.4, articles=1),
            StoryEntity(id="S4", name="Russia", label="GPE", salience=0.3, articles=3),
        ],
        quotes=[
            QuoteCluster(
                id="Q1", speaker="Xi Jinping", speaker_entity_id="S1",
                first_job_id="aaaa000000000001", articles=3,
                instances=[
                    _instance("aaaa000000000001", "old friend of the Chinese people"),
                    _instance("cccc000000000003", "an old friend of the Chinese people"),
                    _instance("dddd000000000004", "Old  friend of the Chinese people"),
                ],
            ),
            QuoteCluster(
                id="Q2", speaker=None, first_job_id="cccc000000000003", articles=1,
                instances=[_instance("cccc000000000003", "precious", speaker="")],
            ),
        ],
        first_seen=T0,
        last_seen=T1,
    )  # fmt: skip
    return story.model_copy(update=changes)


def test_story_header_names_size_outlets_times_and_absorbed_ids() -> None:
    """The header: id, article count, each outlet once, first/last seen, absorbed stories."""
    header = render_story(meeting()).split("\n\n")[0].splitlines()
    assert header == [
        "Story aaaa000000000001: 3 articles, 2 outlets: Xinhua, Reuters "
        "(and 1 article without one)",
        "first seen 2025-07-14 08:30 UTC, last seen 2025-07-14 17:05 UTC",
        "absorbed: bbbb000000000002",
    ]


def test_story_articles_show_date_publisher_title_job_and_duplicate() -> None:
    """Each article: its date, publisher, title and job id; a copy says what it copies."""
    section = render_story(meeting(), width=120).split("\n\n")[1].splitlines()
    assert section[0] == "Articles (3)"
    assert section[1].split() == [
        "2025-07-14", "Xinhua", "Xi", "meets", "Lavrov", "in", "Beijing", "[aaaa000000000001]",
    ]  # fmt: skip
    assert "Reuters" in section[2] and "[cccc000000000003]" in section[2]
    assert section[3].startswith("  2025-07-14  -  ")  # received date, no publisher
    assert section[4].strip() == "duplicate of aaaa000000000001 (0.93)"


def test_story_entities_show_aliases_and_article_counts() -> None:
    """Main entities with their label, article count and the other names used."""
    section = render_story(meeting()).split("\n\n")[2].splitlines()
    assert section[:3] == [
        "Entities (4)",
        "  Xi Jinping (PERSON, 3 articles); also Xi, President Xi",
        "  Sergey Lavrov (PERSON, 2 articles); also Lavrov",
    ]
    assert section[3] == "  Beijing (GPE, 1 article)"


def test_story_entities_beyond_the_limit_are_counted_not_listed() -> None:
    """A story with many entities lists the first ones and says how many more there are."""
    many = [
        StoryEntity(id=f"S{n}", name=f"Place {n}", label="GPE", salience=0.1, articles=1)
        for n in range(STORY_ENTITIES + 3)
    ]
    section = render_story(meeting(entities=many)).split("\n\n")[2].splitlines()
    assert len(section) == 1 + STORY_ENTITIES + 1
    assert section[-1] == "  ... 3 more (--json for all)"


def test_quote_cluster_shows_speaker_first_wording_outlets_and_other_wordings() -> None:
    """A cluster: speaker, the words as first reported, outlets, first article, and only the
    wordings that differ (spacing and case are no difference)."""
    quotes = render_story(meeting(), width=100).split("\n\n")[3].splitlines()
    assert quotes[0] == "Quotes (2 statements)"
    assert quotes[1] == (
        "  Q1  Xi Jinping: 3 outlets, first in Xinhua [aaaa000000000001]"
    )  # the article without a publisher counts as an outlet of its own
    assert quotes[2] == '      "old friend of the Chinese people"'
    assert quotes[3] == '      also Reuters: "an old friend of the Chinese people"'
    assert quotes[4] == "  Q2  unknown speaker: 1 outlet, first in Reuters [cccc000000000003]"
    assert quotes[5] == '      "precious"'
    assert len(quotes) == 6


def test_story_without_quotes_has_no_quote_section_and_long_quotes_wrap() -> None:
    """No empty Quotes heading; a long quote is wrapped to the width, none of it lost."""
    assert "Quotes" not in render_story(meeting(quotes=[]))
    words = " ".join(f"word{n}" for n in range(60))
    long = QuoteCluster(
        id="Q1", speaker="Xi Jinping", first_job_id="aaaa000000000001", articles=1,
        instances=[_instance("aaaa000000000001", words)],
    )  # fmt: skip
    lines = render_story(meeting(quotes=[long]), width=60).split("\n\n")[3].splitlines()[2:]
    assert all(len(line) <= 60 for line in lines)
    assert " ".join(line.strip() for line in lines) == f'"{words}"'


def test_summary_and_list_show_title_of_first_article_and_top_entities() -> None:
    """The list line: id, size, times, the first article's title, three top entities."""
    summary = summarize(meeting())
    assert (summary.articles, summary.title) == (3, "Xi meets Lavrov in Beijing")
    assert summary.entities == ("Xi Jinping", "Sergey Lavrov", "Beijing")
    assert summary.as_dict()["first_seen"] == "2025-07-14T08:30:00+00:00"
    table = render_list([summary, summarize(meeting("eeee000000000005", articles=[]))], 120)
    lines = table.splitlines()
    assert lines[0].split() == ["STORY", "ARTICLES", "FIRST", "SEEN", "LAST", "SEEN", "TITLE"]
    assert lines[1].split()[:2] == ["aaaa000000000001", "3"]
    assert lines[1].endswith("2025-07-14 17:05  Xi meets Lavrov in Beijing")
    assert lines[2].strip() == "Xi Jinping, Sergey Lavrov, Beijing"
    assert lines[3].split()[:2] == ["eeee000000000005", "0"] and "(no title)" in lines[3]
    assert render_list([]) == "no stories yet"


def test_clip_and_article_date_fallbacks() -> None:
    """Clipping keeps one line within the width; a date falls back to the received day."""
    assert clip("a  b\nc", 10) == "a b c"
    assert clip("abcdefghijkl", 8) == "abcde..."
    art = meeting().articles[2]
    assert article_date(art) == "2025-07-14"
    assert article_date(art.model_copy(update={"published": "Monday 14 July"})) == "Monday 14 "
    assert article_date(art.model_copy(update={"received_at": None})) == "????-??-??"


# ---- story files without Redis -------------------------------------------------------------


def _write(folder: Path, story: Story) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{story.story_id}.json").write_text(story.model_dump_json(indent=2))


@pytest.fixture
def store(tmp_path: Path) -> StoryStore:
    """A results folder with two stories, a result naming its story, and a stray temp file."""
    results = tmp_path / "results"
    _write(results / "stories", meeting())
    small = meeting("ffff000000000006", absorbed=[], last_seen=T0, quotes=[])
    _write(results / "stories", small.model_copy(update={"articles": small.articles[:1]}))
    (results / "stories" / ".nw-0123.tmp").write_text("half a record")
    (results / "9999000000000009.json").write_text(json.dumps({"story_id": "bbbb000000000002"}))
    return StoryStore(results, None, KEYS)


def test_resolve_story_absorbed_story_and_job_from_files(store: StoryStore) -> None:
    """A story id, an absorbed id (named by its survivor), a job id (its result's story_id,
    or the story listing it) all lead to the live story; nothing else does."""
    direct = store.resolve("aaaa000000000001")
    assert (direct.via, direct.story.story_id) == ("story", "aaaa000000000001")
    assert json.loads(direct.text)["story_id"] == "aaaa000000000001"
    absorbed = store.resolve("bbbb000000000002")
    assert (absorbed.via, absorbed.story.story_id) == ("absorbed", "aaaa000000000001")
    by_result = store.resolve("9999000000000009")  # its story was absorbed since
    assert (by_result.via, by_result.story.story_id) == ("job", "aaaa000000000001")
    by_listing = store.resolve("dddd000000000004")
    assert (by_listing.via, by_listing.story.story_id) == ("job", "aaaa000000000001")
    with pytest.raises(StoryNotFoundError, match="no story or job '0000000000000000'"):
        store.resolve("0000000000000000")
    with pytest.raises(StoryNotFoundError, match="not a story or job id"):
        store.resolve("../results/9999000000000009")


def test_listing_from_files_orders_by_recency_or_size(store: StoryStore) -> None:
    """Without Redis the stories folder is read: last seen first, or most articles first."""
    _write(store.folder, meeting("1111000000000007", last_seen=datetime(2026, 1, 1, tzinfo=UTC)))
    recent = [s.story_id for s in store.listing("recent", 10)]
    assert recent == ["1111000000000007", "aaaa000000000001", "ffff000000000006"]
    largest = [s.story_id for s in store.listing("largest", 2)]
    assert largest == ["1111000000000007", "aaaa000000000001"]  # 3 articles each, newest first
    assert [s.story_id for s in store.listing("largest", 3)][-1] == "ffff000000000006"


def test_a_broken_story_file_is_one_clear_error(store: StoryStore) -> None:
    """A story file that is no story record names the file, not a traceback."""
    (store.folder / "2222000000000008.json").write_text('{"story_id": 1}')
    with pytest.raises(StoryFileError, match=r"2222000000000008\.json: not a story record"):
        store.resolve("2222000000000008")
    assert len(store.listing("recent", 10)) == 2  # a listing skips it


# ---- file jobs -----------------------------------------------------------------------------


def test_name_patterns_and_index_values() -> None:
    """Globs match the last part of a name unless they hold a '/'; values split into ids."""
    assert is_pattern("*.html") and is_pattern("a?.txt") and not is_pattern("agency/x.txt")
    assert glob_escape("a*b?[c]\\d") == "a\\*b\\?\\[c\\]\\\\d"
    assert name_matches("agency/2024/x.html", "*.html")
    assert name_matches("agency/2024/x.html", "x*")
    assert not name_matches("agency/x.html", "agency*")  # no '/': the last part only
    assert name_matches("agency/2024/x.html", "agency/*")
    assert job_ids(b"aaa bbb") == ["aaa", "bbb"] and job_ids(None) == []


def test_job_state_from_the_job_hash() -> None:
    """queued, processing (a worker started it), done, failed with its reason, unknown."""
    failure = json.dumps({"error": "BadInput", "reason": "no article text in the JSON"})
    assert job_state({"state": b"queued", "started_at": None}) == ("queued", None)
    assert job_state({"state": b"queued", "started_at": b"17.0"}) == ("processing", None)
    assert job_state({"state": b"done"}) == ("done", None)
    assert job_state({"state": b"failed", "failure": failure.encode()}) == (
        "failed",
        "BadInput: no article text in the JSON",
    )
    assert job_state({}) == ("unknown", None)
    assert failure_reason(b"not json") == "not json"


def test_file_reports_point_to_result_and_story(tmp_path: Path) -> None:
    """A done job shows its result file (flagged when missing) and story; a failed one its
    reason; a file refused by ingest has no job."""
    (tmp_path / "aaaa000000000001.json").write_text("{}")
    jobs = [
        FileJob("agency/x.html", "aaaa000000000001", "done"),
        FileJob("agency/x.html", "bbbb000000000002", "done"),
        FileJob("odd.json", "cccc000000000003", "failed", "BadInput: no text"),
        FileJob("empty.txt", None, "failed", "EmptyFile: the file is empty"),
    ]
    reports = file_reports(jobs, tmp_path, {"aaaa000000000001": "ssss000000000009"})
    lines = render_file_reports(reports).splitlines()
    assert lines[0].split() == [
        "agency/x.html", "aaaa000000000001", "done",
        str(tmp_path / "aaaa000000000001.json"), "story", "ssss000000000009",
    ]  # fmt: skip
    assert lines[1].endswith(f"{tmp_path / 'bbbb000000000002.json'} (missing)")
    assert lines[2].split()[1:] == ["cccc000000000003", "failed", "BadInput:", "no", "text"]
    assert lines[3].endswith("-                 failed      refused by ingest: EmptyFile: "
                             "the file is empty")  # fmt: skip
    assert reports[0].as_dict()["result_exists"] is True
    assert reports[3].as_dict()["job_id"] is None
