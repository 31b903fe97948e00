// The demo site's own script (the page allows scripts from this server only, none inline).
//
// A real site's server writes the signed-in user's id and its HMAC (made with a Stagecraft secret key) into the
// page. This demo takes them from its address instead: demo.html?user_id=u-3003&user_hash=...
// `api=` may name this server only: the embed script puts what the API answers into the page, so an address
// that pointed it at another host would put that host's markup here. The page's policy (connect-src 'self')
// refuses such a host too.
(() => {
  const q = new URLSearchParams(location.search);
  let api = null, refusedApi = null;
  if (q.get('api')) {
    try {
      const url = new URL(q.get('api'), location.href);
      if (url.origin === location.origin) api = url.origin + url.pathname.replace(/\/+$/, '');
      else refusedApi = url.origin;
    } catch {
      refusedApi = q.get('api');
    }
  }
  window.stagecraftSettings = {
    userId: q.get('user_id'), userHash: q.get('user_hash'), api, timeout: q.get('timeout'), key: q.get('key'),
    locale: q.get('lang'),
  };

  // Demo controls: switch the user (reloads the page), start the tour again, show what the script reports.
  document.addEventListener('DOMContentLoaded', () => {
    if (refusedApi) {
      const notice = document.getElementById('demo-notice');
      notice.textContent = 'api= ignored: ' + refusedApi + ' is not this server';
      notice.hidden = false;
      console.warn('Stagecraft demo: api= must be this server, not ' + refusedApi);
    }
    const pick = document.getElementById('demo-user');
    const id = q.get('user_id') || '';
    if (id && ![...pick.options].some((o) => o.value === id)) pick.append(new Option(id, id));
    pick.value = id;
    pick.addEventListener('change', () => {
      if (pick.value) q.set('user_id', pick.value); else q.delete('user_id');
      q.delete('user_hash');
      location.search = q.toString();
    });
    // The language switcher: the page's language for Stagecraft's blocks, for signed-in users too.
    const lang = document.getElementById('demo-lang');
    lang.value = q.get('lang') || '';
    lang.addEventListener('change', () => {
      if (lang.value) q.set('lang', lang.value); else q.delete('lang');
      history.replaceState(null, '', '?' + q.toString());
      if (window.Stagecraft) { Stagecraft.setLocale(lang.value || null); Stagecraft.refresh(); }
    });
    document.getElementById('demo-tour').addEventListener('click', () => window.Stagecraft && Stagecraft.tour('onboarding-tour'));
    document.getElementById('demo-refresh').addEventListener('click', () => window.Stagecraft && Stagecraft.refresh());
    // The last three interactions, newest first: impressions are reported as blocks come into view, so a click's own
    // line would otherwise be replaced by whichever block scrolled in after it.
    const log = document.getElementById('demo-log'), recent = [];
    const note = (line) => { recent.unshift(line); recent.length = Math.min(recent.length, 3); log.textContent = recent.join(' · '); };
    document.addEventListener('stagecraft:interaction', (e) => {
      note(e.detail.kind + ' ' + e.detail.campaign + (e.detail.ok ? ' (recorded)' : ' (not recorded: ' + e.detail.error + ')'));
    });
    document.addEventListener('stagecraft:error', (e) => note('Stagecraft: ' + e.detail.error));
  });
})();
