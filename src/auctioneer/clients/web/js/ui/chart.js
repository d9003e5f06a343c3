/**
 * Small inline-SVG charts (no library): a step line of price over time and
 * a bar chart of counts per time bucket. Both scale to their container and
 * carry a text description for screen readers.
 */
import { formatMoney } from "../lib/money.js";
import { formatClock } from "../lib/time.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 600;
const H = 220;
const PAD = { top: 16, right: 16, bottom: 30, left: 70 };

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

function frame(label) {
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "chart" });
  root.append(svg("title", {}, label));
  return root;
}

function axes(root, { yMin, yMax, xMin, xMax, yFormat, xFormat }) {
  const bottom = H - PAD.bottom;
  root.append(svg("line", { x1: PAD.left, y1: bottom, x2: W - PAD.right, y2: bottom, class: "axis" }));
  root.append(svg("line", { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: bottom, class: "axis" }));
  root.append(svg("text", { x: PAD.left - 8, y: PAD.top + 4, "text-anchor": "end", class: "tick" }, yFormat(yMax)));
  root.append(svg("text", { x: PAD.left - 8, y: bottom, "text-anchor": "end", class: "tick" }, yFormat(yMin)));
  root.append(svg("text", { x: PAD.left, y: H - 8, "text-anchor": "start", class: "tick" }, xFormat(xMin)));
  root.append(svg("text", { x: W - PAD.right, y: H - 8, "text-anchor": "end", class: "tick" }, xFormat(xMax)));
}

/**
 * Price over time as a step line.
 *
 * @param {{at: string, amount: number}[]} bids any order
 * @param {{startingBid: number, nowMs: number}} options
 */
export function priceChart(bids, { startingBid, nowMs }) {
  const points = bids
    .map((bid) => ({ t: Date.parse(bid.at), v: bid.amount }))
    .filter((p) => !Number.isNaN(p.t))
    .sort((a, b) => a.t - b.t);
  const label = points.length
    ? `Price over time: ${points.length} bids, from ${formatMoney(points[0].v)} to ${formatMoney(points.at(-1).v)}`
    : "Price over time: no bids yet";
  const root = frame(label);
  if (points.length === 0) {
    root.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, "No bids yet"));
    return root;
  }
  const xMin = points[0].t;
  const xMax = Math.max(nowMs ?? points.at(-1).t, points.at(-1).t, xMin + 1000);
  const yMin = Math.min(startingBid ?? points[0].v, points[0].v);
  const yMax = Math.max(points.at(-1).v, yMin + 100);
  const x = (t) => PAD.left + ((t - xMin) / (xMax - xMin)) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - ((v - yMin) / (yMax - yMin)) * (H - PAD.top - PAD.bottom);
  axes(root, { yMin, yMax, xMin, xMax, yFormat: formatMoney, xFormat: formatClock });
  let d = `M ${x(points[0].t)} ${y(points[0].v)}`;
  for (const p of points.slice(1)) d += ` H ${x(p.t)} V ${y(p.v)}`;
  d += ` H ${x(xMax)}`;
  root.append(svg("path", { d, class: "line" }));
  for (const p of points) root.append(svg("circle", { cx: x(p.t), cy: y(p.v), r: 3.5, class: "dot" }));
  return root;
}

/**
 * Bars of counts per bucket.
 *
 * @param {{label: string, value: number}[]} buckets in order
 * @param {string} title what is counted, for the accessible name
 */
export function barChart(buckets, title) {
  const total = buckets.reduce((sum, b) => sum + b.value, 0);
  const root = frame(`${title}: ${total} in ${buckets.length} intervals`);
  if (buckets.length === 0 || total === 0) {
    root.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, "No data yet"));
    return root;
  }
  const yMax = Math.max(...buckets.map((b) => b.value), 1);
  const innerW = W - PAD.left - PAD.right;
  const slot = innerW / buckets.length;
  const barW = Math.min(48, Math.max(2, slot * 0.7));
  axes(root, {
    yMin: 0,
    yMax,
    xMin: buckets[0].label,
    xMax: buckets.at(-1).label,
    yFormat: String,
    xFormat: String,
  });
  buckets.forEach((bucket, i) => {
    const height = (bucket.value / yMax) * (H - PAD.top - PAD.bottom);
    const rect = svg("rect", {
      x: PAD.left + i * slot + (slot - barW) / 2,
      y: H - PAD.bottom - height,
      width: barW,
      height,
      class: "bar",
    });
    rect.append(svg("title", {}, `${bucket.label}: ${bucket.value}`));
    root.append(rect);
  });
  return root;
}
