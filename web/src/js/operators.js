// Operator intelligence: an operator's profile (names, lineage, activity, timeline) and the
// peer comparison by county, district or one of the workspace's areas.
import { api } from "./api.js";
import { $, $$, esc, fmtDate, fmtPublished, showError, toast, formData, openModal, closeModal } from "./ui.js";
import { state } from "./state.js";
import { applyMap } from "./permits.js";
import { monthChart, monthsBetween } from "./charts.js";
import { exportDialog } from "./exports.js";

const KINDS = ["filed", "approved", "amended", "spudded", "completed", "cancelled", "status changed", "withdrawn or denied", "location published", "corrected"];
const pct = (v) => (v === null || v === undefined ? "—" : `${v.toLocaleString(undefined, { maximumFractionDigits: 1 })}%`);
const num = (v, unit = "") => (v === null || v === undefined ? "—" : `${Math.round(v).toLocaleString()}${unit}`);

// The permits behind a figure: the permit list, filtered, and the map with it.
function showPermits(filters, operators) {
  state.filters = filters;
  state.operators = operators;
  state.inView = false;
  applyMap();
  location.hash = "#/permits";
}

export async function profileView(id, params) {
  const follow = params?.get("line") !== "off";
  $("#view").innerHTML = `<p class="muted">Loading operator…</p>`;
  let p;
  try { p = await api(`/v1/operators/${encodeURIComponent(id)}`, { query: { follow_line: follow } }); } catch (err) {
    $("#view").innerHTML = `<p class="form-error">${esc(err.message)}</p><a href="#/compare">Back to operators</a>`; return;
  }
  const others = p.names.filter((n) => n.name.toUpperCase() !== p.name.toUpperCase());
  const ops = [{ id: p.id, name: p.name }, ...p.line];
  await renderActivity(p, {
    who: { operator_ids: ops.map((o) => o.id) }, ops, timeline: `/v1/operators/${encodeURIComponent(p.id)}/timeline`, follow,
    about: `<p class="muted">${p.p5_number ? `P-5 ${esc(p.p5_number)}` : "No P-5 number on file"}${p.first_issued ? ` · permits issued ${fmtDate(p.first_issued)} to ${fmtDate(p.last_issued)}` : ""}</p>
    ${p.p5 ? `<p><small>RRC P-5 file (${esc(fmtDate(p.p5.seen_at))}): ${esc(p.p5.name)}, ${esc(p.p5.status)}${p.p5.organization ? `, ${esc(p.p5.organization)}` : ""}</small></p>` : ""}
    ${others.length ? `<p><small>Also filed as: ${others.map((n) => esc(n.name)).join("; ")}</small></p>` : ""}
    ${p.lineage.length ? `<p>${p.lineage.map((l) => `${l.relation === "predecessor" ? "Successor of" : "Succeeded by"}
        <a href="#/operator/${esc(l.id)}">${esc(l.name)}</a>${l.p5_number ? ` (P-5 ${esc(l.p5_number)})` : ""}${l.note ? ` · ${esc(l.note)}` : ""}`).join("<br>")}</p>
      <label class="check"><input type="checkbox" id="follow" ${follow ? "checked" : ""}> Count predecessors and successors as one company</label>` : ""}`,
    watch: () => watch({ operator: p }) });
  $("#follow")?.addEventListener("change", (e) => { location.hash = `#/operator/${p.id}${e.target.checked ? "" : "?line=off"}`; });
}

