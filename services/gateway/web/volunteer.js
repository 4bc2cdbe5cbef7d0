// The volunteer app (/volunteer): my team's tasks live (ListTasks, then WatchTasks), claim,
// start and complete with a note (a supply delivery: with the quantity issued, which is first
// issued from the site's stock, SuppliesService/IssueStock against the task, then noted as
// "已发放 N <unit>"); the door-to-door survey (household, residents, tenant
// verification, movements); the daily health report of a resident; the missing-reports list
// of my site; the notices addressed to me (LF.notices: unread badge on the tab, 我已阅读 /
// 我已学习); the initiatives (倡议) of my team's sites, each with "我承诺" until I have
// pledged to it (RecordPledge with its initiative_id, once per initiative).
'use strict';

(function () {
  const DISPATCH = 'lianfang.dispatch.v1.DispatchService';
  const SURVEY = 'lianfang.survey.v1.SurveyService';
  const SUPPLIES = 'lianfang.supplies.v1.SuppliesService';

  const DICT = {
    zh: {
      title: '志愿者', logout: '退出', tabTasks: '任务', tabSurvey: '摸排', tabHealth: '每日一报',
      tabMissing: '未报名单', myTasks: '我队任务', live: '实时', feedLive: '已连接',
      feedReconnecting: '重连中…', feedError: '中断，稍后重试', noTasks: '暂无任务',
      claim: '认领', start: '开始', complete: '完成', notePrompt: '完成情况说明：',
      completionNote: '完成说明', due: '截止', overdue: '已逾期',
      TASK_STATUS_OPEN: '待认领', TASK_STATUS_ASSIGNED: '已分配', TASK_STATUS_IN_PROGRESS: '进行中',
      TASK_STATUS_DONE: '已完成', TASK_STATUS_CANCELLED: '已取消',
      TASK_KIND_DISINFECTION: '消毒', TASK_KIND_DOOR_TO_DOOR_SURVEY: '入户摸排',
      TASK_KIND_TENANT_VERIFICATION: '租户核实', TASK_KIND_PUBLICITY: '宣传',
      TASK_KIND_SUPPLY_DELIVERY: '物资配送', TASK_KIND_GATE_DUTY: '协助值守',
      TASK_KIND_FEVER_FOLLOWUP: '发热随访', TASK_KIND_OTHER: '其他',
      PRIORITY_URGENT: '紧急', PRIORITY_HIGH: '高', PRIORITY_NORMAL: '普通', PRIORITY_LOW: '低',
      PRIORITY_UNSPECIFIED: '普通',
      household: '住户', site: '点位', building: '楼栋', unit: '单元', room: '房号', hhKind: '类型',
      HOUSEHOLD_KIND_OWNER_OCCUPIED: '自住', HOUSEHOLD_KIND_RENTED: '出租',
      HOUSEHOLD_KIND_DORMITORY: '宿舍', HOUSEHOLD_KIND_VACANT: '空置',
      landlordName: '房东姓名', landlordPhone: '房东电话', saveHousehold: '保存并标记已走访',
      currentHousehold: '当前住户', residents: '常住人口', idNumber: '身份证号', name: '姓名',
      phone: '电话', relation: '关系', isTenant: '租户', addResident: '登记',
      movement: '人员流动', fromRegion: '来自地区', arrivedOn: '到达日期', transport: '交通方式',
      note: '备注', saveMovement: '登记行程', healthReport: '每日健康报告', forResident: '居民',
      other: '其他人', date: '日期', temperature: '体温 (°C)', symptoms: '症状',
      SYMPTOM_FEVER: '发热', SYMPTOM_COUGH: '咳嗽', SYMPTOM_FATIGUE: '乏力',
      SYMPTOM_SHORTNESS_OF_BREATH: '气促', SYMPTOM_OTHER: '其他', submitReport: '提交',
      missingTitle: '今日未报', refresh: '刷新', report: '代报', noneMissing: '全部已报',
      TENANT_STATUS_PENDING: '待核实', TENANT_STATUS_VERIFIED: '已核实', TENANT_STATUS_REJECTED: '未通过',
      verify: '核实通过', reject: '不通过', verifyNote: '核实说明：',
      saved: '已保存。', householdFirst: '请先保存住户。', observationOpened: '已开始居家观察，至 ',
      reportSaved: '健康报告已提交。', feverRaised: '体温异常，已生成发热随访任务。',
      errNetwork: '网络不可用，请稍后重试。', errRole: '此账号不是志愿者账号。', errUnknown: '操作失败',
      item: '物资', issued: '已发放', issueAndComplete: '发放并完成', quantityNeeded: '请输入发放数量（正整数）。',
      issueFAILED_PRECONDITION: '发放未成功：超出本点位库存，或任务的点位、物资或状态不符。任务仍未完成。',
      issuePERMISSION_DENIED: '发放未成功：只能为分配给自己的配送任务发放物资。任务仍未完成。',
      issueINVALID_ARGUMENT: '发放未成功：数量或物资信息不正确。任务仍未完成。',
      issueNOT_FOUND: '发放未成功：物资或任务不存在。任务仍未完成。',
      issueUNAVAILABLE: '发放未成功：物资或调度服务暂不可用，请稍后重试。任务仍未完成。',
      issueOther: '发放未成功，任务仍未完成。',
      tabInitiatives: '倡议', initiativesTitle: '倡议与承诺', noInitiatives: '暂无倡议',
      pledge: '我承诺', pledged: '已承诺', pledgeText: '我承诺响应倡议，带头做好防控工作。',
      pledgedCount: '已承诺', partyPledged: '其中党员', pledgeDone: '承诺已记录。',
    },
    en: {
      title: 'Volunteer', logout: 'Sign out', tabTasks: 'Tasks', tabSurvey: 'Survey',
      tabHealth: 'Daily report', tabMissing: 'Missing reports', myTasks: "My team's tasks",
      live: 'Live', feedLive: 'connected', feedReconnecting: 'reconnecting…',
      feedError: 'interrupted, retrying', noTasks: 'No tasks', claim: 'Claim', start: 'Start',
      complete: 'Complete', notePrompt: 'What was done:', completionNote: 'Note', due: 'Due',
      overdue: 'overdue',
      TASK_STATUS_OPEN: 'open', TASK_STATUS_ASSIGNED: 'assigned', TASK_STATUS_IN_PROGRESS: 'in progress',
      TASK_STATUS_DONE: 'done', TASK_STATUS_CANCELLED: 'cancelled',
      TASK_KIND_DISINFECTION: 'Disinfection', TASK_KIND_DOOR_TO_DOOR_SURVEY: 'Door-to-door survey',
      TASK_KIND_TENANT_VERIFICATION: 'Tenant verification', TASK_KIND_PUBLICITY: 'Publicity',
      TASK_KIND_SUPPLY_DELIVERY: 'Supply delivery', TASK_KIND_GATE_DUTY: 'Gate duty',
      TASK_KIND_FEVER_FOLLOWUP: 'Fever follow-up', TASK_KIND_OTHER: 'Other',
      PRIORITY_URGENT: 'urgent', PRIORITY_HIGH: 'high', PRIORITY_NORMAL: 'normal', PRIORITY_LOW: 'low',
      PRIORITY_UNSPECIFIED: 'normal',
      household: 'Household', site: 'Site', building: 'Building', unit: 'Unit', room: 'Room',
      hhKind: 'Kind', HOUSEHOLD_KIND_OWNER_OCCUPIED: 'Owner-occupied', HOUSEHOLD_KIND_RENTED: 'Rented',
      HOUSEHOLD_KIND_DORMITORY: 'Dormitory', HOUSEHOLD_KIND_VACANT: 'Vacant',
      landlordName: 'Landlord name', landlordPhone: 'Landlord phone',
      saveHousehold: 'Save and mark visited', currentHousehold: 'Current household',
      residents: 'Residents', idNumber: 'ID number', name: 'Name', phone: 'Phone',
      relation: 'Relation', isTenant: 'Tenant', addResident: 'Register', movement: 'Movements',
      fromRegion: 'Arrived from', arrivedOn: 'Arrived on', transport: 'Transport', note: 'Note',
      saveMovement: 'Record movement', healthReport: 'Daily health report', forResident: 'Resident',
      other: 'Someone else', date: 'Date', temperature: 'Temperature (°C)', symptoms: 'Symptoms',
      SYMPTOM_FEVER: 'Fever', SYMPTOM_COUGH: 'Cough', SYMPTOM_FATIGUE: 'Fatigue',
      SYMPTOM_SHORTNESS_OF_BREATH: 'Short of breath', SYMPTOM_OTHER: 'Other', submitReport: 'Submit',
      missingTitle: 'Not reported today', refresh: 'Refresh', report: 'Report for them',
      noneMissing: 'Everyone has reported',
      TENANT_STATUS_PENDING: 'pending', TENANT_STATUS_VERIFIED: 'verified',
      TENANT_STATUS_REJECTED: 'rejected', verify: 'Verify', reject: 'Reject',
      verifyNote: 'Verification note:', saved: 'Saved.', householdFirst: 'Save the household first.',
      observationOpened: 'Home observation started, until ', reportSaved: 'Health report submitted.',
      feverRaised: 'Fever: a follow-up task was raised.',
      errNetwork: 'No network; try again later.', errRole: 'This is not a volunteer account.',
      errUnknown: 'Failed',
      item: 'Item', issued: 'Issued', issueAndComplete: 'Issue and complete',
      quantityNeeded: 'Enter the quantity issued (a whole number above 0).',
      issueFAILED_PRECONDITION: 'Not issued: beyond the stock of this site, or the task\'s ' +
          'site, item or state does not match. The task stays open.',
      issuePERMISSION_DENIED: 'Not issued: you may issue only for a delivery assigned to ' +
          'you. The task stays open.',
      issueINVALID_ARGUMENT: 'Not issued: the quantity or item is not valid. The task stays open.',
      issueNOT_FOUND: 'Not issued: unknown item or task. The task stays open.',
      issueUNAVAILABLE: 'Not issued: the supplies or dispatch service is unavailable; try ' +
          'again later. The task stays open.',
      issueOther: 'Not issued. The task stays open.',
      tabInitiatives: 'Initiatives', initiativesTitle: 'Initiatives and pledges',
      noInitiatives: 'No initiatives', pledge: 'I pledge', pledged: 'Pledged',
      pledgeText: '我承诺响应倡议，带头做好防控工作。', pledgedCount: 'Pledged',
      partyPledged: 'party members', pledgeDone: 'Your pledge is recorded.',
    },
  };

  const $ = (id) => document.getElementById(id);
  const t = (k) => LF.t(k);
  let me = null;
  let tasks = new Map();   // task_id -> Task
  // Each task's last change seen (an event of the feed or an answer), numbered in arrival
  // order: a list asked for before it is older and must not undo it.
  let changes = 0;
  const changedAt = new Map();  // task_id -> number of its last change
  let feed = null;
  let board = null;        // LF.notices of the notices tab
  let household = null;    // the household being surveyed
  let residents = [];
  let reportFor = null;    // {personKey, label} when reporting for a listed resident
  let items = new Map();   // item code -> Item of the supplies catalogue
  // task_id -> {requestId, quantity, issued, completeId}: a delivery being completed. The
  // issue's request id is kept for retries (a retry after a lost answer issues nothing twice)
  // until the quantity changes before anything was issued.
  const deliveries = new Map();
  const state = {events: 0, actions: 0};

  function say(text, bad) {
    const m = $('message');
    m.hidden = !text;
    m.textContent = text || '';
    m.className = 'message' + (bad ? ' error' : '');
  }

  async function act(service, method, request) {
    const res = await LF.call(service, method, Object.assign({requestId: LF.requestId()}, request));
    if (!res.ok) say(LF.errorText(res), true); else state.actions++;
    return res;
  }

  // ---- tasks ----
  function upsertTask(task) {
    if (!task || !task.taskId) return;
    tasks.set(task.taskId, task);
    changedAt.set(task.taskId, ++changes);
    renderTasks();
  }

  function renderTasks() {
    const list = $('tasks');
    list.textContent = '';
    const order = {TASK_STATUS_IN_PROGRESS: 0, TASK_STATUS_ASSIGNED: 1, TASK_STATUS_OPEN: 2,
                   TASK_STATUS_DONE: 3, TASK_STATUS_CANCELLED: 4};
    const all = Array.from(tasks.values()).filter((x) => x.status !== 'TASK_STATUS_CANCELLED');
    all.sort((a, b) => (order[a.status] - order[b.status]) ||
                       String(a.dueAt || '').localeCompare(String(b.dueAt || '')));
    if (all.length === 0) list.appendChild(LF.el('li', {class: 'muted', text: t('noTasks')}));
    all.forEach((task) => {
      const buttons = [];
      if (task.status === 'TASK_STATUS_OPEN') {
        buttons.push(LF.el('button', {type: 'button', class: 'claim', text: t('claim'),
                                      onclick: () => act(DISPATCH, 'ClaimTask', {taskId: task.taskId})
                                          .then((r) => r.ok && refreshTask(task.taskId))}));
      }
      if (task.status === 'TASK_STATUS_ASSIGNED') {
        buttons.push(LF.el('button', {type: 'button', class: 'start', text: t('start'),
                                      onclick: () => act(DISPATCH, 'StartTask', {taskId: task.taskId})
                                          .then((r) => r.ok && refreshTask(task.taskId))}));
      }
      let note = null;
      const delivery = isDelivery(task);
      const unfinished = task.status === 'TASK_STATUS_ASSIGNED' ||
                         task.status === 'TASK_STATUS_IN_PROGRESS';
      // A delivery is issued and completed once started (completing needs a started task, and
      // nothing must leave the stock for a task that then cannot be completed).
      if (task.status === 'TASK_STATUS_IN_PROGRESS' && delivery) {
        const pending = deliveries.get(task.taskId);
        const quantity = LF.el('input', {class: 'issued-quantity', type: 'number', min: '1',
                                         step: '1', inputmode: 'numeric', required: 'required',
                                         'aria-label': t('issued')});
        if (pending) quantity.value = String(pending.quantity);
        note = LF.el('label', {class: 'issued'}, [
          LF.el('span', {text: t('issued') + ' '}), quantity,
          LF.el('span', {class: 'unit', text: ' ' + unitOf(task)}),
        ]);
        buttons.push(LF.el('button', {type: 'button', class: 'complete primary',
                                      text: t('issueAndComplete'),
                                      onclick: () => completeDelivery(task, quantity.value)}));
      } else if (unfinished && !delivery) {
        note = LF.el('input', {class: 'note', maxlength: '200', placeholder: t('completionNote')});
        buttons.push(LF.el('button', {type: 'button', class: 'complete primary', text: t('complete'),
                                      onclick: () => act(DISPATCH, 'CompleteTask',
                                                         {taskId: task.taskId, note: note.value.trim()})
                                          .then((r) => r.ok && refreshTask(task.taskId))}));
      }
      const urgent = task.priority === 'PRIORITY_URGENT' || task.priority === 'PRIORITY_HIGH';
      list.appendChild(LF.el('li', {class: 'task status-' + task.status.toLowerCase() +
                                           (urgent ? ' urgent' : '') + (task.overdue ? ' overdue' : ''),
                                    'data-task': task.taskId, 'data-status': task.status}, [
        LF.el('div', {class: 'task-head'}, [
          LF.el('strong', {text: task.title}),
          LF.el('span', {class: 'badge', text: t(task.status)}),
        ]),
        LF.el('div', {class: 'muted', text: [t(task.kind), t(task.priority), task.location]
                                             .filter(Boolean).join(' · ')}),
        delivery ? LF.el('div', {class: 'item', 'data-item': task.itemCode,
                                 text: t('item') + ': ' + itemLabel(task)}) : null,
        task.details ? LF.el('div', {text: task.details}) : null,
        LF.el('div', {class: 'muted', text: task.dueAt ? t('due') + ' ' + LF.formatTime(task.dueAt) +
                                            (task.overdue ? ' · ' + t('overdue') : '') : ''}),
        task.completionNote ? LF.el('div', {class: 'muted', text: t('completionNote') + ': ' +
                                                          task.completionNote}) : null,
        note,
        buttons.length ? LF.el('div', {class: 'actions'}, buttons) : null,
      ]));
    });
  }

  // ---- supply deliveries ----
  function isDelivery(task) {
    return task.kind === 'TASK_KIND_SUPPLY_DELIVERY' && !!task.itemCode;
  }

  function unitOf(task) {
    const item = items.get(task.itemCode);
    return item ? item.unit : '';
  }

  function itemLabel(task) {
    const item = items.get(task.itemCode);
    return item ? item.name + '（' + item.unit + '）' : task.itemCode;
  }

  async function loadItems() {
    const res = await LF.call(SUPPLIES, 'ListItems', {});
    if (!res.ok) return;  // the code stands in for the name; the unit is left out of the note
    items = new Map((res.body.items || []).map((item) => [item.code, item]));
    renderTasks();
  }

  function issueError(res) {
    if (res.network || res.status === 0) return t('issueUNAVAILABLE');
    const code = (res.body && res.body.code) || '';
    const key = 'issue' + code;
    return t(key) !== key ? t(key) : t('issueOther');
  }

  // Issues the quantity from the task's site against the task, then completes the task with
  // the note "已发放 N <unit>". A refusal of the issue leaves the task open; a retry reuses the
  // request ids, so a lost answer never issues or completes twice.
  async function completeDelivery(task, value) {
    const quantity = Number(value);
    if (!Number.isInteger(quantity) || quantity < 1) return say(t('quantityNeeded'), true);
    let pending = deliveries.get(task.taskId);
    if (!pending || (!pending.issued && pending.quantity !== quantity)) {
      pending = {requestId: LF.requestId(), quantity: quantity, issued: false,
                 completeId: LF.requestId()};
      deliveries.set(task.taskId, pending);
    }
    if (!pending.issued) {
      const issue = await LF.call(SUPPLIES, 'IssueStock', {
        requestId: pending.requestId, siteId: task.siteId, itemCode: task.itemCode,
        quantity: pending.quantity, to: {taskId: task.taskId},
      });
      if (!issue.ok) return say(issueError(issue), true);
      pending.issued = true;
      state.actions++;
    }
    const unit = unitOf(task);
    const done = await LF.call(DISPATCH, 'CompleteTask', {
      requestId: pending.completeId, taskId: task.taskId,
      note: '已发放 ' + pending.quantity + (unit ? ' ' + unit : ''),
    });
    if (!done.ok) return say(LF.errorText(done), true);
    state.actions++;
    deliveries.delete(task.taskId);
    say('');
    refreshTask(task.taskId);
  }

  async function refreshTask(id) {
    const res = await LF.call(DISPATCH, 'GetTask', {taskId: id});
    if (res.ok) upsertTask(res.body);
  }

  async function loadTasks() {
    const asked = changes;
    let pageToken = '';
    for (let i = 0; i < 5; i++) {
      const res = await LF.call(DISPATCH, 'ListTasks', {pageSize: 200, pageToken: pageToken});
      if (!res.ok) { say(LF.errorText(res), true); return; }
      // A task that changed while the list was on its way is newer than the list (a claim
      // answered first, say); the live feed brings whatever follows.
      (res.body.tasks || []).forEach((task) => {
        if ((changedAt.get(task.taskId) || 0) <= asked) tasks.set(task.taskId, task);
      });
      pageToken = res.body.nextPageToken || '';
      if (!pageToken) break;
    }
    renderTasks();
  }

  function follow() {
    if (feed) feed.close();
    feed = LF.watch(DISPATCH, 'WatchTasks', {}, (event) => {
      state.events++;
      upsertTask(event.task);
    }, (s) => {
      $('feed-state').textContent =
          t(s === 'live' ? 'feedLive' : s === 'reconnecting' ? 'feedReconnecting' : 'feedError');
      if (s === 'live') loadTasks();  // catch up on what changed while disconnected
    });
  }

  // ---- survey ----
  function fillSites(sites) {
    document.querySelectorAll('select.site-select').forEach((select) => {
      select.textContent = '';
      sites.forEach((s) => select.appendChild(LF.el('option', {value: s.id, text: s.name})));
    });
  }

  async function saveHousehold(e) {
    e.preventDefault();
    const h = {
      siteId: $('hh-site').value, building: $('hh-building').value.trim(),
      unit: $('hh-unit').value.trim(), room: $('hh-room').value.trim(), kind: $('hh-kind').value,
      landlordName: $('hh-landlord').value.trim(), landlordPhone: $('hh-landlord-phone').value.trim(),
    };
    if (household && household.siteId === h.siteId && household.building === h.building &&
        household.unit === h.unit && household.room === h.room) {
      h.householdId = household.householdId;
    }
    const res = await act(SURVEY, 'UpsertHousehold', {household: h, surveyed: true});
    if (!res.ok) return;
    household = res.body;
    $('hh-current').textContent = [household.building, household.unit, household.room]
        .filter(Boolean).join('-');
    say(t('saved'));
    loadResidents();
  }

  async function loadResidents() {
    if (!household) return;
    const res = await LF.call(SURVEY, 'ListResidents', {
      siteId: household.siteId, householdId: household.householdId, pageSize: 100,
    });
    if (res.ok) residents = res.body.residents || [];
    else say(LF.errorText(res), true);
    renderResidents();
  }

  function renderResidents() {
    const list = $('residents');
    list.textContent = '';
    residents.forEach((r) => {
      const buttons = [];
      if (r.isTenant && r.tenantStatus === 'TENANT_STATUS_PENDING') {
        const verify = (outcome) => act(SURVEY, 'VerifyTenant', {
          residentId: r.residentId, outcome: outcome, note: window.prompt(t('verifyNote')) || '',
        }).then((res) => res.ok && loadResidents());
        buttons.push(LF.el('button', {type: 'button', text: t('verify'),
                                      onclick: () => verify('TENANT_STATUS_VERIFIED')}));
        buttons.push(LF.el('button', {type: 'button', text: t('reject'),
                                      onclick: () => verify('TENANT_STATUS_REJECTED')}));
      }
      list.appendChild(LF.el('li', {'data-resident': r.residentId}, [
        LF.el('span', {text: (r.name || r.nameMasked || '') + ' ' + (r.idMasked || '')}),
        LF.el('span', {class: 'muted', text: [r.relation, r.isTenant ? t('isTenant') + ' ' +
                                               t(r.tenantStatus) : ''].filter(Boolean).join(' · ')}),
        buttons.length ? LF.el('span', {class: 'actions'}, buttons) : null,
      ]));
    });
  }

  async function addResident(e) {
    e.preventDefault();
    if (!household) return say(t('householdFirst'), true);
    const person = {idNumber: $('rs-id').value.trim().toUpperCase(), name: $('rs-name').value.trim()};
    const phone = $('rs-phone').value.trim();
    if (phone) person.phone = phone;
    const res = await act(SURVEY, 'RegisterResident', {
      householdId: household.householdId, person: person,
      relation: $('rs-relation').value.trim(), isTenant: $('rs-tenant').checked,
    });
    if (!res.ok) return;
    ['rs-id', 'rs-name', 'rs-phone', 'rs-relation'].forEach((id) => { $(id).value = ''; });
    $('rs-tenant').checked = false;
    say(t('saved'));
    loadResidents();
  }

  async function saveMovement(e) {
    e.preventDefault();
    const person = {idNumber: $('mv-id').value.trim().toUpperCase()};
    const name = $('mv-name').value.trim();
    if (name) person.name = name;
    const res = await act(SURVEY, 'RecordMovement', {
      person: person, fromRegion: $('mv-region').value.trim(), arrivedOn: $('mv-date').value,
      transport: $('mv-transport').value.trim(), note: $('mv-note').value.trim(),
      siteId: $('hh-site').value,
    });
    if (!res.ok) return;
    ['mv-id', 'mv-name', 'mv-region', 'mv-transport', 'mv-note'].forEach((id) => { $(id).value = ''; });
    const obs = res.body.observation;
    say(obs && obs.endDate ? t('observationOpened') + obs.endDate : t('saved'));
  }

  // ---- daily health report ----
  function reportForResident(r) {
    reportFor = r ? {personKey: r.personKey, label: (r.name || r.nameMasked || '') + ' ' +
                                                     (r.idMasked || '')} : null;
    $('hr-resident-line').hidden = !reportFor;
    $('hr-identity').hidden = !!reportFor;
    $('hr-resident').textContent = reportFor ? reportFor.label : '';
  }

  async function submitReport(e) {
    e.preventDefault();
    const request = {
      date: $('hr-date').value, temperatureC: Number($('hr-temp').value),
      symptoms: Array.from(document.querySelectorAll('.symptoms input:checked')).map((c) => c.value),
      note: $('hr-note').value.trim(),
    };
    if (reportFor) {
      request.personKey = reportFor.personKey;
    } else {
      request.person = {idNumber: $('hr-id').value.trim().toUpperCase()};
      const name = $('hr-name').value.trim();
      if (name) request.person.name = name;
    }
    const res = await act(SURVEY, 'SubmitHealthReport', request);
    if (!res.ok) return;
    say(res.body.fever ? t('reportSaved') + ' ' + t('feverRaised') : t('reportSaved'), res.body.fever);
    ['hr-id', 'hr-name', 'hr-temp', 'hr-note'].forEach((id) => { $(id).value = ''; });
    document.querySelectorAll('.symptoms input').forEach((c) => { c.checked = false; });
    reportForResident(null);
    loadMissing();
  }

  // ---- initiatives ----
  let initiatives = [];
  let myVolunteerId = null;  // the calling volunteer's id (GetVolunteerRecord of itself)

  async function loadMyVolunteerId() {
    if (myVolunteerId || !me || me.role !== 'volunteer') return myVolunteerId;
    const today = LF.today();
    const res = await LF.call(DISPATCH, 'GetVolunteerRecord', {fromDate: today, toDate: today});
    if (res.ok && res.body.volunteerId) myVolunteerId = res.body.volunteerId;
    return myVolunteerId;
  }

  function renderInitiatives() {
    const list = $('initiatives');
    list.textContent = '';
    if (initiatives.length === 0) {
      list.appendChild(LF.el('li', {class: 'muted', text: t('noInitiatives')}));
      return;
    }
    initiatives.forEach((i) => {
      const figures = t('pledgedCount') + ' ' + (i.pledgedCount || 0) + ' · ' + t('partyPledged') +
          ' ' + (i.partyMembersPledged || 0);
      let action = null;
      if (i.pledgedByCaller) {
        action = LF.el('span', {class: 'badge badge-ok', text: t('pledged')});
      } else if (me && me.role === 'volunteer') {
        action = LF.el('button', {type: 'button', class: 'primary', text: t('pledge'),
                                  onclick: () => pledge(i)});
      }
      list.appendChild(LF.el('li', {'data-initiative': i.initiativeId}, [
        LF.el('strong', {text: i.title}),
        LF.el('p', {class: 'body', text: i.body}),
        LF.el('p', {class: 'muted', text: LF.formatTime(i.publishedAt) + ' · ' + figures}),
        action,
      ]));
    });
  }

  async function loadInitiatives() {
    const res = await LF.call(DISPATCH, 'ListInitiatives', {pageSize: 100});
    if (!res.ok) { say(LF.errorText(res), true); return; }
    initiatives = res.body.initiatives || [];
    renderInitiatives();
  }

  async function pledge(initiative) {
    const volunteerId = await loadMyVolunteerId();
    if (!volunteerId) { say(t('errRole'), true); return; }
    // One request id per volunteer and initiative: a retry after a lost answer records nothing
    // twice.
    const res = await LF.call(DISPATCH, 'RecordPledge', {
      requestId: 'pledge-' + initiative.initiativeId + '-' + volunteerId,
      volunteerId: volunteerId,
      text: t('pledgeText'),
      initiativeId: initiative.initiativeId,
    });
    if (!res.ok && !(res.body && res.body.code === 'ALREADY_EXISTS')) {
      say(LF.errorText(res), true);
      return;
    }
    state.actions++;
    say(t('pledgeDone'));
    await loadInitiatives();
  }

  // ---- missing reports ----
  async function loadMissing() {
    const res = await LF.call(SURVEY, 'ListMissingReports',
                              {siteId: $('ms-site').value, date: $('ms-date').value, pageSize: 200});
    const list = $('missing');
    list.textContent = '';
    if (!res.ok) { say(LF.errorText(res), true); return; }
    const rows = res.body.residents || [];
    if (rows.length === 0) list.appendChild(LF.el('li', {class: 'muted', text: t('noneMissing')}));
    rows.forEach((r) => list.appendChild(LF.el('li', {'data-resident': r.residentId}, [
      LF.el('span', {text: (r.name || r.nameMasked || '') + ' ' + (r.idMasked || '')}),
      LF.el('button', {type: 'button', text: t('report'), onclick: () => {
        reportForResident(r);
        $('hr-date').value = $('ms-date').value;
        showTab('health');
      }}),
    ])));
  }

  function showTab(name) {
    document.querySelectorAll('.tab').forEach((b) =>
        b.classList.toggle('active', b.getAttribute('data-tab') === name));
    document.querySelectorAll('.tabpane').forEach((p) => { p.hidden = p.id !== 'tab-' + name; });
    say('');
    if (name === 'missing') loadMissing();
    if (name === 'initiatives') loadInitiatives();
  }

  document.addEventListener('DOMContentLoaded', () => {
    LF.start(DICT, ['volunteer', 'leader', 'admin'], (who) => {
      me = who;
      fillSites(who.sites || []);
      const today = LF.today();
      $('hr-date').value = today;
      $('ms-date').value = today;
      $('mv-date').value = today;
      document.querySelectorAll('.tab').forEach((b) =>
          b.addEventListener('click', () => showTab(b.getAttribute('data-tab'))));
      $('household-form').addEventListener('submit', saveHousehold);
      $('resident-form').addEventListener('submit', addResident);
      $('movement-form').addEventListener('submit', saveMovement);
      $('health-form').addEventListener('submit', submitReport);
      $('hr-clear').addEventListener('click', () => reportForResident(null));
      $('ms-load').addEventListener('click', loadMissing);
      LF.onLang(() => { renderTasks(); renderResidents(); renderInitiatives(); });
      loadTasks();
      loadItems();
      follow();
      board = LF.notices($('notices'), $('notice-badge'));
    }, {offline: true});
  });

  // For tests and curious operators.
  window.lfVolunteer = {state: state, tasks: () => tasks, get me() { return me; },
                       get notices() { return board; }};
})();
