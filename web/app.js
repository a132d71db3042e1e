/**
 * The dashboard shell: hash router, header (host, live state, escalation count), login, and live updates.
 * Every page is a module in pages/ exporting `render(ctx)` → { title, node, after? }. Pages are re-rendered
 * on navigation, on every `change` event from /api/events, and after the person acts.
 */
import { api, onUnauthorized, ApiError } from './api.js';
import { h, replace, refreshRelativeTimes, setServerNow, timeEl, errorBox } from './dom.js';
import { destroyCharts, loadUplot } from './charts.js';
import * as overviewPage from './pages/overview.js';
import * as escalationsPage from './pages/escalations.js';
import * as tasksPage from './pages/tasks.js';
import * as taskPage from './pages/task.js';
import * as patternsPage from './pages/patterns.js';
import * as silencesPage from './pages/silences.js';
import * as fleetPage from './pages/fleet.js';
import * as fleetTaskPage from './pages/fleet-task.js';
import * as fleetHostPage from './pages/fleet-host.js';

const ROUTES = [
  { pattern: /^\/?$/, name: 'overview', page: overviewPage },
  { pattern: /^\/escalations(?:\/([^/]+))?\/?$/, name: 'escalations', page: escalationsPage, keys: ['id'] },
  { pattern: /^\/tasks\/([^/]+)\/?$/, name: 'tasks', page: taskPage, keys: ['id'] },
  { pattern: /^\/tasks\/?$/, name: 'tasks', page: tasksPage },
  { pattern: /^\/patterns\/?$/, name: 'patterns', page: patternsPage },
  { pattern: /^\/silences\/?$/, name: 'silences', page: silencesPage },
  { pattern: /^\/fleet\/?$/, name: 'fleet', page: fleetPage },
  { pattern: /^\/fleet\/tasks\/([^/]+)\/([^/]+)\/?$/, name: 'fleet', page: fleetTaskPage, keys: ['host', 'id'] },
  { pattern: /^\/fleet\/hosts\/([^/]+)\/?$/, name: 'fleet', page: fleetHostPage, keys: ['id'] },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const loginSection = document.getElementById('login');
const loginForm = document.getElementById('login-form');
const loginToken = document.getElementById('login-token');
const loginError = document.getElementById('login-error');
const loginSubmit = document.getElementById('login-submit');
const logoutButton = document.getElementById('logout');
const hostLabel = document.getElementById('host');
const liveBadge = document.getElementById('live');
const banner = document.getElementById('banner');
const escalationCount = document.getElementById('nav-escalations');
const fleetLink = document.getElementById('nav-fleet');
const favicon = document.getElementById('favicon');

const state = {
  signedIn: false,
  overview: null,
  lastGoodAt: null,
  renderSeq: 0,
  routeKey: '',
  events: null,
  eventsRetry: null,
  refreshTimer: null,
  pending: false,
  overviewShown: false,
};

// ---- routing ----------------------------------------------------------------------------------------------

function parseHash() {
  const raw = decodeURI(location.hash.replace(/^#/, '')) || '/';
  const [path, search = ''] = raw.split('?');
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (match) {
      const params = {};
      (route.keys ?? []).forEach((key, index) => {
        if (match[index + 1] !== undefined) params[key] = decodeURIComponent(match[index + 1]);
      });
      return { route, params, query: new URLSearchParams(search), path };
    }
  }
  return null;
}

export function navigate(hash) {
  if (location.hash === hash) render({ live: false });
  else location.hash = hash;
}

/** Keeps what the person typed (fields marked data-keep) and which <details> were open, across a live redraw. */
function captureForm(root) {
  const fields = {};
  for (const field of root.querySelectorAll('[data-keep][id]')) fields[field.id] = field.value;
  const open = new Set([...root.querySelectorAll('details[id]')].filter((d) => d.open).map((d) => d.id));
  const active = document.activeElement && root.contains(document.activeElement) ? document.activeElement : null;
  const focus = active?.id ? { id: active.id, start: active.selectionStart, end: active.selectionEnd } : null;
  return { fields, open, focus };
}

function restoreForm(root, saved) {
  for (const [id, value] of Object.entries(saved.fields)) {
    const field = root.querySelector(`#${CSS.escape(id)}`);
    if (field && 'value' in field && value !== '') field.value = value;
  }
  for (const details of root.querySelectorAll('details[id]')) {
    if (saved.open.has(details.id)) details.open = true;
  }
  if (saved.focus) {
    const field = root.querySelector(`#${CSS.escape(saved.focus.id)}`);
    if (field) {
      field.focus({ preventScroll: true });
      if (typeof saved.focus.start === 'number' && typeof field.setSelectionRange === 'function') {
        try {
          field.setSelectionRange(saved.focus.start, saved.focus.end);
        } catch {
          // not a text field
        }
      }
    }
  }
}

/**
 * Loads and draws the current page. `live` redraws (events, timers) keep the old content on screen until the
 * new one is ready, and keep typed text; a navigation shows a loading line when it takes a moment.
 */
async function render({ live, overview: prefetched }) {
  const parsed = parseHash();
  const seq = ++state.renderSeq;
  if (!parsed) {
    showPage(
      { title: 'Not found', node: h('div', { class: 'page' }, h('h1', { text: 'No such page' }), h('p', {}, h('a', { href: '#/', text: 'Back to the overview' }))) },
      'none',
      seq,
      live,
    );
    return;
  }
  const routeKey = `${parsed.route.name}:${parsed.path}`;
  const navigated = routeKey !== state.routeKey;
  if (navigated && !live) {
    main.setAttribute('aria-busy', 'true');
    main.classList.add('is-loading');
  }
  try {
    const overviewPromise = prefetched ? Promise.resolve(prefetched) : api.overview();
    const ctx = {
      params: parsed.params,
      query: parsed.query,
      get overview() {
        return state.overview;
      },
      readOnly: Boolean(state.overview?.readOnly),
      refresh: () => render({ live: true }),
      navigate,
    };
    const overview = await overviewPromise;
    if (seq !== state.renderSeq) return;
    acceptOverview(overview);
    ctx.readOnly = Boolean(overview.readOnly);
    const view = await parsed.route.page.render(ctx);
    if (seq !== state.renderSeq) return;
    state.routeKey = routeKey;
    showPage(view, parsed.route.name, seq, live && !navigated);
    setStale(null);
  } catch (error) {
    if (seq !== state.renderSeq) return;
    if (error instanceof ApiError && error.status === 401) return; // the login form is up
    if (state.routeKey === routeKey && main.childElementCount > 0 && live) {
      setStale(error);
    } else {
      state.routeKey = routeKey;
      showPage({ title: 'Error', node: h('div', { class: 'page' }, errorBox(error.message)) }, parsed.route.name, seq, false);
      setStale(error);
    }
  } finally {
    if (seq === state.renderSeq) {
      main.removeAttribute('aria-busy');
      main.classList.remove('is-loading');
    }
  }
}

function showPage(view, routeName, seq, keepForm) {
  const saved = keepForm ? captureForm(main) : null;
  const scroll = window.scrollY;
  destroyCharts();
  replace(main, view.node);
  if (saved) restoreForm(main, saved);
  const drawn = view.after?.();
  if (keepForm) window.scrollTo(0, scroll);
  for (const link of nav.querySelectorAll('a[data-route]')) {
    if (link.dataset.route === routeName) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  updateTitle(view.title);
  if (routeName === 'overview' && !state.overviewShown) {
    state.overviewShown = true;
    // For the first-render benchmark and for anyone profiling: the frame that paints the first overview, charts
    // included.
    Promise.resolve(drawn).then(() => requestAnimationFrame(() => performance.mark('overview-rendered')));
  }
}

function scheduleRefresh(delay = 250) {
  if (!state.signedIn) return;
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => render({ live: true }), delay);
}

// ---- header, banner, title ----------------------------------------------------------------------------------

function acceptOverview(overview) {
  state.overview = overview;
  state.lastGoodAt = Date.now();
  setServerNow(overview.now);
  hostLabel.textContent = overview.host ?? '';
  document.body.classList.toggle('read-only', Boolean(overview.readOnly));
  const open = overview.counts?.openEscalations ?? 0;
  escalationCount.hidden = open === 0;
  escalationCount.textContent = String(open);
  escalationCount.title = `${open} open escalation${open === 1 ? '' : 's'}`;
  // The Fleet page exists only where a fleet store is configured.
  fleetLink.hidden = !overview.fleet?.enabled;
  const daemon = overview.daemon ?? {};
  const parts = [];
  if (daemon.running === false) {
    parts.push(
      h(
        'div',
        { class: 'banner-item banner-bad' },
        h('strong', { text: 'The orchestrator is not running.' }),
        ' Nothing is being watched or fixed on this host. Start it with ',
        h('code', { text: 'systemctl start autonomous-orchestrator' }),
        '.',
      ),
    );
  }
  if (daemon.paused) {
    parts.push(
      h(
        'div',
        { class: 'banner-item banner-warn' },
        h('strong', { text: 'Automatic fixing is paused' }),
        daemon.pausedSince ? [' since ', timeEl(daemon.pausedSince)] : '',
        daemon.pauseReason ? [': ', h('q', { text: daemon.pauseReason })] : '',
        '. Faults are still detected but nothing is repaired. ',
        h('a', { href: '#/', text: 'Kill switch' }),
      ),
    );
  }
  setBanner('daemon', parts);
  updateFavicon(overview);
}

const bannerParts = { daemon: [], stale: [] };
function setBanner(key, parts) {
  bannerParts[key] = parts;
  const all = [...bannerParts.stale, ...bannerParts.daemon];
  replace(banner, all);
  banner.hidden = all.length === 0;
}

function setStale(error) {
  if (!error) return setBanner('stale', []);
  const since = state.lastGoodAt;
  setBanner('stale', [
    h(
      'div',
      { class: 'banner-item banner-bad' },
      h('strong', { text: 'Cannot refresh: ' }),
      error.message,
      since ? ['. What you see is from ', timeEl(since), '.'] : '.',
      ' ',
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => render({ live: true }), text: 'Retry now' }),
    ),
  ]);
}

