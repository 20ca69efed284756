"""The rendered notebooks (``make render``, ``docs/render.py``): present, current and clean.

The first tests check the real copies in ``docs/notebooks/`` against ``notebooks/``: each
fails, naming the notebook and saying "run make render", when a copy is missing, was made
from other code (or in quick mode), or shows a traceback outside a ``raises-exception`` cell
or TensorFlow's internal log lines (the patterns of ``test_notebook_outputs.NOISE``). The
others check that checker on crafted notebooks, and run the render tool for real: on
notebook 00 in quick mode, and on a tiny notebook whose code, prose and tags change.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import re
from pathlib import Path

import nbformat
import pytest
from test_notebook_outputs import NOISE

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("p2p_render", ROOT / "docs" / "render.py")
render = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render)

SOURCES = [source for source in render.source_notebooks() if render.kept_rendered(source)]
TRACEBACK_MARK = "Traceback (most recent call last)"


def _output_text(output) -> str:
    if output.get("output_type") == "stream":
        return render._text(output.get("text", ""))
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", []))
    return render._text(output.get("data", {}).get("text/plain", ""))


def rendered_problems(source: Path, rendered: Path, mode: str = "full") -> list[str]:
    """What is wrong with the rendered copy of ``source``, one line each (empty: nothing)."""
    name = (rendered.relative_to(ROOT) if rendered.is_relative_to(ROOT) else rendered).as_posix()
    why = render.staleness(source, rendered, mode)
    if why == "missing":
        return [f"{name}: missing; run make render"]
    problems = [f"{name}: {why}; run make render"] if why else []
    for index, cell in enumerate(render.read_json(rendered)["cells"]):
        if cell["cell_type"] != "code":
            continue
        where = f"{name}: cell {index} (id {cell.get('id')})"
        expected_error = "raises-exception" in cell.get("metadata", {}).get("tags", [])
        for output in cell.get("outputs", []):
            text = _output_text(output)
            if not expected_error and (output.get("output_type") == "error"
                                       or TRACEBACK_MARK in text):
                problems.append(f"{where} holds a traceback ({output.get('ename', 'printed')}: "
                                f"{output.get('evalue', '')}) but is not tagged "
                                "raises-exception; fix the notebook, then run make render")
            noisy = [line for line in text.splitlines() if NOISE.search(line)]
            if noisy and output.get("output_type") != "error":
                problems.append(f"{where} shows TensorFlow's log or warning lines "
                                f"({noisy[0][:80]!r}); fix the notebook, then run make render")
    return problems


# ---------------------------------------------------------------- the real rendered copies

@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.relative_to(render.SOURCE_DIR)
                         .as_posix())
def test_the_rendered_copy_is_current_and_clean(source):
    problems = rendered_problems(source, render.rendered_path(source))
    assert not problems, "\n".join(problems)


# What a student must not read in the course's outputs: a machine's paths, the test tools, the
# library's internal keys (the sources' prose and code are scanned in test_course.py).
NOT_FOR_STUDENTS = re.compile(r"/tmp/|/home/|/root/|/work/|site-packages|nbval|pytest|"
                              r"\bl1_cgan\b|\bl1_gan\b")
COURSE_COPIES = [render.rendered_path(source) for source in SOURCES
                 if render.group_of(source).endswith("course")]


@pytest.mark.parametrize("copy", COURSE_COPIES, ids=lambda path: path.relative_to(
    render.RENDERED_DIR).as_posix())
def test_the_courses_outputs_show_no_machine_paths_tools_or_internal_keys(copy):
    found = []
    for cell in render.read_json(copy)["cells"] if copy.is_file() else []:
        for output in cell.get("outputs", []):
            text = _output_text(output) + render._text(output.get("data", {}).get("text/html", ""))
            found += [f"cell {cell.get('id')}: {match.group(0)!r}"
                      for match in NOT_FOR_STUDENTS.finditer(text)]
    assert not found, f"{copy.name}: {found[:5]}"


def test_no_rendered_copy_outlives_its_source():
    copies = sorted(render.RENDERED_DIR.rglob("*.ipynb"))
    expected = {render.rendered_path(source) for source in render.source_notebooks()}
    orphans = [copy.as_posix() for copy in copies if copy not in expected]
    assert not orphans, f"{orphans} have no source notebook; run make render (it removes them)"


def test_no_rendered_copy_shows_other_code_than_its_source():
    # Solutions are rendered on request only; a copy left from older code would mislead.
    stale = [copy.as_posix() for source in render.source_notebooks()
             if (copy := render.rendered_path(source)).is_file()
             and (render.staleness(source, copy) or "").startswith("stale")]
    assert not stale, f"{stale} show older code than their sources; run make render"


def test_the_rendered_copies_stay_under_25_mb():
    megabytes = render.folder_megabytes(render.RENDERED_DIR) if render.RENDERED_DIR.is_dir() else 0
    assert megabytes < render.SIZE_LIMIT_MB, (
        f"docs/notebooks/ holds {megabytes:.1f} MB; make the largest figures smaller")


# ---------------------------------------------------------------- the checker, on crafted copies

def _notebook(*cells):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.cells = list(cells)
    return notebook


def _code(source, *outputs, tags=()):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = list(outputs)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _stream(text, name="stdout"):
    return nbformat.v4.new_output("stream", name=name, text=text)


def _error():
    return nbformat.v4.new_output("error", ename="ValueError", evalue="bad size",
                                  traceback=["ValueError: bad size"])


def _crafted(tmp_path, *rendered_outputs, tags=(), mode="full"):
    """A source notebook and a rendered copy of it whose second code cell has these outputs."""
    source = _notebook(nbformat.v4.new_markdown_cell("# 00 · A title"),
                       _code("x = 1"), _code("print(x)", tags=tags))
    rendered = json.loads(json.dumps(source))
    rendered["cells"][2]["outputs"] = [json.loads(json.dumps(o)) for o in rendered_outputs]
    rendered["metadata"][render.METADATA_KEY] = {
        "mode": mode, "code_sha256": render.code_hash(source),
        "prose_sha256": render.prose_hash(source), "seconds": {"quick": 1.0, "full": 2.0}}
    (tmp_path / "notebooks").mkdir(exist_ok=True)
    (tmp_path / "docs").mkdir(exist_ok=True)
    source_path = tmp_path / "notebooks" / "00_x.ipynb"
    rendered_path = tmp_path / "docs" / "00_x.ipynb"
    nbformat.write(source, source_path)
    rendered_path.write_text(json.dumps(rendered))
    return source_path, rendered_path


def _rewrite_cell(path: Path, index: int, text: str) -> None:
    """Give cell ``index`` of the notebook at ``path`` the source ``text``."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[index].source = text
    nbformat.write(notebook, path)


