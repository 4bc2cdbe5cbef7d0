// Lianfang live dashboard: plain JavaScript, no framework, nothing loaded from elsewhere.
//
// The page itself holds no data. It uses the session of the sign-in page (/signin; kept by
// session.js in sessionStorage and refreshed in the background), reads /api/v1/dashboard once
// and then follows /api/v1/dashboard/events (Server-Sent Events, read with fetch so that the
// token travels in a header, never in a URL) to update without reloading. The supplies tile
// (low stock and the nearest expiry per site) is read from /api/v1/dashboard/supplies at start
// and every SUPPLIES_EVERY_MS; for leaders and administrators, the recent notices with their
// read rates (DispatchService/ListNotices through the JSON API) on the same rhythm. The
// contingency plans tile (the running activations with their progress, and how many plans are
// due for review) is read from DispatchService ListActivations and ListPlans through the JSON
// API every PLANS_EVERY_MS; it stays hidden for the roles the dispatch service refuses them to
// (leaders and administrators only).
// Every figure is written with textContent, never as HTML.
'use strict';

(function () {
  const LANG_KEY = 'lf.dashboard.lang';
  const STALE_AFTER_MS = 30000;
  const SUPPLIES_EVERY_MS = 30000;
  const PLANS_EVERY_MS = 30000;
  const DISPATCH_API = '/api/v1/lianfang.dispatch.v1.DispatchService/';

  const I18N = {
    zh: {
      title: '联防联控实时看板', asOf: '更新于', source: '数据来源', logout: '退出',
      connIdle: '未连接', connLive: '实时', connReconnecting: '重连中…', connError: '连接失败',
      loginTitle: '请先登录',
      loginHelp: '看板只向领导和工作人员显示数据。登录只保存在本次浏览会话中。',
      signinLink: '用账号登录', people: '人员与设备',
      errExpired: '登录已失效，请重新登录。', errForbidden: '此账号无权查看看板。',
      totals: '合计', sites: '各点位', services: '服务状态', footer: '联防联控工作组',
      sourceCache: '实时缓存', sourceServices: '直接查询各服务',
      warnServices: 'Redis 缓存不可用，数据直接来自各服务。',
      warnIncomplete: '以下数据源未应答，相关数字缺失：',
      warnStale: '超过 30 秒未收到更新，数据可能已过时。',
      onsite: '在场人数', capacity: '容量', entries: '今日进入', denied: '今日劝返',
      fevers: '今日发热', survey: '摸排进度', households: '户', tenants: '租户待核实',
      observation: '居家观察', missing: '今日未报', reported: '已报', tasks: '任务 待办/逾期',
      inProgress: '进行中', doneToday: '今日完成', unguarded: '无人值守大门',
      volunteers: '在岗志愿者',
      alertFever: '今日发热', alertOverdue: '逾期任务', alertUnguarded: '无人值守大门',
      overworked: '超负荷', alertOverworked: '志愿者超负荷',
      noAlerts: '暂无告警',
      kind_SITE_KIND_CAMPUS: '校园', kind_SITE_KIND_FAMILY_AREA: '家属区',
      kind_SITE_KIND_COMMUNITY: '帮建社区', kind_SITE_KIND_VILLAGE: '驻村扶贫村',
      svc_gate: '门岗', svc_survey: '摸排', svc_dispatch: '调度', svc_report: '日报',
      health_HEALTH_STATUS_SERVING: '正常', health_HEALTH_STATUS_NOT_SERVING: '未就绪',
      health_HEALTH_STATUS_UNREACHABLE: '无法连接', health_HEALTH_STATUS_UNSPECIFIED: '未检查',
      ms: '毫秒',
      supplies: '物资保障', lowStock: '低于下限', nearestExpiry: '最近到期', noLowStock: '库存充足',
      noExpiry: '无到期批次', suppliesUnavailable: '物资服务未应答，库存数据暂缺。',
      notices: '通知传达', noNotices: '暂无通知', readRate: '已阅读', studiedRate: '已学习',
      plans: '防控预案', stalePlans: '超期未复审预案', noActivations: '暂无正在执行的预案',
      stepsDone: '已完成步骤', stepsOverdue: '逾期步骤', drill: '演练', real: '实战',
      plansUnavailable: '调度服务未应答，预案数据暂缺。',
    },
    en: {
      title: 'Joint prevention live dashboard', asOf: 'As of', source: 'Source', logout: 'Sign out',
      connIdle: 'Not connected', connLive: 'Live', connReconnecting: 'Reconnecting…',
      connError: 'Connection failed',
      loginTitle: 'Please sign in',
      loginHelp: 'The dashboard shows figures only to leaders and staff. ' +
          'The sign-in is kept for this browser session only.',
      signinLink: 'Sign in with an account', people: 'People and devices',
      errExpired: 'Your session has ended; please sign in again.',
      errForbidden: 'This account may not view the dashboard.',
      totals: 'Totals', sites: 'Sites', services: 'Services', footer: 'Joint prevention working group',
      sourceCache: 'live cache', sourceServices: 'asked the services directly',
      warnServices: 'The Redis cache is unavailable; figures come from the services directly.',
      warnIncomplete: 'These sources did not answer; their figures are missing: ',
      warnStale: 'No update for over 30 seconds; the figures may be out of date.',
      onsite: 'People inside', capacity: 'capacity', entries: 'Entries today',
      denied: 'Turned away today', fevers: 'Fevers today', survey: 'Survey coverage',
      households: 'households', tenants: 'Tenants pending', observation: 'Home observation',
      missing: 'Missing daily reports', reported: 'reported', tasks: 'Tasks open/overdue',
      inProgress: 'in progress', doneToday: 'done today', unguarded: 'Gates without a guard',
      volunteers: 'Volunteers on duty',
      alertFever: 'fevers today', alertOverdue: 'overdue tasks',
      alertUnguarded: 'gates without a guard', noAlerts: 'No alerts',
      overworked: 'overworked', alertOverworked: 'volunteers overworked',
      kind_SITE_KIND_CAMPUS: 'Campus', kind_SITE_KIND_FAMILY_AREA: 'Family area',
      kind_SITE_KIND_COMMUNITY: 'Partner community', kind_SITE_KIND_VILLAGE: 'Village',
      svc_gate: 'Gate', svc_survey: 'Survey', svc_dispatch: 'Dispatch', svc_report: 'Report',
      health_HEALTH_STATUS_SERVING: 'serving', health_HEALTH_STATUS_NOT_SERVING: 'not serving',
      health_HEALTH_STATUS_UNREACHABLE: 'unreachable',
      health_HEALTH_STATUS_UNSPECIFIED: 'not checked yet', ms: 'ms',
      supplies: 'Supplies', lowStock: 'Below minimum', nearestExpiry: 'Expires first',
      noLowStock: 'Stock sufficient', noExpiry: 'Nothing expiring',
      suppliesUnavailable: 'The supplies service did not answer; stock figures are missing.',
      notices: 'Notices', noNotices: 'No notices', readRate: 'read', studiedRate: 'studied',
      plans: 'Contingency plans', stalePlans: 'Plans due for review',
      noActivations: 'No plan is running', stepsDone: 'Steps done', stepsOverdue: 'Steps overdue',
      drill: 'Drill', real: 'Real',
      plansUnavailable: 'The dispatch service did not answer; plan figures are missing.',
    },
  };

  let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';
  let last = null;          // the latest Dashboard shown
  let lastUpdateAt = 0;     // Date.now() of the latest update
  let stream = null;        // the EventSource
  let retryTimer = null;
  let conn = 'connIdle';
  let supplies = null;      // the latest supplies tile
  let suppliesTimer = null;
  let notices = null;       // the latest ListNotices answer (leaders and administrators)
  let noticesTimer = null;
  let plans = null;         // the latest contingency plans tile
  let plansTimer = null;

  // For tests and curious operators: how many dashboards were rendered on this page load.
  window.lfDashboard = { updates: 0, suppliesUpdates: 0, noticesUpdates: 0, plansUpdates: 0 };

  const $ = (id) => document.getElementById(id);
  const t = (key) => (I18N[lang][key] !== undefined ? I18N[lang][key] : key);
  const num = (v) => Number(v || 0);
  const fmt = (v) => num(v).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-US');

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // ---- language -------------------------------------------------------------------------
  function applyLanguage() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('title');
    document.querySelectorAll('[data-i18n]').forEach((node) => {
      node.textContent = t(node.getAttribute('data-i18n'));
    });
    document.querySelectorAll('button.lang').forEach((b) => {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-lang') === lang));
    });
    setConnection(conn);
    if (last) render(last, false);
    if (supplies) renderSupplies(supplies);
    if (notices) renderNotices(notices);
    if (plans) renderPlans(plans);
  }

  // ---- connection state -----------------------------------------------------------------
  function setConnection(state) {
    conn = state;
    const node = $('conn');
    node.textContent = t(state);
    node.className = 'conn ' + {
      connIdle: 'conn-idle', connLive: 'conn-live', connReconnecting: 'conn-warn',
      connError: 'conn-bad',
    }[state];
  }

  // ---- rendering ------------------------------------------------------------------------
  function metric(field, label, value, opts) {
    const o = opts || {};
    const box = el('div', 'metric' + (o.alert ? ' alert' : ''));
    box.setAttribute('data-field', field);
    box.appendChild(el('div', 'label', label));
    const v = el('div', 'value', value);
    box.appendChild(v);
    if (o.extra) box.appendChild(el('div', 'extra', o.extra));
    if (o.progress !== undefined) {
      const bar = el('div', 'bar');
      const fill = el('div', 'fill');
      fill.style.width = Math.max(0, Math.min(100, o.progress)) + '%';
      bar.appendChild(fill);
      box.appendChild(bar);
    }
    return box;
  }

  // The figures of one site (or of the totals) as a list of metric boxes.
  function figures(s) {
    const list = el('div', 'metrics');
    const cap = num(s.capacity);
    list.appendChild(metric('onsite', t('onsite'), fmt(s.onsite),
        { extra: cap > 0 ? t('capacity') + ' ' + fmt(cap) : null }));
    list.appendChild(metric('entries_today', t('entries'), fmt(s.entriesToday)));
    list.appendChild(metric('denied_today', t('denied'), fmt(s.deniedToday)));
    list.appendChild(metric('fevers_today', t('fevers'), fmt(s.feversToday),
        { alert: num(s.feversToday) > 0 }));
    const total = num(s.householdsTotal);
    const surveyed = num(s.householdsSurveyed);
    const pct = total > 0 ? Math.round((surveyed * 100) / total) : 0;
    list.appendChild(metric('survey', t('survey'), fmt(surveyed) + ' / ' + fmt(total),
        { extra: t('households') + (total > 0 ? ' · ' + pct + '%' : ''), progress: pct }));
    list.appendChild(metric('tenants_pending', t('tenants'), fmt(s.tenantsPending)));
    list.appendChild(metric('under_observation', t('observation'), fmt(s.underObservation)));
    list.appendChild(metric('reports_missing_today', t('missing'), fmt(s.reportsMissingToday),
        { extra: t('reported') + ' ' + fmt(s.reportsToday) }));
    const tasks = metric('tasks', t('tasks'), fmt(s.tasksOpen) + ' / ' + fmt(s.tasksOverdue), {
      alert: num(s.tasksOverdue) > 0,
      extra: t('inProgress') + ' ' + fmt(s.tasksInProgress) + ' · ' + t('doneToday') + ' ' +
          fmt(s.tasksDoneToday),
    });
    list.appendChild(tasks);
    list.appendChild(metric('gates_without_guard', t('unguarded'), fmt(s.gatesWithoutGuard),
        { alert: num(s.gatesWithoutGuard) > 0 }));
    list.appendChild(metric('volunteers_on_duty', t('volunteers'), fmt(s.volunteersOnDuty), {
      alert: num(s.volunteersOverworked) > 0,
      extra: t('overworked') + ' ' + fmt(s.volunteersOverworked),
    }));
    return list;
  }

  function badge(text, kind) {
    return el('span', 'badge ' + (kind || 'badge-red'), text);
  }

  function renderAlerts(d) {
    const box = $('alerts');
    box.replaceChildren();
    let count = 0;
    (d.sites || []).forEach((s) => {
      const name = s.name || s.siteId;
      if (num(s.feversToday) > 0) {
        box.appendChild(badge(name + ' · ' + t('alertFever') + ' ' + fmt(s.feversToday)));
        count++;
      }
      if (num(s.tasksOverdue) > 0) {
        box.appendChild(badge(name + ' · ' + t('alertOverdue') + ' ' + fmt(s.tasksOverdue)));
        count++;
      }
      if (num(s.gatesWithoutGuard) > 0) {
        box.appendChild(badge(name + ' · ' + t('alertUnguarded') + ' ' +
            fmt(s.gatesWithoutGuard)));
        count++;
      }
      if (num(s.volunteersOverworked) > 0) {
        box.appendChild(badge(name + ' · ' + t('alertOverworked') + ' ' +
            fmt(s.volunteersOverworked)));
        count++;
      }
    });
    if (count === 0) box.appendChild(badge(t('noAlerts'), 'badge-ok'));
    box.setAttribute('data-alerts', String(count));
  }

  function renderWarnings(d) {
    const box = $('warnings');
    box.replaceChildren();
    if (d.source === 'SOURCE_SERVICES') box.appendChild(el('p', 'warn', t('warnServices')));
    const missing = d.incompleteSources || [];
    if (missing.length > 0) {
      box.appendChild(el('p', 'warn', t('warnIncomplete') +
          missing.map((m) => t('svc_' + m)).join('、')));
    }
    if (lastUpdateAt && Date.now() - lastUpdateAt > STALE_AFTER_MS) {
      box.appendChild(el('p', 'warn', t('warnStale')));
    }
  }

  function renderServices(d) {
    const list = $('services');
    list.replaceChildren();
    (d.services || []).forEach((s) => {
      const status = s.status || 'HEALTH_STATUS_UNSPECIFIED';
      const item = el('li', 'svc ' + (status === 'HEALTH_STATUS_SERVING' ? 'svc-ok' : 'svc-bad'));
      item.setAttribute('data-service', s.name);
      item.appendChild(el('span', 'svc-name', t('svc_' + s.name)));
      item.appendChild(el('span', 'svc-status', t('health_' + status)));
      if (status !== 'HEALTH_STATUS_UNSPECIFIED') {
        item.appendChild(el('span', 'svc-latency',
            Number(s.latencyMs || 0).toFixed(1) + ' ' + t('ms')));
      }
      list.appendChild(item);
    });
  }

  function render(d, fresh) {
    last = d;
    if (fresh) {
      lastUpdateAt = Date.now();
      window.lfDashboard.updates++;
    }
    const asOf = d.asOf ? new Date(d.asOf) : null;
    $('as-of').textContent = asOf ? asOf.toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en-GB',
        { hour12: false }) : '—';
    if (d.asOf) $('as-of').setAttribute('datetime', d.asOf);
    $('source').textContent = d.source === 'SOURCE_SERVICES' ? t('sourceServices') : t('sourceCache');
    $('source').className = d.source === 'SOURCE_SERVICES' ? 'src-degraded' : 'src-cache';
    $('date').textContent = d.date || '';

    renderWarnings(d);
    renderAlerts(d);

    const totals = $('totals');
    totals.replaceChildren(figures(d.totals || {}));

    const grid = $('sites');
    const cards = document.createDocumentFragment();
    (d.sites || []).forEach((s) => {
      const card = el('article', 'card');
      card.setAttribute('data-site', s.siteId);
      const head = el('header', 'card-head');
      head.appendChild(el('h3', null, s.name || s.siteId));
      head.appendChild(el('span', 'kind', t('kind_' + s.kind)));
      card.appendChild(head);
      if (num(s.feversToday) > 0 || num(s.tasksOverdue) > 0 || num(s.gatesWithoutGuard) > 0) {
        card.classList.add('card-alert');
      }
      card.appendChild(figures(s));
      cards.appendChild(card);
    });
    grid.replaceChildren(cards);
    renderServices(d);
  }

  // ---- supplies tile ----------------------------------------------------------------------
  function renderSupplies(tile) {
    supplies = tile;
    const grid = $('supplies');
    grid.replaceChildren();
    if (!tile.available) {
      grid.appendChild(el('p', 'warn', t('suppliesUnavailable')));
      return;
    }
    (tile.sites || []).forEach((s) => {
      const card = el('article', 'card');
      card.setAttribute('data-supplies-site', s.siteId);
      const head = el('header', 'card-head');
      head.appendChild(el('h3', null, s.siteName || s.siteId));
      card.appendChild(head);
      const low = s.low || [];
      if (low.length > 0) card.classList.add('card-alert');
      const lowBox = el('div', 'metric' + (low.length > 0 ? ' alert' : ''));
      lowBox.setAttribute('data-field', 'low_stock');
      lowBox.appendChild(el('div', 'label', t('lowStock')));
      if (low.length === 0) lowBox.appendChild(el('div', 'extra', t('noLowStock')));
      low.forEach((item) => {
        const line = el('div', 'low-item', (item.itemName || item.itemCode) + ' ' +
            fmt(item.quantity) + ' / ' + fmt(item.minStock) + ' ' + (item.unit || ''));
        line.setAttribute('data-item', item.itemCode);
        lowBox.appendChild(line);
      });
      const expiry = el('div', 'metric');
      expiry.setAttribute('data-field', 'nearest_expiry');
      expiry.appendChild(el('div', 'label', t('nearestExpiry')));
      expiry.appendChild(el('div', 'extra', s.nearestExpiry ?
          (s.nearestExpiry.itemName || s.nearestExpiry.itemCode) + ' ' + s.nearestExpiry.date :
          t('noExpiry')));
      const metrics = el('div', 'metrics');
      metrics.appendChild(lowBox);
      metrics.appendChild(expiry);
      card.appendChild(metrics);
      grid.appendChild(card);
    });
  }

  async function loadSupplies() {
    if (suppliesTimer) clearTimeout(suppliesTimer);
    suppliesTimer = setTimeout(loadSupplies, SUPPLIES_EVERY_MS);
    const res = await LFSession.authorized('/api/v1/dashboard/supplies', {cache: 'no-store'});
    if (!res.ok || !res.body) return;  // the dashboard's own requests report the session state
    window.lfDashboard.suppliesUpdates++;
    renderSupplies(res.body);
  }

  // ---- notices: each recent notice's read rate ------------------------------------------
  function renderNotices(list) {
    notices = list;
    const box = $('notices');
    box.replaceChildren();
    const items = list.notices || [];
    if (items.length === 0) box.appendChild(el('p', 'extra', t('noNotices')));
    items.forEach((n) => {
      const addressed = num(n.addressedCount);
      const rate = addressed > 0 ? Math.round((100 * num(n.readCount)) / addressed) : 0;
      const row = el('div', 'notice-rate');
      row.setAttribute('data-notice', n.noticeId);
      row.appendChild(el('span', 'notice-title', n.title));
      let text = t('readRate') + ' ' + fmt(n.readCount) + '/' + fmt(addressed) + ' (' + rate + '%)';
      if (n.requiresStudy) text += ' · ' + t('studiedRate') + ' ' + fmt(n.studiedCount);
      const figure = el('span', 'notice-figure', text);
      figure.setAttribute('data-field', 'read_rate');
      row.appendChild(figure);
      const bar = el('div', 'rate-bar');
      const fill = el('div', 'rate-fill');
      fill.style.width = rate + '%';
      bar.appendChild(fill);
      row.appendChild(bar);
      box.appendChild(row);
    });
  }

  async function loadNotices() {
    if (noticesTimer) clearTimeout(noticesTimer);
    noticesTimer = setTimeout(loadNotices, SUPPLIES_EVERY_MS);
    const res = await LFSession.authorized(
        '/api/v1/lianfang.dispatch.v1.DispatchService/ListNotices',
        {method: 'POST', headers: {'Content-Type': 'application/json'},
         body: JSON.stringify({pageSize: 8})});
    if (!res.ok || !res.body) return;
    window.lfDashboard.noticesUpdates++;
    renderNotices(res.body);
  }

  // The notices' read rates are for leaders and administrators (the role from /api/v1/me).
  async function showNoticesToManagers() {
    const who = await LFSession.authorized('/api/v1/me', {cache: 'no-store'});
    const role = who.ok && who.body ? who.body.role : '';
    const manager = role === 'leader' || role === 'admin';
    $('notices-section').hidden = !manager;
    if (manager && !noticesTimer) loadNotices();
  }

  // ---- contingency plans tile (leaders and administrators) -------------------------------
  // `tile`: {available, stale (plans not reviewed for 90 days), activations (newest first)}.
  function renderPlans(tile) {
    plans = tile;
    const section = $('plans');
    section.replaceChildren();
    if (!tile.available) {
      section.appendChild(el('p', 'warn', t('plansUnavailable')));
      return;
    }
    const stale = el('div', 'metric' + (tile.stale > 0 ? ' alert' : ''));
    stale.setAttribute('data-field', 'stale_plans');
    stale.appendChild(el('div', 'label', t('stalePlans')));
    stale.appendChild(el('div', 'value', fmt(tile.stale)));
    const head = el('div', 'metrics');
    head.appendChild(stale);
    section.appendChild(head);
    const running = tile.activations.filter((a) => !a.endedAt);
    if (running.length === 0) {
      section.appendChild(el('p', 'extra', t('noActivations')));
      return;
    }
    const cards = el('div', 'grid');
    running.forEach((a) => {
      const drill = a.mode === 'ACTIVATION_MODE_DRILL';
      const card = el('article', 'card');
      card.setAttribute('data-activation', a.activationId);
      const top = el('header', 'card-head');
      top.appendChild(el('h3', null, a.planName));
      top.appendChild(badge(t(drill ? 'drill' : 'real'), drill ? 'badge-ok' : 'badge-red'));
      card.appendChild(top);
      const done = el('div', 'metric');
      done.setAttribute('data-field', 'steps_done');
      done.appendChild(el('div', 'label', t('stepsDone')));
      done.appendChild(el('div', 'value', fmt(a.stepsDone) + ' / ' + fmt(a.stepsTotal)));
      const overdue = num(a.stepsOverdue);
      const late = el('div', 'metric' + (overdue > 0 ? ' alert' : ''));
      late.setAttribute('data-field', 'steps_overdue');
      late.appendChild(el('div', 'label', t('stepsOverdue')));
      late.appendChild(el('div', 'value', fmt(overdue)));
      if (overdue > 0) card.classList.add('card-alert');
      const metrics = el('div', 'metrics');
      metrics.appendChild(done);
      metrics.appendChild(late);
      card.appendChild(metrics);
      cards.appendChild(card);
    });
    section.appendChild(cards);
  }

  async function loadPlans() {
    if (plansTimer) clearTimeout(plansTimer);
    plansTimer = setTimeout(loadPlans, PLANS_EVERY_MS);
    const post = (method, request) => LFSession.authorized(DISPATCH_API + method, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(request),
      cache: 'no-store',
    });
    const [activations, stale] = await Promise.all([
      post('ListActivations', {pageSize: 50}),
      post('ListPlans', {staleOnly: true, pageSize: 500}),
    ]);
    if (activations.status === 403 || stale.status === 403) {
      // Not a leader or administrator: no plans tile, and no more asking.
      clearTimeout(plansTimer);
      plansTimer = null;
      return;
    }
    $('plans-title').hidden = false;
    $('plans').hidden = false;
    window.lfDashboard.plansUpdates++;
    if (!activations.ok || !stale.ok || !activations.body || !stale.body) {
      renderPlans({available: false});
      return;
    }
    renderPlans({
      available: true,
      activations: activations.body.activations || [],
      stale: (stale.body.plans || []).length,
    });
  }

  // ---- token and data flow --------------------------------------------------------------
  function showLogin(message) {
    closeStream();
    $('board').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
    const err = $('login-error');
    err.hidden = !message;
    err.textContent = message || '';
    setConnection('connIdle');
  }

  function showBoard() {
    $('login').hidden = true;
    $('board').hidden = false;
    $('logout').hidden = false;
  }

  function closeStream() {
    if (stream) {
      stream.close();
      stream = null;
    }
    if (retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = null;
    }
  }

  function retryLater(ms) {
    closeStream();
    retryTimer = setTimeout(start, ms);
  }

  function openStream() {
    closeStream();
    stream = LFSession.events('/api/v1/dashboard/events', {}, (d) => {
      render(d, true);
      setConnection('connLive');
    }, (state) => {
      if (state === 'live') setConnection('connLive');
      else if (state === 'reconnecting') setConnection('connReconnecting');
      else {
        // Refused (401, 403): check the session again with a plain request.
        setConnection('connReconnecting');
        retryLater(3000);
      }
    });
  }

  async function start() {
    retryTimer = null;
    const session = LFSession.get();
    if (!session || !session.accessToken) {
      location.replace(LFSession.signInUrl('/'));
      return;
    }
    if (LFSession.stale()) await LFSession.refresh();
    const res = await LFSession.authorized('/api/v1/dashboard', {cache: 'no-store'});
    if (res.status === 0) {
      setConnection('connError');
      retryLater(5000);
      return;
    }
    if (res.status === 401) {
      LFSession.clear();
      showLogin(t('errExpired'));
      return;
    }
    if (res.status === 403) {
      showLogin(t('errForbidden'));
      return;
    }
    if (!res.ok) {
      setConnection('connError');
      retryLater(5000);
      return;
    }
    showBoard();
    const role = (session.user && session.user.role) || '';
    $('people-link').hidden = !(role === 'ROLE_LEADER' || role === 'ROLE_ADMIN');
    render(res.body, true);
    openStream();
    loadSupplies();
    showNoticesToManagers();
    loadPlans();
  }

  function init() {
    document.querySelectorAll('button.lang').forEach((b) => {
      b.addEventListener('click', () => {
        lang = b.getAttribute('data-lang') === 'en' ? 'en' : 'zh';
        localStorage.setItem(LANG_KEY, lang);
        applyLanguage();
      });
    });
    $('logout').addEventListener('click', async () => {
      last = null;
      closeStream();
      await LFSession.signOut();
      location.replace(LFSession.signInUrl('/'));
    });
    LFSession.keepFresh({onEnded: () => showLogin(t('errExpired'))});
    setInterval(() => {
      if (last && lastUpdateAt && Date.now() - lastUpdateAt > STALE_AFTER_MS) renderWarnings(last);
    }, 5000);
    applyLanguage();
    start();
  }

  init();
})();
