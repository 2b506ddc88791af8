// Zhitong's pages: forms post JSON to the API so errors name their field and
// nothing typed is lost; countdowns; the agent console's look-ups. No
// libraries, nothing from the internet.
(function () {
  'use strict';
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const zh = document.documentElement.lang !== 'en';

  async function api(method, url, body) {
    const res = await fetch(url, {
      method, credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await res.json(); } catch (_) { /* empty body */ }
    if (!res.ok) {
      const e = (data && data.error) || { message: (zh ? '请求失败：' : 'Request failed: ') + res.status };
      throw e;
    }
    return data;
  }

  // Show an API error next to its field (or on the form) and keep everything typed.
  function showError(form, err) {
    $$('.invalid', form).forEach((el) => el.classList.remove('invalid'));
    let field = err.field || '';
    if (/^units\[/.test(field)) field = 'lead';
    const input = field && form.querySelector(`[name="${CSS.escape(field)}"]`);
    const box = $('.error', form) || $('#form-error');
    if (box) box.textContent = err.message || String(err);
    if (input) { input.classList.add('invalid'); input.focus(); }
  }

  // ---- countdowns ----
  function tick() {
    const now = Date.now();
    $$('.countdown[data-deadline]').forEach((el) => {
      const d = Date.parse(el.dataset.deadline);
      if (!d) { el.textContent = ''; return; }
      let m = Math.round((d - now) / 60000);
      const late = m < 0; m = Math.abs(m);
      const text = (m >= 1440 ? Math.floor(m / 1440) + (zh ? '天' : 'd ') : '') +
        (Math.floor(m / 60) % 24) + (zh ? '小时' : 'h ') + (m % 60) + (zh ? '分' : 'm');
      el.textContent = late ? (zh ? '已超 ' : 'late by ') + text : (zh ? '剩余 ' : 'left ') + text;
    });
  }
  tick(); setInterval(tick, 30000);

  // ---- actions on a work order (case page and lists) ----
  const clearError = (form) => { const box = $('.error', form); if (box) box.textContent = ''; };

  $$('form.act').forEach((form) => form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(form);
    const action = form.dataset.action;
    const body = { action, version: Number(form.dataset.version) };
    const fd = new FormData(form);
    for (const [k, v] of fd.entries()) {
      if (k === 'lead' || k === 'assist') continue;
      if (v !== '') body[k] = v;
    }
    // Checkboxes are yes/no, whether ticked or not.
    $$('input[type=checkbox]', form).forEach((c) => { if (c.name !== 'assist') body[c.name] = c.checked; });
    if (action === 'dispatch') {
      const lead = fd.get('lead');
      const assist = fd.getAll('assist').filter((u) => u && u !== lead);
      if (lead) body.units = [lead].concat(assist);
      // Choosing a county to pass down to wins over the preselected (suggested) lead unit.
      if (body.jurisdiction) delete body.units;
    }
    if (body.until) body.until = body.until.length === 16 ? body.until + ':00+08:00' : body.until;
    const btn = $('button[type=submit]', form); if (btn) btn.disabled = true;
    try {
      await api('POST', `/api/v1/work-orders/${form.dataset.id}/actions`, body);
      // A handler who returned a case no longer sees it: back to the inbox, not to an error.
      if (form.dataset.then) location.href = form.dataset.then; else location.reload();
    } catch (err) { showError(form, err); if (btn) btn.disabled = false; }
  }));

  // ---- the unit picker: type to narrow the lead units and the assisting ones ----
  $$('input.unit-filter').forEach((box) => box.addEventListener('input', () => {
    const form = box.closest('form');
    const q = box.value.trim();
    $$('select.units option', form).forEach((o) => { o.hidden = !!q && !!o.value && !o.textContent.includes(q); });
    $$('fieldset.assist label', form).forEach((l) => { l.hidden = !!q && !l.textContent.includes(q); });
  }));

  // ---- generic admin forms ----
  $$('form.api').forEach((form) => form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(form);
    let body = JSON.parse(form.dataset.fixed || '{}');
    for (const el of $$('input, select, textarea', form)) {
      if (!el.name) continue;
      if (el.type === 'checkbox') body[el.name] = el.checked;
      else if (el.type === 'number') body[el.name] = el.value === '' ? null : Number(el.value);
      else if (el.name === 'links') {
        // One "title | url" per line.
        body.links = el.value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
          const i = l.lastIndexOf('|');
          return i < 0 ? { title: l, url: l } : { title: l.slice(0, i).trim(), url: l.slice(i + 1).trim() };
        });
      }
      else if (el.value !== '' || !el.name.match(/^(unit)$/)) body[el.name] = el.value;
    }
    if (form.dataset.day) body = { jurisdiction: body.jurisdiction, days: [{ date: body.date, name: body.name, off_day: body.off_day }] };
    try {
      const r = await api(form.dataset.method || 'POST', form.dataset.url, form.dataset.method === 'POST' && !form.dataset.fixed ? undefined : body);
      if (form.classList.contains('kb') && r && r.id) location.href = '/knowledge?id=' + r.id;
      else if (form.dataset.archive && r && r.id) location.href = '/reports/archive/' + r.id;
      else if (form.dataset.then) location.href = form.dataset.then;
      else location.reload();
    }
    catch (err) { showError(form, err); }
  }));

  // ---- nested JSON from "a.b" names, drafts kept in the browser ----
  function collect(form) {
    const out = {};
    for (const el of $$('input, select, textarea', form)) {
      if (!el.name || (el.type === 'radio' && !el.checked)) continue;
      const v = el.type === 'checkbox' ? el.checked : el.value.trim();
      const path = el.name.split('.');
      let o = out;
      while (path.length > 1) { const k = path.shift(); o = o[k] = o[k] || {}; }
      o[path[0]] = v;
    }
    return out;
  }
  function keepDraft(form) {
    const key = 'zhitong.draft.' + form.dataset.draft;
    try {
      const saved = JSON.parse(localStorage.getItem(key) || 'null');
      if (saved) for (const el of $$('input, select, textarea', form)) {
        if (!(el.name in saved)) continue;
        if (el.type === 'radio') el.checked = saved[el.name] === el.value;
        else if (el.type === 'checkbox') el.checked = !!saved[el.name];
        else el.value = saved[el.name];
      }
    } catch (_) { /* a broken draft is ignored */ }
    form.addEventListener('input', () => {
      const d = {};
      for (const el of $$('input, select, textarea', form)) {
        if (!el.name) continue;
        if (el.type === 'radio') { if (el.checked) d[el.name] = el.value; }
        else d[el.name] = el.type === 'checkbox' ? el.checked : el.value;
      }
      localStorage.setItem(key, JSON.stringify(d));
    });
    return () => localStorage.removeItem(key);
  }

  // ---- agent console ----
  const intake = $('#intake');
  if (intake) {
    const clearDraft = keepDraft(intake);
    let idem = 'web-' + Date.now() + '-' + Math.random().toString(36).slice(2);
    const line = $('#line'), jur = $('#jurisdiction');
    const syncLine = () => { const o = line.selectedOptions[0]; if (o && o.dataset.j) jur.value = o.dataset.j; };
    line.addEventListener('change', () => { syncLine(); preview(); });
    if (line.value) syncLine();

    async function preview() {
      const kind = (intake.querySelector('[name=kind]:checked') || {}).value;
      const q = new URLSearchParams({ kind, regular: $('#regular').checked, jurisdiction: jur.value });
      try {
        const d = await api('GET', '/api/v1/deadline?' + q);
        $('#preview').textContent = d.deadline ? d.deadline.replace('T', ' ').slice(0, 16) + '（' + d.policy.description + '）' : (zh ? '转12345，无办理时限' : 'to 12345, no deadline');
      } catch (_) { $('#preview').textContent = '—'; }
    }
    $$('[name=kind], #regular, #jurisdiction', intake).forEach((el) => el.addEventListener('change', preview));
    preview();

    const list = $('#lookup');
    let timer = null, found = [], active = -1;
    async function lookup(q) {
      if (q.length < 2) { list.hidden = true; return; }
      found = await api('GET', '/api/v1/enterprises?q=' + encodeURIComponent(q)).catch(() => []);
      list.innerHTML = '';
      found.forEach((e, i) => {
        const li = document.createElement('li');
        li.setAttribute('role', 'option'); li.dataset.i = i;
        li.textContent = `${e.name}  ${e.uscc || ''}  ${e.phone || ''}`;
        li.addEventListener('mousedown', (ev) => { ev.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      active = -1; list.hidden = found.length === 0;
    }
    async function choose(i) {
      const e = found[i]; if (!e) return;
      $('#uscc').value = e.uscc || ''; $('#ename').value = e.name || ''; $('#ephone').value = e.phone || ''; $('#econtact').value = e.contact || '';
      if (!$('#cname').value) $('#cname').value = e.contact || '';
      if (!$('#cphone').value) $('#cphone').value = e.phone || '';
      list.hidden = true;
      intake.dispatchEvent(new Event('input'));
      const page = await api('GET', `/api/v1/work-orders?enterprise=${e.id}&sort=-received_at&per_page=10`).catch(() => ({ items: [] }));
      const ul = $('#earlier'); ul.innerHTML = '';
      page.items.forEach((o) => {
        const li = document.createElement('li');
        const a = document.createElement('a'); a.href = '/cases/' + o.id; a.textContent = o.number;
        li.appendChild(a); li.append(` ${o.title}（${o.state_label}）`);
        ul.appendChild(li);
      });
      if (!page.items.length) ul.innerHTML = `<li class="muted">${zh ? '暂无' : 'None'}</li>`;
    }
    $$('[data-lookup]', intake).forEach((el) => {
      el.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => lookup(el.value.trim()), 200); });
      el.addEventListener('keydown', (ev) => {
        if (list.hidden) return;
        const items = $$('li', list);
        if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
          ev.preventDefault();
          active = (active + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
          items.forEach((li, i) => li.setAttribute('aria-selected', i === active));
        } else if (ev.key === 'Enter' && active >= 0) { ev.preventDefault(); choose(active); }
        else if (ev.key === 'Escape') list.hidden = true;
      });
      el.addEventListener('blur', () => setTimeout(() => { list.hidden = true; }, 150));
    });

    // ---- suggestions while typing: shown with their confidence, applied only when the agent clicks ----
    const orgData = JSON.parse(($('#org') || {}).textContent || '{}');
    let shown = {}, article = null, suggestTimer = null;
    const pct = (c) => Math.round(c * 100) + '%';
    const kindName = (code) => { const i = intake.querySelector(`[name=kind][value="${code}"]`); return i ? i.parentElement.textContent.trim() : code; };
    const topicName = (code) => { const o = $(`#topic option[value="${code}"]`); return o ? o.textContent : code; };
    const unitName = (code) => (orgData.units || {})[code] || code;
    function guessRow(label, list, name, apply) {
      const div = document.createElement('div'); div.className = 'guess';
      const b = document.createElement('b'); b.textContent = label + '：'; div.appendChild(b);
      if (!list.length) div.append(zh ? '—' : '—');
      list.forEach((g, i) => {
        const chip = document.createElement(apply ? 'button' : 'span');
        chip.className = 'chip' + (i === 0 ? ' top' : '');
        if (apply) { chip.type = 'button'; chip.title = zh ? '点击采用' : 'click to use'; chip.addEventListener('click', () => apply(g.code)); }
        chip.textContent = `${name(g.code)} ${pct(g.confidence)}`;
        div.appendChild(chip);
      });
      return div;
    }
    async function suggest() {
      const title = $('#title').value.trim(), content = $('#content').value.trim();
      if ((title + content).length < 4) return;
      let r;
      try { r = await api('POST', '/api/v1/suggestions', { title, content, enterprise_uscc: $('#uscc').value.trim() || null, topic: $('#topic').value || null }); }
      catch (_) { return; }
      shown = { kind: r.kind[0], topic: r.topic[0], unit: r.units[0] };
      const box = $('#s-guesses'); box.innerHTML = '';
      box.appendChild(guessRow(zh ? '类型' : 'Kind', r.kind, kindName, (c) => {
        const i = intake.querySelector(`[name=kind][value="${c}"]`); if (i) { i.checked = true; i.dispatchEvent(new Event('change', { bubbles: true })); intake.dispatchEvent(new Event('input')); }
      }));
      box.appendChild(guessRow(zh ? '类别' : 'Topic', r.topic, topicName, (c) => { $('#topic').value = c; intake.dispatchEvent(new Event('input')); }));
      box.appendChild(guessRow(zh ? '承办单位' : 'Unit', r.units, unitName, null));
      const ul = $('#s-similar'); ul.innerHTML = '';
      r.similar.forEach((h) => {
        const li = document.createElement('li');
        const a = document.createElement('a'); a.href = '/cases/' + h.id; a.target = '_blank'; a.innerHTML = h.title_html;
        li.append(h.number ? h.number + ' ' : ''); li.appendChild(a);
        if (h.repeat) { const t = document.createElement('span'); t.className = 'status s-overdue'; t.textContent = zh ? '重复诉求' : 'repeat'; li.append(' '); li.appendChild(t); }
        else if (h.same_enterprise) { const t = document.createElement('span'); t.className = 'status'; t.textContent = zh ? '同一企业' : 'same enterprise'; li.append(' '); li.appendChild(t); }
        ul.appendChild(li);
      });
      if (!r.similar.length) ul.innerHTML = `<li class="muted">${zh ? '暂无' : 'None'}</li>`;
      if (!$('#kb-q').value.trim()) showAnswers(r.knowledge);
    }
    $$('#title, #content', intake).forEach((el) => el.addEventListener('input', () => { clearTimeout(suggestTimer); suggestTimer = setTimeout(suggest, 400); }));

    // ---- the knowledge base, searched on the call; the answer used is linked to the case ----
    function showAnswers(hits) {
      const ul = $('#kb-list'); ul.innerHTML = '';
      hits.forEach((h) => {
        const li = document.createElement('li');
        const t = document.createElement('div'); t.innerHTML = h.title_html;
        if (h.expired) { const x = document.createElement('span'); x.className = 'status s-overdue'; x.textContent = zh ? '已过期' : 'expired'; t.append(' '); t.appendChild(x); }
        const p = document.createElement('p'); p.className = 'snippet'; p.innerHTML = h.snippet_html;
        li.appendChild(t); li.appendChild(p);
        if (!h.expired) {
          const b = document.createElement('button'); b.type = 'button'; b.textContent = zh ? '引用此答复' : 'Use this answer';
          b.addEventListener('click', async () => {
            const e = await api('GET', '/api/v1/knowledge/' + h.id).catch(() => null); if (!e) return;
            article = e.id;
            $('#answer-text').value = e.body;
            const c = $('#kb-chosen'); c.hidden = false; c.textContent = (zh ? '已引用：' : 'Using: ') + e.title + ' v' + e.version;
          });
          li.appendChild(b);
        }
        ul.appendChild(li);
      });
      if (!hits.length) ul.innerHTML = `<li class="muted">${zh ? '暂无' : 'None'}</li>`;
    }
    let kbTimer = null;
    $('#kb-q').addEventListener('input', () => {
      clearTimeout(kbTimer);
      kbTimer = setTimeout(async () => {
        const q = $('#kb-q').value.trim(); if (!q) return;
        const r = await api('GET', '/api/v1/search?scope=knowledge&per_page=5&q=' + encodeURIComponent(q)).catch(() => ({ items: [] }));
        showAnswers(r.items);
      }, 250);
    });

    function clearSidePanel() {
      const none = `<li class="muted">${zh ? '暂无' : 'None'}</li>`;
      $('#s-guesses').innerHTML = `<p class="muted">${zh ? '输入标题或内容后显示' : 'Shown once a title or content is typed'}</p>`;
      ['#s-similar', '#kb-list', '#earlier'].forEach((id) => { $(id).innerHTML = none; });
      $('#kb-q').value = '';
    }

    intake.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) intake.requestSubmit(); });
    intake.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = collect(intake);
      if (!body.line) delete body.line;
      if (!body.topic) delete body.topic;
      body.idempotency_key = idem;
      if (shown.kind || shown.topic || shown.unit) body.suggested = shown;
      const btn = $('button[type=submit]', intake); btn.disabled = true;
      try {
        const o = await api('POST', '/api/v1/work-orders', body);
        $('#form-error').textContent = '';
        $$('.invalid', intake).forEach((el) => el.classList.remove('invalid'));
        $('#created').hidden = false;
        // The number stays large at the top, to be read out to the caller.
        $('#created-number').textContent = o.number;
        const a = $('#created-link'); a.href = '/cases/' + o.id; a.textContent = `${o.number} ${o.title}`;
        $('#created-deadline').textContent = o.deadline ? (zh ? '办理时限 ' : 'due ') + o.deadline.replace('T', ' ').slice(0, 16) : o.state_label;
        const af = $('#answer-form');
        af.hidden = !(o.actions || []).includes('answer');
        af.dataset.id = o.id; af.dataset.version = o.version;
        clearDraft();
        intake.reset(); syncLine(); preview(); shown = {};
        idem = 'web-' + Date.now() + '-' + Math.random().toString(36).slice(2);
        // The side panel is for the next call, unless this one is answered on the spot from it.
        if (af.hidden) clearSidePanel(); else $('#answer-text').focus();
        window.scrollTo(0, 0);
      } catch (err) { showError(intake, err); }
      finally { btn.disabled = false; }
    });
    $('#answer-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const af = ev.target;
      try {
        const answer = { action: 'answer', version: Number(af.dataset.version), text: $('#answer-text').value };
        answer.follow_up = $('#answer-follow-up').checked;
        if (article) answer.article = article;
        const o = await api('POST', `/api/v1/work-orders/${af.dataset.id}/actions`, answer);
        af.hidden = true; $('#answer-text').value = ''; $('#answer-follow-up').checked = false;
        article = null; $('#kb-chosen').hidden = true;
        // Answered on the call: closed, unless a follow-up was asked for.
        $('#created-deadline').textContent = (zh ? '已答复 · ' : 'answered · ') + (zh ? o.state_label : o.state.replace(/_/g, ' '));
        clearSidePanel();
      } catch (err) { showError(af, err); }
    });
  }

  // ---- enterprise portal ----
  const portal = $('#portal');
  if (portal) {
    const clearDraft = keepDraft(portal);
    portal.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = collect(portal);
      body.enterprise = body.enterprise || {};
      body.enterprise.phone = (body.caller || {}).phone;
      body.enterprise.contact = (body.caller || {}).name;
      if (!body.topic) delete body.topic;
      try {
        const r = await api('POST', '/portal/api/submit', body);
        $('#r-number').textContent = r.number; $('#r-code').textContent = r.code;
        $('#r-track').href = `/portal/track?number=${encodeURIComponent(r.number)}&code=${encodeURIComponent(r.code)}`;
        $('#receipt').hidden = false; portal.hidden = true; clearDraft();
      } catch (err) { showError(portal, err); }
    });
  }
  const rate = $('#rate');
  if (rate) rate.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(rate);
    try {
      await api('POST', '/portal/api/rate', { number: rate.dataset.number, code: rate.dataset.code, rating: fd.get('rating') || '', note: fd.get('note') });
      location.reload();
    } catch (err) { showError(rate, err); }
  });
})();

// Printing without an inline handler (the Content-Security-Policy allows no inline script).
document.querySelectorAll('[data-print]').forEach((b) => b.addEventListener('click', () => window.print()));

// The second factor: ask for a new key and show it to type into an authenticator app.
(function () {
  const b = document.getElementById('totp-setup');
  if (!b) return;
  b.addEventListener('click', async () => {
    const r = await fetch('/api/v1/me/totp/setup', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    const v = await r.json();
    const p = document.getElementById('totp-secret');
    p.textContent = v.secret; p.title = v.url; p.hidden = false;
  });
})();

// The dashboard refreshes itself each minute while the box is ticked (a control, not a meta refresh: WCAG 2.2.1).
(function () {
  const box = document.getElementById('auto-refresh');
  if (!box) return;
  setInterval(() => { if (box.checked) location.reload(); }, Number(box.dataset.every || 60) * 1000);
})();
