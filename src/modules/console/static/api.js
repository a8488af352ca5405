// The console's only way to the data: the public /v1 API, with the signed-in credential.
// The credential lives in sessionStorage (this tab only, gone when it closes), never in a cookie.

const STORE = "candle-console-session";

export const session = {
  /** @returns {{ kind: "key", key: string } | { kind: "user", token: string, refreshToken: string, user: object } | null} */
  load() {
    try {
      return JSON.parse(sessionStorage.getItem(STORE) ?? "null");
    } catch {
      return null;
    }
  },
  save(value) {
    sessionStorage.setItem(STORE, JSON.stringify(value));
  },
  clear() {
    sessionStorage.removeItem(STORE);
  },
};

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `The API answered ${status}.`);
    this.status = status;
    this.code = error?.code ?? "unknown";
    this.param = error?.param;
    this.requestId = error?.request_id;
    this.details = error;
  }
}

/** Called when the session is over (revoked, expired past refreshing): the app shows the sign-in form. */
let onSignedOut = () => {};
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === "") continue;
    params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function send(method, path, { body, query, credential } = {}) {
  const headers = { accept: "application/json" };
  if (credential) headers.authorization = `Bearer ${credential}`;
  // Every write carries an Idempotency-Key, as the API asks: a retried click is done once.
  if (method !== "GET") headers["idempotency-key"] = crypto.randomUUID();
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`/v1${path}${queryString(query)}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: { message: text.slice(0, 200) } };
    }
  }
  if (!response.ok) throw new ApiError(response.status, data?.error);
  return data;
}

let refreshing = null;
async function refreshSession(current) {
  // One refresh at a time: a spent refresh token presented twice revokes the whole session.
  refreshing ??= send("POST", "/auth/session/refresh", { body: { refreshToken: current.refreshToken } })
    .then((answer) => {
      const next = { ...current, token: answer.token, refreshToken: answer.refreshToken, user: answer.user };
      session.save(next);
      return next;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** A call with the signed-in credential; an expired user token is refreshed once. */
export async function api(method, path, options = {}) {
  const current = session.load();
  if (!current) {
    onSignedOut();
    throw new ApiError(401, { code: "signed_out", message: "Sign in first." });
  }
  const credential = current.kind === "key" ? current.key : current.token;
  try {
    return await send(method, path, { ...options, credential });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    if (current.kind === "user" && err.code === "token_expired") {
      try {
        const next = await refreshSession(current);
        return await send(method, path, { ...options, credential: next.token });
      } catch (refreshError) {
        if (refreshError instanceof ApiError && refreshError.status !== 401) throw refreshError;
      }
    }
    session.clear();
    onSignedOut();
    throw err;
  }
}

/** Public calls of the sign-in form (no credential). */
export const publicApi = {
  platformAtDomain: (domain) => send("GET", `/platforms/domains/${encodeURIComponent(domain)}`),
  askCode: (email, platformId) => send("POST", "/auth/otp/email", { body: { email, platform_id: platformId } }),
  verifyCode: (email, code, platformId) => send("POST", "/auth/otp/verify", { body: { email, token: code, platform_id: platformId } }),
  /** Checks a key before it is kept. */
  platformOfKey: (key) => send("GET", "/platforms", { credential: key }),
};

/** Every page of a list, up to `max` rows (the console's lists are for people, not exports). */
export async function listAll(path, query = {}, max = 500) {
  const rows = [];
  for (let page = 1; rows.length < max; page += 1) {
    const answer = await api("GET", path, { query: { ...query, page, per_page: 100 } });
    rows.push(...answer.data);
    if (page >= answer.meta.last_page) break;
  }
  return rows;
}