function healthOf(overview) {
  const services = overview?.services ?? [];
  const escalated = services.filter((s) => s.state === 'escalated').length + 0;
  const failing = services.filter((s) => s.state === 'failing').length;
  const open = overview?.counts?.openEscalations ?? 0;
  if (escalated > 0 || open > 0) return 'bad';
  if (failing > 0 || overview?.daemon?.paused || overview?.daemon?.running === false) return 'warn';
  return 'ok';
}

function updateFavicon(overview) {
  const health = healthOf(overview);
  const href = { ok: '/favicon.svg', warn: '/favicon-warn.svg', bad: '/favicon-alert.svg' }[health];
  if (favicon.getAttribute('href') !== href) favicon.setAttribute('href', href);
}

function updateTitle(pageTitle) {
  const overview = state.overview;
  const health = healthOf(overview);
  const open = overview?.counts?.openEscalations ?? 0;
  const prefix = health === 'bad' ? `(${Math.max(open, 1)}) Needs you` : health === 'warn' ? 'Attention' : 'OK';
  document.title = `${prefix} · ${pageTitle ?? 'Orchestrator'} · ${overview?.host ?? 'Orchestrator'}`;
}

function setLive(mode) {
  liveBadge.dataset.state = mode;
  liveBadge.querySelector('.live-text').textContent = { on: 'Live', reconnecting: 'Reconnecting…', off: 'Offline' }[mode];
  liveBadge.title = {
    on: 'Updates arrive as they happen',
    reconnecting: 'Lost the live connection; retrying. The page still refreshes every minute.',
    off: 'Not receiving live updates',
  }[mode];
}

