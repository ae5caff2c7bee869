// permitwatch browser app: hash routes, one panel of views beside (desktop) or under
// (phone) the map. State lives on the server; views re-read what they show.
import { api, ApiError, filterQuery } from "./api.js";
import { createMap, drawShape, editShape, refreshAois, setPermitSource, PURPOSE_COLORS } from "./map.js";
import { $, $$, esc, toast, showError, formData, openModal, closeModal, fmtDate, fmtTime, ago } from "./ui.js";
import * as auth from "./auth.js";
import * as areas from "./areas.js";
import * as alerts from "./alerts.js";

export const state = { me: null, cfg: null, meta: null, map: null, filters: {}, operators: [], marker: null };
window.__app = state;

async function boot() {
  try {
    [state.cfg, state.me] = await Promise.all([api("/v1/config"), api("/auth/me")]);
  } catch (err) {
    $("#view").innerHTML = `<p class="form-error">The server did not answer: ${esc(err.message)}</p>`;
    return;
  }
  window.addEventListener("hashchange", route);
  $("#modal").addEventListener("click", (e) => { if (e.target.id === "modal" && !$("#modal").dataset.locked) closeModal(); });
  $("#menu-btn").addEventListener("click", toggleMenu);
  $("#sheet-toggle").addEventListener("click", () => {
    const p = $("#panel"); p.classList.toggle("collapsed");
    $("#sheet-toggle").setAttribute("aria-expanded", String(!p.classList.contains("collapsed")));
  });
  $("#draw-cancel").addEventListener("click", () => window.__cancelDraw?.());
  $("#legend").addEventListener("click", (e) => {
    const open = e.currentTarget.classList.toggle("open");
    e.currentTarget.setAttribute("aria-expanded", String(open));
  });
  if (!state.me.user) { renderLegend(); return route(); }
  await startApp();
}

// After sign-in or sign-up: load the user first, then move to `next`, so the route sees
// the new session.
export async function startApp(next) {
  state.me = await api("/auth/me");
  state.meta = state.meta || await api("/v1/filters");
  if (!state.map) {
    state.map = createMap($("#map"), state.cfg, { onPermitClick: (n) => (location.hash = `#/permit/${n}`) });
  }
  renderLegend();
  refreshChrome();
  clearInterval(state.poll);
  state.poll = setInterval(refreshChrome, 30000);
  if (next && location.hash !== next) location.hash = next;
  else route();
}

export async function refreshChrome() {
  if (!state.me?.user) return;
  try {
    const [st, n] = await Promise.all([api("/v1/status"), api("/v1/notifications/unread-count")]);
    const el = $("#freshness");
    el.textContent = st.last_success_at ? `Updated ${ago(st.last_success_at)}${st.stale ? " (data is stale)" : ""}` : "No data yet";
    el.title = st.last_success_at ? `Latest RRC data ingested ${fmtTime(st.last_success_at)}` : "";
    el.classList.toggle("stale", !!st.stale);
    const badge = $("#unread");
    badge.textContent = n.unread;
    badge.hidden = !n.unread;
    $("#bell").setAttribute("aria-label", `Notifications, ${n.unread} unread`);
  } catch (err) { if (err.status === 401) location.hash = "#/signin"; }
}

function renderLegend() {
  $("#legend").innerHTML = state.me?.user ? `<strong>Filing purpose</strong>` +
    PURPOSE_COLORS.map(([, label, c]) => `<span><i style="background:${c}"></i>${esc(label)}</span>`).join("") +
    `<span class="muted">Zoom out: circles count permits</span>` : "";
}

function toggleMenu() {
  const m = $("#menu"), open = m.hidden;
  const me = state.me;
  if (!me?.user) { location.hash = "#/signin"; return; }
  m.innerHTML = `<p class="muted">${esc(me.user.email)}</p>` +
    me.workspaces.map((w) => `<button role="menuitem" data-ws="${esc(w.id)}" class="${w.id === me.workspace_id ? "current" : ""}">${esc(w.name)} <small>${esc(w.role)}</small></button>`).join("") +
    `<a role="menuitem" href="/docs" target="_blank" rel="noopener">API docs</a><button role="menuitem" id="signout">Sign out</button>`;
  m.hidden = !open;
  $("#menu-btn").setAttribute("aria-expanded", String(open));
  $$("[data-ws]", m).forEach((b) => b.addEventListener("click", async () => {
    await api("/auth/workspace", { method: "POST", body: { workspace_id: b.dataset.ws } });
    m.hidden = true; refreshAois(state.map); await startApp();
  }));
  $("#signout", m).addEventListener("click", async () => { await api("/auth/logout", { method: "POST" }); location.hash = "#/signin"; location.reload(); });
}

// ---- routing ------------------------------------------------------------------------------
const VIEWS = {
  permits: () => permitsView(), permit: (ref) => permitView(ref), areas: () => areas.view(), alerts: () => alerts.view(),
  inbox: () => inboxView(), team: () => alerts.teamView(), welcome: () => areas.onboarding(),
};

