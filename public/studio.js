// Stagecraft preview studio: pick a template, a profile, a stage, a time and a zone; edit the template or the
// profile; see the output (desktop and phone), every diagnostic at its line, the output at every stage, and why the
// decision went as it did. Everything comes from the server's /v1/preview and /v1/content endpoints.
'use strict';

const $ = (selector) => document.querySelector(selector);
const KEY = 'stagecraft.studio.key';
const WIDTHS = { web: { desktop: 1024, phone: 375 }, email: { desktop: 700, phone: 375 } };

const state = {
  key: sessionStorage.getItem(KEY) || '',
  content: null,
  template: null, // an entry of content.templates
  original: '', // the template's text as the server has it
  profileText: '', // the sample profile's JSON as loaded
  last: null, // the last preview answer
  rendering: null, // AbortController of the request in flight
  tab: 'output',
};

// MARK: Server calls

class Refused extends Error {}

async function api(method, path, body, signal) {
  const headers = { Accept: 'application/json' };
  if (state.key) headers.Authorization = 'Bearer ' + state.key;
  if (body) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body && JSON.stringify(body), signal });
  const text = await response.text();
  const type = response.headers.get('Content-Type') || '';
  const answer = type.includes('json') && text ? JSON.parse(text) : text;
  if (response.status === 401 || (response.status === 403 && answer && answer.code === 'secret_key_required')) {
    askForKey(answer && answer.detail);
    throw new Refused(answer && answer.detail);
  }
  if (!response.ok) throw new Error((answer && answer.detail) || response.status + ' ' + response.statusText);
  return answer;
}

function askForKey(reason) {
  const dialog = $('#key-dialog');
  $('#key-error').textContent = state.key && reason ? 'That key did not work: ' + reason : '';
  if (!dialog.open) dialog.showModal();
  $('#key-input').focus();
}

$('#key-form').addEventListener('submit', () => {
  state.key = $('#key-input').value.trim();
  sessionStorage.setItem(KEY, state.key);
  $('#key-input').value = '';
  start();
});

$('#forget-key').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  state.key = '';
  location.reload();
});

function status(text, kind) {
  const el = $('#status');
  el.textContent = text;
  el.className = kind || '';
}

// MARK: Elements

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** A sandboxed frame (no scripts, no same origin) showing `html` at a device width, scaled to fit its column. */
function frame(html, width, height, label, page, language) {
  // A block is shown in its language and direction, as the embed script shows it (an email says its own).
  const lang = language && language.locale ? ' lang="' + language.locale + '" dir="' + (language.dir || 'ltr') + '"' : '';
  const doc = page ? html
    : '<!doctype html><html' + lang + '><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
      + '<link rel="stylesheet" href="' + location.origin + '/demo.css"><style>body{margin:16px}</style></head><body>'
      + html + '</body></html>';
  const iframe = el('iframe', { sandbox: '', title: label, srcdoc: doc, width, height, referrerpolicy: 'no-referrer' });
  const box = el('div', { class: 'device', 'data-width': width }, iframe);
  box.style.setProperty('--w', width + 'px');
  box.style.setProperty('--h', height + 'px');
  requestAnimationFrame(() => fit(box));
  return el('figure', { class: 'shot' }, el('figcaption', { text: label + ' · ' + width + ' px' }), box);
}

function fit(box) {
  const width = Number(box.dataset.width);
  const room = box.parentElement ? box.parentElement.clientWidth : width;
  const scale = Math.min(1, room / width);
  box.style.setProperty('--scale', scale);
}
addEventListener('resize', () => document.querySelectorAll('.device').forEach(fit));

// MARK: Times and zones

/** The instant at which the wall time `local` (YYYY-MM-DDTHH:MM) reads in `zone`. */
function instant(local, zone) {
  const [date, time] = local.split('T');
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let guess = wall;
  for (let i = 0; i < 2; i++) guess = wall - (zoneWall(guess, zone) - guess);
  return new Date(guess).toISOString();
}

/** The wall time in `zone` at instant `t`, as if it were UTC (milliseconds). */
function zoneWall(t, zone) {
  const parts = {};
  for (const p of new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(t))) parts[p.type] = Number(p.value);
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
}

function profileZone() {
  try { return JSON.parse($('#profile-json').value).time_zone || 'UTC'; } catch (_) { return 'UTC'; }
}

