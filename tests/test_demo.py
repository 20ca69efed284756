"""The drawing demo: the steps from a drawing to a picture, the command line's errors, and the
app itself driven with the mouse in headless Chromium (p2plib.demo, notebook 09)."""

from __future__ import annotations

import functools
import gc
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import weakref

import keras
import numpy as np
import pytest
from PIL import Image

from conftest import lively_generator
from p2plib import data, models, testtime
from p2plib.datasets import palettes
from p2plib.datasets.palettes import FACADE_CLASSES, FACADE_PALETTE, STREET_CLASSES
from p2plib.datasets.photos import HOLE_COLOUR
from p2plib.demo import drawings, gradio_app, translation
from p2plib.errors import ArgumentError, ModelFileError
from p2plib.label_colours import labels_to_rgb, rgb_to_labels
from p2plib.tools import cli

SIZE = 32  # the generator's side; the drawing surface is 8 times larger (drawings.canvas_size)
SCREENSHOT_ENV = "P2P_DEMO_SCREENSHOT"  # save the browser test's screenshot here
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
WALL, WINDOW, DOOR = (FACADE_CLASSES.index(name) for name in ("wall", "window", "door"))
facade_rgb = functools.partial(labels_to_rgb, palette=FACADE_PALETTE)  # class ids -> colours
facade_ids = functools.partial(rgb_to_labels, palette=FACADE_PALETTE)  # and back


@pytest.fixture(scope="module")
def generator():
    return lively_generator(SIZE)


