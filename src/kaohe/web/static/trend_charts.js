// The trends pages' charts (历年变化): grade counts and the median score by year, rectification
// items opened and closed by year, a unit's score by year (one line per scheme, points in their
// grade's colour) and each chosen indicator or dimension by year. Each reads the JSON the page
// embeds (web/trend_pages.py); app.js finds the elements with data-chart and calls the function of
// that name registered here.
(function () {
  var kinds = (window.kaoheCharts = window.kaoheCharts || {});

  function done(el, chart) {
    window.addEventListener("resize", function () { chart.resize(); });
    el.kaoheChart = chart; // for the browser tests: the ECharts instance of the element
    el.setAttribute("data-rendered", "true");
  }
  function openOnClick(chart, hrefs) {
    chart.on("click", function (p) {
      var href = hrefs[p.dataIndex];
      if (href) window.location.href = href;
    });
  }

  kinds.national_trend = function (el, data) {
    var w = data.words, chart = echarts.init(el);
    var series = data.grades.map(function (g) {
      return { name: g.label, type: "bar", stack: "grade", itemStyle: { color: g.color },
               data: g.counts.map(function (c) { return c === null ? "-" : c; }) };
    });
    series.push({ name: w.median, type: "line", yAxisIndex: 1, symbolSize: 8,
                  itemStyle: { color: "#1f2933" }, label: { show: true, position: "top" },
                  data: data.medians.map(function (m) { return m === null ? "-" : m; }) });
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 48, right: 56, top: 32, bottom: 60 },
      xAxis: { type: "category", data: data.categories },
      yAxis: [
        { type: "value", name: w.units, minInterval: 1 },
        { type: "value", name: w.median, scale: true, splitLine: { show: false } },
      ],
      series: series,
    });
    openOnClick(chart, data.hrefs);
    done(el, chart);
  };

  // Opened and closed side by side: the gap is what a year's items still have to do.
  kinds.trend_items = function (el, data) {
    var w = data.words, chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 48, right: 24, top: 32, bottom: 60 },
      xAxis: { type: "category", data: data.categories },
      yAxis: { type: "value", name: w.items, minInterval: 1 },
      series: [
        { name: w.opened, type: "bar", itemStyle: { color: "#e8710a" }, data: data.opened },
        { name: w.closed, type: "bar", itemStyle: { color: "#1b7f3b" }, data: data.closed },
      ],
    });
    done(el, chart);
  };

  // One line per scheme: a scheme change breaks the line, scores of two schemes are not joined.
  kinds.unit_scores = function (el, data) {
    var w = data.words, chart = echarts.init(el);
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          return data.categories[p.dataIndex] + " · " + p.seriesName + "<br>" + w.score + " " +
            p.data.value + " · " + w.grade + " " + p.data.grade;
        },
      },
      // the lines are named by their years: worth a legend only where the scheme changed
      legend: { bottom: 0, show: data.schemes.length > 1 },
      grid: { left: 48, right: 24, top: 32, bottom: 60 },
      xAxis: { type: "category", data: data.categories },
      // up to 100 at least (the usual full marks), so the best year's label is not cut off
      yAxis: { type: "value", name: w.score, min: 0,
               max: function (v) { return Math.max(100, Math.ceil(v.max / 10) * 10); } },
      series: data.schemes.map(function (s) {
        return {
          name: s.name, type: "line", symbol: "circle", symbolSize: 12, connectNulls: false,
          lineStyle: { color: "#616e7c" }, itemStyle: { color: "#616e7c" },
          label: { show: true, position: "top", formatter: function (p) {
            return p.data.value + " " + p.data.grade;
          } },
          data: s.points.map(function (p) { return p === null ? "-" : p; }),
        };
      }),
    });
    openOnClick(chart, data.hrefs);
    done(el, chart);
  };

  kinds.unit_figure = function (el, data) {
    var f = data.figures[Number(el.getAttribute("data-index"))], chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 64, right: 24, top: 32, bottom: 32 },
      xAxis: { type: "category", data: data.categories },
      yAxis: { type: "value", name: f.percent ? data.words.percent : "", scale: !f.percent,
               min: f.percent ? 0 : null, max: f.percent ? 100 : null },
      series: [{ name: f.label, type: "line", symbolSize: 10, label: { show: true, position: "top" },
                 data: f.values.map(function (v) { return v === null ? "-" : v; }) }],
    });
    openOnClick(chart, data.hrefs);
    done(el, chart);
  };
})();
