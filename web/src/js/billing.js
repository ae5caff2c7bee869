// Billing: the plan and where it stands, the next invoice, this month's usage against each
// limit (with the 80% notices), what the trial has delivered, and the ways to pay: Stripe
// Checkout to subscribe, the Customer Portal to change or cancel (owners only).
import { api } from "./api.js";
import { $, $$, esc, fmtDate, toast, showError } from "./ui.js";
import { state, emit } from "./state.js";

const CHANNELS = { email: "E-mail", sms: "Text", in_app: "In-app", webhook: "Webhook" };
const PERCENT = (u) => (u.allowed ? Math.min(100, Math.round((u.used * 100) / u.allowed)) : 0);

function valueBox(v) {
  if (!v) return "";
  const lag = v.median_minutes_after_rrc === null ? "" :
    `<li>Typical time from the RRC publishing a permit to your alert: <b>${v.median_minutes_after_rrc < 90 ? `${Math.round(v.median_minutes_after_rrc)} minutes` : `${(v.median_minutes_after_rrc / 60).toFixed(1)} hours`}</b></li>`;
  return `<section class="card-ish"><h3>What your trial has done so far</h3><ul>
    <li>Permits matched in your areas: <b>${v.permits_matched.toLocaleString()}</b></li>
    <li>Alerts sent to you: <b>${v.alerts_sent.toLocaleString()}</b> (${v.alerts_opened.toLocaleString()} opened)</li>${lag}
    <li>Operators you track: <b>${v.operators_tracked.toLocaleString()}</b></li>
    <li>Exports and reports made: <b>${v.exports_made.toLocaleString()}</b></li></ul></section>`;
}

function planCards(catalogue, current, owner) {
  return catalogue.plans.map((p) => `<li class="plan-offer"><strong>${esc(p.name)}</strong> <span>${esc(p.price)} a month</span>
    <br><span class="muted">${esc(p.summary)}</span>
    <br><span class="muted">${p.limits.areas} areas · ${p.limits.alert_rules} alert rules · ${p.limits.seats} members · ${p.limits.sms_per_month.toLocaleString()} texts a month · ${p.limits.exports_per_day} exports a day${p.limits.api_calls_per_month ? ` · API: ${p.limits.api_calls_per_month.toLocaleString()} calls a month` : ""}</span>
    ${owner ? `<form class="checkout" data-plan="${esc(p.code)}">
      ${catalogue.addons.filter((a) => a.plans.includes(p.code)).map((a) => `<label>${esc(a.name)} (${esc(a.unit)}, ${esc(a.price)} a month each)
        <input type="number" name="${esc(a.code)}" min="0" max="20" value="0" inputmode="numeric"></label>`).join("")}
      <button class="primary" type="submit">${current === p.code ? `Subscribe to ${esc(p.name)}` : `Choose ${esc(p.name)}`}</button></form>` : ""}</li>`).join("");
}

