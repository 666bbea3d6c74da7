// Special routes: a type-to-filter box above long pupil lists (<select data-filterable>).
// Progressive enhancement: without JavaScript the plain select works. Options are rebuilt
// rather than hidden, because phones ignore hidden <option>s.
(function () {
  "use strict";
  function setup(select) {
    var groups = Array.prototype.map.call(select.children, function (node) {
      return {
        node: node,
        options: node.tagName === "OPTGROUP" ? Array.prototype.slice.call(node.children) : null
      };
    });
    var input = document.createElement("input");
    input.type = "search";
    input.className = "pupil-filter";
    input.autocomplete = "off";
    input.setAttribute("aria-controls", select.id);
    input.setAttribute("aria-label", select.getAttribute("data-filter-label") || "Zoek een leerling op naam");
    input.placeholder = select.getAttribute("data-filter-placeholder") || "Typ om te zoeken";
    select.parentNode.insertBefore(input, select);
    input.addEventListener("input", function () {
      var term = input.value.trim().toLowerCase();
      var selected = select.value;
      while (select.firstChild) { select.removeChild(select.firstChild); }
      groups.forEach(function (g) {
        if (!g.options) { select.appendChild(g.node); return; }
        var matches = g.options.filter(function (o) {
          return !term || o.textContent.toLowerCase().indexOf(term) !== -1 || o.value === selected;
        });
        if (!matches.length) { return; }
        while (g.node.firstChild) { g.node.removeChild(g.node.firstChild); }
        matches.forEach(function (o) { g.node.appendChild(o); });
        select.appendChild(g.node);
      });
      select.value = selected;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-filterable]").forEach(setup);
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });
})();