// A workspace's group: its operators' activity together, as one competitor.
export async function groupView(id) {
  $("#view").innerHTML = `<p class="muted">Loading group…</p>`;
  let g;
  try { g = await api(`/v1/operator-groups/${encodeURIComponent(id)}/profile`); } catch (err) {
    $("#view").innerHTML = `<p class="form-error">${esc(err.message)}</p><a href="#/compare">Back to operators</a>`; return;
  }
  await renderActivity(g, {
    who: { operator_groups: [g.id] }, ops: [{ id: g.id, name: g.name, group: true }], timeline: `/v1/operator-groups/${encodeURIComponent(g.id)}/timeline`,
    about: `<p class="muted">Your group of ${g.operators.length} operators${g.first_issued ? ` · permits issued ${fmtDate(g.first_issued)} to ${fmtDate(g.last_issued)}` : ""}</p>
      <p>${g.operators.map((o) => `<a href="#/operator/${esc(o.id)}">${esc(o.name)}</a>${o.p5_number ? ` <small>(P-5 ${esc(o.p5_number)})</small>` : ""}`).join(" · ")}</p>`,
    watch: () => watch({ group: g }) });
}

// The page both share: figures, the monthly chart, counties and the timeline. `who` is the
// permit filter that selects their permits, so every figure links to the permits behind it.
async function renderActivity(p, { who, ops, timeline, follow, about, watch: onWatch }) {
  const top = p.counties[0];
  $("#view").innerHTML = `
    <a href="#/compare" class="back">← Operators</a>
    <h2>${esc(p.name)}${ops[0].group ? ` <small class="muted">(group)</small>` : ""}</h2>
    ${about}
    <div class="actions"><button id="watch">Watch ${ops[0].group ? "this group" : "this operator"}</button><button class="ghost" id="on-map">Their permits on the map</button>
      <button class="ghost" id="export-theirs">Export their permits…</button>
      ${top ? `<a class="button ghost" href="#/compare?county=${esc(top.county_code)}">Compare in ${esc(top.county)} County</a>` : ""}</div>
    <dl class="figures">
      <div><dt>Permits</dt><dd><button class="link fig" data-f="all">${num(p.permits)}</button></dd></div>
      <div><dt>Horizontal</dt><dd><button class="link fig" data-f="horizontal">${pct(p.horizontal_share)}</button></dd></div>
      <div><dt>Median depth</dt><dd>${num(p.median_depth, " ft")}</dd></div>
      <div><dt>Spudded</dt><dd>${p.judged ? `${pct(p.spud_rate)} <small>of ${p.judged.toLocaleString()} permits 6+ months old</small>` : "—"}</dd></div>
      <div><dt>Pending approval</dt><dd>${num(p.pending)}</dd></div>
      <div><dt>Wells</dt><dd>${num(p.wells)}<small>${num(p.wells_spudded)} spudded · ${num(p.wells_completed)} completed</small></dd></div>
    </dl>
    <div id="op-chart"></div>
    <h3>Where they are active</h3>
    <p class="muted">RRC districts ${p.districts.map(esc).join(", ") || "—"}</p>
    <div class="table-wrap"><table class="numbers"><thead><tr><th scope="col">County</th><th scope="col">Permits</th><th scope="col">Latest</th></tr></thead>
      <tbody>${p.counties.map((c) => `<tr><th scope="row">${esc(c.county || c.county_code)}</th>
        <td><button class="link county" data-c="${esc(c.county_code)}">${c.permits.toLocaleString()}</button></td><td>${fmtDate(c.last_issued)}</td></tr>`).join("")}</tbody></table></div>
    <h3>Timeline</h3>
    <label>Show <select id="kind"><option value="">every event</option>${KINDS.map((k) => `<option>${esc(k)}</option>`).join("")}</select></label>
    <ol class="history" id="events"></ol>
    <button class="ghost" id="more" hidden>Older events</button>`;
  drawProfileChart(p);
  $("#on-map").addEventListener("click", () => showPermits(who, ops));
  $$(".fig").forEach((b) => b.addEventListener("click", () =>
    showPermits({ ...who, ...(b.dataset.f === "horizontal" ? { profiles: ["horizontal"] } : {}) }, ops)));
  $$(".county").forEach((b) => b.addEventListener("click", () => showPermits({ ...who, counties: [b.dataset.c] }, ops)));
  $("#watch").addEventListener("click", onWatch);
  $("#export-theirs").addEventListener("click", () => exportDialog({ search: who }, `the permits of ${p.name}`));
  let before = null;
  const load = async (reset) => {
    if (reset) { before = null; $("#events").innerHTML = ""; }
    const kind = $("#kind").value;
    const page = await api(timeline, { query: { ...(follow === undefined ? {} : { follow_line: follow }), before, limit: 25, kinds: kind ? [kind] : undefined } });
    $("#events").insertAdjacentHTML("beforeend", page.items.map((e) => `<li><strong>${esc(e.kind[0].toUpperCase() + e.kind.slice(1))}</strong>
      · <a href="#/permit/${esc(e.status_number)}">${esc(e.lease_name || "permit")} ${esc(e.well_number || "")}</a>
      · ${esc(e.county || "")}${e.filing_purpose ? ` · ${esc(e.filing_purpose)}` : ""}${e.detail ? ` · ${esc(e.detail)}` : ""}
      <br><small class="muted">RRC published ${esc(fmtPublished(e.published_at))}</small></li>`).join("") ||
      (reset ? `<li class="muted">No such events.</li>` : ""));
    before = page.next_before;
    $("#more").hidden = !before;
  };
  $("#kind").addEventListener("change", () => load(true));
  $("#more").addEventListener("click", () => load(false));
  await load(true);
}

