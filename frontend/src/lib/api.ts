// The one place that talks to the API: base URL, cookies, errors.
import type { Issue } from "./types";

/** `NEXT_PUBLIC_API_URL` (the API's origin, with or without `/api`) or same-origin `/api`. */
export function apiBase(env: string | undefined = process.env.NEXT_PUBLIC_API_URL): string {
  const raw = (env ?? "").trim().replace(/\/+$/, "");
  if (!raw) return "/api";
  return raw.endsWith("/api") ? raw : `${raw}/api`;
}

export const API = apiBase();

export function apiUrl(path: string): string {
  return `${API}${path.startsWith("/") ? path : `/${path}`}`;
}

export class ApiError extends Error {
  status: number;
  detail: string;
  issues: Issue[];
  constructor(status: number, detail: string, issues: Issue[] = []) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.issues = issues;
  }
}

/** Parses the contract's error body `{status_code, detail, extra?: {issues}}` (or anything else). */
export function errorFromBody(status: number, body: unknown, fallback = "Request failed"): ApiError {
  if (body && typeof body === "object") {
    const b = body as { detail?: unknown; extra?: { issues?: Issue[] } };
    const detail = typeof b.detail === "string" ? b.detail : Array.isArray(b.detail) ? JSON.stringify(b.detail) : fallback;
    const issues = Array.isArray(b.extra?.issues) ? b.extra!.issues! : [];
    return new ApiError(status, detail, issues);
  }
  if (typeof body === "string" && body.trim()) return new ApiError(status, body.slice(0, 300));
  return new ApiError(status, `${fallback} (HTTP ${status})`);
}

type Unauthorized = () => void;
let onUnauthorized: Unauthorized = () => {
  if (typeof window === "undefined") return;
  const here = window.location.pathname + window.location.search;
  if (!window.location.pathname.startsWith("/signin")) {
    window.location.assign(`/signin/?next=${encodeURIComponent(here)}`);
  }
};
export function setUnauthorizedHandler(handler: Unauthorized) {
  onUnauthorized = handler;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Don't redirect to sign-in on 401 (for `/auth/me` probes). */
  allow401?: boolean;
  signal?: AbortSignal;
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const init: RequestInit = {
    method: opts.method ?? (opts.body === undefined ? "GET" : "POST"),
    credentials: "include",
    headers: { Accept: "application/json" },
    signal: opts.signal,
  };
  if (opts.body instanceof FormData) {
    init.body = opts.body;
  } else if (opts.body !== undefined) {
    init.body = JSON.stringify(opts.body);
    (init.headers as Record<string, string>)["Content-Type"] = "application/json";
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(path), init);
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "Cannot reach the API. Is it running?");
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.allow401) onUnauthorized();
    throw errorFromBody(res.status, body);
  }
  return body as T;
}

/** Multipart upload with real progress events (fetch has no upload progress). */
export function uploadWithProgress<T>(
  path: string,
  form: FormData,
  onProgress: (fraction: number) => void,
): { promise: Promise<T>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<T>((resolve, reject) => {
    xhr.open("POST", apiUrl(path));
    xhr.withCredentials = true;
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = xhr.responseText;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body as T);
      } else {
        if (xhr.status === 401) onUnauthorized();
        reject(errorFromBody(xhr.status, body, "Upload failed"));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, "Upload failed: network error"));
    xhr.onabort = () => reject(new ApiError(0, "Upload cancelled"));
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return "—";
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 10 || i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function formatNumber(v: unknown, digits = 4): string {
  if (typeof v !== "number") return v == null ? "—" : String(v);
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString();
  return Number(v.toPrecision(digits)).toString();
}
