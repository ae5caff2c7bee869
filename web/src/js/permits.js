// Permits: the search box, filters, the list (with true counts), and one permit's page
// with its history in words.
import { api, ApiError, filterQuery } from "./api.js";
import { setPermitSource } from "./map.js";
import { $, esc, showError, formData, fmtDate, fmtPublished } from "./ui.js";
import { state, debounce } from "./state.js";
import { saveSearchDialog } from "./alerts.js";
import { exportDialog, listSearch } from "./exports.js";

function options(list, selected, label = (x) => x, value = (x) => x) {
  return list.map((x) => `<option value="${esc(value(x))}" ${selected?.includes(value(x)) ? "selected" : ""}>${esc(label(x))}</option>`).join("");
}

export function listView() {
  const f = state.filters, m = state.meta;
  $("#view").innerHTML = `
    <h2>Permits</h2>
    <form id="find" class="find" role="search" aria-label="Find a permit">
      <label>Find a permit <input name="q" type="search" value="${esc(f.q || "")}" autocomplete="off"
        placeholder="API or status number, lease, survey or abstract"></label>
      <button type="submit" class="primary">Find</button>
    </form>
    <details id="filters-box" ${Object.keys(filterQuery({ ...f, q: undefined })).length ? "open" : ""}><summary>Filters</summary>
    <form id="filters" class="filters" aria-label="Permit filters">
      <label>Operator <input name="operator_q" list="op-list" autocomplete="off" placeholder="name, P-5 number or your group"
        value="${esc(state.operators.map((o) => o.name).join(", "))}"></label>
      <datalist id="op-list"></datalist>
      <label>County <select name="counties" multiple size="3">${options(m.counties, f.counties, (c) => c.name, (c) => c.code)}</select></label>
      <div class="row">
        <label>District <select name="districts" multiple size="3">${options(m.districts, f.districts)}</select></label>
        <label>Status <select name="statuses" multiple size="3">${options(m.statuses, f.statuses)}</select></label>
      </div>
      <div class="row">
        <label>Filing purpose <select name="filing_purposes" multiple size="3">${options(m.filing_purposes, f.filing_purposes, (p) => p.name, (p) => p.code)}</select></label>
        <label>Wellbore <select name="profiles" multiple size="3">${options(m.profiles, f.profiles)}</select></label>
      </div>
      <div class="row">
        <label>Depth from (ft) <input type="number" name="depth_min" min="0" max="60000" step="100" value="${esc(f.depth_min ?? "")}"></label>
        <label>to <input type="number" name="depth_max" min="0" max="60000" step="100" value="${esc(f.depth_max ?? "")}"></label>
      </div>
      <div class="row">
        <label>Issued from <input type="date" name="issued_from" value="${esc(f.issued_from || "")}"></label>
        <label>to <input type="date" name="issued_to" value="${esc(f.issued_to || "")}"></label>
      </div>
      <label class="check"><input type="checkbox" name="in_view" ${state.inView ? "checked" : ""}> Only permits in the map view</label>
      <div class="actions">
        <button type="submit" class="primary">Apply filters</button>
        <button type="button" id="clear-filters" class="ghost">Clear</button>
        <button type="button" id="save-search" class="ghost">Save search…</button>
        <button type="button" id="export-list" class="ghost">Export…</button>
      </div>
    </form></details>
    <p id="count" class="muted" aria-live="polite"></p>
    <ol id="results" class="results"></ol>
    <button id="more" class="ghost" hidden>Load more</button>`;
  const form = $("#filters");
  form.operator_q.addEventListener("input", debounce(async () => {
    const q = form.operator_q.value.split(",").at(-1).trim();
    if (q.length < 2) return;
    const [hits, groups] = await Promise.all([api("/v1/operators", { query: { q } }), myGroups()]);
    const mine = groups.filter((g) => g.name.toLowerCase().includes(q.toLowerCase())).map((g) => ({ id: g.id, name: g.name, group: true, size: g.operators.length }));
    state.operatorHits = [...mine, ...hits];
    $("#op-list").innerHTML = state.operatorHits.map((o) => `<option value="${esc(o.name)}">${o.group ? `your group of ${o.size} operators`
      : `${esc(o.p5_number ? `P-5 ${o.p5_number} · ` : "")}${o.permits} permits`}</option>`).join("");
  }, 250));
  form.addEventListener("submit", (e) => { e.preventDefault(); applyFilters(form).catch((err) => showError(form, err)); });
  $("#find").addEventListener("submit", (e) => {
    e.preventDefault();
    state.filters = { ...state.filters, q: e.target.q.value.trim() || undefined };
    loadList(false).catch((err) => showError(e.target, err));
  });
  $("#clear-filters").addEventListener("click", () => { state.filters = {}; state.operators = []; state.inView = false; applyMap(); listView(); });
  $("#save-search").addEventListener("click", () => saveSearchDialog({ ...state.filters, q: undefined }));
  $("#export-list").addEventListener("click", () => exportDialog({ search: listSearch(state.filters, state.inView ? viewBbox() : null) },
    state.total ? `${state.total.toLocaleString()} permits` : "these permits"));
  loadList(false).catch((err) => showError(form, err));
}

