// Shared by the guard console (/guard), the volunteer app (/volunteer) and the pass page
// (/pass): plain JavaScript, no framework, nothing loaded from elsewhere.
//
// - People sign in on /signin (a gate phone may also be enrolled on /guard); the session is
//   kept by session.js in sessionStorage only (gone when the tab is closed) and refreshed in
//   the background. The access token is sent as `Authorization: Bearer`, for event streams
//   too (read with fetch), never in a URL.
// - Chinese first, English on a switch (the choice is kept in localStorage; it is no secret).
// - LF.call('lianfang.gate.v1.GateService', 'RecordPassage', {...}) posts to the gateway's JSON
//   API and resolves to {ok, status, body, network}: `network` is true when the gateway could
//   not be reached at all, or answered that the service is unreachable (503/504).
// - Pages that work offline (LF.start(..., {offline: true}): the guard console and the volunteer
//   app) register the service worker (/sw.js), which keeps their files on the phone, and
//   remember for the session who the token belongs to (/api/v1/me), so that a reload without
//   network still opens the app. API answers are never kept.
// - LF.notices(list, badge): the notices addressed to the signed-in person, live, with
//   "我已阅读" / "我已学习" and the unread count (used by /volunteer and /guard).
// Every text is written with textContent, never as HTML.
'use strict';

