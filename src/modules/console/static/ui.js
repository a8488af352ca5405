// Small DOM helpers and inline SVG charts. Data is only ever put in the page as text
// (textContent, attributes), never as HTML, so a product called "<script>" stays a name.

const SVG = "http://www.w3.org/2000/svg";

/** h("a", { href: "#/x", class: "y", onclick }, "text", child, [children]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "value" && "value" in el) el.value = value;
    else if (name === "checked" && "checked" in el) el.checked = Boolean(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) el.setAttribute(name, String(value));
  append(el, children);
  return el;
}

let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

// ── formatting ───────────────────────────────────────────────────────────
export function money(cents, currency = "usd") {
  if (cents === null || cents === undefined) return "—";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

export function shortMoney(cents, currency = "usd") {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase(), notation: "compact", maximumFractionDigits: 1 }).format(cents / 100);
  } catch {
    return String(Math.round(cents / 100));
  }
}

export function when(date) {
  if (!date) return "—";
  const d = new Date(date);
  return Number.isNaN(d.getTime()) ? String(date) : d.toISOString().replace("T", " ").slice(0, 16);
}

export const day = (date) => (date ? String(date).slice(0, 10) : "—");

// ── building blocks ──────────────────────────────────────────────────────
/** A labelled form control. */
export function field(label, control, hint) {
  const id = control.id || nextId("f");
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("small", { id: hintId }, hint) : null);
}

export const input = (attrs = {}) => h("input", { type: "text", ...attrs });

export function select(options, attrs = {}) {
  const el = h("select", attrs);
  for (const option of options) {
    const [value, label] = Array.isArray(option) ? option : [option, option];
    el.append(h("option", { value, selected: String(attrs.value ?? "") === String(value) }, label));
  }
  if (attrs.value !== undefined) el.value = attrs.value;
  return el;
}

export const button = (label, onclick, attrs = {}) => h("button", { type: "button", onclick, ...attrs }, label);

/** A status line read out by screen readers: what an action did, or why it failed. */
export function statusLine() {
  const el = h("p", { class: "status", role: "status", "aria-live": "polite" });
  el.ok = (text) => {
    el.className = "status ok";
    el.textContent = text;
  };
  el.fail = (err) => {
    el.className = "status error";
    el.textContent = describeError(err);
  };
  el.clear = () => {
    el.className = "status";
    el.textContent = "";
  };
  return el;
}

export function describeError(err) {
  if (!err) return "";
  const parts = [err.message ?? String(err)];
  if (err.code && err.code !== "unknown") parts.push(`(${err.code}${err.param ? `, ${err.param}` : ""})`);
  return parts.join(" ");
}

/**
 * A table with a caption and column headers; rows may be links (`href`) to a detail page.
 * @param {{ caption: string, columns: [string, (row) => any][], rows: object[], empty?: string }} spec
 */
export function table({ caption, columns, rows, empty = "Nothing yet." }) {
  if (!rows.length) return h("p", { class: "empty" }, `${caption}: ${empty}`);
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          columns.map(([label]) => h("th", { scope: "col" }, label)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((row) =>
          h(
            "tr",
            {},
            columns.map(([label, cell]) => h("td", { "data-label": label }, cell(row))),
          ),
        ),
      ),
    ),
  );
}

/** Key figures as a description list. */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(Boolean).map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value ?? "—"))),
  );
}

export function tiles(items) {
  return h(
    "ul",
    { class: "tiles" },
    items.map(([label, value]) => h("li", {}, h("span", { class: "tile-label" }, label), h("strong", {}, value))),
  );
}

export function badge(text, tone = "") {
  return h("span", { class: `badge ${tone}` }, text);
}

export function pager(meta, go) {
  if (!meta || meta.last_page <= 1) return null;
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    button("Previous", () => go(meta.current_page - 1), { disabled: meta.current_page <= 1 }),
    h("span", {}, `Page ${meta.current_page} of ${meta.last_page} (${meta.total})`),
    button("Next", () => go(meta.current_page + 1), { disabled: meta.current_page >= meta.last_page }),
  );
}

// ── charts (inline SVG) ──────────────────────────────────────────────────
/**
 * A column chart of a series, with a text alternative: the SVG is described by a table of the same
 * figures (visually hidden), so a screen reader reads numbers, not shapes.
 * @param {{ title: string, points: { label: string, value: number }[], format: (n: number) => string }} spec
 */
export function columnChart({ title, points, format }) {
  if (!points.some((p) => p.value > 0)) return h("figure", { class: "chart-box" }, h("figcaption", {}, title), h("p", { class: "empty" }, "Nothing in this period."));
  const id = nextId("chart");
  const width = 640;
  const height = 220;
  const pad = { top: 16, right: 8, bottom: 36, left: 64 };
  const max = Math.max(1, ...points.map((p) => p.value));
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const step = innerW / Math.max(points.length, 1);
  const barW = Math.max(2, Math.min(48, step * 0.7));
  const every = Math.ceil(points.length / 8);
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-title`, class: "chart", preserveAspectRatio: "xMidYMid meet" },
    svg("title", { id: `${id}-title` }, title),
    [0, 0.5, 1].map((f) => {
      const y = pad.top + innerH * (1 - f);
      return [
        svg("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: "grid" }),
        svg("text", { x: pad.left - 6, y: y + 4, "text-anchor": "end", class: "axis" }, format(max * f)),
      ];
    }),
    points.map((p, i) => {
      const barH = (p.value / max) * innerH;
      const x = pad.left + step * i + (step - barW) / 2;
      return svg(
        "rect",
        { x, y: pad.top + innerH - barH, width: barW, height: Math.max(barH, p.value > 0 ? 1 : 0), class: "bar" },
        svg("title", {}, `${p.label}: ${format(p.value)}`),
      );
    }),
    points.map((p, i) =>
      i % every === 0 ? svg("text", { x: pad.left + step * i + step / 2, y: height - pad.bottom + 16, "text-anchor": "middle", class: "axis" }, p.label) : null,
    ),
  );
  return h(
    "figure",
    { class: "chart-box" },
    h("figcaption", {}, title),
    chart,
    h(
      "table",
      { class: "visually-hidden" },
      h("caption", {}, title),
      h(
        "tbody",
        {},
        points.map((p) => h("tr", {}, h("th", { scope: "row" }, p.label), h("td", {}, format(p.value)))),
      ),
    ),
  );
}

/** Horizontal bars for a ranking (top buyers, top sellers), labelled with the figure itself. */
export function rankingChart({ title, rows, format }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  if (!rows.length) return h("figure", { class: "chart-box" }, h("figcaption", {}, title), h("p", { class: "empty" }, "No figures in this period."));
  return h(
    "figure",
    { class: "chart-box" },
    h("figcaption", {}, title),
    h(
      "ol",
      { class: "ranking" },
      rows.map((r) =>
        h(
          "li",
          {},
          h("span", { class: "ranking-label" }, r.label),
          h(
            "span",
            { class: "ranking-bar", "aria-hidden": "true" },
            svg("svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none" }, svg("rect", { x: 0, y: 0, height: 10, width: Math.max(1, (r.value / max) * 100), class: "bar" })),
          ),
          h("span", { class: "ranking-value" }, format(r.value)),
        ),
      ),
    ),
  );
}
