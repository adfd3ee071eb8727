// Vigil hunt report: renders the data blocks of this page. Hand-written, no libraries, no network.
// Security rule for this file: every string from the data is attacker-controlled (event text, host and user names,
// file names). It reaches the page ONLY through textContent / createTextNode and setAttribute of geometry, class
// names chosen here, or <title> text; never as markup (no HTML-parsing sink), never a URL, never an event handler.
(function () {
  'use strict';
  var T0 = performance.now();
  var SVGNS = 'http://www.w3.org/2000/svg';

  // ---- data -------------------------------------------------------------------------------------------------
  var meta = JSON.parse(document.getElementById('vigil-meta').textContent);
  var S = meta.strings, RULES = meta.rules, SUM = meta.summary;
  // Row columns (HtmlReportSink.RowColumns): id, time_ms, rule, computer, channel, event_id, record_id, source, place, event
  var raw = JSON.parse(document.getElementById('vigil-rows').textContent);
  var N = raw.length;
  var cId = new Float64Array(N), cTime = new Float64Array(N), cRule = new Int32Array(N), cHost = new Int32Array(N),
    cChan = new Int32Array(N), cEid = new Float64Array(N), cRid = new Float64Array(N), cSrc = new Int32Array(N),
    cPlace = new Float64Array(N), cEv = new Int32Array(N);
  var idToRow = new Map();
  for (var i = 0; i < N; i++) {
    var r = raw[i];
    cId[i] = r[0]; cTime[i] = r[1] === null ? NaN : r[1]; cRule[i] = r[2]; cHost[i] = r[3]; cChan[i] = r[4];
    cEid[i] = r[5] === null ? NaN : r[5]; cRid[i] = r[6] === null ? NaN : r[6]; cSrc[i] = r[7]; cPlace[i] = r[8]; cEv[i] = r[9];
    idToRow.set(r[0], i);
  }
  raw = null;
  // Events: one JSON object per line between "[\n" and "\n]"; event k is the text between newline k and k+1.
  var EV = document.getElementById('vigil-events').textContent;
  var nl = [];
  for (var p = EV.indexOf('\n'); p >= 0; p = EV.indexOf('\n', p + 1)) nl.push(p);
  var NEV = meta.events; // the block is "[\n" + one line per event + "\n]": events + 1 newlines
  if (nl.length !== NEV + 1) throw new Error('report data: ' + NEV + ' events expected, ' + (nl.length - 1) + ' lines found');
  var EVL = null; // lower-cased copy, made on the first search
  function eventText(k) {
    var a = nl[k] + 1, b = nl[k + 1];
    if (EV.charCodeAt(b - 1) === 44) b--; // the ',' separating array elements
    return EV.slice(a, b);
  }
  var evCache = new Map();
  // Integers past 2^53 (64-bit ids, masks) would lose digits as JS numbers: keep their source text where the browser
  // gives it to the reviver (JSON.parse source text access), else the rounded number is all there is.
  function keepBigIntegers(key, value, context) {
    if (typeof value === 'number' && !Number.isSafeInteger(value) && context && typeof context.source === 'string'
        && /^-?\d+$/.test(context.source)) return context.source;
    return value;
  }
  function eventObj(k) {
    if (evCache.has(k)) return evCache.get(k);
    var o;
    try { o = JSON.parse(eventText(k), keepBigIntegers); } catch (e) { o = { '(unparsable event)': eventText(k) }; }
    if (evCache.size > 400) evCache.clear();
    evCache.set(k, o);
    return o;
  }

  // ---- helpers ----------------------------------------------------------------------------------------------
  function h(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function tip(node, text) { var t = sv('title'); t.textContent = String(text); node.appendChild(t); return node; }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function fmtTime(ms) {
    if (ms === null || ms === undefined || isNaN(ms)) return '';
    var d = new Date(ms);
    return isNaN(d.getTime()) ? '' : d.toISOString().replace('T', ' ').slice(0, 23);
  }
  function fmtShort(ms, span) {
    var s = new Date(ms).toISOString();
    return span > 2 * 86400000 ? s.slice(5, 16).replace('T', ' ') : s.slice(11, span < 600000 ? 19 : 16);
  }
  function fmtNum(n) { return Number(n).toLocaleString('en-US'); }
  function fmtBytes(n) {
    var u = ['B', 'KB', 'MB', 'GB', 'TB'], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : String(n)) + ' ' + u[i];
  }
  function fmtDur(ms) {
    var s = Math.round(ms / 1000);
    if (s < 120) return s + ' s';
    if (s < 7200) return Math.round(s / 60) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }
  function cut(s, n) { s = String(s); return s.length > n ? s.slice(0, n - 1) + '\u2026' : s; }
  var LEVELS = ['critical', 'high', 'medium', 'low', 'informational'];
  function levelRank(l) { var i = LEVELS.indexOf(String(l).toLowerCase()); return i < 0 ? 0 : 5 - i; }
  function levelClass(l) { var k = String(l).toLowerCase(); return LEVELS.indexOf(k) >= 0 ? k : 'other'; }
  function levelBadge(l) { return h('span', 'lvl lv-' + levelClass(l), l); }
  function chips(values, total) {
    var d = h('div', 'chips');
    if (!values || values.length === 0) { d.appendChild(h('span', null, '\u2014')); return d; }
    values.forEach(function (v) { d.appendChild(h('span', null, v)); });
    if (total > values.length) d.appendChild(h('span', 'more', 'and ' + fmtNum(total - values.length) + ' more (every one is in --campaigns)'));
    return d;
  }

  // A campaign's list lengths: the page holds the first items of each long list (HtmlReportSink.CampaignListLimit).
  function total(c, k) { return c.totals && typeof c.totals[k] === 'number' ? c.totals[k] : c[k].length; }
  function firstOf(c, k) { return total(c, k) > c[k].length ? ' (the first ' + fmtNum(c[k].length) + ' in this page; every one is in --campaigns)' : ''; }
  // Hosts drawn in a campaign's graph and timeline; the others are counted.
  var DRAWN_HOSTS = 60;

  // ATT&CK tactics in kill-chain order, and a colour each.
  var TACTICS = ['reconnaissance', 'resource-development', 'initial-access', 'execution', 'persistence',
    'privilege-escalation', 'defense-evasion', 'credential-access', 'discovery', 'lateral-movement', 'collection',
    'command-and-control', 'exfiltration', 'impact'];
  var TCOL = ['#6c757d', '#8d6e63', '#393b79', '#1f77b4', '#9467bd', '#c51b7d', '#7f7f7f', '#ff7f0e', '#2ca02c',
    '#d62728', '#17becf', '#8c564b', '#bcbd22', '#111111'];
  function tacticColor(t) { var i = TACTICS.indexOf(t); return i < 0 ? '#b0b7c0' : TCOL[i]; }
  function tacticName(tag) {
    var m = /^attack\.([a-z_-]+)$/i.exec(tag);
    if (!m) return null;
    var n = m[1].toLowerCase().replace(/_/g, '-');
    return TACTICS.indexOf(n) >= 0 ? n : null;
  }
  function techniqueId(tag) {
    var m = /^attack\.(t\d{4}(?:\.\d{3})?)$/i.exec(tag);
    return m ? m[1].toUpperCase() : null;
  }
  var ruleTactics = RULES.map(function (r) { return r[4].map(tacticName).filter(Boolean); });
  var ruleTechs = RULES.map(function (r) { return r[4].map(techniqueId).filter(Boolean); });
  // Detections per rule, embedded in this page or not (the page holds at most meta.rows_per_rule rows of a rule).
  var ruleCount = new Float64Array(RULES.length);
  for (i = 0; i < RULES.length; i++) ruleCount[i] = RULES[i][5];
  var TOTAL = meta.rows_total, CAPPED = TOTAL > N;

  // ---- headline ---------------------------------------------------------------------------------------------
  var range = SUM.first_event !== null && SUM.last_event !== null ? fmtTime(SUM.first_event) + ' to ' + fmtTime(SUM.last_event) + ' UTC' : 'no event times';
  document.getElementById('headline').textContent = fmtNum(TOTAL) + ' detections' + (CAPPED ? ' (' + fmtNum(N) + ' in this page)' : '')
    + ' from ' + fmtNum(SUM.events) + ' events in '
    + fmtNum(SUM.files_read) + ' of ' + fmtNum(SUM.files_total) + ' files (' + range + '); ' + fmtNum(meta.campaigns_total) + ' campaigns'
    + (meta.campaigns_total > meta.campaigns.length ? ' (the top ' + fmtNum(meta.campaigns.length) + ' in this page)' : '') + '; '
    + fmtNum(SUM.rules_run) + ' rules';
  if (CAPPED) {
    var capped = [];
    for (i = 0; i < RULES.length; i++) if (meta.rows_per_rule && RULES[i][5] > meta.rows_per_rule) capped.push(i);
    document.getElementById('cap-note').textContent = 'This page holds ' + fmtNum(N) + ' of the ' + fmtNum(TOTAL) + ' detections: '
      + (meta.rows_per_rule ? 'the earliest ' + fmtNum(meta.rows_per_rule) + ' of each rule' : 'the earliest')
      + (meta.rows_max ? ', ' + fmtNum(meta.rows_max) + ' in all' : '')
      + ', and every detection a campaign step, movement or theft names. '
      + (capped.length ? 'Rules with more: ' + capped.slice(0, 10).map(function (k) { return RULES[k][1] + ' (' + fmtNum(RULES[k][5]) + ')'; }).join('; ')
        + (capped.length > 10 ? '; and ' + (capped.length - 10) + ' more' : '') + '. ' : '')
      + 'Counts per rule, level and technique are of every detection; the full list is in the hunt\'s output '
      + '(or run vigil hunt with --report-rows-per-rule 0 --report-max-rows 0).';
  }

  // ---- detection table (declared early: campaigns and the heat map filter it) ---------------------------------
  var COLS = [
    { name: 'ID', key: function (i) { return cId[i]; } },
    { name: 'Time (UTC)', key: function (i) { return isNaN(cTime[i]) ? -Infinity : cTime[i]; } },
    { name: 'Level', key: function (i) { return levelRank(RULES[cRule[i]][2]); } },
    { name: 'Rule', key: null, rank: 'rule' },
    { name: 'Computer', key: null, rank: 'host' },
    { name: 'Channel', key: null, rank: 'chan' },
    { name: 'EID', key: function (i) { return isNaN(cEid[i]) ? -1 : cEid[i]; } },
    { name: 'Details', key: null }
  ];
  var strRank = null, ruleRank = null;
  function ranks() {
    if (strRank) return;
    var order = S.map(function (_, k) { return k; }).sort(function (a, b) { return S[a] < S[b] ? -1 : S[a] > S[b] ? 1 : 0; });
    strRank = new Int32Array(S.length);
    order.forEach(function (k, n) { strRank[k] = n; });
    var ro = RULES.map(function (_, k) { return k; }).sort(function (a, b) { return RULES[a][1] < RULES[b][1] ? -1 : RULES[a][1] > RULES[b][1] ? 1 : 0; });
    ruleRank = new Int32Array(RULES.length);
    ro.forEach(function (k, n) { ruleRank[k] = n; });
  }
  COLS[3].key = function (i) { ranks(); return ruleRank[cRule[i]]; };
  COLS[4].key = function (i) { ranks(); return strRank[cHost[i]]; };
  COLS[5].key = function (i) { ranks(); return strRank[cChan[i]]; };

  var sortCol = 0, sortDir = 1;
  var order = new Int32Array(N); for (i = 0; i < N; i++) order[i] = i; // rows in sort order
  var view = order;                                                   // rows shown: filtered, in sort order
  var selected = -1;
  var filter = { terms: [], level: '', rules: null, ids: null, note: '' };

  var head = document.getElementById('table-head');
  COLS.forEach(function (c, k) {
    var sp = h('span', null, c.name);
    if (c.key) sp.addEventListener('click', function () {
      // Same column: reverse. New column: ascending, except level (most severe first).
      if (sortCol === k) sortDir = -sortDir; else { sortCol = k; sortDir = k === 2 ? -1 : 1; }
      sortRows(); applyFilter();
    });
    head.appendChild(sp);
  });
  function markSorted() {
    for (var k = 0; k < head.children.length; k++)
      head.children[k].className = k === sortCol ? (sortDir > 0 ? 'sorted-asc' : 'sorted-desc') : '';
  }
  function sortRows() {
    var key = COLS[sortCol].key, keys = new Float64Array(N), idx = new Array(N);
    for (var j = 0; j < N; j++) { keys[j] = key(j); idx[j] = j; }
    var d = sortDir;
    idx.sort(function (a, b) { return (keys[a] - keys[b]) * d || a - b; }); // ties keep output order
    order = Int32Array.from(idx);
    markSorted();
  }

  var viewport = document.getElementById('viewport'), spacer = document.getElementById('spacer');
  // Browsers cap an element's height (Chromium near 33.5M px), so past MAXH the spacer is shortened and the scroll
  // position maps proportionally onto rows: 'exact' is the (fractional) row at the top of the viewport.
  var ROWH = 24, MAXH = 15000000, pool = [];
  function scrollRange() { return Math.max(1, spacer.offsetHeight - viewport.clientHeight); }
  function rowRange() { return Math.max(0, view.length - viewport.clientHeight / ROWH); }
  function topRow() { return viewport.scrollTop / scrollRange() * rowRange(); }
  function scrollToRow(k) { viewport.scrollTop = Math.max(0, k - 4) / Math.max(1e-9, rowRange()) * scrollRange(); }
  // Details column: the fields an analyst reads first, then the event's other own fields (system fields have columns).
  var SYSTEM = { EventID: 1, Channel: 1, Computer: 1, Hostname: 1, EventRecordID: 1, TimeCreated: 1, '@timestamp': 1,
    Provider_Name: 1, Provider_Guid: 1, Version: 1, Level: 1, Task: 1, Opcode: 1, Keywords: 1, Execution_ProcessID: 1,
    Execution_ThreadID: 1, SourceName: 1, Security_UserID: 1, Message: 1, UtcTime: 1, SubjectUserSid: 1, SubjectLogonId: 1,
    ProcessGuid: 1, ParentProcessGuid: 1, TargetLogonId: 1, TargetUserSid: 1, RuleName: 1, TerminalSessionId: 1 };
  var FIRST = ['CommandLine', 'ScriptBlockText', 'Image', 'NewProcessName', 'ParentImage', 'User', 'SubjectUserName',
    'TargetUserName', 'TargetFilename', 'TargetObject', 'DestinationIp', 'DestinationPort', 'QueryName', 'ServiceName',
    'ImagePath', 'IpAddress', 'LogonType', 'ShareName', 'RelativeTargetName'];
  function details(k) {
    var o = eventObj(k), out = [], done = {};
    function add(f) {
      done[f] = 1;
      var v = o[f];
      if (v === null || v === undefined || v === '' || v === '-') return;
      out.push(f + ': ' + (typeof v === 'object' ? JSON.stringify(v) : String(v)));
    }
    for (var j = 0; j < FIRST.length; j++) if (Object.prototype.hasOwnProperty.call(o, FIRST[j])) add(FIRST[j]);
    for (var f in o) {
      if (out.length > 12) break;
      if (Object.prototype.hasOwnProperty.call(o, f) && !SYSTEM[f] && !done[f]) add(f);
    }
    return out.join(' \u00a6 ');
  }
  function makeRow() {
    var d = h('div', 'row data');
    for (var k = 0; k < COLS.length; k++) d.appendChild(h('span'));
    d.addEventListener('click', function () { select(Number(d.getAttribute('data-row'))); });
    spacer.appendChild(d);
    return d;
  }
  function renderRows() {
    var n = view.length;
    var exact = n * ROWH <= viewport.clientHeight ? 0 : topRow();
    var first = Math.max(0, Math.floor(exact) - 8);
    var count = Math.min(n - first, Math.ceil(viewport.clientHeight / ROWH) + 16);
    while (pool.length < count) pool.push(makeRow());
    for (var k = 0; k < pool.length; k++) {
      var d = pool[k];
      if (k >= count) { d.style.display = 'none'; continue; }
      var pos = first + k, row = view[pos], rule = RULES[cRule[row]];
      d.style.display = '';
      d.style.top = (viewport.scrollTop + (pos - exact) * ROWH) + 'px';
      d.setAttribute('data-row', String(row));
      d.className = row === selected ? 'row data selected' : 'row data';
      var c = d.children;
      c[0].textContent = String(cId[row]);
      c[1].textContent = fmtTime(cTime[row]);
      clear(c[2]); c[2].appendChild(levelBadge(rule[2]));
      c[3].textContent = rule[1];
      c[4].textContent = S[cHost[row]];
      c[5].textContent = S[cChan[row]];
      c[6].textContent = isNaN(cEid[row]) ? '' : String(cEid[row]);
      c[7].textContent = details(cEv[row]);
      c[3].title = rule[1]; c[7].title = c[7].textContent; // title property: plain text, never parsed
    }
  }
  viewport.addEventListener('scroll', function () { window.requestAnimationFrame(renderRows); });
  // Arrow keys move the selection through the shown rows (the table keeps the selected row in view).
  viewport.tabIndex = 0;
  viewport.addEventListener('keydown', function (e) {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    if (!view.length) return;
    var at = -1;
    for (var k = 0; k < view.length; k++) if (view[k] === selected) { at = k; break; }
    at = at < 0 ? 0 : Math.max(0, Math.min(view.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)));
    var top = topRow(), rows = viewport.clientHeight / ROWH;
    if (at < top || at > top + rows - 2) scrollToRow(at < top ? at + 4 : at - Math.floor(rows) + 6);
    renderRows();
    select(view[at]);
  });
  window.addEventListener('resize', renderRows);

  function select(row) {
    selected = row;
    // Only the highlight changes: no re-render, no layout.
    for (var q = 0; q < pool.length; q++)
      pool[q].className = Number(pool[q].getAttribute('data-row')) === row && pool[q].style.display !== 'none' ? 'row data selected' : 'row data';
    var box = document.getElementById('detail');
    clear(box);
    if (row < 0) { box.appendChild(h('p', 'muted', 'Click a row to see its raw event.')); return; }
    var rule = RULES[cRule[row]], place = cPlace[row];
    box.appendChild(h('h3', null, 'Detection ' + cId[row] + ': ' + rule[1]));
    var t = h('table', 'kv');
    function kv(k, v) { var tr = h('tr'); tr.appendChild(h('th', null, k)); tr.appendChild(h('td', null, v)); t.appendChild(tr); }
    kv('time', fmtTime(cTime[row]) || '(no time)');
    kv('rule', rule[1] + ' (' + rule[0] + ', ' + rule[3] + ')');
    kv('level', rule[2]);
    kv('tags', rule[4].join(' '));
    kv('computer', S[cHost[row]]);
    kv('channel', S[cChan[row]]);
    kv('event id', isNaN(cEid[row]) ? '' : String(cEid[row]));
    kv('record id', isNaN(cRid[row]) ? '' : String(cRid[row]));
    kv('source', S[cSrc[row]] + (place > 0 ? ' line ' + place : ' offset 0x' + (-place - 1).toString(16)));
    box.appendChild(t);
    box.appendChild(h('h3', null, 'Event fields'));
    var o = eventObj(cEv[row]), ft = h('table', 'raw-fields');
    for (var f in o) {
      if (!Object.prototype.hasOwnProperty.call(o, f)) continue;
      var tr = h('tr'), v = o[f];
      tr.appendChild(h('th', null, f));
      tr.appendChild(h('td', null, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)));
      ft.appendChild(tr);
    }
    box.appendChild(ft);
  }

  var searchBox = document.getElementById('search'), levelSel = document.getElementById('level-filter');
  var applied = 0;
  // A term as it appears in the raw event text: JSON string escapes plus the page's \u003c \u003e \u0026.
  function jsonForm(term) {
    return JSON.stringify(term).slice(1, -1).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029').toLowerCase();
  }
  function termMask(term) {
    var m = new Uint8Array(N), evHit = new Uint8Array(NEV), strHit = new Uint8Array(S.length), ruleHit = new Uint8Array(RULES.length);
    if (EVL === null) EVL = EV.toLowerCase();
    var needle = jsonForm(term), k;
    for (var at = EVL.indexOf(needle); at >= 0;) {
      // The event holding position 'at': the last newline before it.
      var lo = 0, hi = nl.length - 1;
      while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (nl[mid] < at) lo = mid; else hi = mid - 1; }
      if (lo < NEV) evHit[lo] = 1;
      if (lo + 1 >= nl.length) break;
      at = EVL.indexOf(needle, nl[lo + 1] + 1);
    }
    for (k = 0; k < S.length; k++) if (S[k].toLowerCase().indexOf(term) >= 0) strHit[k] = 1;
    for (k = 0; k < RULES.length; k++) {
      var r = RULES[k];
      if ((r[0] + '\n' + r[1] + '\n' + r[2] + '\n' + r[4].join('\n')).toLowerCase().indexOf(term) >= 0) ruleHit[k] = 1;
    }
    var num = /^\d+$/.test(term) ? Number(term) : NaN;
    for (var j = 0; j < N; j++)
      m[j] = evHit[cEv[j]] | strHit[cHost[j]] | strHit[cChan[j]] | strHit[cSrc[j]] | ruleHit[cRule[j]]
        | (cEid[j] === num || cId[j] === num ? 1 : 0);
    return m;
  }
  var maskCache = { key: null, mask: null };
  function applyFilter() {
    var key = filter.terms.join('\u0000'), mask = null;
    if (filter.terms.length) {
      if (maskCache.key === key) mask = maskCache.mask;
      else {
        mask = termMask(filter.terms[0]);
        for (var t = 1; t < filter.terms.length; t++) { var m2 = termMask(filter.terms[t]); for (var j = 0; j < N; j++) mask[j] &= m2[j]; }
        maskCache = { key: key, mask: mask };
      }
    }
    var out = new Int32Array(N), n = 0, lvl = filter.level;
    for (var q = 0; q < N; q++) {
      var row = order[q];
      if (mask && !mask[row]) continue;
      if (lvl && RULES[cRule[row]][2] !== lvl) continue;
      if (filter.rules && !filter.rules[cRule[row]]) continue;
      if (filter.ids && !filter.ids.has(cId[row])) continue;
      out[n++] = row;
    }
    view = out.subarray(0, n);
    spacer.style.height = Math.min(n * ROWH, MAXH) + 'px';
    document.getElementById('row-count').textContent = fmtNum(n) + ' of ' + fmtNum(N) + ' detections';
    document.getElementById('filter-note').textContent = filter.note;
    renderRows();
    applied++;
    window.__vigil.applied = applied;
    window.__vigil.shown = n;
  }
  var searchTimer = 0;
  searchBox.addEventListener('input', function () {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(function () {
      filter.terms = searchBox.value.toLowerCase().split(/\s+/).filter(Boolean);
      viewport.scrollTop = 0;
      applyFilter();
    }, 120);
  });
  var levelsSeen = {};
  RULES.forEach(function (r) { levelsSeen[r[2]] = 1; });
  Object.keys(levelsSeen).sort(function (a, b) { return levelRank(b) - levelRank(a); }).forEach(function (l) {
    var o = h('option', null, l); o.value = l; levelSel.appendChild(o);
  });
  levelSel.addEventListener('change', function () { filter.level = levelSel.value; viewport.scrollTop = 0; applyFilter(); });
  function clearFilters() {
    filter.rules = null; filter.ids = null; filter.note = ''; filter.level = ''; filter.terms = [];
    levelSel.value = ''; searchBox.value = '';
    applyFilter();
  }
  document.getElementById('clear-filter').addEventListener('click', clearFilters);
  function showRows(note, rules, ids, selectId) {
    filter.rules = rules; filter.ids = ids; filter.note = note + ' (Clear to show all)';
    viewport.scrollTop = 0;
    applyFilter();
    document.getElementById('detections').scrollIntoView();
    if (selectId !== undefined && idToRow.has(selectId)) {
      var row = idToRow.get(selectId);
      for (var k = 0; k < view.length; k++) if (view[k] === row) { scrollToRow(k); break; }
      select(row);
    }
  }

  // ---- campaigns --------------------------------------------------------------------------------------------
  function renderCampaigns() {
    var list = document.getElementById('campaign-list');
    var cs = meta.campaigns.slice().sort(function (a, b) { return b.score - a.score; });
    if (cs.length === 0) {
      list.appendChild(h('div', 'card empty', 'No campaigns: the hunt found no connected activity to group ' +
        '(or campaign building was not part of this run). Detections are listed below.'));
      return;
    }
    // The top campaigns as full cards; the rest (a big hunt can make hundreds) as one line each, opened on click,
    // so the page stays quick to load however many there are.
    var FULL = 10, PAGE = 200;
    cs.slice(0, FULL).forEach(function (c, ci) { list.appendChild(campaignCard(c, ci)); });
    if (meta.campaigns_total > cs.length)
      list.appendChild(h('div', 'muted campaigns-left-out', fmtNum(meta.campaigns_total - cs.length) + ' lower-ranked campaigns are not in '
        + 'this page (vigil hunt --report-max-campaigns); every campaign is in the hunt\'s --campaigns output.'));
    if (cs.length <= FULL) return;
    var more = h('div', 'card more-campaigns');
    more.appendChild(h('h3', null, (cs.length - FULL) + ' more campaigns (click one to open it)'));
    var opened = h('div', 'opened-campaigns');
    var box = h('div', 'steps'), t = h('table'), hr = h('tr');
    ['campaign', 'score', 'kind', 'operator', 'from', 'to', 'detections', 'hosts', 'users'].forEach(function (x) { hr.appendChild(h('th', null, x)); });
    t.appendChild(hr);
    var shown = FULL;
    function addRows() {
      cs.slice(shown, shown + PAGE).forEach(function (c, k) {
        var ci = shown + k, tr = h('tr', 'step campaign-row');
        [c.id, String(Math.round(c.score)), c.kind, c.operator.kind, fmtTime(c.first), fmtTime(c.last), fmtNum(total(c, 'detections')),
          cut(c.hosts.join(' '), 60), cut(c.users.join(' '), 60)].forEach(function (x) { tr.appendChild(h('td', null, x)); });
        tr.addEventListener('click', function () {
          if (tr.getAttribute('data-open')) return;
          tr.setAttribute('data-open', '1');
          opened.insertBefore(campaignCard(c, ci), opened.firstChild);
          opened.firstChild.scrollIntoView();
        });
        t.appendChild(tr);
      });
      shown = Math.min(cs.length, shown + PAGE);
      btn.hidden = shown >= cs.length;
      btn.textContent = 'Show ' + Math.min(PAGE, cs.length - shown) + ' more (' + (cs.length - shown) + ' left)';
    }
    var btn = h('button', null, '');
    btn.type = 'button';
    btn.addEventListener('click', addRows);
    box.appendChild(t);
    more.appendChild(box);
    more.appendChild(btn);
    addRows();
    list.appendChild(more);
    list.appendChild(opened);
  }

  function campaignCard(c, ci) {
    var card = h('div', 'card campaign');
    card.setAttribute('data-campaign', String(ci));
    var hd = h('div', 'campaign-head');
    hd.appendChild(h('span', 'cid', c.id));
    hd.appendChild(h('span', 'score', 'score ' + Math.round(c.score)));
    var kind = String(c.kind).toLowerCase();
    hd.appendChild(h('span', 'kind' + (['intrusion', 'automation', 'admin', 'suspicious'].indexOf(kind) >= 0 ? ' ' + kind : ''), c.kind));
    hd.appendChild(h('span', 'muted', fmtTime(c.first) + ' \u2192 ' + fmtTime(c.last) + ' UTC (' + fmtDur(c.last - c.first) + ')'));
    hd.appendChild(h('span', 'muted', fmtNum(total(c, 'detections')) + ' detections'));
    Object.keys(c.levels).sort(function (a, b) { return levelRank(b) - levelRank(a); }).forEach(function (l) {
      var b = levelBadge(l + ' ' + c.levels[l]); b.className = 'lvl lv-' + levelClass(l); hd.appendChild(b);
    });
    var btn = h('button', null, 'Show its detections');
    btn.type = 'button';
    btn.addEventListener('click', function () { showRows('Campaign ' + c.id + ': ' + fmtNum(total(c, 'detections')) + ' detections' + firstOf(c, 'detections'), null, new Set(c.detections)); });
    hd.appendChild(btn);
    card.appendChild(hd);
    card.appendChild(h('p', 'summary', c.summary));

    var g = h('div', 'grid2');
    var left = h('div', 'graph');
    left.appendChild(h('h3', null, 'Hosts, accounts and lateral movement'));
    left.appendChild(campaignGraph(c, ci));
    if (c.links.length) left.appendChild(movementTable(c));
    g.appendChild(left);
    g.appendChild(verdictBox(c.operator));
    card.appendChild(g);

    var facts = h('table', 'kv facts');
    function kv(k, vals, n) { var tr = h('tr'); tr.appendChild(h('th', null, k)); var td = h('td'); td.appendChild(chips(vals, n)); tr.appendChild(td); facts.appendChild(tr); }
    kv('hosts', c.hosts, total(c, 'hosts')); kv('users', c.users, total(c, 'users'));
    kv('internal addresses', c.internal, total(c, 'internal')); kv('external addresses', c.external, total(c, 'external'));
    kv('tactics', c.tactics); kv('techniques', c.techniques);
    card.appendChild(facts);

    var tl = h('div', 'timeline');
    tl.appendChild(h('h3', null, 'Timeline'));
    tl.appendChild(campaignTimeline(c));
    card.appendChild(tl);

    if (c.theft.length) {
      card.appendChild(h('h3', null, 'Data theft'));
      var tt = h('table', 'kv theft');
      var th = h('tr');
      ['time', 'host', 'kind', 'bytes', 'destination', 'detail'].forEach(function (x) { th.appendChild(h('th', null, x)); });
      tt.appendChild(th);
      c.theft.forEach(function (t) {
        var tr = h('tr');
        [fmtTime(t.time), t.host, t.kind, t.bytes ? fmtBytes(t.bytes) : '', t.destination, t.detail].forEach(function (x) { tr.appendChild(h('td', null, x)); });
        tt.appendChild(tr);
      });
      card.appendChild(tt);
    }

    card.appendChild(h('h3', null, 'Steps (' + fmtNum(total(c, 'steps')) + firstOf(c, 'steps') + '; click one to open its detection)'));
    var box = h('div', 'steps'), st = h('table'), hr = h('tr');
    ['time', 'host', 'user', 'tactic', 'technique', 'rule', 'level', 'n', 'detail'].forEach(function (x) { hr.appendChild(h('th', null, x)); });
    st.appendChild(hr);
    c.steps.forEach(function (s) {
      var tr = h('tr', 'step');
      [fmtTime(s[0]), s[1], s[2], s[3], s[4], s[6], null, s[9] > 1 ? '\u00d7' + s[9] : '', s[10]].forEach(function (x, k) {
        var td = h('td', null, k === 6 ? null : x);
        if (k === 6) td.appendChild(levelBadge(s[7]));
        tr.appendChild(td);
      });
      tr.addEventListener('click', function () { showRows('Campaign ' + c.id + ' step: detection ' + s[8], null, new Set(c.detections), s[8]); });
      st.appendChild(tr);
    });
    box.appendChild(st);
    card.appendChild(box);
    return card;
  }

  function movementTable(c) {
    var box = h('div', 'steps movements'), t = h('table'), hr = h('tr');
    if (firstOf(c, 'links')) box.appendChild(h('p', 'muted', fmtNum(total(c, 'links')) + ' movements' + firstOf(c, 'links')));
    ['time', 'from', 'to', 'method', 'account', 'source address'].forEach(function (x) { hr.appendChild(h('th', null, x)); });
    t.appendChild(hr);
    c.links.forEach(function (l) {
      var tr = h('tr', l.detections.length ? 'step' : null);
      [fmtTime(l.time), l.from, l.to, l.method, l.account, l.address].forEach(function (x) { tr.appendChild(h('td', null, x)); });
      if (l.detections.length)
        tr.addEventListener('click', function () { showRows('Campaign ' + c.id + ' movement ' + l.from + ' \u2192 ' + l.to, null, new Set(c.detections), l.detections[0]); });
      t.appendChild(tr);
    });
    box.appendChild(t);
    return box;
  }

  function verdictBox(op) {
    var kind = String(op.kind).toLowerCase();
    var d = h('div', 'verdict' + (kind === 'human' || kind === 'machine' ? ' ' + kind : ''));
    d.appendChild(h('h3', null, 'Operator verdict'));
    var p = h('p', 'verdict-line');
    p.appendChild(h('strong', 'verdict-kind', op.kind));
    p.appendChild(document.createTextNode(' (confidence ' + Math.round(op.confidence * 100) + '%)'));
    d.appendChild(p);
    var ev = h('table', 'kv evidence');
    Object.keys(op.evidence).forEach(function (k) {
      var tr = h('tr'), v = op.evidence[k];
      tr.appendChild(h('th', null, k));
      tr.appendChild(h('td', 'mono', typeof v === 'number' ? (Math.round(v * 1000) / 1000).toString() : String(v)));
      ev.appendChild(tr);
    });
    d.appendChild(ev);
    var ul = h('ul', 'reasons');
    op.reasons.forEach(function (r) { ul.appendChild(h('li', null, r)); });
    d.appendChild(ul);
    return d;
  }

  // Hosts in the order first touched, laid out in rows; accounts in a row beneath; red arcs for host-to-host movement.
  function campaignGraph(c, ci) {
    // The first hosts touched and the movements' ends, up to DRAWN_HOSTS boxes; moves to hosts not drawn are left out.
    var hosts = c.hosts.slice(0, DRAWN_HOSTS), users = c.users.slice(0, 14), known = Object.create(null);
    hosts.forEach(function (x) { known[x] = 1; });
    function addHost(x) { if (x && !known[x] && hosts.length < DRAWN_HOSTS) { known[x] = 1; hosts.push(x); } }
    c.links.forEach(function (l) { addHost(l.from); addHost(l.to); });
    var undrawn = total(c, 'hosts') - hosts.length;
    var perRow = 5, bw = 112, bh = 28, gx = 150, gy = 96, top = 46;
    var hostRows = Math.ceil(hosts.length / perRow) || 1;
    var W = Math.max(3, Math.min(hosts.length, perRow)) * gx + 20;
    var uy = top + hostRows * gy + 24, H = uy + (users.length ? 60 : 0);
    var svg = sv('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, 'class': 'campaign-graph', role: 'img' });
    var defs = sv('defs'), mk = sv('marker', { id: 'vg-arrow-' + ci, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    mk.appendChild(sv('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#d1342f' }));
    defs.appendChild(mk); svg.appendChild(defs);
    var pos = {};
    hosts.forEach(function (x, k) { pos['h:' + x] = { x: 10 + (k % perRow) * gx + bw / 2, y: top + Math.floor(k / perRow) * gy + bh / 2 }; });
    var ux = users.length ? (W - 20) / users.length : 0;
    users.forEach(function (u, k) { pos['u:' + u] = { x: 10 + ux * k + ux / 2, y: uy + bh / 2 }; });
    // account -> host edges from the steps (who acted where)
    var seen = {};
    c.steps.forEach(function (s) {
      var a = pos['u:' + s[2]], b = pos['h:' + s[1]], k = s[2] + '\u0000' + s[1];
      if (!a || !b || seen[k]) return;
      seen[k] = 1;
      svg.appendChild(sv('line', { x1: a.x, y1: a.y - bh / 2, x2: b.x, y2: b.y + bh / 2, 'class': 'edge' }));
    });
    // lateral movement: one arc per (from, to, method), with the count and the first time
    var groups = {}, gl = [];
    c.links.forEach(function (l) {
      var k = l.from + '\u0000' + l.to + '\u0000' + l.method;
      if (!groups[k]) { groups[k] = { l: l, n: 0, accounts: {} }; gl.push(groups[k]); }
      groups[k].n++; groups[k].accounts[l.account] = 1;
      if (l.time < groups[k].l.time) groups[k].l = l;
    });
    gl.forEach(function (g, k) {
      var a = pos['h:' + g.l.from], b = pos['h:' + g.l.to];
      if (!a || !b) return;
      var path, lx, ly;
      if (a === b) {
        path = 'M ' + (a.x - 20) + ' ' + (a.y - bh / 2) + ' C ' + (a.x - 40) + ' ' + (a.y - 60) + ' ' + (a.x + 40) + ' ' + (a.y - 60) + ' ' + (a.x + 20) + ' ' + (a.y - bh / 2);
        lx = a.x; ly = a.y - 50;
      } else if (a.y === b.y) { // same row: an arc over the boxes between
        var bend = 18 + 14 * (k % 3) + Math.min(40, Math.abs(b.x - a.x) / 8);
        var sx = a.x + (b.x > a.x ? 10 : -10), ex = b.x + (b.x > a.x ? -10 : 10);
        var sy = a.y - bh / 2, ey = b.y - bh / 2;
        var mx = (sx + ex) / 2, my = Math.min(sy, ey) - bend;
        path = 'M ' + sx + ' ' + sy + ' Q ' + mx + ' ' + my + ' ' + ex + ' ' + ey;
        lx = mx; ly = my + bend / 2 - 4;
      } else { // another row: from the bottom or top edge, slightly curved so parallel moves stay apart
        var down = b.y > a.y, y1 = a.y + (down ? bh / 2 : -bh / 2), y2 = b.y + (down ? -bh / 2 : bh / 2);
        var cx = (a.x + b.x) / 2 + (down ? 14 : -14), cy = (y1 + y2) / 2;
        path = 'M ' + a.x + ' ' + y1 + ' Q ' + cx + ' ' + cy + ' ' + b.x + ' ' + y2;
        lx = cx; ly = cy;
      }
      var pth = sv('path', { d: path, 'class': 'lateral', 'marker-end': 'url(#vg-arrow-' + ci + ')' });
      tip(pth, g.l.from + ' \u2192 ' + g.l.to + ' by ' + g.l.method + ' as ' + Object.keys(g.accounts).join(', ')
        + ' first ' + fmtTime(g.l.time) + (g.l.address ? ' from ' + g.l.address : '') + (g.n > 1 ? ' (' + g.n + ' times)' : ''));
      svg.appendChild(pth);
      // With many moves the labels would pile up: the movement table under the graph names them all.
      if (gl.length <= 8)
        svg.appendChild(sv('text', { x: lx, y: ly, 'text-anchor': 'middle', 'class': 'lateral-label' }, cut(g.l.method + (g.n > 1 ? ' \u00d7' + g.n : ''), 22)));
    });
    function box(key, label, cls) {
      var p = pos[key], gr = sv('g', { 'class': cls });
      gr.appendChild(sv('rect', { x: p.x - bw / 2, y: p.y - bh / 2, width: bw, height: bh, rx: 4 }));
      gr.appendChild(sv('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle' }, cut(label, 17)));
      tip(gr, label);
      svg.appendChild(gr);
    }
    hosts.forEach(function (x) { box('h:' + x, x, 'graph-host'); });
    users.forEach(function (u) { box('u:' + u, u, 'graph-user'); });
    if (total(c, 'users') > users.length) svg.appendChild(sv('text', { x: W - 10, y: H - 4, 'text-anchor': 'end' }, '+' + fmtNum(total(c, 'users') - users.length) + ' more accounts'));
    if (undrawn > 0) svg.appendChild(sv('text', { x: 10, y: H - 4, 'class': 'muted more-hosts' }, '+' + fmtNum(undrawn) + ' more hosts not drawn'));
    if (c.links.length === 0) svg.appendChild(sv('text', { x: 10, y: 16, 'class': 'muted' }, 'no host-to-host movement recorded'));
    return svg;
  }

  // Steps on a time axis, one lane per host, coloured by tactic.
  function campaignTimeline(c) {
    var wrap = h('div');
    // A lane per host, up to DRAWN_HOSTS: the first hosts touched, then the steps' hosts; steps elsewhere are counted.
    var lanes = c.hosts.slice(0, DRAWN_HOSTS), lane = Object.create(null);
    lanes.forEach(function (x, k) { lane[x] = k; });
    c.steps.forEach(function (s) { if (!(s[1] in lane) && lanes.length < DRAWN_HOSTS) { lane[s[1]] = lanes.length; lanes.push(s[1]); } });
    var offLane = 0;
    var L = 130, R = 16, W = 1100, lh = 22, top = 8, H = top + lanes.length * lh + 28;
    var t0 = c.first, t1 = c.last;
    c.steps.forEach(function (s) { if (s[0] < t0) t0 = s[0]; if (s[0] > t1) t1 = s[0]; });
    var span = Math.max(1000, t1 - t0);
    function X(t) { return L + (W - L - R) * (t - t0) / span; }
    var svg = sv('svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', 'class': 'campaign-timeline', role: 'img', preserveAspectRatio: 'xMinYMin meet' });
    lanes.forEach(function (x, k) {
      var y = top + k * lh + lh / 2;
      svg.appendChild(sv('line', { x1: L, y1: y, x2: W - R, y2: y, 'class': 'lane' }));
      svg.appendChild(tip(sv('text', { x: L - 6, y: y + 4, 'text-anchor': 'end' }, cut(x, 20)), x));
    });
    var ay = top + lanes.length * lh + 4;
    svg.appendChild(sv('line', { x1: L, y1: ay, x2: W - R, y2: ay, 'class': 'axis' }));
    for (var k = 0; k <= 5; k++) {
      var t = t0 + span * k / 5, x = X(t);
      svg.appendChild(sv('line', { x1: x, y1: ay, x2: x, y2: ay + 4, 'class': 'axis' }));
      svg.appendChild(sv('text', { x: x, y: ay + 16, 'text-anchor': k === 0 ? 'start' : k === 5 ? 'end' : 'middle' }, fmtShort(t, span)));
    }
    var used = {};
    c.steps.forEach(function (s) {
      if (!(s[1] in lane)) { offLane++; return; }
      var y = top + lane[s[1]] * lh + lh / 2;
      var dot = sv('circle', { cx: X(s[0]), cy: y, r: s[9] > 1 ? 6 : 4.5, fill: tacticColor(s[3]), 'class': 'dot' });
      tip(dot, fmtTime(s[0]) + '  ' + s[1] + '  ' + s[2] + '\n' + (s[3] || 'no tactic') + ' ' + s[4] + '  ' + s[6] + ' [' + s[7] + ']'
        + (s[9] > 1 ? ' \u00d7' + s[9] : '') + (s[10] ? '\n' + s[10] : ''));
      dot.addEventListener('click', function () { showRows('Campaign ' + c.id + ' step: detection ' + s[8], null, new Set(c.detections), s[8]); });
      svg.appendChild(dot);
      used[s[3]] = 1;
    });
    wrap.appendChild(svg);
    if (offLane > 0 || total(c, 'hosts') > lanes.length)
      wrap.appendChild(h('p', 'muted more-lanes', 'Lanes for ' + fmtNum(lanes.length) + ' of ' + fmtNum(Math.max(total(c, 'hosts'), lanes.length)) + ' hosts'
        + (offLane > 0 ? '; ' + fmtNum(offLane) + ' steps on other hosts not drawn' : '') + '.'));
    var lg = h('div', 'legend');
    TACTICS.concat(['']).forEach(function (t) {
      if (!used[t]) return;
      var sp = h('span'), sw = h('i');
      sw.style.backgroundColor = tacticColor(t);
      sp.appendChild(sw); sp.appendChild(document.createTextNode(t || 'no tactic'));
      lg.appendChild(sp);
    });
    wrap.appendChild(lg);
    return wrap;
  }

  // ---- ATT&CK heat map --------------------------------------------------------------------------------------
  function renderHeatmap() {
    var root = document.getElementById('heatmap');
    var cols = {}, any = false; // tactic -> technique -> {n, rules{}}
    for (var k = 0; k < RULES.length; k++) {
      if (!ruleCount[k]) continue;
      var tac = ruleTactics[k], tec = ruleTechs[k];
      if (!tac.length && !tec.length) continue;
      (tac.length ? tac : ['(no tactic)']).forEach(function (t) {
        (tec.length ? tec : ['(no technique)']).forEach(function (q) {
          cols[t] = cols[t] || {};
          var c = cols[t][q] = cols[t][q] || { n: 0, rules: {} };
          c.n += ruleCount[k]; c.rules[k] = 1; any = true;
        });
      });
    }
    if (!any) { root.appendChild(h('div', 'empty', 'No detection carries an ATT&CK tag.')); return; }
    var names = TACTICS.filter(function (t) { return cols[t]; });
    if (cols['(no tactic)']) names.push('(no tactic)');
    var max = 1;
    names.forEach(function (t) { for (var q in cols[t]) max = Math.max(max, cols[t][q].n); });
    var table = h('table', 'heat'), hr = h('tr'), tr = h('tr');
    names.forEach(function (t) {
      var th = h('th', null, t), total = 0;
      for (var q in cols[t]) total += cols[t][q].n;
      th.appendChild(h('div', 'muted', fmtNum(total)));
      hr.appendChild(th);
      var td = h('td');
      Object.keys(cols[t]).sort(function (a, b) { return cols[t][b].n - cols[t][a].n || (a < b ? -1 : 1); }).forEach(function (q) {
        var c = cols[t][q], f = Math.log(1 + c.n) / Math.log(1 + max);
        var cell = h('div', 'cell heat-cell', q + '  ' + fmtNum(c.n));
        cell.style.backgroundColor = 'rgba(209, 52, 47, ' + (0.12 + 0.78 * f).toFixed(3) + ')';
        if (f > 0.55) cell.style.color = '#fff';
        var rs = Object.keys(c.rules).map(Number);
        cell.title = t + ' / ' + q + ': ' + rs.map(function (r) { return RULES[r][1]; }).join('; ');
        cell.addEventListener('click', function () {
          var sel = new Uint8Array(RULES.length); rs.forEach(function (r) { sel[r] = 1; });
          showRows('ATT&CK ' + t + ' / ' + q + ': ' + fmtNum(c.n) + ' detections', sel, null);
        });
        td.appendChild(cell);
      });
      tr.appendChild(td);
    });
    table.appendChild(hr); table.appendChild(tr);
    root.appendChild(table);
  }

  // ---- charts -----------------------------------------------------------------------------------------------
  function bars(root, items, cls, lw, W, chars) {
    if (!items.length) { root.appendChild(h('div', 'empty', 'No detections.')); return; }
    var bh = 18, H = items.length * (bh + 4) + 4, max = 1;
    items.forEach(function (it) { max = Math.max(max, it.n); });
    var svg = sv('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img' });
    items.forEach(function (it, k) {
      var y = 2 + k * (bh + 4), w = Math.max(1, (W - lw - 70) * it.n / max);
      svg.appendChild(tip(sv('text', { x: lw - 6, y: y + 13, 'text-anchor': 'end', 'class': 'bar-label' }, cut(it.label, chars)), it.label));
      var rect = sv('rect', { x: lw, y: y, width: w, height: bh, rx: 2, 'class': it.cls || cls });
      tip(rect, it.label + ': ' + fmtNum(it.n));
      if (it.click) { rect.addEventListener('click', it.click); rect.setAttribute('cursor', 'pointer'); }
      svg.appendChild(rect);
      svg.appendChild(sv('text', { x: lw + w + 6, y: y + 13 }, fmtNum(it.n)));
    });
    root.appendChild(svg);
  }
  function renderCharts() {
    var lv = {};
    // Per level, from the rules' counts (of every detection, in this page or not).
    for (var k = 0; k < RULES.length; k++) if (ruleCount[k]) lv[RULES[k][2]] = (lv[RULES[k][2]] || 0) + ruleCount[k];
    bars(document.getElementById('chart-levels'), Object.keys(lv).sort(function (a, b) { return levelRank(b) - levelRank(a); })
      .map(function (l) { return { label: l, n: lv[l], cls: 'bar-' + levelClass(l), click: function () { levelSel.value = l; filter.level = l; applyFilter(); document.getElementById('detections').scrollIntoView(); } }; }), 'bar', 110, 400, 16);
    var top = RULES.map(function (_, k) { return k; }).filter(function (k) { return ruleCount[k] > 0; })
      .sort(function (a, b) { return ruleCount[b] - ruleCount[a] || a - b; }).slice(0, 15);
    bars(document.getElementById('chart-rules'), top.map(function (k) {
      return { label: RULES[k][1], n: ruleCount[k], cls: 'bar-' + levelClass(RULES[k][2]), click: function () {
        var sel = new Uint8Array(RULES.length); sel[k] = 1; showRows('Rule ' + RULES[k][1], sel, null);
      } };
    }), 'bar', 330, 820, 54);

    // per host over time: top 12 hosts, 60 buckets over the detections' time range
    var root = document.getElementById('chart-hosts');
    if (CAPPED) root.appendChild(h('div', 'muted', 'Of the ' + fmtNum(N) + ' detections in this page.'));
    var t0 = Infinity, t1 = -Infinity, hc = {}, j;
    for (j = 0; j < N; j++) {
      var t = cTime[j];
      if (!isNaN(t)) { if (t < t0) t0 = t; if (t > t1) t1 = t; }
      hc[cHost[j]] = (hc[cHost[j]] || 0) + 1;
    }
    if (!(t1 >= t0)) { root.appendChild(h('div', 'empty', 'No timed detections.')); return; }
    var B = 60, span = Math.max(1000, t1 - t0 + 1);
    var hostsTop = Object.keys(hc).map(Number).sort(function (a, b) { return hc[b] - hc[a] || a - b; }).slice(0, 12);
    var slot = {}; hostsTop.forEach(function (x, k) { slot[x] = k; });
    var grid = hostsTop.map(function () { return new Float64Array(B); });
    for (j = 0; j < N; j++) {
      var s = slot[cHost[j]];
      if (s === undefined || isNaN(cTime[j])) continue;
      grid[s][Math.min(B - 1, Math.floor(B * (cTime[j] - t0) / span))]++;
    }
    var L = 160, W = 1100, R = 70, rh = 30, H = hostsTop.length * rh + 26, bw = (W - L - R) / B;
    var svg = sv('svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img', 'class': 'host-time', preserveAspectRatio: 'xMinYMin meet' });
    hostsTop.forEach(function (x, k) {
      var y = k * rh, mx = 1, row = grid[k];
      for (var b = 0; b < B; b++) mx = Math.max(mx, row[b]);
      svg.appendChild(tip(sv('text', { x: L - 8, y: y + rh - 10, 'text-anchor': 'end' }, cut(S[x] || '(none)', 24)), S[x]));
      for (b = 0; b < B; b++) {
        if (!row[b]) continue;
        var bhgt = Math.max(1.5, (rh - 6) * row[b] / mx);
        svg.appendChild(tip(sv('rect', { x: L + b * bw, y: y + rh - 4 - bhgt, width: Math.max(1, bw - 1), height: bhgt, 'class': 'spark' }),
          S[x] + ': ' + row[b] + ' from ' + fmtTime(t0 + span * b / B)));
      }
      svg.appendChild(sv('line', { x1: L, y1: y + rh - 4, x2: W - R, y2: y + rh - 4, 'class': 'lane' }));
      svg.appendChild(sv('text', { x: W - R + 6, y: y + rh - 10 }, fmtNum(hc[x])));
    });
    var ay = hostsTop.length * rh + 12;
    for (var k = 0; k <= 4; k++) {
      var tt = t0 + span * k / 4;
      svg.appendChild(sv('text', { x: L + (W - L - R) * k / 4, y: ay, 'text-anchor': k === 0 ? 'start' : k === 4 ? 'end' : 'middle' }, fmtShort(tt, span)));
    }
    root.appendChild(svg);
    if (Object.keys(hc).length > hostsTop.length)
      root.appendChild(h('div', 'muted', (Object.keys(hc).length - hostsTop.length) + ' more hosts not shown (see the table)'));
  }

  // ---- what was read ----------------------------------------------------------------------------------------
  function renderRead() {
    var root = document.getElementById('read-summary');
    var t = h('table', 'kv');
    function kv(k, v) { var tr = h('tr'); tr.appendChild(h('th', null, k)); tr.appendChild(h('td', null, v)); t.appendChild(tr); }
    kv('hunt started', SUM.started + ' (took ' + SUM.elapsed_s + ' s)');
    kv('files', fmtNum(SUM.files_read) + ' read of ' + fmtNum(SUM.files_total) + ' (' + fmtBytes(SUM.bytes) + ')');
    kv('events', fmtNum(SUM.events));
    kv('time range', range);
    kv('rules run', fmtNum(SUM.rules_run));
    kv('detections', fmtNum(SUM.detections) + ' (' + Object.keys(SUM.levels).map(function (l) { return SUM.levels[l] + ' ' + l; }).join(', ') + ')');
    var errs = SUM.errors.filter(function (e) { return !e[1]; }).length;
    kv('read errors', fmtNum(errs) + (SUM.errors.length > errs ? ' (and ' + (SUM.errors.length - errs) + ' notes)' : ''));
    root.appendChild(t);
    root.appendChild(h('h3', null, 'Files'));
    var ft = h('table', 'files'), hr = h('tr');
    ['path', 'format', 'size'].forEach(function (x) { hr.appendChild(h('th', null, x)); });
    ft.appendChild(hr);
    SUM.files.slice(0, 1000).forEach(function (f) {
      var tr = h('tr');
      tr.appendChild(h('td', 'mono', f[0])); tr.appendChild(h('td', null, f[1])); tr.appendChild(h('td', null, fmtBytes(f[2])));
      ft.appendChild(tr);
    });
    root.appendChild(ft);
    if (SUM.files_total > 1000) root.appendChild(h('div', 'muted', fmtNum(SUM.files_total - 1000) + ' more files'));
    root.appendChild(h('h3', null, 'Errors and notes'));
    if (!SUM.errors.length) { root.appendChild(h('div', 'empty', 'None.')); return; }
    var box = h('div', 'errors mono');
    SUM.errors.forEach(function (e) { box.appendChild(h('div', e[1] ? 'muted' : null, (e[1] ? 'note: ' : 'error: ') + e[0])); });
    root.appendChild(box);
  }

  // ---- start ------------------------------------------------------------------------------------------------
  window.__vigil = { ready: false, rows: N, events: NEV, applied: 0, shown: N, loadMs: 0 };
  renderCampaigns();
  renderHeatmap();
  renderCharts();
  renderRead();
  markSorted();
  applyFilter();
  // Opens a detection by id, as clicking its row does (for tests and for links from campaign steps).
  window.__vigil.open = function (id) { if (!idToRow.has(id)) return false; select(idToRow.get(id)); return true; };
  window.__vigil.ready = true;
  window.__vigil.loadMs = Math.round(performance.now() - T0);
  document.body.setAttribute('data-ready', '1');
})();