(function () {
  const LANG_KEY = 'lf.apps.lang';
  const ME_KEY = 'lf.apps.me';

  // The texts of the sign-in panel, shared by the apps (a page's own dictionary wins).
  const COMMON = {
    zh: {
      loginTitle: '请先登录', loginHelp: '用组长给您的账号登录；登录只保存在本次浏览会话中。',
      signinLink: '用账号登录', enrolTitle: '登记本机为门岗手机',
      enrolHelp: '扫描组长出示的二维码，或输入登记码。', enrolCode: '登记码',
      deviceName: '本机名称', enrolButton: '登记本机', deviceDefault: '门岗手机',
      errEnrol: '登记码无效、已使用或已过期，请向组长索取新的登记码。',
      errEnded: '登录已失效，请重新登录。', errToken: '登录已失效，请重新登录。',
      errRole: '此账号不能使用本页面。', errNetwork: '网络不可用。', errUnknown: '操作失败',
      errForbidden: '此账号无权进行该操作。',
      notices: '通知', noNotices: '暂无通知', noticeRead: '我已阅读', noticeStudied: '我已学习',
      noticeReadAt: '已阅读', noticeStudiedAt: '已学习', noticeNeedsStudy: '须传达学习',
      noticeUnread: '未读',
    },
    en: {
      loginTitle: 'Please sign in',
      loginHelp: 'Sign in with the account your leader made for you; it is kept for this browser session only.',
      signinLink: 'Sign in with an account', enrolTitle: 'Enrol this phone as a gate phone',
      enrolHelp: 'Scan the QR code your leader shows, or type the enrolment code.',
      enrolCode: 'Enrolment code', deviceName: 'Name of this phone', enrolButton: 'Enrol this phone',
      deviceDefault: 'Gate phone',
      errEnrol: 'The enrolment code is unknown, already used or expired; ask your leader for a new one.',
      errEnded: 'Your session has ended; please sign in again.',
      errToken: 'Your session has ended; please sign in again.',
      errRole: 'This account may not use this page.', errNetwork: 'No network.', errUnknown: 'Failed',
      errForbidden: 'This account may not do that.',
      notices: 'Notices', noNotices: 'No notices', noticeRead: 'I have read it',
      noticeStudied: 'I have studied it', noticeReadAt: 'Read', noticeStudiedAt: 'Studied',
      noticeNeedsStudy: 'to be studied', noticeUnread: 'unread',
    },
  };

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

  function token() { return LFSession.accessToken(); }

  // Sets the page's dictionary (over the shared texts), wires the language buttons and
  // translates the page.
  function i18n(pageDict) {
    dict = {
      zh: Object.assign({}, COMMON.zh, pageDict.zh || {}),
      en: Object.assign({}, COMMON.en, pageDict.en || {}),
    };
    document.querySelectorAll('button.lang').forEach((b) => {
      b.addEventListener('click', () => setLang(b.getAttribute('data-lang')));
    });
    applyLang();
  }

  // The last /api/v1/me answer for the current token (sessionStorage, like the token), or null.
  function rememberedMe() {
    try { return JSON.parse(sessionStorage.getItem(ME_KEY) || 'null'); } catch (e) { return null; }
  }

  // Registers /sw.js (scope "/": it serves only the app shell it lists). Browsers offer service
  // workers on secure origins only (HTTPS, or the local machine): elsewhere the page works as
  // before, online. A registration or an install that fails (a file of the shell did not come
  // on a patchy network) changes nothing and is tried again, after 5 s, 10 s, 20 s ... (at most
  // 6 tries per page load), so the phone still gets its offline shell once the network holds.
  function registerServiceWorker(attempt) {
    if (!('serviceWorker' in navigator)) return;
    attempt = attempt || 0;
    let retried = false;
    const again = () => {
      if (retried || attempt >= 5) return;
      retried = true;
      setTimeout(() => registerServiceWorker(attempt + 1), 5000 * Math.pow(2, attempt));
    };
    navigator.serviceWorker.register('/sw.js').then((registration) => {
      const worker = registration.installing || registration.waiting;
      if (!worker) return;
      worker.addEventListener('statechange', () => {
        if (worker.state === 'redundant' && !registration.active) again();
      });
    }).catch(again);
  }

  // A request id: 32 hex digits from the browser's random source (also outside secure
  // contexts, where crypto.randomUUID is missing).
  function requestId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // A method of the JSON API with the session's access token (refreshed once on a 401).
  function call(service, method, request) {
    return LFSession.authorized('/api/v1/' + service + '/' + method, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(request || {}),
      cache: 'no-store',
    });
  }

  function me() {
    return LFSession.authorized('/api/v1/me', {cache: 'no-store'});
  }

  // Follows a server-streaming method as Server-Sent Events (read with fetch, the token in
  // the Authorization header); calls onMessage(obj) per message and onState('live' |
  // 'reconnecting' | 'error', errorBody?) on changes. Returns {close()}.
  function watch(service, method, params, onMessage, onState) {
    return LFSession.events('/api/v1/' + service + '/' + method, params, onMessage, onState);
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

  // Wires the sign-in panel (#login, #login-error, #signin-link; on the guard console also
  // #enrol-form, #enrol-code, #device-name), the language buttons and #logout. onReady(me)
  // runs once the session is accepted. Options:
  //   offline: register the service worker, and when the network is down open the app with
  //            who the session was found to belong to earlier (me.offline is then true);
  //   enrol: the page offers "enrol this phone" (AccountsService/RedeemEnrollment), also from
  //            the link #enrol=<code> of the enrolment QR code;
  //   refreshExtra: () => extra fields of each Refresh (app version, offline queue length);
  //   refreshEvery: ms between background refreshes at most (default: before expiry only);
  //   refreshOnStart: refresh at once when the page opens (reports to the leaders, and learns
  //            at once that the session was withdrawn);
  //   onEnded(errorBody): when the session is refused; returns the text to show (default:
  //            "session ended").
  // Without a session and without enrolment, the page goes to /signin and comes back.
  function start(pageDict, allowedRoles, onReady, options) {
    options = options || {};
    i18n(pageDict);
    const offline = !!options.offline;
    if (offline) registerServiceWorker();
    const login = document.getElementById('login');
    const app = document.getElementById('app');
    const error = document.getElementById('login-error');
    const logout = document.getElementById('logout');
    const signinLink = document.getElementById('signin-link');
    if (signinLink) signinLink.setAttribute('href', LFSession.signInUrl(location.pathname));
    let ready = false;

    function showLogin(message) {
      app.hidden = true;
      login.hidden = false;
      if (logout) logout.hidden = true;
      error.hidden = !message;
      error.textContent = message || '';
    }

    LFSession.onEnded((body) => {
      sessionStorage.removeItem(ME_KEY);
      const text = (options.onEnded && options.onEnded(body)) ||
          (t('errEnded') + (body && body.message ? ' (' + body.message + ')' : ''));
      if (ready) {
        // The open app stops: nothing works without a session.
        ready = false;
      }
      showLogin(text);
    });
    LFSession.keepFresh({extra: options.refreshExtra, every: options.refreshEvery});

    async function enter(message) {
      const session = LFSession.get();
      if (!session || !session.accessToken) {
        if (!options.enrol && !message) {
          location.replace(LFSession.signInUrl(location.pathname));
          return;
        }
        return showLogin(message || '');
      }
      if (session.refreshToken && (options.refreshOnStart || LFSession.stale())) {
        const r = await LFSession.refresh();
        if (r.ended) return;  // onEnded has shown why
      }
      const who = await me();
      if (who.status === 401) {
        LFSession.clear();
        sessionStorage.removeItem(ME_KEY);
        return showLogin(t('errToken'));
      }
      let body = who.ok ? who.body : null;
      const remembered = offline && who.network ? rememberedMe() : null;
      if (remembered) body = Object.assign(remembered, {offline: true});
      if (!body) return showLogin(errorText(who));
      if (allowedRoles.indexOf(body.role) < 0) {
        await LFSession.signOut();
        return showLogin(t('errRole'));
      }
      if (who.ok && offline) sessionStorage.setItem(ME_KEY, JSON.stringify(who.body));
      login.hidden = true;
      app.hidden = false;
      if (logout) logout.hidden = false;
      ready = true;
      onReady(body);
    }

    // "Enrol this phone": the code typed in, or taken from #enrol=<code> (and removed from the
    // address bar and the history entry at once).
    const enrolForm = document.getElementById('enrol-form');
    let enrolCodeFromLink = '';
    if (options.enrol && enrolForm) {
      const m = /(?:^#|&)enrol=([^&]*)/.exec(location.hash);
      if (m) {
        history.replaceState(null, '', location.pathname + location.search);
        try { enrolCodeFromLink = decodeURIComponent(m[1]); } catch (e) { enrolCodeFromLink = ''; }
        document.getElementById('enrol-code').value = enrolCodeFromLink;
      }
      const name = document.getElementById('device-name');
      if (!name.value) name.value = t('deviceDefault');
      enrolForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        const button = enrolForm.querySelector('button[type="submit"]');
        button.disabled = true;
        try {
          const res = await LFSession.anonymous('RedeemEnrollment', {
            enrollmentCode: document.getElementById('enrol-code').value.trim(),
            deviceName: name.value.trim(),
          });
          if (res.ok && res.body && res.body.accessToken) {
            document.getElementById('enrol-code').value = '';
            sessionStorage.removeItem(ME_KEY);
            LFSession.save(res.body);
            return enter();
          }
          if (res.status === 401) return showLogin(t('errEnrol'));
          showLogin(errorText(res));
        } finally {
          button.disabled = false;
        }
      });
    } else if (enrolForm) {
      enrolForm.hidden = true;
    }

    if (logout) {
      logout.addEventListener('click', async () => {
        sessionStorage.removeItem(ME_KEY);
        await LFSession.signOut();
        location.replace(LFSession.signInUrl(location.pathname));
      });
    }
    if (enrolCodeFromLink && !(LFSession.get() && LFSession.get().accessToken)) {
      return showLogin('');
    }
    enter();
  }

  // The notices addressed to the signed-in person (DispatchService ListNotices, then
  // WatchNotices live): each with "我已阅读" (and "我已学习" when it must be studied), the
  // unread count on `badge`. `list` is a <ul>. Returns {reload(), unread()}.
  function notices(list, badge) {
    const DISPATCH = 'lianfang.dispatch.v1.DispatchService';
    let items = [];
    let unread = 0;
    // request ids kept per notice and kind, so a retry after a lost answer is the same request
    const pending = new Map();

    function render() {
      if (badge) {
        badge.textContent = unread > 0 ? String(unread) : '';
        badge.hidden = unread === 0;
      }
      list.textContent = '';
      if (items.length === 0) list.appendChild(el('li', {class: 'muted', text: t('noNotices')}));
      items.forEach((n) => {
        const buttons = [];
        if (!n.readAt) {
          buttons.push(el('button', {type: 'button', class: 'notice-read primary',
                                     text: t('noticeRead'), onclick: () => ack(n, false)}));
        }
        if (n.requiresStudy && !n.studiedAt) {
          buttons.push(el('button', {type: 'button', class: 'notice-studied',
                                     text: t('noticeStudied'), onclick: () => ack(n, true)}));
        }
        const status = [n.requiresStudy ? t('noticeNeedsStudy') : '',
                        n.readAt ? t('noticeReadAt') + ' ' + formatTime(n.readAt) : t('noticeUnread'),
                        n.studiedAt ? t('noticeStudiedAt') + ' ' + formatTime(n.studiedAt) : '']
            .filter(Boolean).join(' · ');
        list.appendChild(el('li', {class: 'notice' + (n.readAt ? ' read' : ' unread'),
                                   'data-notice': n.noticeId}, [
          el('div', {class: 'task-head'}, [
            el('strong', {text: n.title}),
            el('span', {class: 'muted', text: formatTime(n.publishedAt)}),
          ]),
          el('div', {class: 'notice-body', text: n.body}),
          el('div', {class: 'muted notice-status', text: status}),
          buttons.length ? el('div', {class: 'actions'}, buttons) : null,
        ]));
      });
    }

    async function reload() {
      const res = await call(DISPATCH, 'ListNotices', {pageSize: 100});
      if (!res.ok) return res;
      items = res.body.notices || [];
      unread = res.body.unreadCount || 0;
      render();
      return res;
    }

    async function ack(n, studied) {
      const key = n.noticeId + (studied ? '/studied' : '/read');
      if (!pending.has(key)) pending.set(key, requestId());
      const res = await call(DISPATCH, 'AcknowledgeNotice',
                             {requestId: pending.get(key), noticeId: n.noticeId, studied: studied});
      if (!res.ok) return res;
      pending.delete(key);
      await reload();
      return res;
    }

    watch(DISPATCH, 'WatchNotices', {}, (event) => {
      if (event.event === 'NOTICE_EVENT_PUBLISHED') reload();
    }, (s) => { if (s === 'live') reload(); });
    langListeners.push(render);
    reload();
    return {reload: reload, unread: () => unread, items: () => items};
  }

  window.LF = {
    t, setLang, onLang: (f) => langListeners.push(f), applyLang, i18n, token, requestId,
    call, me, watch, errorText, el, formatTime, today, start, notices,
    get lang() { return lang; },
  };
})();
