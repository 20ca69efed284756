"""The in-browser drawing demo (``web/``): the build's float16 ONNX files against Keras, and
the page itself, served by a plain static server on 127.0.0.1 and driven with the mouse, a
finger and the keyboard in headless Chromium.

The page's picture is compared with the Keras generator's (``generator(x, training=False)``)
for the label map drawn. Tolerance: at most 1 of 255 on any pixel, and on at most 2 % of
the values. The float16 weights move the output in [-1, 1] by at most ``FLOAT16_TOLERANCE``
(2e-3, a quarter of an 8-bit level; measured: below 8e-4), and WebAssembly's float32
arithmetic by far less, so a value can only land on the other side of a rounding boundary:
one level, on a few values (measured: about 0.6 %). A wrong palette colour changes the
generator's input and a float16 mistake moves the output by many levels: both fail.

The build (two exports, about 30 s) happens once per test session (conftest's
``web_demo``); without ONNX Runtime Web (``npm ci --prefix web``, which ``make test`` runs)
these tests are skipped, or fail under ``P2P_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from conftest import RecordedPage, lively_generator, served_folder, web_builder
from p2plib import data, export, pretrained
from p2plib.datasets import palettes
from p2plib.demo import drawings

web = web_builder()
SIZE = 256
MAX_LEVELS = 1  # 8-bit levels a pixel of the page's picture may differ from Keras's
MAX_DIFFERING = 0.02  # share of values that may differ at all


@pytest.fixture(scope="module")
def built(web_demo):
    if web_demo is None:
        pytest.skip("ONNX Runtime Web is not installed: run `npm ci --prefix web` (make test "
                    "does; it needs Node's npm)")
    return web_demo


@pytest.fixture(scope="module")
def manifest(built):
    return json.loads((built / "demo.json").read_text(encoding="utf-8"))


@functools.cache
def keras_generator(name):
    return pretrained.load(name)


def keras_picture(name, drawing) -> np.ndarray:
    """The Keras generator's picture (uint8) of a label drawing (uint8 HxWx3)."""
    batch = data.normalize(drawing[None])
    return data.denormalize(keras_generator(name)(batch, training=False)).numpy()[0]


def assert_close_to_keras(shown, expected):
    difference = np.abs(shown.astype(int) - expected.astype(int))
    assert shown.shape == expected.shape
    assert difference.max() <= MAX_LEVELS, f"differs by up to {difference.max()} levels"
    assert (difference > 0).mean() <= MAX_DIFFERING, f"{(difference > 0).mean():.1%} differ"


# --------------------------------------------------------------------------- the build


def test_float16_weights_halve_the_file_and_keep_the_output(tmp_path):
    generator = lively_generator(32, base_filters=8, seed=1)
    float32_path = export.export_onnx(generator, tmp_path / "g.onnx")
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(float32_path))
    halved = web.with_float16_weights(model, min_elements=64)
    onnx.save(halved, str(tmp_path / "g16.onnx"))
    before = {w.name: numpy_helper.to_array(w) for w in model.graph.initializer}
    after = {w.name: numpy_helper.to_array(w) for w in halved.graph.initializer}
    widened = [node for node in halved.graph.node if node.op_type == "Cast"]
    large = [name for name, values in before.items()
             if values.dtype == np.float32 and values.size >= 64]
    assert large and len(widened) == len(large)
    for name in large:  # stored as float16, rounded to nearest; the graph sees float32
        assert name not in after and after[f"{name}/float16"].dtype == np.float16
        assert np.array_equal(after[f"{name}/float16"], before[name].astype(np.float16))
    assert (tmp_path / "g16.onnx").stat().st_size < 0.6 * float32_path.stat().st_size

    images = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    reference = np.asarray(generator(images, training=False))
    assert reference.std() > 0.05
    assert web.largest_difference(tmp_path / "g16.onnx", images, reference) <= 5e-3
    assert web.largest_difference(float32_path, images, reference) <= 1e-4