def test_the_checker_passes_a_clean_current_copy(tmp_path):
    source, rendered = _crafted(tmp_path, _stream("1\n"))
    assert rendered_problems(source, rendered) == []


def test_the_checker_names_a_missing_copy(tmp_path):
    source, rendered = _crafted(tmp_path)
    rendered.unlink()
    [problem] = rendered_problems(source, rendered)
    assert "00_x.ipynb" in problem and "missing" in problem and "run make render" in problem


def test_the_checker_names_a_copy_of_other_code(tmp_path):
    source, rendered = _crafted(tmp_path, _stream("1\n"))
    _rewrite_cell(source, 1, "x = 2")
    [problem] = rendered_problems(source, rendered)
    assert "00_x.ipynb" in problem and "code cells differ" in problem
    assert "run make render" in problem


def test_the_checker_notices_code_edited_in_the_copy_itself(tmp_path):
    source, rendered = _crafted(tmp_path, _stream("1\n"))
    copy = json.loads(rendered.read_text())
    copy["cells"][1]["source"] = "x = 3"
    rendered.write_text(json.dumps(copy))
    assert any("code cells differ" in p for p in rendered_problems(source, rendered))


def test_the_checker_refuses_a_copy_made_in_quick_mode(tmp_path):
    source, rendered = _crafted(tmp_path, _stream("1\n"), mode="quick")
    [problem] = rendered_problems(source, rendered)
    assert "quick mode" in problem and "run make render" in problem


