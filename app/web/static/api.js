// Calls to the docorch API from the page. URLs are relative (the page may be served behind a
// path prefix); the API token, when one is set, lives in sessionStorage (this tab only) and goes
// out as a Bearer header; a refused call throws ApiError with the API's own detail.

const TOKEN_KEY = "docorch.apiToken";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, message, errorType) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.errorType = errorType;
  }
}

async function apiError(response) {
  let message = `${response.status} ${response.statusText}`;
  let errorType = null;
  try {
    const body = await response.json();
    if (typeof body.detail === "string") message = body.detail;
    else if (Array.isArray(body.detail)) message = body.detail.map((d) => d.msg).join("; ");
    errorType = body.error_type ?? null;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, message, errorType);
}

// fetch() with the token; `json` is sent as a JSON body; throws ApiError unless 2xx.
export async function request(path, { method = "GET", json, body, headers = {}, signal } = {}) {
  const sent = new Headers(headers);
  const bearer = token();
  if (bearer) sent.set("Authorization", `Bearer ${bearer}`);
  if (json !== undefined) {
    sent.set("Content-Type", "application/json");
    body = JSON.stringify(json);
  }
  const response = await fetch(path, { method, headers: sent, body, signal, cache: "no-store" });
  if (!response.ok) throw await apiError(response);
  return response;
}

export async function getJson(path) {
  return (await request(path)).json();
}

export async function postJson(path, json) {
  return (await request(path, { method: "POST", json })).json();
}

// Store one file's bytes and have it ingested; resolves to its DocumentRef.
export async function upload(file) {
  const path = `documents?filename=${encodeURIComponent(file.name)}`;
  const headers = { "Content-Type": "application/octet-stream" };
  return (await request(path, { method: "POST", body: file, headers })).json();
}

// A fresh query workflow id, `query-<uuid>` like the SDK's: sent with the question, it makes
// the request idempotent, so a dropped stream can be resumed on the same query.
export function newQueryId() {
  if (crypto.randomUUID) return `query-${crypto.randomUUID()}`;
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  const parts = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20)];
  return `query-${parts.join("-")}-${hex.slice(20)}`;
}

// What to tell a person about an error.
export function describe(error) {
  if (error instanceof ApiError) {
    if (error.status === 401) return "The API needs its token: enter it under “API token”.";
    return error.errorType ? `${error.message} (${error.errorType})` : error.message;
  }
  if (error instanceof TypeError) return `The API could not be reached: ${error.message}`;
  return String(error?.message ?? error);
}
