import type { Platform } from "../../generated/prisma/client.js";
import type { Role } from "../../generated/prisma/enums.js";

/**
 * Live sessions as last read, by session (refresh-token family) id, so a user request checks its
 * session and reads the user's current role without a database round trip. Like the key cache,
 * entries live `ttlMs` at most and are evicted on every node through LISTEN/NOTIFY
 * (src/db/invalidation.ts): `session:<family id>` when a session is revoked, `user:<id>` when a
 * user's role changes or the user is erased, `platform:<id>` when a platform changes. The cache
 * stays off while that channel is down.
 */
export interface CachedSession {
  sessionId: string;
  userId: string;
  role: Role;
  platform: Platform;
}

export class SessionCache {
  private readonly entries = new Map<string, { value: CachedSession; until: number }>();
  private live = false;
  /** Bumped by every eviction: a read that started before one may be stale, so it is not cached. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(sessionId: string): CachedSession | undefined {
    if (!this.live) return undefined;
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry.value;
  }

  /** Call before reading the database; pass the answer to `set`. */
  mark(): number {
    return this.generation;
  }

  set(value: CachedSession, mark: number): void {
    if (!this.live || this.ttlMs <= 0 || mark !== this.generation) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(value.sessionId, { value, until: this.now() + this.ttlMs });
  }

  /** `session:<id>`, `user:<id>` or `platform:<id>`, as sent on the invalidation channel; `key:` and `subscriber:` are not about sessions, anything else clears all. */
  invalidate(message: string): void {
    this.generation += 1;
    const colon = message.indexOf(":");
    const [kind, id] = [message.slice(0, colon), message.slice(colon + 1)];
    if (kind === "session") this.entries.delete(id);
    else if (kind === "user") {
      for (const [sid, entry] of this.entries) if (entry.value.userId === id) this.entries.delete(sid);
    } else if (kind === "platform") {
      for (const [sid, entry] of this.entries) if (entry.value.platform.id === id) this.entries.delete(sid);
    } else if (kind !== "key" && kind !== "subscriber") this.entries.clear();
  }

  /** Trusted only while invalidations can be heard. */
  setLive(live: boolean): void {
    this.live = live;
    this.generation += 1;
    if (!live) this.entries.clear();
  }
}
