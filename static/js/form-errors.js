/* After a form comes back with errors, the summary at the top of the page lists them and the keyboard focus
 * moves to the first field in error, so the person is taken to what needs fixing instead of a page top that
 * looks unchanged. Links in the summary focus their field (a plain #fragment only scrolls).
 */
(function () {
  "use strict";

  function fieldFor(id) {
    var target = id && document.getElementById(id);
    if (!target) {
      return null;
    }
    if (target.matches("input, select, textarea, button")) {
      return target;
    }
    return target.querySelector("input, select, textarea");
  }

  function focusField(field) {
    field.focus({ preventScroll: true });
    field.scrollIntoView({ block: "center" });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest(".error-summary a[href^='#']");
    if (!link) {
      return;
    }
    var field = fieldFor(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (field) {
      event.preventDefault();
      focusField(field);
    }
  });

  function focusFirstError() {
    var summary = document.querySelector(".error-summary");
    if (!summary) {
      return;
    }
    var first = document.querySelector("[aria-invalid='true']:not([type='hidden'])");
    if (first) {
      focusField(first);
    } else {
      summary.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusFirstError);
  } else {
    focusFirstError();
  }
})();