def test_the_checker_names_changed_prose(tmp_path):
    source, rendered = _crafted(tmp_path, _stream("1\n"))
    _rewrite_cell(source, 0, "# 00 · A better title")
    [problem] = rendered_problems(source, rendered)
    assert "markdown differs" in problem and "run make render" in problem


def test_the_checker_finds_a_traceback_outside_a_raises_exception_cell(tmp_path):
    source, rendered = _crafted(tmp_path, _error())
    [problem] = rendered_problems(source, rendered)
    assert "cell 2" in problem and "traceback" in problem and "ValueError" in problem
    printed = _stream(f"{TRACEBACK_MARK}:\n  File \"x.py\"\nKeyError: 1\n", name="stderr")
    source, rendered = _crafted(tmp_path, printed)
    assert any("traceback" in p for p in rendered_problems(source, rendered))


def test_the_checker_allows_the_traceback_of_a_raises_exception_cell(tmp_path):
    source, rendered = _crafted(tmp_path, _error(), tags=("raises-exception",))
    assert rendered_problems(source, rendered) == []


@pytest.mark.parametrize("line", [
    "I0000 00:00:1733 12345 cpu_feature_guard.cc:210] This TensorFlow binary is optimized",
    "W0000 00:00:1733 12345 gpu_device.cc:2344] Cannot dlopen some GPU libraries.",
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "oneDNN custom operations are on. You may see slightly different numerical results",
])
def test_the_checker_finds_tensorflow_log_lines(tmp_path, line):
    source, rendered = _crafted(tmp_path, _stream("step 1\n"), _stream(line + "\n", "stderr"))
    [problem] = rendered_problems(source, rendered)
    assert "cell 2" in problem and "log" in problem and line[:20] in problem


# ---------------------------------------------------------------- the render tool, for real

def test_rendering_notebook_00_in_quick_mode(tmp_path, capsys):
    """The real tool on the real notebook 00 (quick mode: seconds, not minutes)."""
    import keras
    import tensorflow as tf
    from PIL import Image

    out = tmp_path / "rendered"
    assert render.main(["--quick", "--notebook", "00_overview", "--out", str(out)]) == 0
    source = render.SOURCE_DIR / "00_overview.ipynb"
    copy = out / "00_overview.ipynb"
    assert sorted(p.name for p in out.iterdir()) == ["00_overview.ipynb"]  # only the one named
    assert rendered_problems(source, copy, mode="quick") == []
    assert "current" not in capsys.readouterr().out  # it was rendered, not skipped

    notebook = nbformat.read(copy, as_version=4)
    metadata = notebook.metadata[render.METADATA_KEY]
    assert metadata["mode"] == "quick" and metadata["seconds"]["quick"] > 0
    assert metadata["source"] == "notebooks/00_overview.ipynb"
    assert metadata["code_sha256"] == render.code_hash(nbformat.read(source, as_version=4))
    assert metadata["machine"]["tensorflow"] == tf.__version__
    assert metadata["machine"]["keras"] == keras.__version__
    texts = [_output_text(o) for cell in notebook.cells if cell.cell_type == "code"
             for o in cell.outputs]
    assert any(f"TensorFlow {tf.__version__} · Keras {keras.__version__}" in t for t in texts)
    assert any("quick mode: 64×64 images" in t for t in texts)  # the config cell's choice
    pictures = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
                if "image/png" in o.get("data", {})]
    assert pictures, "the figure of the first pair is missing"
    picture = Image.open(io.BytesIO(base64.b64decode(pictures[0].data["image/png"])))
    assert round(picture.info["dpi"][0]) == render.FIGURE_DPI  # the kernel's DPI setting held


def _png(array) -> str:
    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, np.uint8)).save(buffer, "PNG", dpi=(100, 100))
    return base64.b64encode(buffer.getvalue()).decode()


