"""Paper as people use it: the 评单卡 prints on one A6 page in Chromium, its instruction line on
one line (Chromium ignores `@page { size: A6 }` and prints Letter; the card says 105mm 148mm)."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright", reason="playwright is not installed")

from ui import rating_card  # noqa: E402
from ui.i18n import words_in  # noqa: E402

A6_POINTS = (105 / 25.4 * 72, 148 / 25.4 * 72)   # 297.6 × 419.5 pt
CONTENT_PX = round((105 - 2 * 7) / 25.4 * 96)    # the width inside the page margins


@pytest.fixture
def card(tmp_path, monkeypatch):
    monkeypatch.setattr(rating_card, "t", words_in("zh"))
    html = rating_card.card_html(title="家庭医生进村义诊与健康讲座（第二期）",
                                 team="家庭医生义诊小队", day="2026-03-01",
                                 until="2026-03-15 18:00",
                                 url="https://diandan.example.gov.cn/?rate=" + "x" * 43)
    path = tmp_path / "card.html"
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
