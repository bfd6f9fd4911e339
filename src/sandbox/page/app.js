// The sandbox page: a small Slack-like channel over the fake Web API. Plain browser JavaScript, no framework.
import { $, attr, esc, renderFiles, viewFile } from './files.js';

const state = { users: [], usergroups: {}, channel: null, messages: new Map(), thread: null, modal: null };
const me = () => $('user').value;
// This page's token: the sandbox answers its API only with it (another site cannot read it from the page).
const token = document.querySelector('meta[name="sandbox-token"]').content;

const nameOf = (id) => state.users.find((u) => u.id === id)?.name ?? id;

/** Slack mrkdwn → HTML (the subset the bot uses). Input arrives escaped (&lt; &gt; &amp;) as Slack sends it. */
function mrkdwn(text) {
  const blocks = [];
  let html = text.replace(/```([\s\S]*?)```/g, (_, code) => {
    blocks.push(`<pre>${code}</pre>`);
    return `\u0000${blocks.length - 1}\u0000`;
  });
  html = html
    .replace(/<([^<>]*)>/g, (_, inner) => {
      if (inner.startsWith('@')) return `<span class="mention">@${esc(nameOf(inner.slice(1)))}</span>`;
      if (inner.startsWith('!subteam^')) return `<span class="mention">@${esc(inner.slice(9))}</span>`;
      const [url, label] = inner.split('|');
      return `<a href="${url}">${label ?? url}</a>`;
    })
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_/g, '$1<i>$2</i>');
  return html.replace(/\u0000(\d+)\u0000/g, (_, i) => blocks[Number(i)]);
}

function renderBlocks(message) {
  const out = [];
  const blocks = message.blocks?.length
    ? message.blocks
    : message.text || !message.files?.length
      ? [{ type: 'section', text: { type: 'mrkdwn', text: message.text } }]
      : [];
  for (const b of blocks) {
    if (b.type === 'section') {
      if (b.text) out.push(`<div class="section">${mrkdwn(b.text.text)}</div>`);
      if (b.fields)
        out.push(`<div class="fields">${b.fields.map((f) => `<div>${mrkdwn(f.text)}</div>`).join('')}</div>`);
    } else if (b.type === 'header') out.push(`<h3>${esc(b.text.text)}</h3>`);
    else if (b.type === 'context')
      out.push(`<div class="context">${b.elements.map((e) => mrkdwn(e.text ?? '')).join(' ')}</div>`);
    else if (b.type === 'divider') out.push('<hr />');
    else if (b.type === 'table')
      out.push(
        `<table class="checks">${b.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c.text ?? '')}</td>`).join('')}</tr>`).join('')}</table>`,
      );
    else if (b.type === 'actions')
      out.push(
        `<div class="actions">${b.elements
          .filter((e) => e.type === 'button')
          .map(
            (e) =>
              `<button type="button" class="${attr(e.style ?? '')}" data-action="${attr(e.action_id)}" data-value="${attr(e.value ?? '')}" data-ts="${attr(message.ts)}" data-confirm="${e.confirm ? attr(e.confirm.text.text) : ''}">${esc(e.text.text)}</button>`,
          )
          .join('')}</div>`,
      );
  }
  return out.join('') + renderFiles(message);
}

function messageItem(m, inThread) {
  const li = document.createElement('li');
  li.className = `message${m.visibleTo ? ' ephemeral' : ''}`;
  li.dataset.ts = m.ts;
  const replies = inThread
    ? []
    : [...state.messages.values()].filter((r) => r.threadTs === m.ts && visible(r));
  const time = new Date(Number(m.ts.split('.')[0]) * 1000).toISOString().slice(11, 16);
  li.innerHTML = `<div class="avatar">${m.visibleTo ? 'MG' : 'MG'}</div><div class="body">
    <span class="author">migration-gate</span><span class="meta">${time}</span>${m.edited ? ' <span class="edited">(edited)</span>' : ''}
    ${broadcastLine(m, inThread)}
    ${renderBlocks(m)}
    ${replies.length ? `<button type="button" class="replies" data-thread="${m.ts}">${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}</button>` : ''}
  </div>`;
  return li;
}

const visible = (m) => !m.visibleTo || m.visibleTo === me();

/** A thread reply sent with reply_broadcast shows in the channel too, as in Slack: each place says so. */
function broadcastLine(m, inThread) {
  if (!m.threadTs || !m.broadcast) return '';
  if (inThread) return '<div class="broadcast">Also sent to the channel</div>';
  const parent = state.messages.get(m.threadTs)?.text ?? 'a message';
  const summary = parent.length > 80 ? `${parent.slice(0, 79)}…` : parent;
  return `<div class="broadcast">replied to a thread: <button type="button" class="thread-link" data-thread="${attr(m.threadTs)}">${esc(summary)}</button></div>`;
}

