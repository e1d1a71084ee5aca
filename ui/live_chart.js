// One live Plotly chart, updated in place: the first figure makes the plot, every later one goes
// through Plotly.react on the same <div>, so the figure's uirevision keeps the viewer's zoom, pan,
// legend clicks and selection, and layout.transition lets points glide from frame to frame.
// plotly.js is the copy Streamlit ships for st.plotly_chart (data.plotlyChunk, next to Streamlit's
// own index script); importing that chunk defines window.Plotly once for the whole page.

function loadPlotly(chunk) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__graphclPlotlyLoading) {
    const index = document.querySelector('script[src*="/static/js/index."]');
    const url = new URL(chunk, index ? index.src : document.baseURI).href;
    window.__graphclPlotlyLoading = import(url).then(() => {
      if (!window.Plotly) throw new Error("plotly.js did not load from " + url);
      return window.Plotly;
    });
  }
  return window.__graphclPlotlyLoading;
}

// Axes the viewer zoomed or panned (drag, scroll, the mode bar) keep the viewer's range even when a
// new figure brings different ranges (a projection's ranges follow its cloud); a double-click hands
// the axes back to the figure. Only relayouts right after a gesture count: Plotly also relayouts by
// itself (at the end of a transition, on resize), and those must not pin the axes.
const GESTURE_MS = 1500;

function watchViewer(el) {
  if (el.__viewerAxes) return;
  el.__viewerAxes = new Set();
  if (!el.__gestureListening) { // (DOM listeners outlive a purge; Plotly's own below do not)
    el.__gestureListening = true;
    el.__gestureAt = -Infinity;
    const gesture = () => { el.__gestureAt = performance.now(); };
    for (const type of ["pointerdown", "pointerup", "wheel"]) el.addEventListener(type, gesture, { capture: true, passive: true });
  }
  el.on("plotly_doubleclick", () => { el.__viewerAxes.clear(); el.__resetting = true; });
  el.on("plotly_relayout", (ev) => {
    if (el.__resetting) { el.__resetting = false; el.__viewerAxes.clear(); return; }
    if (el.__restoring || performance.now() - el.__gestureAt > GESTURE_MS) return;
    for (const k of Object.keys(ev || {})) {
      const m = k.match(/^([xy]axis[0-9]*)\.(range|autorange)/);
      if (!m) continue;
      if (m[2] === "autorange" && ev[k] === true) el.__viewerAxes.delete(m[1]);
      else if (m[2] === "range") el.__viewerAxes.add(m[1]);
    }
  });
}

function keepViewerAxes(el, layout) {
  if (!el.__viewerAxes || !el._fullLayout) return layout;
  for (const ax of el.__viewerAxes) {
    const now = el._fullLayout[ax];
    if (now && now.range) layout[ax] = { ...(layout[ax] || {}), range: now.range.slice(), autorange: false };
  }
  return layout;
}

// A figure's own ranges (a projection's follow its cloud) must hold once it is drawn. Under load, a frame
// drawn while the previous one still glided could end with the previous frame's ranges, clipping part
// of the cloud (CI, Cora: 383 of 2,708 points outside). Equal aspect may widen one axis, never narrow it:
// an axis whose range no longer contains the figure's is set back (axes the viewer zoomed are left alone).
function figureRanges(layout) {
  const out = {};
  for (const ax of ["xaxis", "yaxis"]) if (layout[ax] && layout[ax].range) out[ax] = layout[ax].range.slice();
  return out;
}

function restoreFigureRanges(Plotly, el, fig, wanted) {
  if (el.__latest !== fig || !el._fullLayout) return;
  const fix = {};
  for (const ax of ["xaxis", "yaxis"]) {
    const want = wanted[ax], now = el._fullLayout[ax] && el._fullLayout[ax].range;
    if (!want || !now || (el.__viewerAxes && el.__viewerAxes.has(ax))) continue;
    const eps = 1e-6 * Math.max(1, Math.abs(want[1] - want[0]));
    if (Math.min(now[0], now[1]) > Math.min(want[0], want[1]) + eps
        || Math.max(now[0], now[1]) < Math.max(want[0], want[1]) - eps) fix[ax + ".range"] = want.slice();
  }
  if (!Object.keys(fix).length) return;
  el.__restoring = true; // (not a viewer's zoom, even right after a click on the chart)
  return Plotly.relayout(el, fix).finally(() => { el.__restoring = false; });
}

// 2-D (x/y axes) or 3-D (a scene): Plotly.react cannot carry a plot from one to the other (its transition
// and range code read the old layout's xaxis, which a 3-D plot does not have: "Cannot read properties of
// undefined (reading 'range')"), and there is no zoom to keep across them. A switch of kind starts a new plot.
function kindOf(layout) {
  return Object.keys(layout || {}).some((k) => /^scene[0-9]*$/.test(k)) ? "3d" : "2d";
}

// Forget the plot on `el` (Plotly's state, its listeners, the viewer's pinned axes): the next frame makes a new one.
function startAfresh(Plotly, el) {
  if (Plotly && el._fullLayout) {
    try { Plotly.purge(el); } catch (_) { /* a half-made plot: its state is dropped below anyway */ }
  }
  delete el.__viewerAxes;
  delete el.__kind;
}

export default function ({ data, parentElement }) {
  if (data.preload) {
    // No chart yet (Train before Start): fetch plotly.js now, so the first live chart does not wait
    // the ~1.4 s its first load takes in a fresh tab.
    loadPlotly(data.plotlyChunk).catch(() => {});
    return;
  }
  let el = parentElement.querySelector(":scope > .graphcl-live-chart");
  if (!el) {
    el = document.createElement("div");
    el.className = "graphcl-live-chart";
    el.style.width = "100%";
    parentElement.appendChild(el);
  }
  const fig = JSON.parse(data.figure);
  el.style.height = (fig.layout.height || 450) + "px";
  el.dataset.key = data.key;
  // Frames are drawn in the order they came: a slow first load never lands over a newer frame.
  el.__latest = fig;
  el.__drawing = (el.__drawing || Promise.resolve())
    .then(() => loadPlotly(data.plotlyChunk))
    .then((Plotly) => {
      if (el.__latest !== fig) return; // a newer frame is queued: draw that one instead
      const kind = kindOf(fig.layout);
      if (el.__kind !== kind || el.__failed) startAfresh(Plotly, el);
      if (el.__failed) { el.textContent = ""; el.__failed = false; }
      el.__kind = kind;
      const want = figureRanges(fig.layout); // (before react: Plotly writes its own ranges into the layout)
      return Plotly.react(el, fig.data, keepViewerAxes(el, fig.layout), data.config)
        .then(() => { watchViewer(el); return restoreFigureRanges(Plotly, el, fig, want); });
    })
    .catch((err) => {
      // The message replaces the plot; the next frame draws a new one instead of updating a broken plot.
      startAfresh(window.Plotly, el);
      el.__failed = true;
      el.textContent = "The chart could not be drawn: " + err;
    });
}
