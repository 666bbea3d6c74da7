// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Collapsible main navigation on phones.
    var toggle = document.querySelector(".site-nav__toggle");
    if (toggle && window.matchMedia("(max-width: 40rem)").matches) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", open ? "false" : "true");
      });
    }
    // Buttons that ask for confirmation: <button data-confirm="...">.
    document.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("click", function (event) {
        if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
    // Fields shown only when another field has a given value: data-show-when="field_name=value".
    document.querySelectorAll("[data-show-when]").forEach(function (block) {
      var parts = block.getAttribute("data-show-when").split("=");
      var inputs = document.querySelectorAll("[name='" + parts[0] + "']");
      function update() {
        var active = false;
        inputs.forEach(function (input) {
          if ((input.type === "checkbox" || input.type === "radio") ? input.checked && (input.value === parts[1] || parts[1] === "on") : input.value === parts[1]) { active = true; }
        });
        block.hidden = !active;
      }
      inputs.forEach(function (input) { input.addEventListener("change", update); });
      update();
    });
  });
})();