function setNow() {
  const zone = $('#zone').value || profileZone();
  const wall = new Date(zoneWall(Date.now(), zone));
  $('#time').value = wall.toISOString().slice(0, 16);
}

// MARK: Loading

/** Stages in lifecycle order (the content lists them in the order its rules are tried). */
function inLifecycleOrder(stages) {
  const order = ['activation', 'retention', 'revenue', 'reengagement', 're-engagement', 'loyalty'];
  const rank = (s) => (order.includes(s) ? order.indexOf(s) : order.length);
  return stages.slice().sort((a, b) => rank(a) - rank(b));
}

async function start() {
  try {
    state.content = await api('GET', '/v1/content');
  } catch (error) {
    if (!(error instanceof Refused)) status('Could not load the content: ' + error.message, 'bad');
    return;
  }
  if ($('#key-dialog').open) $('#key-dialog').close();
  $('#forget-key').hidden = !state.key;
  const c = state.content;
  c.stages = inLifecycleOrder(c.stages);
  status(c.templates.length + ' templates, content generation ' + c.generation, 'good');

  const pick = $('#template');
  pick.replaceChildren();
  const channels = [...new Set(c.templates.map((t) => t.channel))];
  for (const channel of channels) {
    pick.append(el('optgroup', { label: channel },
      c.templates.filter((t) => t.channel === channel).map((t) =>
        el('option', { value: t.name, text: t.name + (t.default ? ' (default)' : t.placement ? ' · ' + t.placement : '') }))));
  }
  const profiles = $('#profile');
  profiles.replaceChildren(el('option', { value: '', text: 'nobody in particular' }),
    ...c.profiles.map((p) => el('option', { value: p, text: p })));
  const stages = $('#stage');
  stages.replaceChildren(stages.options[0], ...c.stages.map((s) => el('option', { value: s, text: s })));
  const locales = $('#locale');
  locales.replaceChildren(locales.options[0], ...(c.locales || []).map((l) => el('option', { value: l, text: l })));
  const zones = $('#zone');
  if (zones.options.length < 2) {
    const list = Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : ['UTC'];
    zones.append(...list.map((z) => el('option', { value: z, text: z })));
  }

  const wanted = new URLSearchParams(location.hash.slice(1));
  pick.value = wanted.get('template') || c.templates[0].name;
  profiles.value = wanted.get('profile') ?? (c.profiles[0] || '');
  stages.value = wanted.get('stage') || '';
  locales.value = wanted.get('locale') || '';
  zones.value = wanted.get('zone') || '';
  await Promise.all([loadTemplate(), loadProfile()]);
  if (wanted.get('at')) $('#time').value = wanted.get('at');
  else setNow();
  render();
  // A tab named in the link opens with it (#…&tab=results).
  const tab = wanted.get('tab') && document.getElementById('tab-' + wanted.get('tab'));
  if (tab) tab.click();
}

/** A content file's text, by its path in the content folder. */
function contentFile(path) {
  return api('GET', '/v1/content/files/' + path.split('/').map(encodeURIComponent).join('/'));
}

async function loadTemplate() {
  const name = $('#template').value;
  state.template = state.content.templates.find((t) => t.name === name);
  $('#source-name').textContent = state.template.file;
  state.original = await contentFile(state.template.file);
  $('#source').value = state.original;
  $('#peek').hidden = true;
  sourceChanged(false);
}

async function loadProfile() {
  const name = $('#profile').value;
  state.profileText = name ? await contentFile('profiles/' + name + '.json') : '';
  $('#profile-json').value = state.profileText;
  $('#profile-error').textContent = '';
}

function remember() {
  const q = new URLSearchParams();
  q.set('template', $('#template').value);
  q.set('profile', $('#profile').value);
  for (const name of ['stage', 'locale', 'zone']) if ($('#' + name).value) q.set(name, $('#' + name).value);
  if ($('#time').value) q.set('at', $('#time').value);
  history.replaceState(null, '', '#' + q);
}

// MARK: Editing

function sourceChanged(rerender = true) {
  const text = $('#source').value;
  const lines = text.split('\n').length;
  $('#gutter').textContent = Array.from({ length: lines }, (_, i) => i + 1).join('\n');
  const edited = text !== state.original;
  $('#edited').hidden = !edited;
  $('#revert').hidden = !edited;
  if (rerender) later();
}

