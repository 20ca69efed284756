"""Notebooks are committed without outputs or execution counts, so nbval executes them;
the series' map (notebook 00) and the links to the solutions keep up with the notebooks."""

import json
import re
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parent.parent / "notebooks"
COURSE = sorted(FOLDER.glob("*.ipynb"))
SERIES = COURSE + sorted(FOLDER.glob("beyond/*.ipynb"))  # the course and what follows it
SOLUTIONS = sorted(FOLDER.glob("solutions/*.ipynb"))
NOTEBOOKS = SERIES + SOLUTIONS


def _markdown(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb files"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        index
        for index, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs or execution counts; clear them"


@pytest.mark.parametrize("path", SERIES, ids=lambda p: p.name)
def test_notebook_is_numbered_and_opens_with_a_title(path):
    assert path.name[:2].isdigit() and path.name[2] == "_", f"{path.name}: name it NN_topic.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    first = notebook["cells"][0]
    assert first["cell_type"] == "markdown" and "".join(first["source"]).lstrip().startswith("#")


def test_the_map_in_notebook_00_lists_the_course_and_names_what_follows():
    """Its table has a row for each course notebook (00-07); the notebooks after the course
    (notebooks/beyond/, or not moved there yet) are named in its text as "NN · "."""
    markdown = _markdown(FOLDER / "00_overview.ipynb")
    listed = set(re.findall(r"^\| (\d\d) · ", markdown, re.M))
    numbers = {path.name[:2] for path in SERIES}
    course = {number for number in numbers if number <= "07"}
    assert listed == course, (f"notebook 00's map lists {sorted(listed)} but the course is "
                              f"{sorted(course)}; add or remove rows of its table")
    unnamed = sorted(number for number in numbers - course if f"{number} · " not in markdown)
    assert not unnamed, f"notebook 00 does not name the notebooks after the course: {unnamed}"


@pytest.mark.parametrize("path", SERIES, ids=lambda p: p.name)
def test_a_notebook_with_exercises_links_its_solutions(path):
    if "## Exercises" not in _markdown(path):
        return
    solution = FOLDER / "solutions" / f"{path.stem}_solutions.ipynb"
    assert solution.is_file(), f"{path.name} has exercises but {solution.name} does not exist"
    assert re.search(rf"\(((\.\./)?)solutions/{re.escape(solution.name)}\)", _markdown(path)), (
        f"{path.name}'s Exercises section does not link solutions/{solution.name}")