// The workspace's operator groups, read once per page: a group is chosen like an operator.
let groupsOnce = null;
function myGroups() {
  groupsOnce ??= api("/v1/operator-groups").finally(() => setTimeout(() => (groupsOnce = null), 30_000));
  return groupsOnce;
}

async function applyFilters(form) {
  const d = formData(form);
  const names = d.operator_q.split(",").map((s) => s.trim()).filter(Boolean);
  const known = [...(state.operatorHits || []), ...state.operators];
  state.operators = names.map((n) => known.find((o) => o.name.toLowerCase() === n.toLowerCase())).filter(Boolean);
  if (names.length !== state.operators.length) throw new ApiError(400, { detail: "pick operators or your groups from the suggestions", param: "operator_q" });
  const depth = (v) => (v === "" ? undefined : Number(v));
  state.filters = { q: state.filters.q, counties: d.counties, districts: d.districts, statuses: d.statuses, filing_purposes: d.filing_purposes,
    profiles: d.profiles, depth_min: depth(d.depth_min), depth_max: depth(d.depth_max), issued_from: d.issued_from, issued_to: d.issued_to,
    operator_ids: state.operators.filter((o) => !o.group).map((o) => o.id), operator_groups: state.operators.filter((o) => o.group).map((o) => o.id) };
  state.inView = d.in_view;
  applyMap();
  await loadList(false);
}

export function applyMap() {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filterQuery({ ...state.filters, q: undefined }))) (Array.isArray(v) ? v : [v]).forEach((x) => q.append(k, x));
  if (state.map?.getSource("permits")) setPermitSource(state.map, q.toString());
}

function viewBbox() {
  const b = state.map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
}

async function loadList(more) {
  const query = { ...filterQuery(state.filters), limit: 50, cursor: more ? state.cursor : undefined, with_total: !more };
  if (state.inView && state.map) query.bbox = viewBbox();
  const page = await api("/v1/permits", { query });
  state.cursor = page.next_cursor;
  if (!more) state.total = page.total;
  const list = $("#results");
  if (!list) return;
  if (!more) list.innerHTML = "";
  list.insertAdjacentHTML("beforeend", page.items.map((p) => `
    <li><a href="#/permit/${esc(p.status_number)}" class="permit-row">
      <strong>${esc(p.lease_name || "—")} ${esc(p.well_number || "")}</strong>
      <span>${esc(p.operator_name || "")}</span>
      <span class="muted">${esc(p.county || "")} County · District ${esc(p.district || "—")} · ${esc(p.filing_purpose || "")} · ${esc(p.wellbore_profile || "")} · ${esc(p.status || "")}</span>
      <span class="muted">Status #${esc(p.status_number)}${p.api_number ? ` · API ${esc(p.api_number)}` : ""} · issued ${fmtDate(p.issued_date)}</span></a></li>`).join(""));
  const shown = list.children.length;
  $("#count").textContent = state.total === undefined || state.total === null ? `${shown} permits`
    : `${state.total.toLocaleString()} permit${state.total === 1 ? "" : "s"}${state.total > shown ? `, showing ${shown.toLocaleString()}` : ""}`;
  const btn = $("#more");
  btn.hidden = !page.next_cursor;
  btn.onclick = () => loadList(true);
}

