/* Draws the back office's charts from the figures the page carries as JSON (json_script).
   The figures are decimal strings, exactly as the API answers them; only the drawing turns
   them into numbers. The tables beside each chart hold the same figures for keyboards and
   screen readers. */
(function () {
  "use strict";

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function barChart(canvas, data) {
    var datasets = data.series.map(function (series, index) {
      return {
        label: series.label,
        data: series.values.map(Number),
        backgroundColor: index === 0 ? "#2563eb" : "#f59e0b",
        borderWidth: 0
      };
    });
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: datasets.length > 1 } },
        scales: { y: { beginAtZero: true } }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) {
      return;
    }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var data = readJSON(canvas.getAttribute("data-chart"));
      if (data && data.labels.length) {
        canvas.chart = barChart(canvas, data);
      }
    });
  });
})();
