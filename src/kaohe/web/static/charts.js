// The results pages' charts (ranking by grade, score distribution, map; a score card's indicator
// distributions and peers). Each reads the JSON the page embeds (web/result_charts.py); app.js
// finds the elements with data-chart and calls the function of that name registered here. When
// HTMX swaps in content holding a chart's JSON (the ranking's table, for a filter), the charts
// that read it are drawn again from it.
(function () {
  var kinds = (window.kaoheCharts = window.kaoheCharts || {});
  var GREY = "#c3cad2";

  function resizeWith(chart) {
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function open(href, code) {
    if (code) window.location.href = href + encodeURIComponent(code);
  }
  // A chart drawn again keeps its instance (ECharts allows one per element) and loses the click
  // handler of its former data.
  function chartOf(el) {
    var chart = echarts.getInstanceByDom(el);
    if (!chart) {
      chart = echarts.init(el);
      resizeWith(chart);
    }
    chart.off("click");
    return chart;
  }
  function done(el, chart) {
    el.kaoheChart = chart; // for the browser tests: the ECharts instance of the element
    el.setAttribute("data-rendered", "true");
  }
  // One series per grade, stacked, so that the legend names the grades and bars keep their place.
  function byGrade(data, grades, values) {
    return data.grades.filter(function (g) {
      return grades.indexOf(g) >= 0;
    }).map(function (g) {
      return {
        name: data.grade_labels[g] || g,
        type: "bar",
        stack: "grade",
        itemStyle: { color: data.colors[g] },
        data: values.map(function (v, i) { return grades[i] === g ? v : "-"; }),
      };
    });
  }

  kinds.ranking = function (el, data) {
    var r = data.ranking, chart = chartOf(el);
    var series = byGrade(data, r.grades, r.scores);
    if (!series.length) series = [{ type: "bar", data: [] }];
    if (r.bands.length) {
      series[0].markArea = {
        silent: true,
        data: r.bands.map(function (b) {
          return [
            { yAxis: b.from, name: b.label, itemStyle: { color: b.color, opacity: 0.08 },
              label: { position: "insideRight", color: b.color } },
            { yAxis: b.to },
          ];
        }),
      };
      series[0].markLine = {
        silent: true,
        symbol: "none",
        data: r.bands.slice(0, -1).map(function (b) {
          return { yAxis: b.from, lineStyle: { color: b.color, type: "dashed" },
                   label: { formatter: "≥ " + b.from + " " + b.label } };
        }),
      };
    }
    var top = r.bands.length ? r.bands[0].to : null;
    chart.setOption({
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: function (items) {
          var i = items[0].dataIndex;
          return r.names[i] + "<br>" + data.words.rank + " " + (r.ranks[i] || "—") + " · " +
            data.words.score + " " + r.scores[i] + " · " + (data.grade_labels[r.grades[i]] || "—");
        },
      },
      legend: { bottom: 0 },
      grid: { left: 48, right: 96, top: 24, bottom: r.names.length > 12 ? 110 : 60 },
      xAxis: { type: "category", data: r.names,
               axisLabel: { interval: 0, rotate: r.names.length > 12 ? 60 : 0 } },
      yAxis: { type: "value", name: data.words.score, max: top, min: r.bands.length ? r.bands[r.bands.length - 1].from : null },
      dataZoom: r.names.length > 40 ? [{ type: "slider", bottom: 30 }, { type: "inside" }] : [],
      series: series,
    }, true);
    chart.on("click", function (p) { open(data.href, r.units[p.dataIndex]); });
    done(el, chart);
  };

  kinds.histogram = function (el, data) {
    var h = data.histogram, chart = chartOf(el);
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 48, right: 24, top: 24, bottom: 60 },
      xAxis: { type: "category", data: h.bins, name: data.words.score },
      yAxis: { type: "value", name: data.words.units, minInterval: 1 },
      series: h.series.map(function (s) {
        return { name: data.grade_labels[s.grade] || s.grade || "—", type: "bar", stack: "grade",
                 itemStyle: { color: data.colors[s.grade] || GREY }, data: s.counts };
      }),
    }, true);
    done(el, chart);
  };

  function mapOption(data, metric) {
    var m = data.map, units = {}, values = [];
    m.units.forEach(function (u) { units[u.code] = u; });
    var items = m.units.map(function (u) {
      var value = metric.kind === "grade" ? data.grades.indexOf(u.grade) : u.values[metric.id];
      if (value === null || value === undefined || value < 0) return null;
      values.push(value);
      return { name: u.code, value: value };
    }).filter(Boolean);
    var visual;
    if (metric.kind === "grade") {
      visual = { type: "piecewise", left: 8, bottom: 8, pieces: data.grades.map(function (g, i) {
        return { value: i, label: data.grade_labels[g] || g, color: data.colors[g] };
      }) };
    } else {
      // a share runs over 0–100 % in its grade's colour; any other value over what is shown
      var low = metric.min !== undefined ? metric.min : Math.min.apply(null, values.length ? values : [0]);
      var high = metric.max !== undefined ? metric.max : Math.max.apply(null, values.length ? values : [1]);
      if (low === high) high = low + 1;
      var scale = ["#b3261e", "#f2b705", "#1b7f3b"];
      visual = { type: "continuous", left: 8, bottom: 8, min: low, max: high, calculable: true,
                 inRange: { color: metric.colors || (metric.higher ? scale : scale.slice().reverse()) } };
    }
    return {
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var u = units[p.name];
          if (!u) return "";
          var shown = metric.kind === "grade" ? u.grade_label : u.values[metric.id];
          shown = shown === null || shown === undefined ? data.words.no_data : shown + (metric.unit || "");
          var more = metric.kind === "grade" || !u.grade_label ? "" :
            "<br>" + data.words.grade + data.words.colon + u.grade_label;
          var counted = u.counted && u.counted[metric.id]; // a province by its counties: n of m
          if (counted) more += "<br>" + m.counted.replace("{n}", counted[0]).replace("{m}", counted[1]);
          return u.name + "<br>" + metric.label + data.words.colon + shown + more;
        },
      },
      visualMap: visual,
      series: [{
        type: "map", map: "china", nameProperty: "adcode", roam: true,
        itemStyle: { areaColor: "#eef0f2", borderColor: "#fff" },
        emphasis: { label: { show: false }, itemStyle: { areaColor: "#8c1d18" } },
        select: { disabled: true },
        data: items,
      }],
    };
  }

  var outlines = {}; // the map's outline, fetched once per page
  function outline(url) {
    if (!outlines[url]) {
      outlines[url] = fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (geo) { if (!echarts.getMap("china")) echarts.registerMap("china", geo); });
    }
    return outlines[url];
  }
  // A province clicked: its score card, or for a run of counties the ranking of its counties
  // (the filters' field, so that the table and the charts follow; else the page with the filter).
  function pick(data, code) {
    var map = data.map;
    if (!map.units.some(function (u) { return u.code === code; })) return;
    if (map.mode !== "counties") return open(data.href, code);
    var field = document.querySelector("form.filters [name=" + map.filter + "]");
    if (field && window.htmx) {
      field.value = code;
      field.dispatchEvent(new Event("change", { bubbles: true }));
    } else if (map.filter_href) {
      window.location.href = map.filter_href + encodeURIComponent(code);
    }
  }

  kinds.map = function (el, data) {
    el.kaoheData = data; // the latest: a redraw before the outline has loaded draws it
    outline(data.map.geo).then(function () {
      var select = document.getElementById(el.getAttribute("data-select"));
      var first = !echarts.getInstanceByDom(el);
      var chart = chartOf(el);
      var draw = function () {
        var metrics = el.kaoheData.map.metrics;
        var chosen = metrics.filter(function (m) { return select && m.id === select.value; });
        chart.setOption(mapOption(el.kaoheData, chosen[0] || metrics[0]), true);
      };
      draw();
      if (select && first) select.addEventListener("change", draw);
      chart.on("click", function (p) { pick(el.kaoheData, p.name); });
      done(el, chart);
    });
  };

  kinds.distribution = function (el, data) {
    var rows = data.distribution.slice().reverse(), w = data.words; // first indicator on top
    el.style.height = Math.max(200, 60 + 34 * rows.length) + "px";
    var chart = chartOf(el);
    var point = function (p, i) { return [p[0], i, p[1], p[2], p[3], p[4]]; };
    var others = [], own = [];
    rows.forEach(function (row, i) {
      row.others.forEach(function (p) { others.push(point(p, i)); });
      if (row.unit) own.push(point(row.unit, i));
    });
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var d = p.data;
          return d[2] + "<br>" + rows[d[1]].indicator + "<br>" + w.value + w.colon + d[3] +
            "<br>" + w.points + w.colon + d[4] + " (" + d[0] + " %)";
        },
      },
      legend: { bottom: 0, data: [w.this, w.others] },
      grid: { left: 8, right: 24, top: 16, bottom: 48, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, name: w.share, nameLocation: "middle", nameGap: 26 },
      yAxis: { type: "category", data: rows.map(function (r) { return r.indicator; }) },
      series: [
        { name: w.others, type: "scatter", data: others, symbolSize: 9,
          itemStyle: { color: "#616e7c", opacity: 0.45 } },
        { name: w.this, type: "scatter", data: own, symbolSize: 18, z: 3,
          itemStyle: { color: "#b3261e", borderColor: "#fff", borderWidth: 2 } },
      ],
    });
    chart.on("click", function (p) { if (p.seriesIndex === 0) open(data.href, p.data[5]); });
    done(el, chart);
  };

  kinds.peers = function (el, data) {
    var p = data.peers, chart = chartOf(el);
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 48, right: 96, top: 32, bottom: p.names.length > 12 ? 100 : 40 },
      xAxis: { type: "category", data: p.names,
               axisLabel: { interval: 0, rotate: p.names.length > 12 ? 60 : 0 } },
      yAxis: { type: "value", name: data.words.score },
      series: [{
        name: data.words.score, type: "bar",
        data: p.scores.map(function (s, i) {
          var own = p.units[i] === p.unit;
          var color = data.colors[p.grades[i]] || GREY;
          return own
            ? { value: s, itemStyle: { color: color, borderColor: "#1f2933", borderWidth: 3 },
                label: { show: true, position: "top", formatter: data.words.this + " " + s } }
            : { value: s, itemStyle: { color: color, opacity: 0.45 } };
        }),
        markLine: p.mean === null ? undefined : {
          silent: true, symbol: "none",
          data: [{ yAxis: p.mean, label: { formatter: data.words.mean + " " + p.mean } }],
        },
      }],
    });
    chart.on("click", function (e) { open(data.href, p.units[e.dataIndex]); });
    done(el, chart);
  };

  // HTMX swapped in content (the ranking's table for a filter, with the charts' data): every
  // chart whose JSON came with it is drawn again.
  function redraw(event) {
    var target = event.detail && event.detail.target, parsed = {};
    if (!target) return;
    document.querySelectorAll("[data-chart][data-source]").forEach(function (el) {
      var id = el.getAttribute("data-source"), source = document.getElementById(id);
      var draw = kinds[el.getAttribute("data-chart")];
      if (!source || !draw || !target.contains(source)) return;
      if (!(id in parsed)) parsed[id] = JSON.parse(source.textContent);
      draw(el, parsed[id]);
    });
  }
  document.addEventListener("htmx:afterSwap", redraw);
  document.addEventListener("htmx:oobAfterSwap", redraw);
  // Back to a page HTMX keeps in its history (before a filter): its copy holds the charts' markup
  // but no live chart; each is drawn anew from the JSON the copy holds.
  document.addEventListener("htmx:historyRestore", function () {
    document.querySelectorAll("[data-chart][data-source]").forEach(function (el) {
      var stale = echarts.getInstanceByDom(el);
      if (stale) stale.dispose();
      el.removeAttribute("_echarts_instance_");
      el.innerHTML = "";
    });
    redraw({ detail: { target: document.body } });
  });
})();
