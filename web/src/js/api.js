// The one way the browser talks to the server: JSON with the CSRF header, problem+json
// errors turned into exceptions that carry the server's own explanation.
import { emit } from "./state.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

function csrf() {
  const m = document.cookie.match(/(?:^|; )pw_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : "";
}

export async function api(path, { method = "GET", body, form, query } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (Array.isArray(v)) v.forEach((x) => url.searchParams.append(k, x));
    else if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf();
  let payload;
  if (form) payload = form;
  else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  const res = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") || "";
  const data = type.includes("json") ? await res.json() : await res.text();
  if (res.status === 402) emit("payment-required", data);  // the shell shows the way to the plans
  if (!res.ok) throw new ApiError(res.status, typeof data === "object" ? data : { detail: data });
  return data;
}

export function filterQuery(filters) {
  // The same parameters the list and the tiles take.
  const q = {};
  for (const [k, v] of Object.entries(filters || {})) {
    if (Array.isArray(v) ? v.length : v) q[k] = v;
  }
  return q;
}
