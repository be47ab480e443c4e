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
