/* Dashboard: the monthly trend chart, drawn by the vendored Chart.js from the page's #trend-data JSON. */
(function () {
  var data = JSON.parse(document.getElementById("trend-data").textContent);
  var colours = ["#b71c1c", "#15803d", "#1d4ed8"];
  new Chart(document.getElementById("trend-chart"), {
    type: "line",
    data: {
      labels: data.labels,
      datasets: data.series.map(function (s, i) {
        return { label: s.label, data: s.data, borderColor: colours[i], backgroundColor: colours[i], tension: 0.2 };
      })
    },
    options: { animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
