// The leaders' people page (/people): add a user (AccountsService/CreateUser) and show its
// activation code once, with the QR code of the activation link /signin#activate=<code>;
// disable, enable, reset (a new code); enrol a gate phone (CreateEnrollment: a code and the QR
// code of /guard#enrol=<code>); the gate phones of the leader's sites with their last contact,
// app version and offline queue, and "revoke".
//
// QR codes are drawn by the gateway from a POST body (POST /api/v1/qr.svg {"text"}), so the
// codes reach no URL and no log; the picture is shown from a blob: URL. Codes are shown once
// and kept nowhere (closing the card forgets them).
'use strict';

(function () {
  const ACCOUNTS = 'lianfang.accounts.v1.AccountsService';
  const DICT = {
    zh: {
      title: '人员与设备', dashboard: '看板', logout: '退出', addUser: '添加人员', login: '登录名',
      displayName: '姓名', role: '角色', team: '队伍（选填）', phone: '电话（选填）', sites: '点位',
      addButton: '添加并生成激活码', users: '人员', status: '状态', enrolPhone: '登记门岗手机',
      site: '点位', gate: '大门', enrolButton: '生成登记码', devices: '门岗手机', deviceName: '名称',
      lastSeen: '最近联系', appVersion: '版本', queue: '待上传', codeHide: '已记下，关闭',
      ROLE_ADMIN: '管理员', ROLE_LEADER: '组长', ROLE_GUARD: '门岗', ROLE_VOLUNTEER: '志愿者',
      ROLE_VIEWER: '只读',
      USER_STATUS_PENDING: '待激活', USER_STATUS_ACTIVE: '正常', USER_STATUS_DISABLED: '已停用',
      disable: '停用', enable: '启用', reset: '重置', revoke: '撤销', revoked: '已撤销',
      activationTitle: '激活码（只显示这一次）', enrolTitle: '门岗手机登记码（只显示这一次）',
      activationHelp: '请本人用手机扫描二维码，或在登录页“首次激活”中输入激活码，72 小时内有效。',
      enrolHelp: '在门岗手机上扫描二维码，或在 /guard 页面输入登记码，10 分钟内有效，只能用一次。',
      codeFor: '给：', never: '从未', errUnknown: '操作失败',
    },
    en: {
      title: 'People and devices', dashboard: 'Dashboard', logout: 'Sign out', addUser: 'Add a person',
      login: 'Login', displayName: 'Name', role: 'Role', team: 'Team (optional)',
      phone: 'Phone (optional)', sites: 'Sites', addButton: 'Add and make an activation code',
      users: 'People', status: 'Status', enrolPhone: 'Enrol a gate phone', site: 'Site',
      gate: 'Gate', enrolButton: 'Make an enrolment code', devices: 'Gate phones',
      deviceName: 'Name', lastSeen: 'Last contact', appVersion: 'Version', queue: 'Waiting',
      codeHide: 'Noted, close',
      ROLE_ADMIN: 'admin', ROLE_LEADER: 'leader', ROLE_GUARD: 'guard', ROLE_VOLUNTEER: 'volunteer',
      ROLE_VIEWER: 'viewer',
      USER_STATUS_PENDING: 'waiting for activation', USER_STATUS_ACTIVE: 'active',
      USER_STATUS_DISABLED: 'disabled',
      disable: 'Disable', enable: 'Enable', reset: 'Reset', revoke: 'Revoke', revoked: 'revoked',
      activationTitle: 'Activation code (shown this once)',
      enrolTitle: 'Gate phone enrolment code (shown this once)',
      activationHelp: 'The person scans the QR code with their phone, or types the code under "First activation" on the sign-in page; valid 72 hours.',
      enrolHelp: 'Scan the QR code with the gate phone, or type the code on its /guard page; valid 10 minutes, one use.',
      codeFor: 'For: ', never: 'never', errUnknown: 'Failed',
    },
  };

  const $ = (id) => document.getElementById(id);
  const t = (k) => LF.t(k);
  let me = null;
  let qrUrl = null;
  const state = {code: '', link: '', users: [], devices: [], errors: []};

  function showError(text) {
    $('error').hidden = !text;
    $('error').textContent = text || '';
    if (text) state.errors.push(text);
  }

  // ---- the one-time code card ----
  async function showCode(kind, code, path, who) {
    const link = location.origin + path;
    state.code = code;
    state.link = link;
    $('code-title').textContent = t(kind === 'activation' ? 'activationTitle' : 'enrolTitle');
    $('code-help').textContent = t(kind === 'activation' ? 'activationHelp' : 'enrolHelp');
    $('code-for').textContent = who ? t('codeFor') + who : '';
    $('code-text').textContent = code;
    $('code-link').textContent = link;
    $('code-card').hidden = false;
    if (qrUrl) { URL.revokeObjectURL(qrUrl); qrUrl = null; }
    $('code-qr').removeAttribute('src');
    let res;
    try {
      res = await fetch('/api/v1/qr.svg', {
        method: 'POST', cache: 'no-store',
        headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + LF.token()},
        body: JSON.stringify({text: link}),
      });
    } catch (e) {
      return;
    }
    if (!res.ok) return;
    qrUrl = URL.createObjectURL(await res.blob());
    $('code-qr').src = qrUrl;
    $('code-card').scrollIntoView({block: 'nearest'});
  }

  function hideCode() {
    $('code-card').hidden = true;
    $('code-text').textContent = '';
    $('code-link').textContent = '';
    if (qrUrl) { URL.revokeObjectURL(qrUrl); qrUrl = null; }
    $('code-qr').removeAttribute('src');
    state.code = state.link = '';
  }

  // ---- users ----
  function siteNames(ids) {
    return (ids || []).map((id) => {
      const s = (me.sites || []).find((x) => x.id === id);
      return s ? s.name : id;
    }).join(', ');
  }

  async function mutateUser(method, user) {
    showError('');
    const res = await LF.call(ACCOUNTS, method, {requestId: LF.requestId(), userId: user.userId});
    if (!res.ok) return showError(LF.errorText(res));
    if (res.body.activationCode) {
      showCode('activation', res.body.activationCode,
               '/signin#activate=' + encodeURIComponent(res.body.activationCode),
               res.body.displayName + ' (' + res.body.login + ')');
    }
    loadUsers();
  }

  function renderUsers() {
    const body = $('users').querySelector('tbody');
    body.textContent = '';
    state.users.forEach((u) => {
      const actions = [];
      if (u.status === 'USER_STATUS_DISABLED') {
        actions.push(LF.el('button', {type: 'button', text: t('enable'), 'data-action': 'enable',
                                      onclick: () => mutateUser('EnableUser', u)}));
      } else {
        actions.push(LF.el('button', {type: 'button', text: t('disable'), 'data-action': 'disable',
                                      onclick: () => mutateUser('DisableUser', u)}));
      }
      actions.push(LF.el('button', {type: 'button', text: t('reset'), 'data-action': 'reset',
                                    onclick: () => mutateUser('ResetActivation', u)}));
      body.appendChild(LF.el('tr', {'data-login': u.login}, [
        LF.el('td', {text: u.login}),
        LF.el('td', {text: u.displayName}),
        LF.el('td', {text: t(u.role) + (u.siteIds && u.siteIds.length ? ' · ' + siteNames(u.siteIds) : '') +
                           (u.teamId ? ' · ' + u.teamId : '')}),
        LF.el('td', {class: 'status-' + String(u.status).replace('USER_STATUS_', '').toLowerCase(),
                     text: t(u.status)}),
        LF.el('td', {}, [LF.el('div', {class: 'actions'}, actions)]),
      ]));
    });
  }

  async function loadUsers() {
    const res = await LF.call(ACCOUNTS, 'ListUsers', {pageSize: 500});
    if (!res.ok) return showError(LF.errorText(res));
    state.users = res.body.users || [];
    renderUsers();
  }

  async function addUser(e) {
    e.preventDefault();
    showError('');
    const sites = Array.from($('new-sites').querySelectorAll('input:checked')).map((i) => i.value);
    const request = {
      requestId: LF.requestId(),
      login: $('new-login').value.trim(),
      displayName: $('new-name').value.trim(),
      role: $('new-role').value,
      siteIds: sites,
    };
    if ($('new-team').value.trim()) request.teamId = $('new-team').value.trim();
    if ($('new-phone').value.trim()) request.phone = $('new-phone').value.trim();
    const button = $('add-user');
    button.disabled = true;
    try {
      const res = await LF.call(ACCOUNTS, 'CreateUser', request);
      if (!res.ok) return showError(LF.errorText(res));
      $('user-form').reset();
      fillSites();
      showCode('activation', res.body.activationCode,
               '/signin#activate=' + encodeURIComponent(res.body.activationCode),
               res.body.displayName + ' (' + res.body.login + ')');
      loadUsers();
    } finally {
      button.disabled = false;
    }
  }

  // ---- devices ----
  function gateName(siteId, gateId) {
    const s = (me.sites || []).find((x) => x.id === siteId);
    const g = s && (s.gates || []).find((x) => x.id === gateId);
    return (s ? s.name : siteId) + ' · ' + (g ? g.name : gateId);
  }

  function renderDevices() {
    const body = $('devices').querySelector('tbody');
    body.textContent = '';
    state.devices.forEach((d) => {
      const action = d.revoked
        ? LF.el('span', {class: 'revoked', text: t('revoked')})
        : LF.el('button', {type: 'button', text: t('revoke'), 'data-action': 'revoke',
                           onclick: () => revoke(d)});
      body.appendChild(LF.el('tr', {'data-device': d.deviceId}, [
        LF.el('td', {text: d.deviceName}),
        LF.el('td', {text: gateName(d.siteId, d.gateId)}),
        LF.el('td', {text: d.lastSeenAt ? LF.formatTime(d.lastSeenAt) : t('never')}),
        LF.el('td', {text: d.appVersion || ''}),
        LF.el('td', {class: 'queue-length', text: String(d.offlineQueueLength || 0)}),
        LF.el('td', {}, [action]),
      ]));
    });
  }

  async function loadDevices() {
    const res = await LF.call(ACCOUNTS, 'ListDevices', {pageSize: 500});
    if (!res.ok) return showError(LF.errorText(res));
    state.devices = res.body.devices || [];
    renderDevices();
  }

  async function revoke(device) {
    showError('');
    const res = await LF.call(ACCOUNTS, 'RevokeDevice',
                              {requestId: LF.requestId(), deviceId: device.deviceId});
    if (!res.ok) return showError(LF.errorText(res));
    loadDevices();
  }

  async function enrol(e) {
    e.preventDefault();
    showError('');
    const button = $('enrolment-button');
    button.disabled = true;
    try {
      const res = await LF.call(ACCOUNTS, 'CreateEnrollment', {
        requestId: LF.requestId(), siteId: $('enrol-site').value, gateId: $('enrol-gate').value,
      });
      if (!res.ok) return showError(LF.errorText(res));
      showCode('enrol', res.body.enrollmentCode,
               '/guard#enrol=' + encodeURIComponent(res.body.enrollmentCode),
               gateName(res.body.siteId, res.body.gateId));
    } finally {
      button.disabled = false;
    }
  }

  // ---- forms ----
  function fillRoles() {
    const roles = ['ROLE_VOLUNTEER', 'ROLE_GUARD', 'ROLE_VIEWER'];
    if (me.role === 'admin') roles.push('ROLE_LEADER', 'ROLE_ADMIN');
    const select = $('new-role');
    const chosen = select.value;
    select.textContent = '';
    roles.forEach((r) => select.appendChild(LF.el('option', {value: r, text: t(r)})));
    if (chosen) select.value = chosen;
  }

  function fillSites() {
    const box = $('new-sites');
    box.querySelectorAll('label').forEach((l) => l.remove());
    (me.sites || []).forEach((s, i) => {
      box.appendChild(LF.el('label', {class: 'check'}, [
        LF.el('input', {type: 'checkbox', value: s.id, name: 'site'}),
        LF.el('span', {text: s.name}),
      ]));
      if (i === 0) box.querySelector('input').checked = true;
    });
    const site = $('enrol-site');
    if (site.options.length === 0) {
      (me.sites || []).forEach((s) => site.appendChild(LF.el('option', {value: s.id, text: s.name})));
      fillGates();
    }
  }

  function fillGates() {
    const s = (me.sites || []).find((x) => x.id === $('enrol-site').value);
    const gate = $('enrol-gate');
    gate.textContent = '';
    ((s && s.gates) || []).forEach((g) => gate.appendChild(LF.el('option', {value: g.id, text: g.name})));
  }

  document.addEventListener('DOMContentLoaded', () => {
    LF.start(DICT, ['leader', 'admin'], (who) => {
      me = who;
      fillRoles();
      fillSites();
      $('enrol-site').addEventListener('change', fillGates);
      $('user-form').addEventListener('submit', addUser);
      $('enrolment-form').addEventListener('submit', enrol);
      $('code-hide').addEventListener('click', hideCode);
      LF.onLang(() => { fillRoles(); renderUsers(); renderDevices(); });
      loadUsers();
      loadDevices();
      // The phones report on each contact: keep the list current.
      setInterval(loadDevices, 15000);
    });
  });

  // For tests.
  window.lfPeople = {state: state, loadUsers: loadUsers, loadDevices: loadDevices};
})();
