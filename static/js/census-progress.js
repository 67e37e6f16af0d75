/* Census upload: poll the job's status every second, move the progress bar, show the retry button when the job
   has stalled, reload the page when it is done. */
(function () {
  var section = document.getElementById("census-progress");
  var url = section.dataset.statusUrl;
  var bar = document.getElementById("census-bar"), count = document.getElementById("census-count");
  var stalled = document.getElementById("census-stalled"), attempts = document.getElementById("census-attempts");
  function poll() {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
      if (s.total) { bar.value = Math.round(100 * s.processed / s.total); }
      count.textContent = s.status_display + "：" + s.processed + " / " + (s.total || "?");
      stalled.hidden = !s.stalled;
      if (attempts) { attempts.value = s.attempts; }
      if (s.done) { window.location.reload(); } else { setTimeout(poll, 1000); }
    }).catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
