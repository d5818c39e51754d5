"""Strip markdown markup while keeping every word it decorates."""

from __future__ import annotations

import re

_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\((?:[^()\n]|\([^)\n]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_LINK_DEF = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s+\S+.*$")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w_])")
_STRAY_STRONG = re.compile(r"\*\*|(?<!\w)__(?!\w)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-{2,})$")
_RULE = re.compile(r"^(?:[-*_]\s*){3,}$")
_QUOTE = re.compile(r"^(?:>\s?)+")
_BULLET = re.compile(r"^[*+]\s+(?=\S)")
_CODE = re.compile(r"`([^`\n]+)`")
#: A line without these characters (or a leading dash or plus) carries no markup to strip.
_MAY_HAVE_MARKUP = re.compile(r"^\s*[-+#>]|[\[*_`]")
_SPACES = re.compile(r" {2,}")


def strip_markdown_line(line: str) -> tuple[str, bool]:
    """Return the line without markdown markup, and whether it was a markdown heading."""
    if not _MAY_HAVE_MARKUP.search(line):
        return _SPACES.sub(" ", line).strip(), False
    if _RULE.match(line) or _LINK_DEF.match(line):
        return "", False
    heading = False
    m = _HEADING.match(line)
    if m:
        line, heading = m.group(1), True
    line = _QUOTE.sub("", line)
    line = _BULLET.sub("", line)
    line = _IMAGE.sub(r"\1", line)
    line = _LINK.sub(r"\1", line)
    line = _REF_LINK.sub(r"\1", line)
    line = _CODE.sub(r"\1", line)
    for _ in range(2):
        line = _STRONG.sub(r"\2", line)
    line = _EM_STAR.sub(r"\1", line)
    line = _EM_UNDERSCORE.sub(r"\1", line)
    line = _STRAY_STRONG.sub("", line)
    line = _SPACES.sub(" ", line).strip()
    return line, heading


def is_setext_underline(line: str) -> bool:
    """Whether the line is a setext heading underline (``====`` or ``----``)."""
    return bool(_SETEXT.match(line.strip()))
