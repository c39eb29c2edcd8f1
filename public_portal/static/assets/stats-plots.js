/**
 * The plots of the statistics page (docs/spec/stats.md): inline SVG and tables drawn from the
 * figures of js/stats.js (the page) or of `fairdraw stats` (its --out report inlines this
 * file). Self-contained on purpose: no import. Labels are Chinese or English as the page's
 * language switch says (`lang` "zh" or "en"; the page draws again when it changes), or both
 * together ("both", the --out report, which has no switch).
 * Every plot is an <svg data-plot="…">, every flagged row carries data-flag.
 */
const SVG = 'http://www.w3.org/2000/svg';
const RED = '#c62828';
const BLUE = '#1565c0';
const GREY = '#9e9e9e';
const GREEN = '#2e7d32';

function node(tag, attrs = {}, text = null, ns = null) {
  const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) e.setAttribute(k, String(v));
  if (text !== null) e.textContent = String(text);
  return e;
}
const svgNode = (tag, attrs = {}, text = null) => node(tag, attrs, text, SVG);

let LANG = 'both';
/** The label in the language being drawn: Chinese, English, or both ("zh en" or "zh · en"). */
function L(zh, en, both = `${zh} ${en}`) {
  return LANG === 'zh' ? zh : LANG === 'en' ? en : both;
}
const S = (zh, en) => L(zh, en, `${zh} · ${en}`);

function table(head, rows, rowAttrs = () => ({})) {
  const t = node('table', { class: 'stats' });
  const tr = node('tr');
  for (const h of head) tr.append(node('th', {}, h));
  const thead = node('thead');
  thead.append(tr);
  const body = node('tbody');
  rows.forEach((cells, i) => {
    const r = node('tr', rowAttrs(i));
    for (const c of cells) r.append(node('td', {}, c === null ? '—' : c));
    body.append(r);
  });
  t.append(thead, body);
  return t;
}

function section(root, id, title, lead) {
  const s = node('section', { id: `stats-${id}`, class: 'stats-section' });
  s.append(node('h2', {}, title));
  if (lead) s.append(node('p', { class: 'meta' }, lead));
  root.append(s);
  return s;
}

const flagText = (flag) => (flag === 'above' ? L('偏高', 'above') : flag === 'below' ? L('偏低', 'below') : '');

