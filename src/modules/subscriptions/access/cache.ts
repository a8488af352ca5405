/**
 * Whether a user has a live subscription to a plan, as last read, so the gates on buying and on
 * members-only products cost no database round trip. Like the key and session caches (src/modules/auth),
 * entries live `ttlMs` at most and are evicted on every node through LISTEN/NOTIFY (src/db/invalidation.ts):
 * `subscriber:<user id>` whenever one of the user's subscriptions changes (every change records its event,
 * and the NOTIFY goes with it), `user:<id>` when the user is erased. The cache stays off while that channel is down.
 */
export class SubscriptionAccessCache {
  private readonly entries = new Map<string, { userId: string; value: boolean; until: number }>();
  private live = false;
  /** Bumped by every eviction: a read that started before one may be stale, so it is not cached. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
    private readonly now: () => number = Date.now,
  ) {}

  private static key(userId: string, plan: string): string {
    return `${userId} ${plan}`;
  }

  get(userId: string, plan: string): boolean | undefined {
    if (!this.live) return undefined;
    const key = SubscriptionAccessCache.key(userId, plan);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Call before reading the database; pass the answer to `set`. */
  mark(): number {
    return this.generation;
  }

  set(userId: string, plan: string, value: boolean, mark: number): void {
    if (!this.live || this.ttlMs <= 0 || mark !== this.generation) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(SubscriptionAccessCache.key(userId, plan), { userId, value, until: this.now() + this.ttlMs });
  }

  /** `subscriber:<id>` or `user:<id>` evict a user's answers; key, session and platform messages are not about them; anything else clears all. */
  invalidate(message: string): void {
    this.generation += 1;
    const colon = message.indexOf(":");
    const [kind, id] = [message.slice(0, colon), message.slice(colon + 1)];
    if (kind === "subscriber" || kind === "user") {
      for (const [key, entry] of this.entries) if (entry.userId === id) this.entries.delete(key);
    } else if (kind !== "key" && kind !== "session" && kind !== "platform") this.entries.clear();
  }

  /** Trusted only while invalidations can be heard. */
  setLive(live: boolean): void {
    this.live = live;
    this.generation += 1;
    if (!live) this.entries.clear();
  }
}
