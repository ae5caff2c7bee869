// The workspace's audit log, for owners and admins: who did what and when, filtered by
// action, person and dates, older entries on demand, and the same view as a CSV download.
import { api } from "./api.js";
import { $, esc, fmtTime, toast } from "./ui.js";

const DETAIL_SKIP = new Set(["rule"]);  // long structures; the CSV has them whole

function detailText(details) {
  return Object.entries(details || {}).filter(([k, v]) => !DETAIL_SKIP.has(k) && v !== null && v !== "" && typeof v !== "object")
    .map(([k, v]) => `${k.replace(/_/g, " ")}: ${v}`).join(" · ");
}

function query(form, extra = {}) {
  const p = new URLSearchParams();
  for (const name of ["action", "actor", "since", "until"]) if (form[name].value) p.set(name, form[name].value);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p.toString();
}

function rows(items) {
  return items.map((e) => `<li><strong>${esc(e.actor_name || (e.actor_id ? "A former member" : "An API key or the system"))}</strong>
    ${esc(e.what)} <span class="muted">${esc(fmtTime(e.at))}</span>
    ${detailText(e.details) ? `<br><span class="muted">${esc(detailText(e.details))}</span>` : ""}</li>`).join("");
}

export async function view() {
  const choices = await api("/v1/audit/choices");
  $("#view").innerHTML = `<h2>Audit log</h2>
    <p class="muted">Everything done in this workspace that changes something: areas, rules, exports, API keys, webhooks, members.</p>
    <form id="audit-filters" class="filters">
      <label>What <select name="action"><option value="">Anything</option>${choices.actions.map((a) => `<option value="${esc(a.action)}">${esc(a.what)}</option>`).join("")}</select></label>
      <label>Who <select name="actor"><option value="">Anyone</option>${choices.people.map((p) => `<option value="${esc(p.id)}">${esc(p.name)}</option>`).join("")}</select></label>
      <label>From <input name="since" type="date"></label>
      <label>To <input name="until" type="date"></label>
      <div class="actions"><button class="primary" type="submit">Show</button><a class="button ghost" id="audit-csv" href="/v1/audit.csv" download>Download CSV</a></div>
    </form>
    <ul class="results audit" id="audit-rows"></ul>
    <div class="actions"><button class="ghost" id="audit-more" hidden>Older entries</button></div>`;
  const form = $("#audit-filters");
  let before = null;
  const load = async (more) => {
    try {
      const page = await api(`/v1/audit?${query(form, before && more ? { before } : {})}`);
      $("#audit-rows").innerHTML = (more ? $("#audit-rows").innerHTML : "") + (rows(page.items) || (more ? "" : `<li class="muted">Nothing matches.</li>`));
      before = page.next_before;
      $("#audit-more").hidden = !before;
      $("#audit-csv").href = `/v1/audit.csv?${query(form)}`;
    } catch (err) { toast(err.message, "error"); }
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); before = null; load(false); });
  $("#audit-more").addEventListener("click", () => load(true));
  await load(false);
}