def _decoded(encoded: str):
    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(encoded)))
    return image, np.asarray(image.convert("RGB"))


def test_photo_like_figures_get_a_palette_and_shrink():
    import numpy as np

    rng = np.random.default_rng(0)
    photo = rng.normal(128, 40, (120, 160, 3)).clip(0, 255)  # thousands of colours
    encoded = _png(photo)
    shrunk = render.shrink_png(encoded)
    image, pixels = _decoded(shrunk)
    assert len(shrunk) < len(encoded) and image.mode == "P" and image.size == (160, 120)
    assert round(image.info["dpi"][0]) == 100
    assert np.abs(pixels.astype(int) - photo.round().astype(int)).mean() < 12


def test_figures_of_few_colours_stay_exact():
    import numpy as np

    plot = np.full((90, 120, 4), 255)
    plot[30:60, 10:110, :3] = (31, 119, 180)  # an opaque bar chart's bar
    shrunk = render.shrink_png(_png(plot))
    image, pixels = _decoded(shrunk)
    assert image.mode in ("RGB", "P") and (pixels == plot[..., :3]).all()


TINY_CELLS = [
    ("markdown", "# 00 · A tiny notebook\n\n**You will learn**\n- one thing;\n- and another\n"
                 "  on two lines.\n\nSee [the next](01_next.ipynb) and [data](../data/README.md)."),
    ("code", "import os\nprint('quick:', os.environ.get('P2P_QUICK'))"),
    ("code", "print('reached' * 3)"),
    ("code", "raise ValueError('shown on purpose')", ["raises-exception"]),
    ("code", "print('skipped cell ran')", ["nbval-skip"]),
    ("code", "import sys\nfor i in range(3):\n    print(f'\\rstep {i}', end='')\nprint()"),
    ("code", "from IPython.display import HTML\n"
             "HTML('<div><iframe src=\"http://127.0.0.1:7860/\" width=\"100%\"></iframe></div>')"),
]


def _tiny(folder: Path, cells=TINY_CELLS) -> Path:
    notebook = _notebook()
    for kind, text, *tags in cells:
        cell = (nbformat.v4.new_code_cell(text) if kind == "code"
                else nbformat.v4.new_markdown_cell(text))
        if tags:
            cell.metadata["tags"] = tags[0]
        notebook.cells.append(cell)
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / "00_tiny.ipynb")
    return folder / "00_tiny.ipynb"


