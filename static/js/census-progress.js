/* The census page while a list is being checked or imported: polls the job's status and shows its progress,
 * then reloads the page when the job has finished. The status URL comes from data-status-url on #census-progress.
 */
(function () {
  "use strict";
  var box = document.getElementById("census-progress");
  if (!box || !box.dataset.statusUrl) {
    return;
  }
  var bar = document.getElementById("census-bar");
  var count = document.getElementById("census-count");

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (s) {
        if (s.total) {
          bar.value = Math.round((100 * s.processed) / s.total);
        }
        count.textContent = s.status_display + "：" + s.processed + " / " + (s.total || "?");
        if (s.done) {
          window.location.reload();
        } else {
          setTimeout(poll, 1000);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
