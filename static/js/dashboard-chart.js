// The dashboard's monthly trend: straight segments between elapsed months only, so no line dips below zero
// or runs into months not yet reached. Data comes from the page's JSON block (no inline script).
(function () {
  var canvas = document.getElementById("trend-chart");
  var source = document.getElementById("trend-data");
  if (!canvas || !source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var colours = ["#b71c1c", "#15803d", "#1d4ed8", "#a16207"];
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: data.series.map(function (s, i) {
        return { label: s.label, data: s.data, borderColor: colours[i % colours.length],
                 backgroundColor: colours[i % colours.length], tension: 0 };
      })
    },
    options: { animation: false, scales: { y: { min: 0, beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
