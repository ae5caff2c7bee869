// Product metrics for the people who run permitwatch (platform admins): week by week, the
// North Star (actionable alerts opened per active account), opens, activation and
// trial-to-paid, each with its definition.
import { api } from "./api.js";
import { $, esc, fmtDate, fmtTime } from "./ui.js";

const pct = (v) => (v === null || v === undefined ? "—" : `${Math.round(v * 100)}%`);

export async function view() {
  const data = await api("/v1/platform/metrics");
  // one card a week (a wide table does not fit the side panel or a phone)
  const weeks = data.weeks.map((w) => `<li><strong>Week of ${esc(fmtDate(w.week_start))}</strong><dl class="week">
    <dt>Actionable alerts opened per active account</dt><dd>${w.actionable_per_active_account.toFixed(2)}</dd>
    <dt>Actionable of opened</dt><dd>${w.actionable_alerts_opened} of ${w.alerts_opened}</dd>
    <dt>Active accounts</dt><dd>${w.active_accounts}</dd>
    <dt>Activation</dt><dd>${pct(w.activation_rate)} <span class="muted">of ${w.signups} sign-up${w.signups === 1 ? "" : "s"}</span></dd>
    <dt>Trial to paid</dt><dd>${pct(w.trial_to_paid_rate)} <span class="muted">of ${w.trials_ended} trial${w.trials_ended === 1 ? "" : "s"} ended</span></dd></dl></li>`).join("");
  $("#view").innerHTML = `<h2>Product metrics</h2>
    <p class="muted">For the people who run permitwatch. Weeks start on Monday (UTC); the current week is so far.
    ${data.weeks.length ? `Computed ${esc(fmtTime(data.weeks[0].computed_at))}.` : ""}</p>
    ${data.weeks.length ? `<ul class="results weeks">${weeks}</ul>` : `<p>No figures yet: the platform sweep computes them every minute.</p>`}
    <h3>What the figures mean</h3><dl class="definitions">${Object.entries(data.definitions).map(([k, v]) =>
      `<dt>${esc(k.replace(/_/g, " "))}</dt><dd>${esc(v)}</dd>`).join("")}</dl>`;
}
