// Approdo's charts. A page that has charts loads Chart.js (static.ChartJS), then this.
//
// A chart is drawn from a table of the page, which stays its text alternative and what a
// browser without JavaScript shows: the page carries no data for the script, so nothing
// needs an inline script or a JSON block, and the Content-Security-Policy stays
// script-src 'self'. Markup:
//
//   <figure>
//     <div class="approdo-chart">
//       <canvas data-chart="bar" data-table="ID" data-stacked="true"
//               role="img" aria-label="…"></canvas>
//     </div>
//     <figcaption>…</figcaption>
//   </figure>
//   <table id="ID">
//     <thead><tr><th scope="col">…</th><th scope="col" data-series>series 1</th>…</tr></thead>
//     <tbody><tr><th scope="row">label</th><td data-value="3">3</td>…</tr></tbody>
//   </table>
//
// The columns whose header has data-series are the datasets, the row headers the labels;
// a cell without data-value (a suppressed "<4", an empty one) is left out of the chart.
// data-horizontal="true" draws the bars horizontally.
(function () {
  'use strict';
  if (typeof window.Chart === 'undefined') {
    return;
  }
  // Bootstrap Italia's palette, dark enough to tell apart on white.
  var palette = ['#0066CC', '#F73E5A', '#008055', '#CC7A00', '#5C6F82', '#004080', '#995C00', '#A66300', '#17324D'];

  function read(table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) {
      return null;
    }
    var series = [];
    for (var i = 0; i < head.cells.length; i++) {
      if (head.cells[i].hasAttribute('data-series')) {
        series.push({ index: i, label: head.cells[i].textContent.trim(), data: [] });
      }
    }
    var labels = [];
    var body = table.tBodies[0];
    if (!body) {
      return null;
    }
    for (var r = 0; r < body.rows.length; r++) {
      var row = body.rows[r];
      labels.push(row.cells[0].textContent.trim());
      for (var s = 0; s < series.length; s++) {
        var cell = row.cells[series[s].index];
        var value = cell && cell.getAttribute('data-value');
        series[s].data.push(value === null || value === undefined || value === '' ? null : Number(value));
      }
    }
    return { labels: labels, series: series };
  }

  function draw(canvas) {
    var table = document.getElementById(canvas.getAttribute('data-table'));
    if (!table) {
      return;
    }
    var data = read(table);
    if (!data || data.labels.length === 0) {
      return;
    }
    var stacked = canvas.getAttribute('data-stacked') === 'true';
    var horizontal = canvas.getAttribute('data-horizontal') === 'true';
    new window.Chart(canvas, {
      type: canvas.getAttribute('data-chart') || 'bar',
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          return { label: s.label, data: s.data, backgroundColor: palette[i % palette.length] };
        })
      },
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: stacked, beginAtZero: true },
          y: { stacked: stacked, beginAtZero: true }
        },
        plugins: { legend: { position: 'bottom' } }
      }
    });
  }

  function start() {
    var canvases = document.querySelectorAll('canvas[data-chart]');
    for (var i = 0; i < canvases.length; i++) {
      draw(canvases[i]);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