// ---- live updates -------------------------------------------------------------------------------------------

function connectEvents() {
  if (state.events || !state.signedIn || typeof EventSource !== 'function') return;
  clearTimeout(state.eventsRetry);
  const source = new EventSource('/api/events');
  state.events = source;
  let wasOpen = false;
  source.addEventListener('open', () => {
    setLive('on');
    if (wasOpen) scheduleRefresh(0); // we may have missed changes while disconnected
    wasOpen = true;
  });
  source.addEventListener('change', () => scheduleRefresh());
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      // Refused (e.g. 401 after the session expired): retry after checking the session through a refresh.
      source.close();
      if (state.events === source) state.events = null;
      setLive('off');
      state.eventsRetry = setTimeout(async () => {
        await render({ live: true });
        connectEvents();
      }, 5000);
    } else {
      setLive('reconnecting');
    }
  });
}

function disconnectEvents() {
  clearTimeout(state.eventsRetry);
  state.events?.close();
  state.events = null;
  setLive('off');
}

// ---- login ---------------------------------------------------------------------------------------------------

function showLogin() {
  if (!state.signedIn && !loginSection.hidden) return;
  state.signedIn = false;
  rememberSignedIn(false);
  state.renderSeq++;
  disconnectEvents();
  destroyCharts();
  replace(main);
  main.hidden = true;
  nav.hidden = true;
  logoutButton.hidden = true;
  liveBadge.hidden = true;
  setBanner('daemon', []);
  setBanner('stale', []);
  loginSection.hidden = false;
  document.title = 'Sign in · Orchestrator';
  loginToken.focus();
}

