// Signal form enhancements. Without JavaScript the form shows three pupil rows, all fields
// and all notices as help text; nothing here is needed to record a signal.
(function () {
  "use strict";

  function isEmptyRow(row) {
    var pupil = row.querySelector("select[name$='-pupil']");
    return !pupil || pupil.value === "";
  }

  function setupPupilRows(fieldset) {
    var list = fieldset.querySelector("[data-pupil-list]");
    var template = fieldset.querySelector("template[data-pupil-template]");
    var addButton = fieldset.querySelector("[data-pupil-add]");
    var total = fieldset.querySelector("input[name$='-TOTAL_FORMS']");
    var max = parseInt(fieldset.getAttribute("data-max"), 10) || 5;
    if (!list || !template || !addButton || !total) { return; }

    // Show the first row and every row already filled in or carrying an error; reveal more on
    // request. Hidden rows stay empty and are ignored by the server.
    var rows = list.querySelectorAll("[data-pupil-row]");
    rows.forEach(function (row, index) {
      if (index > 0 && isEmptyRow(row) && !row.classList.contains("pupil-row--invalid")) {
        row.hidden = true;
      }
    });

    function hiddenRow() { return list.querySelector("[data-pupil-row][hidden]"); }
    function canAdd() {
      return hiddenRow() !== null || parseInt(total.value, 10) < max;
    }
    function refresh() { addButton.hidden = !canAdd(); }

    addButton.addEventListener("click", function () {
      var row = hiddenRow();
      if (!row) {
        var index = parseInt(total.value, 10);
        if (index >= max) { return; }
        var html = template.innerHTML.replace(/__prefix__/g, String(index))
          .replace(/__num__/g, String(index + 1));
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        row = holder.firstElementChild;
        list.appendChild(row);
        total.value = String(index + 1);
      }
      row.hidden = false;
      var select = row.querySelector("select");
      if (select) { select.focus(); }
      refresh();
    });
    refresh();
  }

  function setupSourceDetail(form) {
    var source = form.querySelector("select[data-signal-source]");
    var detail = form.querySelector("[name='source_detail']");
    if (!source || !detail) { return; }
    var wrapper = detail.closest(".field");
    var needsDetail = ["ouder", "collega", "derde"];
    function update() {
      var needed = needsDetail.indexOf(source.value) !== -1;
      // Keep the field visible when it has an error or a value, so nothing typed disappears.
      wrapper.hidden = !needed && detail.value === "" && !wrapper.classList.contains("field--invalid");
      detail.required = needed;
    }
    source.addEventListener("change", update);
    update();
  }

  function setupNotice(form, selector, fieldName, test) {
    var notice = form.querySelector(selector);
    if (!notice) { return; }
    // Show the notice right below the field it is about.
    var field = form.querySelector("[name='" + fieldName + "']");
    var wrapper = field && field.closest(".field");
    if (wrapper) { wrapper.insertAdjacentElement("afterend", notice); }
    function update() { notice.hidden = !test(); }
    form.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("fieldset[data-pupil-rows]").forEach(setupPupilRows);
    var form = document.querySelector(".signal-form form");
    if (form) {
      setupSourceDetail(form);
      setupNotice(form, "[data-honour-notice]", "category", function () {
        var category = form.querySelector("select[data-signal-category]");
        return category !== null && category.value === "eergerelateerd";
      });
      setupNotice(form, "[data-staff-notice]", "staff_suspect", function () {
        var box = form.querySelector("input[name='staff_suspect']");
        return box !== null && box.checked;
      });
    }
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });
})();
