"""Layout and accessibility checks any browser test can run on the page it has open.

- `assert_no_broken_cells(page)`: no table cell breaks a name, number, status or date inside a word, badges and
  buttons stay on one line, and the page itself never scrolls sideways (a wide table scrolls inside its box).
- `assert_error_summary_on_top(page)`: after a failed form, the error summary sits above the page heading and the
  keyboard focus is on the first field in error.
- `assert_labels_and_contrast(page)`: every form control has a label, and text contrast meets WCAG 2.2 AA
  (4.5:1, or 3:1 for large text; 3:1 for the edge of a text box), computed from the styles the browser applied.
- `assert_focus_visible(page)`: the keyboard focus ring shows on links, buttons and fields.

Each check runs in the page and returns what failed, so the assertion message names the offending text.
"""

# A text run that must sit on one line: a date, a number, a code (member number, mobile, masked ID, username), or
# a short run of Chinese without spaces (a name, an organisation, a status). Longer Chinese is a sentence and
# may wrap, as may text the page marks as free text (.wrap).
_BROKEN_CELLS_JS = r"""
() => {
  const ATOMIC = [
    /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/,
    /^[-+]?\d[\d,]*(\.\d+)?%?$/,
    /^[A-Za-z0-9][A-Za-z0-9\-_.@*\/:]*$/,
    /^[\u3400-\u9fff\uff08\uff09()·A-Za-z0-9\-]{1,20}$/,
  ];
  const lines = (range) => {
    const tops = [];
    for (const rect of range.getClientRects()) {
      if (rect.width < 1 || rect.height < 1) continue;
      if (!tops.some((t) => Math.abs(t - rect.top) < rect.height / 2)) tops.push(rect.top);
    }
    return tops.length;
  };
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const failures = [];
  for (const table of document.querySelectorAll("table")) {
    if (!visible(table)) continue;
    const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      // Body cells only: a column heading may wrap onto two lines over a narrow column of numbers.
      if (!text || !node.parentElement.closest("td, tbody th") || !visible(node.parentElement)) continue;
      if (node.parentElement.closest(".wrap")) continue;  // free text the page lets wrap (a requirement, an opinion)
      if (!ATOMIC.some((re) => re.test(text))) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const n = lines(range);
      if (n > 1) failures.push(`单元格文字被折成 ${n} 行：「${text}」（#${table.id || "table"}）`);
    }
  }
  for (const el of document.querySelectorAll(".badge, .button, button, .topnav a")) {
    if (!visible(el) || !el.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const n = lines(range);
    if (n > 1) failures.push(`徽章或按钮折成 ${n} 行：「${el.textContent.trim()}」`);
  }
  const page = document.scrollingElement;
  if (page.scrollWidth > window.innerWidth + 1) {
    failures.push(`页面横向溢出：内容宽 ${page.scrollWidth}px，窗口宽 ${window.innerWidth}px`);
  }
  for (const table of document.querySelectorAll("table")) {
    if (!visible(table)) continue;
    const box = table.parentElement;
    const scrolls = ["auto", "scroll"].includes(getComputedStyle(box).overflowX);
    if (table.getBoundingClientRect().width > box.clientWidth + 1 && !scrolls) {
      failures.push(`表格 #${table.id || "table"} 比所在区域宽，且区域不能横向滚动`);
    }
  }
  return failures;
}
"""

_ERROR_SUMMARY_JS = r"""
() => {
  const failures = [];
  const summary = document.querySelector(".error-summary");
  if (!summary || summary.getClientRects().length === 0) return ["页面上没有错误摘要（.error-summary）"];
  if (summary.getAttribute("role") !== "alert") failures.push("错误摘要没有 role=alert");
  const main = document.querySelector("main");
  const heading = main && main.querySelector("h1");
  if (!main || !main.contains(summary)) failures.push("错误摘要不在正文（main）中");
  if (heading && (summary.compareDocumentPosition(heading) & Node.DOCUMENT_POSITION_FOLLOWING) === 0) {
    failures.push("错误摘要不在页面标题之上");
  }
  const top = summary.getBoundingClientRect().top + window.scrollY;
  if (top > 600) failures.push(`错误摘要离页面顶部 ${Math.round(top)}px，不在页面顶部`);
  for (const link of summary.querySelectorAll("a[href^='#']")) {
    if (!document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)))) {
      failures.push(`错误摘要的链接指向不存在的字段：${link.getAttribute("href")}`);
    }
  }
  const first = document.querySelector("[aria-invalid='true']:not([type='hidden'])");
  const active = document.activeElement;
  if (first && active !== first) {
    failures.push(`焦点不在第一个出错的字段上：焦点在 ${active ? active.tagName + "#" + active.id : "无"}，应为 #${first.id}`);
  }
  if (!first && active !== summary) failures.push("没有出错字段时，焦点应在错误摘要上");
  return failures;
}
"""

