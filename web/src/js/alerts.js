// Alert rules (targets, channels and recipients, quiet hours, digests, a test send),
// saved searches in words, and operator watchlists.
import { api } from "./api.js";
import { exportDialog } from "./exports.js";
import { state, debounce } from "./state.js";
import { $, $$, esc, toast, showError, formData, openModal, closeModal, fmtDate } from "./ui.js";
import { ZONES } from "./account.js";

const NOTIFY = { new_only: "new permits", new_and_amendments: "new permits and amendments", all_changes: "every change" };
const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const CHANNEL = { in_app: "in-app", email: "e-mail", sms: "SMS" };

function quietWords(q) {
  if (!q) return "";
  const days = (w) => (!w.days || w.days.length === 7 ? "every day" : w.days.length === 5 && w.days.every((d) => d < 5) ? "weekdays"
    : w.days.map((d) => DAYS[d]).join(", "));
  return ` · quiet ${q.windows.map((w) => `${esc(w.start)}–${esc(w.end)} ${days(w)}`).join("; ")} (${esc(q.timezone.replace("America/", "").replace("_", " "))} time)`;
}

export async function view() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const [rules, aois, searches, lists, team] = await Promise.all([api("/v1/alert-rules"), api("/v1/aois"), api("/v1/saved-searches"),
    api("/v1/watchlists"), api("/v1/workspace/members")]);
  const texters = team.members.filter((m) => m.phone_verified);
  const opt = (items, sel, label) => `<option value="">—</option>` + items.map((x) => `<option value="${esc(x.id)}" ${x.id === sel ? "selected" : ""}>${esc(label(x))}</option>`).join("");
  $("#view").innerHTML = `
    <h2>Alerts</h2>
    <ol class="results" id="rules">${rules.map((r) => `
      <li data-id="${esc(r.id)}"><strong>${esc(r.name)}</strong> ${r.enabled ? "" : "<span class='pill'>paused</span>"}
        <span class="muted">${r.aoi_name ? `area “${esc(r.aoi_name)}” · ` : ""}${r.saved_search_id ? `search “${esc(searches.find((x) => x.id === r.saved_search_id)?.name || "")}” · ` : ""}${r.watchlist_id ? `watchlist “${esc(lists.find((x) => x.id === r.watchlist_id)?.name || "")}” · ` : ""}${esc(NOTIFY[r.notify_on])}${r.notify_on_filings ? " and filings pending approval" : ""}${r.new_acreage_only ? " (only in ground new to the operator)" : ""} ·
        ${Object.entries(r.channels).filter(([, on]) => on).map(([c]) => esc(CHANNEL[c] || c)).join(", ")}${quietWords(r.quiet_hours)}${r.digest_mode !== "none" ? ` · ${esc(r.digest_mode)} digest at ${esc(r.digest_at)}` : ""} · ${r.events} alerts</span>
        ${r.paused_channels.map((p) => `<p class="notice">${esc(p)}</p>`).join("")}
        <div class="actions"><button class="link" data-toggle>${r.enabled ? "Pause" : "Resume"}</button>
        <button class="link" data-test>Send me a test alert</button>
        <button class="link" data-samples>Sample alerts</button><button class="link danger" data-delete>Delete</button></div>
        <div class="samples"></div></li>`).join("") || "<li class='muted'>No alert rules yet.</li>"}</ol>
    <details ${rules.length && !params.get("aoi") ? "" : "open"}><summary><h3>New alert rule</h3></summary>
    <form id="rule-form" novalidate>
      <label>Name <input name="name" required maxlength="120" placeholder="e.g. New permits near my leases"></label>
      <label>Area <select name="aoi_id">${opt(aois.features, params.get("aoi"), (f) => f.properties.name)}</select></label>
      <label>Saved search <select name="saved_search_id">${opt(searches, null, (s) => s.name)}</select></label>
      <label>Watchlist <select name="watchlist_id">${opt(lists, null, (w) => w.name)}</select></label>
      <label class="check"><input type="checkbox" name="new_acreage_only"> With a watchlist: only a watched operator's first permit in a county
        (or in the area) where it had none in the last 12 months</label>
      <label>Tell me about <select name="notify_on"><option value="new_only">new permits</option>
        <option value="new_and_amendments">new permits and amendments</option><option value="all_changes">every change</option></select></label>
      <label class="check"><input type="checkbox" name="notify_on_filings"> Also applications filed and pending approval
        <small class="muted">(a day or more before the RRC approves them)</small></label>
      <fieldset><legend>Channels</legend>
        <label class="check"><input type="checkbox" name="in_app" checked> In-app</label>
        <label class="check"><input type="checkbox" name="email"> E-mail</label>
        <label class="check"><input type="checkbox" name="sms" ${texters.length ? "" : "disabled"}> SMS${texters.length ? "" : ` (add and verify a phone in <a href="#/account">account settings</a> first)`}</label></fieldset>
      <fieldset><legend>Who gets it</legend>
        ${team.members.map((m) => `<label class="check"><input type="checkbox" name="to_${esc(m.user_id)}" ${m.user_id === state.me.user.id ? "checked" : ""}>
          ${esc(m.display_name || m.email)}${m.phone_verified ? "" : " <small class='muted'>(no SMS)</small>"}</label>`).join("")}</fieldset>
      <fieldset><legend>Quiet hours (SMS and e-mail wait; in-app does not)</legend>
        <div class="row"><label>From <input type="time" name="quiet_start"></label><label>to <input type="time" name="quiet_end"></label></div>
        <label>On <select name="quiet_days"><option value="all">every day</option><option value="weekdays">weekdays</option><option value="weekend">weekends</option></select></label>
        <label>Time zone <select name="timezone">${ZONES.map((z) => `<option>${z}</option>`).join("")}</select></label></fieldset>
      <fieldset><legend>Digest</legend>
        <div class="row"><label>Send <select name="digest_mode"><option value="none">each alert at once</option><option value="daily">a daily digest</option>
          <option value="weekly">a weekly digest</option></select></label><label>at <input type="time" name="digest_at" value="07:00"></label></div></fieldset>
      <button class="primary" type="submit">Create alert</button>
    </form></details>
    <h3>Saved searches</h3>
    <ul class="results">${searches.map((s) => `<li><strong>${esc(s.name)}</strong> <span class="muted">${esc(s.summary)}</span>
      <button class="link" data-open-search="${esc(s.id)}">Open</button> <button class="link danger" data-del-search="${esc(s.id)}">Delete</button></li>`).join("")
      || "<li class='muted'>Save a search from the Permits tab.</li>"}</ul>
    <h3>Operator watchlists</h3>
    <ul class="results">${lists.map((w) => `<li><strong>${esc(w.name)}</strong> <span class="muted">${[...w.groups.map((g) => `${esc(g.name)} (group)`),
      ...w.operators.map((o) => esc(o.name))].join(", ")}</span>
      <button class="link" data-export-list="${esc(w.id)}">Export their permits</button>
      <button class="link danger" data-del-list="${esc(w.id)}">Delete</button></li>`).join("") || ""}</ul>
    <form id="watch-form" novalidate>
      <label>New watchlist name <input name="name" maxlength="120" placeholder="e.g. Competitors"></label>
      <label>Add operator or group <input name="op" list="watch-ops" autocomplete="off" placeholder="type a name"></label>
      <datalist id="watch-ops"></datalist><p id="watch-picked" class="muted"></p>
      <button type="submit">Create watchlist</button></form>`;
  wireRules(rules);
  wireWatchlist();
  $("#rule-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const d = formData(e.target);
    const days = { all: [0, 1, 2, 3, 4, 5, 6], weekdays: [0, 1, 2, 3, 4], weekend: [5, 6] }[d.quiet_days];
    const body = { name: d.name, aoi_id: d.aoi_id || null, saved_search_id: d.saved_search_id || null, watchlist_id: d.watchlist_id || null,
      notify_on: d.notify_on, notify_on_filings: !!d.notify_on_filings, new_acreage_only: !!d.new_acreage_only,
      channels: { in_app: d.in_app, email: d.email, sms: !!d.sms }, timezone: d.timezone,
      recipients: team.members.filter((m) => d[`to_${m.user_id}`]).map((m) => m.user_id),
      quiet_hours: d.quiet_start && d.quiet_end ? { timezone: d.timezone, windows: [{ start: d.quiet_start, end: d.quiet_end, days }] } : null,
      digest_mode: d.digest_mode, digest_at: d.digest_at || "07:00" };
    try {
      const r = await api("/v1/alert-rules", { method: "POST", body });
      toast(`Alert created: ${r.sample_total.toLocaleString()} permit(s) in the last 90 days would have matched.`);
      view();
    } catch (err) { showError(e.target, err); }
  });
  $$("[data-del-search]").forEach((b) => b.addEventListener("click", async () => { await api(`/v1/saved-searches/${b.dataset.delSearch}`, { method: "DELETE" }); view(); }));
  $$("[data-open-search]").forEach((b) => b.addEventListener("click", () => {
    state.filters = { ...searches.find((s) => s.id === b.dataset.openSearch).filters }; state.operators = []; location.hash = "#/permits";
  }));
  $$("[data-del-list]").forEach((b) => b.addEventListener("click", async () => { await api(`/v1/watchlists/${b.dataset.delList}`, { method: "DELETE" }); view(); }));
  $$("[data-export-list]").forEach((b) => b.addEventListener("click", () => exportDialog({ watchlist_id: b.dataset.exportList },
    `the permits of the watchlist “${lists.find((w) => w.id === b.dataset.exportList).name}”`)));
}

