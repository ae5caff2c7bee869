// The map: county base map from this server (plus an optional raster or a configured
// style), permit tiles coloured by filing purpose (counts at low zoom), the workspace's
// areas, and drawing with terra-draw.
import * as maplibregl from "maplibre-gl";
import { TerraDraw, TerraDrawPolygonMode, TerraDrawRectangleMode, TerraDrawCircleMode, TerraDrawSelectMode } from "terra-draw";
import { TerraDrawMapLibreGLAdapter } from "terra-draw-maplibre-gl-adapter";
import { state } from "./state.js";

export const TEXAS = [[-106.65, 25.84], [-93.51, 36.5]];
export const PURPOSE_COLORS = [
  ["01", "New drill", "#1565c0"], ["06", "Amended drill", "#7b1fa2"], ["12", "Horizontal", "#2e7d32"],
  ["14", "Recompletion", "#ef6c00"], ["04", "Plug back", "#6d4c41"], ["", "Other", "#546e7a"],
];
const GRID_MAX_ZOOM = 10;

function baseStyle(cfg) {
  if (cfg.map_style_url) {
    let url = cfg.map_style_url;
    if (cfg.mapbox_token && url.startsWith("mapbox://styles/")) {
      url = `https://api.mapbox.com/styles/v1/${url.slice(16)}?access_token=${cfg.mapbox_token}`;
    }
    return url;
  }
  const sources = {}, layers = [{ id: "bg", type: "background", paint: { "background-color": "#eef1f4" } }];
  if (cfg.basemap_raster_url) {
    sources.raster = { type: "raster", tiles: [cfg.basemap_raster_url], tileSize: 256, attribution: cfg.basemap_attribution, maxzoom: 19 };
    layers.push({ id: "raster", type: "raster", source: "raster", paint: { "raster-opacity": 0.75 } });
  }
  return { version: 8, sources, layers };
}

export function createMap(container, cfg, { onPermitClick, onReady }) {
  const map = new maplibregl.Map({ container, style: baseStyle(cfg), bounds: TEXAS, fitBoundsOptions: { padding: 20 },
    attributionControl: { compact: true }, cooperativeGestures: false, maxZoom: 18 });
  // A read-only handle for browser tests and the console; nothing in the app reads it.
  Object.defineProperty(window, "permitwatchMap", { value: map, configurable: true });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.GeolocateControl({}), "top-right");
  // A tile request the map aborted (panning on) is not an error; anything else is reported.
  map.on("error", (e) => { const m = String(e.error?.message || e); if (!/Failed to fetch|AbortError/.test(m)) console.error(`map: ${m}`); });
  map.on("load", () => {
    frame(map);
    const origin = location.origin;
    map.addSource("counties", { type: "vector", tiles: [`${origin}/tiles/counties/{z}/{x}/{y}.mvt`], maxzoom: 10 });
    map.addLayer({ id: "county-lines", type: "line", source: "counties", "source-layer": "counties",
      paint: { "line-color": "#8a96a3", "line-width": ["interpolate", ["linear"], ["zoom"], 4, 0.4, 10, 1.2] } });
    map.addSource("aois", { type: "vector", tiles: [`${origin}/tiles/aois/{z}/{x}/{y}.mvt`], maxzoom: 16 });
    map.addLayer({ id: "aoi-buffer", type: "line", source: "aois", "source-layer": "aois", filter: ["==", ["get", "kind"], "buffer"],
      paint: { "line-color": "#c62828", "line-width": 1.5, "line-dasharray": [2, 2] } });
    map.addLayer({ id: "aoi-fill", type: "fill", source: "aois", "source-layer": "aois", filter: ["==", ["get", "kind"], "area"],
      paint: { "fill-color": "#e53935", "fill-opacity": 0.08 } });
    map.addLayer({ id: "aoi-line", type: "line", source: "aois", "source-layer": "aois", filter: ["==", ["get", "kind"], "area"],
      paint: { "line-color": "#c62828", "line-width": 2 } });
    setPermitSource(map, "");
    // The feature id is the RRC status number (7 digits, zero-padded in RRC's files).
    map.on("click", "permit-points", (e) => { const f = e.features?.[0]; if (f) onPermitClick(String(f.id).padStart(7, "0"), e.lngLat); });
    map.on("click", "permit-cells", (e) => map.easeTo({ center: e.lngLat, zoom: Math.min(map.getZoom() + 2, 12) }));
    for (const layer of ["permit-points", "permit-cells"]) {
      map.on("mouseenter", layer, () => (map.getCanvas().style.cursor = "pointer"));
      map.on("mouseleave", layer, () => (map.getCanvas().style.cursor = ""));
    }
    map.once("idle", () => { document.body.dataset.mapIdle = "true"; onReady?.(); });
  });
  return map;
}

