/* Organisation tree: typing in the filter box hides the rows whose name does not contain the text. */
document.getElementById("org-filter").addEventListener("input", function (event) {
  var query = event.target.value.trim();
  document.querySelectorAll("#org-tree tbody tr").forEach(function (row) {
    row.hidden = query && row.dataset.name.indexOf(query) === -1;
  });
});
