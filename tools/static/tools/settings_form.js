// On an agent's Tools table: show only the settings of the tool chosen in each row.
"use strict";
(function () {
  function sync(select) {
    const row = select.closest("tr") || select.closest("fieldset.module");
    if (!row) return;
    row.querySelectorAll(".tool-settings [data-tool]").forEach(function (group) {
      group.hidden = group.dataset.tool !== select.value;
    });
    const none = row.querySelector(".tool-settings .no-settings");
    if (none) none.hidden = !!row.querySelector('.tool-settings fieldset[data-tool="' + select.value + '"]');
  }
  function all() { document.querySelectorAll('select[name$="-tool"]').forEach(sync); }
  document.addEventListener("change", function (event) {
    if (event.target.matches('select[name$="-tool"]')) sync(event.target);
  });
  document.addEventListener("formset:added", all);
  document.addEventListener("DOMContentLoaded", all);
})();