function drawProfileChart(p) {
  if (!p.monthly.length) { $("#op-chart").innerHTML = `<p class="muted">No approved permits yet.</p>`; return; }
  const xs = monthsBetween(p.monthly[0].month, p.monthly.at(-1).month);
  const purposes = [...new Set(p.monthly.map((m) => m.filing_purpose))];
  const rows = purposes.map((label) => ({ label, values: xs.map((x) => p.monthly.filter((m) => m.month === x && m.filing_purpose === label)
    .reduce((s, m) => s + m.permits, 0)) }));
  const horizontal = { label: "of which horizontal", dashed: true, values: xs.map((x) => p.monthly.filter((m) => m.month === x && m.wellbore_profile === "horizontal")
    .reduce((s, m) => s + m.permits, 0)) };
  monthChart($("#op-chart"), { title: "Permits issued per month, by filing purpose", xs, rows: [...rows, horizontal],
    filename: `${p.name.replace(/[^A-Za-z0-9]+/g, "-")}-permits-per-month.csv` });
}

// Watching means alerts can follow the operator (or group): add it to the workspace's first
// watchlist (or start one), which alert rules use.
async function watch({ operator, group }) {
  const name = (operator || group).name;
  try {
    const lists = await api("/v1/watchlists");
    const list = lists[0];
    const has = list && (operator ? list.operators.some((o) => o.id === operator.id) : list.groups.some((g) => g.id === group.id));
    if (has) { toast(`${name} is already on the watchlist "${list.name}".`); return; }
    const body = list
      ? { name: list.name, operator_ids: [...list.operators.map((o) => o.id), ...(operator ? [operator.id] : [])],
          group_ids: [...list.groups.map((g) => g.id), ...(group ? [group.id] : [])] }
      : { name: "Competitors", operator_ids: operator ? [operator.id] : [], group_ids: group ? [group.id] : [] };
    if (list) await api(`/v1/watchlists/${list.id}`, { method: "PUT", body });
    else await api("/v1/watchlists", { method: "POST", body });
    toast(`${name} added to the watchlist "${list ? list.name : "Competitors"}". Alert rules that use it now follow ${group ? "every operator in the group" : "this operator"}.`);
  } catch (err) { toast(err.message, "error"); }
}

