"""The site (``make site``, ``docs/site/build.py``), built once and read in headless Chromium.

The site is built from what ``docs/notebooks/`` holds and served by a real ``http.server`` on
127.0.0.1. Every page must load without console errors and without a request leaving
127.0.0.1, decode every image, typeset every formula with the bundled MathJax, and link only
to pages and anchors that exist. Before the first ``make render`` (``docs/notebooks/`` holds
no copy) the fixture renders notebook 00 in quick mode into a temporary folder, so that the
notebook pages are still exercised; test_rendered.py fails meanwhile, as it should. The test
saves a screenshot of the index as ``docs/site.png``.

Building the site takes about 15 s on the 2-core development machine and visiting every
page about 35 s more, so it stays in the quick suite (``make site-check`` runs it alone).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import re
import sys
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from conftest import RecordedPage

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "site.png"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


site_builder = _load("p2p_site_build", ROOT / "docs" / "site" / "build.py")
render = site_builder.render


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """The site built once, as ``make site`` builds it, into a temporary folder."""
    scratch = tmp_path_factory.mktemp("site")
    rendered_dir = render.RENDERED_DIR
    if not list(rendered_dir.glob("*.ipynb")):
        rendered_dir = scratch / "rendered"
        assert render.main(["--quick", "--notebook", "00_overview", "--out",
                            str(rendered_dir)]) == 0
    outcome = site_builder.build(scratch / "_site", scratch / "source", rendered_dir)
    print(f"\nsite built in {outcome['seconds']} s")  # reported with -s; never asserted
    return {"out": scratch / "_site", "rendered": rendered_dir, **outcome}


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output quiet
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A browser that closes a connection early (a page left mid-load) is no error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def served(built_site):
    """The built site on a real HTTP server on 127.0.0.1 (a free port)."""
    handler = functools.partial(_Handler, directory=str(built_site["out"]))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _Links(HTMLParser):
    """The href targets and element ids of one HTML page."""

    def __init__(self):
        super().__init__()
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"])


def _fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


def _pages(built_site) -> list[str]:
    """The content pages: the index, the README, guide, results, every notebook page."""
    out = built_site["out"]
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    return [p for p in pages if not p.startswith("_") and p not in ("genindex.html",
                                                                    "search.html")]


def test_the_site_builds_without_warnings(built_site):
    assert built_site["warnings"] == [], "\n".join(built_site["warnings"])
    assert (built_site["out"] / "index.html").is_file()


def test_there_is_a_page_for_every_rendered_notebook_and_for_each_part(built_site):
    pages = set(_pages(built_site))
    rendered = [row for row in render.summaries(render.SOURCE_DIR, built_site["rendered"])
                if row["rendered"].is_file()]
    assert rendered, "no rendered notebook reached the site"
    for row in rendered:
        assert "notebooks/" + row["name"].removesuffix(".ipynb") + ".html" in pages
    for page in ("index.html", "readme.html", "teaching.html", "results.html"):
        assert page in pages


def test_the_index_lists_each_notebooks_objectives_and_run_times(built_site, served, page):
    page.page.goto(served + "index.html")
    text = page.page.inner_text("article[role=main]")
    for row in render.summaries(render.SOURCE_DIR, built_site["rendered"]):
        assert _plain(row["title"]) in _plain(text)
        for objective in row["objectives"]:
            # the words of each objective between its formulas, as the page shows them
            for words in re.split(r"\$[^$]*\$", objective):
                assert _plain(words) in _plain(text), objective
        if row["seconds"]:
            assert render.format_seconds(row["seconds"]["quick"]) in text
        else:
            assert "run make render" in text
    links = page.page.eval_on_selector_all("article[role=main] a", "as => as.map(a => a.href)")
    for row in render.summaries(render.SOURCE_DIR, built_site["rendered"]):
        if row["rendered"].is_file():
            assert any(link.endswith(row["name"].replace(".ipynb", ".html")) for link in links)
    page.assert_clean()
    page.page.screenshot(path=str(SCREENSHOT))


def _plain(text: str) -> str:
    for mark in ("`", "*", "$", "\\"):
        text = text.replace(mark, "")
    text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split())


IMAGES_UNDECODED = """async () => {
  const images = [...document.images];
  images.forEach(image => { image.loading = "eager"; });
  const failed = await Promise.all(images.map(image =>
      image.decode().then(() => null, () => image.currentSrc || image.src)));
  return {count: images.length,
          broken: failed.filter(x => x)
                        .concat(images.filter(i => i.naturalWidth === 0).map(i => i.src))};
}"""
MATH_STATE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const formulas = [...document.querySelectorAll("article .math")];
  return {count: formulas.length,
          typeset: formulas.filter(f => f.querySelector("mjx-container")).length,
          errors: document.querySelectorAll("mjx-merror").length,
          mathjax: !!(window.MathJax && MathJax.version)};
}"""


