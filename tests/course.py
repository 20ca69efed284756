"""Reading a course notebook's prose: words, sentences, tags (shared by the course tests)."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
COURSE = sorted(NOTEBOOKS.glob("0[0-7]_*.ipynb"))
BEYOND = sorted((NOTEBOOKS / "beyond").glob("*.ipynb"))
WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def prose(path: Path) -> str:
    """The notebook's markdown without code, formulas, links' targets, images and HTML."""
    text = "\n\n".join(source(cell) for cell in cells(path) if cell["cell_type"] == "markdown")
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", " ", text, flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"`[^`]*`", "code", text)
    return re.sub(r"<[^>]+>", " ", text)


def words(path: Path) -> int:
    return len(WORD.findall(prose(path)))


def sentences(path: Path) -> list[int]:
    """Word counts of the prose's sentences (headings and table rows left out)."""
    lines = [line for line in prose(path).splitlines()
             if not line.lstrip().startswith(("#", "|"))]
    text = re.sub(r"\s+", " ", " ".join(lines))
    parts = re.split(r"(?<=[.!?:;])\s+(?=[A-Z0-9*(\"“])|\s+(?=[-*] )|\s+(?=\d+\. )", text)
    return [count for count in (len(WORD.findall(part)) for part in parts) if count]


def median_sentence(path: Path) -> float:
    lengths = sentences(path)
    return statistics.median(lengths) if lengths else 0.0


def tagged(path: Path, tag: str) -> list[str]:
    return [source(cell) for cell in cells(path)
            if cell["cell_type"] == "code" and tag in cell.get("metadata", {}).get("tags", [])]


if __name__ == "__main__":
    import sys

    total = 0
    for name in sys.argv[1:] or [str(path) for path in COURSE]:
        path = Path(name)
        count = words(path)
        total += count
        longest = max(sentences(path), default=0)
        print(f"{path.name}: {count} words, median sentence {median_sentence(path):g}, "
              f"longest {longest}, {len(tagged(path, 'standalone'))} standalone cells")
    print(f"total {total} words")
