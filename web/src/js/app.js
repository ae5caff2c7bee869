// permitwatch browser app, the shell: boots, routes hash URLs to views, keeps the header
// (data freshness, unread count, account menu) current. Views import state.js, never this
// module; they ask the shell for things through state.js events.
import { api } from "./api.js";
import { createMap, refreshAois, PURPOSE_COLORS } from "./map.js";
import { $, $$, esc, closeModal, fmtTime, ago } from "./ui.js";
import { state, on } from "./state.js";
import * as auth from "./auth.js";
import * as areas from "./areas.js";
import * as alerts from "./alerts.js";
import * as permits from "./permits.js";
import * as inbox from "./inbox.js";
import * as team from "./team.js";
import * as account from "./account.js";
import * as operators from "./operators.js";
import * as exportsView from "./exports.js";
import * as keys from "./keys.js";
import * as audit from "./audit.js";
import * as billing from "./billing.js";
import * as platform from "./platform.js";

const VIEWS = {
  permits: () => permits.listView(), permit: (ref) => permits.detailView(ref), areas: () => areas.view(), alerts: () => alerts.view(),
  inbox: () => inbox.view(), team: () => team.view(), exports: () => exportsView.view(), account: () => account.view(), keys: () => keys.view(), audit: () => audit.view(), billing: (_, params) => billing.view(params), platform: () => platform.view(), welcome: () => areas.onboarding(),
  operator: (id, params) => operators.profileView(id, params), group: (id) => operators.groupView(id), compare: (_, params) => operators.compareView(params),
};

async function boot() {
  try {
    [state.cfg, state.me] = await Promise.all([api("/v1/config"), api("/auth/me")]);
  } catch (err) {
    $("#view").innerHTML = `<p class="form-error">The server did not answer: ${esc(err.message)}</p>`;
    return;
  }
  on("session", startApp);
  on("chrome", refreshChrome);
  on("payment-required", (problem) => showPlanBanner(problem.detail, "warn"));
  window.addEventListener("hashchange", route);
  $("#modal").addEventListener("click", (e) => { if (e.target.id === "modal" && !$("#modal").dataset.locked) closeModal(); });
  $("#menu-btn").addEventListener("click", toggleMenu);
  $("#sheet-toggle").addEventListener("click", () => {
    const p = $("#panel"); p.classList.toggle("collapsed");
    $("#sheet-toggle").setAttribute("aria-expanded", String(!p.classList.contains("collapsed")));
  });
  $("#draw-cancel").addEventListener("click", () => state.cancelDraw?.());
  $("#legend").addEventListener("click", (e) => {
    const open = e.currentTarget.classList.toggle("open");
    e.currentTarget.setAttribute("aria-expanded", String(open));
  });
  if (!state.me.user) { renderLegend(); return route(); }
  await startApp();
}

// After sign-in or sign-up: load the user first, then move to `next`, so the route sees
// the new session.
async function startApp(next) {
  state.me = await api("/auth/me");
  state.meta = state.meta || await api("/v1/filters");
  if (!state.map) {
    state.map = createMap($("#map"), state.cfg, { onPermitClick: (n) => (location.hash = `#/permit/${n}`) });
    // The member looking at the map (their own pan, zoom or click, not the app moving it):
    // what makes an opened alert "actionable" in the product metrics. At most every 3 minutes.
    let told = 0;
    state.map.on("moveend", (e) => {
      if (!e.originalEvent || !state.me?.workspace_id || Date.now() - told < 180000) return;
      told = Date.now();
      api("/v1/activity/map-viewed", { method: "POST" }).catch(() => { told = 0; });
    });
  }
  renderLegend();
  refreshChrome();
  clearInterval(state.poll);
  state.poll = setInterval(refreshChrome, 30000);
  if (next && location.hash !== next) location.hash = next;
  else route();
}

