"""The page reader: article extraction, character sets, metadata, blocks, rendering."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest

from ii_desktop.tools.reader import read_html
from ii_desktop.tools.reader_bench import page_scores
from ii_desktop.tools.reader_blocks import linearize
from ii_desktop.tools.reader_charset import choose_charset, decode_body, normalize_label
from ii_desktop.tools.reader_pdf import PdfError, read_pdf
from ii_desktop.tools.reader_prune import is_boilerplate_name, prune
from ii_desktop.tools.reader_text import clean_line, clean_text, render_markdown
from tests.tools.test_visit import make_pdf

SET = Path(__file__).parent / "data" / "reader"
TRUTH = json.loads((SET / "ground-truth.json").read_text(encoding="utf-8"))


def page(page_id: str) -> bytes:
    return gzip.decompress((SET / "html" / f"{page_id}.html.gz").read_bytes())


def parse(html: str):
    import lxml.html

    return lxml.html.document_fromstring(html)


# --- the article ------------------------------------------------------------------------


@pytest.mark.parametrize("page_id", sorted(TRUTH))
def test_each_page_of_the_set_is_read_well(page_id):
    article = read_html(page(page_id), url=TRUTH[page_id]["url"])
    precision, recall = page_scores(article.text, TRUTH[page_id]["articleBody"])
    assert recall >= 0.95
    assert precision >= 0.9
    assert article.title


@pytest.mark.parametrize(
    ("page_id", "furniture"),
    [
        (
            "news-harbor-plan",
            [
                "We use cookies",
                "Read more:",
                "Advertisement",
                "Topics:",
                "Nobody who lives on Bay Street",
                "School board trims",
            ],
        ),
        (
            "blog-sourdough-starter",
            [
                "Leave a Reply",
                "Mine had been in the fridge",
                "Archives",
                "Posted in",
                "Making a rye starter",
            ],
        ),
        (
            "science-bee-navigation",
            [
                "Sign up for our Science newsletter",
                "GardenerJo",
                "A comet will be visible",
                "Credit: University",
            ],
        ),
        (
            "news-bridge-correction",
            ["Get the Coastal Post Daily", "RELATED:", "Marcus Bell covers transportation"],
        ),
        (
            "magazine-night-trains",
            ["Why every city is building", "2.4K claps", "You have 2 free stories left"],
        ),
        ("review-espresso-grinder", ["Today's best deals", "affiliate commission"]),
    ],
)
def test_boilerplate_is_dropped(page_id, furniture):
    text = read_html(page(page_id)).text
    for line in furniture:
        assert line not in text


def test_the_reader_beats_both_extractors_on_the_set():
    from ii_desktop.tools.reader_bench import run_bench

    results, predictions = run_bench(SET)
    ours = results["ii_desktop"]
    assert set(predictions) == set(TRUTH)
    assert ours.f1 >= 0.97
    assert ours.f1 > results["readability"].f1
    if "trafilatura" in results:
        assert ours.f1 > results["trafilatura"].f1


def test_metadata():
    harbor = read_html(page("news-harbor-plan"))
    assert harbor.title == "Council approves $48 million harbor plan after marathon session"
    assert (harbor.byline, harbor.date) == ("Dana Whitfield", "2024-05-14")
    trains = read_html(page("magazine-night-trains"))  # from JSON-LD
    assert (trains.title, trains.byline, trains.date) == (
        "The return of the night train",
        "Felix Ambrose",
        "2024-02-03",
    )
    blog = read_html(page("blog-sourdough-starter"))  # <time> and the <h1>
    assert blog.title == "Reviving a Neglected Sourdough Starter (It's Probably Fine)"
    assert blog.date == "2023-11-08"
    docs = read_html(page("docs-tidepool-sync"))
    assert docs.title == "Synchronising folders"


def test_markdown_keeps_structure_and_links():
    article = read_html(page("tech-blog-sqlite-wal"), url="https://notes.example/posts/wal/")
    md = article.markdown
    assert "## Why the file kept growing" in md
    assert "| Mode | Waits for readers? | Resets the log? |\n|---|---|---|\n| PASSIVE |" in md
    assert "```\nrows = db.execute(" in md
    blog = read_html(page("blog-sourdough-starter")).markdown
    assert "- A tablespoon of your old starter" in blog
    links = read_html(
        b"<html><body><article><p>See <a href='/a/b.html'>the earlier story about the "
        b"harbor</a> for the background to the vote, which took most of the evening and "
        b"ended after midnight.</p></article></body></html>",
        url="https://news.example/x/y",
    )
    assert "[the earlier story about the harbor](https://news.example/a/b.html)" in links.markdown
    assert "See the earlier story about the harbor for" in links.text


def test_text_inside_divs_and_line_breaks_becomes_paragraphs():
    text = read_html(page("press-release-div-br")).text.splitlines()
    assert text[0].startswith("REDBANK, 6 March 2024")
    assert any(line.startswith("A 50 megawatt battery") for line in text)


def test_a_page_that_is_not_an_article_still_gives_its_prose():
    items = "".join(
        f"<div class='entry'><h3>Item {i}</h3><span>Short description number {i} of a product "
        f"in the catalogue, with enough words to read like a sentence.</span></div>"
        for i in range(6)
    )
    article = read_html(f"<html><body>{items}</body></html>")
    assert "Short description number 3" in article.text


@pytest.mark.parametrize(
    "body", [b"", b"   ", b"\x00\x00", b"<html></html>", b"<?xml version='1.0'?><a/>", b"<<<>>>"]
)
def test_empty_or_broken_markup_is_read_without_failing(body):
    article = read_html(body)
    assert article.text.strip() in ("", "<<<>>>")
    assert article.blocks == tuple(article.blocks)


def test_links_and_addresses_never_reach_the_clean_text():
    assert clean_line("Mail dw@example.org or visit https://x.example/a?b=1.") == "Mail or visit ."
    assert clean_line("See www.example.com/page, then (https://a.example) go") == ("See , then go")
    assert clean_text("a\n\n\n\nb  \t c\n") == "a\n\nb c"


# --- pruning and blocks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "furniture"),
    [
        ("cookie-banner", True),
        ("share-tools", True),
        ("jp-relatedposts", True),
        ("comment-list", True),
        ("ad-slot ad-inline", True),
        ("newsletter-signup", True),
        ("sidebar", True),
        ("story-body", False),
        ("entry-content", False),
        ("header-image-credit", True),
        ("commentary-body", False),
        ("reading-list", False),
        ("shadow", False),
        ("badge", False),
    ],
)
def test_boilerplate_names(name, furniture):
    assert is_boilerplate_name(name) is furniture


def test_prune_never_removes_the_element_holding_the_article():
    paragraphs = "".join(f"<p>{'Long paragraph text. ' * 10}</p>" for _ in range(4))
    root = parse(
        f"<html><body><div class='layout has-sidebar'>{paragraphs}</div>"
        "<div class='sidebar'><p>Widget</p></div></body></html>"
    )
    prune(root)
    assert len(root.findall(".//p")) == 4
    assert root.find(".//div[@class='sidebar']") is None


def test_blocks_of_lists_tables_and_code():
    root = parse(
        "<html><body><h2>Steps</h2><ol><li>One<ul><li>One and a half</li></ul></li>"
        "<li><p>Two</p></li></ol><pre>line 1\n  line 2</pre>"
        "<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>"
        "<blockquote>Quoted words</blockquote></body></html>"
    )
    blocks = linearize(root)
    assert [(b.kind, b.level, b.text) for b in blocks] == [
        ("h", 2, "Steps"),
        ("li", 1, "One"),
        ("li", 2, "One and a half"),
        ("li", 1, "Two"),
        ("pre", 0, "line 1\n  line 2"),
        ("row", 0, "A | B"),
        ("row", 0, "1 | 2"),
        ("quote", 0, "Quoted words"),
    ]
    assert render_markdown(blocks) == (
        "## Steps\n\n- One\n  - One and a half\n- Two\n\n```\nline 1\n  line 2\n```\n\n"
        "| A | B |\n|---|---|\n| 1 | 2 |\n\n> Quoted words"
    )


# --- character sets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page_id", "words"),
    [
        ("news-de-bahnstrecke", "Sturm „Gisela“"),
        ("news-ja-sakura", "桜（ソメイヨシノ）が開花"),
        ("news-ru-teplo", "Отопительный сезон"),
        ("fr-bibliotheque-no-charset", "Élodie Ferrand"),
    ],
)
def test_pages_in_other_charsets_decode(page_id, words):
    text = decode_body(page(page_id))
    assert words in text
    assert "\ufffd" not in text


def test_charset_evidence_order():
    latin = "Grüße aus Köln".encode("cp1252")
    assert choose_charset(codecs.BOM_UTF8 + b"x", "cp1252") == "utf-8"  # BOM first
    assert choose_charset(b'<meta charset="koi8-r">' + latin, "windows-1252") == "cp1252"
    assert choose_charset(b'<meta charset="koi8-r">' + latin) == "koi8_r"
    assert choose_charset(b"<?xml version='1.0' encoding='ISO-8859-2'?><p>x</p>") == "iso8859_2"
    assert choose_charset("plain ütf".encode()) == "utf-8"
    # a page labelled UTF-8 that is not is read by detection instead
    assert decode_body(b'<meta charset="utf-8"><p>' + latin * 20 + b"</p>").count("Grüße") == 20
    assert decode_body(codecs.BOM_UTF16_LE + "hi".encode("utf-16-le")) == "hi"


def test_charset_labels_are_widened_like_browsers_do():
    assert normalize_label("ISO-8859-1") == "cp1252"
    assert normalize_label("latin1") == "cp1252"
    assert normalize_label("Shift_JIS") == "cp932"
    assert normalize_label("gb2312") == "gb18030"
    assert normalize_label("no-such-charset") is None
    assert normalize_label(None) is None


# --- PDF ----------------------------------------------------------------------------------


def test_pdf_pages_are_marked():
    pdf = read_pdf(make_pdf(["Alpha page text.", "", "Gamma (third) page."]))
    assert pdf.pages == 3
    assert pdf.text == "[Page 1]\nAlpha page text.\n\n[Page 3]\nGamma (third) page."
    assert pdf.title == "Alpha page text."
    assert "## Page 3" in pdf.markdown


def test_a_file_that_is_not_a_pdf_raises():
    with pytest.raises(PdfError):
        read_pdf(b"%PDF-1.7 garbage")


@pytest.mark.parametrize(
    ("line", "noise"),
    [
        ("Advertisement", True),
        ("Share this story", True),
        ("Photo: Marcus Lee / The Herald", True),
        ("Updated: May 4, 2024", True),
        ("By Jane Doe and Sam Lee", True),
        ("Read more: What we know about the plan", True),
        ("Note", True),
        ("Shares of the company fell 5% on Monday.", False),
        ("Photographers gathered outside the court.", False),
        ("Updated guidance from the agency arrived.", False),
        ("By default the tool syncs both ways.", False),
        ("Sources say the deal is close.", False),
        ("Yes.", False),
    ],
)
def test_furniture_lines(line, noise):
    from ii_desktop.tools.reader import _is_noise, _norm
    from ii_desktop.tools.reader_blocks import Block
    from ii_desktop.tools.reader_meta import PageMeta

    assert _is_noise(Block("p", line, line), _norm(line), set(), PageMeta()) is noise