$('#source').addEventListener('input', () => sourceChanged());
$('#source').addEventListener('scroll', () => { $('#gutter').scrollTop = $('#source').scrollTop; });
$('#source').addEventListener('keydown', (event) => {
  if (event.key === 'Tab' && !event.shiftKey && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    document.execCommand('insertText', false, '  ');
  }
});
$('#revert').addEventListener('click', () => { $('#source').value = state.original; sourceChanged(); });
$('#profile-json').addEventListener('input', later);

$('#controls').addEventListener('submit', (event) => event.preventDefault());
$('#template').addEventListener('change', async () => {
  await loadTemplate();
  render();
  if (state.tab === 'results') results();
});
$('#profile').addEventListener('change', async () => { await loadProfile(); render(); });
for (const id of ['stage', 'locale', 'time', 'zone']) $('#' + id).addEventListener('change', () => render());
$('#now').addEventListener('click', () => { setNow(); render(); });

let timer = null;
function later() {
  clearTimeout(timer);
  timer = setTimeout(render, 250);
}

// MARK: Rendering

/** The preview request for the current controls, or null with the reason shown when the profile JSON is broken. */
function request(stage, locale) {
  const body = { template: state.template.name };
  if (locale) body.locale = locale;
  else if ($('#locale').value) body.locale = $('#locale').value;
  const source = $('#source').value;
  if (source !== state.original) body.source = source;
  const json = $('#profile-json').value;
  if (json.trim() && json !== state.profileText) {
    try {
      body.profile = JSON.parse(json);
      $('#profile-error').textContent = '';
    } catch (error) {
      $('#profile-error').textContent = 'The profile is not valid JSON: ' + error.message;
      return null;
    }
  } else if ($('#profile').value) {
    body.profile_id = $('#profile').value;
  }
  if (stage) body.stage = stage;
  else if ($('#stage').value) body.stage = $('#stage').value;
  const zone = $('#zone').value;
  if (zone) body.time_zone = zone;
  if ($('#time').value) body.at = instant($('#time').value, zone || profileZone());
  return body;
}

async function render() {
  if (!state.template) return;
  remember();
  const body = request();
  if (!body) return;
  if (state.rendering) state.rendering.abort();
  const abort = (state.rendering = new AbortController());
  status('Rendering…');
  let answer;
  try {
    answer = await api('POST', '/v1/preview', body, abort.signal);
  } catch (error) {
    if (error.name === 'AbortError' || error instanceof Refused) return;
    status(error.message, 'bad');
    showDiagnostics([{ source: 'request', severity: 'error', line: 0, column: 0, message: error.message }]);
    return;
  }
  if (abort !== state.rendering) return;
  state.rendering = null;
  state.last = answer;
  const errors = answer.diagnostics.filter((d) => d.severity === 'error').length;
  const count = errors ? ', ' + errors + ' error' + (errors > 1 ? 's' : '') : '';
  if (!answer.stage) status(answer.template + ' does not load' + count + ': see the diagnostics', 'bad');
  else status((answer.ok ? 'Rendered ' : 'Not sendable: ') + answer.template + ' for stage ' + answer.stage + ' at ' + answer.at
    + ' (' + answer.time_zone + ')' + count, answer.ok ? 'good' : 'bad');
  document.body.dataset.rendered = String((Number(document.body.dataset.rendered) || 0) + 1);
  showDiagnostics(answer.diagnostics);
  showOutput(answer);
  if (answer.decision) showDecision(answer);
  else $('#decision').replaceChildren(el('p', { class: 'empty', text: 'No decision: the template does not load.' }));
  if (state.tab === 'matrix') matrix();
}