export function route() {
  const [path, qs] = (location.hash.slice(1) || "/permits").split("?");
  const [, name, arg] = path.split("/");
  const params = new URLSearchParams(qs || "");
  if (auth.ROUTES[name]) return auth.ROUTES[name](params);
  if (!state.me?.user) { location.hash = "#/signin"; return; }
  if (!$("#modal").dataset.locked) closeModal();
  $$(".tabs a").forEach((a) => a.setAttribute("aria-selected", String(a.dataset.tab === (name === "permit" ? "permits" : name))));
  $("#panel").classList.remove("collapsed");
  (VIEWS[name] || VIEWS.permits)(arg && decodeURIComponent(arg));
}

// ---- permits: filters, list, detail --------------------------------------------------------
function options(list, selected, label = (x) => x, value = (x) => x) {
  return list.map((x) => `<option value="${esc(value(x))}" ${selected?.includes(value(x)) ? "selected" : ""}>${esc(label(x))}</option>`).join("");
}

function permitsView() {
  const f = state.filters, m = state.meta;
  $("#view").innerHTML = `
    <h2>Permits</h2>
    <form id="filters" class="filters" aria-label="Permit filters">
      <label>Operator <input name="operator_q" list="op-list" autocomplete="off" placeholder="name or P-5 number"
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
        <label>Issued from <input type="date" name="issued_from" value="${esc(f.issued_from || "")}"></label>
        <label>to <input type="date" name="issued_to" value="${esc(f.issued_to || "")}"></label>
      </div>
      <label class="check"><input type="checkbox" name="in_view" ${state.inView ? "checked" : ""}> Only permits in the map view</label>
      <div class="actions">
        <button type="submit" class="primary">Apply filters</button>
        <button type="button" id="clear-filters" class="ghost">Clear</button>
        <button type="button" id="save-search" class="ghost">Save search…</button>
      </div>
    </form>
    <p id="count" class="muted" aria-live="polite"></p>
    <ol id="results" class="results"></ol>
    <button id="more" class="ghost" hidden>Load more</button>`;
  const form = $("#filters");
  form.operator_q.addEventListener("input", debounce(async () => {
    const q = form.operator_q.value.split(",").at(-1).trim();
    if (q.length < 2) return;
    const found = await api("/v1/operators", { query: { q } });
    state.operatorHits = found;
    $("#op-list").innerHTML = found.map((o) => `<option value="${esc(o.name)}">${esc(o.p5_number || "")} · ${o.permits} permits</option>`).join("");
  }, 250));
  form.addEventListener("submit", (e) => { e.preventDefault(); applyFilters(form).catch((err) => showError(form, err)); });
  $("#clear-filters").addEventListener("click", () => { state.filters = {}; state.operators = []; state.inView = false; applyMap(); permitsView(); });
  $("#save-search").addEventListener("click", () => alerts.saveSearchDialog(state.filters));
  loadList(false).catch((err) => showError(form, err));
}

async function applyFilters(form) {
  const d = formData(form);
  const names = d.operator_q.split(",").map((s) => s.trim()).filter(Boolean);
  const known = [...(state.operatorHits || []), ...state.operators];
  state.operators = names.map((n) => known.find((o) => o.name.toLowerCase() === n.toLowerCase())).filter(Boolean);
  if (names.length !== state.operators.length) throw new ApiError(400, { detail: "pick operators from the suggestions", param: "operator_q" });
  state.filters = { counties: d.counties, districts: d.districts, statuses: d.statuses, filing_purposes: d.filing_purposes,
    profiles: d.profiles, issued_from: d.issued_from, issued_to: d.issued_to, operator_ids: state.operators.map((o) => o.id) };
  state.inView = d.in_view;
  applyMap();
  await loadList(false);
}

function applyMap() {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filterQuery(state.filters))) (Array.isArray(v) ? v : [v]).forEach((x) => q.append(k, x));
  if (state.map?.getSource("permits")) setPermitSource(state.map, q.toString());
}

async function loadList(more) {
  const query = { ...filterQuery(state.filters), limit: 50, cursor: more ? state.cursor : undefined };
  if (state.inView && state.map) {
    const b = state.map.getBounds();
    query.bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
  }
  const page = await api("/v1/permits", { query });
  state.cursor = page.next_cursor;
  const list = $("#results");
  if (!list) return;
  if (!more) list.innerHTML = "";
  list.insertAdjacentHTML("beforeend", page.items.map((p) => `
    <li><a href="#/permit/${esc(p.status_number)}" class="permit-row">
      <strong>${esc(p.lease_name || "—")} ${esc(p.well_number || "")}</strong>
      <span>${esc(p.operator_name || "")}</span>
      <span class="muted">${esc(p.county || "")} · ${esc(p.filing_purpose || "")} · ${esc(p.wellbore_profile || "")} · ${esc(p.status || "")}</span>
      <span class="muted">#${esc(p.status_number)} · issued ${fmtDate(p.issued_date)}</span></a></li>`).join(""));
  $("#count").textContent = `${list.children.length}${page.next_cursor ? "+" : ""} permits`;
  const btn = $("#more");
  btn.hidden = !page.next_cursor;
  btn.onclick = () => loadList(true);
}

