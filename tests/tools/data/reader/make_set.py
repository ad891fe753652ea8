"""Rebuild the reader test set: ``python tests/tools/data/reader/make_set.py``.

Writes ``html/<id>.html.gz`` and ``ground-truth.json`` in the layout of the public
article-extraction benchmark. Every page is written out in ``pages_*.py`` beside this
file; the article's own blocks carry a ``data-gt`` attribute, which is how the ground
truth is read off the page and is removed before the page is saved.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

import lxml.html

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from pages_a import PAGES as PAGES_A  # noqa: E402
from pages_b import PAGES as PAGES_B  # noqa: E402
from pages_c import PAGES as PAGES_C  # noqa: E402

MARK = re.compile(r"\s+data-gt(?=[\s>])")


def ground_truth(html: str) -> str:
    root = lxml.html.document_fromstring(html)
    blocks = []
    for el in root.iter():
        if not isinstance(el.tag, str) or "data-gt" not in el.attrib:
            continue
        if el.tag == "pre":
            text = "\n".join(line.rstrip() for line in el.text_content().strip("\n").splitlines())
        elif el.tag == "tr":
            text = " ".join(" ".join(c.text_content().split()) for c in el)
        else:
            text = " ".join(el.text_content().split())
        if text:
            blocks.append(text)
    return "\n".join(blocks)


def main() -> None:
    out = HERE / "html"
    out.mkdir(exist_ok=True)
    truth = {}
    for page in [*PAGES_A, *PAGES_B, *PAGES_C]:
        html = page["html"]
        truth[page["id"]] = {"articleBody": ground_truth(html), "url": page["url"]}
        raw = MARK.sub("", html).encode(page.get("encoding", "utf-8"))
        (out / f"{page['id']}.html.gz").write_bytes(gzip.compress(raw, mtime=0))
    (HERE / "ground-truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"{len(truth)} pages written to {out}")


if __name__ == "__main__":
    main()
