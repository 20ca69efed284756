"""The Chinese edition keeps in step with the English course (docs/translation.py).

Every course notebook and its solutions have a Chinese twin in notebooks/zh/ with the same
cells in the same order, the same code (comments and the words of strings aside), and a
record of the English text it translates, which names the cells that changed since.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))
import translation  # noqa: E402  (docs/translation.py)

COURSE = sorted(translation.NOTEBOOKS.glob("0[0-7]_*.ipynb"))
SOLUTIONS = [translation.NOTEBOOKS / "solutions" / f"{path.stem}_solutions.ipynb"
             for path in COURSE]


@pytest.mark.parametrize("english", COURSE + SOLUTIONS, ids=lambda path: path.name)
def test_every_course_notebook_and_solution_has_a_chinese_twin(english):
    twin = translation.CHINESE / english.relative_to(translation.NOTEBOOKS)
    assert twin.is_file(), f"{twin.relative_to(ROOT)} is missing"


@pytest.mark.parametrize("translated", translation.translated_notebooks(),
                         ids=lambda path: path.relative_to(translation.CHINESE).as_posix())
def test_the_chinese_notebook_is_in_step_with_the_english(translated):
    assert translation.problems(translated) == []


def notebook(*cells) -> dict:
    return {"cells": [{"cell_type": kind, "metadata": {}, "source": text}
                      for kind, text in cells], "metadata": {}, "nbformat": 4,
            "nbformat_minor": 5}


@pytest.fixture()
def twins(tmp_path, monkeypatch):
    """An English notebook and its translation in a folder laid out like notebooks/."""
    monkeypatch.setattr(translation, "NOTEBOOKS", tmp_path)
    monkeypatch.setattr(translation, "CHINESE", tmp_path / "zh")
    monkeypatch.setattr(translation, "ROOT", tmp_path)
    (tmp_path / "zh").mkdir()
    english = tmp_path / "00_x.ipynb"
    english.write_text(json.dumps(notebook(
        ("markdown", "# 00 · Title\n\nThe generator draws."),
        ("code", 'size = 64  # pixels\nprint(f"size {size}")'))))
    chinese = tmp_path / "zh" / "00_x.ipynb"
    chinese.write_text(json.dumps(notebook(
        ("markdown", "# 00 · 标题\n\n生成器作画。"),
        ("code", 'size = 64  # 像素\nprint(f"尺寸 {size}")'))), encoding="utf-8")
    translation.record(chinese)
    return english, chinese


def test_comments_and_printed_words_may_differ(twins):
    _, chinese = twins
    assert translation.problems(chinese) == []


def test_other_code_is_named(twins):
    _, chinese = twins
    data = json.loads(chinese.read_text(encoding="utf-8"))
    data["cells"][1]["source"] = 'size = 128  # 像素\nprint(f"尺寸 {size}")'
    chinese.write_text(json.dumps(data), encoding="utf-8")
    assert translation.problems(chinese) == [
        "zh/00_x.ipynb: code cell 1 differs from the English beyond comments and string "
        "literals"]


def test_a_change_to_the_english_names_the_cell(twins):
    english, chinese = twins
    data = json.loads(english.read_text())
    data["cells"][0]["source"] = "# 00 · Title\n\nThe generator paints."
    english.write_text(json.dumps(data))
    assert translation.problems(chinese) == [
        "zh/00_x.ipynb: the English changed since translation in cells [0]; translate them "
        "again, then record"]


def test_other_cells_are_refused(twins):
    english, chinese = twins
    data = json.loads(chinese.read_text(encoding="utf-8"))
    data["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "多余"})
    chinese.write_text(json.dumps(data), encoding="utf-8")
    assert "are not those of the English notebook" in translation.problems(chinese)[0]


def test_a_cell_inserted_in_the_english_is_the_only_one_named(tmp_path, monkeypatch):
    monkeypatch.setattr(translation, "NOTEBOOKS", tmp_path)
    monkeypatch.setattr(translation, "CHINESE", tmp_path / "zh")
    monkeypatch.setattr(translation, "ROOT", tmp_path)
    (tmp_path / "zh").mkdir()
    english = notebook(("markdown", "# Title"), ("markdown", "Last words."))
    chinese = notebook(("markdown", "# 标题"), ("markdown", "最后的话。"))
    for data in (english, chinese):
        for index, cell in enumerate(data["cells"]):
            cell["id"] = f"cell-{index}"
    (tmp_path / "00_x.ipynb").write_text(json.dumps(english))
    translated = tmp_path / "zh" / "00_x.ipynb"
    translated.write_text(json.dumps(chinese), encoding="utf-8")
    translation.record(translated)
    english["cells"].insert(1, {"cell_type": "markdown", "id": "cell-new", "metadata": {},
                                "source": "A new paragraph."})
    (tmp_path / "00_x.ipynb").write_text(json.dumps(english))
    data = json.loads(translated.read_text(encoding="utf-8"))
    data["cells"].insert(1, dict(english["cells"][1]))  # the structure follows, untranslated
    translated.write_text(json.dumps(data), encoding="utf-8")
    assert translation.problems(translated) == [
        "zh/00_x.ipynb: the English changed since translation in cells [1]; translate them "
        "again, then record"]