function wireRules(rules) {
  for (const li of $$("#rules li[data-id]")) {
    const r = rules.find((x) => x.id === li.dataset.id);
    $("[data-toggle]", li).addEventListener("click", async () => { await api(`/v1/alert-rules/${r.id}/enabled`, { method: "POST", body: { enabled: !r.enabled } }); view(); });
    $("[data-delete]", li).addEventListener("click", async () => { if (confirm(`Delete “${r.name}”?`)) { await api(`/v1/alert-rules/${r.id}`, { method: "DELETE" }); view(); } });
    $("[data-test]", li).addEventListener("click", async () => {
      try { const t = await api(`/v1/alert-rules/${r.id}/test`, { method: "POST" }); toast(`Test alert sent: ${t.sent_to.join("; ")}.`); }
      catch (err) { toast(err.message, "error"); }
    });
    $("[data-samples]", li).addEventListener("click", async () => {
      const s = await api(`/v1/alert-rules/${r.id}/samples`);
      $(".samples", li).innerHTML = `<p class="muted">${s.length ? `The newest ${s.length} permit(s) of the last 90 days it would have matched` : "No match in the last 90 days"}</p><ul>${s.map((p) => `<li><a href="#/permit/${esc(p.status_number)}">
        ${esc(p.lease_name || "")} ${esc(p.well_number || "")}</a> · ${esc(p.operator_name || "")} · ${fmtDate(p.issued_date)}</li>`).join("")}</ul>`;
    });
  }
}