async function refreshChrome() {
  if (!state.me?.user) return;
  try {
    const [st, n, b] = await Promise.all([api("/v1/status"), api("/v1/notifications/unread-count"),
      state.me.workspace_id ? api("/v1/billing") : null]);
    if (b) {
      let words = b.message || b.notices.map((x) => x.message).join(" ");
      if (b.standing === "trial" && b.days_left <= 3 && b.value) {  // the trial's value, before it ends
        const v = b.value;
        words += ` So far: ${v.permits_matched.toLocaleString()} permits matched in your areas, ${v.alerts_sent.toLocaleString()} alerts sent (${v.alerts_opened.toLocaleString()} opened), ${v.operators_tracked.toLocaleString()} operators tracked, ${v.exports_made.toLocaleString()} exports.`;
      }
      showPlanBanner(words, b.standing === "lapsed" || b.standing === "grace" || b.notices.some((x) => x.level === "reached") ? "warn" : "");
    }
    const el = $("#freshness");
    // How new the RRC data is (its newest file), and when we last looked for a newer one.
    // A share's "Modified On" is a time of day; a file known only by the day in its name is midnight UTC.
    const asOf = st.latest_snapshot_at && new Date(st.latest_snapshot_at);
    const timed = asOf && (asOf.getUTCHours() || asOf.getUTCMinutes());
    const day = (opts) => asOf.toLocaleDateString(undefined, { month: "short", day: "numeric", ...(timed ? {} : { timeZone: "UTC" }), ...opts });
    const hour = timed ? `<span class="wide"> ${esc(asOf.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" }))}</span>` : "";
    el.innerHTML = asOf
      ? `<span>RRC ${timed ? "published" : "data<span class=\"wide\"> as of</span>"} ${esc(day({}))}${hour}</span>` +
        `${st.last_checked_at ? `<span><span class="wide">, </span>checked ${esc(ago(st.last_checked_at))}</span>` : ""}${st.stale ? " <b>(late)</b>" : ""}`
      : "No RRC data yet";
    el.title = st.last_success_at ? `Newest RRC file published ${fmtTime(st.latest_snapshot_at)}, loaded ${fmtTime(st.last_success_at)}` : "";
    el.classList.toggle("stale", !!st.stale);
    const badge = $("#unread");
    badge.textContent = n.unread;
    badge.hidden = !n.unread;
    $("#bell").setAttribute("aria-label", `Notifications, ${n.unread} unread`);
  } catch (err) { if (err.status === 401) location.hash = "#/signin"; }
}

// The plan's standing (trial days, a failed payment, read-only) and limits near, above
// every view, with the way to the Billing page.
function showPlanBanner(words, kind) {
  const el = $("#plan-banner");
  el.hidden = !words;
  if (!words) return;
  el.className = `plan-banner ${kind || ""}`;
  el.innerHTML = `${esc(words)} <a href="#/billing">${location.hash.startsWith("#/billing") ? "" : "Billing and plans"}</a>`;
}

function renderLegend() {
  $("#legend").innerHTML = state.me?.user ? `<strong>Filing purpose</strong>` +
    PURPOSE_COLORS.map(([, label, c]) => `<span><i style="background:${c}"></i>${esc(label)}</span>`).join("") +
    `<span><i class="ring"></i>Filed, pending approval</span><span class="muted">Zoom out: circles count permits</span>` : "";
}

function toggleMenu() {
  const m = $("#menu"), open = m.hidden;
  const me = state.me;
  if (!me?.user) { location.hash = "#/signin"; return; }
  m.innerHTML = `<p class="muted">${esc(me.user.email)}</p>` +
    me.workspaces.map((w) => `<button role="menuitem" data-ws="${esc(w.id)}" class="${w.id === me.workspace_id ? "current" : ""}">${esc(w.name)} <small>${esc(w.role)}</small></button>`).join("") +
    `<a role="menuitem" href="#/account">Account settings</a><a role="menuitem" href="#/billing">Billing and plans</a>` +
    (me.user.platform_admin ? `<a role="menuitem" href="#/platform">Product metrics</a>` : "") +
    `<a role="menuitem" href="/docs" target="_blank" rel="noopener">API docs</a>` +
    `<button role="menuitem" id="signout">Sign out</button>`;
  m.hidden = !open;
  $("#menu-btn").setAttribute("aria-expanded", String(open));
  $$("[data-ws]", m).forEach((b) => b.addEventListener("click", async () => {
    await api("/auth/workspace", { method: "POST", body: { workspace_id: b.dataset.ws } });
    m.hidden = true; refreshAois(state.map); await startApp();
  }));
  $$("a", m).forEach((a) => a.addEventListener("click", () => { m.hidden = true; $("#menu-btn").setAttribute("aria-expanded", "false"); }));
  $("#signout", m).addEventListener("click", async () => { await api("/auth/logout", { method: "POST" }); location.hash = "#/signin"; location.reload(); });
}

function route() {
  const [path, qs] = (location.hash.slice(1) || "/permits").split("?");
  const [, name, arg] = path.split("/");
  const params = new URLSearchParams(qs || "");
  if (auth.ROUTES[name]) return auth.ROUTES[name](params);
  if (!state.me?.user) { location.hash = "#/signin"; return; }
  if (!$("#modal").dataset.locked) closeModal();
  $$(".tabs a").forEach((a) => a.setAttribute("aria-selected", String(a.dataset.tab === ({ permit: "permits", operator: "compare", group: "compare", keys: "team", audit: "team", billing: "team" }[name] || name))));
  $("#panel").classList.remove("collapsed");
  (VIEWS[name] || VIEWS.permits)(arg && decodeURIComponent(arg), params);
}

boot();
