// The guard console (/guard): duty, real-name passages with a large ADMIT/DENY, the site's
// people inside, the last passages live (WatchPassages), the notices addressed to the guard
// (LF.notices, with its unread badge and 我已阅读 / 我已学习), and an offline queue.
//
// Offline: when the gate cannot be reached (no network, or the gateway answers 502/503/504),
// the passage is kept in localStorage with its request id and the time it was captured, the
// page shows how many wait, and they are sent with BatchRecordPassages once the gate answers
// again (every few seconds, on the browser's `online` event, or on "sync now"). A queued
// passage leaves the queue only once the gate has answered for it, and request ids make every
// resend safe: none lost, none doubled. While anything waits, new passages join the end of the
// queue so that the gate sees them in the order they happened.
'use strict';

(function () {
  const GATE = 'lianfang.gate.v1.GateService';
  const QUEUE_KEY = 'lf.guard.queue';
  const CHOICE_KEY = 'lf.guard.choice';
  const BATCH = 100;
  // Reported to the leaders on every refresh of the session.
  const APP_VERSION = 'guard-web-1';
  // A phone refreshes its session (its contact with the leaders' list) at least this often.
  const CONTACT_EVERY_MS = 60 * 1000;
  // The refusals of a refresh that withdraw this phone: its queue and session are wiped.
  const WITHDRAWN = {
    'this device was revoked': 'wipedRevoked',
    'the account is disabled or was reset': 'wipedDisabled',
  };
  const MAX_SHOWN = 30;

  const DICT = {
    zh: {
      title: '门岗值守',
      logout: '退出',
      site: '点位',
      gate: '大门',
      dutyStart: '上岗',
      dutyEnd: '下岗',
      onDuty: '在岗，自 ',
      offDuty: '未在岗',
      dutyOther: '值守人：',
      onsite: '在场人数',
      online: '在线',
      offline: '离线',
      queued: '待上传',
      syncNow: '立即上传',
      entry: '进入',
      exit: '离开',
      byId: '身份证号',
      byPass: '出入证',
      idNumber: '身份证号',
      name: '姓名（选填）',
      passCode: '出入证编码',
      scan: '扫码',
      temperature: '体温 (°C)',
      plate: '车牌（选填）',
      record: '登记',
      recent: '最近通行',
      live: '实时',
      feedLive: '已连接',
      feedReconnecting: '重连中…',
      feedError: '中断，稍后重试',
      ADMITTED: '准许通行',
      DENIED: '禁止通行',
      QUEUED: '已暂存',
      queuedReason: '网络中断：已保存在本机，联网后自动上传。',
      localFever: '体温达到发热标准，请按发热流程处置。',
      DENY_REASON_FEVER: '体温异常（发热）',
      DENY_REASON_NO_VALID_PASS: '无有效出入证',
      DENY_REASON_UNDER_OBSERVATION: '居家观察期内，不得外出',
      DENY_REASON_VEHICLE_NOT_ALLOWED: '外来车辆禁止进入',
      DENY_REASON_SITE_FULL: '场内人数已满',
      DENY_REASON_NO_HEALTH_REPORT: '今日未报健康，不得进入',
      PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY: '今日未报健康',
      DIRECTION_ENTRY: '进',
      DIRECTION_EXIT: '出',
      needIdentity: '请填写身份证号或出入证编码。',
      needTemperature: '进入时必须测量体温。',
      failedItems: '以下暂存记录被拒绝：',
      errNetwork: '网络不可用。',
      errRole: '此账号不是门岗账号。',
      errUnknown: '操作失败',
      noCamera: '此浏览器不支持扫码，请手动输入。',
      wipedRevoked:
          '本机已被组长撤销登记：本机的登录和待上传记录（{n} 条）已删除。如需继续使用，请重新登记。',
      wipedDisabled: '此账号已被停用或重置：本机的登录和待上传记录（{n} 条）已删除。',
    },
    en: {
      title: 'Gate console',
      logout: 'Sign out',
      site: 'Site',
      gate: 'Gate',
      dutyStart: 'Start duty',
      dutyEnd: 'End duty',
      onDuty: 'On duty since ',
      offDuty: 'Not on duty',
      dutyOther: 'On duty: ',
      onsite: 'People inside',
      online: 'Online',
      offline: 'Offline',
      queued: 'Waiting to sync',
      syncNow: 'Sync now',
      entry: 'Entry',
      exit: 'Exit',
      byId: 'ID number',
      byPass: 'Pass',
      idNumber: 'ID number',
      name: 'Name (optional)',
      passCode: 'Pass code',
      scan: 'Scan',
      temperature: 'Temperature (°C)',
      plate: 'Vehicle plate (optional)',
      record: 'Record',
      recent: 'Last passages',
      live: 'Live',
      feedLive: 'connected',
      feedReconnecting: 'reconnecting…',
      feedError: 'interrupted, retrying',
      ADMITTED: 'ADMIT',
      DENIED: 'DENY',
      QUEUED: 'SAVED OFFLINE',
      queuedReason:
          'No network: kept on this phone and sent automatically when the network returns.',
      localFever: 'The temperature is a fever: follow the fever procedure.',
      DENY_REASON_FEVER: 'Fever',
      DENY_REASON_NO_VALID_PASS: 'No valid pass',
      DENY_REASON_UNDER_OBSERVATION: 'Under home observation: may not leave',
      DENY_REASON_VEHICLE_NOT_ALLOWED: 'Outside vehicles are not allowed',
      DENY_REASON_SITE_FULL: 'The site is full',
      DENY_REASON_NO_HEALTH_REPORT: 'No health report today: entry refused',
      PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY: 'No health report today',
      DIRECTION_ENTRY: 'in',
      DIRECTION_EXIT: 'out',
      needIdentity: 'Enter an ID number or a pass code.',
      needTemperature: 'An entry needs a temperature reading.',
      failedItems: 'These saved passages were refused: ',
      errNetwork: 'No network.',
      errRole: 'This is not a guard account.',
      errUnknown: 'Failed',
      wipedRevoked:
          'Your leader revoked this phone: its sign-in and its {n} waiting passages were deleted. Enrol it again to go on.',
      wipedDisabled:
          'This account was disabled or reset: the sign-in and the {n} waiting passages on this phone were deleted.',
      noCamera: 'This browser cannot scan; type the code instead.',
    },
  };

  const $ = (id) => document.getElementById(id);
  const t = (k) => LF.t(k);
  let me = null;
  let sites = [];
  let feed = null;
  let shown = [];          // passages on the list, newest first
  let syncing = null;      // the running sync, a Promise
  let online = true;
  let occupancyTimer = null;
  let scanning = null;
  let board = null;        // LF.notices: the notices addressed to this guard

  const state = {
    admitted: 0, denied: 0, queuedShown: 0, synced: 0, refused: [],
    lastDecision: '', lastReason: '', wiped: '',
  };

  // Remote wipe: the session was withdrawn (device revoked, account disabled or reset). The
  // passages waiting on this phone can no longer be sent by it and hold ID numbers: they are
  // deleted with the session. Returns the text to show.
  function withdrawn(body) {
    const key = WITHDRAWN[(body && body.message) || ''];
    if (!key) return '';
    const n = loadQueue().length;
    localStorage.removeItem(QUEUE_KEY);
    sessionStorage.removeItem(CHOICE_KEY);
    if (feed) { feed.close(); feed = null; }
    stopScan();
    state.wiped = key;
    return t(key).replace('{n}', String(n));
  }

  // A contact with the accounts service (the session refreshed, the queue length reported);
  // false when the session is over.
  async function contact() {
    if (!(LFSession.get() && LFSession.get().refreshToken)) return true;
    const r = await LFSession.refresh();
    return !r.ended;
  }

  // ---- the queue (localStorage: survives reloads and closing the tab) ----
  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || '[]'); } catch (e) { return []; }
  }
  function saveQueue(q) { localStorage.setItem(QUEUE_KEY, JSON.stringify(q)); }
  function enqueue(request) {
    const q = loadQueue();
    if (!q.some((r) => r.requestId === request.requestId)) q.push(request);
    saveQueue(q);
    showQueue();
  }
  function removeFromQueue(ids) {
    saveQueue(loadQueue().filter((r) => ids.indexOf(r.requestId) < 0));
    showQueue();
  }
  function showQueue() {
    const n = loadQueue().length;
    $('queue-count').textContent = String(n);
    $('queue-line').hidden = n === 0 && state.refused.length === 0;
  }
  function setOnline(value) {
    online = value;
    const net = $('net');
    net.setAttribute('data-i18n', value ? 'online' : 'offline');
    net.textContent = t(value ? 'online' : 'offline');
    net.className = 'net ' + (value ? 'net-online' : 'net-offline');
  }

  // Sends what waits, oldest first, in batches; resolves to the responses by request id.
  function sync() {
    if (syncing) return syncing;
    syncing = (async () => {
      const answered = {};
      while (true) {
        const q = loadQueue();
        if (q.length === 0) break;
        const batch = q.slice(0, BATCH);
        const res = await LF.call(GATE, 'BatchRecordPassages',
                                  {requestId: LF.requestId(), requests: batch});
        if (res.network) { setOnline(false); break; }
        if (!res.ok) { showError(LF.errorText(res)); break; }
        setOnline(true);
        const done = [];
        const statuses = res.body.statuses || [];
        const responses = res.body.responses || [];
        batch.forEach((item, i) => {
          const s = statuses[i] || {code: 0};
          const code = s.code || 0;
          if (code === 0) {
            done.push(item.requestId);
            answered[item.requestId] = responses[i];
            state.synced++;
            if (responses[i] && responses[i].passage) addPassage(responses[i].passage);
          } else if (code === 14 || code === 4) {
            // UNAVAILABLE, DEADLINE_EXCEEDED: the gate will answer later; keep it.
          } else {
            done.push(item.requestId);
            state.refused.push(s.message || String(code));
          }
        });
        removeFromQueue(done);
        if (done.length === 0) break;  // nothing moved: try again later
      }
      showRefused();
      refreshOccupancy();
      return answered;
    })();
    syncing.finally(() => { syncing = null; });
    return syncing;
  }

  function showRefused() {
    if (state.refused.length === 0) return;
    showError(t('failedItems') + state.refused.join('; '));
  }

  // ---- verdict ----
  function showVerdict(kind, reasonKey, who, warned) {
    const v = $('verdict');
    v.hidden = false;
    v.className = 'verdict verdict-' + kind.toLowerCase() + (warned ? ' verdict-warned' : '');
    // data-i18n: the language switch relabels the verdict too.
    $('verdict-word').setAttribute('data-i18n', kind);
    $('verdict-word').textContent = t(kind);
    if (reasonKey) $('verdict-reason').setAttribute('data-i18n', reasonKey);
    else $('verdict-reason').removeAttribute('data-i18n');
    $('verdict-reason').textContent = reasonKey ? t(reasonKey) : '';
    $('verdict-who').textContent = who || '';
    state.lastDecision = kind;
    state.lastReason = reasonKey || '';
    v.scrollIntoView({block: 'nearest'});
  }

  function showError(text) {
    const e = $('form-error');
    e.hidden = !text;
    e.textContent = text || '';
  }

  // ---- passages list ----
  function addPassage(p) {
    if (!p || !p.passageId || shown.some((x) => x.passageId === p.passageId)) return;
    const site = $('site').value;
    if (site && p.siteId && p.siteId !== site) return;
    shown.unshift(p);
    shown.sort((a, b) => String(b.capturedAt).localeCompare(String(a.capturedAt)));
    shown = shown.slice(0, MAX_SHOWN);
    renderPassages();
  }

  function renderPassages() {
    const list = $('passages');
    list.textContent = '';
    shown.forEach((p) => {
      const admitted = p.decision === 'DECISION_ADMITTED';
      const warnings = (p.warnings || []).map((w) => t(w));
      list.appendChild(LF.el(
          'li', {
            class: admitted ? (warnings.length ? 'ok warned' : 'ok') : 'bad',
            'data-passage': p.passageId
          },
          [
            LF.el('span', {class: 'when', text: LF.formatTime(p.capturedAt)}),
            LF.el('span', {class: 'dir', text: t(p.direction)}),
            LF.el('span', {class: 'who', text: (p.nameMasked || '') + ' ' + (p.idMasked || '')}),
            LF.el('span', {
              class: 'decision',
              text: admitted ? [t('ADMITTED')].concat(warnings).join(' · ') :
                               t('DENIED') + ' · ' + t(p.denyReason)
            }),
          ]));
    });
  }

  async function loadPassages() {
    const site = $('site').value;
    const res = await LF.call(GATE, 'ListPassages', {siteId: site, pageSize: 20});
    if (res.ok) (res.body.passages || []).forEach(addPassage);
  }

  function follow() {
    if (feed) feed.close();
    feed = LF.watch(GATE, 'WatchPassages', {site_id: $('site').value}, (p) => {
      addPassage(p);
      scheduleOccupancy();
    }, (s) => {
      $('feed-state').textContent =
          t(s === 'live' ? 'feedLive' : s === 'reconnecting' ? 'feedReconnecting' : 'feedError');
    });
  }

  // ---- occupancy and duty ----
  async function refreshOccupancy() {
    const site = $('site').value;
    if (!site) return;
    const res = await LF.call(GATE, 'GetOccupancy', {siteId: site});
    if (res.ok) {
      $('onsite').textContent = String(res.body.onsite);
      setOnline(true);
    } else if (res.network) {
      setOnline(false);
    }
  }
  function scheduleOccupancy() {
    if (occupancyTimer) return;
    occupancyTimer = setTimeout(() => { occupancyTimer = null; refreshOccupancy(); }, 1000);
  }

  async function refreshDuty() {
    const site = $('site').value;
    const gate = $('gate').value;
    const res = await LF.call(GATE, 'ListDuty', {siteId: site, pageSize: 100});
    if (!res.ok) return;
    const d = (res.body.gates || []).find((g) => g.gateId === gate);
    const label = $('duty-state');
    if (!d || !d.guard) label.textContent = t('offDuty');
    else if (d.guard === me.subject) label.textContent = t('onDuty') + LF.formatTime(d.onDutySince);
    else label.textContent = t('dutyOther') + d.guard;
  }

  async function duty(method) {
    const res = await LF.call(GATE, method,
                              {requestId: LF.requestId(), siteId: $('site').value, gateId: $('gate').value});
    if (!res.ok) showError(LF.errorText(res)); else showError('');
    refreshDuty();
  }

  // ---- sites and gates ----
  function fillSites() {
    const select = $('site');
    select.textContent = '';
    sites.forEach((s) => select.appendChild(LF.el('option', {value: s.id, text: s.name})));
    let choice = {};
    try { choice = JSON.parse(sessionStorage.getItem(CHOICE_KEY) || '{}'); } catch (e) { choice = {}; }
    if (choice.site && sites.some((s) => s.id === choice.site)) select.value = choice.site;
    fillGates(choice.gate);
  }
  function fillGates(preferred) {
    const site = sites.find((s) => s.id === $('site').value);
    const select = $('gate');
    select.textContent = '';
    ((site && site.gates) || []).forEach((g) =>
        select.appendChild(LF.el('option', {value: g.id, text: g.name})));
    if (preferred && site && site.gates.some((g) => g.id === preferred)) select.value = preferred;
  }
  function siteChanged() {
    sessionStorage.setItem(CHOICE_KEY, JSON.stringify({site: $('site').value, gate: $('gate').value}));
    shown = [];
    renderPassages();
    $('onsite').textContent = '—';
    refreshOccupancy();
    refreshDuty();
    loadPassages();
    follow();
  }

  // ---- recording ----
  function readForm() {
    const direction = document.querySelector('input[name="direction"]:checked').value;
    const mode = document.querySelector('input[name="mode"]:checked').value;
    const request = {
      requestId: LF.requestId(),
      siteId: $('site').value,
      gateId: $('gate').value,
      direction: direction,
      capturedAt: new Date().toISOString(),
    };
    if (mode === 'pass') {
      const code = $('pass-code').value.trim().toUpperCase();
      if (!code) return {error: t('needIdentity')};
      request.passCode = code;
    } else {
      const id = $('id-number').value.trim().toUpperCase();
      if (!id) return {error: t('needIdentity')};
      request.person = {idNumber: id};
      const name = $('name').value.trim();
      if (name) request.person.name = name;
    }
    const temperature = $('temperature').value.trim();
    if (temperature) request.temperatureC = Number(temperature);
    else if (direction === 'DIRECTION_ENTRY') return {error: t('needTemperature')};
    const plate = $('plate').value.trim();
    if (plate) request.vehiclePlate = plate;
    return {request: request};
  }

  function clearIdentity() {
    ['id-number', 'name', 'pass-code', 'temperature', 'plate'].forEach((id) => { $(id).value = ''; });
  }

  function showAnswer(answer) {
    const p = answer.passage || {};
    if (answer.onsite !== undefined) $('onsite').textContent = String(answer.onsite);
    const admitted = p.decision === 'DECISION_ADMITTED';
    if (admitted) state.admitted++; else state.denied++;
    // An admitted passage may carry a warning (no health report today): shown in the reason
    // line, the verdict marked so the guard sees it at a glance.
    const warning = admitted && p.warnings && p.warnings.length ? p.warnings[0] : '';
    showVerdict(
        admitted ? 'ADMITTED' : 'DENIED', admitted ? warning : p.denyReason,
        [p.nameMasked, p.idMasked].filter(Boolean).join(' '), Boolean(warning));
    addPassage(p);
  }

  function showQueued(request) {
    state.queuedShown++;
    const site = sites.find((s) => s.id === request.siteId);
    const threshold = (site && site.policy && site.policy.feverThresholdC) || 37.3;
    const fever = request.direction === 'DIRECTION_ENTRY' && request.temperatureC >= threshold;
    showVerdict('QUEUED', fever ? 'localFever' : 'queuedReason', '');
    if (fever) $('verdict').classList.add('verdict-denied');
  }

  async function record(e) {
    e.preventDefault();
    showError('');
    const form = readForm();
    if (form.error) return showError(form.error);
    const request = form.request;
    const button = $('record');
    button.disabled = true;
    try {
      if (loadQueue().length > 0 || syncing) {
        // Keep the order: behind what already waits.
        enqueue(request);
        clearIdentity();
        const answered = await sync();
        if (answered[request.requestId]) showAnswer(answered[request.requestId]);
        else if (loadQueue().some((r) => r.requestId === request.requestId)) showQueued(request);
        return;
      }
      const res = await LF.call(GATE, 'RecordPassage', request);
      if (res.network) {
        setOnline(false);
        enqueue(request);
        clearIdentity();
        showQueued(request);
        return;
      }
      setOnline(true);
      if (!res.ok) return showError(LF.errorText(res));
      clearIdentity();
      showAnswer(res.body);
    } finally {
      button.disabled = false;
    }
  }

  // ---- QR scanning (BarcodeDetector where the browser has it; typing always works) ----
  async function scan() {
    if (scanning) { stopScan(); return; }
    if (!('BarcodeDetector' in window) || !navigator.mediaDevices) return showError(t('noCamera'));
    try {
      const detector = new window.BarcodeDetector({formats: ['qr_code']});
      const stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}});
      const video = $('camera');
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      scanning = {stream: stream, timer: null};
      const tick = async () => {
        if (!scanning) return;
        try {
          const codes = await detector.detect(video);
          if (codes.length > 0) {
            $('pass-code').value = String(codes[0].rawValue || '').trim().toUpperCase();
            stopScan();
            $('temperature').focus();
            return;
          }
        } catch (err) { /* try the next frame */ }
        scanning.timer = setTimeout(tick, 250);
      };
      tick();
    } catch (err) {
      stopScan();
      showError(t('noCamera'));
    }
  }
  function stopScan() {
    if (!scanning) return;
    if (scanning.timer) clearTimeout(scanning.timer);
    scanning.stream.getTracks().forEach((tr) => tr.stop());
    scanning = null;
    $('camera').hidden = true;
  }

  function wire() {
    $('site').addEventListener('change', () => { fillGates(); siteChanged(); });
    $('gate').addEventListener('change', () => {
      sessionStorage.setItem(CHOICE_KEY, JSON.stringify({site: $('site').value, gate: $('gate').value}));
      refreshDuty();
    });
    $('duty-start').addEventListener('click', () => duty('StartDuty'));
    $('duty-end').addEventListener('click', () => duty('EndDuty'));
    $('passage-form').addEventListener('submit', record);
    $('sync-now').addEventListener('click', async () => { if (await contact()) sync(); });
    document.querySelectorAll('input[name="mode"]').forEach((r) => r.addEventListener('change', () => {
      const pass = document.querySelector('input[name="mode"]:checked').value === 'pass';
      $('by-id').hidden = pass;
      $('by-pass').hidden = !pass;
      if (!pass) stopScan();
    }));
    $('scan').hidden = !('BarcodeDetector' in window);
    $('scan').addEventListener('click', scan);
    window.addEventListener('online', async () => { if (await contact()) sync(); });
    // While anything waits, try every few seconds: the `online` event does not tell whether
    // the gate itself is back.
    setInterval(() => { if (loadQueue().length > 0) sync(); }, 3000);
    LF.onLang(renderPassages);
  }

  document.addEventListener('DOMContentLoaded', () => {
    LF.start(DICT, ['guard', 'admin'], (who) => {
      me = who;
      sites = who.sites || [];
      wire();
      fillSites();
      siteChanged();
      showQueue();
      if (loadQueue().length > 0) sync();
      board = LF.notices(document.getElementById('notices'),
                         document.getElementById('notice-badge'));
    }, {
      offline: true,
      enrol: true,
      refreshOnStart: true,
      refreshEvery: CONTACT_EVERY_MS,
      refreshExtra: () => ({appVersion: APP_VERSION, offlineQueueLength: loadQueue().length}),
      onEnded: withdrawn,
    });
  });

  // For tests and curious operators.
  window.lfGuard = {
    state: state,
    get notices() { return board; },
    queued: () => loadQueue().length,
    shown: () => shown.length,
    sync: sync,
    contact: contact,
    get online() { return online; },
  };
})();