export async function compareView(params) {
  const q = Object.fromEntries([...(params || new URLSearchParams()).entries()]);
  const aois = await api("/v1/aois");
  const kind = q.aoi ? "aoi" : q.district ? "district" : "county";
  $("#view").innerHTML = `
    <h2>Compare operators</h2>
    <form id="cmp" class="stack">
      <label>In <select name="kind"><option value="county">a county</option><option value="district">an RRC district</option>
        <option value="aoi" ${aois.features.length ? "" : "disabled"}>one of your areas</option></select></label>
      <label data-k="county">County <select name="county">${state.meta.counties.map((c) => `<option value="${esc(c.code)}">${esc(c.name)}</option>`).join("")}</select></label>
      <label data-k="district" hidden>District <select name="district">${state.meta.districts.map((d) => `<option>${esc(d)}</option>`).join("")}</select></label>
      <label data-k="aoi" hidden>Area <select name="aoi">${aois.features.map((f) => `<option value="${esc(f.id)}">${esc(f.properties.name)}</option>`).join("")}</select></label>
      <div class="row"><label>From <input type="date" name="start" value="${esc(q.start || "")}"></label>
        <label>To <input type="date" name="end" value="${esc(q.end || "")}"></label></div>
      <button>Compare</button>
    </form>
    <div id="cmp-out"></div>
    <h3>Your groups</h3><p class="muted">A group counts several operators as one competitor in every comparison.</p><ul id="groups" class="plain"></ul>`;
  const form = $("#cmp");
  form.kind.value = kind;
  if (q.county) form.county.value = q.county;
  if (q.district) form.district.value = q.district;
  if (q.aoi) form.aoi.value = q.aoi;
  const showKind = () => $$("[data-k]", form).forEach((l) => (l.hidden = l.dataset.k !== form.kind.value));
  showKind();
  form.kind.addEventListener("change", showKind);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const d = formData(form);
    const next = new URLSearchParams({ [d.kind]: d[d.kind], ...(d.start ? { start: d.start } : {}), ...(d.end ? { end: d.end } : {}) });
    location.hash = `#/compare?${next}`;
  });
  await loadGroups();
  if (q.county || q.district || q.aoi) await runComparison(form, q);
}

async function loadGroups() {
  const groups = await api("/v1/operator-groups");
  $("#groups").innerHTML = groups.map((g) => `<li><a href="#/group/${esc(g.id)}"><strong>${esc(g.name)}</strong></a>: ${g.operators.map((o) => esc(o.name)).join(", ")}
    <button class="link danger" data-del="${esc(g.id)}">remove group</button></li>`).join("") || `<li class="muted">No groups yet: tick two or more operators below and group them.</li>`;
  $$("[data-del]").forEach((b) => b.addEventListener("click", async () => {
    await api(`/v1/operator-groups/${b.dataset.del}`, { method: "DELETE" });
    toast("Group removed."); route();
  }));
}

const route = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