def test_every_page_loads_cleanly_with_images_and_formulas(built_site, served, browser):
    pages = _pages(built_site)
    typeset_pages = 0
    for name in pages:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        recorded = RecordedPage(context.new_page())
        failures = []
        recorded.page.on("response", lambda r, f=failures: f.append(r.url) if r.status >= 400
                         else None)
        try:
            recorded.page.goto(served + name, wait_until="load")
            images = recorded.page.evaluate(IMAGES_UNDECODED)
            math = recorded.page.evaluate(MATH_STATE)
            recorded.assert_clean()
        finally:
            context.close()
        assert not failures, f"{name}: requests failed: {failures}"
        assert not images["broken"], f"{name}: images that do not decode: {images['broken']}"
        if math["count"]:
            assert math["mathjax"], f"{name} has formulas but MathJax did not load"
            assert math["typeset"] == math["count"] and not math["errors"], (
                f"{name}: {math['typeset']} of {math['count']} formulas typeset, "
                f"{math['errors']} TeX errors")
            typeset_pages += 1
    notebook_pages = [name for name in pages if name.startswith("notebooks/")]
    assert notebook_pages, "no notebook page was checked"
    assert typeset_pages, "no page had a formula (notebook 00 has several)"


def test_every_link_between_pages_resolves(built_site, served):
    checked, broken = set(), []
    pages = {}
    for name in _pages(built_site) + ["search.html", "genindex.html"]:
        url = served + name
        status, html = _fetch(url)
        assert status == 200, f"{name}: HTTP {status}"
        parser = _Links()
        parser.feed(html)
        pages[url] = (parser.hrefs, parser.ids)
    for url, (hrefs, _) in pages.items():
        for href in hrefs:
            target = urljoin(url, href)
            if urlparse(target).hostname != "127.0.0.1":
                continue  # a link out (the paper, Keras' docs): not between pages
            page_url, _, anchor = target.partition("#")
            if page_url not in pages:
                if page_url in checked:
                    continue
                checked.add(page_url)
                status, _ = _fetch(page_url)
                if status != 200:
                    broken.append(f"{url} -> {href} (HTTP {status})")
                continue
            if anchor and anchor not in pages[page_url][1]:
                broken.append(f"{url} -> {href} (no element with id {anchor!r})")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_search_works_offline(served, page):
    page.page.goto(served + "search.html?q=discriminator")
    page.page.wait_for_selector("#search-results ul.search li", timeout=30_000)
    results = page.page.eval_on_selector_all("#search-results ul.search li a",
                                             "as => as.map(a => a.href)")
    assert results and all(urlparse(r).hostname == "127.0.0.1" for r in results)
    page.assert_clean()


def test_pages_have_previous_and_next_links_in_reading_order(built_site, served, page):
    page.page.goto(served + "readme.html")
    following = page.page.get_attribute("a.next-page", "href")
    assert following and following.startswith("notebooks/00_overview"), following
    page.page.goto(served + "notebooks/00_overview.html")
    assert page.page.get_attribute("a.prev-page", "href").endswith("readme.html")
    page.assert_clean()