def test_the_shipped_models_are_float16_and_agree_with_keras(built, manifest):
    rng = np.random.default_rng(0)
    for name, entry in manifest["generators"].items():
        model = entry["model"]
        assert model["weights"] == "float16"
        assert model["bytes"] == (built / model["path"]).stat().st_size
        assert model["bytes"] < 0.55 * model["float32_bytes"]
        assert model["float32_max_difference"] <= 1e-4
        # the start drawings and a label map of random classes (every pixel its own)
        starts = [np.asarray(Image.open(built / path).convert("RGB")) for path in entry["starts"]]
        assert np.array_equal(starts[1], drawings.random_drawing(name, 1, (SIZE, SIZE)))
        noise = drawings.labels_to_drawing(
            rng.integers(0, len(entry["classes"]), (SIZE, SIZE)), name)
        batch = data.normalize(np.stack([starts[0], noise])).numpy()
        reference = np.asarray(keras_generator(name)(batch, training=False))
        difference = web.largest_difference(built / model["path"], batch, reference)
        assert difference <= web.FLOAT16_TOLERANCE, (name, difference)
        task = drawings.get_task(name)
        assert entry["classes"] == list(task.inks)
        assert entry["classNames"] == {language: list(palettes.class_names(task.inks, language))
                                       for language in palettes.LANGUAGES}
        assert np.array_equal(entry["palette"], task.ink_colours)
        assert entry["classes"][entry["blank"]] == task.blank_ink


def test_the_build_refuses_a_folder_it_did_not_make_and_a_missing_runtime(tmp_path):
    modules = tmp_path / "node_modules"
    with pytest.raises(web.BuildError, match="npm ci --prefix web"):
        web.build(tmp_path / "new", node_modules=modules)
    dist = modules / "onnxruntime-web" / "dist"
    dist.mkdir(parents=True)
    for files in web.RUNTIME.values():
        for name in files:
            (dist / name).write_bytes(b"")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(web.BuildError, match="not empty"):
        web.build(mine, node_modules=modules)
    assert (mine / "notes.txt").read_text() == "mine" and not (tmp_path / "new").exists()


# --------------------------------------------------------------------------- in the browser


@pytest.fixture(scope="module")
def site(built):
    with served_folder(built) as url:
        yield url


