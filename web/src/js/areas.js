// Areas of interest: draw (polygon, rectangle, point + radius), import files, edit, delete;
// and the first-run guide that ends with an alert rule and its sample alerts.
import { api } from "./api.js";
import { drawShape, editShape, frame, refreshAois } from "./map.js";
import { reportDialog } from "./reports.js";
import { state, emit } from "./state.js";
import { $, $$, esc, toast, showError, formData, openModal, closeModal } from "./ui.js";

const UNITS = [["ft", "feet"], ["mi", "miles"], ["m", "metres"]];
const unitOptions = (sel = "ft") => UNITS.map(([u, l]) => `<option value="${u}" ${u === sel ? "selected" : ""}>${l}</option>`).join("");
const TO_UNIT = { m: 1, ft: 0.3048, mi: 1609.344 };

function drawing(on, hint = "") {
  $("#drawbar").hidden = !on;
  $("#draw-hint").textContent = hint;
  $("#panel").classList.toggle("collapsed", on && window.matchMedia("(max-width: 759px)").matches);
}

const HINTS = {
  polygon: "Tap the corners of your area; tap the first corner again to finish.",
  rectangle: "Tap one corner, then the opposite corner.",
  circle: "Tap the centre, then tap again at the radius you want.",
};

export async function startDrawing(kind) {
  drawing(true, HINTS[kind]);
  const shape = await drawShape(state.map, kind);
  drawing(false);
  return shape;
}

function shapeBody(shape) {
  if (shape.kind === "circle") return { kind: "circle", center: shape.center, radius: shape.radius_m, radius_unit: "m" };
  if (shape.kind === "rectangle") return { kind: "rectangle", bbox: shape.bbox };
  return { kind: "polygon", geometry: shape.geometry };
}

function areaForm(title, shape, submit) {
  const card = openModal(`
    <h2 id="modal-title">${esc(title)}</h2>
    <form id="area-form" novalidate>
      <label>Name <input name="name" required maxlength="120" placeholder="e.g. Spraberry leases"></label>
      <div class="row"><label>Buffer <input name="buffer" type="number" min="0" step="any" value="0" inputmode="decimal"></label>
      <label>Unit <select name="buffer_unit">${unitOptions()}</select></label></div>
      <small class="muted">Permits within the buffer around the area match too.</small>
      <div class="actions"><button class="primary" type="submit">Save area</button><button type="button" class="ghost" id="area-cancel">Cancel</button></div>
    </form>`);
  $("#area-cancel", card).addEventListener("click", closeModal);
  $("#area-form", card).addEventListener("submit", async (e) => {
    e.preventDefault();
    const d = formData(e.target);
    try { await submit({ ...shapeBody(shape), name: d.name, buffer: Number(d.buffer || 0), buffer_unit: d.buffer_unit }); }
    catch (err) { showError(e.target, err); }
  });
}

const FORMAT = { geojson: "GeoJSON file", kml: "KML file", shapefile: "shapefile" };
const SOURCE = { drawn: "drawn on the map", geojson: "from a GeoJSON file", kml: "from a KML file", shapefile: "from a shapefile",
  cli: "added by permitwatch support" };