export async function view(params) {
  const [b, catalogue] = await Promise.all([api("/v1/billing"), api("/v1/billing/plans")]);
  emit("chrome");  // the banner says the same as this page
  const owner = state.me.role === "owner";
  const back = params?.get("checkout") === "done";
  if (back && !b.has_subscription && (params.get("tries") || 0) < 15) {
    // Stripe's webhook may come a moment after the browser: look again shortly.
    $("#view").innerHTML = `<h2>Billing</h2><p role="status">Payment received. Setting up your plan…</p>`;
    const next = new URLSearchParams(params);
    next.set("tries", String(Number(params.get("tries") || 0) + 1));
    setTimeout(() => { if (location.hash.startsWith("#/billing")) view(next); }, 1000);
    return;
  }
  if (back) toast(b.has_subscription ? `Subscribed to ${b.plan.name}. Thank you!` : "Payment received; your plan appears here in a moment.");
  const usage = b.usage.map((u) => `<li><span>${esc(u.label[0].toUpperCase() + u.label.slice(1))}</span>
    <span class="muted">${u.used.toLocaleString()} of ${u.allowed.toLocaleString()}</span>
    <progress max="100" value="${PERCENT(u)}" aria-label="${esc(u.label)}: ${PERCENT(u)}% used"></progress></li>`).join("");
  const alerts = Object.entries(b.alerts_by_channel).filter(([k, n]) => n || k !== "webhook")
    .map(([k, n]) => `${esc(CHANNELS[k])}: ${n.toLocaleString()}`).join(" · ");
  const status = { trial: `Trial, ${b.days_left} day${b.days_left === 1 ? "" : "s"} left`, paid: b.status === "comped" ? "Provided by permitwatch" : "Active",
    grace: "Payment failed: grace period", lapsed: "Read-only" }[b.standing];
  $("#view").innerHTML = `<h2>Billing</h2>
    <section><h3>Plan: ${esc(b.plan.name)}${b.plan.price ? ` <span class="muted">(${esc(b.plan.price)} a month)</span>` : ""}</h3>
      <p>${esc(status)}${b.until && b.standing !== "trial" ? ` · ${b.standing === "paid" && !b.cancel_at_period_end ? "renews" : b.cancel_at_period_end ? "ends" : "until"} ${esc(fmtDate(b.until))}` : ""}</p>
      ${b.addons.length ? `<p>Add-ons: ${b.addons.map((a) => `${esc(a.name)} × ${a.quantity} (${esc(a.price)} a month)`).join(", ")}</p>` : ""}
      ${b.next_invoice ? `<p>Next invoice: <b>${esc(b.next_invoice.amount)}</b> on ${esc(fmtDate(b.next_invoice.on))} <span class="muted">(estimate)</span></p>` : ""}
      ${b.sms_beyond_plan ? `<p>Texts beyond the plan this month: ${b.sms_beyond_plan.toLocaleString()} (${esc(b.sms_beyond_plan_cost)}, on the next invoice)</p>` : ""}
      ${owner && b.has_customer ? `<button class="primary" id="portal">Manage billing</button><br><span class="muted">Change plan or add-ons, update the card, download invoices, or cancel.</span>` : ""}
    </section>
    ${b.notices.length ? `<ul class="notices">${b.notices.map((n) => `<li class="${n.level}">${esc(n.message)}</li>`).join("")}</ul>` : ""}
    <section class="usage"><h3>This month</h3><ul class="results usage-lines">${usage}</ul>
      <p class="muted">Alerts sent: ${alerts}</p></section>
    ${valueBox(b.value)}
    ${b.has_subscription ? "" : `<section><h3>${b.standing === "trial" ? "Choose a plan" : "Plans"}</h3>
      ${owner ? "" : `<p class="muted">The workspace's owner chooses the plan.</p>`}
      <ul class="results plans">${planCards(catalogue, b.plan.code, owner)}</ul>
      <p class="muted">Texts beyond the plan: ${esc(catalogue.sms_beyond_plan)}. Paid through Stripe; cancel anytime.${b.standing === "trial" ? " Subscribing now keeps the trial's remaining days free." : ""}</p></section>`}`;
  $("#portal")?.addEventListener("click", async (e) => {
    e.target.disabled = true;
    try { location.assign((await api("/v1/billing/portal", { method: "POST" })).url); }
    catch (err) { toast(err.message, "error"); e.target.disabled = false; }
  });
  $$("form.checkout").forEach((f) => f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const addons = {};
    $$("input[type=number]", f).forEach((i) => { if (Number(i.value) > 0) addons[i.name] = Number(i.value); });
    $("button", f).disabled = true;
    try { location.assign((await api("/v1/billing/checkout", { method: "POST", body: { plan: f.dataset.plan, addons } })).url); }
    catch (err) { showError(f, err); $("button", f).disabled = false; }
  }));
}