const PROFILE_WORDS = { original: "original filing" };

export async function detailView(ref) {
  $("#view").innerHTML = `<p class="muted">Loading permit ${esc(ref)}…</p>`;
  let p;
  try { p = await api(`/v1/permits/${encodeURIComponent(ref)}`); } catch (err) {
    $("#view").innerHTML = `<p class="form-error">${esc(err.message)}</p><a href="#/permits">Back to permits</a>`; return;
  }
  const legal = p.legal_description || {};
  const loc = p.location?.coordinates;
  $("#view").innerHTML = `
    <a href="#/permits" class="back">← Permits</a>
    <h2>${esc(p.lease_name || "Permit")} ${esc(p.well_number || "")}</h2>
    <dl class="facts">
      <dt>Operator</dt><dd>${esc(p.operator || p.operator_name || "—")} ${p.operator_number ? `<small>(P-5 ${esc(p.operator_number)})</small>` : ""}
        ${p.operator_id ? `<br><a href="#/operator/${esc(p.operator_id)}">operator profile and peers</a> · <button class="link" id="op-filter">show all their permits</button>` : ""}</dd>
      <dt>Status number</dt><dd>${esc(p.status_number)}</dd>
      <dt>API number</dt><dd>${esc(p.api_number || "—")}</dd>
      <dt>Status</dt><dd>${esc(p.status || "—")}${p.well_status ? ` · well ${esc(p.well_status)}` : ""}</dd>
      <dt>Filing purpose</dt><dd>${esc(p.filing_purpose || "—")} · ${esc(p.wellbore_profile || "")}</dd>
      <dt>Total depth</dt><dd>${p.total_depth ? esc(p.total_depth.toLocaleString()) + " ft" : "—"}</dd>
      <dt>County / district</dt><dd>${esc(p.county || "—")} County · RRC District ${esc(p.district || "—")}</dd>
      <dt>Filed / issued</dt><dd>${fmtDate(p.filed_date)} / ${fmtDate(p.issued_date)}${p.amended_date ? ` · amended ${fmtDate(p.amended_date)}` : ""}</dd>
      <dt>Spud</dt><dd>${fmtDate(p.spud_date)}</dd>
      <dt>Location</dt><dd>${loc ? `${loc[1].toFixed(5)}, ${loc[0].toFixed(5)}${locationWords(p)}` : "not yet published by RRC"}</dd>
      <dt>Legal description</dt><dd>${legal.text ? esc(legal.text) : ["section", "block", "survey", "abstract"].filter((k) => legal[k]).map((k) => `${k[0].toUpperCase() + k.slice(1)} ${esc(legal[k])}`).join(", ") || "—"}</dd>
      <dt>Nearest town</dt><dd>${p.nearest_city?.city ? `${esc(p.nearest_city.miles)} mi ${esc(p.nearest_city.direction || "")} of ${esc(p.nearest_city.city)}` : "—"}</dd>
    </dl>
    ${p.well ? `<h3>The well (API ${esc(p.well.api_number)})</h3><p>${p.well.spud_date ? `Spudded ${fmtDate(p.well.spud_date)}` : "Not spudded yet"}${p.well.well_status ? ` · ${esc(p.well.well_status)}` : ""}${p.well.completion_date ? ` · completed ${fmtDate(p.well.completion_date)}` : ""}.
      ${p.well.permits > 1 ? `Its permits: ${p.well.status_numbers.map((n) => n === p.status_number ? `#${esc(n)} (this one)` : `<a href="#/permit/${esc(n)}">#${esc(n)}</a>`).join(", ")}.` : "This is its only permit."}</p>` : ""}
    ${p.timeline.length ? `<h3>Filing and approval</h3><ol class="history timeline">${p.timeline.map(stepWords).join("")}</ol>
      ${p.first_alert_at && p.timeline.length ? `<p class="muted">RRC published ${esc(fmtPublished(p.timeline.at(-1).published_at))}; your first alert was sent
        ${esc(later(p.timeline.at(-1).published_at, p.first_alert_at))}.</p>` : ""}` : ""}
    <h3>History (${p.versions.length} version${p.versions.length === 1 ? "" : "s"})</h3>
    <ol class="history">${p.versions.map((v) => `
      <li><strong>${fmtDate(v.source_seen_at)}</strong> · ${v.sequence === 99 ? PROFILE_WORDS.original : `amendment ${99 - v.sequence}`} · ${esc(v.status || "")}
        <ul>${v.changes.map((c) => `<li>${esc(CHANGE_WORDS[c.change] || c.change)}${c.summary.length ? `<ul class="changes">${c.summary.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>` : ""}</li>`).join("")
          || "<li class='muted'>no change recorded</li>"}</ul></li>`).join("")}
    </ol>`;
  $("#op-filter")?.addEventListener("click", () => {
    state.operators = [{ id: p.operator_id, name: p.operator || p.operator_name }];
    state.filters = { operator_ids: [p.operator_id] };
    applyMap(); location.hash = "#/permits";
  });
  if (loc && state.map) {
    state.marker?.remove();
    const { Marker } = await import("maplibre-gl");
    state.marker = new Marker({ color: "#d81b60" }).setLngLat(loc).addTo(state.map);
    const phone = window.matchMedia("(max-width: 759px)").matches;
    state.map.easeTo({ center: loc, zoom: Math.max(state.map.getZoom(), 12), padding: { bottom: phone ? $("#panel").offsetHeight : 0 } });
  }
}

function locationWords(p) {
  if (p.location_source && p.location_source.startsWith("pending filing")) {
    return ` (from the application pending approval, ${esc(p.location_source.replace("pending filing: ", ""))}, until the RRC's daily file has one)`;
  }
  return p.location_carried ? " (last published)" : "";
}

function later(from, to) {
  const min = Math.max(0, Math.round((new Date(to) - new Date(from)) / 60000));
  return min < 120 ? `${min} min later` : min < 2880 ? `${Math.round(min / 60)} h later` : `${Math.round(min / 1440)} days later`;
}

function stepWords(s) {
  const when = `RRC published ${esc(fmtPublished(s.published_at))}`;
  if (s.kind === "filed") {
    return `<li><strong>Filed, pending approval</strong> · ${s.submitted_at ? `submitted ${esc(fmtPublished(s.submitted_at))} · ` : ""}${when} in its pending-approval list</li>`;
  }
  if (s.kind === "approved") {
    return `<li><strong>Approved</strong> · ${when} in the daily permit file${s.hours_to_approval ? ` · ${esc((s.hours_to_approval / 24).toFixed(1))} days after filing` : ""}</li>`;
  }
  if (s.kind === "left_pending") return `<li><strong>No longer pending, not approved</strong> · ${esc(s.evidence || "")}</li>`;
  return `<li><strong>Approved</strong> · ${when} in the daily permit file</li>`;
}

const CHANGE_WORDS = { new: "Filed", amended: "Amended", filed: "Filed, pending approval", approved: "Approved",
  left_pending: "No longer pending (not approved)", status_changed: "Status changed", location_changed: "Location published or moved",
  spudded: "Spudded", corrected: "Corrected by RRC" };