def _outputs(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return ["".join(_output_text(o) for o in cell.outputs) for cell in notebook.cells
            if cell.cell_type == "code"]


def test_rendering_reruns_only_what_changed(tmp_path, capsys):
    sources, out = tmp_path / "notebooks", tmp_path / "docs" / "notebooks"
    source = _tiny(sources)
    arguments = ["--sources", str(sources), "--out", str(out)]
    assert render.main(arguments) == 0
    copy = out / "00_tiny.ipynb"
    quick_line, reached, error, skipped, progress, live_app = _outputs(copy)
    assert quick_line == "quick: None\n"  # the kept copy is the full-mode run
    assert reached == "reached" * 3 + "\n"
    assert "ValueError" in error and "shown on purpose" in error
    assert skipped == render.SKIP_NOTE  # not executed, one-line note instead
    assert progress == "step 2\n"  # carriage returns applied, as Jupyter shows them
    assert live_app == render.LIVE_APP_NOTE  # a dead server's iframe would show nothing
    assert rendered_problems(source, copy) == []
    metadata = render.render_metadata(copy)
    assert set(metadata["seconds"]) == {"quick", "full"}
    assert metadata["skipped_cells"] == [nbformat.read(source, 4).cells[4].id]
    markdown = nbformat.read(copy, as_version=4).cells[0].source
    assert "[the next](01_next.ipynb)" in markdown  # a notebook: its rendered neighbour
    assert "[data](../../data/README.md)" in markdown  # reached from docs/notebooks/
    first_render = metadata["rendered_at"], copy.read_bytes()

    capsys.readouterr()
    assert render.main(arguments) == 0  # nothing changed: nothing runs
    assert "00_tiny.ipynb: current" in capsys.readouterr().out
    assert copy.read_bytes() == first_render[1]

    notebook = nbformat.read(source, as_version=4)
    notebook.cells[0].source += "\n\nA new sentence."
    nbformat.write(notebook, source)
    assert rendered_problems(source, copy) != []
    assert render.main(arguments) == 0  # prose only: refreshed without running
    assert "prose refreshed" in capsys.readouterr().out
    assert render.render_metadata(copy)["rendered_at"] == first_render[0]
    assert "A new sentence." in nbformat.read(copy, as_version=4).cells[0].source
    assert _outputs(copy)[1] == reached
    assert rendered_problems(source, copy) == []

    notebook.cells[0].source += " And one more."
    nbformat.write(notebook, source)
    assert render.main(["--prose-only", *arguments]) == 0  # the final pass: never executes
    assert "And one more." in nbformat.read(copy, as_version=4).cells[0].source
    assert render.render_metadata(copy)["rendered_at"] == first_render[0]

    notebook.cells[2].source = "print('changed')"
    nbformat.write(notebook, source)
    capsys.readouterr()
    assert render.main(["--prose-only", *arguments]) == 1  # code changed: named, not run
    assert "00_tiny.ipynb: stale" in capsys.readouterr().err
    assert _outputs(copy)[1] == reached
    assert render.main(["--quick", *arguments]) == 0  # code changed: executed again
    assert _outputs(copy)[1] == "changed\n"
    assert rendered_problems(source, copy, mode="quick") == []


def test_a_failing_cell_is_named_and_the_old_copy_kept(tmp_path, capsys):
    sources, out = tmp_path / "notebooks", tmp_path / "rendered"
    source = _tiny(sources, TINY_CELLS[:3])
    arguments = ["--quick", "--sources", str(sources), "--out", str(out)]
    assert render.main(arguments) == 0
    before = (out / "00_tiny.ipynb").read_bytes()
    notebook = nbformat.read(source, as_version=4)
    notebook.cells[2].source = "1 / 0"
    nbformat.write(notebook, source)
    assert render.main(arguments) == 1
    [line] = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert line.startswith("render: 00_tiny.ipynb: cell 2")
    assert "ZeroDivisionError" in line and "left as it was" in line
    assert (out / "00_tiny.ipynb").read_bytes() == before


def test_unknown_notebook_names_are_one_line_errors(tmp_path, capsys):
    sources = tmp_path / "notebooks"
    _tiny(sources, TINY_CELLS[:2])
    assert render.main(["--notebook", "04_nothing", "--sources", str(sources),
                        "--out", str(tmp_path / "out")]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "04_nothing" in line and "00_tiny" in line


def _give_rendered_copy(source: Path, sources: Path, out: Path, seconds: dict,
                        generated: tuple = ()) -> None:
    """Write a current full-mode rendered copy of ``source`` with these run times, as if
    ``make render`` had run it on "Some CPU" (its full run generating ``generated``)."""
    copy = json.loads(source.read_text(encoding="utf-8"))
    copy["metadata"][render.METADATA_KEY] = dict(
        mode="full", code_sha256=render.code_hash(copy), prose_sha256=render.prose_hash(copy),
        seconds=seconds, rendered_at="2026-12-01T10:00:00+00:00",
        first_run_generated={"quick": [], "full": list(generated)},
        machine={"processor": "Some CPU", "cpu_count": 2, "usable_cpus": 2, "python": "3.11.7",
                 "tensorflow": "2.21.0", "keras": "3.15.1", "gpus": []})
    target = render.rendered_path(source, sources, out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(copy, ensure_ascii=False), encoding="utf-8")


def _title_notebook(path: Path, title_cell: str) -> Path:
    """A notebook at ``path`` of a title cell and one code cell."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(_notebook(nbformat.v4.new_markdown_cell(title_cell), _code("x = 1")), path)
    return path


def test_the_teachers_table_comes_from_the_render_metadata(tmp_path):
    sources, out = tmp_path / "notebooks", tmp_path / "docs" / "notebooks"
    source = _tiny(sources)
    _give_rendered_copy(source, sources, out, {"quick": 12.3, "full": 754.0},
                        generated=["synthetic-facades-128"])
    guide = tmp_path / "docs" / "teaching.md"
    guide.write_text(f"# Guide\n\n{render.GENERATED_BEGIN}\nold\n{render.GENERATED_END}\n\nEnd.\n")
    (sources / "solutions").mkdir()
    nbformat.write(_notebook(nbformat.v4.new_markdown_cell("# 00 · Solutions")),
                   sources / "solutions" / "00_tiny_solutions.ipynb")
    render.update_teaching(render.summaries(sources, out), guide)
    text = guide.read_text()
    # Not rendered: the link opens the source.
    assert ("| [00 · Solutions](../notebooks/solutions/00_tiny_solutions.ipynb) | not rendered yet "
            "| not rendered yet |") in text
    assert text.startswith("# Guide\n") and text.endswith("\n\nEnd.\n") and "old" not in text
    assert "| [00 · A tiny notebook](notebooks/00_tiny.ipynb) | 12 s | 12 min 34 s* |" in text
    assert "`synthetic-facades-128`" in text and "Some CPU" in text
    assert "- one thing;" in text and "- and another on two lines." in text

    guide.write_text("# Guide without markers\n")
    with pytest.raises(render.RenderError, match="markers"):
        render.update_teaching(render.summaries(sources, out), guide)

    readme = tmp_path / "README.md"
    readme.write_text(f"# Project\n\n{render.GENERATED_BEGIN}\n| notebook | what it builds | "
                      "`p2plib` |\n|---|---|---|\n| `00_tiny` | one tiny thing | `config` |\n"
                      f"{render.GENERATED_END}\n\nMore.\n")
    render.update_readme(render.summaries(sources, out), readme)
    text = readme.read_text()
    assert ("| [`00_tiny`](docs/notebooks/00_tiny.ipynb) | one tiny thing | `config` | 12 s "
            "| 12 min 34 s* |") in text  # the hand-written columns kept, the times measured
    assert "00_tiny_solutions" not in text  # solutions are listed in the guide, not here
    assert text.startswith("# Project\n") and text.endswith("\n\nMore.\n")
    once = text
    render.update_readme(render.summaries(sources, out), readme)
    assert readme.read_text() == once  # rewriting is stable: the columns survive a second pass


def test_the_chinese_guide_and_readme_come_from_the_chinese_copies(tmp_path):
    """The Chinese edition's tables: its notebooks' titles, objectives and run times in
    Chinese, "未渲染" where a copy is missing, the English notebook (marked) where no
    translation exists; the English tables keep only the English notebooks."""
    sources, out = tmp_path / "notebooks", tmp_path / "docs" / "notebooks"
    _tiny(sources)
    translated = _title_notebook(sources / "zh" / "00_tiny.ipynb",
                                 "# 00 · 一个小笔记本\n\n这里只有一段话。\n\n**你将学到**\n"
                                 "- 第一件事；\n- 第二件事。\n\n**预备知识：** 无。")
    _give_rendered_copy(translated, sources, out, {"quick": 12.3, "full": 754.0},
                        generated=["synthetic-streets-256"])
    _title_notebook(sources / "01_more.ipynb", "# 01 · More\n\n**You will learn**\n- more.")
    _title_notebook(sources / "zh" / "01_more.ipynb", "# 01 · 更多\n\n**你将学到**\n- 更多。")
    after = _title_notebook(sources / "beyond" / "08_after.ipynb",
                            "# 08 · After the course\n\n**You will learn**\n- English only.")
    _give_rendered_copy(after, sources, out, {"quick": 5.0, "full": 65.0})
    rows = render.summaries(sources, out)

    guide = tmp_path / "docs" / "teaching.zh-CN.md"
    guide.write_text(f"# 指南\n\n{render.GENERATED_BEGIN}\n{render.GENERATED_END}\n\n完。\n",
                     encoding="utf-8")
    render.update_teaching(rows, guide, "zh")
    text = guide.read_text(encoding="utf-8")
    assert text.startswith("# 指南\n") and text.endswith("\n\n完。\n")
    assert "| 笔记本 | 快速模式 | 完整模式 |\n|---|---|---|\n" in text
    assert "| [00 · 一个小笔记本](notebooks/zh/00_tiny.ipynb) | 12 秒 | 12 分 34 秒* |" in text
    assert "| [01 · 更多](../notebooks/zh/01_more.ipynb) | 未渲染 | 未渲染 |" in text
    assert ("| [08 · After the course（英文）](notebooks/beyond/08_after.ipynb) | 5 秒 "
            "| 1 分 05 秒 |") in text  # no Chinese twin: the English notebook, marked
    assert "**00 · 一个小笔记本**\n\n- 第一件事；\n- 第二件事。" in text
    assert "- 更多。" in text
    assert "English only" not in text and "A tiny notebook" not in text
    assert "由 `make render` 测得：Some CPU 的 2 个核心（无 GPU），" in text
    assert "渲染于 2026-12-01。" in text and "`synthetic-streets-256`" in text

    english_guide = tmp_path / "docs" / "teaching.md"
    english_guide.write_text(f"{render.GENERATED_BEGIN}\n{render.GENERATED_END}\n")
    render.update_teaching(rows, english_guide)
    english = english_guide.read_text(encoding="utf-8")
    assert ("| [01 · More](../notebooks/01_more.ipynb) | not rendered yet | not rendered yet |"
            in english)
    assert "一个小笔记本" not in english and "zh/" not in english

    readme = tmp_path / "README.zh-CN.md"
    readme.write_text(f"# 项目\n\n{render.GENERATED_BEGIN}\n| 笔记本 | 构建内容 | `p2plib` |\n"
                      "|---|---|---|\n| `00_tiny` | 一个小东西 | `config` |\n"
                      f"{render.GENERATED_END}\n\n更多。\n", encoding="utf-8")
    render.update_readme(rows, readme, "zh")
    text = readme.read_text(encoding="utf-8")
    assert "| 笔记本 | 构建内容 | `p2plib` | 快速模式 | 完整模式 |\n|---|---|---|---|---|\n" in text
    assert ("| [`00_tiny`](docs/notebooks/zh/00_tiny.ipynb) | 一个小东西 | `config` | 12 秒 "
            "| 12 分 34 秒* |") in text  # the hand-written Chinese columns kept
    assert "| [`01_more`](docs/notebooks/zh/01_more.ipynb) |  |  | 未渲染 | 未渲染 |" in text
    assert "08_after" not in text  # the README lists the course only
    assert text.startswith("# 项目\n") and text.endswith("\n\n更多。\n")
    once = text
    render.update_readme(rows, readme, "zh")
    assert readme.read_text(encoding="utf-8") == once


def test_the_readme_table_and_cover_match_the_rendered_copies():
    rows = render.summaries()
    section = render.generated_section(render.README)
    assert section == render.readme_section(rows, section), (
        "README.md's table of the series differs from the render metadata; run make render")
    assert "| quick mode | full mode |" in section
    picture = render.cover_png()
    assert picture is not None, f"{render.COVER_SOURCE[0]} has no rendered copy; run make render"
    assert render.COVER.is_file() and render.COVER.read_bytes() == picture, (
        f"{render.COVER} is not the picture of {render.COVER_SOURCE}; run make render")


def test_the_chinese_readme_table_matches_the_rendered_copies():
    readme = render.EDITIONS["zh"].readme
    section = render.generated_section(readme)
    assert section == render.readme_section(render.summaries(), section, render.ROOT, "zh"), (
        f"{readme.name}'s table of the series differs from the render metadata; run make render")
    assert "| 快速模式 | 完整模式 |" in section
