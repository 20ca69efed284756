"""Keep the Chinese edition (notebooks/zh/) in step with the English course (tool).

A translated notebook has the same cells in the same order as its English twin. Its code
cells are the same code: only comments and the words of string literals may differ. Its
metadata records what it was translated from (``metadata.p2p_translation``): the English
notebook's path and a hash of every English cell by its id, so a change to the English text
names the cells whose translation lags behind.

    python docs/translation.py check            # every Chinese notebook against its twin
    python docs/translation.py record FILE...   # after translating: record the English hashes

It is project tooling, not part of ``p2plib``; ``tests/test_translation.py`` runs the check.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHINESE = NOTEBOOKS / "zh"
METADATA_KEY = "p2p_translation"
# Python 3.12 splits an f-string into parts; before, it is one STRING token.
_FSTRING_PARTS = {getattr(tokenize, name) for name in
                  ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, name)}


def english_twin(translated: Path) -> Path:
    """The English notebook a Chinese one translates: ``notebooks/zh/X`` -> ``notebooks/X``."""
    return NOTEBOOKS / translated.relative_to(CHINESE)


def translated_notebooks() -> list[Path]:
    return sorted(CHINESE.rglob("*.ipynb"))


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def cell_hash(cell: dict) -> str:
    """What a translation answers for: the cell's type and text."""
    return hashlib.sha256(f"{cell['cell_type']}\n{_source(cell)}".encode()).hexdigest()[:16]


def cell_key(cell: dict, index: int) -> str:
    """What a record calls a cell: its id (so inserting a cell flags only that one), or its
    position in a notebook without ids."""
    return cell.get("id") or str(index)


def code_skeleton(code: str) -> list[tuple[int, str]]:
    """The code's tokens without comments, with every string literal reduced to its kind:
    two cells with the same skeleton differ only in comments and the words they print."""
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    tokens = tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline)
    skeleton = []
    for token in tokens:
        if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT):
            continue
        if token.type == tokenize.STRING or token.type in _FSTRING_PARTS:
            if not skeleton or skeleton[-1] != (tokenize.STRING, "STRING"):
                skeleton.append((tokenize.STRING, "STRING"))
        else:
            skeleton.append((token.type, token.string))
    return skeleton


def problems(translated: Path) -> list[str]:
    """Why ``translated`` is out of step with its English twin, one line each (empty: none)."""
    english_path = english_twin(translated)
    name = translated.relative_to(NOTEBOOKS).as_posix()
    if not english_path.is_file():
        return [f"{name}: its English twin {english_path.relative_to(ROOT)} does not exist"]
    english, chinese = _read(english_path), _read(translated)
    english_cells, chinese_cells = english["cells"], chinese["cells"]
    kinds = [cell["cell_type"] for cell in english_cells]
    if kinds != [cell["cell_type"] for cell in chinese_cells]:
        return [f"{name}: its cells ({len(chinese_cells)}) are not those of the English "
                f"notebook ({len(english_cells)}) in the same order and kinds"]
    found = []
    for index, (source, target) in enumerate(zip(english_cells, chinese_cells, strict=True)):
        if source["cell_type"] == "code":
            if code_skeleton(_source(source)) != code_skeleton(_source(target)):
                found.append(f"{name}: code cell {index} differs from the English beyond "
                             "comments and string literals")
            tags = sorted(source.get("metadata", {}).get("tags", []))
            if tags != sorted(target.get("metadata", {}).get("tags", [])):
                found.append(f"{name}: cell {index} has other tags than the English")
    record = chinese.get("metadata", {}).get(METADATA_KEY)
    if not record:
        return [*found, f"{name}: no record of what it was translated from; run "
                        f"python docs/translation.py record {translated.relative_to(ROOT)}"]
    hashes = record.get("cells", {})
    changed = [index for index, cell in enumerate(english_cells)
               if hashes.get(cell_key(cell, index)) != cell_hash(cell)]
    if changed:
        found.append(f"{name}: the English changed since translation in cells {changed}; "
                     "translate them again, then record")
    return found


def record(translated: Path) -> None:
    """Write into ``translated`` the hashes of the English cells it now translates."""
    chinese = _read(translated)
    english = _read(english_twin(translated))
    chinese.setdefault("metadata", {})[METADATA_KEY] = {
        "source": english_twin(translated).relative_to(NOTEBOOKS).as_posix(),
        "cells": {cell_key(cell, index): cell_hash(cell)
                  for index, cell in enumerate(english["cells"])},
    }
    translated.write_text(json.dumps(chinese, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("check", "record"))
    parser.add_argument("files", nargs="*", type=Path)
    arguments = parser.parse_args(argv)
    files = [path.resolve() for path in arguments.files] or translated_notebooks()
    if arguments.action == "record":
        for path in files:
            record(path)
            print(f"recorded {path.relative_to(ROOT)}")
        return 0
    found = [line for path in files for line in problems(path)]
    print("\n".join(found) or f"{len(files)} translated notebooks are in step")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
