// Case pages: small progressive enhancements. Everything works without JavaScript.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // The case-list filter applies as soon as a select changes (the button stays for
    // keyboard and no-JS users).
    document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      form.querySelectorAll("select").forEach(function (select) {
        select.addEventListener("change", function () { form.submit(); });
      });
    });
    // An action panel that came back with errors: move focus to its first error so
    // screen-reader and keyboard users land on it.
    var invalid = document.querySelector("details[open] .alert--error, details[open] .field--invalid");
    if (invalid) {
      var target = invalid.querySelector("input, select, textarea") || invalid;
      if (!target.hasAttribute("tabindex") && target === invalid) { target.setAttribute("tabindex", "-1"); }
      target.focus();
    }
  });
})();
