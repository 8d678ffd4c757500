"""The review page: one self-contained HTML file an expert opens in a browser, marks each
answer pass or fail with an optional comment, and downloads as the review sheet CSV
(`review_sheet`), which `eval review --import` reads back.

Nothing is fetched and nothing is sent anywhere: the page's Content-Security-Policy allows only
its own inline style and script. Every text from the run (inputs, answers) is HTML-escaped where
the page shows it, and reaches the script as JSON inside a `<script type="application/json">`
block with `<` escaped, so no answer can end the block or run as code. Marks are kept in the
browser's local storage as they are made, so closing the tab loses nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from html import escape

import orjson

from sluicegate.evals.review_marks import Mark
from sluicegate.evals.review_sheet import SheetRow, header, mark_word

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem auto;
  max-width: 90rem; padding: 0 1.2rem; color: #1f2328; line-height: 1.45; }
header.top { position: sticky; top: 0; background: #fff; padding: 0.6rem 0;
  border-bottom: 1px solid #d1d9e0; display: flex; gap: 1rem; align-items: center; z-index: 1; }
header.top h1 { font-size: 1.2rem; margin: 0; flex: 1; }
button { font: inherit; padding: 0.35rem 0.9rem; border-radius: 6px; border: 1px solid #1f883d;
  background: #1f883d; color: #fff; cursor: pointer; }
article { border: 1px solid #d1d9e0; border-radius: 8px; margin: 1.2rem 0; padding: 0.8rem 1rem; }
article.done { border-color: #1f883d; }
h2 { font-size: 1rem; margin: 0 0 0.5rem; }
.text { white-space: pre-wrap; background: #f6f8fa; border-radius: 6px; padding: 0.5rem 0.7rem;
  margin: 0.2rem 0 0.6rem; max-height: 22rem; overflow: auto; }
.label { font-weight: 600; color: #59636e; font-size: 0.85rem; }
.answers { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; }
.answer { border-top: 3px solid #d1d9e0; padding-top: 0.4rem; }
fieldset { border: none; padding: 0; margin: 0.3rem 0; display: flex; gap: 1rem; }
textarea { width: 100%; box-sizing: border-box; font: inherit; min-height: 2.5rem; }
.missing { color: #cf222e; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("review-data").textContent);
  var storeKey = "sluicegate-review:" + data.run;
  var saved = {};
  try { saved = JSON.parse(window.localStorage.getItem(storeKey) || "{}"); } catch (e) {}
  function field(row, p, kind) {
    return document.querySelector('[data-row="' + row + '"][data-prompt="' + p + '"]' +
      '[data-kind="' + kind + '"]');
  }
  function verdict(row, p) {
    var checked = document.querySelector('input[name="v-' + row + '-' + p + '"]:checked');
    return checked ? checked.value : "";
  }
  function save() {
    var state = {};
    data.rows.forEach(function (r, row) {
      data.prompts.forEach(function (_, p) {
        var v = verdict(row, p), c = field(row, p, "comment").value;
        if (v || c) { state[r.item + "\\u0000" + p] = [v, c]; }
      });
    });
    try { window.localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) {}
    count();
  }
  function count() {
    var marked = 0, total = 0;
    data.rows.forEach(function (r, row) {
      var all = true;
      data.prompts.forEach(function (_, p) {
        if (r.answers[p] === null) { return; }
        total += 1;
        if (verdict(row, p)) { marked += 1; } else { all = false; }
      });
      document.getElementById("item-" + row).classList.toggle("done", all);
    });
    document.getElementById("progress").textContent = marked + " of " + total + " answers marked";
  }
  function restore() {
    data.rows.forEach(function (r, row) {
      data.prompts.forEach(function (_, p) {
        var s = saved[r.item + "\\u0000" + p];
        if (!s) { return; }
        var radio = document.querySelector(
          'input[name="v-' + row + '-' + p + '"][value="' + s[0] + '"]');
        if (radio) { radio.checked = true; }
        field(row, p, "comment").value = s[1] || "";
      });
    });
  }
  function quote(text) { return '"' + String(text).replace(/"/g, '""') + '"'; }
  function csv() {
    var lines = [data.header.map(quote).join(",")];
    data.rows.forEach(function (r, row) {
      var cells = [r.item, r.input, r.expected];
      data.prompts.forEach(function (_, p) {
        cells.push(r.answers[p] === null ? "" : r.answers[p], verdict(row, p),
                   field(row, p, "comment").value);
      });
      lines.push(cells.map(quote).join(","));
    });
    return "\\ufeff" + lines.join("\\r\\n") + "\\r\\n";
  }
  function download() {
    var blob = new Blob([csv()], {type: "text/csv;charset=utf-8"});
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = data.filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }
  restore();
  document.addEventListener("change", save);
  document.addEventListener("input", save);
  Array.prototype.forEach.call(document.querySelectorAll("button.download"), function (b) {
    b.addEventListener("click", download);
  });
  count();
})();
"""