def facade_drawing(size=256):
    """A facade label map at ``size`` with blended (antialiased) edges around a window."""
    ids = np.full((size, size), WALL, np.uint8)
    ids[size // 4:size // 2, size // 4:size // 2] = WINDOW
    drawing = facade_rgb(ids).astype(np.float32)
    edge = size // 4 - 1  # a column of half wall, half window, as a stroke's edge looks
    drawing[:, edge] = (FACADE_PALETTE[WALL].astype(int) + FACADE_PALETTE[WINDOW]) / 2
    return np.round(drawing).astype(np.uint8), ids


def colours(image) -> set:
    return {tuple(colour) for colour in np.asarray(image).reshape(-1, 3).tolist()}


# --------------------------------------------------------------------------- the steps


def test_a_drawing_becomes_a_label_map_of_palette_colours_only():
    drawing, ids = facade_drawing()
    labels = drawings.label_map(drawing, "facades")
    # the blend is not a class: every pixel takes the nearest palette colour
    assert colours(drawing) - colours(FACADE_PALETTE)
    prepared = drawings.generator_input(drawing, "facades", (256, 256))
    assert colours(prepared) <= colours(FACADE_PALETTE)
    edge = 256 // 4 - 1
    unblended = np.ones(ids.shape, bool)
    unblended[:, edge] = False
    assert np.array_equal(labels[unblended], ids[unblended])
    assert set(np.unique(labels[:, edge])) <= {WALL, WINDOW}


def test_resizing_to_the_generator_is_nearest_neighbour_and_exact():
    ids = np.kron(np.arange(64, dtype=np.uint8).reshape(8, 8) % len(FACADE_CLASSES),
                  np.ones((32, 32), np.uint8))  # 8x8 blocks of 32x32 pixels
    drawing = facade_rgb(ids)
    small = drawings.label_map(drawing, "facades", (8, 8))
    assert np.array_equal(small, np.arange(64).reshape(8, 8) % len(FACADE_CLASSES))
    prepared = drawings.generator_input(drawing, "facades", (16, 16))
    assert np.array_equal(prepared, facade_rgb(ids[::16, ::16]))


def test_translate_drawing_is_the_steps_by_hand(generator):
    drawing, _ = facade_drawing()
    picture = translation.translate_drawing(generator, drawing, "facades", "inference")
    by_hand_input = facade_rgb(facade_ids(
        np.asarray(Image.fromarray(drawing).resize((SIZE, SIZE), Image.NEAREST))))
    batch = data.normalize(by_hand_input[None])
    by_hand = data.denormalize(testtime.translate(generator, batch, "inference")).numpy()[0]
    assert picture.shape == (SIZE, SIZE, 3) and picture.dtype == np.uint8
    assert picture.std() > 5  # a picture that depends on the drawing, not a flat grey
    assert np.abs(picture.astype(int) - by_hand).max() <= 1
    # the paper's mode goes through the same path: dropout on, the moving averages untouched
    means = [np.array(layer.moving_mean) for layer in models.flat_layers(generator)
             if isinstance(layer, keras.layers.BatchNormalization)]
    paper = translation.translate_drawing(generator, drawing, "facades", "paper")
    assert paper.shape == picture.shape and not np.array_equal(paper, picture)
    after = [np.array(layer.moving_mean) for layer in models.flat_layers(generator)
             if isinstance(layer, keras.layers.BatchNormalization)]
    assert all(np.array_equal(a, b) for a, b in zip(means, after, strict=True))



def test_a_translated_generator_is_not_kept_alive():
    # testtime.translate and the demo's translators cache traced functions per generator;
    # neither may keep a model (and its graphs) alive once its user drops it.
    def translate_and_drop():
        generator = models.unet_generator(image_size=32, base_filters=4)
        for mode in ("inference", "paper"):
            testtime.translate(generator, np.zeros((2, 32, 32, 3), np.float32), mode)
        translation.translator_for(generator)(np.zeros((1, 32, 32, 3), np.float32))
        return weakref.ref(generator)

    dropped = translate_and_drop()
    gc.collect()
    assert dropped() is None

def test_edges_holes_and_grey_photos_keep_what_the_task_shows():
    rng = np.random.default_rng(0)
    scribble = rng.integers(0, 256, (64, 64, 3)).astype(np.uint8)
    edges = drawings.generator_input(scribble, "edges", (32, 32))
    assert set(np.unique(edges)) <= {0, 255}
    assert np.array_equal(edges[..., 0], edges[..., 2])
    photo = rng.integers(0, 256, (64, 64, 3)).astype(np.uint8)
    photo[10:30, 20:50] = HOLE_COLOUR
    holes = drawings.generator_input(photo, "inpainting", (32, 32))
    hole = np.all(holes == HOLE_COLOUR, axis=-1)
    assert hole[5:15, 10:25].all() and hole.sum() == 10 * 15  # exactly the resized hole
    grey = drawings.generator_input(photo, "colorization", (32, 32))
    assert np.array_equal(grey[..., 0], grey[..., 1]) and np.array_equal(grey[..., 1],
                                                                         grey[..., 2])


def test_the_tools_brush_rectangle_and_fill():
    drawing = facade_rgb(np.full((40, 40), WALL, np.uint8))
    drawing[20:30, 20:30] = FACADE_PALETTE[DOOR]
    mask = np.zeros((40, 40), bool)
    mask[2:4, 2:12] = True  # a stroke along a line
    mask[22, 22:24] = True  # a click in the door
    inks = np.where(mask, WINDOW, 0)
    brushed = facade_ids(drawings.apply_stroke(drawing, mask, inks, "facades", "brush"))
    assert (brushed[mask] == WINDOW).all() and (brushed[~mask] != WINDOW).all()
    boxed = facade_ids(
        drawings.apply_stroke(drawing, mask, inks, "facades", "rectangle"))
    assert (boxed[2:4, 2:12] == WINDOW).all() and (boxed[22:23, 22:24] == WINDOW).all()
    assert (boxed == WINDOW).sum() == 2 * 10 + 2
    filled = facade_ids(drawings.apply_stroke(drawing, mask, inks, "facades", "fill"))
    assert (filled[20:30, 20:30] == WINDOW).all()  # the click filled the door
    assert (filled == WINDOW).sum() == 40 * 40  # the line filled the wall around it
    with pytest.raises(ArgumentError, match="tools"):
        drawings.apply_stroke(drawing, mask, inks, "edges", "fill")


def test_a_stroke_is_read_from_the_layer_in_its_own_ink():
    layer = np.zeros((64, 64, 4), np.uint8)
    layer[10:20, 10:20] = (*FACADE_PALETTE[DOOR], 255)
    layer[40:50, 40:50] = (*(FACADE_PALETTE[WINDOW] // 2 + 60), 255)  # off-palette ink
    layer[0:5, 0:5] = (*FACADE_PALETTE[DOOR], 40)  # faint antialiasing: not the stroke
    mask = drawings.stroke_mask([layer], (32, 32))
    inks = drawings.stroke_inks([layer], (32, 32), "facades")
    assert mask.sum() == 2 * 25 and not mask[0:3, 0:3].any()
    assert (inks[5:10, 5:10] == DOOR).all()
    nearest = facade_ids(layer[45:46, 45:46, :3])[0, 0]
    assert (inks[20:25, 20:25] == nearest).all()
    assert drawings.stroke_mask([np.zeros((8, 8, 4), np.uint8)], (8, 8)) is None


def test_models_that_do_not_fit_the_task_are_refused(generator):
    discriminator = models.patchgan_discriminator(SIZE, base_filters=4, n_layers=1)
    with pytest.raises(ModelFileError, match="discriminator"):
        translation.check_generator(discriminator, "facades")
    grey = models.unet_generator(SIZE, channels=1, base_filters=4)
    with pytest.raises(ModelFileError, match="has 1 input channels; this needs 3"):
        translation.check_generator(grey, "facades")
    with pytest.raises(ArgumentError, match="task must be one of"):
        gradio_app.DrawingDemo(generator, task="cats")
    with pytest.raises(ArgumentError, match="keras.Model"):
        translation.resolve_generator(42)


@pytest.mark.parametrize("task", ["streets", "edges", "inpainting", "colorization"])
def test_every_task_draws_uploads_and_undoes(task, generator, tmp_path):
    app = gradio_app.DrawingDemo(generator, task)
    state = app.start_state()
    drawing = state["drawing"]
    assert drawing.shape == (*app.canvas, 3)
    if app.task.tools:  # a stroke of the task's first ink across the top left
        layer = np.zeros((*app.canvas, 4), np.uint8)
        layer[10:60, 10:60] = (*app.task.ink_colours[0], 255)
        shown, seen, _, state = app.on_stroke({"layers": [layer]}, state, "brush", "inference")
        assert np.array_equal(state["drawing"][10:60, 10:60],
                              np.broadcast_to(app.task.ink_colours[0], (50, 50, 3)))
        assert np.array_equal(seen, drawings.generator_input(state["drawing"], task, app.size))
        assert np.array_equal(shown, translation.translate_drawing(generator, state["drawing"],
                                                                   task))
        *_, editor, state = app.on_undo(state, "inference")
        assert np.array_equal(state["drawing"], drawing)
        assert np.array_equal(editor["background"][..., :3], drawing)
        assert (editor["background"][..., 3] == 255).all()
    upload = tmp_path / "upload.png"
    Image.fromarray(drawings.held_out_photo(5, (80, 120))).save(upload)
    _, seen, _, state = app.on_upload(str(upload), state, "inference")
    assert state["drawing"].shape == (*app.canvas, 3)
    if task == "colorization":  # the photo is turned grey
        assert np.array_equal(seen[..., 0], seen[..., 2]) and seen.std() > 0
    if task == "edges":
        assert set(np.unique(seen)) <= {0, 255}
    _, cleared, _, state = app.on_clear(state, "inference")
    if task == "streets":  # all road
        assert set(np.unique(drawings.label_map(cleared, task))) == {STREET_CLASSES.index("road")}
    elif task == "edges":  # all white
        assert set(np.unique(cleared)) == {255}
    else:  # the uploaded photo again, without holes
        assert not np.all(cleared == HOLE_COLOUR, axis=-1).any()


# --------------------------------------------------------------------------- languages


def test_every_class_of_every_dataset_has_one_chinese_name():
    han = re.compile(r"^[\u4e00-\u9fff]+$")
    for classes in (palettes.FACADE_CLASSES, palettes.STREET_CLASSES,
                    palettes.CITYSCAPES_CLASSES):
        names = palettes.class_names(classes, "zh")
        assert len(names) == len(classes) == len(set(names)), names
        assert all(han.match(name) for name in names), names
        assert palettes.class_names(classes, "en") == classes
    used = set(palettes.FACADE_CLASSES + palettes.STREET_CLASSES + palettes.CITYSCAPES_CLASSES)
    assert set(palettes.CHINESE_CLASS_NAMES) == used  # no name the datasets do not have
    with pytest.raises(ArgumentError, match="language must be one of"):
        palettes.class_names(FACADE_CLASSES, "fr")
    with pytest.raises(ArgumentError, match="CHINESE_CLASS_NAMES"):
        palettes.class_names(["unicorn"], "zh")


def components(app) -> dict:
    """The app's components by their ``elem_id``."""
    return {block.elem_id: block for block in app.blocks.blocks.values()
            if getattr(block, "elem_id", None)}


@pytest.mark.parametrize("task", ["streets", "inpainting"])
def test_in_chinese_the_app_shows_the_tables_names_and_keeps_its_values(task, generator):
    app = gradio_app.DrawingDemo(generator, task, language="zh")
    shown, texts, inks = components(app), gradio_app.TEXTS["zh"], drawings.get_task(task).inks
    if task == "streets":  # the class names of palettes' table, beside the values handlers get
        names = palettes.class_names(STREET_CLASSES, "zh")
        assert shown["ink"].choices == list(zip(names, STREET_CLASSES, strict=True))
        assert [entry["token"] for entry in shown["palette"].value] == list(names)
        assert set(shown["palette"].color_map) == set(names)
        assert shown["ink"].value == "building"
    else:
        assert shown["ink"].choices == [("孔洞", "hole")] and inks == ("hole",)
    assert shown["tool"].choices == [(texts["tools"][tool], tool)
                                     for tool in drawings.get_task(task).tools]
    assert [value for _, value in shown["test-mode"].choices] == list(testtime.TEST_MODES)
    for elem_id, key in [("random", "random"), ("undo", "undo"), ("clear", "clear")]:
        assert shown[elem_id].value == texts[key]
    assert shown["drawing"].label == "画板"
    heading = next(block.value for block in app.blocks.blocks.values()
                   if type(block).__name__ == "Markdown")
    assert texts["tasks"][task] in heading and texts["hints"][task] in heading
    english = components(gradio_app.DrawingDemo(generator, task))
    assert english["ink"].choices == [(ink, ink) for ink in inks]
    assert english["random"].value == "Random"
    assert set(gradio_app.TEXTS["en"]) == set(texts)
    assert all(set(table) == set(gradio_app.TEXTS["en"][key]) for key, table in texts.items()
               if isinstance(table, dict))
    with pytest.raises(ArgumentError, match="language must be one of"):
        gradio_app.DrawingDemo(generator, task, language="fr")


# --------------------------------------------------------------------------- command line


def run_demo(arguments, capsys):
    """``python -m p2plib demo ...`` in this process: (exit code, stderr lines)."""
    code = cli.main(["demo", *arguments])
    return code, capsys.readouterr().err.strip().splitlines()


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--model", "--pretrained", "--task", "--host", "--port", "--test-mode",
                   "--language"):
        assert option in text
    assert "facades" in text and "127.0.0.1" in text


@pytest.fixture(scope="module")
def model_files(tmp_path_factory, generator):
    folder = tmp_path_factory.mktemp("demo-models")
    files = {"generator": folder / "generator.keras", "grey": folder / "grey.keras",
             "discriminator": folder / "discriminator.keras"}
    generator.save(files["generator"])
    models.unet_generator(SIZE, channels=1, base_filters=4).save(files["grey"])
    models.patchgan_discriminator(SIZE, base_filters=4, n_layers=1).save(
        files["discriminator"])
    return files


@pytest.mark.parametrize(("case", "expected"), [
    ("missing", "no such file"),
    ("grey", "1 input channels; this needs 3"),
    ("discriminator", "discriminator"),
    ("pretrained", "pretrained"),
    ("mismatch", "drop --task"),
    ("port", "--port"),
])
def test_bad_options_and_models_get_one_line_errors(case, expected, model_files, tmp_path,
                                                    capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy_port = str(taken.getsockname()[1])
        arguments = {
            "missing": ["--model", str(tmp_path / "nothing.keras")],
            "grey": ["--model", str(model_files["grey"])],
            "discriminator": ["--model", str(model_files["discriminator"])],
            "pretrained": ["--pretrained", "no-such-generator"],
            "mismatch": ["--pretrained", "streets", "--task", "facades"],
            "port": ["--model", str(model_files["generator"]), "--port", busy_port],
        }[case]
        code, lines = run_demo(["--port", "0", *arguments], capsys)
    assert code == cli.EXIT_USAGE
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines


def test_the_command_serves_the_app_until_interrupted(model_files):
    import threading
    import urllib.request

    process = subprocess.Popen(
        [sys.executable, "-m", "p2plib", "demo", "--model", str(model_files["generator"]),
         "--port", "0", "--language", "zh"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONFAULTHANDLER": "1"})
    watchdog = threading.Timer(240, process.kill)  # a hung server fails the test, not CI
    watchdog.start()
    try:
        line = process.stdout.readline()
        assert "running at http://127.0.0.1:" in line, line + process.stderr.read()
        url = line.split("running at ")[1].split()[0]
        with urllib.request.urlopen(url + "config", timeout=60) as response:
            config = json.loads(response.read())
        assert "imageeditor" in {component.get("type") for component in config["components"]}
        labels = {component.get("props", {}).get("label") for component in config["components"]}
        assert "画板" in labels  # --language zh
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # say where it hangs: faulthandler dumps every thread
            process.send_signal(signal.SIGABRT)
            out, err = process.communicate(timeout=30)
            pytest.fail(f"the demo did not stop within 60 s of Ctrl+C:\n{out}\n{err[-6000:]}")
    finally:
        watchdog.cancel()
        process.kill()
    assert process.returncode == 0, err
    assert out.rstrip().splitlines()[-1].startswith("Stopped"), out


HANGING_CLOSE = """
import sys, time
from p2plib.demo import gradio_app
from p2plib.tools import cli
cli.CLOSE_SECONDS = 1
gradio_app.DrawingDemo.close = lambda self: time.sleep(3600)  # a server shutdown that never ends
sys.exit(cli.main(sys.argv[1:]))
"""


def test_ctrl_c_ends_the_command_even_when_the_server_will_not_close(model_files):
    process = subprocess.Popen(
        [sys.executable, "-c", HANGING_CLOSE, "demo", "--model", str(model_files["generator"]),
         "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        line = process.stdout.readline()
        assert "running at http://127.0.0.1:" in line, line + process.stderr.read()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out.rstrip().splitlines()[-1] == (
        "Stopped (without waiting more than 1 s for the server's threads).")


# --------------------------------------------------------------------------- in the browser


@pytest.fixture(scope="module")
def served(generator):
    """The facades demo for the small generator, on a free port of 127.0.0.1, and every
    address this process connected to while it ran."""
    connections = []
    recording = [True]

    def audit(event, args):
        if event == "socket.connect" and recording[0] and isinstance(args[1], tuple):
            connections.append(args[1][0])
        if event == "socket.getaddrinfo" and recording[0]:  # a name looked up
            connections.append(args[0])

    sys.addaudithook(audit)
    app = gradio_app.DrawingDemo(generator, "facades")
    app.launch(inline=False)
    yield app, connections
    recording[0] = False
    app.close()


def read_image(page, selector) -> np.ndarray:
    """The picture an <img> in ``selector`` shows, fetched again by its address."""
    source = page.locator(f"{selector} img").first.evaluate("image => image.src")
    response = page.request.get(source)
    assert response.ok, source
    return np.asarray(Image.open(io.BytesIO(response.body())).convert("RGB"))


def wait_for_labels(page, condition, timeout=60.0) -> np.ndarray:
    """Poll the generator-input image until ``condition(label map)`` holds; return it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            labels = facade_ids(read_image(page, "#generator-input"))
            if condition(labels):
                return labels
        except AssertionError:
            pass
        assert time.monotonic() < deadline, "the app did not show the expected label map"
        page.wait_for_timeout(200)


def drawing_area(page, colour) -> tuple[float, float, float]:
    """(left, top, pixels per canvas pixel) of the drawing surface on the page, found where
    the page shows ``colour``, which the whole drawing is painted in."""
    editor = page.locator("#drawing")
    for _ in range(100):
        shot = np.asarray(Image.open(io.BytesIO(editor.screenshot())))  # scrolls it into view
        ys, xs = np.nonzero(np.all(shot[..., :3] == colour, axis=-1))
        if len(xs) > 1000:
            break
        page.wait_for_timeout(200)
    box = editor.bounding_box()
    scale = (xs.max() + 1 - xs.min()) / drawings.canvas_size((SIZE, SIZE))[1]
    return box["x"] + xs.min(), box["y"] + ys.min(), scale


def drag(page, area, start, end, steps=8):
    """Drag the mouse from ``start`` to ``end`` ((x, y) on the canvas) like a hand."""
    left, top, scale = area
    page.mouse.move(left + start[0] * scale, top + start[1] * scale)
    page.mouse.down()
    for step in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * step / steps
        y = start[1] + (end[1] - start[1]) * step / steps
        page.mouse.move(left + x * scale, top + y * scale)
        page.wait_for_timeout(15)
    page.mouse.up()


def wait_until_quiet(page, seconds=1.0, timeout=60.0):
    """Wait until the page has started no request for ``seconds``."""
    deadline = time.monotonic() + timeout
    count, since = len(page.requests), time.monotonic()
    while time.monotonic() - since < seconds:
        assert time.monotonic() < deadline, "the page kept making requests"
        page.page.wait_for_timeout(100)
        if len(page.requests) != count:
            count, since = len(page.requests), time.monotonic()


def choose(page, group, option):
    """Click ``option`` of a radio group and wait until the editor has taken it: the app
    answers with the brush of the new ink (one event), and the editor, once it has loaded
    the drawing again, reports its value (a second event)."""
    def events():  # the app's events skip Gradio's queue: one POST to run/predict each
        return sum("/run/predict" in url or "/queue/join" in url for url in page.requests)

    wait_until_quiet(page)
    before = events()
    page.page.locator(f"#{group} label").filter(has_text=option).first.click()
    deadline = time.monotonic() + 60
    while events() < before + 2:
        assert time.monotonic() < deadline, f"the editor did not take {option!r}"
        page.page.wait_for_timeout(100)


def rectangle_cells(start, end, canvas_per_cell, margin):
    """The generator-size cells surely inside (margin > 0) or around (margin < 0) the
    rectangle a diagonal stroke from ``start`` to ``end`` spans."""
    (x0, y0), (x1, y1) = start, end
    return (slice(int((y0 + margin) // canvas_per_cell), int((y1 - margin) // canvas_per_cell)),
            slice(int((x0 + margin) // canvas_per_cell), int((x1 - margin) // canvas_per_cell)))


def test_drawing_rectangles_with_the_mouse_updates_the_picture(served, page, generator):
    app, connections = served
    browser_page = page.page
    browser_page.goto(app.url)
    browser_page.locator("#clear").click()  # a wall all over
    wait_for_labels(browser_page, lambda labels: (labels == WALL).all())
    cell = drawings.canvas_size((SIZE, SIZE))[0] / SIZE  # canvas pixels per generator pixel
    choose(page, "tool", "rectangle")
    strokes = [("door", DOOR, (40, 48), (112, 128)), ("window", WINDOW, (152, 144), (216, 232))]
    for name, class_id, start, end in strokes:  # the app starts with the window ink
        choose(page, "ink", name)
        drag(browser_page, drawing_area(browser_page, FACADE_PALETTE[WALL]), start, end)
        inside = rectangle_cells(start, end, cell, margin=cell)
        wait_for_labels(browser_page, lambda labels, c=class_id, r=inside: (labels[r] == c).all())
    labels = facade_ids(read_image(browser_page, "#generator-input"))
    painted = np.zeros(labels.shape, bool)
    for _, class_id, start, end in strokes:  # each rectangle landed, in its class...
        inside = rectangle_cells(start, end, cell, margin=cell)
        assert (labels[inside] == class_id).all()
        painted[rectangle_cells(start, end, cell, margin=-2 * cell)] = True
    assert (labels[~painted] == WALL).all()  # ...and nothing else changed

    shown = read_image(browser_page, "#picture")
    expected = data.denormalize(testtime.translate(
        generator, data.normalize(facade_rgb(labels)[None]), "inference")).numpy()[0]
    assert shown.shape == expected.shape == (SIZE, SIZE, 3)
    assert np.abs(shown.astype(int) - expected).max() <= 1  # PNG is lossless; rounding only

    browser_page.locator("#undo").click()  # the window goes, the door stays
    wait_for_labels(browser_page, lambda now: not (now == WINDOW).any() and (now == DOOR).any())
    if os.environ.get(SCREENSHOT_ENV):
        browser_page.screenshot(path=os.environ[SCREENSHOT_ENV])
    page.assert_clean()
    assert set(connections) <= LOOPBACK, set(connections)


def test_the_api_answers_gradio_client_without_the_internet(served, generator, tmp_path):
    app, connections = served
    drawing = drawings.random_drawing("facades", 3, app.canvas)
    Image.fromarray(drawing).save(tmp_path / "drawing.png")
    seen, shown = gradio_app.request_translation(app.url, tmp_path / "drawing.png", "inference")
    assert np.array_equal(seen, drawings.generator_input(drawing, "facades", app.size))
    expected = translation.translate_drawing(generator, drawing, "facades", "inference")
    assert np.abs(shown.astype(int) - expected).max() <= 1
    assert set(connections) <= LOOPBACK, set(connections)  # no DNS, no telemetry
