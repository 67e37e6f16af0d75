/* Evidence previews on the review page load only when a reviewer opens them: each view is audited, so merely
 * opening the page must not fetch every file. <details class="evidence-preview"> holds an <iframe> or <img>
 * whose address waits in data-src; without JavaScript the "在新窗口打开" link beside it does the same.
 */
(function () {
  "use strict";

  function load(details) {
    details.querySelectorAll("[data-src]").forEach(function (frame) {
      if (!frame.getAttribute("src")) {
        frame.setAttribute("src", frame.dataset.src);
      }
    });
  }

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details instanceof HTMLDetailsElement && details.open && details.classList.contains("evidence-preview")) {
      load(details);
    }
  }, true);
  // A preview opened before this script ran (a quick tap while the page was still loading).
  document.querySelectorAll("details.evidence-preview[open]").forEach(load);
})();