export async function view() {
  $("#view").innerHTML = `
    <h2>Areas of interest</h2>
    <div class="actions" role="group" aria-label="Draw an area">
      <button data-draw="polygon" class="primary">Draw polygon</button>
      <button data-draw="rectangle">Rectangle</button>
      <button data-draw="circle">Point + radius</button>
    </div>
    <form id="import-form" class="import" novalidate>
      <label>Import GeoJSON, KML or zipped shapefile <input type="file" name="file" accept=".geojson,.json,.kml,.zip" required></label>
      <div class="row"><label>Buffer <input name="buffer" type="number" min="0" step="any" value="0"></label>
      <label>Unit <select name="buffer_unit">${unitOptions()}</select></label></div>
      <button type="submit">Import</button>
    </form>
    <ol id="aoi-list" class="results"></ol>`;
  $$("[data-draw]").forEach((b) => b.addEventListener("click", async () => {
    const shape = await startDrawing(b.dataset.draw);
    if (!shape) return;
    areaForm("New area", shape, async (body) => {
      await api("/v1/aois", { method: "POST", body });
      closeModal(); refreshAois(state.map); toast("Area saved. Set an alert on it under Alerts."); view();
    });
  }));
  $("#import-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    try {
      const r = await api("/v1/aois/import", { method: "POST", form });
      toast(`Imported ${r.created.length} area${r.created.length === 1 ? "" : "s"} from the ${FORMAT[r.format] || r.format}.`); refreshAois(state.map); view();
    } catch (err) { showError(e.target, err); }
  });
  const fc = await api("/v1/aois");
  $("#aoi-list").innerHTML = fc.features.map((f) => {
    const p = f.properties, unit = p.buffer_unit || "m";
    const buf = p.buffer_m ? `${+(p.buffer_m / TO_UNIT[unit]).toFixed(2)} ${unit} buffer` : "no buffer";
    return `<li data-id="${esc(p.id)}"><strong>${esc(p.name)}</strong>
      <span class="muted">${esc(p.shape?.kind || "polygon")} · ${p.area_km2} km² · ${buf} · ${p.rules} alert rule(s) · ${esc(SOURCE[p.source] || p.source)}</span>
      <div class="actions"><button class="link" data-zoom>Show</button><button class="link" data-edit>Edit</button>
      ${p.shape?.kind !== "circle" ? `<button class="link" data-reshape>Reshape</button>` : ""}
      <a class="link" href="#/alerts?aoi=${esc(p.id)}">Alert me here</a><button class="link" data-report>Activity report</button>
      <button class="link danger" data-delete>Delete</button></div></li>`;
  }).join("") || `<li class="muted">No areas yet. Draw one on the map or import a file.</li>`;
  for (const li of $$("#aoi-list li[data-id]")) {
    const f = fc.features.find((x) => x.id === li.dataset.id);
    $("[data-zoom]", li).addEventListener("click", () => zoomTo(f.geometry));
    $("[data-edit]", li).addEventListener("click", () => editDialog(f));
    $("[data-reshape]", li)?.addEventListener("click", () => reshape(f));
    $("[data-report]", li).addEventListener("click", () => reportDialog(f.id));
    $("[data-delete]", li).addEventListener("click", async () => {
      if (!confirm(`Delete “${f.properties.name}” and its alert rules?`)) return;
      await api(`/v1/aois/${f.id}`, { method: "DELETE" }); refreshAois(state.map); view();
    });
  }
}

function zoomTo(geometry) {
  const pts = (geometry.type === "MultiPolygon" ? geometry.coordinates.flat(2) : geometry.coordinates.flat(1));
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  frame(state.map, [[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]]);
}

function editDialog(f) {
  const p = f.properties, unit = p.buffer_unit || "m", circle = p.shape?.kind === "circle";
  const card = openModal(`
    <h2 id="modal-title">Edit area</h2>
    <form id="edit-form" novalidate>
      <label>Name <input name="name" value="${esc(p.name)}" required maxlength="120"></label>
      ${circle ? `<label>Radius (m) <input name="radius" type="number" min="1" value="${esc(p.shape.radius_m)}"></label>` : ""}
      <div class="row"><label>Buffer <input name="buffer" type="number" min="0" step="any" value="${+(p.buffer_m / TO_UNIT[unit]).toFixed(3)}"></label>
      <label>Unit <select name="buffer_unit">${unitOptions(unit)}</select></label></div>
      <div class="actions"><button class="primary" type="submit">Save</button><button type="button" class="ghost" id="edit-cancel">Cancel</button></div>
    </form>`);
  $("#edit-cancel", card).addEventListener("click", closeModal);
  $("#edit-form", card).addEventListener("submit", async (e) => {
    e.preventDefault();
    const d = formData(e.target);
    const body = { name: d.name, buffer: Number(d.buffer || 0), buffer_unit: d.buffer_unit };
    if (circle) Object.assign(body, { kind: "circle", center: p.shape.center, radius: Number(d.radius), radius_unit: "m" });
    try { await api(`/v1/aois/${f.id}`, { method: "PATCH", body }); closeModal(); refreshAois(state.map); view(); }
    catch (err) { showError(e.target, err); }
  });
}

function reshape(f) {
  zoomTo(f.geometry);
  const session = editShape(state.map, f.geometry);
  drawing(true, "Drag the corners; tap Save when done.");
  const bar = $("#drawbar");
  const save = Object.assign(document.createElement("button"), { className: "primary", textContent: "Save shape", id: "reshape-save" });
  bar.appendChild(save);
  const finish = () => { save.remove(); drawing(false); state.cancelDraw = null; };
  state.cancelDraw = () => { session.cancel(); finish(); };
  save.addEventListener("click", async () => {
    const geometry = session.save();
    finish();
    try {
      await api(`/v1/aois/${f.id}`, { method: "PATCH", body: { kind: "polygon", geometry, buffer: f.properties.buffer_m, buffer_unit: "m" } });
      refreshAois(state.map); toast("Shape saved."); view();
    } catch (err) { toast(err.message, "error"); }
  });
}