@contextlib.contextmanager
def opened(browser, url, init_script=None, **options):
    """A fresh page on ``url``, recording requests and console errors, once the demo is
    ready (its first picture shown)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    if init_script:
        context.add_init_script(init_script)
    recorded = RecordedPage(context.new_page())
    try:
        recorded.page.goto(url)
        recorded.page.wait_for_function("window.p2pDemo && (p2pDemo.ready || p2pDemo.error)",
                                        timeout=120_000)
        assert recorded.page.evaluate("p2pDemo.error") is None
        yield recorded
    finally:
        context.close()


def canvas(page, selector) -> np.ndarray:
    """The pixels of a canvas of the page (uint8 HxWx3), once no picture is being made."""
    page.evaluate("p2pDemo.idle()")
    url = page.evaluate(f"document.querySelector('{selector}').toDataURL('image/png')")
    payload = base64.b64decode(url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(payload)).convert("RGB"))


def to_page(page, point):
    """Page coordinates of the middle of label-map pixel ``point`` (x, y)."""
    box = page.locator("#drawing").bounding_box()
    scale = box["width"] / SIZE
    return box["x"] + (point[0] + 0.5) * scale, box["y"] + (point[1] + 0.5) * scale


def drag(page, start, end, steps=8):
    """Drag the mouse from ``start`` to ``end`` (label-map pixels) like a hand."""
    page.mouse.move(*to_page(page, start))
    page.mouse.down()
    for step in range(1, steps + 1):
        fraction = step / steps
        page.mouse.move(*to_page(page, (start[0] + (end[0] - start[0]) * fraction,
                                        start[1] + (end[1] - start[1]) * fraction)))
        page.wait_for_timeout(16)
    page.mouse.up()


def class_ids(name, *names):
    inks = drawings.get_task(name).inks
    return [inks.index(each) for each in names]


def test_drawing_with_mouse_finger_and_keys_gives_keras_pictures(site, browser):
    wall, door, window, sky = class_ids("facades", "wall", "door", "window", "sky")
    with opened(browser, site + "index.html", has_touch=True) as recorded:
        page = recorded.page
        assert page.evaluate("p2pDemo.generator") == "facades"
        start = canvas(page, "#drawing")
        assert np.array_equal(start, drawings.random_drawing("facades", 0, (SIZE, SIZE)))
        assert_close_to_keras(canvas(page, "#picture"), keras_picture("facades", start))

        page.click("#clear")
        page.click("#tools [data-tool=rectangle]")
        expected = np.full((SIZE, SIZE), wall, np.uint8)
        for ink, class_id, (x0, y0), (x1, y1) in [("door", door, (40, 48), (112, 128)),
                                                  ("window", window, (152, 144), (216, 232))]:
            page.locator("#palette button").filter(has_text=ink).click()
            runs = page.evaluate("p2pDemo.runs")
            drag(page, (x0, y0), (x1, y1))
            page.wait_for_function(f"p2pDemo.runs > {runs}")
            expected[y0:y1 + 1, x0:x1 + 1] = class_id
        drawn = canvas(page, "#drawing")
        assert np.array_equal(drawn, drawings.labels_to_drawing(expected, "facades"))
        assert_close_to_keras(canvas(page, "#picture"), keras_picture("facades", drawn))
        latencies = page.evaluate("p2pDemo.latencies")
        assert [each["cause"] for each in latencies[-2:]] == ["rectangle", "rectangle"]

        page.keyboard.press("u")  # undo: the window goes
        expected[expected == window] = wall
        assert np.array_equal(canvas(page, "#drawing"),
                              drawings.labels_to_drawing(expected, "facades"))
        page.keyboard.press("f")  # fill with the first class (key 1), by touch, in the wall
        page.keyboard.press("1")
        runs = page.evaluate("p2pDemo.runs")
        page.touchscreen.tap(*to_page(page, (10, 10)))
        page.wait_for_function(f"p2pDemo.runs > {runs}")
        expected[expected == wall] = sky
        drawn = canvas(page, "#drawing")
        assert np.array_equal(drawn, drawings.labels_to_drawing(expected, "facades"))
        assert_close_to_keras(canvas(page, "#picture"), keras_picture("facades", drawn))

        with page.expect_download() as download_info:
            page.keyboard.press("d")
        saved = np.asarray(Image.open(download_info.value.path()).convert("RGB"))
        assert np.array_equal(saved, canvas(page, "#picture"))
        backend = page.evaluate("p2pDemo.backend")
        assert backend in ("wasm", "webgpu")
        assert page.inner_text("#backend").startswith(
            "Backend: WebGPU" if backend == "webgpu" else "Backend: WebAssembly, 1 thread")
        recorded.assert_clean()


def test_an_upload_is_snapped_to_the_palette(site, browser, tmp_path):
    road, car, sky = class_ids("streets", "road", "car", "sky")
    ids = np.full((SIZE, SIZE), road, np.uint8)
    ids[:80] = sky
    ids[150:200, 60:140] = car
    colours = drawings.labels_to_drawing(ids, "streets").astype(int)
    noise = np.random.default_rng(0).integers(-12, 13, colours.shape)  # a JPEG's wobble
    blurred = np.clip(colours + noise, 0, 255).astype(np.uint8)
    upload = tmp_path / "labels.png"  # twice the size, each pixel a 2x2 block
    Image.fromarray(np.kron(blurred, np.ones((2, 2, 1), np.uint8))).save(upload)
    with opened(browser, site + "index.html?generator=streets") as recorded:
        page = recorded.page
        runs = page.evaluate("p2pDemo.runs")
        page.set_input_files("#upload", str(upload))
        page.wait_for_function(f"p2pDemo.runs > {runs}")
        drawn = canvas(page, "#drawing")
        assert np.array_equal(drawn, drawings.labels_to_drawing(ids, "streets"))
        assert np.array_equal(drawn, drawings.prepare_upload(blurred, "streets", (SIZE, SIZE)))
        assert_close_to_keras(canvas(page, "#picture"), keras_picture("streets", drawn))
        page.click("#random")  # the next start drawing
        page.wait_for_function(f"p2pDemo.runs > {runs + 1}")
        assert np.array_equal(canvas(page, "#drawing"),
                              drawings.random_drawing("streets", 1, (SIZE, SIZE)))
        recorded.assert_clean()


NO_WEBGPU = "delete Navigator.prototype.gpu;"


def test_without_webgpu_the_page_runs_webassembly_and_says_so(site, browser):
    with opened(browser, site + "index.html", init_script=NO_WEBGPU) as recorded:
        page = recorded.page
        assert page.evaluate("'gpu' in navigator") is False
        assert page.evaluate("p2pDemo.backend") == "wasm"
        assert page.inner_text("#backend") == (
            "Backend: WebAssembly, 1 thread (ONNX Runtime Web): this browser has no WebGPU.")
        page.locator("#generators label").filter(has_text="Streets").click()
        page.wait_for_function("p2pDemo.generator === 'streets' && p2pDemo.latencies.some("
                               "each => each.generator === 'streets')")
        start = canvas(page, "#drawing")
        assert np.array_equal(start, drawings.random_drawing("streets", 0, (SIZE, SIZE)))
        assert_close_to_keras(canvas(page, "#picture"), keras_picture("streets", start))
        fetched = {url.rsplit("/", 1)[1] for url in recorded.requests}
        assert {"ort.wasm.min.mjs", "ort-wasm-simd-threaded.wasm", "facades.onnx",
                "streets.onnx"} <= fetched
        assert not {"ort.webgpu.min.mjs", "ort-wasm-simd-threaded.asyncify.wasm"} & fetched
        assert "inference mode" in page.inner_text("#test-mode")
        assert page.get_attribute("#test-mode a", "href") == web.NOTEBOOK_LINK
        recorded.assert_clean()


def test_the_page_fits_a_phone(site, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    try:
        recorded = RecordedPage(context.new_page())
        page = recorded.page
        page.goto(site + "index.html")
        page.wait_for_function("window.p2pDemo && p2pDemo.ready", timeout=120_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for selector in ("#drawing", "#picture"):
            box = page.locator(selector).bounding_box()
            assert 300 <= box["width"] <= 390, (selector, box)
        recorded.assert_clean()
    finally:
        context.close()


def test_in_chinese_the_page_shows_the_tables_class_names_and_switches_back(site, browser):
    """``?lang=zh``: the class names of p2plib's table, every word of the page in Chinese, and
    a visible link to the same page in English (and from there back)."""
    with opened(browser, site + "index.html?lang=zh&generator=streets") as recorded:
        page = recorded.page
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        shown = page.locator("#palette button").all_inner_texts()
        assert [name.strip() for name in shown] == list(
            palettes.class_names(palettes.STREET_CLASSES, "zh"))
        assert page.inner_text("#eraser-class") == palettes.CHINESE_CLASS_NAMES["road"]
        assert page.locator("#generators label").all_inner_texts() == [" 建筑立面", " 街景"]
        words = page.evaluate("[...document.querySelectorAll('[data-text]')]"
                              ".map(element => element.textContent)")
        assert all(words), "an element of the page has no text"
        han = re.compile(r"[\u4e00-\u9fff]")
        for selector in ("h1", "#tools", "#actions", "#status-text", "#backend", "#keys",
                         "#test-mode"):
            assert han.search(page.inner_text(selector)), (selector, page.inner_text(selector))
        assert page.get_attribute("#notebook-link", "href") == web.LINKS["NOTEBOOK_LINK_ZH"]
        assert page.get_attribute("#course-link", "href") == web.LINKS["SITE_HOME_ZH"]
        page.click("#language-switch")  # to English: same generator, English words
        page.wait_for_function("window.p2pDemo && p2pDemo.ready", timeout=120_000)
        assert page.url == site + "index.html?generator=streets"
        assert page.evaluate("p2pDemo.language") == "en"
        assert page.locator("#palette button").first.inner_text().strip() == "road"
        assert page.get_attribute("#notebook-link", "href") == web.NOTEBOOK_LINK
        page.click("#language-switch")
        page.wait_for_function("window.p2pDemo && p2pDemo.ready", timeout=120_000)
        assert page.url == site + "index.html?generator=streets&lang=zh"
        assert page.locator("#palette button").first.inner_text().strip() == "道路"
        recorded.assert_clean()
