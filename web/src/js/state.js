// What the views share: the session's state, and named events through which a view asks
// the shell for something (start the app after sign-in, refresh the header) without
// importing it, so the modules form a tree, not a cycle.
export const state = {
  me: null, cfg: null, meta: null, map: null, filters: {}, operators: [], operatorHits: [], inView: false, cursor: null,
  marker: null, cancelDraw: null, poll: null,
};

const listeners = new Map();

export function on(name, fn) {
  if (!listeners.has(name)) listeners.set(name, []);
  listeners.get(name).push(fn);
}

export function emit(name, ...args) {
  return Promise.all((listeners.get(name) || []).map((fn) => fn(...args)));
}

export function debounce(fn, ms) {
  let t;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}