function signedIn(overview) {
  state.signedIn = true;
  rememberSignedIn(true);
  loginSection.hidden = true;
  loginError.hidden = true;
  main.hidden = false;
  nav.hidden = false;
  logoutButton.hidden = false;
  liveBadge.hidden = false;
  state.routeKey = '';
  render({ live: false, overview }).then(connectEvents);
}

// Whether this browser had a session last time: then the first overview is asked for at once (one round trip
// less before the page shows); otherwise the open session check decides, without a 401 in the console.
const SIGNED_IN_HINT = 'orchestrator.signedIn';
function rememberSignedIn(yes) {
  try {
    if (yes) localStorage.setItem(SIGNED_IN_HINT, '1');
    else localStorage.removeItem(SIGNED_IN_HINT);
  } catch {
    // storage disabled: the session check runs every time
  }
}
function hadSession() {
  try {
    return localStorage.getItem(SIGNED_IN_HINT) === '1';
  } catch {
    return false;
  }
}

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = loginToken.value.trim();
  if (!token) {
    loginError.textContent = 'Enter the access token.';
    loginError.hidden = false;
    return;
  }
  loginSubmit.disabled = true;
  loginSubmit.textContent = 'Signing in…';
  try {
    await api.login(token);
    loginToken.value = '';
    signedIn();
  } catch (error) {
    loginError.textContent =
      error.status === 401
        ? 'That token is not right. Check the web-token file on the host.'
        : error.status === 429
          ? 'Too many attempts. Wait a minute, then try again.'
          : `Could not sign in: ${error.message}`;
    loginError.hidden = false;
    loginToken.select();
  } finally {
    loginSubmit.disabled = false;
    loginSubmit.textContent = 'Sign in';
  }
});

logoutButton.addEventListener('click', async () => {
  try {
    await api.logout();
  } catch {
    // signed out either way
  }
  showLogin();
});

onUnauthorized(showLogin);

// ---- start ---------------------------------------------------------------------------------------------------

// Notification links point at /escalations/<id>: turn a path into the matching hash route.
if (location.pathname !== '/' && location.pathname !== '/index.html' && !location.hash) {
  history.replaceState(null, '', `/#${location.pathname}${location.search}`);
}

window.addEventListener('hashchange', () => {
  if (state.signedIn) {
    render({ live: false });
    main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }
});
setInterval(() => refreshRelativeTimes(), 15_000);
// A slow safety net: even without live events, nothing on screen is older than a minute.
setInterval(() => {
  if (state.signedIn && document.visibilityState === 'visible' && liveBadge.dataset.state !== 'on') scheduleRefresh(0);
}, 60_000);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') scheduleRefresh(0);
});

loadUplot(); // the charts' library loads while the first data is fetched

// Find out whether the session cookie is still good. A network problem shows the page with its error rather
// than a login form.
state.signedIn = true;
main.hidden = false;
if (hadSession()) {
  api
    .overview()
    .then((overview) => signedIn(overview))
    .catch((error) => {
      if (!(error instanceof ApiError && error.status === 401)) signedIn(); // a 401 has shown the login form
    });
} else {
  api
    .session()
    .then((session) => (session?.authenticated ? signedIn() : showLogin()))
    .catch(() => signedIn());
}
