// The timeline webview: draws what the extension's model sends (lanes, sessions, marks or
// bins for the viewport), and asks it again on zoom, pan and filter changes. Plain DOM, no
// framework: a few hundred elements at most, whatever the size of the buffer. Every text that
// comes from a buffer is set with textContent, never as HTML.
/* global acquireVsCodeApi, ResizeObserver -- the webview's globals */
(function () {
  'use strict';
  const vscode = acquireVsCodeApi();
  const $ = (id) => document.getElementById(id);
  const MIN_SPAN_MS = 2000;
  const ZOOM_STEP = 1.6;

  const state = {
    model: null,
    startMs: 0,
    endMs: 1,
    hiddenLanes: new Set(),
    hiddenSessions: new Set(),
    seq: 0,
    inFlight: false,
    dirty: false,
    view: null,
    focusedIndex: undefined,
    detailsIndex: undefined,
    pendingFocus: undefined,
  };

  const timeline = $('timeline');
  const lanesEl = $('lanes');
  const axisEl = $('axis');
  const sessionsEl = $('sessions');
  const tooltip = $('tooltip');
  const details = $('details');

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const pad = (n) => String(n).padStart(2, '0');
  const formatTime = (ms) => {
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  };
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

  /** Width of the drawing area (the lane tracks), in CSS pixels. */
  function trackWidth() {
    const track = lanesEl.querySelector('.lane-track');
    const width = track ? track.clientWidth : timeline.clientWidth - 180;
    return Math.max(100, width);
  }
  const xOf = (ms) => ((ms - state.startMs) / (state.endMs - state.startMs)) * 100;

  function requestView() {
    if (!state.model) return;
    if (state.inFlight) {
      state.dirty = true;
      return;
    }
    state.inFlight = true;
    state.dirty = false;
    vscode.postMessage({
      type: 'view',
      seq: ++state.seq,
      request: {
        startMs: state.startMs,
        endMs: state.endMs,
        width: trackWidth(),
        hiddenLanes: [...state.hiddenLanes],
        hiddenSessions: [...state.hiddenSessions],
      },
    });
  }

  function setRange(startMs, endMs) {
    const model = state.model;
    if (!model) return;
    let span = Math.max(MIN_SPAN_MS, endMs - startMs);
    const margin = (model.endMs - model.startMs) * 0.05 + MIN_SPAN_MS;
    const maxSpan = model.endMs - model.startMs + 2 * margin;
    span = Math.min(span, maxSpan);
    let start = startMs;
    start = Math.max(model.startMs - margin, Math.min(start, model.endMs + margin - span));
    state.startMs = start;
    state.endMs = start + span;
    requestView();
  }

  function fit() {
    const model = state.model;
    if (!model) return;
    const margin = (model.endMs - model.startMs) * 0.02;
    setRange(model.startMs - margin, model.endMs + margin);
  }

  function zoom(factor, atMs) {
    const center = atMs ?? (state.startMs + state.endMs) / 2;
    const span = (state.endMs - state.startMs) / factor;
    const ratio = (center - state.startMs) / (state.endMs - state.startMs);
    setRange(center - span * ratio, center - span * ratio + span);
  }

  function pan(fraction) {
    const shift = (state.endMs - state.startMs) * fraction;
    setRange(state.startMs + shift, state.endMs + shift);
  }

  const isFit = () => {
    const model = state.model;
    return !model || (state.startMs <= model.startMs && state.endMs >= model.endMs);
  };

  // ---- drawing ----

  function drawFilters() {
    const model = state.model;
    const lanes = $('lane-filter');
    const sessions = $('session-filter');
    lanes.replaceChildren(el('legend', '', 'Kinds'));
    for (const lane of model.lanes) {
      const label = el('label', `filter lane-${lane.id}`);
      const box = el('input');
      box.type = 'checkbox';
      box.checked = !state.hiddenLanes.has(lane.id);
      box.dataset.lane = lane.id;
      box.addEventListener('change', () => {
        if (box.checked) state.hiddenLanes.delete(lane.id);
        else state.hiddenLanes.add(lane.id);
        requestView();
      });
      label.append(box, el('span', 'swatch'), el('span', '', `${lane.title} (${lane.count})`));
      lanes.append(label);
    }
    sessions.replaceChildren(el('legend', '', 'Sessions'));
    for (const session of model.sessions) {
      const label = el('label', 'filter');
      const box = el('input');
      box.type = 'checkbox';
      box.checked = !state.hiddenSessions.has(session.index);
      box.dataset.session = String(session.index);
      box.addEventListener('change', () => {
        if (box.checked) state.hiddenSessions.delete(session.index);
        else state.hiddenSessions.add(session.index);
        requestView();
      });
      label.append(box, el('span', '', `${session.label} · ${plural(session.entries, 'entry', 'entries')} · ${sessionState(session)}`));
      sessions.append(label);
    }
  }

  function sessionState(session) {
    return session.ended ? 'ended' : session.inProgress ? 'in progress' : 'interrupted';
  }

  function niceStep(spanMs, ticks) {
    const steps = [1e3, 5e3, 15e3, 30e3, 60e3, 300e3, 900e3, 1800e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 7 * 86400e3, 30 * 86400e3];
    return steps.find((s) => spanMs / s <= ticks) ?? steps[steps.length - 1];
  }

  function drawAxis() {
    axisEl.replaceChildren();
    const span = state.endMs - state.startMs;
    const step = niceStep(span, Math.max(2, Math.floor(trackWidth() / 140)));
    const offset = new Date().getTimezoneOffset() * 60000;
    // Steps of a day or more fall on local midnights.
    const first = Math.ceil((state.startMs - (step >= 86400e3 ? -offset : 0)) / step) * step + (step >= 86400e3 ? -offset : 0);
    for (let t = first; t <= state.endMs; t += step) {
      // A label centred on the left or right edge would be cut in half.
      if (xOf(t) < 3 || xOf(t) > 97) continue;
      const tick = el('span', 'tick', step >= 86400e3 ? formatTime(t).slice(0, 10) : formatTime(t).slice(step >= 3600e3 ? 5 : 11, 16 + (step < 60e3 ? 3 : 0)));
      tick.style.left = `${xOf(t)}%`;
      axisEl.append(tick);
    }
  }

  function drawSessions() {
    sessionsEl.replaceChildren(el('span', 'lane-label', 'Sessions'));
    const track = el('div', 'lane-track');
    for (const session of state.model.sessions) {
      if (state.hiddenSessions.has(session.index)) continue;
      if (session.endMs < state.startMs || session.startMs > state.endMs) continue;
      const left = Math.max(0, xOf(session.startMs));
      const right = Math.min(100, xOf(session.endMs));
      const bar = el('div', `session ${sessionState(session).replace(' ', '-')}`);
      bar.style.left = `${left}%`;
      bar.style.width = `calc(${Math.max(0, right - left)}% + 2px)`;
      bar.setAttribute('role', 'img');
      bar.setAttribute('aria-label', `${session.label}: from ${formatTime(session.startMs)} to ${formatTime(session.endMs)}, ${plural(session.entries, 'entry', 'entries')}, ${sessionState(session)}`);
      bar.title = bar.getAttribute('aria-label');
      bar.append(el('span', 'session-label', `${session.label}${session.ended ? '' : ` (${sessionState(session)})`}`));
      track.append(bar);
    }
    sessionsEl.append(track);
  }

  function drawLanes(view) {
    const focused = document.activeElement?.classList?.contains('mark') ? Number(document.activeElement.dataset.index) : undefined;
    lanesEl.replaceChildren();
    const byLane = new Map();
    for (const lane of state.model.lanes) byLane.set(lane.id, { marks: [], bins: [] });
    for (const mark of view.marks) byLane.get(mark.lane).marks.push(mark);
    for (const bin of view.bins) byLane.get(bin.lane).bins.push(bin);
    const maxBin = Math.max(1, ...view.bins.map((b) => b.count));
    let tabbable = null;
    for (const lane of state.model.lanes) {
      if (state.hiddenLanes.has(lane.id)) continue;
      const { marks, bins } = byLane.get(lane.id);
      const row = el('div', `lane lane-${lane.id}`);
      row.dataset.lane = lane.id;
      row.setAttribute('role', 'group');
      const shown = marks.length + bins.reduce((n, b) => n + b.count, 0);
      row.setAttribute('aria-label', `${lane.title}: ${plural(shown, 'entry', 'entries')} in view`);
      row.append(el('span', 'lane-label', lane.title));
      const track = el('div', 'lane-track');
      for (const bin of bins) {
        const button = el('button', 'bin', String(bin.count));
        button.type = 'button';
        button.tabIndex = -1;
        button.style.left = `${xOf(bin.startMs)}%`;
        button.style.width = `${Math.max(0.2, xOf(bin.endMs) - xOf(bin.startMs))}%`;
        button.style.opacity = String(0.35 + 0.65 * (bin.count / maxBin));
        button.dataset.start = String(bin.startMs);
        button.dataset.end = String(bin.endMs);
        const label = `${plural(bin.count, 'entry', 'entries')} (${lane.title}) from ${formatTime(bin.startMs)} to ${formatTime(bin.endMs)}; Enter zooms in`;
        button.setAttribute('aria-label', label);
        button.dataset.tip = label;
        track.append(button);
        tabbable ??= button;
      }
      for (const mark of marks) {
        const button = el('button', 'mark');
        button.type = 'button';
        button.tabIndex = -1;
        button.style.left = `${xOf(mark.t)}%`;
        button.dataset.index = String(mark.index);
        button.dataset.t = String(mark.t);
        const label = `${lane.title}, ${formatTime(mark.t)}: ${mark.headline}`;
        button.setAttribute('aria-label', label);
        button.dataset.tip = label;
        if (mark.index === state.detailsIndex) button.classList.add('selected');
        track.append(button);
        if (mark.index === focused || mark.index === state.focusedIndex) tabbable = button;
        tabbable ??= button;
      }
      row.append(track);
      lanesEl.append(row);
    }
    if (tabbable) tabbable.tabIndex = 0;
    if (focused !== undefined) lanesEl.querySelector(`.mark[data-index="${focused}"]`)?.focus();
    $('empty').hidden = state.model.count > 0;
  }

  function render(view) {
    state.view = view;
    drawAxis();
    drawSessions();
    drawLanes(view);
    const model = state.model;
    $('summary').textContent = `${plural(model.count, 'entry', 'entries')} in ${plural(model.sessions.length, 'session', 'sessions')} · ${view.visible} shown · ${formatTime(state.startMs)} – ${formatTime(state.endMs)}`;
    if (state.pendingFocus !== undefined) {
      const index = state.pendingFocus;
      state.pendingFocus = undefined;
      lanesEl.querySelector(`.mark[data-index="${index}"]`)?.scrollIntoView({ block: 'nearest' });
    }
  }

  function showDetails(d) {
    if (!d) return;
    state.detailsIndex = d.index;
    $('details-title').textContent = `${d.laneTitle}: ${d.headline}`;
    $('details-meta').textContent = [formatTime(Date.parse(d.timestamp)), d.contextType, d.session ? `session ${d.session}` : null, d.id ? `id ${d.id}` : null].filter(Boolean).join(' · ');
    const body = $('details-body');
    body.replaceChildren();
    for (const section of d.sections) {
      body.append(el('h3', '', section.title));
      const list = el('ul');
      for (const item of section.items) {
        const li = el('li');
        li.append(el(item.includes('\n') ? 'pre' : 'span', '', item));
        list.append(li);
      }
      body.append(list);
    }
    if (!d.sections.length) body.append(el('p', 'muted', 'This entry holds nothing more.'));
    details.hidden = false;
    for (const mark of lanesEl.querySelectorAll('.mark.selected')) mark.classList.remove('selected');
    lanesEl.querySelector(`.mark[data-index="${d.index}"]`)?.classList.add('selected');
  }

  // ---- interaction ----

  function openMark(button) {
    state.focusedIndex = Number(button.dataset.index);
    vscode.postMessage({ type: 'details', index: Number(button.dataset.index) });
  }

  function openBin(button) {
    const start = Number(button.dataset.start);
    const end = Number(button.dataset.end);
    const margin = (end - start) * 0.5;
    setRange(start - margin, end + margin);
  }

  function showTip(target) {
    if (!target?.dataset?.tip) return;
    tooltip.textContent = target.dataset.tip;
    tooltip.hidden = false;
    const box = target.getBoundingClientRect();
    const left = Math.min(window.innerWidth - tooltip.offsetWidth - 8, Math.max(8, box.left - tooltip.offsetWidth / 2));
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${box.bottom + 6}px`;
  }
  const hideTip = () => { tooltip.hidden = true; };

  lanesEl.addEventListener('mouseover', (e) => showTip(e.target.closest('.mark, .bin')));
  lanesEl.addEventListener('mouseout', hideTip);
  lanesEl.addEventListener('focusin', (e) => showTip(e.target.closest('.mark, .bin')));
  lanesEl.addEventListener('focusout', hideTip);
  lanesEl.addEventListener('click', (e) => {
    const mark = e.target.closest('.mark');
    if (mark) return openMark(mark);
    const bin = e.target.closest('.bin');
    if (bin) openBin(bin);
  });

  function moveFocus(from, key) {
    const lane = from.closest('.lane');
    const inLane = [...lane.querySelectorAll('.mark, .bin')].sort((a, b) => parseFloat(a.style.left) - parseFloat(b.style.left));
    const at = inLane.indexOf(from);
    let target;
    if (key === 'ArrowRight') target = inLane[at + 1];
    else if (key === 'ArrowLeft') target = inLane[at - 1];
    else if (key === 'Home') target = inLane[0];
    else if (key === 'End') target = inLane[inLane.length - 1];
    else {
      const lanes = [...lanesEl.querySelectorAll('.lane')];
      let i = lanes.indexOf(lane);
      const x = parseFloat(from.style.left);
      for (;;) {
        i += key === 'ArrowDown' ? 1 : -1;
        if (i < 0 || i >= lanes.length) break;
        const candidates = [...lanes[i].querySelectorAll('.mark, .bin')];
        if (!candidates.length) continue;
        target = candidates.reduce((best, c) => (Math.abs(parseFloat(c.style.left) - x) < Math.abs(parseFloat(best.style.left) - x) ? c : best));
        break;
      }
    }
    if (!target) return;
    for (const b of lanesEl.querySelectorAll('[tabindex="0"]')) b.tabIndex = -1;
    target.tabIndex = 0;
    target.focus();
    if (target.classList.contains('mark')) state.focusedIndex = Number(target.dataset.index);
  }

  timeline.addEventListener('keydown', (e) => {
    const item = e.target.closest?.('.mark, .bin');
    if (e.shiftKey && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
      pan(e.key === 'ArrowLeft' ? -0.2 : 0.2);
    } else if (item && ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End'].includes(e.key)) {
      moveFocus(item, e.key);
    } else if (e.key === '+' || e.key === '=') {
      zoom(ZOOM_STEP, item ? Number(item.dataset.t ?? item.dataset.start) : undefined);
    } else if (e.key === '-' || e.key === '_') {
      zoom(1 / ZOOM_STEP);
    } else if (e.key === '0') {
      fit();
    } else {
      return;
    }
    e.preventDefault();
  });

  timeline.addEventListener('wheel', (e) => {
    const track = lanesEl.querySelector('.lane-track') ?? sessionsEl.querySelector('.lane-track');
    if (!track) return;
    e.preventDefault();
    const box = track.getBoundingClientRect();
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      pan(((e.shiftKey ? e.deltaY : e.deltaX) / box.width) * 1);
      return;
    }
    const at = state.startMs + ((e.clientX - box.left) / box.width) * (state.endMs - state.startMs);
    zoom(e.deltaY < 0 ? 1.25 : 0.8, at);
  }, { passive: false });

  let drag;
  timeline.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 || e.target.closest('button, input, label')) return;
    drag = { x: e.clientX, startMs: state.startMs, endMs: state.endMs, width: trackWidth() };
    timeline.setPointerCapture(e.pointerId);
    timeline.classList.add('dragging');
  });
  timeline.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const shift = ((drag.x - e.clientX) / drag.width) * (drag.endMs - drag.startMs);
    setRange(drag.startMs + shift, drag.endMs + shift);
  });
  const endDrag = () => { drag = undefined; timeline.classList.remove('dragging'); };
  timeline.addEventListener('pointerup', endDrag);
  timeline.addEventListener('pointercancel', endDrag);

  $('zoom-in').addEventListener('click', () => zoom(ZOOM_STEP));
  $('zoom-out').addEventListener('click', () => zoom(1 / ZOOM_STEP));
  $('fit').addEventListener('click', fit);
  $('open-document').addEventListener('click', () => vscode.postMessage({ type: 'openDocument' }));
  $('close-details').addEventListener('click', () => {
    details.hidden = true;
    state.detailsIndex = undefined;
    lanesEl.querySelector('.mark.selected')?.classList.remove('selected');
    lanesEl.querySelector('.mark[tabindex="0"]')?.focus();
  });
  $('copy-from').addEventListener('click', () => {
    if (state.detailsIndex !== undefined) vscode.postMessage({ type: 'copyFrom', index: state.detailsIndex });
  });
  details.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') $('close-details').click();
  });
  new ResizeObserver(() => requestView()).observe(timeline);

  window.addEventListener('message', (event) => {
    const message = event.data;
    switch (message.type) {
      case 'model': {
        const previous = state.model;
        const wasFit = isFit();
        state.model = message;
        drawFilters();
        if (!previous || wasFit) fit();
        else requestView();
        break;
      }
      case 'view':
        state.inFlight = false;
        if (message.seq === state.seq) render(message.view);
        if (state.dirty) requestView();
        break;
      case 'details':
        showDetails(message.details);
        break;
      case 'focus': {
        // Shown from the search: centre the entry, zoomed in enough to tell it from its neighbours.
        const span = Math.min(state.endMs - state.startMs, 30 * 60000);
        state.focusedIndex = message.index;
        state.pendingFocus = message.index;
        setRange(message.t - span / 2, message.t + span / 2);
        showDetails(message.details);
        break;
      }
      case 'copied':
        $('status').textContent = `Copied a summary of ${plural(message.entries, 'entry', 'entries')} (${message.characters} characters) to the clipboard.`;
        break;
      case 'error':
        $('summary').textContent = message.message;
        break;
    }
  });

  vscode.postMessage({ type: 'ready' });
}());
