"""Paper as people use it: the 评单卡 and the 服务卡 print on one A6 page in Chromium, their
instruction line on one line (Chromium ignores `@page { size: A6 }` and prints Letter; the card
says 105mm 148mm), and the QR code Chromium draws on them reads back as the link."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright", reason="playwright is not installed")

from ui import progress_card, rating_card  # noqa: E402
from ui.i18n import words_in  # noqa: E402

A6_POINTS = (105 / 25.4 * 72, 148 / 25.4 * 72)   # 297.6 × 419.5 pt
CONTENT_PX = round((105 - 2 * 7) / 25.4 * 96)    # the width inside the page margins


RATING_URL = "https://diandan.example.gov.cn/?rate=" + "x" * 43
PROGRESS_URL = "https://diandan.example.gov.cn/?progress=" + "Ab-_9" * 8 + "xyz"


def decode_qr(png: bytes) -> str:
    """The text of the one QR code in a screenshot, read by zxing-cpp (a real decoder)."""
    import io

    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"{len(found)} QR codes read"
    return found[0].text


@pytest.fixture(params=["rating", "progress"])
def card(request, tmp_path, monkeypatch):
    monkeypatch.setattr(rating_card, "t", words_in("zh"))
    monkeypatch.setattr(progress_card, "t", words_in("zh"))
    title = "家庭医生进村义诊与健康讲座（第二期）"
    if request.param == "rating":
        html = rating_card.card_html(title=title, team="家庭医生义诊小队", day="2026-03-01",
                                     until="2026-03-15 18:00", url=RATING_URL)
    else:
        html = progress_card.card_html(title=title, code="DD-2026-000123", placed="2026-03-01",
                                       until="2026-04-30 18:00", url=PROGRESS_URL)
    path = tmp_path / f"{request.param}.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_the_rating_card_prints_on_one_a6_page(chromium, card, tmp_path):
    page = chromium.new_page()
    try:
        page.goto(card.as_uri())
        pdf = page.pdf(prefer_css_page_size=True)
    finally:
        page.close()
    (tmp_path / "card.pdf").write_bytes(pdf)
    pages = re.findall(rb"/Type\s*/Page\b(?!s)", pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert len(pages) == 1
    width, height = (float(x) for x in boxes[0])
    assert abs(width - A6_POINTS[0]) < 2 and abs(height - A6_POINTS[1]) < 2


def test_the_instruction_line_does_not_break_a_character_onto_a_second_line(chromium, card):
    page = chromium.new_page(viewport={"width": CONTENT_PX, "height": 560})
    try:
        page.emulate_media(media="print")
        page.goto(card.as_uri())
        height, size = page.evaluate("""() => {
            const how = document.querySelector('.how');
            return [how.getBoundingClientRect().height, parseFloat(getComputedStyle(how).fontSize)];
        }""")
    finally:
        page.close()
    assert height < 2 * size, (height, size)  # one line: under two font heights


def test_the_qr_code_on_the_card_reads_back_as_the_link(chromium, card):
    pytest.importorskip("zxingcpp", reason="zxing-cpp not installed: "
                        "pip install -r requirements-dev.txt")
    page = chromium.new_page()
    try:
        page.emulate_media(media="print")
        page.goto(card.as_uri())
        text = decode_qr(page.locator("svg").screenshot())
    finally:
        page.close()
    assert text == (RATING_URL if card.stem == "rating" else PROGRESS_URL)