def review_page(
    rows: Sequence[SheetRow], prompts: Sequence[str], *, title: str, run_key: str
) -> str:
    """The page as HTML5. `run_key` tells runs apart in the browser's storage."""
    data = {
        "run": hashlib.sha256(run_key.encode()).hexdigest()[:16],
        "filename": "review.csv",
        "header": header(prompts),
        "prompts": list(prompts),
        "rows": [
            {
                "item": row.item,
                "input": row.input,
                "expected": row.expected,
                "answers": [answer if answer else None for answer in row.answers],
            }
            for row in rows
        ],
    }
    payload = orjson.dumps(data).decode().replace("<", "\\u003c")
    articles = "\n".join(_article(index, row, prompts) for index, row in enumerate(rows))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<header class="top"><h1>{escape(title)}</h1><span id="progress"></span>'
        '<button type="button" class="download">Download CSV</button></header>\n'
        "<p>Mark each answer <b>pass</b> or <b>fail</b> and add a comment where it helps. Marks "
        "are kept in this browser as you go. When done, download the CSV and import it with "
        "<code>sluicegate eval review RUNDIR --import review.csv</code>.</p>\n"
        f"{articles}\n"
        '<p><button type="button" class="download">Download CSV</button></p>\n'
        f'<script type="application/json" id="review-data">{payload}</script>\n'
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def _article(row: int, item: SheetRow, prompts: Sequence[str]) -> str:
    expected = (
        f'<div class="label">Expected</div><div class="text">{escape(item.expected)}</div>'
        if item.expected
        else ""
    )
    answers = "".join(
        _answer(row, index, spec, answer, item.marks[index])
        for index, (spec, answer) in enumerate(zip(prompts, item.answers, strict=True))
    )
    return (
        f'<article id="item-{row}"><h2>Item {escape(item.item)}</h2>'
        f'<div class="label">Input</div><div class="text">{escape(item.input)}</div>{expected}'
        f'<div class="answers">{answers}</div></article>'
    )


def _answer(row: int, index: int, spec: str, answer: str, mark: Mark | None) -> str:
    name = f"v-{row}-{index}"
    if not answer:
        return (
            f'<div class="answer"><div class="label">{escape(spec)}</div>'
            '<p class="missing">No answer (the request failed).</p>'
            f'<textarea hidden data-row="{row}" data-prompt="{index}" data-kind="comment">'
            "</textarea></div>"
        )
    passed = mark.passed if mark is not None else None
    comment = mark.comment if mark is not None else ""
    checked = mark_word(passed) if passed is not None else None
    radios = "".join(
        f'<label><input type="radio" name="{name}" value="{value}"'
        f"{' checked' if checked == value else ''}> {value}</label>"
        for value in (mark_word(True), mark_word(False))
    )
    return (
        f'<div class="answer"><div class="label">{escape(spec)}</div>'
        f'<div class="text">{escape(answer)}</div>'
        f'<fieldset aria-label="verdict for {escape(spec, quote=True)}">{radios}</fieldset>'
        f'<textarea placeholder="comment" data-row="{row}" data-prompt="{index}" '
        f'data-kind="comment">{escape(comment)}</textarea></div>'
    )
