"""The course's diagrams (notebooks/figures/*.svg): self-contained, small, accessible SVG,
up to date with the script that draws them, showing the numbers the code has, and every
figure a notebook names exists."""

import importlib.util
import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "notebooks" / "figures"
FIGURES = sorted(FOLDER.glob("*.svg"))
SVG = "{http://www.w3.org/2000/svg}"
MAX_BYTES = 100 * 1024
_spec = importlib.util.spec_from_file_location("make_figures", FOLDER / "make_figures.py")
make_figures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_figures)


def _texts(path: Path) -> list[str]:
    """The content of every <text> element, runs joined."""
    root = ElementTree.parse(path).getroot()
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def test_the_course_figures_are_there():
    names = {path.stem for path in FIGURES}
    assert {"cgan", "unet", "patchgan", "training_step"} <= names, sorted(names)


@pytest.mark.parametrize("path", FIGURES, ids=lambda p: p.name)
def test_figure_is_a_sized_accessible_svg(path):
    root = ElementTree.parse(path).getroot()  # raises on anything that is not XML
    assert root.tag == f"{SVG}svg", f"{path.name}: the root element is {root.tag}, not <svg>"
    view_box = [float(value) for value in root.get("viewBox", "").split()]
    assert len(view_box) == 4 and view_box[2] > 0 and view_box[3] > 0, (
        f"{path.name}: give the <svg> a viewBox such as '0 0 900 600'")
    assert 600 <= float(root.get("width")) <= 1000 and float(root.get("height")) > 0, (
        f"{path.name}: width {root.get('width')} px; about 700-900 px shows well everywhere")
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text and title.text.strip(), f"{path.name}: no <title>"
    assert desc is not None and len(desc.text or "") > 40, f"{path.name}: no useful <desc>"
    assert _texts(path), f"{path.name}: its labels should be <text>, not paths"


@pytest.mark.parametrize("path", FIGURES, ids=lambda p: p.name)
def test_figure_is_self_contained_and_small(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < MAX_BYTES, f"{path.name} is over {MAX_BYTES} bytes"
    root = ElementTree.fromstring(text)
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    forbidden = tags & {"script", "image", "foreignObject", "style", "use", "iframe"}
    assert not forbidden, f"{path.name} uses {sorted(forbidden)}"
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.startswith("on"), f"{path.name}: event handler {name}"
            if name.endswith("href"):
                assert value.startswith("#"), f"{path.name}: {name}={value!r} points outside"
            for target in re.findall(r"url\(([^)]*)\)", value):
                assert target.startswith("#"), f"{path.name}: url({target}) points outside"
    without_namespace = text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"https?://|[\"'(]\s*(?:file|data|javascript):", without_namespace), (
        f"{path.name} refers to something outside itself")


def test_figures_are_what_the_script_draws():
    drawn = [make() for make in make_figures.FIGURES]
    stale = [figure.name for figure in drawn
             if (FOLDER / f"{figure.name}.svg").read_text(encoding="utf-8") != figure.svg()]
    assert not stale, (f"{stale} differ from make_figures.py; run "
                       "python notebooks/figures/make_figures.py and commit the SVGs")


def test_unet_figure_shows_the_generator_levels():
    from p2plib import models, paper

    depth = models.generator_depth(256)
    filters = models.level_filters(depth, 64)
    texts = _texts(FOLDER / "unet.svg")
    for level, count in enumerate(filters, 1):
        side = 256 // 2**level
        assert any(text.startswith(f"down{level} · C{count}") for text in texts), (level, count)
        assert any(text.startswith(f"{side}×{side}×{count}") for text in texts), (level, count)
    for step in range(1, depth):  # up1 at 2x2 ... up7 at 128x128, concatenated with a skip
        level = depth - step
        side, count = 256 // 2**level, filters[level - 1]
        assert f"up{step} · C{count}" in texts
        assert f"{side}×{side}×{2 * count}" in texts
    assert texts.count("dropout 0.5") == paper.DROPOUT_BLOCKS


def test_patchgan_figure_shows_the_discriminator_shapes_and_fields():
    from p2plib import models

    discriminator = models.patchgan_discriminator(256, base_filters=64)
    texts = _texts(FOLDER / "patchgan.svg")
    for name, filters, _stride, side, _norm in make_figures.PATCH_LAYERS:
        output = discriminator.get_layer(name).output.shape
        assert output[1:] == (side, side, filters), (name, output)
        assert any(text.startswith(f"{name} · C{filters}") for text in texts), name
        assert f"{side}×{side}×{filters}" in texts, name
    assert models.arithmetic_receptive_field(discriminator) == make_figures.FIELD
    for n_layers, field, map_side, _name in make_figures.FIELDS:
        narrow = models.patchgan_discriminator(None, base_filters=1, n_layers=n_layers)
        assert models.arithmetic_receptive_field(narrow) == field, n_layers
        assert models.patch_map_size(256, n_layers) == map_side, n_layers
        assert f"field {field}×{field}" in texts and f"{map_side}×{map_side} logits" in texts


def test_course_map_draws_the_course_and_apart_what_comes_after_it():
    """The course is notebooks/00-07; every other numbered notebook (notebooks/beyond/, or one
    not moved there yet) is drawn in the group after the course; every module named exists."""
    folder = ROOT / "notebooks"
    numbered = {path.name[:2] for path in [*folder.glob("[0-9][0-9]_*.ipynb"),
                                           *folder.glob("beyond/[0-9][0-9]_*.ipynb")]}
    course = {number for number in numbered if number <= "07"}
    drawn_course = {entry[0] for entry in make_figures.NOTEBOOKS}
    drawn_after = {entry[0] for entry in make_figures.BEYOND}
    assert drawn_course == course, f"course_map draws {sorted(drawn_course)} as the course"
    assert numbered - course <= drawn_after, f"not drawn: {sorted(numbered - course - drawn_after)}"
    assert not drawn_course & drawn_after
    for number_text, _title, _what, modules, _role in make_figures.NOTEBOOKS + make_figures.BEYOND:
        for module in re.split(r"[,\s]+", " ".join(modules).strip()):
            assert importlib.util.find_spec(f"p2plib.{module}"), (number_text, module)


def _figure_references(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return re.findall(r"[\w./-]*figures/[\w.-]+\.svg", markdown)


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").rglob("*.ipynb")),
                         ids=lambda p: str(p.relative_to(ROOT / "notebooks")))
def test_figures_named_in_notebooks_exist(notebook):
    missing = [reference for reference in _figure_references(notebook)
               if not (notebook.parent / reference).is_file()]
    assert not missing, (f"{notebook.name} shows {missing}, which do not exist next to it; "
                         "draw them in notebooks/figures/make_figures.py or fix the path")
