/* ecomap dashboard: in-app links without a page reload, keeping the view.
 *
 * Links inside the app (navbar, table links to detail pages) are followed with
 * history.pushState plus Dash's own '_dashprivate_pushstate' event, so the
 * pages router renders the new page without reloading the app. Navbar links
 * carry the current place, category, date and scenario, so the view follows
 * the user from page to page and every view stays a shareable link.
 */
(function () {
  var KEEP = ["place", "category", "as_of", "scenario"];

  function withView(url) {
    var here = new URLSearchParams(window.location.search);
    KEEP.forEach(function (k) {
      if (!url.searchParams.has(k) && here.get(k)) { url.searchParams.set(k, here.get(k)); }
    });
    return url;
  }

  function markCurrent() {
    var links = document.querySelectorAll("#app-navbar a.nav-link");
    links.forEach(function (a) {
      var path = new URL(a.href, window.location.href).pathname;
      if (path === window.location.pathname) { a.setAttribute("aria-current", "page"); }
      else { a.removeAttribute("aria-current"); }
    });
  }

  document.addEventListener("click", function (e) {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) { return; }
    var a = e.target.closest ? e.target.closest("a[href]") : null;
    if (!a || (a.target && a.target !== "_self") || a.hasAttribute("download")) { return; }
    var url = new URL(a.getAttribute("href"), window.location.href);
    if (url.origin !== window.location.origin) { return; }
    var inNav = !!a.closest("#app-navbar");
    if (!inNav && !a.closest(".ecomap-table, .ecomap-spa")) { return; }
    if (inNav) { url = withView(url); }
    e.preventDefault();
    e.stopPropagation();
    window.history.pushState({}, "", url.pathname + url.search + url.hash);
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    window.scrollTo(0, 0);
    markCurrent();
    var main = document.getElementById("main");
    if (main) { main.focus({preventScroll: true}); }
  }, true);

  window.addEventListener("popstate", markCurrent);
  document.addEventListener("DOMContentLoaded", function () { setTimeout(markCurrent, 500); });
})();

/* ecomap dashboard: names and keyboard order for parts Dash draws itself.
 *
 * Dash's components render a few controls the app cannot reach from Python.
 * After every change to the page (at most once a frame) this:
 * - puts a dropdown's Tab stop on its button (Dash gives it to a stand-in
 *   input hidden from screen readers), and names the button after its label;
 * - names the table pagination buttons, page box, filter boxes and the
 *   match-case toggles, saying whether matching is on;
 * - names the file input of the upload area.
 */
