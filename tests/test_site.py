"""The site (``make site``, ``docs/site/build.py``), built once and read in headless Chromium.

The site is built from what ``docs/notebooks/`` holds and served by a real ``http.server`` on
127.0.0.1. Every page, English and Chinese, must load without console errors and without a
request leaving 127.0.0.1, decode every image, typeset every formula with the bundled
MathJax, link only to pages and anchors that exist, and link the same page in the other
language (or that language's index, where it has no twin). Chinese text must be drawn with a
font that has its characters (Debian's fonts-noto-cjk; without one Chromium draws empty
boxes). Before the first ``make render`` (``docs/notebooks/`` holds no copy) the fixture
renders notebook 00 in quick mode into a temporary folder, so that the notebook pages are
still exercised; test_rendered.py fails meanwhile, as it should. Likewise, while
``docs/notebooks/zh/`` holds no rendered Chinese notebook, the fixture puts the source of the
first Chinese notebook (without outputs) among the rendered copies of a temporary folder, so
that a Chinese notebook page and its twin are exercised. The test saves a screenshot of the
index as ``docs/site.png``.

Building the site (both languages at once) takes about 45 s on the busy 2-core development
machine and visiting every page about 45 s more, so it stays in the quick suite
(``make site-check`` runs it alone).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from conftest import RecordedPage, served_folder

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
def built_site(tmp_path_factory, web_demo):
    """The site built once, as ``make site`` builds it, into a temporary folder, with the
    drawing demo of this test session (conftest's ``web_demo``; left out, and not linked,
    where ONNX Runtime Web is not installed)."""
    scratch = tmp_path_factory.mktemp("site")
    rendered_dir = render.RENDERED_DIR
    if not list(rendered_dir.glob("*.ipynb")):
        rendered_dir = scratch / "rendered"
        assert render.main(["--quick", "--notebook", "00_overview", "--out",
                            str(rendered_dir)]) == 0
    chinese = sorted((render.SOURCE_DIR / "zh").glob("*.ipynb"))
    if chinese and not list((rendered_dir / "zh").glob("*.ipynb")):
        if rendered_dir == render.RENDERED_DIR:
            rendered_dir = scratch / "rendered"
            shutil.copytree(render.RENDERED_DIR, rendered_dir)
        (rendered_dir / "zh").mkdir(exist_ok=True)
        shutil.copyfile(chinese[0], rendered_dir / "zh" / chinese[0].name)
    outcome = site_builder.build(scratch / "_site", scratch / "source", rendered_dir,
                                 demo=web_demo or False)
    print(f"\nsite built in {outcome['seconds']} s")  # reported with -s; never asserted
    return {"out": scratch / "_site", "rendered": rendered_dir, "demo": web_demo, **outcome}


@pytest.fixture(scope="module")
def served(built_site):
    """The built site on a real HTTP server on 127.0.0.1 (a free port)."""
    with served_folder(built_site["out"]) as url:
        yield url


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


SEARCH_PAGES = ("search.html", "genindex.html", "zh/search.html", "zh/genindex.html")


def _pages(built_site) -> list[str]:
    """The content pages of both languages: the indexes, the READMEs, guides, glossary,
    results, every notebook page (and the drawing demo)."""
    out = built_site["out"]
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    return [p for p in pages if not re.match(r"(zh/)?_", p) and p not in SEARCH_PAGES]


def _language_pages(built_site) -> list[str]:
    """The pages Sphinx built, in both languages, search and index included."""
    return [page for page in _pages(built_site) + list(SEARCH_PAGES)
            if not page.startswith(site_builder.DEMO_FOLDER + "/")]


def _twin(page: str, out: Path) -> str:
    """The page that ``page``'s language switch must open: the same page in the other
    language, or that language's index."""
    chinese = page.startswith("zh/")
    twin = page.removeprefix("zh/") if chinese else "zh/" + page
    if (out / twin).is_file():
        return twin
    return "index.html" if chinese else "zh/index.html"


def test_the_site_builds_without_warnings(built_site):
    assert built_site["warnings"] == [], "\n".join(built_site["warnings"])
    assert (built_site["out"] / "index.html").is_file()


def test_there_is_a_page_for_every_rendered_notebook_and_for_each_part(built_site):
    pages = set(_pages(built_site))
    rendered = [row for row in render.summaries(render.SOURCE_DIR, built_site["rendered"])
                if row["rendered"].is_file()]
    assert rendered, "no rendered notebook reached the site"
    for row in rendered:  # the Chinese ones under zh/, in the same folders
        name = row["name"].removesuffix(".ipynb")
        chinese = name.startswith("zh/")
        assert ("zh/" if chinese else "") + "notebooks/" + name.removeprefix("zh/") + ".html" \
            in pages, row["name"]
    for page in ("index.html", "readme.html", "teaching.html", "results.html", "glossary.html",
                 "zh/index.html", "zh/glossary.html"):
        assert page in pages
    for guide in sorted((ROOT / "docs" / "guides").glob("*.md")):
        assert f"guides/{guide.stem}.html" in pages
    for source, page in [("README.zh-CN.md", "zh/readme.html"),
                         ("docs/teaching.zh-CN.md", "zh/teaching.html")]:
        assert ((ROOT / source).is_file()) == (page in pages), source


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_index_lists_each_notebooks_objectives_and_run_times(built_site, served, page,
                                                                 language):
    chinese = language == "zh"
    index = "zh/index.html" if chinese else "index.html"
    page.page.goto(served + index)
    text = page.page.inner_text("article[role=main]")
    rows = [row for row in render.summaries(render.SOURCE_DIR, built_site["rendered"])
            if row["group"].startswith("zh") == chinese]
    for row in rows:
        assert _plain(row["title"]) in _plain(text)
        for objective in row["objectives"]:
            # the words of each objective between its formulas, as the page shows them
            for words in re.split(r"\$[^$]*\$", objective):
                assert _plain(words) in _plain(text), objective
        if row["seconds"]:
            assert render.format_seconds(row["seconds"]["quick"]) in text
        else:
            assert "运行 make render" in text if chinese else "run make render" in text
    links = page.page.eval_on_selector_all("article[role=main] a", "as => as.map(a => a.href)")
    for row in rows:
        if row["rendered"].is_file():
            name = row["name"].removeprefix("zh/").replace(".ipynb", ".html")
            assert served + index.removesuffix("index.html") + "notebooks/" + name in links
    page.assert_clean()
    if not chinese:
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
    for name in _pages(built_site) + list(SEARCH_PAGES):
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


