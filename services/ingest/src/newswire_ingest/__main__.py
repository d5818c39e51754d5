"""``python -m newswire_ingest``: the same as ``newswire ingest``."""

from newswire_ingest.cli import main

main()
