/*
 * Stagecraft embed script. A page adds
 *   <script src="https://stagecraft.example/stagecraft.js" data-key="PUBLISHABLE_KEY" async></script>
 * and marks slots with data-stagecraft-placement="home-hero". All slots of the page are decided in one call and
 * filled; a slot whose answer is late or missing keeps its own content. Tooltips float next to their target, surveys
 * post their answers, tours (data-stagecraft-tour on any element, or Stagecraft.tour(name)) run step by step.
 *
 * Settings, as data- attributes of the script tag or window.stagecraftSettings = {...} set before it:
 *   key, api (default: where the script came from), userId + userHash (the HMAC your server makes with the secret
 *   key; without them the visitor is anonymous, with an id kept in localStorage), timeout (ms, default 2500),
 *   tour (a tour to start), manual (do not fill on load; call Stagecraft.refresh()), locale (the page's language,
 *   sent for every visitor; without it a visitor not signed in is sent <html lang>, else the browser's language, and
 *   a signed-in user gets their profile's). Blocks come with their lang and dir; a right-to-left one is mirrored.
 * A page naming the signed-in user (userId + userHash, or Stagecraft.identify()) first merges what this browser did
 * as an anonymous visitor into the user (POST /v1/identify), once per user and browser.
 * Events on document: stagecraft:ready, stagecraft:error, stagecraft:interaction, stagecraft:tour, stagecraft:identify.
 */
