// AOI Activity Reports: the dialog that makes one now or schedules one (from the Exports
// screen or an area), and the schedules list on the Exports screen. A report, once asked
// for, is an export: it shows in the Exports history with its PDF, workbook and share link.
import { api } from "./api.js";
import { state } from "./state.js";
import { $, esc, fmtTime, openModal, closeModal, showError, toast } from "./ui.js";

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

// The periods offered for a report made now, as [value, words, start, end] (local days).
function periods() {
  const today = new Date(); today.setHours(12);
  const day = (n) => { const d = new Date(today); d.setDate(d.getDate() + n); return d; };
  const lastMonthEnd = new Date(today.getFullYear(), today.getMonth(), 0, 12);
  const lastMonthStart = new Date(lastMonthEnd.getFullYear(), lastMonthEnd.getMonth(), 1, 12);
  return [["week", "The last 7 days", iso(day(-7)), iso(day(-1))],
    ["month", `${lastMonthStart.toLocaleString(undefined, { month: "long", year: "numeric" })}`, iso(lastMonthStart), iso(lastMonthEnd)],
    ["30", "The last 30 days", iso(day(-30)), iso(day(-1))], ["custom", "Other dates…", "", ""]];
}

const emails = (text) => text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);

export async function reportDialog(aoiId = null) {
  const areas = (await api("/v1/aois")).features.map((f) => f.properties);
  if (!areas.length) { toast("Draw or import an area first: a report covers one of your areas."); return; }
  const choices = periods();
  const card = openModal(`<h2 id="modal-title">Activity report</h2>
    <p class="muted">A PDF for a client: a map of the area, the key numbers against the period before, new permits, amendments,
      filings pending approval, operators ranked and what changed since the last report, with a workbook of every row.</p>
    <form id="report-form" novalidate>
      <label>Area <select name="aoi_id">${areas.map((a) => `<option value="${esc(a.id)}" ${a.id === aoiId ? "selected" : ""}>${esc(a.name)}</option>`).join("")}</select></label>
      <fieldset><legend>When</legend>
        <label class="check"><input type="radio" name="when" value="now" checked> Make it now</label>
        <label class="check"><input type="radio" name="when" value="weekly"> Every week, by e-mail</label>
        <label class="check"><input type="radio" name="when" value="monthly"> Every month, by e-mail (on the 1st, for the month before)</label>
      </fieldset>
      <div data-for="now">
        <label>Period <select name="period">${choices.map(([v, w]) => `<option value="${v}">${esc(w)}</option>`).join("")}</select></label>
        <div class="row" data-custom hidden><label>First day <input type="date" name="start"></label><label>Last day <input type="date" name="end"></label></div>
      </div>
      <div data-for="weekly" hidden>
        <div class="row"><label>Weekday <select name="weekday">${WEEKDAYS.map((d, i) => `<option value="${i}">${d}</option>`).join("")}</select></label>
        <label>Time <input type="time" name="send_at_w" value="07:00"></label></div>
        <p class="muted">Covers the seven days before the day it is sent.</p>
      </div>
      <div data-for="monthly" hidden><label>Time on the 1st <input type="time" name="send_at_m" value="07:00"></label></div>
      <label>E-mail it to <input name="recipients" placeholder="you@company.com, client@example.com" value="${esc(state.me?.user?.email || "")}"
        autocomplete="email"></label>
      <p class="muted" data-hint>Addresses separated by commas; leave empty to only download it. Times are in your time zone.</p>
      <div class="actions"><button class="primary" type="submit">Make the report</button><button type="button" class="ghost" id="report-cancel">Cancel</button></div>
    </form>`);
  const form = $("#report-form", card);
  const sync = () => {
    const when = form.when.value;
    for (const el of card.querySelectorAll("[data-for]")) el.hidden = el.dataset.for !== when;
    $("[data-custom]", form).hidden = form.period.value !== "custom";
    $("button[type=submit]", form).textContent = when === "now" ? "Make the report" : "Schedule it";
  };
  form.addEventListener("change", sync);
  $("#report-cancel", card).addEventListener("click", closeModal);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const when = form.when.value, recipients = emails(form.recipients.value);
    try {
      if (when === "now") {
        const [, , start, end] = choices.find(([v]) => v === form.period.value);
        await api("/v1/reports", { method: "POST", body: { aoi_id: form.aoi_id.value, start: start || form.start.value, end: end || form.end.value, recipients } });
        closeModal();
        toast("The report is being made. It is listed under Exports, where you download or share it.");
      } else {
        const s = await api("/v1/report-schedules", { method: "POST", body: { aoi_id: form.aoi_id.value, cadence: when, recipients,
          weekday: Number(form.weekday.value), send_at: when === "weekly" ? form.send_at_w.value : form.send_at_m.value } });
        closeModal();
        toast(`Scheduled: ${s.description}. The first one goes out ${fmtTime(s.next_run_at)}.`);
      }
      if (location.hash === "#/exports") window.dispatchEvent(new HashChangeEvent("hashchange"));
      else location.hash = "#/exports";
    } catch (err) { showError(form, err); }
  });
}

// The schedules, on the Exports screen: pause or resume, send now, stop.
export async function schedulesSection(box, onChange) {
  const list = await api("/v1/report-schedules");
  box.innerHTML = list.length ? `<h3>Scheduled reports</h3><ul class="results schedules">${list.map((s) => `<li data-id="${esc(s.id)}">
      <strong>${esc(s.area_name)}</strong> <span class="pill">${s.cadence === "weekly" ? "Weekly" : "Monthly"}</span>
      ${s.enabled ? "" : `<span class="pill muted">Paused</span>`}
      <span class="muted">${esc(s.description)} · to ${esc(s.recipients.join(", "))}</span>
      <span class="muted">${s.enabled ? `Next: ${esc(fmtTime(s.next_run_at))}` : "Nothing is sent while paused"}${s.last_run_at ? ` · last sent ${esc(fmtTime(s.last_run_at))}` : ""}</span>
      <div class="actions"><button class="link" data-run>Send now</button>
        <button class="link" data-toggle>${s.enabled ? "Pause" : "Resume"}</button><button class="link danger" data-stop>Stop</button></div>
    </li>`).join("")}</ul>` : "";
  for (const li of box.querySelectorAll("li[data-id]")) {
    const s = list.find((x) => x.id === li.dataset.id);
    const act = async (fn, words) => {
      try { await fn(); toast(words); await onChange(); } catch (err) { toast(err.message, "error"); }
    };
    $("[data-run]", li).addEventListener("click", () => act(() => api(`/v1/report-schedules/${s.id}/run`, { method: "POST" }),
      `The report for ${s.area_name} is being made and will be mailed to ${s.recipients.length} address${s.recipients.length === 1 ? "" : "es"}.`));
    $("[data-toggle]", li).addEventListener("click", () => act(() => api(`/v1/report-schedules/${s.id}`, { method: "PATCH", body: { enabled: !s.enabled } }),
      s.enabled ? "Paused: nothing is sent until you resume it." : "Resumed."));
    $("[data-stop]", li).addEventListener("click", () => confirm(`Stop the ${s.cadence} report for ${s.area_name}?`)
      && act(() => api(`/v1/report-schedules/${s.id}`, { method: "DELETE" }), "Stopped."));
  }
}
