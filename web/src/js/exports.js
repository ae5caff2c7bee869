// Exports: the dialog that starts one (from the permit list, a watchlist, an operator or the
// areas) and the Exports screen (history, progress, download).
import { api, filterQuery } from "./api.js";
import { reportDialog, schedulesSection } from "./reports.js";
import { $, $$, esc, fmtTime, openModal, closeModal, showError, toast } from "./ui.js";

const FORMATS = [
  ["xlsx", "Excel workbook (.xlsx)"], ["csv", "CSV (spreadsheets, databases)"], ["kml", "KML (Google Earth)"],
  ["geojson", "GeoJSON (GIS)"], ["shapefile", "Shapefile, zipped (GIS)"],
];
const STATUS = { queued: "Waiting to start", running: "Exporting", completed: "Ready", failed: "Failed", expired: "Expired" };
const REPORT_STATUS = { ...STATUS, running: "Making the report", completed: "Ready (PDF, with a workbook of every row)" };

// `source`: { search } (a permit search in the list's filter vocabulary), { watchlist_id },
// { operator_id }, or { kind: "areas" }; `what` says it in words.
export async function exportDialog(source, what) {
  const areas = source.kind === "areas";
  const columns = areas ? [] : await api("/v1/exports/columns");
  const card = openModal(`<h2 id="modal-title">Export ${esc(what)}</h2>
    <form id="export-form" novalidate>
      <label>Format <select name="format">${FORMATS.map(([v, label]) => `<option value="${v}">${esc(label)}</option>`).join("")}</select></label>
      ${areas ? "" : `<p class="muted">Every row also carries its status number, version, source file and RRC publication time.</p>
      <fieldset class="columns"><legend>Columns</legend>
        ${columns.map((c) => `<label class="check"><input type="checkbox" name="col" value="${esc(c.key)}" ${c.default ? "checked" : ""}> ${esc(c.label)}</label>`).join("")}
      </fieldset>`}
      <div class="actions"><button class="primary" type="submit">Start export</button><button type="button" class="ghost" id="export-cancel">Cancel</button></div>
    </form>`);
  $("#export-cancel", card).addEventListener("click", closeModal);
  $("#export-form", card).addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.target;
    const body = areas ? { kind: "areas", format: form.format.value } : {
      kind: "permits", format: form.format.value, columns: $$("input[name=col]", form).filter((c) => c.checked).map((c) => c.value), ...source };
    try {
      await api("/v1/exports", { method: "POST", body });
      closeModal();
      toast("Export started. It is listed under Exports, where you download it when it is ready.");
      location.hash = "#/exports";
    } catch (err) { showError(form, err); }
  });
}

// The search the permit list shows, as an export takes it.
export function listSearch(filters, bbox) {
  const search = { ...filterQuery({ ...filters }), ...(bbox ? { bbox } : {}) };
  for (const k of ["depth_min", "depth_max"]) if (search[k] !== undefined) search[k] = Number(search[k]);
  return search;
}

const size = (b) => (b < 1048576 ? `${Math.max(1, Math.round(b / 1024)).toLocaleString()} KB`
  : `${(b / 1048576).toLocaleString(undefined, { maximumFractionDigits: 1 })} MB`);

let timer = null;

export async function view() {
  clearTimeout(timer);
  $("#view").innerHTML = `<h2>Exports</h2>
    <p class="muted">Files stay downloadable for a few days (reports for a month); the link expires with them. Start an export from the
      permit list, an operator, a watchlist or your areas.</p>
    <div class="actions"><button class="ghost" id="export-areas">Export your areas…</button>
      <button class="ghost" id="new-report">Activity report for an area…</button></div>
    <div id="schedules"></div>
    <h3>History</h3>
    <ol class="results" id="exports"></ol>`;
  $("#export-areas").addEventListener("click", () => exportDialog({ kind: "areas" }, "your areas"));
  $("#new-report").addEventListener("click", () => reportDialog());
  const again = async () => { await schedulesSection($("#schedules"), again); await refresh(); };
  await again();
}

function share(j) {
  const url = new URL(j.download_url, location.href).href;
  navigator.clipboard.writeText(url).then(() => toast("Link copied. Anyone with it can download the report until it expires."),
    () => prompt("Copy this link to share the report (it expires):", url));
}

async function refresh() {
  const list = $("#exports");
  if (!list) return;
  const jobs = await api("/v1/exports");
  list.innerHTML = jobs.map((j) => `<li class="export ${esc(j.status)}">
      <strong>${esc(j.title)}</strong> <span class="pill">${esc(j.kind === "report" ? "Report" : j.format === "shapefile" ? "Shapefile" : j.format.toUpperCase())}</span>
      <span class="muted">${esc(j.kind === "report" ? REPORT_STATUS[j.status] : STATUS[j.status])}${j.kind === "report" ? "" : j.row_count !== null ? ` · ${j.row_count.toLocaleString()} rows` : j.rows_expected !== null ? ` · ${j.rows_expected.toLocaleString()} rows to write` : ""}
        · asked by ${esc(j.created_by || "a former member")} ${esc(fmtTime(j.created_at))}</span>
      ${j.status === "running" || j.status === "queued" ? `<progress max="1" value="${j.progress}" aria-label="progress of ${esc(j.title)}">${Math.round(j.progress * 100)}%</progress>` : ""}
      ${j.download_url ? `<a class="button primary download" href="${esc(j.download_url)}" download="${esc(j.file_name)}">${j.kind === "report" ? "Download PDF" : "Download"}</a>
        ${j.attachment_url ? `<a class="button ghost" href="${esc(j.attachment_url)}" download="${esc(j.attachment_name)}">Workbook</a>
          <button class="ghost" data-share="${esc(j.id)}">Copy share link</button>` : ""}
        <small class="muted">${esc(j.file_name)}, ${size(j.size_bytes)} · until ${esc(fmtTime(j.expires_at))}</small>` : ""}
      ${j.error ? `<p class="${j.status === "failed" ? "form-error" : "notice"}">${esc(j.error)}</p>` : ""}
    </li>`).join("") || `<li class="muted">No exports yet.</li>`;
  for (const btn of list.querySelectorAll("[data-share]")) btn.addEventListener("click", () => share(jobs.find((j) => j.id === btn.dataset.share)));
  if (jobs.some((j) => j.status === "queued" || j.status === "running")) timer = setTimeout(() => refresh().catch(() => {}), 1000);
}
