// The operator console's pages: plain JavaScript, no library. Every call goes to the console's own server
// (/console/api/<service>/... for the services' operator APIs, /console/read/<service>/... for their public reads),
// which calls the service with the signed-in operator's credentials. Every change carries the session's CSRF token.
'use strict';

const state = { csrf: null, services: [] };

const view = () => document.getElementById('view');

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key.startsWith('on')) node.addEventListener(key.substring(2), value);
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function table(columns, rows, id) {
  return el('table', { id },
    el('thead', {}, el('tr', {}, columns.map(c => el('th', {}, c[0])))),
    el('tbody', {}, rows.map(row => el('tr', {}, columns.map(c => {
      const value = c[1](row);
      if (c[2] === 'reason' && typeof value === 'string' && value.length > 160) {
        // long reasons in full on hover, and in the dead letter's own panel
        return el('td', { class: c[2], title: value }, value.substring(0, 160) + '…');
      }
      return el('td', { class: c[2] }, value instanceof Node ? value : (value ?? ''));
    })))));
}

function pretty(text) {
  if (text === null || text === undefined) return '';
  try { return JSON.stringify(typeof text === 'string' ? JSON.parse(text) : text, null, 2); }
  catch (e) { return String(text); }
}

async function call(method, url, body) {
  const headers = { 'Accept': 'application/json' };
  if (method !== 'GET') {
    headers[state.csrf.header] = state.csrf.token;
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin' });
  if (response.status === 401 || response.redirected && response.url.includes('/login')) {
    window.location = '/login';
    throw new Error('signed out');
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
  if (!response.ok) {
    const detail = data && data.detail ? data.detail : (typeof data === 'string' ? data : response.statusText);
    const error = new Error(response.status + ' ' + detail);
    error.status = response.status;
    throw error;
  }
  return data;
}

const admin = (service, path, method = 'GET', body) => call(method, `/console/api/${service}/${path}`, body);
const read = (service, path) => call('GET', `/console/read/${service}/${path}`);

function message(text, kind = 'note', id) {
  return el('p', { class: kind, id }, text);
}

function time(value) {
  return value ? String(value).replace('T', ' ').replace('Z', ' UTC') : '';
}

// ---- dead letters and DEAD outbox rows, of every service

async function deadLetters(params) {
  const status = params.get('status') ?? 'PARKED';
  const source = params.get('source') ?? '';
  const only = params.get('service') ?? '';
  const services = only ? [only] : state.services;
  const controls = el('form', { class: 'controls', id: 'dead-letter-filter', onsubmit: e => {
      e.preventDefault();
      const form = new FormData(e.target);
      const query = new URLSearchParams([...form.entries()].filter(([, v]) => v));
      window.location.hash = '#/dead-letters?' + query.toString();
    } },
    el('label', {}, 'Service', el('select', { name: 'service' }, el('option', { value: '' }, 'all'),
      state.services.map(s => el('option', { value: s, selected: s === only ? 'selected' : null }, s)))),
    el('label', {}, 'Status', el('select', { name: 'status' },
      ['PARKED', 'SCHEDULED', 'REDRIVEN', 'REPLAYED', 'DISCARDED'].map(s =>
        el('option', { value: s, selected: s === status ? 'selected' : null }, s)))),
    el('label', {}, 'Source', el('select', { name: 'source' },
      [['', 'consumers and outbox'], ['consumer', 'consumers'], ['outbox', 'DEAD outbox rows']].map(([v, t]) =>
        el('option', { value: v, selected: v === source ? 'selected' : null }, t)))),
    el('button', { type: 'submit' }, 'Show'));
  const page = el('div', {}, el('h1', {}, 'Dead letters'), controls);
  view().replaceChildren(page);
  for (const service of services) {
    const section = el('section', { id: 'dead-letters-' + service }, el('h2', {}, service));
    page.append(section);
    try {
      const query = new URLSearchParams({ status, limit: '50' });
      if (source) query.set('source', source);
      const [listing, groups] = await Promise.all([
        admin(service, 'dead-letters/page?' + query),
        source === 'outbox' ? Promise.resolve([]) : admin(service, 'dead-letters/groups?status=' + status)]);
      if (groups.length) {
        section.append(el('h3', {}, 'By failure'), table([
          ['queue', g => g.queue], ['kind', g => g.failureKind], ['exception', g => g.exceptionClass],
          ['count', g => g.count], ['example reason', g => g.exampleReason, 'reason'],
          ['last failed', g => time(g.lastFailedAt)],
          ['', g => el('span', {},
            el('button', { type: 'button', class: 'bulk-replay', onclick: () => bulk(service, status, g, 'replay') }, 'Replay group…'), ' ',
            el('button', { type: 'button', class: 'bulk-discard', onclick: () => bulk(service, status, g, 'discard') }, 'Discard group…'))]],
          groups, 'groups-' + service));
      }
      section.append(message(`${listing.total} ${status} (${listing.consumer} from consumers, ${listing.outbox} outbox rows)`,
        'note', 'count-' + service));
      if (listing.items.length) {
        section.append(table([
          ['id', d => d.id], ['source', d => d.source], ['queue or exchange', d => d.queue ?? d.exchange],
          ['event', d => d.eventType], ['status', d => el('span', { class: 'status ' + d.status }, d.status)],
          ['reason', d => d.reason, 'reason'], ['attempts', d => d.attempts], ['failed', d => time(d.lastFailedAt ?? d.firstFailedAt)],
          ['', d => el('button', { type: 'button', class: 'inspect', 'data-id': d.id,
            onclick: () => inspect(service, d.id) }, 'Inspect')]], listing.items, 'list-' + service));
      }
    } catch (e) {
      section.append(message(e.message, 'error'));
    }
  }
}

async function inspect(service, id) {
  const panel = el('div', { class: 'panel', id: 'detail' }, message('Loading ' + id + '…'));
  document.getElementById('detail')?.remove();
  view().prepend(panel);
  const detail = await admin(service, 'dead-letters/' + encodeURIComponent(id));
  const summary = detail.summary;
  const reason = el('textarea', { id: 'decision-reason', placeholder: 'Why (kept in the audit trail)', maxlength: '1000' });
  const outcome = el('p', { id: 'decision-outcome' });
  const act = async action => {
    if (!reason.value.trim()) { outcome.className = 'error'; outcome.textContent = 'Say why first.'; return; }
    try {
      const done = await admin(service, `dead-letters/${encodeURIComponent(id)}/${action}`, 'POST', { reason: reason.value.trim() });
      outcome.className = 'ok';
      outcome.textContent = `${action === 'replay' ? 'Replayed' : 'Discarded'}: now ${done && done.status ? done.status : 'closed'}.`;
      await inspect(service, id);
    } catch (e) { outcome.className = 'error'; outcome.textContent = e.message; }
  };
  panel.replaceChildren(...[
    el('h2', {}, `${service}: ${summary.id}`),
    el('p', {}, el('span', { class: 'status ' + summary.status, id: 'detail-status' }, summary.status), ' ',
      summary.eventType ?? '', ' from ', summary.queue ?? summary.exchange ?? '', `, message ${summary.messageId}`),
    el('p', { class: 'reason' }, summary.reason),
    el('h3', {}, 'Body'), el('pre', { id: 'detail-body' }, pretty(detail.body)),
    el('h3', {}, 'Headers'), el('pre', {}, pretty(detail.headers)),
    detail.exception ? [el('h3', {}, 'Exception'), el('pre', {}, detail.exception)] : null,
    el('h3', {}, 'Audit trail'),
    detail.actions.length ? table([['when', a => time(a.at ?? a.actedAt)], ['action', a => a.action],
      ['operator', a => a.operator ?? a.actor], ['reason', a => a.reason ?? a.detail, 'reason']], detail.actions, 'audit')
      : message('No action yet.', 'note', 'audit'),
    ['PARKED', 'SCHEDULED', 'DEAD'].includes(summary.status) ? el('div', {}, reason,
      el('button', { type: 'button', id: 'replay', onclick: () => act('replay') }, 'Replay'), ' ',
      el('button', { type: 'button', id: 'discard', onclick: () => act('discard') }, 'Discard'), outcome)
      : outcome,
    el('p', {}, el('button', { type: 'button', onclick: () => panel.remove() }, 'Close'))].flat().filter(n => n));
}

async function bulk(service, status, group, action) {
  const why = window.prompt(`${action === 'replay' ? 'Replay' : 'Discard'} the dead letters of ${group.queue} failing with `
    + `${group.exceptionClass}? Say why (kept in the audit trail).`);
  if (!why || !why.trim()) return;
  const filter = { status, queue: group.queue, kind: group.failureKind, exceptionContains: group.exceptionClass,
    reason: why.trim() };
  try {
    // a dry run counts them first; the action then applies only if the count is still the same
    const dry = await admin(service, 'dead-letters/' + action, 'POST', { ...filter, dryRun: true });
    if (!window.confirm(`${dry.matched} match. ${action === 'replay' ? 'Replay' : 'Discard'} them?`)) return;
    const done = await admin(service, 'dead-letters/' + action, 'POST', { ...filter, dryRun: false, expected: dry.matched });
    window.alert(`${action === 'replay' ? 'Replayed' : 'Discarded'} ${done.done} of ${done.matched}.`);
  } catch (e) {
    window.alert(e.message);
  }
  route();
}

// ---- flagged payments and refunds

async function flagged() {
  const page = el('div', {}, el('h1', {}, 'Flagged payments and refunds'));
  view().replaceChildren(page);
  const outcome = el('p', { id: 'flagged-outcome' });
  page.append(outcome);
  const flags = await admin('payment', 'payments/flagged');
  const run = async (label, path) => {
    try {
      const answer = await admin('payment', path, 'POST');
      outcome.className = 'ok';
      outcome.textContent = `${label}: ${pretty(answer.outcome ?? answer.refund ?? answer)}`;
    } catch (e) { outcome.className = 'error'; outcome.textContent = e.message; }
  };
  page.append(el('h2', {}, 'Payments unknown after every query'),
    flags.payments.length ? table([['payment', p => p.payment_no], ['order', p => p.order_no],
      ['status', p => el('span', { class: 'status ' + p.status }, p.status)], ['queries', p => p.query_attempts],
      ['last answer', p => p.last_query_result, 'reason'], ['flagged', p => time(p.flagged_at)],
      ['', p => el('button', { type: 'button', onclick: () => run('Queried ' + p.payment_no,
        `payments/${encodeURIComponent(p.payment_no)}/query`) }, 'Query now')]], flags.payments, 'flagged-payments')
      : message('None.', 'note', 'flagged-payments'),
    el('h2', {}, 'Refunds not confirmed'),
    flags.refunds.length ? table([['refund', r => r.refund_no], ['payment', r => r.payment_no], ['amount', r => r.amount],
      ['attempts', r => r.attempts], ['last error', r => r.last_error, 'reason'], ['flagged', r => time(r.flagged_at)],
      ['', r => el('button', { type: 'button', onclick: () => run('Retried ' + r.refund_no,
        `refunds/${encodeURIComponent(r.refund_no)}/retry`) }, 'Retry now')]], flags.refunds, 'flagged-refunds')
      : message('None.', 'note', 'flagged-refunds'));
}

// ---- reconciliation

async function reconciliation() {
  const page = el('div', {}, el('h1', {}, 'Reconciliation'));
  view().replaceChildren(page);
  const [runs, open] = await Promise.all([admin('payment', 'reconciliations?limit=20'),
    admin('payment', 'reconciliations/differences?status=OPEN')]);
  page.append(el('h2', {}, 'Runs'), runs.length ? table([['run', r => r.id], ['day', r => r.statementDate],
    ['status', r => el('span', { class: 'status ' + r.status }, r.status)], ['lines', r => r.statementLines],
    ['differences', r => r.differences], ['repaired', r => r.repaired], ['held over', r => r.heldOver],
    ['by', r => r.triggeredBy], ['error', r => r.error, 'reason'], ['finished', r => time(r.finishedAt)]], runs, 'runs')
    : message('No run yet.', 'note', 'runs'));
  page.append(el('h2', {}, 'Open differences'));
  if (!open.length) { page.append(message('None open.', 'note', 'differences')); return; }
  page.append(table([['id', d => d.id], ['run', d => d.runId], ['kind', d => d.kind], ['trade', d => d.outTradeNo],
    ['refund', d => d.refundNo], ['ours', d => d.localView, 'reason'], ['channel', d => d.channelView, 'reason'],
    ['decision', d => {
      const decision = el('input', { maxlength: '1000', placeholder: 'decision', id: 'decision-' + d.id });
      const outcome = el('span');
      return el('span', {}, decision, el('button', { type: 'button', onclick: async () => {
        try {
          await admin('payment', `reconciliations/differences/${d.id}/resolve`, 'POST', { decision: decision.value });
          outcome.className = 'ok'; outcome.textContent = ' resolved';
        } catch (e) { outcome.className = 'error'; outcome.textContent = ' ' + e.message; }
      } }, 'Resolve'), outcome);
    }]], open, 'differences'));
}

// ---- one order across the services

async function orders(orderNo) {
  const form = el('form', { class: 'controls', id: 'order-form', onsubmit: e => {
      e.preventDefault();
      window.location.hash = '#/orders/' + encodeURIComponent(new FormData(e.target).get('orderNo').trim());
    } },
    el('label', {}, 'Order number', el('input', { name: 'orderNo', value: orderNo ?? '', maxlength: '64', required: 'required' })),
    el('button', { type: 'submit' }, 'Show'));
  const page = el('div', {}, el('h1', {}, 'Order timeline'), form);
  view().replaceChildren(page);
  if (!orderNo) return;
  const entries = [];
  const add = (at, service, what, detail) => { if (at) entries.push({ at, service, what, detail }); };
  const order = await read('order', 'orders/' + encodeURIComponent(orderNo));
  page.append(el('p', { id: 'order-summary' }, `${order.orderNo}: `, el('span', { class: 'status ' + order.status }, order.status),
    order.amount !== null ? ` ${order.amount} ${order.currency}` : '', order.cancelReason ? ` (${order.cancelReason})` : '',
    order.paymentAlert ? ` ALERT ${order.paymentAlert}` : ''));
  add(order.createdAt, 'order', 'placed', `${order.userId}: ${order.items.map(i => i.quantity + ' × ' + i.sku).join(', ')}`);
  add(order.payDeadline, 'order', 'payment deadline shown', '');
  const published = {};
  await Promise.all(state.services.map(async service => {
    try { published[service] = await admin(service, 'events/published?aggregateId=' + encodeURIComponent(orderNo)); }
    catch (e) { published[service] = []; add(new Date().toISOString(), service, 'events unreadable', e.message); }
  }));
  const ids = Object.values(published).flat().map(e => e.messageId);
  const handled = {};
  if (ids.length) {
    await Promise.all(state.services.map(async service => {
      try { handled[service] = await admin(service, 'events/handled?' + ids.map(i => 'messageId=' + encodeURIComponent(i)).join('&')); }
      catch (e) { handled[service] = []; }
    }));
  }
  for (const [service, events] of Object.entries(published)) {
    for (const e of events) {
      add(e.createdAt, service, `${e.eventType} written`, `message ${e.messageId}, ${e.status}${e.attempts ? ', ' + e.attempts + ' attempts' : ''}${e.lastError ? ': ' + e.lastError : ''}`);
      add(e.sentAt, service, `${e.eventType} published`, `message ${e.messageId}`);
    }
  }
  for (const [service, rows] of Object.entries(handled)) {
    for (const h of rows) add(h.handledAt, service, 'handled ' + h.consumer, `message ${h.messageId}`);
  }
  try {
    const reservation = await admin('inventory', 'reservations/' + encodeURIComponent(orderNo));
    add(reservation.createdAt, 'inventory', 'reservation made',
      reservation.lines.map(l => `${l.quantity} × ${l.sku} at ${l.unitPrice}`).join(', ') + (reservation.reason ? ' ' + reservation.reason : ''));
    if (reservation.updatedAt !== reservation.createdAt) add(reservation.updatedAt, 'inventory', 'reservation now ' + reservation.status, '');
  } catch (e) { if (e.status !== 404) add(new Date().toISOString(), 'inventory', 'reservation unreadable', e.message); }
  const payments = await read('payment', 'payments?orderNo=' + encodeURIComponent(orderNo));
  for (const p of payments) {
    add(p.createdAt, 'payment', 'payment ' + p.paymentNo + ' created', `${p.amount} ${p.currency}, now ${p.status}`);
    add(p.paidAt, 'payment', 'payment ' + p.paymentNo + ' paid', p.channelTradeNo ? 'trade ' + p.channelTradeNo : '');
    if (p.refund) add(p.refund.refundedAt, 'payment', 'refund ' + p.refund.refundNo + ' ' + p.refund.status, String(p.refund.amount));
    try {
      for (const x of await admin('payment', 'payments/' + encodeURIComponent(p.paymentNo) + '/exchanges')) {
        add(x.startedAt, 'payment', `channel ${x.direction} ${x.method} ${x.endpoint}`,
          `${x.responseStatus ?? ''} in ${x.durationMs} ms${x.error ? ': ' + x.error : ''}`);
      }
    } catch (e) { add(p.createdAt, 'payment', 'exchange log unreadable', e.message); }
  }
  entries.sort((a, b) => String(a.at).localeCompare(String(b.at)));
  page.append(table([['when', e => time(e.at)], ['service', e => e.service], ['what', e => e.what],
    ['detail', e => e.detail, 'reason']], entries, 'timeline'));
}

// ---- routing

async function route() {
  const hash = window.location.hash || '#/dead-letters';
  const [path, query] = hash.substring(1).split('?');
  const params = new URLSearchParams(query ?? '');
  document.querySelectorAll('header nav a').forEach(a =>
    a.classList.toggle('active', path.startsWith(a.getAttribute('href').substring(1))));
  try {
    if (path.startsWith('/flagged')) await flagged();
    else if (path.startsWith('/reconciliation')) await reconciliation();
    else if (path.startsWith('/orders')) await orders(decodeURIComponent(path.substring('/orders/'.length)) || null);
    else await deadLetters(params);
  } catch (e) {
    view().append(message(e.message, 'error', 'page-error'));
  }
}

async function start() {
  const session = await call('GET', '/console/session');
  state.csrf = session.csrf;
  state.services = session.services;
  document.getElementById('operator').textContent = session.operator;
  document.getElementById('sign-out').addEventListener('click', async () => {
    await fetch('/logout', { method: 'POST', headers: { [state.csrf.header]: state.csrf.token }, credentials: 'same-origin' });
    window.location = '/login?signed-out';
  });
  window.addEventListener('hashchange', route);
  await route();
}

start();
