// Case pages: small progressive enhancements. Everything works without JavaScript.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // An action panel that came back with errors (refused step, conflict): move focus to
    // its first invalid field, or to the error message, so keyboard and screen-reader users
    // land where they need to act.
    var panel = document.querySelector("details[open] .alert--error, details[open] .field--invalid, .case-action .alert--error, .case-action .field--invalid");
    if (!panel) { return; }
    var target = panel.querySelector("input:not([type=hidden]), select, textarea");
    if (!target) {
      target = panel;
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  });
})();
