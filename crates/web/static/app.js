// Zhitong's pages: forms post JSON to the API so errors name their field and
// nothing typed is lost; countdowns; the agent console's look-ups. No
// libraries, nothing from the internet.
(function () {
  'use strict';
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  // The page's words, from the catalogue (crates/web/src/i18n.rs): the script has none of its own.
  const W = JSON.parse(($('#words') || {}).textContent || '{}');
  const fill = (word, values) => word.replace(/\{(\w+)\}/g, (_, k) => values[k]);
  // What people wrote and names from the database are declared Chinese, as the templates do.
  const asData = (el) => { el.lang = 'zh-CN'; return el; };
  const dataSpan = (text) => { const s = asData(document.createElement('span')); s.textContent = text; return s; };
  const noneItem = () => { const li = document.createElement('li'); li.className = 'muted'; li.textContent = W.none; return li; };
  const stateName = (code) => (W.states || {})[code] || code;
  // A deadline policy as `Lang::policy` words it in Rust (the domain's `SlaPolicy::describe`).
  const policyWords = (p) => {
    const m = p.minutes;
    const amount = m % 1440 === 0 && p.clock === 'natural' ? fill(W.n_days, { n: m / 1440 })
      : m % 60 === 0 ? fill(W.n_hours, { n: m / 60 }) : fill(W.n_minutes, { n: m });
    return amount + W.open_paren + ((W.clocks || {})[p.clock] || p.clock) + W.close_paren;
  };

  async function api(method, url, body) {
    const res = await fetch(url, {
      method, credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await res.json(); } catch (_) { /* empty body */ }
    if (!res.ok) {
      const e = (data && data.error) || { message: W.request_failed + res.status };
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
    if (box) {
      box.textContent = err.message || String(err);
      // The API's messages are Chinese; the script's own are in the page's language.
      if (err.code) box.lang = 'zh-CN'; else box.removeAttribute('lang');
    }
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
      const text = (m >= 1440 ? Math.floor(m / 1440) + W.days_short : '') +
        (Math.floor(m / 60) % 24) + W.hours_short + (m % 60) + W.minutes_short;
      el.textContent = (late ? W.late_by : W.time_left) + text;
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

  // ---- a holiday notice's file (the shipped JSON or holiday-cn's), imported as it is ----
  $$('form.calendar-import').forEach((form) => form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(form);
    const file = form.querySelector('input[type=file]').files[0];
    if (!file) return;
    let body;
    try { body = JSON.parse(await file.text()); }
    catch (_) { showError(form, { message: W.calendar_file_bad, field: 'file' }); return; }
    try { await api('POST', form.dataset.url, body); location.reload(); }
    catch (err) { showError(form, err); }
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
    // A draft never carries a call: the call it was typed for has ended.
    $('#call-id').value = '';
    let idem = 'web-' + Date.now() + '-' + Math.random().toString(36).slice(2);
    const line = $('#line'), jur = $('#jurisdiction');
    const syncLine = () => { const o = line.selectedOptions[0]; if (o && o.dataset.j) jur.value = o.dataset.j; };
    line.addEventListener('change', () => { syncLine(); preview(); });
    if (line.value) syncLine();

    async function preview() {
      const kind = (intake.querySelector('[name=kind]:checked') || {}).value;
      const urgency = (intake.querySelector('[name=urgency]:checked') || {}).value || 'normal';
      const q = new URLSearchParams({ kind, urgency, regular: $('#regular').checked, jurisdiction: jur.value });
      try {
        const d = await api('GET', '/api/v1/deadline?' + q);
        $('#preview').textContent = d.deadline ? d.deadline.replace('T', ' ').slice(0, 16) + W.open_paren + policyWords(d.policy) + W.close_paren : W.to_12345;
      } catch (_) { $('#preview').textContent = '—'; }
    }
    $$('[name=kind], [name=urgency], #regular, #jurisdiction', intake).forEach((el) => el.addEventListener('change', preview));
    preview();

    const list = $('#lookup');
    let timer = null, found = [], active = -1;
    async function lookup(q) {
      if (q.length < 2) { list.hidden = true; return; }
      found = await api('GET', '/api/v1/enterprises?q=' + encodeURIComponent(q)).catch(() => []);
      list.innerHTML = '';
      found.forEach((e, i) => {
        const li = document.createElement('li');
        li.setAttribute('role', 'option'); li.dataset.i = i; asData(li);
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
        li.append(a, ' ', dataSpan(o.title), W.open_paren + stateName(o.state) + W.close_paren);
        ul.appendChild(li);
      });
      if (!page.items.length) ul.replaceChildren(noneItem());
      // The enterprise's calls as well as its cases.
      if (e.phone) {
        const calls = await api('GET', '/api/v1/calls?per_page=5&caller=' + encodeURIComponent(e.phone)).catch(() => ({ items: [] }));
        if (calls.items.length && !page.items.length) ul.replaceChildren();
        calls.items.forEach((c) => ul.appendChild(earlierCall({ ...c, called_back: !!c.called_back_at })));
      }
    }
    function earlierCall(c) {
      const li = document.createElement('li'); li.className = 'earlier-call';
      const outcome = c.outcome ? ((W.call_outcomes || {})[c.outcome] || c.outcome) : '';
      li.append(W.earlier_call + ' ' + c.ringing_at.replace('T', ' ').slice(5, 16) + ' ', dataSpan(c.line_name),
        W.open_paren + outcome + (c.called_back ? ' · ' + W.called_back_short : '') + W.close_paren);
      return li;
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
        } else if (ev.key === 'Enter' && !ev.ctrlKey && !ev.metaKey && active >= 0) { ev.preventDefault(); choose(active); }
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
    // `names`: the guesses are names from the database (topics, units), not the interface's words (kinds).
    function guessRow(label, list, name, apply, names) {
      const div = document.createElement('div'); div.className = 'guess';
      const b = document.createElement('b'); b.textContent = label + W.colon; div.appendChild(b);
      if (!list.length) div.append('—');
      list.forEach((g, i) => {
        const chip = document.createElement(apply ? 'button' : 'span');
        chip.className = 'chip' + (i === 0 ? ' top' : '');
        if (names) asData(chip);
        if (apply) { chip.type = 'button'; chip.title = W.click_to_use; chip.addEventListener('click', () => apply(g.code)); }
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
      box.appendChild(guessRow(W.kind, r.kind, kindName, (c) => {
        const i = intake.querySelector(`[name=kind][value="${c}"]`); if (i) { i.checked = true; i.dispatchEvent(new Event('change', { bubbles: true })); intake.dispatchEvent(new Event('input')); }
      }));
      box.appendChild(guessRow(W.topic_short, r.topic, topicName, (c) => { $('#topic').value = c; intake.dispatchEvent(new Event('input')); }, true));
      box.appendChild(guessRow(W.units, r.units, unitName, null, true));
      const ul = $('#s-similar'); ul.innerHTML = '';
      r.similar.forEach((h) => {
        const li = document.createElement('li');
        const a = asData(document.createElement('a')); a.href = '/cases/' + h.id; a.target = '_blank'; a.innerHTML = h.title_html;
        li.append(h.number ? h.number + ' ' : ''); li.appendChild(a);
        if (h.repeat) { const t = document.createElement('span'); t.className = 'status s-overdue'; t.textContent = W.repeat; li.append(' '); li.appendChild(t); }
        else if (h.same_enterprise) { const t = document.createElement('span'); t.className = 'status'; t.textContent = W.same_enterprise; li.append(' '); li.appendChild(t); }
        ul.appendChild(li);
      });
      if (!r.similar.length) ul.replaceChildren(noneItem());
      if (!$('#kb-q').value.trim()) showAnswers(r.knowledge);
    }
    $$('#title, #content', intake).forEach((el) => el.addEventListener('input', () => { clearTimeout(suggestTimer); suggestTimer = setTimeout(suggest, 400); }));

    // ---- the knowledge base, searched on the call; the answer used is linked to the case ----
    function showAnswers(hits) {
      const ul = $('#kb-list'); ul.innerHTML = '';
      hits.forEach((h) => {
        const li = document.createElement('li');
        const t = document.createElement('div'); t.appendChild(asData(document.createElement('span'))).innerHTML = h.title_html;
        if (h.expired) { const x = document.createElement('span'); x.className = 'status s-overdue'; x.textContent = W.expired; t.append(' '); t.appendChild(x); }
        const p = asData(document.createElement('p')); p.className = 'snippet'; p.innerHTML = h.snippet_html;
        li.appendChild(t); li.appendChild(p);
        if (!h.expired) {
          const b = document.createElement('button'); b.type = 'button'; b.textContent = W.use_answer;
          b.addEventListener('click', async () => {
            const e = await api('GET', '/api/v1/knowledge/' + h.id).catch(() => null); if (!e) return;
            article = e.id;
            $('#answer-text').value = e.body;
            const c = $('#kb-chosen'); c.hidden = false; c.replaceChildren(W.using, dataSpan(e.title), ' v' + e.version);
          });
          li.appendChild(b);
        }
        ul.appendChild(li);
      });
      if (!hits.length) ul.replaceChildren(noneItem());
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
      const wait = document.createElement('p'); wait.className = 'muted'; wait.textContent = W.suggestions_wait;
      $('#s-guesses').replaceChildren(wait);
      ['#s-similar', '#kb-list', '#earlier'].forEach((id) => { $(id).replaceChildren(noneItem()); });
      $('#kb-q').value = '';
    }

    // ---- the seat: ringing calls open the console on the caller (server-sent events) ----
    const seatForm = $('#seat-form');
    let calls = null;
    function listen() {
      if (calls) calls.close();
      const status = $('#seat-status');
      calls = new EventSource('/api/v1/telephony/stream');
      calls.addEventListener('ready', () => { status.textContent = W.waiting_for_calls; });
      calls.addEventListener('ringing', (ev) => { try { ring(JSON.parse(ev.data)); } catch (_) { /* a broken event is skipped */ } });
      // EventSource reconnects by itself; say so meanwhile.
      calls.onerror = () => { status.textContent = W.stream_lost; };
    }
    function ring(pop) {
      const banner = $('#ringing');
      const strong = document.createElement('strong');
      strong.textContent = fill(W.incoming_call, { caller: pop.caller });
      banner.replaceChildren(strong, ' ', dataSpan(`${pop.jurisdiction_name} ${pop.line_name}${W.open_paren}${pop.official_label}${W.close_paren}`),
        document.createElement('br'), dataSpan(pop.enterprises.map((e) => e.name).join('、')), ' ', W.call_linked);
      banner.hidden = false;
      clearSidePanel();
      const known = Array.from(line.options).some((o) => o.value === pop.line_id);
      if (known) { line.value = pop.line_id; syncLine(); preview(); }
      $('#call-id').value = pop.call_id;
      $('#cphone').value = pop.caller; $('#ephone').value = pop.caller;
      if (pop.enterprises.length === 1) {
        const e = pop.enterprises[0];
        $('#uscc').value = e.uscc || ''; $('#ename').value = e.name || ''; $('#econtact').value = e.contact || '';
        if (!$('#cname').value) $('#cname').value = e.contact || '';
      }
      const ul = $('#earlier'); ul.innerHTML = '';
      pop.cases.forEach((o) => {
        const li = document.createElement('li');
        const a = document.createElement('a'); a.href = '/cases/' + o.id; a.textContent = o.number;
        li.append(a, ' ', dataSpan(o.title), W.open_paren + stateName(o.state) + W.close_paren);
        ul.appendChild(li);
      });
      (pop.calls || []).forEach((c) => ul.appendChild(earlierCall(c)));
      if (!pop.cases.length && !(pop.calls || []).length) ul.replaceChildren(noneItem());
      $('#title').focus();
    }
    if (seatForm) {
      if (seatForm.dataset.seat) listen();
      seatForm.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
          const r = await api('PUT', '/api/v1/me/seat', { seat: $('#seat').value.trim() || null });
          $('.error', seatForm).textContent = '';
          $('#seat').classList.remove('invalid');
          if (r.seat) { $('#seat').value = r.seat; listen(); }
          else { if (calls) calls.close(); calls = null; $('#seat-status').textContent = W.seat_hint; }
        } catch (err) { showError(seatForm, err); }
      });
    }

    // Ctrl+Enter saves the appeal from any field of the console (inside the form or beside it, a look-up open or not).
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); intake.requestSubmit(); }
    });
    intake.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = collect(intake);
      if (!body.line) delete body.line;
      if (!body.topic) delete body.topic;
      if (!body.call_id) delete body.call_id;
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
        const a = $('#created-link'); a.replaceChildren(o.number + ' ', dataSpan(o.title));
        // A complaint or report is the discipline commission's alone: no link to a page the agent may not open.
        if (o.state === 'with_discipline') a.removeAttribute('href'); else a.href = '/cases/' + o.id;
        $('#created-deadline').textContent = o.deadline ? W.due + o.deadline.replace('T', ' ').slice(0, 16) : stateName(o.state);
        const af = $('#answer-form');
        af.hidden = !(o.actions || []).includes('answer');
        af.dataset.id = o.id; af.dataset.version = o.version;
        clearDraft();
        intake.reset(); syncLine(); preview(); shown = {};
        $('#call-id').value = ''; $('#ringing').hidden = true;
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
        $('#created-deadline').textContent = W.answered_now + stateName(o.state);
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
