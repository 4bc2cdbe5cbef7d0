// The signed-in session of every page (the dashboard, /people, /guard, /volunteer, /signin):
// plain JavaScript, no framework.
//
// - The session is the Session message of the accounts service as the JSON API returns it
//   (accessToken, accessExpiresAt, refreshToken, refreshExpiresAt, user or device), kept in
//   sessionStorage under `lf.session`: gone when the tab closes, never in a URL, never in
//   localStorage.
// - It is refreshed in the background (AccountsService/Refresh, which rotates the refresh
//   token) two minutes before the access token's 15 minutes run out, counted on this phone's
//   own clock from when the session arrived (a phone's clock may be wrong), and at once when
//   a call is refused with 401. Pages may refresh more often (the guard console does, to
//   report its app version and offline queue).
// - When a refresh is refused (device revoked, user disabled or reset, session ended,
//   refresh token expired or used twice) the session is forgotten and every `onEnded`
//   listener gets the error body ({code, message}).
// - Event streams are read with fetch() (the token in the Authorization header), not with
//   EventSource, whose only way to carry a token is the URL.
// - For development, a token minted on the server (`lfctl token`) can be put in a tab's
//   session from the browser's console:
//     sessionStorage.setItem('lf.session', JSON.stringify({accessToken: '<jwt>'}))
//   It is used as is until it expires (there is nothing to refresh it with).
'use strict';

