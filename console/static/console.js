// Staff console: progressive enhancement only. Every page works without
// this script; with it, the SLA countdowns keep counting and turn amber or
// red as time passes, a form is not sent twice by a double click, and a
// form that cannot be undone asks first.
(function () {
  "use strict";

  function fmt(ms, units) {
    var u = (units || "d,h,m").split(",");
    var sep = u[0] === "d" ? " " : "";
    ms = Math.abs(ms);
    var d = Math.floor(ms / 86400000), h = Math.floor(ms % 86400000 / 3600000), m = Math.floor(ms % 3600000 / 60000);
    var parts = [];
    if (d > 0) parts.push(d + u[0]);
    if (d > 0 || h > 0) parts.push(h + u[1]);
    parts.push(m + u[2]);
    return parts.join(sep);
  }

  // The same rule as the server's (console/sla.go): amber at the share of
  // the window (80 %), red once the deadline has passed or was breached.
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".sla[data-deadline]").forEach(function (el) {
      var start = Date.parse(el.dataset.start), due = Date.parse(el.dataset.deadline);
      var share = parseFloat(el.dataset.share) || 0.8;
      if (isNaN(start) || isNaN(due)) return;
      var state = "ok";
      if (el.dataset.breached === "1" || now >= due) state = "breached";
      else if (now >= start + (due - start) * share) state = "warn";
      el.classList.remove("sla-ok", "sla-warn", "sla-breached");
      el.classList.add("sla-" + state);
      el.dataset.sla = state;
      var row = el.closest("tr");
      if (row) {
        row.classList.remove("sla-ok", "sla-warn", "sla-breached");
        row.classList.add("sla-" + state);
      }
      var left = el.querySelector(".left");
      if (left) left.textContent = (now >= due ? el.dataset.over : el.dataset.left) + " " + fmt(due - now, el.dataset.units);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 30000);
    document.querySelectorAll("form[method=post]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        // A form that cannot be undone (data-confirm) asks first.
        if (f.dataset.confirm && !window.confirm(f.dataset.confirm)) {
          e.preventDefault();
          return;
        }
        var b = f.querySelector("button[type=submit]");
        if (b) setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });
})();