/** Horizontal interval plot: one row per item, [low, high] bar, expected tick, drawn dot. */
function intervalPlot(name, rows, label) {
  const width = 640;
  const left = 170;
  const rowH = 22;
  const height = rows.length * rowH + 34;
  const max = Math.max(1, ...rows.map((r) => Math.max(r.high, r.drawn, Number(r.expected)))) * 1.08;
  const x = (v) => left + (v / max) * (width - left - 20);
  const svg = svgNode('svg', { 'data-plot': name, width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  rows.forEach((r, i) => {
    const y = 14 + i * rowH;
    const g = svgNode('g', { 'data-row': label(r), 'data-flag': r.flag ?? '' });
    g.append(svgNode('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, label(r)));
    g.append(svgNode('line', { x1: x(r.low), x2: x(r.high), y1: y, y2: y, stroke: GREY, 'stroke-width': 6, 'stroke-linecap': 'round' }));
    g.append(svgNode('line', { x1: x(Number(r.expected)), x2: x(Number(r.expected)), y1: y - 7, y2: y + 7, stroke: BLUE, 'stroke-width': 2 }));
    g.append(svgNode('circle', { cx: x(r.drawn), cy: y, r: 5, fill: r.flag ? RED : GREEN }));
    svg.append(g);
  });
  const axisY = height - 12;
  svg.append(svgNode('line', { x1: left, x2: width - 20, y1: axisY - 8, y2: axisY - 8, stroke: '#555' }));
  for (let i = 0; i <= 4; i++) {
    const v = Math.round((max * i) / 4);
    svg.append(svgNode('text', { x: x(v), y: axisY + 4, 'text-anchor': 'middle' }, v));
  }
  return svg;
}

function legend(text) {
  return node('p', { class: 'meta legend' }, text);
}

/** Grouped bars: per category, several values with their colours. */
function barPlot(name, categories, series, { height = 260 } = {}) {
  // Room on the right for the last rotated label.
  const width = Math.max(360, 80 + categories.length * (series.length * 16 + 18)) + 140;
  const bottom = height - 90;
  const max = Math.max(1, ...categories.flatMap((c) => series.map((s) => Number(s.value(c)) || 0)));
  const svg = svgNode('svg', { 'data-plot': name, width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  categories.forEach((c, i) => {
    const x0 = 50 + i * (series.length * 16 + 18);
    series.forEach((s, j) => {
      const v = Number(s.value(c)) || 0;
      const h = (v / max) * (bottom - 14);
      const bar = svgNode('rect', { x: x0 + j * 16, y: bottom - h, width: 14, height: Math.max(h, 0.5), fill: s.color(c), 'data-series': s.key, 'data-value': s.value(c) });
      bar.append(svgNode('title', {}, `${s.label}: ${s.value(c)}`));
      svg.append(bar);
    });
    const label = svgNode('text', { x: x0 + 4, y: bottom + 12, transform: `rotate(30 ${x0 + 4} ${bottom + 12})` }, c.label ?? c);
    svg.append(label);
  });
  svg.append(svgNode('line', { x1: 44, x2: width - 4, y1: bottom, y2: bottom, stroke: '#555' }));
  svg.append(svgNode('text', { x: 4, y: 14 }, Math.round(max)));
  return svg;
}

function heatmap(name, rowLabels, columnLabels, value) {
  const cell = 18;
  const left = 90;
  const top = 70;
  const width = left + columnLabels.length * cell + 10;
  const height = top + rowLabels.length * cell + 10;
  let max = 1;
  rowLabels.forEach((_, i) => columnLabels.forEach((__, j) => { max = Math.max(max, value(i, j)); }));
  const svg = svgNode('svg', { 'data-plot': name, width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  columnLabels.forEach((c, j) => {
    const x = left + j * cell + cell / 2;
    svg.append(svgNode('text', { x, y: top - 6, transform: `rotate(-60 ${x} ${top - 6})` }, c));
  });
  rowLabels.forEach((r, i) => {
    svg.append(svgNode('text', { x: left - 4, y: top + i * cell + 13, 'text-anchor': 'end' }, r));
    columnLabels.forEach((_, j) => {
      const v = value(i, j);
      const rect = svgNode('rect', {
        x: left + j * cell, y: top + i * cell, width: cell - 1, height: cell - 1,
        fill: v ? `rgba(21,101,192,${0.15 + 0.85 * (v / max)})` : '#f2f2f2', 'data-value': v,
      });
      rect.append(svgNode('title', {}, `${r} · ${columnLabels[j]}: ${v}`));
      svg.append(rect);
      if (v) svg.append(svgNode('text', { x: left + j * cell + 5, y: top + i * cell + 13, fill: v / max > 0.5 ? '#fff' : '#000' }, v));
    });
  });
  return svg;
}

/**
 * Draw every figure of `data` (the stats JSON) into `root`. `lookup` (optional) is a
 * unitId -> rows function for the unit lookup form (the portal page has the entries).
 * `lang`: "zh", "en" or "both" (labels only: every figure and data attribute is the same).
 */
export function renderStats(data, root, lookup = null, lang = 'both') {
  if (!['zh', 'en', 'both'].includes(lang)) throw new Error(`renderStats: language ${JSON.stringify(lang)} is not zh, en or both`);
  LANG = lang;
  root.textContent = '';
  root.lang = lang === 'en' ? 'en' : 'zh-CN';
  const draws = data.draws;
  const drawIds = draws.map((d) => d.draw_id);
  const summary = section(root, 'draws', S('抽取', 'Draws'),
    S(`${draws.length} 次已抽取的抽取；显著性水平 α = ${data.alpha}（每张表整体，Bonferroni 分到各行，双侧）`,
      `${draws.length} drawn draws; family-wise α = ${data.alpha} per table (Bonferroni over its rows, two-sided).`));
  summary.append(table([L('抽取', 'draw'), L('月份', 'month'), L('抽取池', 'pool'), L('抽中', 'selected'), L('名单', 'records')],
    draws.map((d) => [d.draw_id, d.month, d.pool, d.selected, d.records ? '✓' : L('未公布', 'pending')])));

  const strata = section(root, 'strata', S('分层：抽中数与比例', 'Strata: drawn vs the declared ratio'),
    S('每层按配额（比例向上取整，或最少数）不放回抽取，所以抽中数必须正好等于配额；“比例预期”只按比例计算（不取整、不计最少数）。',
      'Each stratum draws its quota without replacement, so the drawn count must equal the quota exactly; "ratio only" is n·p/q before rounding up and minimums.'));
  strata.append(barPlot('strata', data.strata.map((s) => ({ label: s.stratum, row: s })), [
    { key: 'drawn', label: L('抽中', 'drawn'), value: (c) => c.row.drawn, color: (c) => (c.row.flag ? RED : GREEN) },
    { key: 'quota', label: L('配额', 'quota'), value: (c) => c.row.quota, color: () => BLUE },
    { key: 'expected', label: L('比例预期', 'ratio only'), value: (c) => c.row.expected, color: () => GREY },
  ]));
  strata.append(legend(S('绿/红 = 抽中，蓝 = 配额，灰 = 仅按比例', 'green/red = drawn, blue = quota, grey = ratio only')));
  strata.append(table([L('分层', 'stratum'), L('抽取次数', 'draws'), L('抽取池合计', 'pool'), L('配额', 'quota'), L('抽中', 'drawn'), L('比例预期', 'ratio only'), L('标记', 'flag')],
    data.strata.map((s) => [s.stratum, s.draws, s.pool, s.quota, s.drawn, s.expected, flagText(s.flag)]),
    (i) => ({ 'data-flag': data.strata[i].flag ?? '', class: data.strata[i].flag ? 'flag' : null })));

  const brig = section(root, 'brigades', S('大队：抽中数与预期', 'Brigades: drawn vs expected'),
    S('预期 = 各次抽取各层 k·K/n 之和（K 为该大队在该层的单位数）；灰条为精确超几何分布卷积的区间。',
      'Expected = Σ k·K/n over draws and strata (K: the brigade\'s units in the stratum); the grey bar is the exact interval of the convolved hypergeometric counts.'));
  brig.append(intervalPlot('brigades', data.brigades, (r) => r.brigade));
  brig.append(legend(S('灰条 = 区间，蓝线 = 预期，圆点 = 抽中（红 = 超出区间）', 'grey = interval, blue = expected, dot = drawn (red = outside)')));
  brig.append(table([L('大队', 'brigade'), L('抽中', 'drawn'), L('预期', 'expected'), L('下限', 'low'), L('上限', 'high'), L('标记', 'flag')],
    data.brigades.map((r) => [r.brigade, r.drawn, r.expected, r.low, r.high, flagText(r.flag)]),
    (i) => ({ 'data-flag': data.brigades[i].flag ?? '', class: data.brigades[i].flag ? 'flag' : null })));
  const flaggedCells = data.cells.filter((c) => c.flag);
  const details = node('details');
  details.append(node('summary', {}, S(`大队 × 分层（${data.cells.length} 格，${flaggedCells.length} 格超出区间）`,
    `brigade × stratum (${data.cells.length} cells, ${flaggedCells.length} outside)`)));
  details.append(table([L('大队', 'brigade'), L('分层', 'stratum'), L('抽中', 'drawn'), L('预期', 'expected'), L('下限', 'low'), L('上限', 'high'), L('标记', 'flag')],
    data.cells.map((r) => [r.brigade, r.stratum, r.drawn, r.expected, r.low, r.high, flagText(r.flag)]),
    (i) => ({ 'data-flag': data.cells[i].flag ?? '', class: data.cells[i].flag ? 'flag' : null })));
  brig.append(details);

  const units = section(root, 'units', S('单位：被抽中次数', 'Units: times drawn'),
    S(`${data.units.pooled} 个单位进入过抽取池。柱 = 实际单位数，蓝点 = 按各次抽取 k/n 的预期单位数（泊松二项分布）。`,
      `${data.units.pooled} units were in a pool. Bars: units drawn that many times; blue: expected (Poisson-binomial over each draw's k/n).`));
  units.append(barPlot('units', data.units.histogram.map((h) => ({ label: `${h.times}×`, row: h })), [
    { key: 'units', label: L('实际', 'observed'), value: (c) => c.row.units, color: () => GREEN },
    { key: 'expected', label: L('预期', 'expected'), value: (c) => c.row.expected, color: () => BLUE },
  ]));
  units.append(table([L('次数', 'times'), L('实际单位数', 'units'), L('预期', 'expected')], data.units.histogram.map((h) => [h.times, h.units, h.expected])));
  units.append(node('h3', {}, `${S('超出区间的单位', 'Units outside their interval')}: ${data.units.flagged.length}`));
  const unitHead = [L('单位', 'unit'), L('抽取次数', 'draws'), L('抽中', 'drawn'), L('预期', 'expected'), L('下限', 'low'), L('上限', 'high'), L('标记', 'flag')];
  const unitRow = (r) => [r.unit_id, r.draws, r.drawn, r.expected, r.low, r.high, flagText(r.flag)];
  if (data.units.flagged.length) {
    units.append(table(unitHead, data.units.flagged.map(unitRow), (i) => ({ 'data-flag': data.units.flagged[i].flag, class: 'flag' })));
  }
  units.append(node('h3', {}, S('抽中次数最多的单位', 'Most drawn units')));
  units.append(table(unitHead, data.units.most_drawn.map(unitRow)));
  if (lookup) {
    units.append(node('h3', {}, S('查询一个单位的全部历史', 'A unit\'s whole history')));
    const form = node('form', { id: 'unit-lookup' });
    const input = node('input', { id: 'unit-lookup-input', class: 'mono', placeholder: L('单位编号', 'unit id'), autocomplete: 'off' });
    form.append(input, node('button', { type: 'submit' }, L('查询', 'look up')));
    const out = node('div', { id: 'unit-lookup-result' });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      out.textContent = '';
      const rows = lookup(input.value.trim());
      out.append(table([L('抽取', 'draw'), L('月份', 'from'), L('在名单中', 'in snapshot'), L('分层', 'stratum'), L('抽签值', 'ticket'), L('截止值', 'cut-off'), L('名次', 'rank')],
        rows.map((r) => [r.draw_id, r.from, r.in_snapshot === null ? L('未公布', 'not published') : r.in_snapshot ? '✓' : '✗', r.stratum,
          r.ticket ? `${r.ticket.slice(0, 16)}…` : null, r.cutoff ? `${r.cutoff.slice(0, 16)}…` : null, r.rank === null ? null : `#${r.rank}`]),
        (i) => ({ 'data-draw': rows[i].draw_id, 'data-selected': rows[i].rank === null ? '0' : '1' })));
      out.append(legend(S('抽签值不大于截止值（该层最后一个抽中单位的抽签值）即被抽中。', 'A unit is selected when its ticket is at most the cut-off (the last selected ticket of its stratum).')));
    });
    units.append(form, out);
  }

  const people = section(root, 'officers', S('执法人员：任务、角色与大队', 'Officers: duties, roles and brigades'),
    S(`每格 = 该人员在该次抽取中的任务数（主办 + 协办）；${data.pairs} 个人员-单位组合，其中 ${data.repeated_pairs.length} 个出现不止一次。`,
      `Each cell: the officer's duties (lead + assist) in that draw; ${data.pairs} officer-unit pairs, ${data.repeated_pairs.length} met more than once.`));
  const officers = data.officers.filter((o) => o.duties > 0);
  people.append(heatmap('officers', officers.map((o) => `${o.person_id} ${o.brigade ?? ''}`), drawIds, (i, j) => officers[i].per_draw[j]));
  const partnerText = (o) => {
    const list = Object.entries(o.partners);
    if (!list.length) return '';
    const most = Math.max(...list.map(([, n]) => n));
    return `${list.length}; ${list.filter(([, n]) => n === most).map(([p]) => p).join(', ')} ×${most}`;
  };
  people.append(table([L('人员', 'officer'), L('大队', 'brigade'), L('任务', 'duties'), L('主办', 'lead'), L('协办', 'assist'), L('专家', 'expert'), L('所查单位的大队', 'units\' brigades'), L('搭档数；最常搭档', 'partners; most often')],
    data.officers.map((o) => [o.person_id, o.brigade, o.duties, o.roles.lead, o.roles.assist, o.roles.expert,
      Object.entries(o.unit_brigades).map(([b, n]) => `${b} ${n}`).join(', '), partnerText(o)])));
  people.append(node('h3', {}, S('每次抽取与每月的任务分布（按协作区）', 'Duty spread per draw and per month, by zone')));
  people.append(table([L('范围', 'scope'), L('协作区', 'zone'), L('人数', 'officers'), L('任务', 'duties'), L('最少', 'low'), L('最多', 'high'), L('均衡', 'even'), L('超出', 'excess')],
    data.spread.map((s) => [s.scope, s.group, s.officers, s.duties, s.low, s.high, `${s.best_low}-${s.best_high}`, s.excess]),
    (i) => ({ 'data-excess': data.spread[i].excess, class: data.spread[i].excess ? 'flag' : null })));
  if (data.repeated_pairs.length) {
    people.append(node('h3', {}, S('同一人员多次检查同一单位', 'Same officer, same unit more than once')));
    people.append(table([L('人员', 'officer'), L('单位', 'unit'), L('次数', 'times')], data.repeated_pairs.slice(0, 50).map((p) => [p.person_id, p.unit_id, p.times])));
  }

  const reg = section(root, 'registry', S('名录库随时间的变化', 'The registry over time'),
    S('每个快照相对上一个的新增、移出、变更；红色 = 抽取前不久离开抽取池、抽取后又回来的单位（registry-gap 规则）。',
      'Added, removed, changed per snapshot; red: units that left the pool shortly before a draw and came back after it (the registry-gap rule).'));
  const snaps = data.registry.snapshots.filter((s) => s.kind === 'units');
  reg.append(barPlot('registry', snaps.map((s) => ({ label: s.snapshot, row: s })), [
    { key: 'added', label: L('新增', 'added'), value: (c) => (c.row.prev === null ? 0 : c.row.added), color: () => GREEN },
    { key: 'removed', label: L('移出', 'removed'), value: (c) => c.row.removed, color: () => RED },
    { key: 'changed', label: L('变更', 'changed'), value: (c) => c.row.changed, color: () => BLUE },
    { key: 'retired', label: L('停用', 'retired'), value: (c) => c.row.retired ?? 0, color: () => '#ef6c00' },
  ]));
  reg.append(legend(S('绿 = 新增（首个快照不计），红 = 移出，蓝 = 变更，橙 = 停用', 'green added (not the first snapshot), red removed, blue changed, orange retired')));
  reg.append(table([L('快照', 'snapshot'), L('类别', 'kind'), L('条目', 'entry'), L('数量', 'count'), L('新增', 'added'), L('移出', 'removed'), L('变更', 'changed'), L('停用', 'retired'), L('恢复', 'reactivated')],
    data.registry.snapshots.map((s) => [s.snapshot, s.kind, s.index, s.count, s.added, s.removed, s.changed, s.retired, s.reactivated])));
  reg.append(node('h3', {}, `${S('抽取前离开、抽取后回来的单位', 'Out just for a draw')}: ${data.registry.gaps.length}`));
  if (data.registry.gaps.length) {
    reg.append(table([L('抽取', 'draw'), L('单位', 'unit'), L('离开', 'left'), L('回来', 'back')],
      data.registry.gaps.map((g) => [g.draw_id, g.unit_id, `${g.left_in} (${g.left_how})`, `${g.back_in} (${g.back_how})`]),
      () => ({ class: 'gap', 'data-gap': '1' })));
  }
  for (const p of data.registry.gaps_pending) reg.append(node('p', { class: 'meta', 'data-gap-pending': p.draw_id }, `${p.draw_id}: ${p.reason}`));
}
