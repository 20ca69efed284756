"""How long the in-browser drawing demo (web/) takes from the end of a stroke to the picture.

Builds the demo (``web/build.py``, or takes ``--demo FOLDER`` built before), serves it with
a plain static server on 127.0.0.1 and drives it in headless Chromium (Debian's
``chromium``, through Playwright) like ``demo_latency.py`` drives the Gradio demo: for each
shipped generator, brush strokes and then rectangles drawn with the mouse. The page times
each one itself (``performance.now()``): from the mouse-up event to two animation frames
after the new picture was put on its canvas, and the generator's forward pass within it.
It also counts what the page downloads with one generator (every file fetched until the
first picture), and the float32 and float16 sizes of the models. Writes
docs/results/web_demo_latency.json and, with ``--screenshot``, a picture of the page.

    python benchmarks/web_demo_latency.py --screenshot docs/results/web_demo.png
    python benchmarks/web_demo_latency.py --demo build/demo --strokes 4
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from demo_latency import stroke_path, summary, write_and_report  # noqa: E402

from conftest import CHROMIUM_FLAGS, RecordedPage, served_folder, web_builder  # noqa: E402

DEFAULT_OUT = ROOT / "docs" / "results" / "web_demo_latency.json"
TARGET_MS = 150
SIZE = 256


def open_page(browser, url: str, width: int = 1280, height: int = 1000) -> RecordedPage:
    context = browser.new_context(viewport={"width": width, "height": height})
    recorded = RecordedPage(context.new_page())
    recorded.page.goto(url)
    recorded.page.wait_for_function("window.p2pDemo && (p2pDemo.ready || p2pDemo.error)",
                                    timeout=180_000)
    error = recorded.page.evaluate("p2pDemo.error")
    if error:
        raise RuntimeError(f"the demo did not start: {error}")
    return recorded


def download_size(browser, url: str, folder: Path) -> dict:
    """The files a fresh page fetches until its first picture, and their bytes."""
    recorded = open_page(browser, url)
    prefix = url.rsplit("/", 1)[0] + "/"
    files, compressed = {}, 0
    for request in recorded.requests:
        name = request.split("?")[0].removeprefix(prefix)
        path = folder / name
        if path.is_file() and name not in files:
            files[name] = path.stat().st_size
            compressed += len(gzip.compress(path.read_bytes(), compresslevel=6))
    recorded.page.context.close()
    return {"files": files, "bytes": sum(files.values()), "gzip_bytes": compressed}


def draw(page, start, end, steps=12):
    box = page.locator("#drawing").bounding_box()
    scale = box["width"] / SIZE

    def at(x, y):
        return box["x"] + (x + 0.5) * scale, box["y"] + (y + 0.5) * scale

    page.mouse.move(*at(*start))
    page.mouse.down()
    for step in range(1, steps + 1):  # about 60 moves a second, like a hand
        fraction = step / steps
        page.mouse.move(*at(start[0] + (end[0] - start[0]) * fraction,
                            start[1] + (end[1] - start[1]) * fraction))
        page.wait_for_timeout(16)
    page.mouse.up()


def time_strokes(page, generator: dict, tool: str, count: int, first_index: int) -> list[dict]:
    """Draw ``count`` strokes with ``tool``, each in another class; the page's timings."""
    page.click(f"#tools [data-tool={tool}]")
    classes = [index for index in range(len(generator["classes"]))
               if index != generator["blank"]]
    done = page.evaluate("p2pDemo.latencies.length")
    for index in range(first_index, first_index + count):
        page.click(f"#palette button[data-class='{classes[index % len(classes)]}']")
        start, end = stroke_path(index, (SIZE, SIZE))
        draw(page, start, end)
        page.wait_for_function(f"p2pDemo.latencies.length > {done}", timeout=120_000)
        done = page.evaluate("p2pDemo.latencies.length")
        page.wait_for_timeout(300)  # let the page settle
    return page.evaluate(f"p2pDemo.latencies.slice(-{count})")