// Texas (or other bounds) in the part of the map a person can see: on a phone the panel
// covers the lower part, so the frame sits above it.
export function frame(map, bounds = TEXAS, maxZoom = 14) {
  const box = map.getContainer().getBoundingClientRect();
  const panel = document.getElementById("panel")?.getBoundingClientRect();
  // what of the map the panel covers: its lower part on a phone (bottom sheet), nothing beside it on a desktop
  const covered = panel ? {
    bottom: panel.left <= box.left && panel.right >= box.right ? Math.max(0, box.bottom - panel.top) : 0,
    left: panel.top <= box.top && panel.bottom >= box.bottom ? Math.max(0, panel.right - box.left) : 0,
  } : { bottom: 0, left: 0 };
  // never pad away more than the map has: keep at least 120 px of it to frame in
  const bottom = Math.min(covered.bottom, Math.max(box.height - 120, 0));
  const left = Math.min(covered.left, Math.max(box.width - 120, 0));
  map.fitBounds(bounds, { padding: { top: 16, right: 16, bottom: bottom + 16, left: left + 16 }, maxZoom, duration: 0 });
}

export function setPermitSource(map, query) {
  const url = `${location.origin}/tiles/permits/{z}/{x}/{y}.mvt${query ? "?" + query : ""}`;
  const src = map.getSource("permits");
  if (src) { src.setTiles([url]); return; }
  map.addSource("permits", { type: "vector", tiles: [url], minzoom: 0, maxzoom: 16 });
  const colour = ["match", ["get", "p"]];
  for (const [code, , c] of PURPOSE_COLORS.slice(0, -1)) colour.push(code, c);
  colour.push(PURPOSE_COLORS.at(-1)[2]);
  map.addLayer({ id: "permit-cells", type: "circle", source: "permits", "source-layer": "permits", maxzoom: GRID_MAX_ZOOM + 1,
    paint: { "circle-color": ["interpolate", ["linear"], ["get", "count"], 1, "#90caf9", 20, "#1e88e5", 200, "#0d47a1"],
             "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 3, 10, 10, 40, 18],
             "circle-opacity": 0.8, "circle-stroke-color": "#fff", "circle-stroke-width": 0.5 } }, "aoi-buffer");
  map.addLayer({ id: "permit-points", type: "circle", source: "permits", "source-layer": "permits", minzoom: GRID_MAX_ZOOM + 1,
    // An application still pending approval is a ring in its purpose's colour: filed, not yet a permit.
    paint: { "circle-color": colour, "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 3, 15, 7],
             "circle-opacity": ["case", ["==", ["get", "s"], "pending"], 0, 1],
             "circle-stroke-color": ["case", ["==", ["get", "s"], "pending"], colour, "#fff"],
             "circle-stroke-width": ["case", ["==", ["get", "s"], "pending"], 2.5, 1] } }, "aoi-buffer");
}

export function refreshAois(map) {
  const src = map.getSource("aois");
  if (src) src.setTiles([`${location.origin}/tiles/aois/{z}/{x}/{y}.mvt?v=${Date.now()}`]);
}

let draw;
function ensureDraw(map) {
  if (draw) return draw;
  draw = new TerraDraw({ adapter: new TerraDrawMapLibreGLAdapter({ map }), modes: [
    new TerraDrawPolygonMode(), new TerraDrawRectangleMode(), new TerraDrawCircleMode(),
    new TerraDrawSelectMode({ flags: { polygon: { feature: { coordinates: { draggable: true, midpoints: true, deletable: true } } } } }),
  ] });
  draw.start();
  return draw;
}

// Draw one shape; resolves with {kind, geometry|bbox|center+radius_m}, or null if cancelled.
export function drawShape(map, kind) {
  const d = ensureDraw(map);
  d.clear();
  d.setMode(kind === "rectangle" ? "rectangle" : kind === "circle" ? "circle" : "polygon");
  return new Promise((resolve) => {
    const done = (id) => {
      d.off("finish", done);
      const f = d.getSnapshotFeature(id);
      d.setMode("static");
      d.clear();
      resolve(f ? describe(kind, f.geometry) : null);
    };
    d.on("finish", done);
    state.cancelDraw = () => { d.off("finish", done); d.clear(); d.setMode("static"); resolve(null); };
  });
}

// Reshape an existing polygon by dragging its corners; resolves with the new geometry.
export function editShape(map, geometry) {
  const d = ensureDraw(map);
  d.clear();
  const ring = geometry.type === "MultiPolygon" ? geometry.coordinates[0] : geometry.coordinates;
  const [feat] = d.addFeatures([{ type: "Feature", geometry: { type: "Polygon", coordinates: ring }, properties: { mode: "polygon" } }]);
  d.setMode("select");
  d.selectFeature(feat.id);
  return {
    save() { const f = d.getSnapshotFeature(feat.id); d.clear(); d.setMode("static"); return f.geometry; },
    cancel() { d.clear(); d.setMode("static"); },
  };
}

function haversine([lon1, lat1], [lon2, lat2]) {
  const r = (x) => (x * Math.PI) / 180, R = 6371008.8;
  const a = Math.sin(r(lat2 - lat1) / 2) ** 2 + Math.cos(r(lat1)) * Math.cos(r(lat2)) * Math.sin(r(lon2 - lon1) / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(a));
}

function describe(kind, geometry) {
  const ring = geometry.coordinates[0];
  if (kind === "rectangle") {
    const xs = ring.map((p) => p[0]), ys = ring.map((p) => p[1]);
    return { kind, bbox: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] };
  }
  if (kind === "circle") {
    const pts = ring.slice(0, -1);
    const center = [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
    return { kind, center, radius_m: Math.round(pts.reduce((s, p) => s + haversine(center, p), 0) / pts.length) };
  }
  return { kind: "polygon", geometry };
}
