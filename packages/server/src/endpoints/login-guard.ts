import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type Clock, constantTimeEqual } from '@tokenstore/core';

/** The cookie that ties a login form to the browser it was shown to. */
export const LOGIN_COOKIE = 'tokenstore_login';
/** The hidden field of the login form that carries its CSRF token. */
export const CSRF_FIELD = 'csrf_token';
/** How long a shown login form may be submitted. */
export const LOGIN_FORM_TTL_MS = 10 * 60_000;

const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;
/** Bound on the per-IP failure table, so a flood of addresses cannot grow it without limit. */
const MAX_TRACKED_ADDRESSES = 10_000;

/** The failed-login limit of the development login. */
export interface LoginRateLimit {
  /** Failed logins per IP address within `windowSeconds` before every login from it is refused. Default 5. */
  maxFailures: number;
  /** Default 900 (15 minutes), counted from the first failure of the window. */
  windowSeconds: number;
}

export const DEFAULT_LOGIN_RATE_LIMIT: LoginRateLimit = { maxFailures: 5, windowSeconds: 900 };

/**
 * CSRF protection and failed-login limiting for the development login page.
 *
 * The form's token is an HMAC (a key of this process) over a random cookie value set on the browser
 * that was shown the form, the time it was shown, and the authorization request's fields: a post is
 * accepted only from that browser (another site can neither read nor set the cookie), for that very
 * request, within {@link LOGIN_FORM_TTL_MS}. So `deny` cannot be forged to redirect with a chosen
 * `state`, and a login cannot be posted from elsewhere. No server-side session is kept; a restart
 * invalidates open forms (a development login may afford that).
 */
export class LoginGuard {
  readonly #key = randomBytes(32);
  readonly #failures = new Map<string, { count: number; since: number }>();

  constructor(
    readonly clock: Clock,
    readonly limit: LoginRateLimit,
  ) {}

  /** The browser's login cookie value, when it sent a well-formed one. */
  cookieOf(req: IncomingMessage): string | undefined {
    const header = req.headers.cookie;
    if (typeof header !== 'string') return undefined;
    for (const part of header.split(';')) {
      const [name, value] = part.trim().split('=', 2);
      if (name === LOGIN_COOKIE && value !== undefined && COOKIE_VALUE.test(value)) return value;
    }
    return undefined;
  }

  newCookie(): string {
    return randomBytes(32).toString('base64url');
  }

  /** The `Set-Cookie` header for `value`: HttpOnly, SameSite=Strict, only sent back to /authorize. */
  setCookieHeader(value: string): string {
    return `${LOGIN_COOKIE}=${value}; Path=/authorize; HttpOnly; SameSite=Strict; Max-Age=${LOGIN_FORM_TTL_MS / 1000}`;
  }

  /** The CSRF token of a form shown now to the browser holding `cookie`, for the request `fields`. */
  formToken(cookie: string, fields: readonly (string | undefined)[]): string {
    const shownAt = String(this.clock.now());
    return `${shownAt}.${this.#mac(cookie, shownAt, fields)}`;
  }

  /** True when `token` is the one {@link formToken} gave this browser for these fields, and not too old. */
  verify(cookie: string | undefined, token: string | undefined, fields: readonly (string | undefined)[]): boolean {
    if (cookie === undefined || typeof token !== 'string') return false;
    const dot = token.indexOf('.');
    const shownAt = token.slice(0, dot);
    if (dot <= 0 || !/^\d{1,16}$/.test(shownAt)) return false;
    const age = this.clock.now() - Number(shownAt);
    if (age < 0 || age > LOGIN_FORM_TTL_MS) return false;
    return constantTimeEqual(token.slice(dot + 1), this.#mac(cookie, shownAt, fields));
  }

  /** Seconds until `address` may try again, or 0 when it is not limited. */
  retryAfterSeconds(address: string): number {
    const entry = this.#failures.get(address);
    if (!entry) return 0;
    const windowEnd = entry.since + this.limit.windowSeconds * 1000;
    const now = this.clock.now();
    if (now >= windowEnd) {
      this.#failures.delete(address);
      return 0;
    }
    return entry.count >= this.limit.maxFailures ? Math.ceil((windowEnd - now) / 1000) : 0;
  }

  recordFailure(address: string): void {
    const now = this.clock.now();
    const entry = this.#failures.get(address);
    if (entry && now < entry.since + this.limit.windowSeconds * 1000) {
      entry.count++;
      return;
    }
    this.#failures.delete(address);
    if (this.#failures.size >= MAX_TRACKED_ADDRESSES) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
    this.#failures.set(address, { count: 1, since: now });
  }

  #mac(cookie: string, shownAt: string, fields: readonly (string | undefined)[]): string {
    return createHmac('sha256', this.#key)
      .update(JSON.stringify([cookie, shownAt, ...fields.map((field) => field ?? null)]))
      .digest('base64url');
  }
}

/** The peer address a failed login is counted against (no proxy header is trusted). */
export function peerAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}
