// Admin routes are guarded by a bearer token from the environment; without a token they do not exist.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const ADMIN_TOKEN_ENV = 'DRILL_ADMIN_TOKEN';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * True when the request carries `Authorization: Bearer <token>`. Comparing fixed-length digests in constant time
 * reveals neither the token's characters nor its length through timing.
 */
export function hasBearerToken(req: IncomingMessage, token: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}