function showOutput(answer) {
  const out = $('#output');
  out.replaceChildren();
  const o = answer.output;
  if (!o) {
    out.append(el('p', { class: 'empty', text: 'Nothing to show: the template did not render. The diagnostics say why.' }));
    return;
  }
  if (answer.channel === 'email') {
    const w = WIDTHS.email;
    out.append(
      el('dl', { class: 'email-head' },
        el('dt', { text: 'Subject' }), el('dd', { class: 'subject', text: o.subject }),
        el('dt', { text: 'Preheader' }), el('dd', { class: 'preheader', text: o.preheader || '(none)' }),
        ...Object.entries(o.headers || {}).flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })])),
      el('div', { class: 'email-views' },
        frame(o.html, w.desktop, 640, 'HTML, desktop', true),
        frame(o.html, w.phone, 640, 'HTML, phone', true),
        el('figure', { class: 'shot text-view' }, el('figcaption', { text: 'Plain text' }), el('pre', { class: 'plain', text: o.text }))));
  } else if (o.fields) {
    // A message of text fields (a push notification), shown as a phone would: title, body, then its links.
    const { title, body, ...rest } = o.fields;
    out.append(el('div', { class: 'notification' },
      el('strong', { class: 'title', text: title || '' }), el('p', { class: 'body', text: body || '' }),
      el('dl', {}, ...Object.entries(rest).flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]))));
  } else if (o.steps) {
    out.append(el('ol', { class: 'steps' }, o.steps.map((s) =>
      el('li', {}, el('p', { class: 'hint', text: 'Next to ' + s.target + ' (' + s.position + ')' }), frame(s.html, 375, 220, 'Step', false, answer)))));
  } else {
    const w = WIDTHS.web;
    out.append(el('div', { class: 'web-views' },
      frame(o.html, w.desktop, 380, 'Desktop', false, answer), frame(o.html, w.phone, 520, 'Phone', false, answer)));
  }
}

// MARK: Diagnostics

function showDiagnostics(list) {
  const ul = $('#diagnostics');
  ul.replaceChildren();
  $('#diagnostic-count').textContent = list.length ? String(list.length) : 'none';
  if (!list.length) ul.append(el('li', { class: 'clean', text: 'No errors, no warnings.' }));
  for (const d of list) {
    // Every diagnostic has the same form: a file (or `output`), line and column; one found in the output and placed
    // at its template line says where in the output too.
    let where = d.line ? d.file + ':' + d.line + ':' + d.column : d.file || d.source;
    if (d.output_line) where += ' (output ' + d.output_line + ':' + d.output_column + ')';
    ul.append(el('li', { class: d.severity },
      el('button', {
        type: 'button', class: 'diagnostic', 'data-line': d.line, 'data-file': d.file,
        onclick: () => reveal(d),
      }, el('span', { class: 'severity', text: d.severity }), el('code', { text: where }),
      el('span', { class: 'message', text: d.message + (d.code ? ' [' + d.code + ']' : '') }))));
  }
}

/** Shows the line a diagnostic names: selected in the editor for the template itself, and quoted with a caret. */
async function reveal(d) {
  if (!d.line) return;
  let text;
  if (d.file === state.template.file) {
    text = $('#source').value;
    selectLine(d.line);
  } else if (d.file === 'output') {
    const o = state.last && state.last.output;
    text = (o && o.html) || '';
  } else {
    try { text = await contentFile(d.file); } catch (_) { text = ''; }
  }
  const lines = text.split('\n');
  const line = lines[d.line - 1];
  const peek = $('#peek');
  peek.hidden = false;
  peek.dataset.line = d.line;
  peek.replaceChildren(
    el('p', { class: 'where', text: (d.file === 'output' ? 'the output' : d.file) + ', line ' + d.line + ', column ' + d.column }),
    line === undefined ? el('p', { text: '(the file has no such line)' })
      : el('pre', {}, el('span', { class: 'num', text: d.line + ' ' }), el('span', { class: 'line', text: line }),
        '\n', el('span', { class: 'caret', text: ' '.repeat(String(d.line).length + 1 + Math.max(0, d.column - 1)) + '^' })),
    el('p', { class: 'message ' + d.severity, text: d.message }));
}

function selectLine(n) {
  const area = $('#source');
  const lines = area.value.split('\n');
  let start = 0;
  for (let i = 0; i < n - 1 && i < lines.length; i++) start += lines[i].length + 1;
  const end = start + (lines[n - 1] || '').length;
  area.focus({ preventScroll: true });
  area.setSelectionRange(start, end);
  const height = parseFloat(getComputedStyle(area).lineHeight) || 18;
  area.scrollTop = Math.max(0, (n - 1) * height - area.clientHeight / 3);
  $('#gutter').scrollTop = area.scrollTop;
}

// MARK: Decision