async function permitView(ref) {
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
        ${p.operator_id ? `<button class="link" id="op-filter">show all their permits</button>` : ""}</dd>
      <dt>Status number</dt><dd>${esc(p.status_number)}</dd>
      <dt>API number</dt><dd>${esc(p.api_number || "—")}</dd>
      <dt>Status</dt><dd>${esc(p.status || "—")}${p.well_status ? ` · well ${esc(p.well_status)}` : ""}</dd>
      <dt>Filing purpose</dt><dd>${esc(p.filing_purpose || "—")} · ${esc(p.wellbore_profile || "")}</dd>
      <dt>Total depth</dt><dd>${p.total_depth ? esc(p.total_depth.toLocaleString()) + " ft" : "—"}</dd>
      <dt>County / district</dt><dd>${esc(p.county || "—")} · District ${esc(p.district || "—")}</dd>
      <dt>Filed / issued</dt><dd>${fmtDate(p.filed_date)} / ${fmtDate(p.issued_date)}${p.amended_date ? ` · amended ${fmtDate(p.amended_date)}` : ""}</dd>
      <dt>Spud</dt><dd>${fmtDate(p.spud_date)}</dd>
      <dt>Location</dt><dd>${loc ? `${loc[1].toFixed(5)}, ${loc[0].toFixed(5)}${p.location_carried ? " (last published)" : ""}` : "not yet published by RRC"}</dd>
      <dt>Legal description</dt><dd>${["section", "block", "survey", "abstract"].filter((k) => legal[k]).map((k) => `${k} ${esc(legal[k])}`).join(", ") || "—"}</dd>
      <dt>Nearest town</dt><dd>${p.nearest_city?.city ? `${esc(p.nearest_city.miles)} mi ${esc(p.nearest_city.direction || "")} of ${esc(p.nearest_city.city)}` : "—"}</dd>
    </dl>
    <h3>History (${p.versions.length} version${p.versions.length === 1 ? "" : "s"})</h3>
    <ol class="history">${p.versions.map((v) => `
      <li><strong>${fmtDate(v.source_seen_at)}</strong> · ${v.sequence === 99 ? "original filing" : `amendment ${99 - v.sequence}`} · ${esc(v.status || "")}
        <ul>${v.changes.map((c) => `<li>${esc(c.change.replace("_", " "))}${changedFields(c.details)}</li>`).join("") || "<li class='muted'>no change recorded</li>"}</ul></li>`).join("")}
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

function changedFields(details) {
  const fields = details?.fields || {};
  const keys = Object.keys(fields);
  if (!keys.length) return "";
  return ": " + keys.map((k) => `${esc(k.replaceAll("_", " "))} ${esc(JSON.stringify(fields[k][0]))} → ${esc(JSON.stringify(fields[k][1]))}`).join("; ");
}

// ---- notification center ------------------------------------------------------------------
async function inboxView() {
  $("#view").innerHTML = `<h2>Inbox</h2><div class="actions"><button id="read-all" class="ghost">Mark all read</button>
    <label class="check"><input type="checkbox" id="unread-only"> Unread only</label></div><ol id="notes" class="results"></ol>`;
  const load = async () => {
    const data = await api("/v1/notifications", { query: { unread: $("#unread-only").checked } });
    $("#notes").innerHTML = data.items.map((n) => `
      <li class="note ${n.read ? "" : "unread"}" data-id="${esc(n.id)}">
        <a href="#/permit/${esc(n.status_number || "")}" class="permit-row" data-open="${esc(n.id)}">
          <strong>${esc(n.title)}</strong><span>${esc(n.body || "")}</span>
          <span class="muted">${fmtTime(n.created_at)}${n.rule ? ` · rule “${esc(n.rule)}”` : ""}</span></a>
        <p class="deliveries">${n.deliveries.map((d) => `<span class="pill ${esc(d.status)}" title="${esc(d.error || "")}">${esc(d.channel)}: ${esc(d.status)}</span>`).join(" ")}</p>
        ${n.read ? "" : `<button class="link" data-read="${esc(n.id)}">Mark read</button>`}
      </li>`).join("") || `<li class="muted">No notifications yet. Alerts you set up land here.</li>`;
    $$("[data-read]").forEach((b) => b.addEventListener("click", async () => { await api("/v1/notifications/read", { method: "POST", body: { ids: [b.dataset.read] } }); load(); refreshChrome(); }));
    $$("[data-open]").forEach((a) => a.addEventListener("click", () => api("/v1/notifications/read", { method: "POST", body: { ids: [a.dataset.open] } }).then(refreshChrome)));
  };
  $("#read-all").addEventListener("click", async () => { await api("/v1/notifications/read", { method: "POST", body: {} }); load(); refreshChrome(); });
  $("#unread-only").addEventListener("change", load);
  await load();
}

export function debounce(fn, ms) { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; }
export { drawShape, editShape, refreshAois, api, esc, toast, showError, formData, openModal, closeModal, fmtDate, fmtTime };

boot();