function render() {
  const all = [...state.messages.values()].filter(visible).sort((a, b) => (a.ts < b.ts ? -1 : 1));
  const list = $('messages');
  const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 40;
  list.replaceChildren(...all.filter((m) => !m.threadTs || m.broadcast).map((m) => messageItem(m, false)));
  if (stick) list.scrollTop = list.scrollHeight;
  if (state.thread) {
    const parent = state.messages.get(state.thread);
    const replies = all.filter((m) => m.threadTs === state.thread);
    $('thread-messages').replaceChildren(
      ...[parent, ...replies].filter(Boolean).map((m) => messageItem(m, true)),
    );
  }
}

/** A line only this page shows, as Slack shows its own notices. */
function notice(text) {
  state.messages.set(`local.${Date.now()}`, {
    ts: `${Date.now() / 1000}`,
    channel: state.channel?.id ?? '',
    text,
    blocks: [],
    visibleTo: me(),
  });
  render();
}
const RELOAD = 'The sandbox refused this page (it was restarted, or the page is stale): reload the page.';

async function post(path, body) {
  const r = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-sandbox-token': token },
    body: JSON.stringify(body),
  });
  if (r.status === 403) notice(RELOAD);
  return r.json();
}

function openModal(view) {
  state.modal = view;
  $('modal-title').textContent = view.title?.text ?? '';
  $('modal-submit').textContent = view.submit?.text ?? 'Submit';
  $('modal-error').textContent = '';
  $('modal-body').innerHTML = view.blocks
    .filter((b) => b.type === 'input')
    .map(
      (b) => `<label>${esc(b.label.text)}<textarea name="${attr(b.block_id)}" required></textarea></label>`,
    )
    .join('');
  $('modal').showModal();
}

document.addEventListener('click', async (e) => {
  const t = e.target;
  if (!(t instanceof HTMLElement)) return;
  if (t.dataset.viewFile) await viewFile(t.dataset.viewFile, t.dataset.title, t.dataset.mime);
  else if (t.dataset.thread) {
    state.thread = t.dataset.thread;
    $('thread').hidden = false;
    render();
  } else if (t.dataset.action) {
    if (t.dataset.confirm && !window.confirm(t.dataset.confirm)) return;
    const m = state.messages.get(t.dataset.ts);
    await post('/sandbox/action', {
      user: me(),
      channel: m.channel,
      ts: t.dataset.ts,
      actionId: t.dataset.action,
      value: t.dataset.value,
    });
  }
});

$('close-thread').addEventListener('click', () => {
  state.thread = null;
  $('thread').hidden = true;
});
$('modal-close').addEventListener('click', () => $('modal').close());
$('file-close').addEventListener('click', () => $('file-viewer').close());
$('modal-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const values = Object.fromEntries(new FormData($('modal-form')).entries());
  const r = await post('/sandbox/submit', { user: me(), view: state.modal, values });
  const errors = r.body ? JSON.parse(r.body || '{}').errors : undefined;
  if (errors) $('modal-error').textContent = Object.values(errors).join(' ');
  else $('modal').close();
});
$('composer').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('text').value.trim();
  if (!text) return;
  const m = /^\/deploy-migration\s*(.*)$/s.exec(text);
  $('text').value = '';
  if (!m) return notice('Only `/deploy-migration …` works here.');
  await post('/sandbox/command', { user: me(), text: m[1] });
});
$('user').addEventListener('change', () => {
  localStorage.setItem('sandbox-user', me());
  render();
});

async function start() {
  const r = await fetch('/sandbox/state', { headers: { 'x-sandbox-token': token } });
  if (!r.ok) {
    document.body.prepend(
      Object.assign(document.createElement('p'), { className: 'error', textContent: RELOAD }),
    );
    return;
  }
  const s = await r.json();
  Object.assign(state, { users: s.users, usergroups: s.usergroups, channel: s.channel });
  $('channel-name').textContent = s.channel.name;
  $('channel-title').textContent = s.channel.name;
  $('user').innerHTML = s.users.map((u) => `<option value="${u.id}">${esc(u.name)}</option>`).join('');
  $('user').value = localStorage.getItem('sandbox-user') ?? s.users[0].id;
  for (const m of s.messages) state.messages.set(m.ts, m);
  render();
  const events = new EventSource(`/sandbox/events?token=${encodeURIComponent(token)}`);
  // A refused reconnect (the sandbox restarted: this page's token is no longer valid) closes the stream.
  events.addEventListener('error', () => {
    if (events.readyState === EventSource.CLOSED) notice(RELOAD);
  });
  events.addEventListener('message', (e) => {
    const m = JSON.parse(e.data);
    state.messages.set(m.ts, m);
    render();
  });
  events.addEventListener('modal', (e) => {
    const { user, view } = JSON.parse(e.data);
    if (user === me()) openModal(view);
  });
}

start();