function showDecision(answer) {
  const d = answer.decision;
  const panel = $('#decision');
  const mine = answer.campaign;
  panel.replaceChildren(
    el('p', {}, 'Decided for ', el('strong', { text: d.target }), ' with the user in stage ', el('strong', { text: answer.stage }),
      answer.stage_stated ? ' (as chosen above)' : ' (from the stage rules)', '. ',
      d.chosen ? el('span', {}, 'Shown: ', el('strong', { class: 'chosen-name', text: d.chosen }), '.')
        : d.default ? el('span', {}, 'No campaign is chosen; the placement shows its default, ', el('strong', { text: d.default }), '.') : 'Nothing is shown.',
      ' ', d.eligible ? mine + ' is eligible.' : mine + ' is not: ' + (d.reason || 'not a candidate') + '.'),
    el('p', { class: 'hint', text: 'Order: ' + d.tie_break + '.' }),
    el('table', { class: 'trace' },
      el('thead', {}, el('tr', {}, ['Campaign', 'Priority', 'Outcome', 'Why'].map((h) => el('th', { text: h })))),
      el('tbody', {}, d.trace.map((t) => el('tr', { class: [t.outcome, t.campaign === mine ? 'mine' : ''].join(' ') },
        el('td', {}, el('code', { text: t.campaign })), el('td', { text: String(t.priority) }),
        el('td', { text: t.campaign === d.chosen ? 'shown' : t.outcome === 'chosen' ? 'eligible' : t.reason }),
        el('td', { text: t.detail || (t.campaign === d.chosen ? 'wins' : 'eligible, stands in if the winner cannot be shown') }))))));
}

// MARK: Stage matrix

let matrixRun = 0;

async function matrix() {
  const run = ++matrixRun;
  const grid = $('#matrix-grid');
  const winner = $('#matrix-winner').checked;
  // Across the stages (at the chosen locale), or across the content's locales (at the chosen stage).
  const byLocale = $('#matrix-by').value === 'locale';
  const columns = byLocale ? (state.content.locales || []) : state.content.stages;
  grid.replaceChildren(...columns.map((s) => el('section', { class: 'cell', 'data-stage': s }, el('h3', { text: s }), el('p', { class: 'hint', text: 'Rendering…' }))));
  await Promise.all(columns.map(async (stage) => {
    const cell = grid.querySelector('[data-stage="' + stage + '"]');
    const body = byLocale ? request(undefined, stage) : request(stage);
    if (!body) return;
    try {
      let answer = await api('POST', '/v1/preview', body);
      let note = answer.decision.eligible ? 'eligible' : 'not eligible: ' + answer.decision.reason;
      const shown = answer.decision.chosen || answer.decision.default;
      if (winner && shown !== answer.campaign) {
        const chosen = state.content.templates.find((t) => t.campaign === shown);
        if (chosen) {
          answer = await api('POST', '/v1/preview', Object.assign({}, body, { template: chosen.name, source: undefined }));
          note = 'the placement shows ' + chosen.name + (answer.decision.chosen ? '' : ', its default');
        } else {
          note = 'the placement shows nothing';
          answer = Object.assign({}, answer, { output: null });
        }
      }
      if (run !== matrixRun) return;
      const o = answer.output;
      const errors = answer.diagnostics.filter((x) => x.severity === 'error').length;
      cell.replaceChildren(el('h3', { text: stage }),
        el('p', { class: 'hint ' + (answer.ok ? '' : 'bad'), text: note + (errors ? ' · ' + errors + ' error(s)' : '') }),
        !o ? el('p', { class: 'empty', text: 'nothing rendered' })
          : answer.channel === 'email' ? frame(o.html, 600, 520, answer.template + ' (' + o.subject + ')', true)
            : o.steps ? el('p', { text: o.steps.length + ' steps' })
              : o.fields ? el('div', { class: 'notification' }, el('strong', { class: 'title', text: o.fields.title || '' }),
                el('p', { class: 'body', text: o.fields.body || '' }))
              : frame(o.html, 600, 300, answer.template, false, answer));
    } catch (error) {
      if (run === matrixRun) cell.replaceChildren(el('h3', { text: stage }), el('p', { class: 'error', text: error.message }));
    }
  }));
}

$('#matrix-winner').addEventListener('change', matrix);
$('#matrix-by').addEventListener('change', matrix);

// MARK: Results

let resultsRun = 0;
const SVG = 'http://www.w3.org/2000/svg';
const ARM_COLORS = ['#6b7280', '#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed'];

/** An SVG element, as `el` makes HTML ones. */
function svg(tag, attributes, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null) continue;
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) if (child) node.append(child);
  return node;
}

