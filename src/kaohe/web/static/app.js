// Charts: each element with data-chart reads its data from a <script type="application/json">
// block (no inline script, so the Content-Security-Policy can forbid them).
(function () {
  function radar(el, data) {
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
    el.setAttribute("data-rendered", "true");
  }
  function init() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-source"));
      var data = JSON.parse(source.textContent);
      if (el.getAttribute("data-chart") === "radar") radar(el, data);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