def test_the_index_links_the_drawing_demo_which_runs_on_the_site(built_site, served, page):
    if built_site["demo"] is None:
        pytest.skip("ONNX Runtime Web is not installed (npm ci --prefix web): no demo")
    page.page.goto(served + "index.html")
    page.page.locator("article[role=main] a").filter(has_text="Draw in your browser").click()
    page.page.wait_for_function("window.p2pDemo && (p2pDemo.ready || p2pDemo.error)",
                                timeout=120_000)
    assert page.page.url == served + "demo/index.html"
    assert page.page.evaluate("p2pDemo.error") is None
    if (built_site["rendered"] / "05_pix2pix_model.ipynb").is_file():
        page.page.locator("#test-mode a").click()  # the sentence on test modes: notebook 05
        assert page.page.url == served + "notebooks/05_pix2pix_model.html"
    page.page.goto(served + "zh/index.html")  # the Chinese index: the demo in Chinese
    page.page.locator("article[role=main] a").filter(has_text="在浏览器里画").click()
    page.page.wait_for_function("window.p2pDemo && (p2pDemo.ready || p2pDemo.error)",
                                timeout=120_000)
    assert page.page.url == served + "demo/index.html?lang=zh"
    assert page.page.evaluate("p2pDemo.error") is None
    assert page.page.evaluate("p2pDemo.language") == "zh"
    chinese = built_site["out"] / "zh" / "notebooks" / "05_pix2pix_model.html"
    page.page.locator("#test-mode a").click()  # its Chinese page, where the site has one
    assert page.page.url == served + ("zh/" if chinese.is_file() else "") + \
        "notebooks/05_pix2pix_model.html"
    page.assert_clean()


def test_every_page_links_the_same_page_in_the_other_language(built_site, served):
    out, wrong = built_site["out"], []
    for name in _language_pages(built_site):
        _, html = _fetch(served + name)
        switch = re.findall(r'<p class="language-switch"><a href="([^"]+)"', html)
        expected = _twin(name, out)
        if switch != [_relative(name, expected)]:
            wrong.append(f"{name}: {switch} (expected {expected})")
    assert not wrong, "language switches that go elsewhere:\n" + "\n".join(wrong)


def _relative(page: str, target: str) -> str:
    """``target`` (a path on the site) as a link written on ``page``."""
    return "../" * page.count("/") + target


def test_the_switch_goes_to_the_twin_page_and_back(built_site, served, page):
    out = built_site["out"]
    chinese = sorted(out.glob("zh/notebooks/*.html"))
    pages = ["glossary.html"] + ([f"notebooks/{chinese[0].name}"] if chinese else [])
    for start in pages:
        page.page.goto(served + start)
        assert page.page.evaluate("document.documentElement.lang") == "en"
        page.page.click("p.language-switch a")
        assert page.page.url == served + "zh/" + start
        assert page.page.evaluate("document.documentElement.lang") == "zh-CN"
        assert page.page.inner_text("p.language-switch a") == "English"
        page.page.click("p.language-switch a")
        assert page.page.url == served + start
    page.page.goto(served + "results.html")  # English only: to the Chinese index
    page.page.click("p.language-switch a")
    assert page.page.url == served + "zh/index.html"
    page.assert_clean()


HAN = re.compile(r"[\u4e00-\u9fff]")


def test_chinese_pages_draw_their_characters_with_a_cjk_font(built_site, served, page):
    """The characters of a Chinese title are drawn by an installed font that has them, not by
    the font that draws characters no font has (boxes): fonts-noto-cjk on Debian."""
    page.page.goto(served + "zh/index.html")
    page.page.evaluate("document.body.append(Object.assign(document.createElement('span'), "
                       "{id: 'no-font-has-these', textContent: '\\ue000\\ue001'}))")
    cdp = page.page.context.new_cdp_session(page.page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]

    def fonts(selector):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]

    boxes = {font["familyName"] for font in fonts("#no-font-has-these")}
    title = page.page.inner_text("article h1")
    characters = len(HAN.findall(title))
    assert characters >= 4, title
    drawn = fonts("article h1")
    real = sum(font["glyphCount"] for font in drawn if font["familyName"] not in boxes)
    assert real >= characters, (
        f"{title!r}: {characters} Chinese characters, but the fonts drawing it are {drawn} "
        f"({boxes} draws the boxes): install a CJK font (apt-get install -y fonts-noto-cjk)")
    page.assert_clean()


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