/** A share as a percentage with one decimal (`+` for a positive change when `signed`). */
function pct(x, signed) {
  return (signed && x >= 0 ? '+' : '') + (x * 100).toFixed(1) + '%';
}

/** A campaign's experiment results (GET /v1/campaigns/{id}/results): the arms, each goal's table and uplift
 * intervals against the control, the primary goal's cumulative rate day by day, and the split check's warning. */
async function results() {
  const run = ++resultsRun;
  const box = $('#results-body');
  const campaign = state.template && state.template.campaign;
  if (!campaign) {
    box.replaceChildren(el('p', { class: 'empty', text: 'This template is not a campaign: it has no results.' }));
    return;
  }
  const q = new URLSearchParams();
  if ($('#results-from').value) q.set('from', $('#results-from').value);
  if ($('#results-to').value) q.set('to', $('#results-to').value);
  let r;
  try {
    r = await api('GET', '/v1/campaigns/' + encodeURIComponent(campaign) + '/results' + (q.size ? '?' + q : ''));
  } catch (error) {
    if (run === resultsRun && !(error instanceof Refused)) box.replaceChildren(el('p', { class: 'error', text: error.message }));
    return;
  }
  if (run !== resultsRun) return;
  const colors = Object.fromEntries(r.arms.map((a, i) => [a.arm, ARM_COLORS[i % ARM_COLORS.length]]));
  const parts = [
    el('p', { class: 'results-summary' }, el('strong', { text: r.campaign }), ' (' + r.channel + '): ',
      el('span', { class: 'exposed', text: String(r.exposed) }), ' users exposed; control: ', el('strong', { text: r.control || 'none' }), '.'),
  ];
  if (r.message) parts.push(el('p', { class: 'hint', text: r.message }));
  if (r.srm && r.srm.mismatch) {
    parts.push(el('p', { class: 'srm-warning', role: 'alert', text: r.srm.message }));
  } else if (r.srm) {
    parts.push(el('p', { class: 'hint srm-ok', text: 'The split is as configured (sample ratio check p = ' + r.srm.p_value.toFixed(4) + ').' }));
  }
  parts.push(el('table', { class: 'trace arms' },
    el('thead', {}, el('tr', {}, ['Arm', 'Weight', 'Exposed'].map((h) => el('th', { text: h })))),
    el('tbody', {}, r.arms.map((a) => el('tr', { 'data-arm': a.arm },
      el('td', {}, el('span', { class: 'swatch', style: 'background:' + colors[a.arm] }), a.arm),
      el('td', { text: pct(a.weight) }), el('td', { class: 'exposed', text: String(a.exposed) }))))));
  for (const goal of r.goals) {
    const conversion = goal.measure === 'conversion';
    parts.push(el('h3', { text: goal.name + (goal.primary ? ' (primary)' : '') }),
      el('p', { class: 'hint', text: goal.event + ', ' + goal.measure + ', within ' + Math.round(goal.within_seconds / 86400) + ' days of exposure' }));
    if (goal.window_message) parts.push(el('p', { class: 'hint window-open', text: goal.window_message }));
    parts.push(el('table', { class: 'trace goal', 'data-goal': goal.name },
      el('thead', {}, el('tr', {}, ['Arm', 'Users', conversion ? 'Converted' : 'Sum', conversion ? 'Rate' : 'Mean', 'Uplift',
        '95% interval', 'Chance to win', 'p-value'].map((h) => el('th', { text: h })))),
      el('tbody', {}, goal.arms.map((a) => {
        const v = conversion ? a.rate : a.mean;
        const c = a.vs_control;
        const cells = [el('td', { text: a.arm }), el('td', { class: 'users', text: String(a.users) }),
          el('td', { class: 'count', text: conversion ? String(a.converted) : a.sum.toFixed(2) }),
          el('td', { class: 'value', text: v === null ? '–' : conversion ? pct(v) : v.toFixed(2) })];
        if (!c) cells.push(el('td', { colspan: 4, class: 'hint', text: 'control' }));
        else if (c.problem) cells.push(el('td', { colspan: 4, class: 'hint problem', text: c.problem.message }));
        else {
          cells.push(el('td', { class: 'uplift', text: pct(c.uplift, true) }),
            el('td', { class: 'interval', text: '[' + pct(c.interval[0], true) + ', ' + pct(c.interval[1], true) + ']' }),
            el('td', { class: 'chance', text: pct(c.chance_to_win) }), el('td', { class: 'p', text: c.p_value.toFixed(4) }));
        }
        return el('tr', { 'data-arm': a.arm }, cells);
      }))));
    const chart = intervalChart(goal, colors);
    if (chart) parts.push(chart);
  }
  if (!r.goals.length) parts.push(el('p', { class: 'hint', text: 'No goals: add goals: to the front matter to measure what it changes.' }));
  if (r.daily.length) parts.push(el('h3', { text: 'Over time' }), cumulativeChart(r, colors));
  parts.push(await stageFlow(q));
  if (run !== resultsRun) return;
  box.replaceChildren(...parts);
}

