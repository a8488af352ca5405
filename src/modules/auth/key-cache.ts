import type { Platform } from "../../generated/prisma/client.js";
import type { Mode } from "../../generated/prisma/enums.js";

/**
 * API keys as last read, by hash, so a request authenticates without a database round trip (the
 * retrieve-contract benchmark spent half its database time on the key lookup). Entries live
 * `ttlMs` at most; a revocation or a platform change evicts them on every node at once through
 * LISTEN/NOTIFY (src/db/invalidation.ts), and the cache stays off while that channel is down.
 */
export interface CachedKey {
  apiKeyId: string;
  hash: string;
  keyMode: Mode;
  revoked: Date | null;
  lastUsed: Date | null;
  /** Empty: unrestricted. */
  scopes: string[];
  platform: Platform;
}

export class KeyCache {
  private readonly entries = new Map<string, { value: CachedKey; until: number }>();
  private live = false;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(hash: string): CachedKey | undefined {
    if (!this.live) return undefined;
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.value;
  }

  set(value: CachedKey): void {
    if (!this.live || this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(value.hash, { value, until: this.now() + this.ttlMs });
  }

  /** `key:<hash>` or `platform:<id>`, as sent on the invalidation channel (`session:` and `user:` are the session cache's, `subscriber:` the subscription access cache's). */
  invalidate(message: string): void {
    const [kind, id] = [message.slice(0, message.indexOf(":")), message.slice(message.indexOf(":") + 1)];
    if (kind === "key") this.entries.delete(id);
    else if (kind === "platform") {
      for (const [hash, entry] of this.entries) if (entry.value.platform.id === id) this.entries.delete(hash);
    } else if (kind !== "session" && kind !== "user" && kind !== "subscriber") this.entries.clear();
  }

  /** Trusted only while invalidations can be heard. */
  setLive(live: boolean): void {
    this.live = live;
    if (!live) this.entries.clear();
  }
}