(function () {
  var PAGES = {"first-page": "First page", "previous-page": "Previous page", "next-page": "Next page",
               "last-page": "Last page"};

  function set(el, name, value) {
    if (el.getAttribute(name) !== value) { el.setAttribute(name, value); }
  }

  function dropdowns(root) {
    root.querySelectorAll(".dash-dropdown-focus-target").forEach(function (stand) {
      set(stand, "tabindex", "-1");
      var button = stand.nextElementSibling;
      if (!button || !button.classList.contains("dash-dropdown")) { return; }
      set(button, "tabindex", "0");
      var label = button.id ? document.querySelector('label[for="' + CSS.escape(button.id) + '"]') : null;
      if (label) {
        if (!label.id) { label.id = button.id + "-label"; }
        var ids = label.id + " " + button.id + "-value-count " + button.id + "-value";
        set(button, "aria-labelledby", ids);
      }
    });
  }

  function tables(root) {
    root.querySelectorAll(".previous-next-container").forEach(function (bar) {
      Object.keys(PAGES).forEach(function (cls) {
        var b = bar.querySelector("button." + cls);
        if (b) { set(b, "aria-label", PAGES[cls]); }
      });
      var box = bar.querySelector("input.current-page");
      if (box) { set(box, "aria-label", "Page number"); }
    });
    root.querySelectorAll("th.dash-filter").forEach(function (th) {
      var column = th.getAttribute("data-dash-column") || "";
      var box = th.querySelector('input[type="text"]');
      if (box) { set(box, "aria-label", "Filter " + column); }
      var toggle = th.querySelector("input.dash-filter--case");
      if (toggle) {
        set(toggle, "aria-label", "Match case in the " + column + " filter");
        set(toggle, "aria-pressed", toggle.classList.contains("dash-filter--case--sensitive") ? "true" : "false");
      }
    });
  }

  function uploads(root) {
    root.querySelectorAll('input[type="file"]:not([aria-label])').forEach(function (input) {
      input.setAttribute("aria-label", "Files to load");
    });
  }

  var queued = false;
  function tidy() {
    queued = false;
    dropdowns(document);
    tables(document);
    uploads(document);
  }
  function queue() {
    if (!queued) { queued = true; window.requestAnimationFrame(tidy); }
  }

  function start() {
    new MutationObserver(queue).observe(document.body, {
      childList: true, subtree: true, attributes: true, attributeFilter: ["tabindex", "class", "aria-labelledby"]});
    queue();
  }
  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();

/* A chart is resized only when its size has changed.
 *
 * dcc.Graph calls Plotly.Plots.resize after every first draw and again when its
 * resize detector first reports. Plotly waits 100 ms, then lays the chart out
 * again at the size it already has: on a page of three charts, a tenth of a second
 * of waiting and 60 ms of the browser's time in which nothing on the page changes.
 * When the chart's box is the size it was drawn at (Plotly's own test: within 1 px),
 * the resize is already done; any other resize (the window or a phone turned, a
 * hidden chart) goes to Plotly as before.
 */
(function () {
  function patch(Plotly) {
    if (!Plotly || !Plotly.Plots || Plotly.Plots.__ecomapSameSize) { return; }
    var resize = Plotly.Plots.resize;
    Plotly.Plots.resize = function (gd) {
      var el = typeof gd === "string" ? document.getElementById(gd) : gd;
      var full = el && el._fullLayout;
      if (full && el.layout && el.offsetParent !== null) {
        var style = window.getComputedStyle(el);
        var w = parseFloat(style.width), h = parseFloat(style.height);
        if (Math.abs(w - full.width) <= 1 && Math.abs(h - full.height) <= 1) { return Promise.resolve(el); }
      }
      return resize.apply(this, arguments);
    };
    Plotly.Plots.__ecomapSameSize = true;
  }
  // plotly.js may load after this file: patch it once it is there, before a chart is drawn
  if (window.Plotly) { patch(window.Plotly); return; }
  var watch = new MutationObserver(function () {
    if (window.Plotly) { patch(window.Plotly); watch.disconnect(); }
  });
  watch.observe(document.documentElement, {childList: true, subtree: true});
})();

/* A chart below the first screen is drawn as it comes near the screen.
 *
 * dashboard.components.layout.graph(lazy=True) sends such a chart as data beside
 * an empty slot of its height (class ecomap-lazy-chart). Each slot without its
 * chart is watched; once it is within NEAR of the screen and the charts already
 * on the page are drawn, its n_clicks is set, and a clientside callback puts
 * the chart in it. A slot drawn again empty after it held its chart (the
 * page's filters changed) is watched again. Printing draws every chart first.
 */
(function () {
  var NEAR = "400px";
  var watched = new Set();
  var asked = new WeakSet();
  var seen = 0;

  function draw(slot) {
    watched.delete(slot);
    asked.add(slot);
    if (io) { io.unobserve(slot); }
    var dc = window.dash_clientside;
    if (!dc || !dc.set_props || !slot.id) { return; }
    var id;
    try { id = JSON.parse(slot.id); } catch (e) { return; }
    seen += 1;
    dc.set_props(id, {n_clicks: seen});
  }

  // while the page's first screen is being drawn, a slot waits until it is (checked every STEADY ms) and is still
  // near: the page's charts and tables come in after their slots, and a slot near the top of a page still short
  // is pushed down, out of reach, by them
  var STEADY = 150;
  var timers = new Map();
  // the page's own first screen comes first: nothing of Dash's loading, every chart already placed drawn
  function busy() {
    if (document.querySelector('[data-dash-is-loading="true"], .dash-graph--pending')) { return true; }
    return Array.prototype.some.call(document.querySelectorAll(".dash-graph"), function (g) {
      return !g.querySelector(".main-svg");
    });
  }
  function near(slot) {
    return slot.getBoundingClientRect().top < window.innerHeight + parseFloat(NEAR);
  }
  function later(slot) {
    timers.set(slot, setTimeout(function () {
      timers.delete(slot);
      if (!watched.has(slot) || !slot.isConnected) { return; }
      if (busy()) { later(slot); return; }
      if (near(slot)) { draw(slot); }
    }, STEADY));
  }
  var io = window.IntersectionObserver ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      var slot = e.target;
      clearTimeout(timers.get(slot));
      timers.delete(slot);
      if (e.isIntersecting) {
        if (busy()) { later(slot); } else { draw(slot); }  // scrolled to on a drawn page: at once
      }
    });
  }, {rootMargin: "0px 0px " + NEAR + " 0px"}) : null;

  function empty(slot) { return !slot.querySelector(".dash-graph, .js-plotly-plot"); }

  var queued = false;
  function scan() {
    queued = false;
    watched.forEach(function (slot) {
      if (!slot.isConnected || !empty(slot)) { watched.delete(slot); if (io) { io.unobserve(slot); } }
    });
    document.querySelectorAll(".ecomap-lazy-chart").forEach(function (slot) {
      if (!empty(slot)) { asked.delete(slot); return; }
      if (watched.has(slot) || asked.has(slot)) { return; }
      watched.add(slot);
      if (io) { io.observe(slot); } else { draw(slot); }
    });
  }
  function queue() {
    if (!queued) { queued = true; window.requestAnimationFrame(scan); }
  }

  window.addEventListener("beforeprint", function () {
    document.querySelectorAll(".ecomap-lazy-chart").forEach(function (slot) {
      if (empty(slot) && !asked.has(slot)) { draw(slot); }
    });
  });
  function start() {
    new MutationObserver(queue).observe(document.body, {childList: true, subtree: true});
    queue();
  }
  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
