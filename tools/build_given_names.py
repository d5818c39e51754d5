"""Rebuild ``newswire_enrich/data/given_names.tsv`` from the nomquamgender package (MIT).

The table lists common given names with how often they were seen and the share of women
among their bearers; the entity step uses it as evidence that a capitalised name is a person,
and the quote step to match he/she to a named person. Regenerate with::

    pip download --no-deps -d /tmp/nqg nomquamgender==0.1.4
    python tools/build_given_names.py /tmp/nqg/nomquamgender-0.1.4-py3-none-any.whl
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

MIN_COUNT = 3000
OUT = Path(__file__).resolve().parent.parent / (
    "services/enrich/src/newswire_enrich/data/given_names.tsv"
)
_NAME = re.compile(r"^[a-zà-ÿ][a-zà-ÿ'-]+$")
HEADER = """\
# Common given names: name<TAB>count<TAB>share of women (0-1).
# Derived from nomquamgender 0.1.4 (Ian Van Buskirk, MIT licence), names seen at least
# {min_count} times. Rebuild with tools/build_given_names.py.
"""


def main(wheel: Path) -> int:
    """Write the table from the wheel's name_data.json."""
    with zipfile.ZipFile(wheel) as zf:
        data = json.loads(zf.read("nomquamgender/name_data.json"))
    rows = sorted(
        (name, int(v[1]), float(v[2]))
        for name, v in data.items()
        if _NAME.match(name) and int(v[1]) >= MIN_COUNT
    )
    with OUT.open("w", encoding="utf-8") as fh:
        fh.write(HEADER.format(min_count=MIN_COUNT))
        for name, count, female in rows:
            fh.write(f"{name}\t{count}\t{female:.3f}\n")
    print(f"wrote {len(rows)} names to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