(() => {
  'use strict';
  if (window.Stagecraft) return;
  const script = document.currentScript;
  const own = (script && script.dataset) || {};
  const settings = {};
  for (const source of [own, window.stagecraftSettings || {}]) {
    for (const [name, value] of Object.entries(source)) if (value !== undefined && value !== null && value !== '') settings[name] = value;
  }
  const api = String(settings.api || (script && script.src ? new URL(script.src, location.href).origin : location.origin)).replace(/\/+$/, '');
  const timeout = Number(settings.timeout) || 2500;
  let identity = { userId: settings.userId, userHash: settings.userHash };
  let chosenLocale = settings.locale || null;
  let memoryId;

  const emit = (name, detail) => document.dispatchEvent(new CustomEvent('stagecraft:' + name, { detail }));
  const warn = (...args) => { if (window.console) console.warn('[stagecraft]', ...args); };

  function randomId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function anonymousId() {
    const name = 'stagecraft.anonymous_id';
    try {
      let id = localStorage.getItem(name);
      if (!id) { id = randomId(); localStorage.setItem(name, id); }
      return id;
    } catch (_) {
      return (memoryId = memoryId || randomId());
    }
  }

  function who() {
    if (identity.userId) {
      const w = { user_id: String(identity.userId) };
      if (identity.userHash) w.user_hash = String(identity.userHash);
      return w;
    }
    return { anonymous_id: anonymousId() };
  }

  async function call(method, path, body, options = {}) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), options.timeout || timeout);
    const headers = { Accept: 'application/json' };
    if (settings.key) headers.Authorization = 'Bearer ' + settings.key;
    if (body) headers['Content-Type'] = 'application/json';
    try {
      const response = await fetch(api + path, {
        method, headers, body: body && JSON.stringify(body), signal: abort.signal,
        credentials: 'omit', keepalive: !!options.keepalive,
      });
      if (response.status === 204) return null;
      const answer = await response.json().catch(() => null);
      if (!response.ok) {
        const error = new Error((answer && (answer.detail || answer.title)) || 'HTTP ' + response.status);
        error.status = response.status;
        throw error;
      }
      return answer;
    } catch (error) {
      if (error.name === 'AbortError') throw new Error('no answer from ' + api + ' within ' + (options.timeout || timeout) + ' ms');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Merges what this browser did before signing in (its anonymous id's events, dismissals, answers, traits) into the
   * signed-in user, once per user and browser: a banner dismissed before signing in stays dismissed after. Needs
   * userId and userHash; resolves to the server's answer, or null when there was nothing to merge or it failed.
   * The anonymous id is then replaced by a new one: the old one is the user's now, and is not kept where the next
   * person on this browser would use it.
   */
  function merge() {
    if (!identity.userId || !identity.userHash) return Promise.resolve(null);
    const user = String(identity.userId);
    let visitor = memoryId;
    try {
      visitor = localStorage.getItem('stagecraft.anonymous_id');
      if (localStorage.getItem('stagecraft.identified') === user) return Promise.resolve(null);
    } catch (_) { /* storage off: the id of this page view, if any */ }
    if (!visitor) return Promise.resolve(null);
    const done = () => {
      memoryId = undefined;
      try { localStorage.removeItem('stagecraft.anonymous_id'); localStorage.setItem('stagecraft.identified', user); } catch (_) { /* storage off */ }
    };
    return call('POST', '/v1/identify', { anonymous_id: visitor, user_id: user, user_hash: String(identity.userHash) }, { keepalive: true }).then(
      (answer) => {
        done();
        emit('identify', { user_id: user, ok: true, moved: answer && answer.moved, already_linked: answer && answer.already_linked });
        return answer;
      },
      (error) => {
        // Merged into someone else already (409: another person signed in on this browser): not this user's to take.
        if (error.status === 409) done();
        warn('identify failed:', error.message);
        emit('identify', { user_id: user, ok: false, error: error.message });
        return null;
      },
    );
  }

  /** Records what the user did with a block; the promise never rejects. */
  function report(block, kind, answer) {
    const body = Object.assign(who(), { campaign: block.campaign, kind });
    if (block.placement) body.placement = block.placement;
    if (block.variant) body.variant = block.variant;
    if (answer !== undefined) body.answer = answer;
    return call('POST', '/v1/interactions', body, { keepalive: true }).then(
      () => { emit('interaction', { kind, campaign: block.campaign, placement: block.placement, ok: true }); return true; },
      (error) => { warn(kind, 'not recorded:', error.message); emit('interaction', { kind, campaign: block.campaign, ok: false, error: error.message }); return false; },
    );
  }

  // MARK: Styles the script's own elements need; a site may restyle every class.
  const css = `
.sc-close{position:absolute;top:.35em;inset-inline-end:.35em;border:0;background:transparent;font:inherit;font-size:1.2em;line-height:1;cursor:pointer;padding:.2em .4em;color:inherit;opacity:.7}
.sc-close:hover,.sc-close:focus-visible{opacity:1}
[data-stagecraft-state=shown]{position:relative}
.sc-float{position:absolute;z-index:2147483000;max-width:min(22rem,calc(100vw - 16px));background:#fff;color:#1d2433;border-radius:8px;box-shadow:0 6px 24px rgba(0,0,0,.22);padding-block:.9em;padding-inline:1em 2.2em;font:14px/1.45 system-ui,sans-serif}
.sc-float::before{content:"";position:absolute;width:10px;height:10px;background:inherit;transform:rotate(45deg)}
.sc-float[data-position=bottom]::before{top:-5px;left:var(--sc-arrow,20px)}
.sc-float[data-position=top]::before{bottom:-5px;left:var(--sc-arrow,20px)}
.sc-float[data-position=left]::before{right:-5px;top:var(--sc-arrow,16px)}
.sc-float[data-position=right]::before{left:-5px;top:var(--sc-arrow,16px)}
.sc-tour-nav{display:flex;gap:.5em;justify-content:flex-end;margin-top:.8em}
.sc-tour-nav button{font:inherit;padding:.35em .9em;border-radius:6px;border:1px solid #b8c0d0;background:#fff;cursor:pointer}
.sc-tour-nav .sc-primary{background:#2f5bea;border-color:#2f5bea;color:#fff}
.sc-tour-nav button:disabled{opacity:.4;cursor:default}
.sc-tour-target{outline:3px solid #2f5bea!important;outline-offset:3px;border-radius:4px}
.sc-thanks{margin:0;padding:.5em 0}`;

  function addStyles() {
    if (document.getElementById('stagecraft-style')) return;
    const style = document.createElement('style');
    style.id = 'stagecraft-style';
    style.textContent = css;
    (document.head || document.documentElement).append(style);
  }

  function closeButton(label, onClose) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sc-close';
    button.setAttribute('aria-label', label);
    button.textContent = '\u00d7';
    button.addEventListener('click', (event) => { event.preventDefault(); event.stopPropagation(); onClose(); });
    return button;
  }

  function find(selector) {
    try { return selector ? document.querySelector(selector) : null; } catch (_) { return null; }
  }

  /** Puts a floating element next to its anchor on the given side, flipped or slid to stay in the viewport. */
  function place(el, anchor, position) {
    const a = anchor.getBoundingClientRect();
    const w = el.offsetWidth, h = el.offsetHeight, gap = 12, vw = document.documentElement.clientWidth, vh = innerHeight;
    let side = position || 'bottom';
    const room = { top: a.top, bottom: vh - a.bottom, left: a.left, right: vw - a.right };
    const need = side === 'top' || side === 'bottom' ? h + gap : w + gap;
    if (room[side] < need) {
      const other = { top: 'bottom', bottom: 'top', left: 'right', right: 'left' }[side];
      side = room[other] >= need ? other : 'bottom';
    }
    let x, y;
    if (side === 'top' || side === 'bottom') {
      x = Math.min(Math.max(8, a.left + a.width / 2 - w / 2), vw - w - 8);
      y = side === 'bottom' ? a.bottom + gap : a.top - h - gap;
      el.style.setProperty('--sc-arrow', Math.min(Math.max(10, a.left + a.width / 2 - x - 5), w - 20) + 'px');
    } else {
      x = side === 'right' ? a.right + gap : a.left - w - gap;
      y = Math.min(Math.max(8, a.top + a.height / 2 - h / 2), vh - h - 8);
      el.style.setProperty('--sc-arrow', Math.min(Math.max(10, a.top + a.height / 2 - y - 5), h - 20) + 'px');
    }
    el.dataset.position = side;
    el.style.left = Math.round(x + scrollX) + 'px';
    el.style.top = Math.round(y + scrollY) + 'px';
  }

  /** Keeps floating elements next to their anchors while the page scrolls or resizes, or the document's size changes
   * (content loaded above an anchor moves it without a scroll or resize event). */
  const floating = new Set();
  let placing = false;
  function replaceAll() {
    if (placing) return;
    placing = true;
    requestAnimationFrame(() => { placing = false; floating.forEach((f) => place(f.el, f.anchor, f.position)); });
  }
  addEventListener('resize', replaceAll, { passive: true });
  addEventListener('scroll', replaceAll, { passive: true, capture: true });
  if ('ResizeObserver' in window) new ResizeObserver(replaceAll).observe(document.documentElement);

  /** The words put around blocks (buttons, labels), in the reader's language: the last answer's `ui`. */
  let words = {};
  function word(name, english) {
    return (words && typeof words[name] === 'string' && words[name]) || english;
  }

  /** The side a floating element goes on: a right-to-left block mirrors left and right. */
  function mirrored(position, dir) {
    if (dir !== 'rtl') return position;
    return { left: 'right', right: 'left' }[position] || position;
  }

  /** Gives an element the language and direction of the block it shows. */
  function speak(el, answer) {
    if (answer && answer.locale) el.lang = answer.locale;
    if (answer && answer.dir) el.dir = answer.dir;
  }

  function float(html, anchor, position, role, language) {
    const el = document.createElement('div');
    el.className = 'sc-float';
    el.setAttribute('role', role);
    speak(el, language);
    position = mirrored(position, language && language.dir);
    el.innerHTML = html;
    document.body.append(el);
    const entry = { el, anchor, position };
    floating.add(entry);
    place(el, anchor, position);
    return { el, remove() { floating.delete(entry); el.remove(); } };
  }

  // MARK: Slots

  /** Records an impression once at least half of the element has been on screen. */
  const watchers = new WeakMap();
  function whenSeen(el, block) {
    if (watchers.has(el)) watchers.get(el).disconnect(); // a block replaced before it was seen was not seen
    if (!('IntersectionObserver' in window)) { report(block, 'impression'); return; }
    const watcher = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { watcher.disconnect(); report(block, 'impression'); }
    }, { threshold: 0.5 });
    watchers.set(el, watcher);
    watcher.observe(el);
  }

  // A slot's own content (its fallback), the block it shows now, and the tooltip it put up, kept across refreshes.
  const originals = new WeakMap();
  const showing = new WeakMap();
  const wired = new WeakSet();
  const tips = new WeakMap();
  // A slot's own lang and dir, put back when it shows its own content again.
  const ownLanguage = new WeakMap();

  /** Counts clicks on links and buttons of whatever block `el` shows (one listener per element). */
  function countClicks(el, block) {
    showing.set(el, block);
    if (wired.has(el)) return;
    wired.add(el);
    el.addEventListener('click', (event) => {
      const target = event.target.closest && event.target.closest('a[href],button,[data-stagecraft-click]');
      if (!target || target.classList.contains('sc-close') || target.closest('[data-stagecraft-survey]')) return;
      const shown = showing.get(el);
      if (shown) report(shown, 'click');
    });
  }

  function restore(slot) {
    const own = originals.get(slot);
    if (own) slot.replaceChildren(...own.map((n) => n.cloneNode(true)));
    const language = ownLanguage.get(slot);
    if (language) {
      for (const name of ['lang', 'dir']) {
        if (language[name] === null) slot.removeAttribute(name); else slot.setAttribute(name, language[name]);
      }
    }
  }

  function showInSlot(slot, block) {
    if (!originals.has(slot)) originals.set(slot, Array.from(slot.childNodes, (n) => n.cloneNode(true)));
    if (!ownLanguage.has(slot)) ownLanguage.set(slot, { lang: slot.getAttribute('lang'), dir: slot.getAttribute('dir') });
    speak(slot, block);
    slot.innerHTML = block.html;
    slot.dataset.stagecraftState = 'shown';
    slot.dataset.stagecraftCampaign = block.campaign;
    if (block.survey) { showing.set(slot, null); survey(slot, block); }
    else countClicks(slot, block);
    const own = slot.querySelector('[data-stagecraft-dismiss]');
    const dismiss = () => {
      report(block, 'dismiss');
      if (watchers.has(slot)) watchers.get(slot).disconnect();
      showing.set(slot, null);
      restore(slot);
      slot.dataset.stagecraftState = 'dismissed';
    };
    if (own) own.addEventListener('click', (event) => { event.preventDefault(); dismiss(); });
    else slot.append(closeButton(word('dismiss', 'Dismiss'), dismiss));
    whenSeen(slot, block);
  }

  function tooltip(slot, block) {
    if (tips.has(slot)) tips.get(slot).remove();
    const anchor = find(block.target);
    if (!anchor) { slot.dataset.stagecraftState = 'no-target'; return; }
    const tip = float(block.html, anchor, block.position, 'dialog', block);
    tips.set(slot, tip);
    tip.el.setAttribute('aria-label', word('tip', 'Tip'));
    tip.el.dataset.stagecraftCampaign = block.campaign;
    slot.dataset.stagecraftState = 'shown';
    slot.dataset.stagecraftCampaign = block.campaign;
    countClicks(tip.el, block);
    tip.el.append(closeButton(word('dismiss_tip', 'Dismiss tip'), () => {
      tip.remove();
      slot.dataset.stagecraftState = 'dismissed';
      report(block, 'dismiss');
    }));
    report(block, 'impression');
  }

  function survey(slot, block) {
    const form = slot.querySelector('form');
    if (!form) return;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const data = new FormData(form, event.submitter || undefined);
      let answer = data.get('answer');
      if (answer === null || answer === '') return;
      if (/^-?\d+$/.test(answer) && block.survey.kind !== 'choice') answer = Number(answer);
      form.querySelectorAll('button,input,select,textarea').forEach((c) => { c.disabled = true; });
      const done = await report(block, 'answer', answer);
      const note = document.createElement('p');
      note.className = 'sc-thanks';
      note.setAttribute('role', 'status');
      note.textContent = done ? (slot.dataset.stagecraftThanks || word('thanks', 'Thank you for answering.'))
        : word('answer_failed', 'Your answer could not be sent; please try again later.');
      if (done) slot.replaceChildren(note);
      else { form.append(note); form.querySelectorAll('[disabled]').forEach((c) => { c.disabled = false; }); }
    });
  }

  let filling = null;

  /** Decides and fills every slot not filled yet (all of them when `again`); resolves with the decide answer. */
  function refresh(again) {
    if (filling) return filling;
    filling = fill(again).finally(() => { filling = null; });
    return filling;
  }

  async function fill(again) {
    addStyles();
    const slots = Array.from(document.querySelectorAll('[data-stagecraft-placement]'))
      .filter((s) => again || !s.dataset.stagecraftState || s.dataset.stagecraftState === 'fallback');
    const placements = [...new Set(slots.map((s) => s.dataset.stagecraftPlacement).filter(Boolean))].slice(0, 20);
    if (!placements.length) return null;
    const before = new Map(slots.map((s) => [s, s.dataset.stagecraftState]));
    slots.forEach((s) => { s.dataset.stagecraftState = 'loading'; });
    let answer;
    try {
      const request = Object.assign(who(), { placements, context: pageContext() });
      if (pageLocale()) request.locale = pageLocale();
      answer = await call('POST', '/v1/decide', request);
    } catch (error) {
      // What a slot showed stays: its own content, or the block an earlier decision put there.
      slots.forEach((s) => { s.dataset.stagecraftState = before.get(s) || 'fallback'; });
      warn('slots keep their own content:', error.message);
      emit('error', { error: error.message, placements });
      return null;
    }
    if (answer && answer.ui) words = answer.ui;
    const used = new Set();
    for (const slot of slots) {
      const name = slot.dataset.stagecraftPlacement;
      const block = answer && answer.blocks && answer.blocks[name];
      if (!block || used.has(name)) {
        if (tips.has(slot)) { tips.get(slot).remove(); tips.delete(slot); }
        if (slot.dataset.stagecraftState === 'loading' && originals.has(slot)) restore(slot);
        slot.dataset.stagecraftState = 'empty';
        continue;
      }
      used.add(name);
      try {
        if (block.channel === 'tooltip') tooltip(slot, block);
        else showInSlot(slot, block);
      } catch (error) {
        slot.dataset.stagecraftState = 'fallback';
        warn('could not show', block.campaign, error);
      }
    }
    emit('ready', answer);
    return answer;
  }

  /** The language to ask for: the one the site set (the locale setting, setLocale) for every visitor; else, for a
   * visitor not signed in, `<html lang>` or the browser's (a signed-in user's profile says theirs). Only a
   * well-formed tag is sent: a bad one would cost the page its blocks. */
  function pageLocale() {
    if (chosenLocale) return tagOrNull(chosenLocale);
    if (identity.userId) return null;
    return tagOrNull(document.documentElement.lang || navigator.language || '');
  }

  /** The tag to send for a page's language: itself when the server takes it (well formed by BCP 47, as the server
   * reads tags), else its longest well-formed prefix (`en-GB-oed` asks for `en-GB`), else null. */
  function tagOrNull(lang) {
    const parts = String(lang).split(/[-_]/);
    while (parts.length) {
      if (wellFormed(parts)) return parts.join('-');
      parts.pop();
    }
    return null;
  }

  /** BCP 47's grammar, subtag by subtag, as the server's LocaleTag reads it: language (2, 3 or 5 to 8 letters), up
   * to three extlangs, script, region, variants (none twice), extensions (a letter, then values of 2 to 8; none
   * twice), private use (x, then 1 to 8). */
  function wellFormed(parts) {
    if (parts.join('-').length > 64) return false;
    let state = 'language', extlangs = 0;
    const seen = new Set();
    for (const part of parts) {
      if (!/^[A-Za-z0-9]{1,8}$/.test(part)) return false;
      const lower = part.toLowerCase(), letters = /^[A-Za-z]+$/.test(part), n = part.length;
      if (state === 'language') {
        if (!letters || !(n === 2 || n === 3 || n >= 5)) return false;
        state = n <= 3 ? 'extlang' : 'script';
        continue;
      }
      if (state === 'privateUse') continue;
      if (state === 'extlang') {
        if (letters && n === 3 && extlangs < 3) { extlangs += 1; continue; }
        state = 'script';
      }
      if (state === 'script') {
        state = 'region';
        if (letters && n === 4) continue;
      }
      if (state === 'region') {
        state = 'variant';
        if ((letters && n === 2) || (/^[0-9]{3}$/.test(part))) continue;
      }
      if (state === 'variant') {
        if (n >= 5 || (n === 4 && /^[0-9]/.test(part))) {
          if (seen.has(lower)) return false;
          seen.add(lower);
          continue;
        }
        state = 'extension';
      }
      if (state === 'extension') {
        if (n !== 1) return false;
        if (lower === 'x') { state = 'privateUse:first'; continue; }
        if (seen.has(lower)) return false;
        seen.add(lower);
        state = 'extensionValue:first';
        continue;
      }
      if (state === 'privateUse:first') { state = 'privateUse'; continue; }
      // An extension's values, or the next extension.
      if (n === 1) {
        if (state === 'extensionValue:first') return false;
        state = 'extension';
        if (lower === 'x') { state = 'privateUse:first'; continue; }
        if (seen.has(lower)) return false;
        seen.add(lower);
        state = 'extensionValue:first';
        continue;
      }
      state = 'extensionValue';
    }
    return state !== 'extensionValue:first' && state !== 'privateUse:first';
  }

  function pageContext() {
    return { path: location.pathname, url: location.href.split('#')[0], locale: navigator.language || 'en', title: document.title };
  }

  // MARK: Tours

  let running = null;

  async function tour(name) {
    if (running) running.end(false);
    addStyles();
    const query = new URLSearchParams(who());
    if (pageLocale()) query.set('locale', pageLocale());
    let answer;
    try {
      answer = await call('GET', '/v1/tours/' + encodeURIComponent(name) + '?' + query);
    } catch (error) {
      warn('tour', name, 'not started:', error.message);
      emit('error', { error: error.message, tour: name });
      return false;
    }
    if (!answer || !answer.steps || !answer.steps.length) { emit('tour', { tour: name, state: 'none' }); return false; }
    if (answer.ui) words = answer.ui;
    run(answer);
    return true;
  }

  function run(answer) {
    const block = { campaign: answer.campaign, variant: answer.variant };
    const steps = answer.steps;
    const returnFocus = document.activeElement;
    let index = -1, shown = null, target = null, seen = false;

    const present = (i) => i >= 0 && i < steps.length && find(steps[i].target);
    const nextFrom = (i, dir) => { for (let j = i + dir; j >= 0 && j < steps.length; j += dir) if (present(j)) return j; return -1; };

    function clear() {
      if (shown) shown.remove();
      if (target) target.classList.remove('sc-tour-target');
      shown = target = null;
    }

    function show(i) {
      clear();
      index = i;
      const step = steps[i];
      target = find(step.target);
      target.classList.add('sc-tour-target');
      target.scrollIntoView({ block: 'center', inline: 'nearest' });
      shown = float(step.html, target, step.position, 'dialog', answer);
      const el = shown.el;
      el.classList.add('sc-tour');
      el.setAttribute('aria-live', 'polite');
      el.dataset.stagecraftStep = String(step.number);
      if (!el.getAttribute('aria-label') && !el.querySelector('[aria-label]')) el.setAttribute('aria-label', word('tour_step', 'Tour step'));
      const back = nextFrom(i, -1), next = nextFrom(i, 1);
      const nav = document.createElement('div');
      nav.className = 'sc-tour-nav';
      const button = (label, cls, action, disabled) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = label;
        if (cls) b.className = cls;
        b.disabled = !!disabled;
        b.addEventListener('click', action);
        nav.append(b);
        return b;
      };
      button(word('back', 'Back'), 'sc-back', () => go(-1), back < 0);
      const forward = next < 0 ? button(word('done', 'Done'), 'sc-primary sc-done', () => end(true))
        : button(word('next', 'Next'), 'sc-primary sc-next', () => go(1));
      el.append(nav, closeButton(word('close_tour', 'Close the tour'), () => end(false)));
      el.addEventListener('keydown', keys);
      forward.focus({ preventScroll: true });
      emit('tour', { tour: answer.tour, state: 'step', step: step.number, target: step.target });
      if (!seen) { seen = true; report(block, 'impression'); }
    }

    function go(dir) {
      const j = nextFrom(index, dir);
      if (j >= 0) show(j);
      else if (dir > 0) end(true);
    }

    function keys(event) {
      if (event.key === 'Escape') { event.preventDefault(); end(false); }
      else if (event.key === 'ArrowRight') { event.preventDefault(); go(1); }
      else if (event.key === 'ArrowLeft') { event.preventDefault(); if (nextFrom(index, -1) >= 0) go(-1); }
    }

    function end(finished) {
      clear();
      running = null;
      // Finishing is the tour's click; finishing or closing dismisses it, so it does not start again.
      const done = finished ? report(block, 'click') : Promise.resolve(true);
      done.then(() => report(block, 'dismiss')).then((ok) => emit('tour', { tour: answer.tour, state: finished ? 'done' : 'closed', recorded: ok }));
      if (returnFocus && returnFocus.focus) returnFocus.focus({ preventScroll: true });
    }

    const first = nextFrom(-1, 1);
    if (first < 0) { emit('tour', { tour: answer.tour, state: 'no-targets' }); return; }
    running = { end };
    show(first);
  }

  async function start() {
    // A page that names the signed-in user merges the visitor this browser was first, then asks for its blocks.
    await merge();
    if (!settings.manual) refresh();
    const tours = new Set(Array.from(document.querySelectorAll('[data-stagecraft-tour]'), (el) => el.dataset.stagecraftTour));
    if (settings.tour) tours.add(settings.tour);
    tours.forEach((t) => t && tour(t));
  }

  window.Stagecraft = {
    refresh: () => refresh(true),
    fill: () => refresh(false),
    tour,
    /** Signs the visitor in: later calls name the user, and what the browser did anonymously is merged (a promise). */
    identify(userId, userHash) { identity = { userId, userHash }; return merge(); },
    /** The page's language for every visitor from now on (null: back to the profile's, or the page's). */
    setLocale(tag) { chosenLocale = tag || null; },
    reset() {
      identity = {};
      try { localStorage.removeItem('stagecraft.anonymous_id'); localStorage.removeItem('stagecraft.identified'); } catch (_) { /* storage off */ }
    },
    report,
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
})();