def run(args) -> dict:
    from playwright.sync_api import sync_playwright

    from p2plib.tools import report

    machine = report.machine()
    with tempfile.TemporaryDirectory(prefix="p2p-web-bench-") as scratch:
        folder = args.demo
        if folder is None:
            folder = Path(scratch) / "demo"
            web_builder().build(folder)
        manifest = json.loads((folder / "demo.json").read_text(encoding="utf-8"))
        with served_folder(folder) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium,
                                                 args=list(CHROMIUM_FLAGS), headless=True)
            first = next(iter(manifest["generators"]))
            downloaded = download_size(browser, url + "index.html", folder)
            rows, raw, outside, errors = {}, [], [], []
            backend = None
            for name, generator in manifest["generators"].items():
                recorded = open_page(browser, f"{url}index.html?generator={name}")
                page = recorded.page
                backend = page.evaluate("[p2pDemo.backend, p2pDemo.backendReason]")
                page.click("#clear")
                page.evaluate("p2pDemo.idle()")
                for number, tool in enumerate(("brush", "rectangle")):
                    timings = time_strokes(page, generator, tool, args.strokes,
                                           number * args.strokes)
                    raw += [{**each, "tool": tool} for each in timings]
                    rows.setdefault(name, {})[tool] = {
                        "total_ms": summary([each["ms"] for each in timings]),
                        "forward_ms": summary([each["forwardMs"] for each in timings])}
                outside += recorded.outside_requests()
                errors += recorded.console_errors
                page.context.close()
            if args.screenshot:
                recorded = open_page(browser, url + "index.html", height=900)
                recorded.page.screenshot(path=str(args.screenshot), full_page=True)
                recorded.page.context.close()
            browser.close()
    models = {name: {key: generator["model"][key] for key in
                     ("weights", "bytes", "float32_bytes", "float16_bytes",
                      "float32_max_difference", "float16_max_difference")}
              for name, generator in manifest["generators"].items()}
    return {
        "machine": {**machine, "load_average_at_end": round(os.getloadavg()[0], 2),
                    "chromium": browser_version(args.chromium)},
        "command": "python benchmarks/web_demo_latency.py " + " ".join(sys.argv[1:]),
        "onnxruntime_web": manifest["runtime"]["wasm"]["version"],
        "backend": {"name": backend[0], "reason": backend[1], "threads": 1},
        "target_ms": TARGET_MS,
        "all_strokes_ms": summary([each["ms"] for each in raw]),
        "strokes": rows,
        "download_with_one_generator": {"generator": first, **downloaded},
        "models": models,
        "requests_outside_127.0.0.1": outside,
        "console_errors": errors,
        "raw": raw,
    }


def browser_version(chromium: str) -> str:
    import subprocess

    result = subprocess.run([chromium, "--version"], capture_output=True, text=True)
    return result.stdout.strip()


def print_table(results) -> None:
    print(f"{'generator':10s} {'tool':10s} {'median ms':>9s} {'min':>7s} {'max':>7s} "
          f"{'forward':>8s}")
    for name, tools in results["strokes"].items():
        for tool, parts in tools.items():
            total, forward = parts["total_ms"], parts["forward_ms"]
            print(f"{name:10s} {tool:10s} {total['median']:9.1f} {total['min']:7.1f} "
                  f"{total['max']:7.1f} {forward['median']:8.1f}")
    every = results["all_strokes_ms"]
    print(f"all {every['count']} strokes: median {every['median']:.1f} ms (range "
          f"{every['min']:.1f}-{every['max']:.1f}; target {results['target_ms']} ms)")
    download = results["download_with_one_generator"]
    print(f"download with one generator: {download['bytes'] / 1e6:.1f} MB in "
          f"{len(download['files'])} files ({download['gzip_bytes'] / 1e6:.1f} MB from a host "
          "that compresses with gzip)")
    for name, model in results["models"].items():
        print(f"{name}: float32 {model['float32_bytes'] / 1e6:.1f} MB, float16 "
              f"{model['float16_bytes'] / 1e6:.1f} MB (max |float16 - Keras| "
              f"{model['float16_max_difference']:.1e}); ships {model['weights']}")
    machine = results["machine"]
    print(f"backend {results['backend']['name']}; load average "
          f"{machine['load_average_at_start']} at start, {machine['load_average_at_end']} at end")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", type=Path, help="a demo built before (default: build one)")
    parser.add_argument("--strokes", type=int, default=12, help="strokes per tool and generator")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--screenshot", type=Path, help="save a picture of the page here")
    parser.add_argument("--chromium", default=os.environ.get("P2P_CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args(argv)
    return write_and_report(run(args), args.out, print_table)


if __name__ == "__main__":
    sys.exit(main())