/** How all users moved between lifecycle stages in the same days (GET /v1/stages/flow): users per stage by day,
 * and the moves, largest first, each with a bar to its scale. */
async function stageFlow(q) {
  const section = el('section', { class: 'stage-flow' }, el('h3', { text: 'Lifecycle stages, all users' }));
  let f;
  try {
    f = await api('GET', '/v1/stages/flow' + (q.size ? '?' + q : ''));
  } catch (error) {
    section.append(el('p', { class: 'error', text: error.message }));
    return section;
  }
  if (f.message) section.append(el('p', { class: 'hint', text: f.message }));
  if (!f.days.length) return section;
  f.stages = inLifecycleOrder(f.stages);
  const colors = Object.fromEntries(f.stages.map((s, i) => [s, ARM_COLORS[(i + 1) % ARM_COLORS.length]]));
  section.append(lineChart({
    kind: 'flow-chart', label: 'Users in each stage at the end of each day', dates: f.days.map((d) => d.date),
    format: (v) => String(Math.round(v)), floor: 1,
    series: f.stages.map((stage) => ({
      name: stage, color: colors[stage], data: { 'data-stage': stage },
      values: f.days.map((d) => d.users[stage] || 0), note: (i, v) => `${v} users`,
    })),
  }));
  const most = Math.max(1, ...f.transitions.map((t) => t.users));
  section.append(el('table', { class: 'trace moves' },
    el('thead', {}, el('tr', {}, ['From', 'To', 'Users', ''].map((h) => el('th', { text: h })))),
    el('tbody', {}, f.transitions.map((t) => el('tr', { 'data-from': t.from || '', 'data-to': t.to || '' },
      el('td', { class: 'from', text: t.from || '(first seen)' }), el('td', { class: 'to', text: t.to || '(removed)' }),
      el('td', { class: 'users', text: String(t.users) }),
      el('td', { class: 'bar-cell' }, el('span', { class: 'bar', style: `width:${(100 * t.users / most).toFixed(1)}%;background:${colors[t.to] || '#8a8f98'}` })))))));
  return section;
}

/** Each arm's relative uplift against the control with its 95% credible interval, on one axis through zero. */
function intervalChart(goal, colors) {
  const rows = goal.arms.filter((a) => a.vs_control && !a.vs_control.problem);
  if (!rows.length) return null;
  const width = 560, row = 34, left = 90, right = 20, top = 24;
  const height = top + rows.length * row + 8;
  let lo = Math.min(-0.05, ...rows.map((a) => a.vs_control.interval[0]));
  let hi = Math.max(0.05, ...rows.map((a) => a.vs_control.interval[1]));
  const pad = (hi - lo) * 0.05;
  lo -= pad; hi += pad;
  const x = (v) => left + ((v - lo) / (hi - lo)) * (width - left - right);
  const label = goal.name + ': uplift against the control with its 95% interval';
  return svg('svg', { class: 'chart interval-chart', 'data-goal': goal.name, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label },
    svg('title', { text: label }),
    svg('line', { x1: x(0), x2: x(0), y1: 12, y2: height - 4, class: 'zero' }),
    svg('text', { x: x(0), y: 10, 'text-anchor': 'middle', class: 'tick', text: '0%' }),
    svg('text', { x: left, y: 10, class: 'tick', text: pct(lo, true) }),
    svg('text', { x: width - right, y: 10, 'text-anchor': 'end', class: 'tick', text: pct(hi, true) }),
    rows.map((a, i) => {
      const c = a.vs_control;
      const y = top + i * row + row / 2;
      const tone = c.interval[0] > 0 ? 'up' : c.interval[1] < 0 ? 'down' : 'flat';
      return svg('g', { class: 'arm ' + tone, 'data-arm': a.arm, 'data-uplift': c.uplift },
        svg('text', { x: 0, y: y + 4, class: 'name', text: a.arm }),
        svg('line', { x1: x(c.interval[0]), x2: x(c.interval[1]), y1: y, y2: y, stroke: colors[a.arm], 'stroke-width': 6, 'stroke-linecap': 'round' }),
        svg('circle', { cx: x(c.uplift), cy: y, r: 6, fill: '#fff', stroke: colors[a.arm], 'stroke-width': 3 }),
        svg('title', { text: `${a.arm}: ${pct(c.uplift, true)} [${pct(c.interval[0], true)}, ${pct(c.interval[1], true)}], chance to win ${pct(c.chance_to_win)}` }));
    }));
}