_LABELS_AND_CONTRAST_JS = r"""
() => {
  const failures = [];
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  for (const control of document.querySelectorAll("input, select, textarea")) {
    if (control.type === "hidden" || !visible(control)) continue;
    const labelled = [...(control.labels || [])].some((l) => l.textContent.trim())
      || (control.getAttribute("aria-label") || "").trim()
      || (control.getAttribute("aria-labelledby") || "").split(/\s+/).some((id) => {
        const el = id && document.getElementById(id);
        return el && el.textContent.trim();
      });
    if (!labelled) failures.push(`输入框没有标签：${control.tagName.toLowerCase()}#${control.id || control.name}`);
  }

  const parse = (value) => {
    const m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[,\s/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const luminance = (c) => {
    const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  };
  const ratio = (x, y) => {
    const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p);
    return (hi + 0.05) / (lo + 0.05);
  };
  // The colour behind an element: its own and its ancestors' backgrounds composited down to white.
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== "none") return null;  // a picture behind the text: not measurable here
      const bg = parse(style.backgroundColor);
      if (bg && bg.a > 0) {
        layers.push(bg);
        if (bg.a >= 1) break;
      }
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), { r: 255, g: 255, b: 255, a: 1 });
  };
  // WCAG 1.4.11: a text box's edge must stand out (3:1) from what surrounds it, or the field is invisible.
  for (const control of document.querySelectorAll("input, select, textarea")) {
    if (["hidden", "checkbox", "radio", "submit", "button", "file"].includes(control.type) || !visible(control)) continue;
    const style = getComputedStyle(control);
    const edge = parse(style.borderTopColor);
    const around = background(control.parentElement);
    if (!edge || !around || parseFloat(style.borderTopWidth) === 0) continue;
    const measured = ratio(over(edge, around), around);
    if (measured + 0.005 < 3) {
      failures.push(`输入框边框对比度 ${measured.toFixed(2)}:1 低于 3:1：${control.tagName.toLowerCase()}#${control.id || control.name}`);
    }
  }
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.textContent.trim();
    if (!text || seen.has(el) || !visible(el) || el.closest("script, style, noscript, option")) continue;
    seen.add(el);
    const rect = el.getBoundingClientRect();
    if (rect.right < 0 || rect.bottom + window.scrollY < 0) continue;  // off-screen until focused (skip link)
    const style = getComputedStyle(el);
    const fg = parse(style.color);
    const bg = background(el);
    if (!fg || !bg) continue;
    let opacity = 1;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
    const colour = over({ ...fg, a: fg.a * opacity }, bg);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const needed = large ? 3 : 4.5;
    const measured = ratio(colour, bg);
    if (measured + 0.005 < needed) {
      failures.push(`对比度 ${measured.toFixed(2)}:1 低于 ${needed}:1：「${text.slice(0, 20)}」（${el.tagName.toLowerCase()}.${el.className}）`);
    }
  }
  return failures;
}
"""

_FOCUS_RING_JS = r"""
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== "none";
  return { ring, what: `${el.tagName.toLowerCase()}「${(el.textContent || el.name || el.id || "").trim().slice(0, 16)}」` };
}
"""


def _report(title: str, failures: list[str], url: str) -> str:
    return f"{title}（{url}）：\n" + "\n".join(failures[:30])


def assert_no_broken_cells(page) -> None:
    failures = page.evaluate(_BROKEN_CELLS_JS)
    assert not failures, _report("表格排版", failures, page.url)


def assert_error_summary_on_top(page) -> None:
    failures = page.evaluate(_ERROR_SUMMARY_JS)
    assert not failures, _report("错误摘要", failures, page.url)


def assert_labels_and_contrast(page) -> None:
    failures = page.evaluate(_LABELS_AND_CONTRAST_JS)
    assert not failures, _report("标签与对比度", failures, page.url)


def assert_focus_visible(page, presses: int = 8) -> None:
    """Tabbing through the first controls of the page, each one shows a focus ring."""
    page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); }")
    failures = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUS_RING_JS)
        if focused and not focused["ring"]:
            failures.append(f"获得焦点时没有可见的焦点框：{focused['what']}")
    assert not failures, _report("焦点可见", failures, page.url)


def assert_page_layout(page) -> None:
    """The three checks every page passes, run together."""
    assert_no_broken_cells(page)
    assert_labels_and_contrast(page)
