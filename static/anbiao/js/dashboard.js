// The campaign dashboard's charts (Apache ECharts), fed by the JSON the page embeds.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const percent = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);
  const charts = [];
  const make = (id, option) => {
    const el = document.getElementById(id);
    if (!el) return;
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
  };
  const font = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  const base = { textStyle: { fontFamily: font }, animation: false };

  // Burn-up: completion and start rates by month, each target as a dashed line, and the
  // forecast from today's value to the date it reaches its threshold.
  const dates = data.series.map((p) => p.date);
  const lines = [
    { name: "创建完成率", key: "completion_rate", color: "#2fb344" },
    { name: "开展创建率", key: "start_rate", color: "#206bc4" },
  ];
  const series = lines.map((line) => ({
    name: line.name, type: "line", smooth: false, symbolSize: 5, color: line.color,
    data: data.series.map((p) => [p.date, percent(p[line.key])]),
    markLine: {
      symbol: "none", silent: true, lineStyle: { type: "dashed", color: line.color },
      data: data.targets.filter((t) => t.metric === line.key)
        .map((t) => ({ yAxis: t.threshold * 100, name: `目标 ${t.deadline}` })),
      label: { formatter: (p) => `${p.name}:${p.value}%` },
    },
  }));
  data.targets.forEach((t) => {
    const line = lines.find((l) => l.key === t.metric);
    if (!line || !t.forecast_points) return;
    // The server cuts the forecast at the campaign's last deadline; the legend names the month.
    series.push({
      name: `${line.name}:${t.forecast_legend}`, type: "line", color: line.color, symbol: "none",
      lineStyle: { type: "dotted", width: 2 },
      data: t.forecast_points.map(([day, value]) => [day, percent(value)]),
    });
  });
  make("chart-burnup", {
    ...base,
    tooltip: { trigger: "axis", valueFormatter: (v) => (v === null ? "不适用" : `${v}%`) },
    legend: { top: 0, type: "scroll" },
    grid: { left: 48, right: 140, top: 40, bottom: 32 },
    xAxis: { type: "time", min: dates[0], max: data.axis_end },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series,
  });

  make("chart-funnel", {
    ...base,
    tooltip: { trigger: "item", formatter: "{b}:{c} 家" },
    grid: { left: 110, right: 40, top: 8, bottom: 8 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: data.funnel.map((s) => s.name) },
    series: [{ type: "bar", data: data.funnel.map((s) => s.value), color: "#4263eb",
               label: { show: true, position: "right" } }],
  });

  const bars = (id, rows) => make(id, {
    ...base,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 40, bottom: 48 },
    xAxis: { type: "category", data: rows.map((r) => r.name), axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "应创企业", type: "bar", data: rows.map((r) => r.eligible_total), color: "#adb5bd" },
      { name: "已开展", type: "bar", data: rows.map((r) => r.started), color: "#206bc4" },
      { name: "已完成", type: "bar", data: rows.map((r) => r.completed), color: "#2fb344" },
    ],
  });
  bars("chart-subdistricts", data.subdistricts);
  bars("chart-industries", data.industries);
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
});
