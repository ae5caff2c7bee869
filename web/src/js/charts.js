// Charts (uPlot, from npm) that come with their numbers: every chart is followed by the
// same figures as a table and a CSV download, so a phone user or a screen reader gets them too.
import uPlot from "uplot";
import { esc } from "./ui.js";

const COLORS = ["#1565c0", "#d81b60", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037"];

// rows: [{ label, values: [n per x] }]; xs: ISO month strings ("2026-06-01").
export function monthChart(box, { title, xs, rows, filename }) {
  const monthName = (iso) => new Date(iso + "T12:00:00").toLocaleDateString(undefined, { month: "short", year: "numeric" });
  box.innerHTML = `<figure class="chart"><figcaption>${esc(title)}</figcaption><div class="plot" role="img"
      aria-label="${esc(title)}: the numbers are in the table below"></div>
    <details><summary>Numbers</summary><div class="table-wrap"><table class="numbers"><thead><tr><th scope="col">Month</th>${rows.map((r) => `<th scope="col">${esc(r.label)}</th>`).join("")}</tr></thead>
      <tbody>${xs.map((x, i) => `<tr><th scope="row">${esc(monthName(x))}</th>${rows.map((r) => `<td>${r.values[i]}</td>`).join("")}</tr>`).join("")}</tbody></table></div></details>
    <button type="button" class="link csv">Download CSV</button></figure>`;
  box.querySelector(".csv").addEventListener("click", () => {
    const lines = [["month", ...rows.map((r) => r.label)], ...xs.map((x, i) => [x.slice(0, 7), ...rows.map((r) => r.values[i])])];
    const csv = lines.map((l) => l.map((v) => /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : v).join(",")).join("\n");
    const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(new Blob([csv + "\n"], { type: "text/csv" })), download: filename });
    a.click();
    URL.revokeObjectURL(a.href);
  });
  if (!xs.length) { box.querySelector(".plot").innerHTML = `<p class="muted">No permits in this period.</p>`; return null; }
  const plot = box.querySelector(".plot");
  const width = Math.max(260, plot.clientWidth || box.clientWidth || 320);
  const secs = xs.map((x) => new Date(x + "T12:00:00Z").getTime() / 1000);
  // one tick per month (every k-th when there are many), named as people name months
  const every = Math.ceil(secs.length / (width < 400 ? 4 : 7));
  const day = 86400;
  return new uPlot({
    width, height: 200, legend: { live: false },
    scales: { x: { time: true, range: (u, min, max) => [min - 16 * day, max + 16 * day] } },
    axes: [{ splits: () => secs.filter((_, i) => i % every === 0), values: (u, splits) => splits.map((t) => shortMonth(t)) },
      { size: 44, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] }],
    series: [{ value: (u, t) => shortMonth(t) },
      ...rows.map((r, i) => ({ label: r.label, stroke: COLORS[i % COLORS.length], width: 2, dash: r.dashed ? [6, 4] : undefined,
        points: { show: true, size: 7 } }))],
  }, [secs, ...rows.map((r) => r.values)], plot);
}

function shortMonth(t) {
  return new Date(t * 1000).toLocaleDateString(undefined, { month: "short", year: "2-digit", timeZone: "UTC" });
}

// Month keys from the first to the last month seen (no gaps, so a quiet month shows as 0).
export function monthsBetween(first, last) {
  const out = [];
  const d = new Date(first.slice(0, 7) + "-01T12:00:00Z");
  const end = new Date(last.slice(0, 7) + "-01T12:00:00Z");
  while (d <= end && out.length < 240) { out.push(d.toISOString().slice(0, 10)); d.setUTCMonth(d.getUTCMonth() + 1); }
  return out;
}
