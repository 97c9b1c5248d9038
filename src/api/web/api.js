// Every data call of the dashboard and the API reference goes through apiFetch: it adds the
// key or token the person entered (kept in this tab's sessionStorage only) and, on a 401,
// asks for one again and retries. Errors come back as ApiError with the server's words.
const STORAGE_KEY = 'scrapersky.credential';

export class ApiError extends Error {
  constructor(status, message, detail) {
    super(message);
    this.status = status;
    this.detail = detail;
  }
}

export function credential() {
  return sessionStorage.getItem(STORAGE_KEY) || '';
}

function authHeaders() {
  const value = credential();
  if (!value) return {};
  // A JWT has three dot-separated parts; anything else is an API key.
  return value.split('.').length === 3 ? { Authorization: `Bearer ${value}` } : { 'X-API-Key': value };
}

// The prompt: a form in the page (no window.prompt, so it can be styled and tested). Resolves
// once a credential was entered.
let pending = null;
export function askForCredential(reason) {
  if (pending) return pending;
  const dialog = document.getElementById('auth-dialog');
  const form = document.getElementById('auth-form');
  const message = document.getElementById('auth-message');
  message.textContent = reason;
  dialog.hidden = false;
  form.elements.credential.value = '';
  form.elements.credential.focus();
  pending = new Promise((resolve) => {
    const submit = (event) => {
      event.preventDefault();
      const value = form.elements.credential.value.trim();
      if (!value) return;
      sessionStorage.setItem(STORAGE_KEY, value);
      form.removeEventListener('submit', submit);
      dialog.hidden = true;
      pending = null;
      resolve();
    };
    form.addEventListener('submit', submit);
  });
  return pending;
}

export function forgetCredential() {
  sessionStorage.removeItem(STORAGE_KEY);
}

function errorFrom(status, body) {
  if (body && typeof body === 'object' && 'message' in body) {
    let detail = body.detail;
    if (Array.isArray(detail)) {
      detail = detail.map((d) => `${(d.loc || []).join('.')}: ${d.msg}`).join('; ');
    }
    const words = detail && detail !== body.message ? `${body.message} (${detail})` : body.message;
    return new ApiError(status, words, body.detail);
  }
  return new ApiError(status, `The server answered ${status}`);
}

// fetch() of an /api/v3 path; returns the parsed JSON, or the Response itself when
// options.raw is set (downloads). Throws ApiError.
export async function apiFetch(path, options = {}) {
  for (;;) {
    const headers = { Accept: 'application/json', ...authHeaders(), ...(options.headers || {}) };
    let response;
    try {
      response = await fetch(path, { ...options, headers });
    } catch (e) {
      throw new ApiError(0, 'The server cannot be reached: is `scrapersky serve` running?');
    }
    if (response.status === 401) {
      const had = credential();
      forgetCredential();
      await askForCredential(had
        ? 'That key or token was refused. Enter an API key or a JWT.'
        : 'This server needs an API key or a JWT.');
      continue;
    }
    if (options.raw && response.ok) return response;
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
    if (!response.ok) throw errorFrom(response.status, body);
    return body;
  }
}
