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

export default function ({ data, parentElement }) {
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
      return Plotly.react(el, fig.data, fig.layout, data.config);
    })
    .catch((err) => {
      el.textContent = "The chart could not be drawn: " + err;
    });
}
