// Signed-out screens: sign in, sign up, forgotten password, and the links that e-mails carry
// (confirm an address or a new address, reset password, join a workspace).
import { api } from "./api.js";
import { $, esc, showError, formData, openModal, closeModal, toast } from "./ui.js";
import { state, emit } from "./state.js";

function locked(html) {
  $("#modal").dataset.locked = "1";
  return openModal(html);
}

function unlock() { delete $("#modal").dataset.locked; closeModal(); }

function signin(params) {
  const card = locked(`
    <h1 id="modal-title">Sign in</h1>
    <form id="signin-form" novalidate>
      <label>E-mail <input name="email" type="email" autocomplete="username" required></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button class="primary" type="submit">Sign in</button>
    </form>
    <p><a href="#/signup${params.get("invite") ? "?invite=" + esc(params.get("invite")) : ""}">Create an account</a> · <a href="#/forgot">Forgot password?</a></p>`);
  $("#signin-form", card).addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("/auth/login", { method: "POST", body: formData(e.target) });
      const invite = params.get("invite");
      if (invite) await api("/auth/invitations/accept", { method: "POST", body: { token: invite } });
      unlock();
      await emit("session", "#/permits");
    } catch (err) { showError(e.target, err); }
  });
}

function signup(params) {
  const invite = params.get("invite");
  const card = locked(`
    <h1 id="modal-title">Get permit alerts</h1>
    <p class="muted">Draw the area you care about and know the day a permit is filed there.</p>
    <form id="signup-form" novalidate>
      <label>E-mail <input name="email" type="email" autocomplete="email" required></label>
      <label>Password <input name="password" type="password" autocomplete="new-password" minlength="10" required
        aria-describedby="pw-help"></label>
      <small id="pw-help" class="muted">At least 10 characters.</small>
      ${invite ? "" : `<label>Company or workspace name <input name="workspace_name" autocomplete="organization" placeholder="optional"></label>`}
      <button class="primary" type="submit">Create account</button>
    </form>
    <p>Have an account? <a href="#/signin${invite ? "?invite=" + esc(invite) : ""}">Sign in</a></p>`);
  $("#signup-form", card).addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("/auth/signup", { method: "POST", body: { ...formData(e.target), invitation: invite || undefined } });
      unlock();
      await emit("session", invite ? "#/permits" : "#/welcome");
    } catch (err) { showError(e.target, err); }
  });
}

function forgot() {
  const card = locked(`
    <h1 id="modal-title">Reset your password</h1>
    <form id="forgot-form" novalidate>
      <label>E-mail <input name="email" type="email" autocomplete="email" required></label>
      <button class="primary" type="submit">E-mail me a link</button>
    </form><p><a href="#/signin">Back to sign in</a></p>`);
  $("#forgot-form", card).addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const r = await api("/auth/password-reset", { method: "POST", body: formData(e.target) });
      e.target.outerHTML = `<p role="status">${esc(r.detail)}.</p>`;
    } catch (err) { showError(e.target, err); }
  });
}

function reset(params) {
  const card = locked(`
    <h1 id="modal-title">Choose a new password</h1>
    <form id="reset-form" novalidate>
      <label>New password <input name="password" type="password" autocomplete="new-password" minlength="10" required></label>
      <button class="primary" type="submit">Save and sign in</button>
    </form>`);
  $("#reset-form", card).addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("/auth/password-reset/confirm", { method: "POST", body: { token: params.get("token"), password: formData(e.target).password } });
      unlock(); toast("Password changed; you are signed in."); await emit("session", "#/permits");
    } catch (err) { showError(e.target, err); }
  });
}

async function verify(params) {
  try {
    await api("/auth/verify", { method: "POST", body: { token: params.get("token") } });
    toast("E-mail confirmed: e-mail alerts can go to it now.");
  } catch (err) { toast(err.message, "error"); }
  if (state.me?.user) await emit("session", "#/permits");
  else location.hash = "#/signin";
}

async function invite(params) {
  const token = params.get("token");
  let inv;
  try { inv = await api(`/auth/invitations/${encodeURIComponent(token)}`); } catch (err) {
    locked(`<h1 id="modal-title">Invitation</h1><p class="form-error">${esc(err.message)}</p><a href="#/signin">Sign in</a>`); return;
  }
  if (state.me?.user) {
    try {
      await api("/auth/invitations/accept", { method: "POST", body: { token } });
      toast(`You joined ${inv.workspace_name}.`); await emit("session", "#/permits");
    } catch (err) { toast(err.message, "error"); location.hash = "#/permits"; }
    return;
  }
  locked(`<h1 id="modal-title">Join ${esc(inv.workspace_name)}</h1>
    <p>You were invited as ${esc(inv.role)} (${esc(inv.email)}).</p>
    <p><a class="button primary" href="#/signup?invite=${esc(token)}">Create an account</a> or <a href="#/signin?invite=${esc(token)}">sign in</a> to accept.</p>`);
}

async function email(params) {
  try {
    const r = await api("/v1/account/email/confirm", { method: "POST", body: { token: params.get("token") } });
    toast(r.detail.replace(/^./, (c) => c.toUpperCase()) + ".");
  } catch (err) { toast(err.message, "error"); }
  if (state.me?.user) await emit("session", "#/account");
  else location.hash = "#/signin";
}

export const ROUTES = { signin, signup, forgot, reset, verify, invite, email };
