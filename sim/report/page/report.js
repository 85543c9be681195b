// report.js — report.html's own script: reads the run's data (the espfleet-data element), draws
// the tiles, the charts (with Chart.js) and the crash list, and runs the device table, which
// renders only the rows in view so it stays fast at 100,000 devices.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('espfleet-data').textContent);
  const S = data.summary || {};
  const H = S.host || {};
  const D = data.devices;
  const C = D.columns;
  const N = D.count;
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
                   '#bcbd22', '#17becf'];
  const el = (id) => document.getElementById(id);
  const fmt = (v, digits) => (v === null || v === undefined || Number.isNaN(v)) ? '–' :
    (typeof v === 'number' ? v.toLocaleString('en', {maximumFractionDigits: digits === undefined ? 1 : digits}) : String(v));
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
  const bytes = (b) => b >= 1048576 ? fmt(b / 1048576, 1) + ' MB' : b >= 1024 ? fmt(b / 1024, 1) + ' KB' : fmt(b, 0) + ' B';

  const F = data.scenario || {};
  el('run-name').textContent = (data.run_dir || '') + (F.seed !== undefined ? ' — seed ' + F.seed + ', ' + F.mode + ' mode, ' + F.duration : '');
  document.title = 'espfleet report — ' + (data.run_dir || '');

  // ---- at a glance ----
  const duration = data.device_time_s;
  const events = S.events || [];
  // Each entry's kind (summary.json events: TimelineKind) says what it is; its text is for people.
  const brokerStarts = events.filter((e) => e.kind === 'broker_down').length;
  const brokerExits = events.filter((e) => e.kind === 'broker_exit').length;
  const pct = (m) => m ? 'p50 ' + fmt(m.p50, 0) + ' · p99 ' + fmt(m.p99, 0) + ' · max ' + fmt(m.max, 0) : '–';
  const tiles = [
    ['devices', fmt(S.devices, 0), S.shards ? S.shards.length + ' shards merged' : ''],
    ['connected at the end', fmt(S.connected, 0), 'ever: ' + fmt(S.ever_connected, 0), S.connected < S.devices],
    ['connect failures', fmt(S.connect_failures, 0), '', S.connect_failures > 0],
    ['crashes', fmt(S.crashes, 0), Object.keys(S.crashes_by_reason || {}).join(', '), S.crashes > 0],
    ['broker restarts', fmt(brokerStarts, 0), brokerExits ? brokerExits + ' unplanned exit(s)' : 'no unplanned exit', brokerExits > 0],
    ['handshakes', fmt(S.handshakes, 0), pct(S.handshake_ms) + ' ms'],
    ['first connect', S.first_connect_ms ? fmt(S.first_connect_ms.p99 / 1000, 1) + ' s p99' : '–', pct(S.first_connect_ms) + ' ms'],
    ['published', fmt(S.published, 0), 'received ' + fmt(S.received, 0)],
    ['heap free min', bytes(S.heap_free_min || 0), 'max block min ' + bytes(S.heap_max_block_min || 0) + ', frag max ' + fmt(S.heap_frag_max, 0) + ' %'],
    ['wall vs device time', fmt(H.wall_s, 1) + ' s', duration !== null ? 'device time ' + fmt(duration, 0) + ' s' : ''],
    ['host lag', fmt(H.lag_max_ms, 1) + ' ms', 'wake-up lag ' + pct(H.wakeup_lag_ms) + ' ms', H.overloaded],
    ['simulator cost', fmt(H.cpu_s, 2) + ' s CPU', bytes(H.rss_per_device_bytes || 0) + ' RSS/device, ' + fmt(H.cpu_us_per_device_second, 1) + ' µs/device-s, ' + fmt(H.handshake_ms_host, 2) + ' ms/handshake'],
    ...(S.delivery ? [['delivered', fmt(S.delivery.delivered, 0) + ' of ' + fmt(S.delivery.published, 0),
      'lost ' + fmt(S.delivery.lost, 0) +
      (S.delivery.acknowledged ? ', acknowledged ' + fmt(S.delivery.acknowledged, 0) + ' (' + fmt(S.delivery.acknowledged_lost || 0, 0) + ' of them lost)' : '') + (Object.keys(S.delivery.lost_by_fault || {}).length ? ' (' + Object.entries(S.delivery.lost_by_fault).map(([k, v]) => k + ': ' + v).join(', ') + ')' : '') +
      ', duplicated ' + fmt(S.delivery.duplicated, 0) +
      (S.delivery.latency_ms && S.delivery.latency_ms.count ? ', latency p50 ' + fmt(S.delivery.latency_ms.p50, 1) + ' ms, p99 ' + fmt(S.delivery.latency_ms.p99, 1) + ' ms' : ''),
      S.delivery.lost > 0]] : []),
    ['broker cost', H.broker_cpu_s !== undefined ? fmt(H.broker_cpu_s, 2) + ' s CPU' : '–', H.broker_rss_bytes ? bytes(H.broker_rss_bytes) + ' RSS' : 'external broker'],
  ];
  el('tiles').innerHTML = tiles.map(([k, v, s, bad]) =>
    '<div class="tile' + (bad ? ' bad' : '') + '"><div class="k">' + esc(k) + '</div><div class="v">' + esc(v) +
    '</div><div class="s">' + esc(s || '') + '</div></div>').join('');
  const kv = (obj, head) => '<tr><th>' + head[0] + '</th><th>' + head[1] + '</th></tr>' +
    (Object.keys(obj || {}).length ? Object.entries(obj).map(([k, v]) => '<tr><td>' + esc(k) + '</td><td>' + fmt(v, 0) + '</td></tr>').join('')
                                   : '<tr><td colspan="2">none</td></tr>');
  el('tls-errors').innerHTML = kv(S.tls_errors, ['code', 'devices']);
  el('crash-reasons').innerHTML = kv(S.crashes_by_reason, ['reason', 'crashes']);
  const G = S.groups || {};
  if (Object.keys(G).length > 1) {
    const p = (m, k) => m && m[k] !== null && m[k] !== undefined ? fmt(m[k], 0) : '–';
    el('groups').innerHTML = '<tr><th>group</th><th>devices</th><th>connected</th><th>ever</th><th>failures</th><th>crashes</th>' +
      '<th>handshakes</th><th>handshake p50 / p99 ms</th><th>first connect p99 ms</th><th>heap free min</th><th>frag max</th></tr>' +
      Object.entries(G).map(([name, g]) => '<tr><td>' + esc(name) + '</td><td>' + fmt(g.devices, 0) + '</td><td>' + fmt(g.connected, 0) +
        '</td><td>' + fmt(g.ever_connected, 0) + '</td><td>' + fmt(g.connect_failures, 0) + '</td><td>' + fmt(g.crashes, 0) + '</td><td>' +
        fmt(g.handshakes, 0) + '</td><td>' + p(g.handshake_ms, 'p50') + ' / ' + p(g.handshake_ms, 'p99') + '</td><td>' +
        p(g.first_connect_ms, 'p99') + '</td><td>' + bytes(g.heap_free_min || 0) + '</td><td>' + fmt(g.heap_frag_max, 0) + ' %</td></tr>').join('');
  } else {
    el('groups-box').style.display = 'none';
  }
  if (S.thresholds && S.thresholds.length) {
    el('thresholds').innerHTML = '<tr><th>threshold</th><th>value</th><th></th></tr>' + S.thresholds.map((t) =>
      '<tr><td>' + esc(t.threshold) + '</td><td>' + fmt(t.value) + '</td><td class="' + (t.passed ? 'pass">pass' : 'fail">FAIL') +
      '</td></tr>').join('');
  } else {
    el('thresholds-box').style.display = 'none';
  }

  // ---- charts ----
  Chart.defaults.animation = false;
  Chart.defaults.font.size = 11;
  Chart.defaults.maintainAspectRatio = false;
  const charts = {};

  // How an event is drawn: the broker going (red) and coming back (green), an unplanned exit
  // (solid black), a device fault's window (purple) and its moments (grey).
  function eventStyle(e) {
    if (e.kind === 'broker_down' || e.kind === 'broker_stall') return {color: '#d62728', dash: [4, 3]};
    if (e.kind === 'broker_up') return {color: '#2ca02c', dash: [4, 3]};
    if (e.kind === 'broker_exit') return {color: '#000', dash: []};
    if (e.kind === 'fault_begins' || e.kind === 'fault_ends') return {color: '#9467bd', dash: e.kind === 'fault_ends' ? [2, 4] : [6, 2]};
    return {color: '#7f7f7f', dash: [1, 3]};
  }
  // The run's events as vertical lines on a chart whose x axis is bins of device time.
  const eventLines = {
    id: 'espfleetEvents',
    afterDatasetsDraw(chart, args, opts) {
      const x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      ctx.save();
      for (const e of opts.events || []) {
        const px = x.getPixelForValue(e.t_s / opts.bin);
        if (px < area.left || px > area.right) continue;
        const s = eventStyle(e);
        ctx.strokeStyle = s.color;
        ctx.setLineDash(s.dash);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
      }
      ctx.restore();
    },
  };

  const A = S.activity;
  if (A && A.up && A.up.length) {
    // Bars thinner than a pixel show nothing: past 300 bins, k bins are drawn as one (counts
    // summed, the connected line at its lowest in them, so a broker restart's dip stays visible).
    const k = Math.ceil(A.up.length / 300), bin = A.bin_s * k, nb = Math.ceil(A.up.length / k);
    el('bin-s').textContent = fmt(bin, 0) + ' s of device time';
    const labels = [], connected = [], up = [], down = [], crashed = [], failed = [];
    let on = 0;
    for (let i = 0; i < nb; i++) {
      let lowest = Infinity, u = 0, d = 0, c = 0, f = 0;
      for (let j = i * k; j < Math.min(A.up.length, (i + 1) * k); j++) {
        on += A.up[j] - A.down[j];
        lowest = Math.min(lowest, on);
        u += A.up[j]; d += A.down[j]; c += A.crashes[j]; f += A.connect_failures[j];
      }
      connected.push(lowest);
      up.push(u); down.push(d); crashed.push(c); failed.push(f);
      labels.push(i * bin);
    }
    const bars = (label, values, color) => ({label, data: values, backgroundColor: color, yAxisID: 'y1', barPercentage: 1, categoryPercentage: 0.9});
    charts.connected = new Chart(el('chart-connected'), {
      type: 'bar',
      data: {labels, datasets: [
        {type: 'line', label: k > 1 ? 'connected (lowest in bin)' : 'connected', data: connected, borderColor: palette[0], backgroundColor: palette[0], pointRadius: 0, stepped: true, yAxisID: 'y'},
        bars('connects', up, palette[2]), bars('drops', down, palette[1]), bars('crashes', crashed, palette[3]),
        bars('failed connects', failed, palette[7]),
      ]},
      options: {
        interaction: {mode: 'index', intersect: false},
        scales: {
          x: {title: {display: true, text: 'device time (s)'}, ticks: {maxTicksLimit: 16}},
          y: {beginAtZero: true, title: {display: true, text: 'connected devices'}},
          y1: {beginAtZero: true, position: 'right', grid: {drawOnChartArea: false}, title: {display: true, text: 'per bin'}},
        },
        plugins: {espfleetEvents: {events, bin}},
      },
      plugins: [eventLines],
    });
  }
  el('events').innerHTML = events.length ? events.map((e) => '<li>' + fmt(e.t_s, 1) + ' s: ' + esc(e.what) + '</li>').join('')
                                         : '<li>no broker or fault events</li>';

  // Bins for values across their range: `count` bins of a round width.
  function binsFor(values, count, minWidth) {
    let lo = Infinity, hi = -Infinity;
    for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
    if (!Number.isFinite(lo)) return null;
    const raw = Math.max(minWidth, (hi - lo) / count) || 1;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const width = [1, 2, 2.5, 5, 10].map((m) => m * p).find((w) => w >= raw);
    const start = Math.floor(lo / width) * width;
    const n = Math.max(1, Math.floor((hi - start) / width) + 1);
    return {start, width, n};
  }
  function histogramChart(canvas, groups, unit, digits, minWidth) {
    // groups: [{label, values}] sharing one set of bins, drawn stacked; whole-number figures
    // (bytes, ms) get bins of at least minWidth.
    const all = [];
    for (const g of groups) for (const v of g.values) all.push(v);
    const b = binsFor(all, 30, minWidth);
    if (!b) return null;
    const labels = [];
    for (let i = 0; i < b.n; i++) labels.push(fmt(b.start + i * b.width, digits) + (i === 0 ? ' ' + unit : ''));
    const datasets = groups.map((g, k) => {
      const counts = new Array(b.n).fill(0);
      for (const v of g.values) counts[Math.min(b.n - 1, Math.floor((v - b.start) / b.width))]++;
      return {label: g.label, data: counts, backgroundColor: palette[k % palette.length], barPercentage: 1, categoryPercentage: 0.95};
    });
    return new Chart(canvas, {type: 'bar', data: {labels, datasets},
      options: {scales: {x: {stacked: true, ticks: {maxTicksLimit: 12}}, y: {stacked: true, beginAtZero: true, title: {display: true, text: 'count'}}},
                plugins: {legend: {display: groups.length > 1 || groups[0].label !== ''}}}});
  }
  const splitKey = (key, row) => key === 'cpu_mhz' ? C.cpu_mhz[row] + ' MHz' : String(D.enums[key][C[key][row]]) || '(default)';
  function drawConnectCharts() {
    const key = el('split').value;
    const hs = new Map(), fc = new Map();
    const HS = data.handshakes;
    for (let r = 0; r < N; r++) {
      const k = splitKey(key, r);
      if (!hs.has(k)) { hs.set(k, []); fc.set(k, []); }
      const end = r + 1 < N ? HS.offsets[r + 1] : HS.values.length;
      const list = hs.get(k);
      for (let i = HS.offsets[r]; i < end; i++) list.push(HS.values[i]);
      if (C.first_connected_s[r] !== null) fc.get(k).push(C.first_connected_s[r]);
    }
    const toGroups = (m) => [...m.entries()].filter(([, v]) => v.length).map(([label, values]) => ({label, values}));
    for (const name of ['handshake', 'firstConnect']) if (charts[name]) { charts[name].destroy(); delete charts[name]; }
    const h = toGroups(hs), f = toGroups(fc);
    if (h.length) charts.handshake = histogramChart(el('chart-handshake'), h, 'ms', 0, 1);
    if (f.length) charts.firstConnect = histogramChart(el('chart-first-connect'), f, 's', 1, 0.001);
    el('hs-note').textContent = (HS.values.length ? fmt(HS.values.length, 0) + ' handshakes' : 'no handshakes (TLS off?)') +
      (data.handshakes_left_out ? ', ' + fmt(data.handshakes_left_out, 0) + ' left out (more than 64 on one device)' : '');
  }
  el('split').addEventListener('change', drawConnectCharts);
  drawConnectCharts();

  const numeric = (col) => { const out = []; for (const v of C[col]) if (v !== null) out.push(v); return out; };
  charts.heapFree = histogramChart(el('chart-heap-free'), [{label: '', values: numeric('heap_free_min')}], 'B', 0, 8);
  charts.heapBlock = histogramChart(el('chart-heap-block'), [{label: '', values: numeric('heap_max_block_min')}], 'B', 0, 8);
  charts.heapFrag = histogramChart(el('chart-heap-frag'), [{label: '', values: numeric('heap_frag_max')}], '%', 0, 1);

  const tl = data.timelines || [];
  el('timelines').innerHTML = tl.length ? tl.map((t, i) => '<div><h3>device ' + t.device + '</h3><div class="chart"><canvas id="timeline-' + i + '"></canvas></div></div>').join('')
                                        : '<p class="note">No timelines in this run: choose devices with <code>espfleet run --timeline ID,ID</code>.</p>';
  tl.forEach((t, i) => {
    const crashAt = (t.marks || []).filter((m) => m.kind === 'crash');
    charts['timeline' + t.device] = new Chart(el('timeline-' + i), {type: 'line',
      data: {labels: t.t_s, datasets: [
        {type: 'scatter', label: 'crash', data: crashAt.map((m) => ({x: m.t_s, y: 0})), borderColor: palette[3], backgroundColor: palette[3], pointRadius: 5, pointStyle: 'crossRot', yAxisID: 'y'},
        {label: 'free min (B)', data: t.free_min, borderColor: palette[0], pointRadius: 0, yAxisID: 'y'},
        {label: 'max block min (B)', data: t.max_block_min, borderColor: palette[1], pointRadius: 0, yAxisID: 'y'},
        {label: 'frag max (%)', data: t.frag_max, borderColor: palette[3], pointRadius: 0, yAxisID: 'y1'}]},
      options: {scales: {x: {type: 'linear', title: {display: true, text: 'device time (s)'}}, y: {beginAtZero: true, title: {display: true, text: 'bytes'}},
                         y1: {position: 'right', min: 0, max: 100, grid: {drawOnChartArea: false}}}}});
  });

  // ---- crashes ----
  const crashes = data.crashes || [];
  const mapped = crashes.filter((c) => c.heap_map).length;
  el('crash-note').textContent = crashes.length ? fmt(crashes.length, 0) + ' crashes; ' + fmt(mapped, 0) + ' with their heap map and post-mortem here' +
    (mapped < crashes.length ? ' (the rest: past --max-heap-maps or the report\'s 200)' : '') : 'No device crashed.';
  if (crashes.length) {
    el('crash-table').innerHTML = '<tr><th>device</th><th>crash</th><th>device time</th><th>reset reason</th><th>what</th><th></th></tr>' +
      crashes.map((c, i) => '<tr id="crash-' + c.device + '-' + c.nth + '"><td>' + c.device + '</td><td>' + c.nth + '</td><td>' +
        (c.t_s !== undefined ? fmt(c.t_s, 3) + ' s' : '–') + '</td><td>' + fmt(c.code, 0) + '</td><td>' + esc(c.reason) + '</td><td>' +
        (c.heap_map ? '<details data-crash="' + i + '"><summary>post-mortem and heap map</summary><pre>' + esc(c.postmortem || '') +
                      '</pre><div class="map"></div><div class="note">' + esc(c.file) + '</div></details>' : '') + '</td></tr>').join('');
    // A heap map goes into the page when it is opened (hundreds of inline SVGs would slow the load).
    for (const d of el('crash-table').querySelectorAll('details')) {
      d.addEventListener('toggle', () => {
        const m = d.querySelector('.map');
        if (d.open && !m.firstChild) m.innerHTML = crashes[+d.dataset.crash].heap_map;
      });
    }
  }
  const firstCrash = new Map();
  for (const c of crashes) if (!firstCrash.has(c.row)) firstCrash.set(c.row, c);

  // ---- the device table ----
  const cols = [
    ['id', 'id', (r) => C.id[r]],
    ['group', 'group', (r) => D.enums.group[C.group[r]]],
    ['cpu_mhz', 'MHz', (r) => C.cpu_mhz[r]],
    ['firmware', 'firmware', (r) => D.enums.firmware[C.firmware[r]]],
    ['state', 'state', (r) => D.enums.state[C.state[r]]],
    ['connects', 'connects', (r) => C.connects[r]],
    ['connect_failures', 'failures', (r) => C.connect_failures[r]],
    ['tls_error', 'TLS error', (r) => C.tls_error[r]],
    ['handshakes', 'handsh.', (r) => C.handshakes[r]],
    ['handshake_ms', '1st hs ms', (r) => C.handshake_ms[r]],
    ['heap_free_min', 'free min', (r) => C.heap_free_min[r]],
    ['heap_max_block_min', 'block min', (r) => C.heap_max_block_min[r]],
    ['heap_frag_max', 'frag %', (r) => C.heap_frag_max[r]],
    ['crashes', 'crashes', (r) => C.crashes[r]],
    ['boots', 'boots', (r) => C.boots[r]],
    ['published', 'published', (r) => C.published[r]],
  ];
  const ROW = 22;
  let rows = new Uint32Array(N).map((_, i) => i);
  let sortCol = 0, sortDesc = false;
  const head = el('table-head');
  head.innerHTML = cols.map(([k, label], i) => '<div data-col="' + i + '" title="sort by ' + k + '">' + label + '</div>').join('');
  const fill = (sel, name, values) => {
    el(sel).innerHTML = '<option value="">' + name + ': all</option>' + values.map((v, i) => '<option value="' + i + '">' + esc(v === '' ? '(default)' : v) + '</option>').join('');
  };
  fill('f-group', 'group', D.enums.group);
  fill('f-state', 'state', D.enums.state);
  fill('f-firmware', 'firmware', D.enums.firmware);

  function idFilter(text) {
    text = text.trim();
    if (!text) return null;
    const ranges = [];
    for (const part of text.split(/[ ,]+/)) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!m) return () => false;
      ranges.push([+m[1], m[2] === undefined ? +m[1] : +m[2]]);
    }
    return (id) => ranges.some(([a, b]) => id >= a && id <= b);
  }
  function applyFilters() {
    const byId = idFilter(el('f-text').value);
    const g = el('f-group').value, st = el('f-state').value, fw = el('f-firmware').value;
    const crashed = el('f-crashed').checked, failed = el('f-failed').checked;
    const out = [];
    for (let r = 0; r < N; r++) {
      if (byId && !byId(C.id[r])) continue;
      if (g !== '' && C.group[r] !== +g) continue;
      if (st !== '' && C.state[r] !== +st) continue;
      if (fw !== '' && C.firmware[r] !== +fw) continue;
      if (crashed && !(C.crashes[r] > 0)) continue;
      if (failed && !(C.connect_failures[r] > 0)) continue;
      out.push(r);
    }
    rows = Uint32Array.from(out);
    sortRows();
  }
  function sortRows() {
    const get = cols[sortCol][2];
    const dir = sortDesc ? -1 : 1;
    const arr = Array.from(rows);
    arr.sort((a, b) => {
      const x = get(a), y = get(b);
      if (x === y) return C.id[a] - C.id[b];
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * dir;
    });
    rows = Uint32Array.from(arr);
    for (const d of head.children) d.className = +d.dataset.col === sortCol ? 'sorted' + (sortDesc ? ' desc' : '') : '';
    el('f-count').textContent = fmt(rows.length, 0) + ' of ' + fmt(N, 0) + ' devices';
    el('table-spacer').style.height = (rows.length * ROW) + 'px';
    el('table-body').scrollTop = 0;
    renderRows();
  }
  function renderRows() {
    const body = el('table-body');
    const first = Math.max(0, Math.floor(body.scrollTop / ROW) - 5);
    const last = Math.min(rows.length, first + Math.ceil(body.clientHeight / ROW) + 10);
    let html = '';
    for (let i = first; i < last; i++) {
      const r = rows[i];
      const crash = firstCrash.get(r);
      html += '<div class="trow' + (C.crashes[r] > 0 ? ' crashed' : '') + '" data-id="' + C.id[r] + '">' + cols.map(([k], j) => {
        const v = cols[j][2](r);
        if (k === 'crashes' && v > 0 && crash && crash.heap_map) return '<div><a href="#crash-' + crash.device + '-' + crash.nth + '">' + v + '</a></div>';
        return '<div>' + esc(v === null || v === undefined ? '–' : v === '' ? '(default)' : v) + '</div>';
      }).join('') + '</div>';
    }
    const box = el('table-rows');
    box.style.transform = 'translateY(' + (first * ROW) + 'px)';
    box.innerHTML = html;
  }
  head.addEventListener('click', (e) => {
    const c = e.target.closest('[data-col]');
    if (!c) return;
    const i = +c.dataset.col;
    if (i === sortCol) sortDesc = !sortDesc; else { sortCol = i; sortDesc = false; }
    sortRows();
  });
  let pending = 0;
  el('table-body').addEventListener('scroll', () => {
    if (!pending) pending = requestAnimationFrame(() => { pending = 0; renderRows(); });
  });
  for (const id of ['f-group', 'f-state', 'f-firmware', 'f-crashed', 'f-failed']) el(id).addEventListener('change', applyFilters);
  el('f-text').addEventListener('input', applyFilters);
  // A crash link in the table opens that crash's details.
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[href^="#crash-"]');
    if (!a) return;
    const row = document.getElementById(a.getAttribute('href').slice(1));
    const d = row && row.querySelector('details');
    if (d) d.open = true;
  });
  applyFilters();
  performance.mark('espfleet-ready');   // drawn: how long the page took to open (tools/bench/report)
  document.body.dataset.ready = 'yes';  // what a test waits for
})();
