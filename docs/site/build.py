"""Build the static site (``make site``): the README, the rendered notebooks, the teacher's
guide, the guides, the glossary and the results, as offline HTML in ``docs/_site/``, in
English and, under ``docs/_site/zh/``, in Simplified Chinese.

Sphinx with myst-nb reads the rendered copies of ``docs/notebooks/`` as they are (no
execution at build time), Furo gives the reading order with previous/next links and a
search box, and MathJax is served from the site itself (sphinx-mathjax-offline). Each
language is a Sphinx build of its own (``conf.py``, with ``language`` set for the Chinese
one; both run at once): the English pages, and the Chinese ones — the rendered copies of
``notebooks/zh/`` (``docs/notebooks/zh/``), ``README.zh-CN.md``, ``docs/teaching.zh-CN.md``
and the bilingual glossary — each where it exists; a page whose source is missing is left
out. Every page links the same page in the other language, or that language's index where
it has no twin (``notebooks/beyond/`` stays English): the staging writes which pages have
twins (``SWITCH_FILE``) and ``conf.py`` puts the link at the top of each page.

The pages are first gathered into staging folders (``build/site-source/en`` and ``.../zh``,
git-ignored): the pages come from all over the repository, so their relative links are
rewritten to where the pages sit on the site (a link to a page of the other language goes
there, through the ``site:`` link scheme that ``conf.py`` declares), and the indexes and the
results page are written from the render metadata and ``docs/results/*.json``. The
in-browser drawing demo (``web/``, built by ``web/build.py``) goes into ``demo/`` beside the
pages, and both indexes link it (the Chinese one with ``?lang=zh``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import render  # noqa: E402  (docs/render.py: summaries, link rewriting)

ROOT = render.ROOT
STAGING = ROOT / "build" / "site-source"
SITE = ROOT / "docs" / "_site"
RESULTS = ROOT / "docs" / "results"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
GUIDES = ROOT / "docs" / "guides"
PAGES = {  # repository file -> page on the English site, besides the notebooks and generated pages
    "README.md": "readme.md",
    "docs/teaching.md": "teaching.md",
    "data/README.md": "datasets.md",
    "benchmarks/README.md": "benchmarks.md",
    "docs/glossary.md": "glossary.md",
    **{f"docs/guides/{path.name}": f"guides/{path.name}" for path in sorted(GUIDES.glob("*.md"))},
}
PAGES_ZH = {  # the same for the Chinese site; a page of the same name is the English one's twin
    "README.zh-CN.md": "readme.md",
    "docs/teaching.zh-CN.md": "teaching.md",
    "docs/glossary.md": "glossary.md",
}
LANGUAGES = {  # language -> (folder on the site, Sphinx's language, the site's title)
    "en": ("", "en", "Pix2Pix with the Keras functional API"),
    "zh": ("zh/", "zh_CN", "Pix2Pix：用 Keras 函数式 API 实现"),
}
SWITCH_FILE = "_language_switch.json"  # in each staging folder, read by conf.py
SITE_SCHEMES = ("site:", "site-anchor:")  # conf.py's myst_url_schemes: a link to a page of
# the other language, without and with an anchor
DEMO_FOLDER = "demo"  # where the in-browser drawing demo sits on the site


class SiteError(Exception):
    """The site could not be built; the message is one line."""


# ---------------------------------------------------------------- staging

class Stage:
    """A staging folder being filled for one language: which repository file became which
    staged file. ``prefix`` is its folder on the site ("" or "zh/"); ``other`` is the stage of
    the other language, where a link that has no target here is looked for."""

    def __init__(self, folder: Path, rendered_dir: Path, prefix: str = ""):
        self.folder = folder
        self.rendered_dir = rendered_dir
        self.prefix = prefix
        self.other: Stage | None = None
        self.placed: dict[Path, str] = {}

    def place(self, repository_file: Path, staged: str) -> None:
        self.placed[repository_file.resolve()] = staged

    def copy(self, repository_file: Path, staged: str) -> None:
        destination = self.folder / staged
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repository_file, destination)
        self.place(repository_file, staged)

    def documents(self) -> set[str]:
        """The Sphinx documents (staged pages without their suffix) placed here."""
        return {staged.rsplit(".", 1)[0] for staged in self.placed.values()
                if staged.endswith((".md", ".ipynb"))}

    def staged(self, resolved: Path) -> str | None:
        """Where repository file ``resolved`` is staged here (a source notebook: its
        rendered copy), or None."""
        return self.placed.get(resolved) or self._source_notebook(resolved)

    def relocator(self, origin: Path, staged_page: str):
        """Rewrite a link written in repository file ``origin`` for its page ``staged_page``:
        to the staged page or file it names, here or else on the other language's site; an
        image elsewhere is copied in; a link to anything else that is not on the site keeps
        its text and loses the link."""
        def relocate(target: str, is_image: bool) -> str | None:
            path, anchor = render.split_anchor(target)
            if not path:
                return target
            resolved = Path(os.path.normpath(origin.parent / path)).resolve()
            staged = self.staged(resolved)
            if staged is None and resolved.is_file() and resolved.suffix.lower() in IMAGE_SUFFIXES:
                self.copy(resolved, "_files/" + resolved.relative_to(ROOT).as_posix())
                staged = self.placed[resolved]
            here = (self.folder / staged_page).parent
            if staged is not None:
                return Path(os.path.relpath(self.folder / staged, here)).as_posix() + anchor
            elsewhere = self.other.staged(resolved) if self.other is not None else None
            if elsewhere is None:
                return None
            page = re.sub(r"\.(md|ipynb)$", ".html", elsewhere)
            link = os.path.relpath(self.other.prefix + page, os.path.dirname(self.prefix
                                                                                + staged_page))
            return site_link(Path(link).as_posix() + anchor)
        return relocate

    def rewrite(self, text: str, origin: Path, staged_page: str) -> str:
        """``text`` of repository file ``origin`` with its links rewritten for ``staged_page``;
        raw HTML takes a link to the other language as a plain address."""
        text = render.rewrite_links(text, self.relocator(origin, staged_page))
        schemes = "|".join(re.escape(scheme) for scheme in SITE_SCHEMES)
        return re.sub(rf'(\b(?:src|href)=")(?:{schemes})', r"\1", text)

    def _source_notebook(self, resolved: Path) -> str | None:
        """A link to a source notebook goes to its rendered page, when there is one."""
        if resolved.suffix != ".ipynb" or not resolved.is_relative_to(render.SOURCE_DIR):
            return None
        return self.placed.get((self.rendered_dir / resolved.relative_to(render.SOURCE_DIR))
                               .resolve())


def site_link(address: str) -> str:
    """A Markdown link target for ``address`` on the site, which is no page of this
    language's Sphinx build (myst takes it as it is, through conf.py's schemes)."""
    return (SITE_SCHEMES[1] if "#" in address else SITE_SCHEMES[0]) + address


def staged_notebook(row: dict) -> str:
    """Where a notebook's rendered page is staged in its language's folder."""
    return "notebooks/" + row["name"].removeprefix("zh/")


def stage(folder: Path = STAGING, rendered_dir: Path = render.RENDERED_DIR,
          demo: bool = True) -> list[dict]:
    """Fill ``folder/en`` and ``folder/zh`` with the site's sources; return the notebook
    summaries they used. ``demo``: whether the indexes link the drawing demo."""
    if folder.exists():
        shutil.rmtree(folder)
    stages = {language: Stage(folder / language, rendered_dir, prefix)
              for language, (prefix, _, _) in LANGUAGES.items()}
    stages["en"].other, stages["zh"].other = stages["zh"], stages["en"]
    for each in stages.values():
        each.folder.mkdir(parents=True)
    rows = render.summaries(render.SOURCE_DIR, rendered_dir)
    present = {language: [row for row in rows if row["rendered"].is_file()
                          and row["group"].startswith("zh") == (language == "zh")]
               for language in LANGUAGES}
    pages = {"en": PAGES, "zh": PAGES_ZH}
    for language, site in stages.items():
        for row in present[language]:
            site.place(row["rendered"], staged_notebook(row))
        for repository_name, staged in pages[language].items():
            if (ROOT / repository_name).is_file():
                site.place(ROOT / repository_name, staged)
    english = stages["en"]
    for result in sorted(RESULTS.rglob("*")) if RESULTS.is_dir() else []:
        if result.is_file():
            english.copy(result, "results/" + result.relative_to(RESULTS).as_posix())
    english.place(RESULTS, "results.md")

    for language, site in stages.items():
        for repository_name, staged in pages[language].items():
            origin = ROOT / repository_name
            if origin.is_file():
                text = site.rewrite(origin.read_text(encoding="utf-8"), origin, staged)
                if staged == "readme.md" and text.startswith("# "):  # the index bears the title
                    text = f"# {INDEX_TEXTS[language]['readme_heading']}\n" + text.split("\n", 1)[1]
                (site.folder / staged).parent.mkdir(parents=True, exist_ok=True)
                (site.folder / staged).write_text(text, encoding="utf-8")
        for row in present[language]:
            staged = staged_notebook(row)
            notebook = render.read_json(row["rendered"])
            for cell in notebook["cells"]:
                if cell["cell_type"] == "markdown":
                    cell["source"] = site.rewrite(render._text(cell["source"]), row["rendered"],
                                                  staged)
            (site.folder / staged).parent.mkdir(parents=True, exist_ok=True)
            (site.folder / staged).write_text(json.dumps(notebook, ensure_ascii=False),
                                              encoding="utf-8")
    (english.folder / "results.md").write_text(results_page(), encoding="utf-8")
    for language, site in stages.items():
        staged_pages = [page for page in pages[language].values()
                        if (site.folder / page).is_file()]
        (site.folder / "index.md").write_text(
            index_page(rows, staged_pages, demo, language), encoding="utf-8")
        site.place(site.folder / "index.md", "index.md")
    for language, site in stages.items():
        other = site.other
        switch = {"language": language, "other": next(o for o in LANGUAGES if o != language),
                  "root": os.path.relpath(other.prefix or ".", site.prefix or ".") + "/",
                  "twins": sorted(site.documents() & other.documents())}
        (site.folder / SWITCH_FILE).write_text(json.dumps(switch, indent=1), encoding="utf-8")
    return rows


# ---------------------------------------------------------------- generated pages

INDEX_TEXTS = {
    "en": {
        "title": "Pix2Pix with the Keras functional API",
        "readme_heading": "The README",
        "demo": "<a href=\"{demo}/index.html\">Draw in your browser</a>: the shipped generators "
                "turn your label map into a picture on this page, on your own device, with "
                "nothing installed.",
        "times": "The notebooks below are shown as `make render` executed them, outputs "
                 "included. Run times are measured, in quick mode (`P2P_QUICK=1`, what the "
                 "tests run) and in full mode (what the prose describes). {machine}",
        "none_rendered": "No notebook has been rendered yet: run `make render`.",
        "notebooks": "The notebooks", "beyond": "After the course",
        "solutions": "Solutions to the exercises", "reference": "For teachers and for reference",
        "titles": {"readme.md": "The README: set-up, command line, performance, datasets",
                   "teaching.md": "The teacher's guide", "datasets.md": "The datasets",
                   "benchmarks.md": "The benchmarks",
                   "glossary.md": "Glossary · 术语表: the course's terms in English and Chinese"},
        "results": "Results: the ablations and the fast recipe",
        "not_rendered": "No rendered copy yet: run `make render`.",
        "run_time": "Run time: {quick} in quick mode, {full} in full mode{generated}.",
        "generated": " (that run also generated {names})",
        "stale": "Run time: not measured yet (the rendered copy is stale: run `make render`).",
        "captions": {"start": "Start", "notebooks": "Notebooks", "beyond": "After the course",
                     "teachers": "For teachers", "reference": "Reference"},
    },
    "zh": {
        "title": "Pix2Pix：用 Keras 函数式 API 实现",
        "readme_heading": "README（中文）",
        "intro": "这是 Pix2Pix（Isola 等，2017）的一套分步课程：用 TensorFlow 上的 Keras "
                 "函数式 API，一个笔记本接一个笔记本地搭建条件生成对抗网络，每一步都有检查、"
                 "图示、练习和参考答案。代码与英文版完全相同，只有文字是中文。",
        "demo": "<a href=\"../{demo}/index.html?lang=zh\">在浏览器里画</a>：课程附带的生成器在"
                "这个页面上、在你自己的设备上把你画的标签图变成图片，无需安装任何东西。",
        "times": "下面的笔记本按 `make render` 执行后的样子展示，带有输出。运行时间均为实测："
                 "快速模式（`P2P_QUICK=1`，测试所用）和完整模式（正文所描述的）。{machine}",
        "none_rendered": "还没有渲染任何中文笔记本：运行 `make render`。",
        "notebooks": "笔记本", "beyond": "课程之后（英文）", "solutions": "练习的参考答案",
        "reference": "给教师，以及参考资料",
        "titles": {"readme.md": "README：安装、命令行、数据集", "teaching.md": "教师指南",
                   "glossary.md": "术语表 · Glossary：课程术语的中英对照"},
        "english_only": "英文页面：",
        "results": "结果：消融实验与快速训练方案",
        "not_rendered": "还没有渲染副本：运行 `make render`。",
        "run_time": "运行时间：快速模式 {quick}，完整模式 {full}{generated}。",
        "generated": "（那次运行还生成了 {names}）",
        "stale": "运行时间：尚未测量（渲染副本已过时：运行 `make render`）。",
        "captions": {"start": "开始", "notebooks": "笔记本", "beyond": "课程之后",
                     "teachers": "给教师", "reference": "参考"},
    },
}
"""The words of each language's index page."""