// ---- first run: area -> alert -> sample alerts ----------------------------------------------
export async function onboarding() {
  if (state.map?.loaded()) frame(state.map);  // all of Texas, above the panel on a phone
  const step = (n, body) => {
    $("#view").innerHTML = `<section class="welcome" aria-labelledby="welcome-title">
      <p class="muted">Step ${n} of 3</p>${body}<p><a href="#/permits" class="muted">Skip the tour</a></p></section>`;
  };
  step(1, `<h2 id="welcome-title">Where do you want to watch for permits?</h2>
    <p>Draw your area on the map. You can also import a file later under Areas.</p>
    <div class="actions"><button data-draw="polygon" class="primary">Draw an area</button><button data-draw="rectangle">Rectangle</button>
    <button data-draw="circle">Point + radius</button></div>`);
  const shape = await new Promise((resolve) => $$("[data-draw]").forEach((b) => b.addEventListener("click", async () => {
    const s = await startDrawing(b.dataset.draw); if (s) resolve(s);
  })));
  step(2, `<h2 id="welcome-title">Name it and add a buffer</h2>
    <form id="ob-area" novalidate><label>Name <input name="name" required maxlength="120" value="My area"></label>
    <div class="row"><label>Buffer <input name="buffer" type="number" min="0" step="any" value="1"></label>
    <label>Unit <select name="buffer_unit">${unitOptions("mi")}</select></label></div>
    <button class="primary" type="submit">Next</button></form>`);
  const aoi = await new Promise((resolve) => $("#ob-area").addEventListener("submit", async (e) => {
    e.preventDefault();
    const d = formData(e.target);
    try { resolve(await api("/v1/aois", { method: "POST", body: { ...shapeBody(shape), name: d.name, buffer: Number(d.buffer || 0), buffer_unit: d.buffer_unit } })); }
    catch (err) { showError(e.target, err); }
  }));
  refreshAois(state.map);
  step(3, `<h2 id="welcome-title">How should we tell you?</h2>
    <form id="ob-rule" novalidate>
      <label class="check"><input type="checkbox" name="in_app" checked> In the app</label>
      ${state.me.user.email_verified ? `<label class="check"><input type="checkbox" name="email" checked> E-mail (${esc(state.me.user.email)})</label>`
        : `<label class="check"><input type="checkbox" name="email" disabled> E-mail: confirm ${esc(state.me.user.email)} first (we sent a link), then turn it on under Alerts</label>`}
      <p class="muted">SMS: add and verify your phone in <a href="#/account">account settings</a>, then turn it on under Alerts.</p>
      <label>Tell me about <select name="notify_on"><option value="new_only">new permits</option>
        <option value="new_and_amendments">new permits and amendments</option><option value="all_changes">every change</option></select></label>
      <label class="check"><input type="checkbox" name="notify_on_filings" checked> Also applications filed and pending approval
        <small class="muted">(a day or more before the RRC approves them)</small></label>
      <button class="primary" type="submit">Create my alert</button></form>`);
  const rule = await new Promise((resolve) => $("#ob-rule").addEventListener("submit", async (e) => {
    e.preventDefault();
    const d = formData(e.target);
    try {
      resolve(await api("/v1/alert-rules", { method: "POST", body: { name: `Permits in ${aoi.properties.name}`, aoi_id: aoi.id,
        notify_on: d.notify_on, notify_on_filings: !!d.notify_on_filings, channels: { in_app: d.in_app, email: d.email } } }));
    } catch (err) { showError(e.target, err); }
  }));
  $("#view").innerHTML = `<section class="welcome" aria-labelledby="welcome-title"><h2 id="welcome-title">You're set</h2>
    <p>We'll alert you when a permit is filed in <strong>${esc(aoi.properties.name)}</strong>.</p>
    <h3>Sample alerts</h3><p class="muted">Permits from the last 90 days of filings that this alert would have matched: <strong id="sample-count">${rule.sample_total.toLocaleString()}</strong>${rule.sample_total > rule.samples.length ? ` (the newest ${rule.samples.length} below)` : ""}</p>
    <ol class="results" id="samples">${rule.samples.map((s) => `<li><a class="permit-row" href="#/permit/${esc(s.status_number)}">
      <strong>${esc(s.lease_name || "")} ${esc(s.well_number || "")}</strong><span>${esc(s.operator_name || "")}</span>
      <span class="muted">${esc(s.county || "")} · ${esc(s.filing_purpose || "")} · issued ${esc(s.issued_date || "—")}</span></a></li>`).join("")
      || "<li class='muted'>None in the last 90 days. Your alert still watches every new filing.</li>"}</ol>
    <p><a class="button primary" href="#/permits">Go to the map</a></p></section>`;
  emit("chrome");
}
