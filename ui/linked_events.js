// Selection events of a live chart (ui/live_chart.js, found by its key) sent to Python: the points a
// box or lasso selected, or the point clicked, as {curve_number, point_index} pairs. A separate small
// component, so the live chart itself stays a pure drawing; it hooks each plot element once.

const WAIT_MS = 200;
const TRIES = 150; // the first plot can wait on plotly.js loading: up to 30 s

function pointsOf(ev) {
  return ((ev && ev.points) || []).map((p) => ({
    curve_number: p.curveNumber,
    point_index: p.pointIndex !== undefined ? p.pointIndex : p.pointNumber,
  }));
}

export default function ({ data, setTriggerValue }) {
  const selector = `.graphcl-live-chart[data-key="${CSS.escape(data.chart)}"]`;
  const hook = (left) => {
    const el = document.querySelector(selector);
    if (!el || typeof el.on !== "function") {
      if (left > 0) setTimeout(() => hook(left - 1), WAIT_MS);
      return;
    }
    el.__linkedSend = setTriggerValue; // the latest render's sender
    if (el.__linkedHooked) return;
    el.__linkedHooked = true;
    const send = (ev) => {
      const points = pointsOf(ev);
      if (points.length) el.__linkedSend("selection", { points, at: Date.now() });
    };
    el.on("plotly_selected", send);
    if (data.click) el.on("plotly_click", send);
  };
  hook(TRIES);
}
