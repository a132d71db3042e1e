/**
 * The JSON API client. Every request carries the session cookie (set by POST /api/login, HttpOnly: the page
 * never sees or stores the token). A 401 anywhere calls the handler given to onUnauthorized (the login form).
 */

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

let unauthorizedHandler = () => {};

/** Called whenever the server answers 401 (no or expired session). */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

async function request(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' };
  if (method !== 'GET') {
    // The server accepts only JSON bodies on POST (and Fastify refuses an empty JSON body): always send one.
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body ?? {});
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, `cannot reach the orchestrator (${error.message})`);
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (response.status === 401 && path !== '/api/login') {
    unauthorizedHandler();
  }
  if (!response.ok) {
    const message = (data && typeof data.error === 'string' && data.error) || `${response.status} ${response.statusText || 'error'}`;
    throw new ApiError(response.status, message);
  }
  return data;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

const id = (value) => encodeURIComponent(value);

export const api = {
  session: () => request('GET', '/api/session'),
  login: (token) => request('POST', '/api/login', { token }),
  logout: () => request('POST', '/api/logout', {}),
  overview: () => request('GET', '/api/overview'),
  tasks: (filter = {}) => request('GET', `/api/tasks${query(filter)}`),
  task: (taskId) => request('GET', `/api/tasks/${id(taskId)}`),
  escalations: (status) => request('GET', `/api/escalations${query({ status })}`),
  acknowledge: (escalationId) => request('POST', `/api/escalations/${id(escalationId)}/ack`, {}),
  resolve: (escalationId, input) => request('POST', `/api/escalations/${id(escalationId)}/resolve`, input),
  retry: (escalationId) => request('POST', `/api/escalations/${id(escalationId)}/retry`, {}),
  patterns: () => request('GET', '/api/patterns'),
  actions: () => request('GET', '/api/actions'),
  silences: () => request('GET', '/api/silences'),
  addSilence: (input) => request('POST', '/api/silences', input),
  expireSilence: (silenceId) => request('POST', `/api/silences/${id(silenceId)}/expire`, {}),
  autonomy: () => request('GET', '/api/autonomy'),
  setAutonomy: (service, mode, reason) => request('POST', `/api/services/${id(service)}/autonomy`, reason ? { mode, reason } : { mode }),
  fleet: () => request('GET', '/api/fleet'),
  fleetTasks: (filter = {}) => request('GET', `/api/fleet/tasks${query(filter)}`),
  fleetTask: (hostId, taskId) => request('GET', `/api/fleet/tasks/${id(hostId)}/${id(taskId)}`),
  fleetPatterns: () => request('GET', '/api/fleet/patterns'),
  pause: (reason) => request('POST', '/api/pause', reason ? { reason } : {}),
  resume: () => request('POST', '/api/resume', {}),
};
