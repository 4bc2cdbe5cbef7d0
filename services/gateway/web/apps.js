// Shared by the guard console (/guard), the volunteer app (/volunteer) and the pass page
// (/pass): plain JavaScript, no framework, nothing loaded from elsewhere.
//
// - The access token is entered once and kept in sessionStorage only (gone when the tab is
//   closed); it is sent as `Authorization: Bearer` (and as ?access_token= for event streams,
//   which a browser's EventSource cannot give headers).
// - Chinese first, English on a switch (the choice is kept in localStorage; it is no secret).
// - LF.call('lianfang.gate.v1.GateService', 'RecordPassage', {...}) posts to the gateway's JSON
//   API and resolves to {ok, status, body, network}: `network` is true when the gateway could
//   not be reached at all, or answered that the service is unreachable (503/504).
// - Pages that work offline (LF.start(..., {offline: true}): the guard console and the volunteer
//   app) register the service worker (/sw.js), which keeps their files on the phone, and
//   remember for the session who the token belongs to (/api/v1/me), so that a reload without
//   network still opens the app. API answers are never kept.
// Every text is written with textContent, never as HTML.
'use strict';

(function () {
  const TOKEN_KEY = 'lf.apps.token';
  const LANG_KEY = 'lf.apps.lang';
  const ME_KEY = 'lf.apps.me';

  let dict = {zh: {}, en: {}};
  let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';
  const langListeners = [];

  function t(key) {
    const d = dict[lang] || {};
    if (key in d) return d[key];
    return (dict.zh && key in dict.zh) ? dict.zh[key] : key;
  }

  function applyLang() {
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
    document.querySelectorAll('[data-i18n]').forEach((el) => {
      el.textContent = t(el.getAttribute('data-i18n'));
    });
    document.querySelectorAll('[data-i18n-placeholder]').forEach((el) => {
      el.setAttribute('placeholder', t(el.getAttribute('data-i18n-placeholder')));
    });
    document.querySelectorAll('button.lang').forEach((b) => {
      b.classList.toggle('active', b.getAttribute('data-lang') === lang);
    });
    if (dict[lang] && dict[lang].title) document.title = dict[lang].title;
    langListeners.forEach((f) => f());
  }

  function setLang(next) {
    lang = next === 'en' ? 'en' : 'zh';
    localStorage.setItem(LANG_KEY, lang);
    applyLang();
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY); }
  function setToken(value) {
    // Who the previous token belonged to is not who the next one belongs to.
    sessionStorage.removeItem(ME_KEY);
    if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
  }

  // The last /api/v1/me answer for the current token (sessionStorage, like the token), or null.
  function rememberedMe() {
    try { return JSON.parse(sessionStorage.getItem(ME_KEY) || 'null'); } catch (e) { return null; }
  }

  // Registers /sw.js (scope "/": it serves only the app shell it lists). Browsers offer service
  // workers on secure origins only (HTTPS, or the local machine): elsewhere the page works as
  // before, online. A failed registration changes nothing either.
  function registerServiceWorker() {
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker.register('/sw.js').catch(() => {});
  }

  // A request id: 32 hex digits from the browser's random source (also outside secure
  // contexts, where crypto.randomUUID is missing).
  function requestId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  async function fetchJson(url, options) {
    let res;
    try {
      res = await fetch(url, options);
    } catch (e) {
      return {ok: false, status: 0, body: null, network: true};
    }
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    return {
      ok: res.ok, status: res.status, body: body,
      network: res.status === 503 || res.status === 504 || res.status === 502,
    };
  }

  function call(service, method, request) {
    return fetchJson('/api/v1/' + service + '/' + method, {
      method: 'POST',
      headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + (token() || '')},
      body: JSON.stringify(request || {}),
      cache: 'no-store',
    });
  }

  function me() {
    return fetchJson('/api/v1/me', {
      headers: {'Authorization': 'Bearer ' + (token() || '')}, cache: 'no-store',
    });
  }

  // Follows a server-streaming method as Server-Sent Events; calls onMessage(obj) per message
  // and onState('live'|'reconnecting'|'error', errorBody?) on changes. Returns {close()}.
  function watch(service, method, params, onMessage, onState) {
    const q = new URLSearchParams(params || {});
    q.set('access_token', token() || '');
    let source = null;
    let closed = false;
    let timer = null;
    function open() {
      if (closed) return;
      source = new EventSource('/api/v1/' + service + '/' + method + '?' + q.toString());
      source.onopen = () => onState && onState('live');
      source.onmessage = (e) => {
        try { onMessage(JSON.parse(e.data)); } catch (err) { /* not ours */ }
      };
      source.addEventListener('error', (e) => {
        if (e && typeof e.data === 'string') {
          // The service ended the stream with an error (event: error).
          let body = null;
          try { body = JSON.parse(e.data); } catch (err) { body = null; }
          source.close();
          onState && onState('error', body);
          const code = body && body.code;
          if (code === 'UNAUTHENTICATED' || code === 'PERMISSION_DENIED' ||
              code === 'INVALID_ARGUMENT') {
            return;
          }
          timer = setTimeout(open, 5000);
          return;
        }
        if (source.readyState === EventSource.CLOSED) {
          onState && onState('error', null);
          timer = setTimeout(open, 5000);
        } else {
          onState && onState('reconnecting');
        }
      });
    }
    open();
    return {
      close() {
        closed = true;
        if (timer) clearTimeout(timer);
        if (source) source.close();
      },
    };
  }

  // The message of an error answer, for people.
  function errorText(result) {
    if (!result) return t('errUnknown');
    if (result.status === 0) return t('errNetwork');
    if (result.status === 401) return t('errToken');
    if (result.status === 403) return t('errForbidden');
    const body = result.body || {};
    let text = body.message || (t('errUnknown') + ' (' + result.status + ')');
    if (Array.isArray(body.fieldViolations) && body.fieldViolations.length) {
      text += ': ' + body.fieldViolations.map((v) => v.field + ' ' + v.description).join('; ');
    }
    return text;
  }

  // Builds an element: el('li', {class: 'x', text: 'y'}, [children]).
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === undefined || v === null) return;
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    });
    (children || []).forEach((c) => { if (c) node.appendChild(c); });
    return node;
  }

  function formatTime(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    return d.toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', {hour12: false});
  }

  // Today as YYYY-MM-DD in the deployment's zone (Asia/Shanghai).
  function today() {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    }).format(new Date());
    return parts;
  }

  // Wires the login form (#login, #login-form, #token-input, #login-error), the language
  // buttons and #logout. onReady(me) runs once the token is accepted. With {offline: true} the
  // service worker is registered, and when the network is down the app opens with who the
  // token was found to belong to earlier in this session (me.offline is then true).
  function start(pageDict, allowedRoles, onReady, options) {
    dict = pageDict;
    const offline = !!(options && options.offline);
    if (offline) registerServiceWorker();
    document.querySelectorAll('button.lang').forEach((b) => {
      b.addEventListener('click', () => setLang(b.getAttribute('data-lang')));
    });
    applyLang();
    const login = document.getElementById('login');
    const app = document.getElementById('app');
    const error = document.getElementById('login-error');
    const logout = document.getElementById('logout');

    function showLogin(message) {
      app.hidden = true;
      login.hidden = false;
      if (logout) logout.hidden = true;
      error.hidden = !message;
      error.textContent = message || '';
    }

    async function enter() {
      if (!token()) return showLogin('');
      const who = await me();
      if (who.status === 401) { setToken(null); return showLogin(t('errToken')); }
      let body = who.ok ? who.body : null;
      const remembered = offline && who.network ? rememberedMe() : null;
      if (remembered) body = Object.assign(remembered, {offline: true});
      if (!body) return showLogin(errorText(who));
      if (allowedRoles.indexOf(body.role) < 0) {
        setToken(null);
        return showLogin(t('errRole'));
      }
      if (who.ok && offline) sessionStorage.setItem(ME_KEY, JSON.stringify(who.body));
      login.hidden = true;
      app.hidden = false;
      if (logout) logout.hidden = false;
      onReady(body);
    }

    document.getElementById('login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = document.getElementById('token-input');
      setToken(input.value.trim());
      input.value = '';
      enter();
    });
    if (logout) {
      logout.addEventListener('click', () => {
        setToken(null);
        location.reload();
      });
    }
    enter();
  }

  window.LF = {
    t, setLang, onLang: (f) => langListeners.push(f), applyLang, token, setToken, requestId,
    call, me, watch, errorText, el, formatTime, today, start,
    get lang() { return lang; },
  };
})();
