// The sign-in page (/signin): login and password (AccountsService/SignIn), or the first
// activation with the code a leader handed out (AccountsService/Activate), typed in or opened
// from the activation QR code, which encodes /signin#activate=<code>. The code travels in the
// fragment only (never sent to the server) and leaves the address bar at once.
//
// The session goes to sessionStorage (session.js); then the page goes back to ?next= (one of
// the site's own pages) or, without one, to the page of the user's role.
'use strict';

(function () {
  const DICT = {
    zh: {
      title: '联防联控 · 登录', tabSignin: '登录', tabActivate: '首次激活',
      signinTitle: '账号登录', login: '登录名', password: '密码', signinButton: '登录',
      signinHelp: '没有密码？请用组长给您的激活码或二维码首次激活。',
      activateTitle: '首次激活：设置密码', code: '激活码', newPassword: '新密码',
      newPassword2: '再次输入新密码',
      rules: '密码至少 8 个字符，不能与登录名相同，不能是常见密码。',
      activateButton: '激活并登录',
      errWrong: '登录名或密码错误。', errWait: '失败次数过多，请 {n} 秒后再试。',
      errBusy: '登录的人太多，请稍后再试。', errDisabled: '此账号已停用，请联系组长。',
      errCode: '激活码无效、已使用或已过期，请向组长索取新的激活码。',
      errMismatch: '两次输入的密码不一致。', errRules: '密码不符合要求：',
      errNetwork: '网络不可用，请稍后再试。', errUnknown: '操作失败',
      codeTaken: '已读取激活码，请设置您的密码。', ended: '登录已失效，请重新登录。',
    },
    en: {
      title: 'Lianfang · Sign in', tabSignin: 'Sign in', tabActivate: 'First activation',
      signinTitle: 'Sign in', login: 'Login', password: 'Password', signinButton: 'Sign in',
      signinHelp: 'No password yet? Activate your account with the code or QR code your leader gave you.',
      activateTitle: 'First activation: set your password', code: 'Activation code',
      newPassword: 'New password', newPassword2: 'New password again',
      rules: 'At least 8 characters, not your login, not a common password.',
      activateButton: 'Activate and sign in',
      errWrong: 'Wrong login or password.', errWait: 'Too many failed attempts: try again in {n} s.',
      errBusy: 'Too many people are signing in; try again shortly.',
      errDisabled: 'This account is disabled; ask your leader.',
      errCode: 'The activation code is unknown, already used or expired; ask your leader for a new one.',
      errMismatch: 'The two passwords differ.', errRules: 'The password does not meet the rules: ',
      errNetwork: 'No network; try again shortly.', errUnknown: 'Failed',
      codeTaken: 'Activation code read: now set your password.',
      ended: 'Your session has ended; please sign in again.',
    },
  };
  const PAGES = ['/', '/guard', '/volunteer', '/people', '/pass'];
  const $ = (id) => document.getElementById(id);
  const t = (k) => LF.t(k);
  let countdown = null;
  const state = {errors: 0, lastError: ''};

  function next() {
    const n = new URLSearchParams(location.search).get('next');
    return PAGES.indexOf(n) >= 0 ? n : '';
  }

  function pageOf(session) {
    if (session.device) return '/guard';
    const role = (session.user && session.user.role) || '';
    if (role === 'ROLE_VOLUNTEER') return '/volunteer';
    if (role === 'ROLE_GUARD') return '/guard';
    return '/';
  }

  function showTab(which) {
    $('signin').hidden = which !== 'signin';
    $('activate').hidden = which !== 'activate';
    $('tab-signin').classList.toggle('active', which === 'signin');
    $('tab-activate').classList.toggle('active', which === 'activate');
  }

  function showError(text) {
    if (countdown) { clearInterval(countdown); countdown = null; }
    $('error').hidden = !text;
    $('error').textContent = text || '';
    if (text) { state.errors++; state.lastError = text; }
  }

  // "try again in N s": the wait counts down on the page.
  function showWait(seconds) {
    showError(t('errWait').replace('{n}', String(seconds)));
    let left = seconds;
    countdown = setInterval(() => {
      left--;
      if (left <= 0) { clearInterval(countdown); countdown = null; $('error').hidden = true; return; }
      $('error').textContent = t('errWait').replace('{n}', String(left));
    }, 1000);
  }

  function violations(body) {
    return ((body && body.fieldViolations) || []).map((v) => v.description).join('; ');
  }

  // The message of a refused SignIn or Activate, for people.
  function explain(res, activation) {
    if (res.status === 0) return showError(t('errNetwork'));
    const body = res.body || {};
    if (res.status === 429) {
      const m = /try again in (\d+) s/.exec(body.message || '');
      return m ? showWait(Number(m[1])) : showError(t('errBusy'));
    }
    if (res.status === 401) return showError(t(activation ? 'errCode' : 'errWrong'));
    if (body.code === 'FAILED_PRECONDITION') return showError(t('errDisabled'));
    if (body.code === 'INVALID_ARGUMENT') {
      const fields = (body.fieldViolations || []).map((v) => v.field);
      if (fields.indexOf('password') >= 0) return showError(t('errRules') + violations(body));
      if (activation && fields.indexOf('activation_code') >= 0) return showError(t('errCode'));
      if (!activation) return showError(t('errWrong'));
    }
    if (res.network) return showError(t('errNetwork'));
    showError(body.message || t('errUnknown'));
  }

  function enter(session) {
    LFSession.save(session);
    location.replace(next() || pageOf(session));
  }

  async function signIn(e) {
    e.preventDefault();
    showError('');
    const button = $('signin-button');
    button.disabled = true;
    try {
      const res = await LFSession.anonymous('SignIn',
                                            {login: $('login').value.trim(), password: $('password').value});
      $('password').value = '';
      if (res.ok && res.body && res.body.accessToken) return enter(res.body);
      explain(res, false);
    } finally {
      button.disabled = false;
    }
  }

  async function activate(e) {
    e.preventDefault();
    showError('');
    if ($('new-password').value !== $('new-password2').value) return showError(t('errMismatch'));
    const button = $('activate-button');
    button.disabled = true;
    try {
      const res = await LFSession.anonymous('Activate', {
        activationCode: $('code').value.trim(), password: $('new-password').value,
      });
      if (res.ok && res.body && res.body.accessToken) {
        $('new-password').value = $('new-password2').value = '';
        return enter(res.body);
      }
      explain(res, true);
    } finally {
      button.disabled = false;
    }
  }

  // "#activate=<code>": taken, then removed from the address bar and the history entry.
  function takeCode() {
    const m = /(?:^#|&)activate=([^&]*)/.exec(location.hash);
    if (!m) return false;
    history.replaceState(null, '', location.pathname + location.search);
    let code = '';
    try { code = decodeURIComponent(m[1]); } catch (e) { code = ''; }
    if (!code) return false;
    $('code').value = code;
    showTab('activate');
    $('notice').hidden = false;
    $('notice').textContent = t('codeTaken');
    $('notice').setAttribute('data-i18n', 'codeTaken');
    $('new-password').focus();
    return true;
  }

  document.addEventListener('DOMContentLoaded', () => {
    LF.i18n(DICT);
    $('tab-signin').addEventListener('click', () => showTab('signin'));
    $('tab-activate').addEventListener('click', () => showTab('activate'));
    $('signin-form').addEventListener('submit', signIn);
    $('activate-form').addEventListener('submit', activate);
    if (!takeCode()) {
      const why = sessionStorage.getItem('lf.signin.notice');
      if (why) {
        sessionStorage.removeItem('lf.signin.notice');
        $('notice').hidden = false;
        $('notice').className = 'message error';
        $('notice').textContent = why;
      }
      $('login').focus();
    }
  });

  // For tests.
  window.lfSignin = {state: state};
})();
