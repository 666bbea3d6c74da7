// Export progress: polls the small JSON status endpoint while the PDF is being made, updates
// the progress bar and shows the download button when it is ready. Without JavaScript the
// page has a "Vernieuwen" link that does the same by reloading.
(function () {
  "use strict";
  var INTERVAL = 1500;
  var MAX_POLLS = 400; // about ten minutes; after that the refresh link is shown again

  function start(box) {
    var url = box.getAttribute("data-status-url");
    var label = box.querySelector("[data-export-label]");
    var bar = box.querySelector("[data-export-progress]");
    var download = box.querySelector("[data-export-download]");
    var refresh = box.querySelector("[data-export-refresh]");
    var polls = 0;

    function show(state) {
      if (label && label.textContent !== state.label) { label.textContent = state.label; }
      if (bar) { bar.value = state.progress; bar.textContent = state.progress + "%"; }
      if (download) { download.hidden = !state.downloadable; }
      if (refresh) { refresh.hidden = true; }
    }

    function poll() {
      polls += 1;
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
        .then(function (state) {
          show(state);
          if (!state.finished && polls < MAX_POLLS) { window.setTimeout(poll, INTERVAL); }
          else if (!state.finished && refresh) { refresh.hidden = false; }
        })
        .catch(function () { if (refresh) { refresh.hidden = false; } });
    }

    if (download) {
      // After the one download the file is gone: check the status again shortly after.
      download.addEventListener("submit", function () {
        window.setTimeout(function () { download.hidden = true; polls = 0; poll(); }, 1500);
      });
    }
    if (!box.hasAttribute("data-finished")) {
      if (refresh) { refresh.hidden = true; }
      window.setTimeout(poll, 500);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-export-job]").forEach(start);
  });
})();