/** Each arm's cumulative rate (or mean) of the primary goal by the day users were exposed. */
function cumulativeChart(r, colors) {
  const primary = r.goals.find((g) => g.primary) || r.goals[0];
  const rate = !primary || primary.measure === 'conversion';
  const format = (v) => (rate ? pct(v) : v.toFixed(2));
  return lineChart({
    kind: 'cumulative-chart', dates: r.daily.map((d) => d.date), format, floor: 0.0001,
    label: (primary ? primary.name : 'goal') + ': cumulative ' + (rate ? 'rate' : 'mean') + ' per arm by exposure day',
    series: r.arms.map((arm, k) => ({
      name: arm.arm, color: colors[arm.arm], data: { 'data-arm': arm.arm },
      values: r.daily.map((d) => d.arms[k].cumulative_value),
      note: (i, v) => `${format(v)} of ${r.daily[i].arms[k].cumulative_exposed}`,
    })),
  });
}

/** A line per series over days (`values[i]` for `dates[i]`; null leaves a day out), with three grid lines, the
 * first and last dates, and a legend: the results' and the stage flow's charts. */
function lineChart({ kind, label, dates, series, format, floor }) {
  const width = 560, height = 220, left = 50, right = 16, top = 26, bottom = 30;
  const max = Math.max(floor, ...series.flatMap((s) => s.values.filter((v) => v !== null))) * 1.1;
  const x = (i) => left + (dates.length === 1 ? (width - left - right) / 2 : (i / (dates.length - 1)) * (width - left - right));
  const y = (v) => top + (1 - v / max) * (height - top - bottom);
  return svg('svg', { class: 'chart ' + kind, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label },
    svg('title', { text: label }),
    [0, 0.5, 1].map((f) => svg('g', {}, svg('line', { x1: left, x2: width - right, y1: y(max * f), y2: y(max * f), class: 'grid' }),
      svg('text', { x: left - 6, y: y(max * f) + 4, 'text-anchor': 'end', class: 'tick', text: format(max * f) }))),
    svg('text', { x: left, y: height - 8, class: 'tick', text: dates[0] }),
    dates.length > 1 ? svg('text', { x: width - right, y: height - 8, 'text-anchor': 'end', class: 'tick', text: dates[dates.length - 1] }) : null,
    series.map((s) => {
      const points = s.values.map((v, i) => [i, v]).filter(([, v]) => v !== null);
      return svg('g', Object.assign({ class: 'series' }, s.data),
        points.length > 1 ? svg('polyline', { points: points.map(([i, v]) => x(i) + ',' + y(v)).join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2.5 }) : null,
        points.map(([i, v]) => svg('circle', { cx: x(i), cy: y(v), r: 3.5, fill: s.color },
          svg('title', { text: `${s.name}, ${dates[i]}: ${s.note(i, v)}` }))));
    }),
    series.map((s, k) => svg('g', { class: 'legend' },
      svg('rect', { x: left + 8 + k * 105, y: 6, width: 10, height: 10, fill: s.color }),
      svg('text', { x: left + 22 + k * 105, y: 15, class: 'tick', text: s.name }))));
}

$('#results-refresh').addEventListener('click', results);
$('#results-from').addEventListener('change', results);
$('#results-to').addEventListener('change', results);

// MARK: Tabs

for (const tab of document.querySelectorAll('[role=tab]')) {
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll('[role=tab]')) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      $('#' + t.getAttribute('aria-controls')).hidden = !on;
    }
    state.tab = tab.getAttribute('aria-controls');
    if (state.tab === 'matrix') matrix();
    if (state.tab === 'results') results();
    document.querySelectorAll('.device').forEach(fit);
  });
}

start();
