/* Progressive enhancement only: every page works without this file (design brief section 2).
   - the error summary takes focus, and its links move focus to the question;
   - follow-up questions show only when their checkbox is ticked (they are all shown without JavaScript);
   - "Not sure" and "None of these" untick the medicines in their list, and the other way round;
   - a search box filters the list of medicines by generic, brand or Chinese name. */
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.querySelector("[data-focus-on-load]");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      var item = target.closest(".checkboxes__conditional");
      if (item) item.hidden = false;
      // Show the question's legend or label too, not only the first input.
      var group = target.closest(".form-group") || target;
      group.scrollIntoView();
      target.focus({ preventScroll: true });
    });
  }

  function syncConditional(input) {
    var panel = document.getElementById(input.getAttribute("aria-controls"));
    if (panel) panel.hidden = !input.checked;
  }

  function setUpConditionals() {
    var inputs = document.querySelectorAll("input[data-controls]");
    inputs.forEach(function (input) {
      var id = input.getAttribute("data-controls");
      if (!document.getElementById(id)) return;
      input.setAttribute("aria-controls", id);
      syncConditional(input);
      input.addEventListener("change", function () { syncConditional(input); });
    });
  }

  function setUpExclusive() {
    document.querySelectorAll("[data-checkbox-group]").forEach(function (group) {
      group.addEventListener("change", function (event) {
        var box = event.target;
        if (box.type !== "checkbox" || !box.checked) return;
        var exclusive = box.hasAttribute("data-exclusive");
        group.querySelectorAll("input[type=checkbox]").forEach(function (other) {
          if (other === box || !other.checked) return;
          if (exclusive || other.hasAttribute("data-exclusive")) {
            other.checked = false;
            if (other.hasAttribute("aria-controls")) syncConditional(other);
          }
        });
      });
    });
  }

  function setUpDrugSearch() {
    var holder = document.querySelector("[data-drug-search]");
    if (!holder) return;
    var section = holder.closest("#drugs") || document;
    var items = Array.prototype.slice.call(section.querySelectorAll(".checkboxes__item[data-search]"));
    if (!items.length) return;

    var label = document.createElement("label");
    label.className = "label";
    label.htmlFor = "drug-search";
    label.textContent = holder.getAttribute("data-label");
    var hint = document.createElement("div");
    hint.className = "hint";
    hint.id = "drug-search-hint";
    hint.textContent = holder.getAttribute("data-hint");
    var input = document.createElement("input");
    input.type = "search";
    input.id = "drug-search";
    input.className = "input";
    input.setAttribute("autocomplete", "off");
    input.setAttribute("aria-describedby", "drug-search-hint drug-search-status");
    var status = document.createElement("p");
    status.id = "drug-search-status";
    status.className = "drug-search__status";
    status.setAttribute("role", "status");
    holder.appendChild(label);
    holder.appendChild(hint);
    holder.appendChild(input);
    holder.appendChild(status);
    holder.hidden = false;

    var timer = null;
    function filter() {
      var query = input.value.trim().toLowerCase();
      var shown = 0;
      items.forEach(function (item) {
        var box = item.querySelector("input");
        // A ticked medicine always stays in view, so a search never hides an answer.
        var match = !query || item.getAttribute("data-search").indexOf(query) !== -1 || (box && box.checked);
        item.hidden = !match;
        if (match && query) shown += 1;
        var panelId = box && box.getAttribute("aria-controls");
        var panel = panelId && document.getElementById(panelId);
        if (panel) panel.hidden = !match || !box.checked;
      });
      if (!query) { status.textContent = ""; return; }
      var text = shown === 0 ? holder.getAttribute("data-count-none")
        : shown === 1 ? holder.getAttribute("data-count-one")
        : holder.getAttribute("data-count-many").replace("{n}", String(shown));
      // Wait for a pause in typing before announcing, so a screen reader is not flooded.
      clearTimeout(timer);
      timer = setTimeout(function () { status.textContent = text; }, 400);
    }
    input.addEventListener("input", filter);
    // Enter in the search box must not send the whole form.
    input.addEventListener("keydown", function (event) { if (event.key === "Enter") event.preventDefault(); });
  }

  function setUpPrint() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  // A printed page has no "click to open": open every closed section for printing, then close it again.
  function setUpPrintDetails() {
    var opened = [];
    window.addEventListener("beforeprint", function () {
      document.querySelectorAll("details:not([open])").forEach(function (d) { d.open = true; opened.push(d); });
    });
    window.addEventListener("afterprint", function () {
      opened.forEach(function (d) { d.open = false; });
      opened = [];
    });
  }

  document.documentElement.classList.add("js-enabled");
  setUpPrintDetails();
  focusErrorSummary();
  setUpConditionals();
  setUpExclusive();
  setUpDrugSearch();
  setUpPrint();
})();