function wireWatchlist() {
  const form = $("#watch-form"), picked = [];
  let hits = [];
  form.op.addEventListener("input", debounce(async () => {
    const q = form.op.value.trim();
    const exact = hits.find((o) => o.name === q);
    if (exact) { picked.push(exact); form.op.value = ""; $("#watch-picked").textContent = picked.map((o) => (o.group ? `${o.name} (group)` : o.name)).join(", "); return; }
    if (q.length < 2) return;
    const [ops, groups] = await Promise.all([api("/v1/operators", { query: { q } }), api("/v1/operator-groups")]);
    hits = [...groups.filter((g) => g.name.toLowerCase().includes(q.toLowerCase())).map((g) => ({ id: g.id, name: g.name, group: true })), ...ops];
    $("#watch-ops").innerHTML = hits.map((o) => `<option value="${esc(o.name)}">${o.group ? "your group" : esc(o.p5_number ? `P-5 ${o.p5_number}` : "")}</option>`).join("");
  }, 250));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { name: form.name.value, operator_ids: picked.filter((o) => !o.group).map((o) => o.id), group_ids: picked.filter((o) => o.group).map((o) => o.id) };
    try { await api("/v1/watchlists", { method: "POST", body }); view(); }
    catch (err) { showError(form, err); }
  });
}

export function saveSearchDialog(filters) {
  const card = openModal(`<h2 id="modal-title">Save this search</h2><form id="save-form" novalidate>
    <label>Name <input name="name" required maxlength="120"></label>
    <div class="actions"><button class="primary" type="submit">Save</button><button type="button" class="ghost" id="save-cancel">Cancel</button></div></form>`);
  $("#save-cancel", card).addEventListener("click", closeModal);
  $("#save-form", card).addEventListener("submit", async (e) => {
    e.preventDefault();
    const clean = Object.fromEntries(Object.entries(filters).filter(([, v]) => (Array.isArray(v) ? v.length : v)));
    try { await api("/v1/saved-searches", { method: "POST", body: { name: formData(e.target).name, filters: clean } }); closeModal(); toast("Search saved; alert on it under Alerts."); }
    catch (err) { showError(e.target, err); }
  });
}
