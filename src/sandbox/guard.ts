/**
 * What keeps the sandbox from being a back door: only this machine's browser, on the sandbox's own page, may
 * drive it. Every request must name the sandbox by its loopback Host (a DNS-rebinding page names its own);
 * a request from another page's Origin is refused; and the page's API needs the token served inside the page,
 * which another site can neither read nor send without a preflight the sandbox never grants.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_HEADER = 'x-sandbox-token';

export interface PageGuard {
  /** Why this request is refused (Host or Origin), or undefined when it may go on. */
  refuse(req: IncomingMessage): string | undefined;
  /** A fresh token for one page load. */
  issue(): string;
  /** Whether the request carries a token this sandbox issued (header, or `?token=` for EventSource). */
  hasToken(req: IncomingMessage, url: URL): boolean;
}

/** `port()` is where the sandbox listens (known once it does). */
export function pageGuard(port: () => number): PageGuard {
  const key = randomBytes(32);
  const mac = (nonce: string) => createHmac('sha256', key).update(nonce).digest('base64url');
  const origins = () => [`127.0.0.1:${port()}`, `localhost:${port()}`];
  return {
    refuse(req) {
      const host = (req.headers.host ?? '').toLowerCase();
      if (!origins().includes(host)) return 'this sandbox answers only at 127.0.0.1 or localhost';
      const origin = req.headers.origin;
      if (origin !== undefined && !origins().some((o) => origin.toLowerCase() === `http://${o}`))
        return 'requests from other pages are refused';
      return undefined;
    },
    issue() {
      const nonce = randomBytes(18).toString('base64url');
      return `${nonce}.${mac(nonce)}`;
    },
    hasToken(req, url) {
      const given = req.headers[TOKEN_HEADER] ?? url.searchParams.get('token') ?? '';
      const [nonce, sig] = String(given).split('.');
      if (!nonce || !sig) return false;
      const want = Buffer.from(mac(nonce));
      const got = Buffer.from(sig);
      return got.length === want.length && timingSafeEqual(got, want);
    },
  };
}
