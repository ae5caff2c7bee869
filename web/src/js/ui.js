// Small DOM helpers shared by the views. Everything user- or server-provided goes through
// esc() before it reaches innerHTML.
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

export function esc(v) {
  return String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

export function toast(message, kind = "info") {
  const t = $("#toast");
  t.textContent = message;
  t.className = `toast ${kind}`;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), kind === "error" ? 8000 : 4000);
}

// Show a server problem next to the form that caused it, and name the field if it did.
export function showError(form, err) {
  const box = $(".form-error", form) || form.appendChild(Object.assign(document.createElement("p"), { className: "form-error", role: "alert" }));
  box.textContent = err.message || String(err);
  if (err.status === 402) {  // not in the plan: the way to one that has it
    box.append(" ", Object.assign(document.createElement("a"), { href: "#/billing", textContent: "See plans" }));
  }
  const field = err.problem?.param;
  $$("[aria-invalid]", form).forEach((el) => el.removeAttribute("aria-invalid"));
  if (field && form.elements[field]) form.elements[field].setAttribute("aria-invalid", "true");
}

export function formData(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.multiple) out[el.name] = [...el.selectedOptions].map((o) => o.value);
    else out[el.name] = el.value;
  }
  return out;
}

export function openModal(html) {
  $("#modal-card").innerHTML = html;
  $("#modal").hidden = false;
  const first = $("#modal-card input, #modal-card button");
  first?.focus();
  return $("#modal-card");
}

export function closeModal() { $("#modal").hidden = true; $("#modal-card").innerHTML = ""; }

export function fmtDate(v) { return v ? new Date(v.length === 10 ? v + "T12:00:00" : v).toLocaleDateString() : "—"; }
export function fmtTime(v) { return v ? new Date(v).toLocaleString() : "—"; }
// A publication known only by its day (a file named for its date) is midnight UTC: show the day.
export function fmtPublished(v) {
  if (!v) return "—";
  const d = new Date(v);
  return d.getUTCHours() || d.getUTCMinutes() || d.getUTCSeconds()
    ? d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })
    : d.toLocaleDateString(undefined, { dateStyle: "medium", timeZone: "UTC" });
}

export function ago(iso) {
  const s = (Date.now() - new Date(iso).getTime()) / 1000;
  if (s < 90) return "just now";
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

// "+15125550100" as Americans write it; other countries as stored (E.164).
export function fmtPhone(e164) {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164 || "");
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : e164 || "";
}

// A secret shown this once (an API key, a webhook's signing secret), with Copy.
export function showOnce(title, value, note, done) {
  const card = openModal(`<h2 id="modal-title">${esc(title)}</h2>
    <p>Copy it now: it is shown only this once. ${esc(note)}</p>
    <p><code class="secret" id="the-secret">${esc(value)}</code></p>
    <div class="actions"><button class="primary" id="copy-secret">Copy</button><button class="ghost" id="secret-done">Done</button></div>`);
  $("#copy-secret", card).addEventListener("click", () => navigator.clipboard.writeText(value).then(() => toast("Copied."),
    () => toast("Select it and copy it.", "error")));
  $("#secret-done", card).addEventListener("click", () => { closeModal(); done(); });
}
