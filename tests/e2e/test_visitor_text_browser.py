"""Visitor text in a real browser: a class server, the teacher and two students, each in a
browser context of their own.

Eve (a hostile name) trains on a ZIP whose top folder and class folders carry Markdown
and HTML, renames the run to a hostile title and shares it; the teacher opens a design
link whose name is hostile and sends it to the class; Eve puts hostile texts in her
presentation and exports it. Every page, in every browser, must show those texts as
text: no <a> or <img> made from them, and Chromium asks no origin but the app's server
for anything. The exported presentation, opened from disk, asks no origin at all.
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image

from cnnviz.design.export import encode_spec
from cnnviz.train.ids import is_run_id
from tests.e2e.conftest import SCRIPT_RUN_TIMEOUT_MS, screenshot_dir, serve_app, wait_idle

KEY = "teach-e2e-key"
EVE = "__Eve__ www.evil.example"  # what the join form lets through: letters, _ . ' -
TITLE = "my run ![x](https://evil.example/t.png) [CLICK](https://evil.example)"
DESIGN = (
    "net ![x](https://evil.example/d.png) [CLICK](https://evil.example) <b>www.evil.example</b>"
)
TOP = "my set ![x](https:evil.example?pixel) [CLICK](https:evil.example)"
CLASSES = (
    "c0 [CLICK](https:evil.example) <img src=x>",
    "c1 ![y](https:evil.example?p2) <a href='https:evil.example'>a</a>",
)
WHO = "Eve <img src='https://evil.example/w.png'> [CLICK](https://evil.example)"
SPEC = {
    "name": DESIGN,
    "input": [3, 64, 64],
    "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 4},
        {"type": "flatten"},
        {"type": "linear", "out_features": 2},
    ],
}
PAGES = ("design", "train", "inspect", "runs", "learn", "present")
# an element in any frame that loads or links the visitor's host, or a link made of its text
LIVE = """() => {
    const where = (el) => {  // the Streamlit element it is in, and that element's text
        const box = el.closest('[data-testid^="st"]:not([data-testid="stMarkdownContainer"])');
        return box ? `${box.dataset.testid}: ${box.textContent.slice(0, 200)} :: ` : '';
    };
    const bad = [];
    for (const el of document.querySelectorAll('a, img, image, iframe, source, link, script, use')) {
        for (const attr of ['href', 'src', 'xlink:href', 'srcset']) {
            const v = el.getAttribute(attr) || '';
            // a data: URL is the page's own picture (its base64 can spell "pixel" by chance)
            if (!v.startsWith('data:') && /evil|pixel/i.test(v)) bad.push(where(el) + el.outerHTML.slice(0, 160));
        }
        if (el.tagName.toLowerCase() === 'a' && /CLICK|evil/i.test(el.textContent))
            bad.push(where(el) + el.outerHTML.slice(0, 160));
    }
    return bad;
}"""


def _zip(path: Path) -> Path:
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, cls in enumerate(CLASSES):
            for i in range(12):
                pic = rng.integers(0, 60, (16, 16, 3), dtype=np.uint8)
                pic[:, :, k] += 180  # class 0 reddish, class 1 greenish
                png = io.BytesIO()
                Image.fromarray(pic).save(png, format="PNG")
                z.writestr(f"{TOP}/{cls}/{i:03d}.png", png.getvalue())
    path.write_bytes(buf.getvalue())
    return path


@pytest.fixture(scope="module")
def class_server(browser, tmp_path_factory) -> tuple[str, Path]:
    """(the class server's URL, its runs folder)."""
    env = {
        "CNNVIZ_CLASS": "1",
        "CNNVIZ_TEACHER_KEY": KEY,
        "CNNVIZ_TRAIN_IMAGES": "300",
    }
    base = tmp_path_factory.mktemp("class-text")
    with serve_app(base, env) as url:
        yield url, base / "runs"


class Watched:
    """A browser context, its pages, and every URL Chromium asked for from it."""

    def __init__(self, browser, name: str) -> None:
        self.name = name
        self.ctx = browser.new_context(
            viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        self.ctx.set_default_timeout(SCRIPT_RUN_TIMEOUT_MS)
        self.urls: list[str] = []
        self.ctx.on("request", lambda r: self.urls.append(r.url))
        self.page = self.ctx.new_page()
        self.page.on("websocket", lambda ws: self.urls.append(ws.url))

    def open(self, url: str) -> None:
        self.page.goto(url, wait_until="domcontentloaded")
        wait_idle(self.page, 120_000)

    def live(self) -> list[str]:
        found = []
        for frame in self.page.frames:
            with contextlib.suppress(Exception):
                found += frame.evaluate(LIVE)
        return found

    def outside(self, origin: str) -> list[str]:
        host = urlsplit(origin).netloc
        return [
            u
            for u in self.urls
            if urlsplit(u).scheme not in ("data", "blob", "about") and urlsplit(u).netloc != host
        ]


def _before_url(text: str) -> str:
    """The text up to its first URL (a page shows "https:⁠//" and "www⁠." with a word joiner)."""
    return re.split(r"//|www", text)[0]


def _join(w: Watched, url: str, name: str) -> None:
    w.open(f"{url}/design")
    w.page.get_by_text("Join the class").first.wait_for()
    w.page.get_by_label("Your name", exact=True).and_(w.page.locator("input")).fill(name)
    w.page.get_by_role("button", name="Join", exact=True).click()
    w.page.get_by_text(f"Signed in as {_before_url(name)}").wait_for(timeout=120_000)


def _teacher(w: Watched, url: str) -> None:
    w.open(f"{url}/design")
    w.page.get_by_text("I am the teacher").click()
    w.page.get_by_label("Teacher key", exact=True).and_(w.page.locator("input")).fill(KEY)
    w.page.get_by_role("button", name="Unlock the teacher's view").click()
    w.page.get_by_text("Signed in as Teacher").wait_for(timeout=120_000)


def _button(page, name: str):
    return page.locator('[data-testid^="stBaseButton"]').filter(has_text=name).first


def _train_on_the_zip(w: Watched, url: str, zip_path: Path, runs: Path) -> str:
    """Train the design on the ZIP (the design rides in the URL: a new URL is a new session)."""
    page = w.page
    w.open(f"{url}/train?net={encode_spec(SPEC)}")
    page.get_by_text("Dataset").first.wait_for()
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Dataset").first.click()
    page.get_by_role("option", name="Your own images (folder or ZIP)").click()
    wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(zip_path))
    page.get_by_text("2 classes").first.wait_for(timeout=120_000)
    page.get_by_text("The network fits this data").wait_for(timeout=240_000)
    box = page.get_by_role("spinbutton", name="Epochs", exact=True).first
    box.fill("1")
    box.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Start training", exact=True).click()
    page.get_by_text("Training finished").first.wait_for(timeout=300_000)
    (run,) = [p.name for p in runs.iterdir() if is_run_id(p.name)]
    return run


def test_visitor_text_is_text_in_every_browser(browser, class_server, tmp_path) -> None:
    class_url, runs = class_server
    teacher, eve, bob = (Watched(browser, n) for n in ("teacher", "eve", "bob"))
    try:
        _teacher(teacher, class_url)
        _join(eve, class_url, EVE)
        _join(bob, class_url, "Bob")

        # the teacher opens a design link with a hostile name and sends it to the class
        teacher.open(f"{class_url}/design?net={encode_spec(SPEC)}")
        teacher.open(f"{class_url}/teacher?net={encode_spec(SPEC)}")
        teacher.page.get_by_text(f"Your current design: {_before_url(DESIGN)}").wait_for()
        _button(teacher.page, "Send to class").click()
        teacher.page.get_by_text("Sent: every student sees it").wait_for()

        # Eve opens it from her banner and trains it on her ZIP
        eve.open(f"{class_url}/design")
        eve.page.get_by_text(f"Your teacher sent a design: {_before_url(DESIGN)}").wait_for(
            timeout=60_000
        )
        _button(eve.page, "Open").click()
        wait_idle(eve.page)
        run = _train_on_the_zip(
            eve, class_url, _zip(tmp_path / "![z](https:evil.example?zip).zip"), runs
        )

        # she renames the run and shares it
        eve.open(f"{class_url}/runs?run={run}")
        title = eve.page.get_by_label("Title", exact=True)
        title.fill(TITLE)
        title.press("Enter")
        _button(eve.page, "Rename").click()
        eve.page.get_by_text(_before_url(TITLE)).first.wait_for()
        _button(eve.page, "Share to the Class gallery").click()
        _button(eve.page, "Take out of the Class gallery").wait_for()

        # her presentation's title and a presenter's name, then the export
        eve.open(f"{class_url}/present?run={run}")
        for label, text in (("Title", TITLE), ("Who (presenter)", WHO)):
            box = eve.page.get_by_label(label, exact=True).first
            box.fill(text)
            box.press("Enter")
            wait_idle(eve.page)
        with eve.page.expect_download(timeout=120_000) as got:
            _button(eve.page, "Export HTML").click()
        exported = tmp_path / "presentation.html"
        got.value.save_as(exported)

        # every page in every browser: the texts shown, none of them live
        shown = {w.name: "" for w in (teacher, eve, bob)}
        for w in (teacher, eve, bob):
            for p in (*PAGES, *(("teacher",) if w is teacher else ())):
                w.open(
                    f"{class_url}/{p}?run={run}"
                    if p in ("inspect", "present", "runs")
                    else f"{class_url}/{p}"
                )
                w.page.wait_for_timeout(500)  # charts draw after the script run
                assert not w.live(), (w.name, p, w.live())
                # the word joiner for_markdown puts in "https:⁠//" is invisible
                shown[w.name] += w.page.locator("body").inner_text().replace("\u2060", "")
        for name, text in shown.items():
            (screenshot_dir() / f"visitor-text-{name}.txt").write_text(text)
        everywhere = "\n".join(shown.values())
        # each was on some page, as typed (the class names only where the run's data loads:
        # an uploaded ZIP's images are not read again by Inspect on a class server)
        for text in (EVE, TITLE, DESIGN, TOP):
            assert " ".join(text.split()) in " ".join(everywhere.split()), text
        for w in (teacher, eve, bob):
            assert not w.outside(class_url), (w.name, w.outside(class_url))

        # the exported file, opened from disk: the texts are text, and nothing is fetched
        html = exported.read_text()
        assert "evil.example/w.png'>" not in html and "<img src='https://evil" not in html
        offline = Watched(browser, "offline")
        offline.page.goto(exported.as_uri(), wait_until="load")
        offline.page.locator("body[data-charts=drawn]").wait_for(timeout=60_000)
        assert not offline.live(), offline.live()
        body = offline.page.locator("body").inner_text()
        assert TITLE in body and WHO in body
        assert all(urlsplit(u).scheme in ("file", "data", "blob", "about") for u in offline.urls), (
            offline.urls
        )
        offline.ctx.close()
    except Exception:
        for w in (teacher, eve, bob):
            with contextlib.suppress(Exception):
                w.page.screenshot(
                    path=str(screenshot_dir() / f"visitor-text-{w.name}-failed.png"), full_page=True
                )
        raise
    finally:
        for w in (teacher, eve, bob):
            w.ctx.close()