async function runComparison(form, q, series = []) {
  const out = $("#cmp-out");
  let c;
  try {
    c = await api("/v1/compare", { query: { county: q.county, district: q.district, aoi: q.aoi, start: q.start, end: q.end, series } });
  } catch (err) { showError(form, err); return; }
  const change = (r) => (r.previous ? `${r.permits >= r.previous ? "+" : ""}${Math.round((r.permits - r.previous) * 100 / r.previous)}%` : r.permits ? "new" : "—");
  const placeFilter = c.kind === "county" ? { counties: [c.value] } : c.kind === "district" ? { districts: [c.value] } : {};
  out.innerHTML = `
    <h3>${esc(c.place)}, ${fmtDate(c.start)} to ${fmtDate(c.end)}</h3>
    <p class="muted">Change is against ${fmtDate(c.previous_start)} to ${fmtDate(c.previous_end)}. Spud figures count permits issued by ${fmtDate(c.judged_before)} (six months to spud).</p>
    ${c.rows.length ? `<div class="table-wrap"><table class="numbers ranking"><thead><tr><th scope="col"><span class="sr">Pick</span></th><th scope="col">Operator</th><th scope="col">Permits</th>
      <th scope="col">Share</th><th scope="col">Change</th><th scope="col">Horizontal</th><th scope="col">Median depth</th><th scope="col">Spudded</th><th scope="col">Days to spud</th></tr></thead>
      <tbody>${c.rows.map((r) => `<tr><td><input type="checkbox" class="pick" value="${esc(r.who)}" aria-label="pick ${esc(r.name)}" ${series.includes(r.who) ? "checked" : ""}></td>
        <th scope="row">${r.is_group ? `<a href="#/group/${esc(r.who)}">${esc(r.name)}</a> <small>(group)</small>` : `<a href="#/operator/${esc(r.who)}">${esc(r.name)}</a>`}</th>
        <td><button class="link permits" data-who="${esc(r.who)}">${r.permits.toLocaleString()}</button></td><td>${pct(r.share)}</td><td>${change(r)}</td>
        <td>${pct(r.horizontal_share)}</td><td>${num(r.median_depth, " ft")}</td><td>${r.judged ? pct(r.spud_rate) : "—"}</td><td>${num(r.median_days_to_spud)}</td></tr>`).join("")}
      </tbody></table></div>
      <div class="actions"><button class="ghost" id="chart-picked">Chart picked (up to 5)</button><button class="ghost" id="group-picked">Group picked as one competitor</button></div>
      <div id="cmp-chart"></div>` : `<p class="muted">No permits issued here in this period.</p>`}
    ${c.likely_same.length ? `<h3>These names look like one company</h3><p class="muted">For you to judge: nothing is merged. Grouping counts them as one here and in your other comparisons.</p>
      <ul class="plain">${c.likely_same.map((p) => `<li>${esc(p.a_name)} and ${esc(p.b_name)} <small class="muted">(${Math.round(p.score)}% alike)</small>
        <button class="link same" data-a="${esc(p.a)}" data-b="${esc(p.b)}">Group them</button></li>`).join("")}</ul>` : ""}`;
  $$(".permits", out).forEach((b) => b.addEventListener("click", async () => {
    const row = c.rows.find((r) => r.who === b.dataset.who);
    const who = row.is_group ? { operator_groups: [row.who] } : { operator_ids: [row.who] };
    showPermits({ ...placeFilter, ...who, issued_from: c.start, issued_to: c.end }, [{ id: row.who, name: row.name, group: row.is_group }]);
  }));
  $$(".same", out).forEach((b) => b.addEventListener("click", () => {
    $$(".pick", out).forEach((x) => (x.checked = x.value === b.dataset.a || x.value === b.dataset.b));
    $("#group-picked").click();
  }));
  const picked = () => $$(".pick", out).filter((x) => x.checked).map((x) => x.value);
  $("#chart-picked")?.addEventListener("click", () => {
    const who = picked();
    if (!who.length || who.length > 5) { toast("Pick one to five operators to chart.", "error"); return; }
    runComparison(form, q, who);
  });
  $("#group-picked")?.addEventListener("click", async () => {
    const rows = c.rows.filter((r) => picked().includes(r.who));
    if (rows.length < 2 || rows.some((r) => r.is_group)) { toast("Pick two or more operators (not groups) to group.", "error"); return; }
    const card = openModal(`<h2 id="modal-title">Group as one competitor</h2>
      <p>${rows.map((r) => esc(r.name)).join(", ")}</p>
      <form id="group-form"><label>Name <input name="name" required maxlength="80" value="${esc(rows[0].name)}"></label>
        <div class="actions"><button class="primary">Group</button><button type="button" class="ghost" id="group-cancel">Cancel</button></div></form>`);
    $("#group-cancel", card).addEventListener("click", closeModal);
    $("#group-form", card).addEventListener("submit", async (e) => {
      e.preventDefault();
      const name = e.target.name.value.trim();
      try {
        await api("/v1/operator-groups", { method: "POST", body: { name, operator_ids: rows.map((r) => r.who) } });
        closeModal(); toast(`Grouped ${rows.length} operators as "${name}".`); route();
      } catch (err) { showError(e.target, err); }
    });
  });
  if (c.series.length) {
    const xs = monthsBetween(c.start, c.end);
    const rows = series.map((who) => ({ label: c.rows.find((r) => r.who === who)?.name || who,
      values: xs.map((x) => c.series.find((p) => p.who === who && p.month === x)?.permits || 0) }));
    monthChart($("#cmp-chart"), { title: `Permits per month in ${c.place}`, xs, rows, filename: `compare-${c.value}.csv` });
  }
}
