// Product metrics for the people who run permitwatch (platform admins): week by week, the
// North Star (actionable alerts opened per active account), opens, activation and
// trial-to-paid, each with its definition.
import { api } from "./api.js";
import { $, esc, fmtDate, fmtTime } from "./ui.js";

const pct = (v) => (v === null || v === undefined ? "—" : `${Math.round(v * 100)}%`);

export async function view() {
  const data = await api("/v1/platform/metrics");
  const rows = data.weeks.map((w) => `<tr><th scope="row">${esc(fmtDate(w.week_start))}</th>
    <td>${w.actionable_per_active_account.toFixed(2)}</td><td>${w.actionable_alerts_opened} of ${w.alerts_opened}</td>
    <td>${w.active_accounts}</td><td>${pct(w.activation_rate)} <span class="muted">of ${w.signups}</span></td>
    <td>${pct(w.trial_to_paid_rate)} <span class="muted">of ${w.trials_ended}</span></td></tr>`).join("");
  $("#view").innerHTML = `<h2>Product metrics</h2>
    <p class="muted">For the people who run permitwatch. Weeks start on Monday (UTC); the current week is so far.
    ${data.weeks.length ? `Computed ${esc(fmtTime(data.weeks[0].computed_at))}.` : ""}</p>
    ${data.weeks.length ? `<div class="table-wrap"><table class="metrics"><thead><tr><th scope="col">Week of</th><th scope="col">Actionable per active account</th>
      <th scope="col">Actionable of opened</th><th scope="col">Active accounts</th><th scope="col">Activation</th><th scope="col">Trial to paid</th></tr></thead>
      <tbody>${rows}</tbody></table></div>` : `<p>No figures yet: the platform sweep computes them every minute.</p>`}
    <h3>What the figures mean</h3><dl class="definitions">${Object.entries(data.definitions).map(([k, v]) =>
      `<dt>${esc(k.replace(/_/g, " "))}</dt><dd>${esc(v)}</dd>`).join("")}</dl>`;
}
