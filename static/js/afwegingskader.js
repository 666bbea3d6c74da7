// Step 5: the live advice of the afwegingskader, the deviation hint on the decision form, and
// copy/print of the report draft. Everything works without JavaScript: the server renders the
// stored advice and checks every rule again on save.
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function checkedValue(form, name) {
    var input = form.querySelector("input[name='" + name + "']:checked");
    return input ? input.value : "";
  }

  // The advice table is computed on the server with decision.advise() for every combination
  // of answers, so the browser never applies rules of its own.
  function liveAdvice() {
    var form = document.querySelector("[data-ak-form]");
    var data = readJson("ak-advice-table");
    var panel = document.querySelector("[data-ak-advice]");
    if (!form || !data || !panel) { return; }
    var outcome = panel.querySelector("[data-ak-outcome]");
    var b1 = panel.querySelector("[data-ak-b1]");
    var b2 = panel.querySelector("[data-ak-b2]");
    var explanation = panel.querySelector("[data-ak-explanation]");
    var doubt = form.querySelector("[data-ak-doubt]");
    var withVt = form.querySelectorAll("[data-ak-with-vt]");
    var classes = { report: "tag--danger", report_after_help: "tag--danger", help: "tag--ok",
                    help_succeeded: "tag--ok", no_suspicion: "tag--warning", incomplete: "" };

    function update() {
      var key = ["q1", "q2", "q3", "q4", "q5"].map(function (n) {
        return checkedValue(form, n);
      }).join("|");
      var advice = data.table[key];
      if (!advice) { return; }
      outcome.textContent = advice.label;
      outcome.className = "tag " + (classes[advice.outcome] || "");
      b1.textContent = advice.beslissing1;
      b2.textContent = advice.beslissing2;
      explanation.textContent = data.explanations[advice.e];
      withVt.forEach(function (el) { el.hidden = !advice.with_vt; });
      // R16: doubt at question 2 prompts consulting Veilig Thuis.
      if (doubt) { doubt.hidden = checkedValue(form, "q2") !== "twijfel"; }
    }
    form.addEventListener("change", update);
  }

  // Decision form: say at once when the chosen decision deviates from the advice.
  function deviationHint() {
    var form = document.querySelector("[data-ak-decision]");
    var deviations = readJson("ak-deviations");
    var note = document.querySelector("[data-ak-deviation-note]");
    if (!form || !deviations || !note) { return; }
    function update() {
      var choice = checkedValue(form, "choice");
      note.hidden = !(choice && deviations[choice]);
    }
    form.addEventListener("change", update);
    update();
  }

  // Report draft: copy the plain text, print the page.
  function draftButtons() {
    var status = document.querySelector("[data-ak-copy-status]");
    document.querySelectorAll("[data-ak-copy]").forEach(function (button) {
      var area = document.getElementById(button.getAttribute("data-ak-copy"));
      if (!area) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        function done(ok) {
          if (status) {
            // The texts come translated from the template.
            status.textContent = button.getAttribute(ok ? "data-ak-copied" : "data-ak-copy-failed");
          }
        }
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(area.value).then(function () { done(true); },
                                                         function () { done(false); });
        } else {
          area.focus();
          area.select();
          var ok = false;
          try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
          done(ok);
        }
      });
    });
    document.querySelectorAll("[data-ak-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    liveAdvice();
    deviationHint();
    draftButtons();
  });
})();
