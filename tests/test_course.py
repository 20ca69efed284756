"""The course notebooks (notebooks/00-07) are short, drawn, and their pieces can be copied.

Words and sentence lengths of the prose, the opening cell, the diagrams each structure needs,
exercises labelled by difficulty, no test scaffolding in what a student reads, and every cell
tagged ``standalone`` running alone in a fresh namespace.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest
from course import (
    BEYOND,
    COURSE,
    NOTEBOOKS,
    cells,
    median_sentence,
    prose,
    sentences,
    source,
    tagged,
    words,
)

MAX_WORDS = 1500
MAX_COURSE_WORDS = 10_000
MAX_MEDIAN_SENTENCE = 20
MAX_SENTENCE = 40
DIAGRAMS = {"cgan.svg", "unet.svg", "patchgan.svg", "training_step.svg", "data_pipeline.svg"}
SCAFFOLDING = re.compile(r"nbval|pytest|make render|committed result|tests/test_|rendered by|"
                         r"the seed's own|l1_cgan|l1_gan\b|raises-exception", re.I)


def test_the_course_is_the_eight_notebooks_in_reading_order():
    assert [path.name[:2] for path in COURSE] == [f"{n:02d}" for n in range(8)]


@pytest.mark.parametrize("path", COURSE, ids=lambda path: path.name)
def test_a_notebook_says_little(path):
    assert words(path) <= MAX_WORDS, f"{path.name}: {words(path)} words of prose"
    assert median_sentence(path) <= MAX_MEDIAN_SENTENCE, path.name
    long = [length for length in sentences(path) if length > MAX_SENTENCE]
    assert not long, f"{path.name}: sentences of {long} words; split them"


def test_the_course_says_little():
    total = sum(words(path) for path in COURSE)
    assert total <= MAX_COURSE_WORDS, f"the course has {total} words of prose"


@pytest.mark.parametrize("path", COURSE, ids=lambda path: path.name)
def test_a_notebook_opens_with_purpose_learning_prerequisites_and_run_time(path):
    first = source(cells(path)[0])
    assert re.match(rf"# {path.name[:2]} · ", first), path.name
    for part in ("**You will learn**", "**Prerequisites:**", "**Run time:**"):
        assert part in first, f"{path.name}'s first cell lacks {part}"
    assert re.search(r"\*\*Run time:\*\*[^\n]*\d[^\n]*full mode[^\n]*quick mode", first), (
        f"{path.name}: state the measured run time in full and in quick mode")


@pytest.mark.parametrize("path", COURSE, ids=lambda path: path.name)
def test_a_notebook_ends_with_a_summary_and_labelled_exercises(path):
    text = "\n".join(source(cell) for cell in cells(path) if cell["cell_type"] == "markdown")
    assert "## Summary" in text and "## Exercises" in text, path.name
    exercises = text.split("## Exercises", 1)[1]
    numbered = re.findall(r"^\d+\. (.*)$", exercises, re.M)
    assert numbered, f"{path.name}: no numbered exercises"
    unlabelled = [item[:40] for item in numbered if not re.match(r"★{1,3} \(\d+ min\)", item)]
    assert not unlabelled, f"{path.name}: label each exercise ★ to ★★★ (N min): {unlabelled}"
    assert f"solutions/{path.stem}_solutions.ipynb" in exercises, path.name


def test_the_course_shows_its_diagrams_where_it_needs_them():
    shown = set()
    for path in COURSE:
        for name in re.findall(r"!\[[^\]]*\]\(figures/([\w-]+\.svg)\)", "\n".join(
                source(cell) for cell in cells(path) if cell["cell_type"] == "markdown")):
            assert (NOTEBOOKS / "figures" / name).is_file(), f"{path.name} shows a missing {name}"
            shown.add(name)
    assert DIAGRAMS <= shown, f"not shown anywhere: {sorted(DIAGRAMS - shown)}"


@pytest.mark.parametrize("path", COURSE, ids=lambda path: path.name)
def test_what_a_student_reads_holds_no_test_scaffolding(path):
    found = SCAFFOLDING.findall(prose(path) + "\n".join(
        source(cell) for cell in cells(path) if cell["cell_type"] == "code"))
    assert not found, f"{path.name}: {sorted(set(found))}"
    asserts = [source(cell) for cell in cells(path) if cell["cell_type"] == "code"]
    only_asserts = [cell for cell in asserts if cell.strip() and all(
        line.startswith(("assert", " ", "#")) or not line.strip() for line in cell.splitlines())]
    assert not only_asserts, f"{path.name}: cells of nothing but asserts: {only_asserts[:1]}"
    count = sum(len(re.findall(r"^\s*assert ", cell, re.M)) for cell in asserts)
    assert count <= 12, f"{path.name}: {count} asserts; keep the few a student learns from"


@pytest.mark.parametrize("path", COURSE, ids=lambda path: path.name)
def test_an_error_shown_on_purpose_prints_one_line(path):
    for cell in cells(path):
        if cell["cell_type"] == "code":
            assert "raises-exception" not in cell.get("metadata", {}).get("tags", []), (
                f"{path.name}: print the error's message in a try/except instead")


STANDALONE = [(path, index) for path in COURSE + BEYOND
              for index, _ in enumerate(tagged(path, "standalone"))]


def test_the_pieces_a_researcher_takes_are_tagged():
    counts = {path.name: len(tagged(path, "standalone")) for path in COURSE}
    for name in ("02_generator.ipynb", "03_discriminator.ipynb", "04_training_loop.ipynb",
                 "05_pix2pix_model.ipynb", "06_evaluation.ipynb"):
        assert counts.get(name, 0) >= 1, f"{name} tags no standalone cell"


@pytest.mark.parametrize("path", sorted({path for path, _ in STANDALONE}),
                         ids=lambda path: path.name)
def test_each_standalone_cell_runs_pasted_alone(path, tmp_path):
    """Each tagged cell runs in a fresh namespace (one interpreter per notebook, so the
    imports are paid once), in quick mode, without anything another cell defined."""
    pieces = tagged(path, "standalone")
    program = textwrap.dedent("""
        import os, sys, traceback
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        failures = []
        for index, code in enumerate(CELLS):
            try:
                exec(compile(code, f"standalone cell {index}", "exec"), {"__name__": "__main__"})
            except BaseException:
                failures.append(f"cell {index}:\\n" + traceback.format_exc(limit=3))
        print("\\n".join(failures))
        sys.exit(1 if failures else 0)
    """).replace("CELLS", json.dumps(pieces))
    script = tmp_path / "standalone.py"
    script.write_text(program.replace("plt.show()", "plt.close('all')"), encoding="utf-8")
    env = {**os.environ, "P2P_QUICK": "1", "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, f"{path.name}: {result.stdout[-3000:]}{result.stderr[-2000:]}"