(function () {
  const KEY = 'lf.session';
  const RECEIVED_KEY = 'lf.session.received';
  const ACCOUNTS = 'lianfang.accounts.v1.AccountsService';
  const ACCESS_LIFE_MS = 15 * 60 * 1000;
  const MARGIN_MS = 2 * 60 * 1000;

  let extraFields = null;  // () => extra fields of RefreshRequest
  let every = 0;           // refresh at least this often (ms), 0 = only before expiry
  const endedListeners = [];
  let timer = null;
  let refreshing = null;

  function get() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || 'null'); } catch (e) { return null; }
  }
  function save(session) {
    sessionStorage.setItem(KEY, JSON.stringify(session));
    sessionStorage.setItem(RECEIVED_KEY, String(Date.now()));
    schedule();
  }
  function clear() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(RECEIVED_KEY);
    if (timer) clearTimeout(timer);
    timer = null;
  }
  function accessToken() {
    const s = get();
    return (s && s.accessToken) || '';
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
      network: res.status === 502 || res.status === 503 || res.status === 504,
    };
  }

  // A method of the accounts service taken without a token (Activate, SignIn, Refresh, SignOut,
  // RedeemEnrollment). Resolves to {ok, status, body, network}.
  function anonymous(method, request) {
    return fetchJson('/api/v1/' + ACCOUNTS + '/' + method, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(request || {}),
      cache: 'no-store',
    });
  }

  // When the access token should be renewed, in ms from now.
  function dueIn() {
    const s = get();
    if (!s || !s.refreshToken) return null;
    const received = Number(sessionStorage.getItem(RECEIVED_KEY) || 0);
    let due = (received || Date.now()) + ACCESS_LIFE_MS - MARGIN_MS - Date.now();
    if (every > 0) due = Math.min(due, every);
    return due;
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = null;
    const due = dueIn();
    if (due === null) return;
    timer = setTimeout(() => { refresh(); }, Math.max(1000, due));
  }

  // Exchanges the refresh token for a new session now (one at a time). Resolves to the
  // answer {ok, status, body, network, ended}; `ended` is true when the session was refused
  // and forgotten (the onEnded listeners have run).
  function refresh() {
    if (refreshing) return refreshing;
    refreshing = (async () => {
      const s = get();
      if (!s || !s.refreshToken) return {ok: false, status: 0, body: null, network: false};
      const request = Object.assign({refreshToken: s.refreshToken}, extraFields ? extraFields() : {});
      const res = await anonymous('Refresh', request);
      if (res.ok && res.body && res.body.accessToken) {
        save(res.body);
      } else if (res.status === 400 || res.status === 401 || res.status === 403) {
        // Refused for good: the session is over (why is in the body).
        const current = get();
        if (current && current.refreshToken === s.refreshToken) clear();
        res.ended = true;
        endedListeners.forEach((f) => f(res.body || {}));
      } else {
        // No network, the service busy or down: keep the session and try again soon.
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => { refresh(); }, 15000);
      }
      return res;
    })();
    refreshing.finally(() => { refreshing = null; });
    return refreshing;
  }

  // Keeps the session fresh in the background. options: {extra: () => fields of
  // RefreshRequest (app version, offline queue length), every: ms between refreshes at most,
  // onEnded: f(errorBody)}.
  function keepFresh(options) {
    extraFields = (options && options.extra) || null;
    every = (options && options.every) || 0;
    if (options && options.onEnded) endedListeners.push(options.onEnded);
    schedule();
  }

  // True when the access token is (nearly) due: the caller should refresh before using it.
  function stale() {
    const s = get();
    if (!s || !s.refreshToken) return false;
    const received = Number(sessionStorage.getItem(RECEIVED_KEY) || 0);
    return received + ACCESS_LIFE_MS - MARGIN_MS <= Date.now();
  }

  // A call with the access token; on 401, one refresh and one retry.
  async function authorized(url, options) {
    const withToken = () => Object.assign({}, options, {
      headers: Object.assign({}, (options && options.headers) || {},
                             {'Authorization': 'Bearer ' + accessToken()}),
    });
    let res = await fetchJson(url, withToken());
    if (res.status === 401 && get() && get().refreshToken) {
      const r = await refresh();
      if (r.ok) res = await fetchJson(url, withToken());
    }
    return res;
  }

  // Ends the session on the server (SignOut) and here.
  async function signOut() {
    const s = get();
    clear();
    if (s && s.refreshToken) await anonymous('SignOut', {refreshToken: s.refreshToken});
  }

  // The sign-in page, coming back to `next` (a path of this site) afterwards.
  function signInUrl(next) {
    return '/signin?next=' + encodeURIComponent(next || location.pathname);
  }

  // Reads Server-Sent Events from `path` (with the query `params`) with the access token in
  // the Authorization header. onMessage(obj) per `data:` event; onState('live' |
  // 'reconnecting' | 'error', errorBody?) on changes. Reconnects after 3 s (with the then
  // current token) unless the stream was refused for good (401, 403, 400). Returns {close()}.
  function events(path, params, onMessage, onState) {
    const q = new URLSearchParams(params || {});
    const url = path + (q.toString() ? '?' + q.toString() : '');
    let closed = false;
    let controller = null;
    let timer = null;
    async function open() {
      if (closed) return;
      controller = new AbortController();
      let res;
      try {
        res = await fetch(url, {
          headers: {'Authorization': 'Bearer ' + accessToken(), 'Accept': 'text/event-stream'},
          cache: 'no-store', signal: controller.signal,
        });
      } catch (e) {
        if (closed) return;
        onState && onState('reconnecting');
        timer = setTimeout(open, 3000);
        return;
      }
      if (!res.ok) {
        let body = null;
        try { body = await res.json(); } catch (e) { body = null; }
        if (res.status === 401 && get() && get().refreshToken) {
          const r = await refresh();
          if (r.ok && !closed) { timer = setTimeout(open, 0); return; }
        }
        onState && onState('error', body);
        if (res.status === 401 || res.status === 403 || res.status === 400) return;
        timer = setTimeout(open, 3000);
        return;
      }
      onState && onState('live');
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      let refused = false;
      try {
        while (true) {
          const {value, done} = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, {stream: true});
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let event = 'message';
            const data = [];
            block.split('\n').forEach((line) => {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            });
            if (data.length === 0) continue;
            let obj = null;
            try { obj = JSON.parse(data.join('\n')); } catch (e) { obj = null; }
            if (event === 'error') {
              onState && onState('error', obj);
              const code = obj && obj.code;
              refused = code === 'UNAUTHENTICATED' || code === 'PERMISSION_DENIED' ||
                  code === 'INVALID_ARGUMENT';
            } else if (obj !== null) {
              onMessage(obj);
            }
          }
        }
      } catch (e) {
        // Aborted or cut off.
      }
      if (closed || refused) return;
      onState && onState('reconnecting');
      timer = setTimeout(open, 3000);
    }
    open();
    return {
      close() {
        closed = true;
        if (timer) clearTimeout(timer);
        if (controller) controller.abort();
      },
    };
  }

  window.LFSession = {
    get, save, clear, accessToken, anonymous, refresh, keepFresh, stale, authorized, signOut,
    signInUrl, events, fetchJson,
    onEnded: (f) => endedListeners.push(f),
  };
})();
