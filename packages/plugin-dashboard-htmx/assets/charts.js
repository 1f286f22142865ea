// uPlot charts of the dashboard. Data comes from JSON endpoints (data-src); live pages update the
// charts in place from the SSE fragments (data-* attributes), never by reloading the page.
(function () {
  'use strict';
  var body = document.body;
  var tz = body.getAttribute('data-time-zone') || 'Asia/Jakarta';
  var locale = body.getAttribute('data-locale') === 'id' ? 'id-ID' : 'en-GB';
  var nf1 = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  var nf2 = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  var charts = [];

  function tzDate(ts) { return uPlot.tzDate(new Date(ts * 1000), tz); }
  function width(el) { return Math.max(260, el.clientWidth); }
  function height(el) { return Number(el.getAttribute('data-height')) || (window.innerWidth < 700 ? 200 : 260); }
  function getJson(url) {
    return fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    });
  }
  function axis(label, fmt) {
    return { label: label, labelSize: 18, size: 56, stroke: '#718096', grid: { stroke: '#eef1f5' }, ticks: { stroke: '#e3e8ef' }, values: function (u, vals) { return vals.map(function (v) { return v == null ? '' : fmt.format(v); }); } };
  }
  // Time axis and legend in the user's language and the site's time zone (not uPlot's US defaults).
  var dayFmt = new Intl.DateTimeFormat(locale, { timeZone: tz, day: 'numeric', month: 'short' });
  var hourFmt = new Intl.DateTimeFormat(locale, { timeZone: tz, hour: '2-digit', minute: '2-digit' });
  var fullFmt = new Intl.DateTimeFormat(locale, { timeZone: tz, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  var xAxis = {
    stroke: '#718096', grid: { stroke: '#eef1f5' }, ticks: { stroke: '#e3e8ef' },
    values: function (u, splits) {
      var span = u.scales.x.max - u.scales.x.min;
      var f = span > 2 * 86400 ? dayFmt : hourFmt;
      return splits.map(function (s) { return f.format(new Date(s * 1000)); });
    },
  };
  var xSeries = { label: body.getAttribute('data-locale') === 'id' ? 'Waktu' : 'Time', value: function (u, v) { return v == null ? '—' : fullFmt.format(new Date(v * 1000)); } };

  // Site power over 24 h against the grid limit (Dashboard).
  function sitePower(el) {
    var data, u, limitW = null;
    var L = { power: el.getAttribute('data-label-power') || 'Power', limit: el.getAttribute('data-label-limit') || 'Limit' };
    getJson(el.getAttribute('data-src')).then(function (res) {
      limitW = res.gridLimitW;
      var xs = res.points.map(function (p) { return p[0] / 1000; });
      var ps = res.points.map(function (p) { return p[1] / 1000; });
      data = [xs, ps, xs.map(function () { return limitW == null ? null : limitW / 1000; })];
      u = new uPlot({
        width: width(el), height: height(el), tzDate: tzDate,
        series: [xSeries, { label: L.power + ' (kW)', stroke: '#0d9488', width: 2, fill: 'rgba(13,148,136,.10)', value: function (u, v) { return v == null ? '—' : nf2.format(v) + ' kW'; } },
          { label: L.limit + ' (kW)', stroke: '#dc2626', width: 1.5, dash: [6, 4], value: function (u, v) { return v == null ? '—' : nf1.format(v) + ' kW'; } }],
        axes: [xAxis, axis('kW', nf1)], scales: { y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.15)]; } } },
      }, data, el);
      charts.push({ el: el, u: u });
    }).catch(function () { el.textContent = el.getAttribute('data-error') || 'Chart data could not be loaded.'; });

    // Live point from the SSE fragment #site-kpis (data-power-w, data-limit-w, data-at).
    body.addEventListener('htmx:sseMessage', function () {
      var k = document.getElementById('site-kpis');
      if (!u || !k) return;
      var at = Date.parse(k.getAttribute('data-at')) / 1000;
      var p = Number(k.getAttribute('data-power-w')) / 1000;
      var lim = k.getAttribute('data-limit-w');
      limitW = lim === '' ? null : Number(lim);
      if (!isFinite(at) || !isFinite(p)) return;
      var xs = data[0];
      if (xs.length && at <= xs[xs.length - 1]) { data[1][xs.length - 1] = p; }
      else { xs.push(at); data[1].push(p); data[2].push(null); }
      var cutoff = at - 24 * 3600;
      while (xs.length > 2 && xs[0] < cutoff) { xs.shift(); data[1].shift(); data[2].shift(); }
      for (var i = 0; i < xs.length; i++) data[2][i] = limitW == null ? null : limitW / 1000;
      u.setData(data);
    });
  }

  // Meter curves of one transaction (power kW, energy kWh, SoC %).
  function meterCurves(el) {
    var u, lastVersion = null;
    var labels = { power: el.getAttribute('data-label-power') || 'Power', energy: el.getAttribute('data-label-energy') || 'Energy', soc: el.getAttribute('data-label-soc') || 'SoC' };
    function load() {
      return getJson(el.getAttribute('data-src')).then(function (res) {
        var data = [res.x, res.powerKw, res.energyKwh, res.socPercent];
        if (!u) {
          el.textContent = '';
          u = new uPlot({
            width: width(el), height: height(el), tzDate: tzDate,
            series: [xSeries,
              { label: labels.power + ' (kW)', stroke: '#0d9488', width: 2, scale: 'kw', spanGaps: true, value: function (u, v) { return v == null ? '—' : nf2.format(v) + ' kW'; } },
              { label: labels.energy + ' (kWh)', stroke: '#1d4ed8', width: 2, scale: 'kwh', spanGaps: true, value: function (u, v) { return v == null ? '—' : nf2.format(v) + ' kWh'; } },
              { label: labels.soc + ' (%)', stroke: '#b45309', width: 1.5, scale: '%', spanGaps: true, show: res.socPercent.some(function (v) { return v != null; }), value: function (u, v) { return v == null ? '—' : nf1.format(v) + ' %'; } }],
            axes: [xAxis, Object.assign(axis('kW', nf1), { scale: 'kw' }), Object.assign(axis('kWh', nf1), { scale: 'kwh', side: 1, grid: { show: false } })],
            scales: { kw: { range: function (u, a, b) { return [0, Math.max(1, b * 1.15)]; } }, kwh: { range: function (u, a, b) { return [0, Math.max(0.1, b * 1.1)]; } }, '%': { range: [0, 100] } },
          }, data, el);
          charts.push({ el: el, u: u });
        } else {
          u.setData(data);
        }
      }).catch(function () { el.textContent = el.getAttribute('data-error') || 'Chart data could not be loaded.'; });
    }
    load();
    // A running session: refetch when the live fragment says the session moved on.
    body.addEventListener('htmx:sseMessage', function () {
      var live = document.getElementById('tx-live');
      if (!live) return;
      var v = live.getAttribute('data-updated-at');
      if (v && v !== lastVersion) { lastVersion = v; load(); }
    });
  }

  // Load forecast with its interval (AI Insights).
  function forecast(el) {
    getJson(el.getAttribute('data-src')).then(function (res) {
      if (!res.x || !res.x.length) { el.textContent = el.getAttribute('data-empty') || ''; return; }
      var u = new uPlot({
        width: width(el), height: height(el), tzDate: tzDate,
        series: [xSeries,
          { label: el.getAttribute('data-label-actual') || 'Actual', stroke: '#334155', width: 1.5, value: function (u, v) { return v == null ? '—' : nf2.format(v) + ' kW'; } },
          { label: el.getAttribute('data-label-forecast') || 'Forecast', stroke: '#0d9488', width: 2, value: function (u, v) { return v == null ? '—' : nf2.format(v) + ' kW'; } },
          { label: el.getAttribute('data-label-low') || 'Low', stroke: 'rgba(13,148,136,.45)', dash: [4, 4], width: 1 },
          { label: el.getAttribute('data-label-high') || 'High', stroke: 'rgba(13,148,136,.45)', dash: [4, 4], width: 1 }],
        axes: [xAxis, axis('kW', nf1)],
        bands: [{ series: [4, 3], fill: 'rgba(13,148,136,.10)' }],
      }, [res.x, res.actualKw, res.forecastKw, res.lowKw, res.highKw], el);
      charts.push({ el: el, u: u });
    }).catch(function () { el.textContent = el.getAttribute('data-error') || 'Chart data could not be loaded.'; });
  }

  function init() {
    document.querySelectorAll('[data-chart="site-power"]').forEach(sitePower);
    document.querySelectorAll('[data-chart="meter-curves"]').forEach(meterCurves);
    document.querySelectorAll('[data-chart="forecast"]').forEach(forecast);
  }
  var resizeTimer;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { charts.forEach(function (c) { c.u.setSize({ width: width(c.el), height: height(c.el) }); }); }, 150);
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
