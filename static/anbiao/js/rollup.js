// The district roll-up's comparison chart (Apache ECharts): start and completion rate by 镇街.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("rollup-data");
  const el = document.getElementById("chart-rollup");
  if (!source || !el || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const percent = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);
  const chart = window.echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    textStyle: { fontFamily: '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif' },
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: data.names.length > 6 ? 30 : 0 } },
    yAxis: [
      { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      { type: "value", name: "家", splitLine: { show: false } },
    ],
    series: [
      {
        name: "开展率", type: "bar", color: "#206bc4", data: data.start.map(percent),
        tooltip: { valueFormatter: (v) => (v === null ? "不适用" : `${v}%`) },
      },
      {
        name: "完成率", type: "bar", color: "#2fb344", data: data.completion.map(percent),
        tooltip: { valueFormatter: (v) => (v === null ? "不适用" : `${v}%`) },
      },
      {
        name: "应创企业", type: "line", yAxisIndex: 1, color: "#f59f00", symbolSize: 6,
        data: data.eligible, tooltip: { valueFormatter: (v) => `${v} 家` },
      },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
});
