// Approdo's own script. Pages load it before Bootstrap Italia's bundle.
//
// The bundle includes video.js, which on load adds an inline <style> for its players. Our
// Content-Security-Policy blocks inline styles, so every page would log a CSP error for
// nothing: Approdo shows no video. This asks video.js not to add it.
window.VIDEOJS_NO_DYNAMIC_STYLE = true;

// A region that follows a long task, such as a file import's progress, is marked
// data-aggiorna="<seconds>": every few seconds its page is fetched again and the region's
// content replaced with the new one (as are the elements whose ids data-aggiorna-insieme
// lists), until the new region no longer asks to be followed. The page itself never
// reloads: a timed refresh (<meta http-equiv="refresh">) would pull the page from under
// its reader and their focus (WCAG 2.2.1), while a role="status" region is announced by
// screen readers as it changes. Without scripts the page keeps a link to reload it.
(function () {
  function follow(region) {
    var seconds = Number(region.getAttribute("data-aggiorna")) || 3;
    window.setTimeout(function () {
      fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (res) {
          if (!res.ok || res.redirected) {
            throw new Error("status " + res.status);
          }
          return res.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var next = fresh.getElementById(region.id);
          if (!next) {
            return; // another page (the session ended): stop following
          }
          var ids = (region.getAttribute("data-aggiorna-insieme") || "").split(/\s+/).filter(Boolean);
          ids.forEach(function (id) {
            var mine = document.getElementById(id), theirs = fresh.getElementById(id);
            if (mine && theirs) {
              mine.replaceChildren.apply(mine, Array.from(theirs.childNodes));
            }
          });
          region.replaceChildren.apply(region, Array.from(next.childNodes));
          if (next.hasAttribute("data-aggiorna")) {
            follow(region);
          } else {
            region.removeAttribute("data-aggiorna");
          }
        })
        .catch(function () {
          follow(region); // a network hiccup: try again at the next turn
        });
    }, seconds * 1000);
  }
  function start() {
    document.querySelectorAll("[data-aggiorna][id]").forEach(follow);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
