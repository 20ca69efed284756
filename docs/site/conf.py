"""Sphinx configuration of the site (``make site``; the sources are staged by ``build.py``).

myst-nb shows the rendered notebooks as they are (``nb_execution_mode = "off"``), Furo gives
the navigation, previous/next links and search, and sphinx-mathjax-offline serves MathJax 3
from the site's own ``_static/`` so that nothing is fetched from a CDN.

The same configuration builds the English pages and the Chinese ones (``build.py`` passes
``-D language=zh_CN``). Every page starts with a link to the same page in the other language,
or to that language's index where the page has no twin: ``build.py`` writes the pages with a
twin into the staging folder (``_language_switch.json``), ``language_switch`` puts the link
into each page's context and ``_templates/`` shows it (on Furo's pages, search and index).
"""

import json
from pathlib import Path

project = "Pix2Pix with the Keras functional API"
author = "the p2plib authors"
html_show_copyright = False

extensions = ["myst_nb", "sphinx-mathjax-offline"]

nb_execution_mode = "off"  # the notebooks were executed by `make render`
nb_merge_streams = True
nb_ipywidgets_js = {}  # no widget scripts from a CDN
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3  # GitHub-style anchors, so the README's #links resolve
# ``site:PATH`` (written by build.py): a page of the other language's site, linked as it is
myst_url_schemes = {"http": None, "https": None, "mailto": None, "ftp": None,
                    "site": "{{path}}", "site-anchor": "{{path}}#{{fragment}}"}

html_theme = "furo"
html_title = project
html_copy_source = False  # no second copy of every notebook under _sources/
html_show_sourcelink = False
html_last_updated_fmt = None
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["language-switch.css"]
exclude_patterns = []
suppress_warnings = ["myst.header"]  # the README's and notebooks' heading levels are theirs
html_favicon = "favicon.png"

SWITCH_FILE = "_language_switch.json"
SWITCH_WORDS = {"en": ("English", "This page in English"),
                "zh": ("简体中文", "本页的简体中文版")}
HTML_LANGUAGES = {"en": "en", "zh": "zh-CN"}


def language_switch(app, pagename, templatename, context, doctree):
    """Put the link to this page in the other language into the page's context."""
    path = Path(app.srcdir) / SWITCH_FILE
    if not path.is_file():
        return
    switch = json.loads(path.read_text(encoding="utf-8"))
    twin = pagename in switch["twins"] or pagename in ("search", "genindex")
    target = pagename if twin else "index"
    other = switch["other"]
    label, title = SWITCH_WORDS[other]
    context["language_switch"] = {
        "href": "../" * pagename.count("/") + switch["root"] + target + ".html",
        "label": label, "title": title if twin else label, "lang": HTML_LANGUAGES[other],
        "twin": twin}


def setup(app):
    app.connect("html-page-context", language_switch)