def _readme_intro(path: Path = ROOT / "README.md") -> str:
    """The README's first paragraph (what the series is)."""
    paragraphs = path.read_text(encoding="utf-8").split("\n\n")
    text = next((p for p in paragraphs if p.strip() and not p.lstrip().startswith(("#", "<", "!"))),
                "")
    return render.rewrite_links(text, lambda target, is_image: None)


def _title(path: Path) -> str:
    """The first heading of a Markdown file."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem


def index_page(rows: list[dict], pages: list[str], demo: bool = False,
               language: str = "en") -> str:
    """The home page of ``language``'s site: what the series is, the drawing demo (when
    ``demo``), then each notebook of that language with its objectives and run times, and
    the other pages (``pages``: their staged names)."""
    words = INDEX_TEXTS[language]
    chinese = language == "zh"
    mine = [row for row in rows if row["group"].startswith("zh") == chinese]
    if not chinese:
        intro = _readme_intro()
    elif (ROOT / "README.zh-CN.md").is_file():
        intro = _readme_intro(ROOT / "README.zh-CN.md")
    else:
        intro = words["intro"]
    lines = [f"# {words['title']}", "", intro, ""]
    if demo:  # raw HTML: the demo is no Sphinx document, so a Markdown link would not resolve
        lines += ['<p class="demo-link">' + words["demo"].format(demo=DEMO_FOLDER) + "</p>", ""]
    machine = (render.machine_line(mine) if any(row["machine"] for row in mine)
               else words["none_rendered"])
    lines += [words["times"].format(machine=machine), "", f"## {words['notebooks']}", ""]
    course = [row for row in mine if row["group"].endswith("course")]
    beyond = [row for row in rows if row["group"] == "beyond"]
    solutions = [row for row in mine if row["solution"]]
    for row in course:
        lines += _index_entry(row, words)
    if beyond:
        lines += [f"## {words['beyond']}", ""]
        for row in beyond:
            if not chinese:
                lines += _index_entry(row, words)
            elif row["rendered"].is_file():  # the English page
                page = "../" + staged_notebook(row).replace(".ipynb", ".html")
                lines += [f"- [{row['title'] or row['name']}]({site_link(page)})"]
            else:
                lines += [f"- {row['title'] or row['name']}"]
        lines += [""]
    if solutions:
        lines += [f"## {words['solutions']}", ""]
        for row in solutions:
            lines += _index_entry(row, words, objectives=False)
    lines += [f"## {words['reference']}", ""]
    files = {staged: name for name, staged in (PAGES_ZH if chinese else PAGES).items()}
    lines += [f"- [{words['titles'].get(page) or _title(ROOT / files[page])}]({page})"
              for page in pages]
    if chinese:  # the pages in English only
        english = [(words["results"], "results.md")] + [
            (_title(ROOT / name), staged) for name, staged in PAGES.items()
            if staged not in PAGES_ZH.values() and (ROOT / name).is_file()]
        lines += [f"- {words['english_only']}" + "、".join(
            f"[{title}]({site_link('../' + staged.removesuffix('.md') + '.html')})"
            for title, staged in english), ""]
    else:
        lines += [f"- [{words['results']}](results.md)", ""]
    captions = words["captions"]
    lines += _toctree(captions["start"], ["readme"] * ("readme.md" in pages))
    lines += _toctree(captions["notebooks"], [_doc(row) for row in course
                                              if row["rendered"].is_file()])
    if not chinese:
        lines += _toctree(captions["beyond"], [_doc(row) for row in beyond
                                               if row["rendered"].is_file()])
    lines += _toctree(captions["teachers"], ["teaching"] * ("teaching.md" in pages)
                      + [_doc(row) for row in solutions if row["rendered"].is_file()])
    lines += _toctree(captions["reference"], ([] if chinese else ["results"]) + [
        page.removesuffix(".md") for page in pages if page not in ("readme.md", "teaching.md")])
    return "\n".join(lines) + "\n"


def _doc(row: dict) -> str:
    return staged_notebook(row).removesuffix(".ipynb")


def _index_entry(row: dict, words: dict, objectives: bool = True) -> list[str]:
    title = row["title"] or row["name"]
    heading = f"[{title}]({staged_notebook(row)})" if row["rendered"].is_file() else title
    if not row["rendered"].is_file():
        times = words["not_rendered"]
    elif row["seconds"]:
        generated = sorted({n for names in row["first_run_generated"].values() for n in names})
        times = words["run_time"].format(
            quick=render.format_seconds(row["seconds"].get("quick")),
            full=render.format_seconds(row["seconds"].get("full")),
            generated=words["generated"].format(names=", ".join(f"`{n}`" for n in generated))
            if generated else "")
    else:
        times = words["stale"]
    lines = [f"### {heading}", "", times, ""]
    if objectives and row["objectives"]:
        lines += [f"- {objective}" for objective in row["objectives"]] + [""]
    return lines


def _toctree(caption: str, documents: list[str]) -> list[str]:
    if not documents:
        return []
    return ["```{toctree}", ":hidden:", f":caption: {caption}", "", *documents, "```", ""]


def results_page(results_dir: Path = RESULTS) -> str:
    """The committed results: the ablation tables (as ``experiments.ablations`` writes them) with
    their sample images, the fast recipe, and every results file for download."""
    lines = ["# Results", "",
             "Measured by the project's own commands and committed in `docs/results/`; each "
             "section names the command, the machine and the run time.", ""]
    if results_dir.is_dir():
        for path in sorted(results_dir.glob("*.json")):
            results = render.read_json(path)
            if "tables" in results and "settings" in results:
                lines += _ablation_section(path, results)
            elif "rows" in results and "picture" in results:
                lines += _recipe_section(path, results)
        lines += ["## Files", ""]
        lines += [f"- [{path.name}](results/{path.name})"
                  for path in sorted(results_dir.glob("*.json"))]
    return "\n".join(lines) + "\n"


def _machine(results: dict) -> str:
    machine = results.get("machine") or {}
    cores = machine.get("usable_cpus") or machine.get("cpu_count")
    return (f"{cores} cores of {machine.get('processor', 'an unrecorded CPU')}, TensorFlow "
            f"{machine.get('tensorflow', '?')}, Keras {machine.get('keras', '?')}")


def _ablation_section(path: Path, results: dict) -> list[str]:
    import p2plib

    p2plib.quiet_tensorflow()
    from p2plib.experiments import ablations

    dataset = results.get("dataset") or results.get("config", {}).get("dataset")
    samples = ablations.samples_folder(dataset or ablations.DATASET)
    minutes = results.get("wall_seconds", 0) / 60
    lines = [f"## {results.get('description', path.stem)}", "",
             f"`{results.get('command', '')}` — {minutes:.1f} minutes on {_machine(results)}.", ""]
    captions = {"losses": "Objective", "generator": "Generator",
                "discriminator": "Discriminator receptive field"}
    for table in ablations.TABLES:
        lines += [f"**{captions.get(table, table)}**", "",
                  ablations.markdown_table(results, table), ""]
    first = {}
    for entry in results["settings"]:
        first.setdefault(entry["name"], entry)
    folder = path.parent / samples
    images = [("inputs", "inputs.png"), ("targets", "targets.png")] + [
        (entry.get("description", name), entry.get("samples")) for name, entry in first.items()]
    shown = [(caption, name) for caption, name in images if name and (folder / name).is_file()]
    if shown:
        lines += ["Sample outputs on test pairs (first seed):", ""]
        for caption, name in shown:
            lines += [f"{caption}:", "", f"![{caption}](results/{samples}/{name})", ""]
    return lines


def _recipe_section(path: Path, results: dict) -> list[str]:
    lines = [f"## The fast CPU recipe ({path.name})", "",
             f"`{results.get('command', '')}` — {results.get('minutes', '?')} minutes of "
             f"training per row on {_machine(results)}.", "",
             "| row | steps | per-pixel acc. | per-class acc. | class IoU |",
             "|---|---|---|---|---|"]
    for name, row in results["rows"].items():
        scores = row.get("scores", {})
        cells = [f"{scores[key]:.3f}" if key in scores else ""
                 for key in ("pixel_accuracy", "class_accuracy", "class_iou")]
        lines.append(f"| {name} | {row.get('steps', '')} | " + " | ".join(cells) + " |")
    columns = " | ".join(results.get("picture_columns", []))
    lines += ["", f"Columns: {columns}." if columns else "",
              "", f"![the fast recipe]({'results/' + results['picture']})", ""]
    return lines


# ---------------------------------------------------------------- building

def _web_builder():
    """``web/build.py`` as a module (the web demo's build is a script, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("p2p_web_build", ROOT / "web" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(out: Path = SITE, staging: Path = STAGING,
          rendered_dir: Path = render.RENDERED_DIR, demo: Path | bool = True) -> dict:
    """Stage the sources and run Sphinx into ``out`` (the Chinese pages into ``out/zh``);
    return the seconds and the warnings.

    ``demo``: True builds the drawing demo from ``web/`` into ``out/demo/`` (it needs
    ``npm ci --prefix web``); a folder copies a demo built before; False leaves it out.
    """
    started = time.perf_counter()
    web = _web_builder()
    if demo is True:
        try:
            web.runtime_folder()  # before the slow part
        except web.BuildError as error:
            raise SiteError(f"the drawing demo: {error}") from None
    stage(staging, rendered_dir, demo=demo is not False)
    # Sphinx writes beside the staging folder, then the pages move to ``out``: myst-nb puts a
    # jupyter_execute/ folder beside its output folder, which must not land in docs/. The
    # languages are built at once, each by a process of its own.
    html = staging.parent / (staging.name + "-html")
    if html.exists():
        shutil.rmtree(html)
    doctrees = staging.parent / (staging.name + "-doctrees")
    builds = {}
    for language, (_, sphinx_language, title) in LANGUAGES.items():
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", "-c", str(HERE),
                   "-d", str(doctrees / language), "-D", f"language={sphinx_language}",
                   "-D", f"project={title}", "-D", f"html_title={title}",
                   str(staging / language), str(html / language)]
        builds[language] = subprocess.Popen(command, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, text=True)
    warnings = []
    for language, process in builds.items():
        _, errors = process.communicate()
        if process.returncode != 0:
            last = (errors.strip().splitlines() or ["no output"])[-1]
            raise SiteError(f"sphinx-build failed for the {language} pages (exit "
                            f"{process.returncode}): {last}")
        warnings += [line for line in errors.splitlines() if "WARNING" in line]
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(html / "en", out)
    shutil.move(html / "zh", out / LANGUAGES["zh"][0])
    if demo is True:
        try:
            web.build(out / DEMO_FOLDER, log=lambda line: print(f"demo: {line}"))
        except web.BuildError as error:
            raise SiteError(f"the drawing demo: {error}") from None
    elif demo:
        shutil.copytree(demo, out / DEMO_FOLDER)
    if demo is not False:
        web.copy_page(out / DEMO_FOLDER, demo_links(out, web.NOTEBOOK_LINK))
    return {"seconds": round(time.perf_counter() - started, 1), "warnings": warnings}


def demo_links(out: Path, english: str) -> dict:
    """The drawing demo's Chinese link to notebook 05 on the site in ``out``: its Chinese
    page where the site has one, else the ``english`` link."""
    chinese = f"{LANGUAGES['zh'][0]}notebooks/05_pix2pix_model.html"
    return {"NOTEBOOK_LINK_ZH": "../" + chinese if (out / chinese).is_file() else english}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python docs/site/build.py",
                                     description="Build the offline HTML site into docs/_site/.")
    parser.add_argument("--out", type=Path, default=SITE, help="output folder (docs/_site/)")
    parser.add_argument("--rendered", type=Path, default=render.RENDERED_DIR,
                        help="folder of rendered notebooks (docs/notebooks/)")
    arguments = parser.parse_args(argv)
    try:
        outcome = build(arguments.out.resolve(), STAGING, arguments.rendered.resolve())
    except (SiteError, OSError) as error:
        print(f"site: {error}", file=sys.stderr)
        return 2
    for warning in outcome["warnings"]:
        print(warning, file=sys.stderr)
    print(f"built {arguments.out} in {outcome['seconds']} s "
          f"({len(outcome['warnings'])} warnings); open {arguments.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
