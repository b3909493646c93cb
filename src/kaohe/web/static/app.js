// Charts: each element with data-chart reads its data from a <script type="application/json">
// block (no inline script, so the Content-Security-Policy can forbid them) and is drawn by the
// function of that name in window.kaoheCharts (the radar here, the results' charts in charts.js).
(function () {
  var kinds = (window.kaoheCharts = window.kaoheCharts || {});
  kinds.radar = function (el, data) {
    var chart = echarts.init(el);
    var series = [{ value: data.values, name: data.labels[0] }];
    if (data.last) series.push({ value: data.last, name: data.labels[1] });
    chart.setOption({
      tooltip: {},
      legend: { data: data.labels.slice(0, series.length), bottom: 0 },
      radar: { indicator: data.indicator },
      series: [{ type: "radar", data: series, areaStyle: { opacity: 0.15 } }],
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.kaoheChart = chart;
    el.setAttribute("data-rendered", "true");
  };
  function init() {
    var parsed = {};
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var id = el.getAttribute("data-source");
      if (!(id in parsed)) parsed[id] = JSON.parse(document.getElementById(id).textContent);
      var draw = kinds[el.getAttribute("data-chart")];
      if (draw) draw(el, parsed[id]);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
