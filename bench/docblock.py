"""The part of a document a benchmark writes: the text between its two markers."""

from __future__ import annotations

import re
from pathlib import Path


def write_block(doc: Path, name: str, writer: str, block: str) -> None:
    """Put block between `<!-- BEGIN name (written by writer) -->` and its END in doc (appended if new)."""
    begin, end = f"<!-- BEGIN {name} (written by {writer}) -->", f"<!-- END {name} (written by {writer}) -->"
    new = f"{begin}\n{block}\n{end}"
    text = doc.read_text()
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: new, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + new + "\n"
    doc.write_text(text)
