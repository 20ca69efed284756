"""How long the drawing demo takes from the end of a stroke to the updated picture.

Serves the Gradio demo (``p2plib.demo.gradio_app``) for a 256x256 U-Net with 64 base filters
(untrained unless ``--pretrained NAME`` or ``--model PATH``), drives it in headless Chromium
(Debian's ``chromium``, through Playwright) and draws strokes with the mouse: brush strokes, then
rectangles (which also send the editor a new background). For each stroke it times, in
the page, from mouse-up to the moment the new picture has loaded and been painted, and
splits that time into

- ``browser_to_request``: mouse-up until the browser sends the stroke (the editor exports
  its canvas as PNG files and uploads them);
- ``server``: the app's stroke handler (reading the stroke, snapping, translating), measured
  in the server, and within it ``translate``: the generator's forward pass;
- ``rest``: the answer (the app's events skip Gradio's queue: one HTTP request each), its
  PNG files, fetching and painting the picture.

Beside it, in the same process, the generator's own forward time through
``testtime.translate``, traced (as the demo runs it) and eager. Writes
docs/results/demo_latency.json and, with ``--screenshot``, a picture of the page.

    python benchmarks/demo_latency.py                       # 12 strokes of each tool
    python benchmarks/demo_latency.py --pretrained facades --screenshot docs/results/demo.png
    python benchmarks/demo_latency.py --quick               # smoke test: 64x64, 8 filters
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from p2plib import data, files, models, testtime
from p2plib.demo import drawings, gradio_app
from p2plib.tools import report  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import CHROMIUM_FLAGS, RecordedPage  # noqa: E402

DEFAULT_OUT = Path("docs/results/demo_latency.json")
TARGET_SECONDS = 0.5

# In the page: mouse-up, the first request after it, and the moment the picture's new image
# has loaded and a frame has been painted with it.
INSTRUMENT = """() => {
  const now = () => performance.now();
  window.latency = {up: null, request: null, strokes: []};
  addEventListener('pointerup', () => { latency.up = now(); latency.request = null; }, true);
  const fetch0 = window.fetch;
  window.fetch = (...args) => {
    if (latency.up !== null && latency.request === null) latency.request = now();
    return fetch0(...args);
  };
  const picture = document.querySelector('#picture');
  new MutationObserver(() => {
    const image = picture.querySelector('img');
    if (!image || image.src === latency.shownSource || latency.up === null) return;
    const source = image.src, up = latency.up, request = latency.request;
    latency.shownSource = source;
    image.decode().then(() => requestAnimationFrame(() => requestAnimationFrame(() =>
      latency.strokes.push({up, request, shown: now(), source}))));
  }).observe(picture, {subtree: true, childList: true, attributes: true});
}"""


class TimedDemo(gradio_app.DrawingDemo):
    """The demo, with the server-side time of each stroke handler and forward pass noted."""

    def __init__(self, *args, **kwargs):
        self.handler_seconds, self.translate_seconds = [], []
        super().__init__(*args, **kwargs)

    def translate(self, drawing, test_mode):
        started = time.perf_counter()
        result = super().translate(drawing, test_mode)
        self.translate_seconds.append(time.perf_counter() - started)
        return result

    def on_stroke(self, value, state, tool, test_mode):
        started = time.perf_counter()
        count = len(self.translate_seconds)
        result = super().on_stroke(value, state, tool, test_mode)
        if len(self.translate_seconds) > count:  # a stroke that changed the drawing
            self.handler_seconds.append((time.perf_counter() - started,
                                         self.translate_seconds[-1]))
        return result


def summary(values) -> dict:
    values = np.asarray(values, np.float64)
    return {"median": round(float(np.median(values)), 4),
            "p25": round(float(np.percentile(values, 25)), 4),
            "p75": round(float(np.percentile(values, 75)), 4),
            "min": round(float(values.min()), 4), "max": round(float(values.max()), 4),
            "count": int(len(values))}


def forward_times(app, repeats: int, test_mode: str) -> dict:
    """The generator alone on one 256x256 input, traced (as the demo runs it) and eager."""
    prepared = drawings.generator_input(app.start_state()["drawing"], app.task, app.size)
    batch = data.normalize(prepared[None])
    times = {"traced": [], "eager": []}
    for _ in range(repeats):  # alternate, so other load slows both alike
        started = time.perf_counter()
        np.asarray(app.translator(batch, test_mode))
        times["traced"].append(time.perf_counter() - started)
        started = time.perf_counter()
        np.asarray(testtime.run_for_test(app.generator, batch, test_mode))  # not traced
        times["eager"].append(time.perf_counter() - started)
    return {name: summary(values) for name, values in times.items()}


def stroke_path(index: int, canvas) -> tuple[tuple[float, float], tuple[float, float]]:
    """A diagonal stroke at a new place each time, inside the canvas."""
    height, width = canvas
    row, column = divmod(index % 16, 4)
    left, top = (0.1 + 0.2 * column) * width, (0.1 + 0.2 * row) * height
    return (left, top), (left + 0.12 * width, top + 0.14 * height)


def drawing_box(page, app):
    """(left, top, page pixels per canvas pixel) of the drawing on the page."""
    from io import BytesIO

    from PIL import Image

    editor = page.locator("#drawing")
    colour = drawings.blank_drawing(app.task, (1, 1))[0, 0]  # after Clear, all of the drawing
    for _ in range(100):
        shot = np.asarray(Image.open(BytesIO(editor.screenshot())).convert("RGB"))
        match = np.all(shot == colour, axis=-1)
        if match.sum() > 100:
            break
        page.wait_for_timeout(200)
    ys, xs = np.nonzero(match)
    box = editor.bounding_box()
    scale = (xs.max() + 1 - xs.min()) / app.canvas[1]
    return box["x"] + xs.min(), box["y"] + ys.min(), scale


def draw(page, box, start, end, steps=12):
    left, top, scale = box
    page.mouse.move(left + start[0] * scale, top + start[1] * scale)
    page.mouse.down()
    for step in range(1, steps + 1):  # about 60 moves a second, like a hand
        fraction = step / steps
        page.mouse.move(left + (start[0] + (end[0] - start[0]) * fraction) * scale,
                        top + (start[1] + (end[1] - start[1]) * fraction) * scale)
        page.wait_for_timeout(16)
    page.mouse.up()


def time_strokes(page, app, tool: str, count: int, first_index: int) -> list[dict]:
    """Draw ``count`` strokes with ``tool``; the in-page times of each, in seconds."""
    page.locator("#tool label").filter(has_text=tool).first.click()
    page.wait_for_timeout(3000)  # the editor reloads its drawing with the tool change
    box = drawing_box(page, app)
    done = page.evaluate("latency.strokes.length")
    for index in range(first_index, first_index + count):
        start, end = stroke_path(index, app.canvas)
        draw(page, box, start, end)
        page.wait_for_function(f"latency.strokes.length > {done}", timeout=120_000)
        done += 1
        page.wait_for_timeout(1500 if tool == "brush" else 3000)  # let the page settle
    strokes = page.evaluate("latency.strokes")[-count:]
    return [{"tool": tool, "total": (s["shown"] - s["up"]) / 1000,
             "browser_to_request": (s["request"] - s["up"]) / 1000} for s in strokes]


def run(args) -> dict:
    from playwright.sync_api import sync_playwright

    if args.pretrained:
        generator = args.pretrained
    elif args.model:
        generator = str(args.model)
    else:
        keras.utils.set_random_seed(0)
        generator = models.unet_generator(args.image_size, base_filters=args.base_filters)
    app = TimedDemo(generator, task=args.task, test_mode=args.test_mode)
    load_at_start = os.getloadavg()[0]
    app.launch(inline=False)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium,
                                                 args=list(CHROMIUM_FLAGS), headless=True)
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            recorded = RecordedPage(context.new_page())
            page = recorded.page
            page.goto(app.url)
            page.wait_for_selector("#drawing canvas")
            page.evaluate(INSTRUMENT)
            page.locator("#clear").click()
            page.wait_for_timeout(3000)
            strokes = []
            for number, tool in enumerate(("brush", "rectangle")):
                if tool in app.task.tools:
                    strokes += time_strokes(page, app, tool, args.strokes, number * args.strokes)
            if args.screenshot:
                page.locator("#random").click()
                page.wait_for_timeout(4000)
                page.evaluate("window.scrollTo(0, 0)")
                Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.screenshot))
            outside, errors = recorded.outside_requests(), list(recorded.console_errors)
            browser.close()
    finally:
        app.close()
    server = app.handler_seconds[-len(strokes):]
    for stroke, (handler, translate) in zip(strokes, server, strict=False):
        stroke.update(server=handler, translate=translate,
                      rest=stroke["total"] - stroke["browser_to_request"] - handler)
    rows = {}
    for tool in sorted({stroke["tool"] for stroke in strokes}):
        chosen = [stroke for stroke in strokes if stroke["tool"] == tool]
        rows[tool] = {part: summary([stroke[part] for stroke in chosen if part in stroke])
                      for part in ("total", "browser_to_request", "server", "translate",
                                   "rest")}
    return {
        "machine": {**report.machine(), "load_average_at_start": round(load_at_start, 2)},
        "command": "python benchmarks/demo_latency.py " + " ".join(sys.argv[1:]),
        "generator": {"source": args.pretrained or (str(args.model) if args.model else
                                                     "untrained unet_generator"),
                      "input_size": list(app.size), "parameters": app.generator.count_params(),
                      "task": app.task.name, "test_mode": args.test_mode},
        "target_seconds": TARGET_SECONDS,
        "strokes": rows,
        "forward_seconds": forward_times(app, args.repeats, args.test_mode),
        "requests_outside_127.0.0.1": outside,
        "console_errors": errors,
        "raw": strokes,
    }


def print_table(results) -> None:
    print(f"{'tool':10s} {'part':20s} {'median s':>9s} {'p25':>7s} {'p75':>7s} {'max':>7s}")
    for tool, parts in results["strokes"].items():
        for part, values in parts.items():
            print(f"{tool:10s} {part:20s} {values['median']:9.3f} {values['p25']:7.3f} "
                  f"{values['p75']:7.3f} {values['max']:7.3f}")
    for name, values in results["forward_seconds"].items():
        print(f"forward pass ({name}): median {values['median']:.3f} s "
              f"(p25 {values['p25']:.3f}, p75 {values['p75']:.3f})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--pretrained", metavar="NAME", help="a shipped generator")
    source.add_argument("--model", type=Path, help="a generator .keras file")
    parser.add_argument("--task", default=None, help="default: the pretrained name, facades")
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--base-filters", type=int, default=64)
    parser.add_argument("--test-mode", choices=testtime.TEST_MODES, default="inference")
    parser.add_argument("--strokes", type=int, default=12, help="strokes per tool")
    parser.add_argument("--repeats", type=int, default=10, help="forward passes to time")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--screenshot", type=Path, help="save a picture of the page here")
    parser.add_argument("--chromium", default=os.environ.get("P2P_CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: 64x64, 8 filters, 2 strokes per tool")
    args = parser.parse_args(argv)
    if args.quick:
        args.image_size, args.base_filters, args.strokes, args.repeats = 64, 8, 2, 2
    return write_and_report(run(args), args.out, print_table)


def write_and_report(results, out, print_table) -> int:
    """Write ``results`` to ``out`` and print them; exit code 1 when the page reached beyond
    127.0.0.1 or logged a console error (also for web_demo_latency.py)."""
    files.write_json(results, out)
    print_table(results)
    print(f"wrote {out}")
    if results["requests_outside_127.0.0.1"] or results["console_errors"]:
        print(json.dumps({key: results[key] for key in
                          ("requests_outside_127.0.0.1", "console_errors")}, indent=1))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
