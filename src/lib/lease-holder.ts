import { createHash } from "node:crypto";
import { randomBase62 } from "./crypto.js";

/**
 * Who holds a lease (a contract's settlement, a subscription period's charge): this node in this
 * boot. A lease id reads `<node>.<boot>.<random>` — `node` a hash of NODE_ID, `boot` drawn when the
 * app starts — so a node that starts again knows the leases its earlier life held: that life is
 * over, and they are resumed at once instead of when they lapse. A lease of another node is left
 * to lapse (short, and renewed while its holder works). Only letters and digits: LIKE-safe.
 *
 * Within one boot, the leases its settlers work under now are `live`. A settler cut off by the
 * database (PostgreSQL restarting under a running node) cannot release its lease; `work` tells
 * the `onLost` listeners, which free this boot's leases that are no longer live once the database
 * answers again — at once, not when they lapse.
 */
export interface LeaseHolder {
  readonly node: string;
  readonly boot: string;
  newLeaseId(): string;
  /** LIKE pattern of every lease this node ever held. */
  readonly nodePattern: string;
  /** LIKE pattern of the leases of this boot. */
  readonly bootPattern: string;
  /** The leases of this boot a settler is working under now. */
  live(): string[];
  /** Runs a settler's `work` under `leaseId` (live meanwhile); an error it ends in is told to the `onLost` listeners, then thrown. */
  work<T>(leaseId: string, work: () => Promise<T>): Promise<T>;
  onLost(listener: (err: unknown) => void): void;
}

export function createLeaseHolder(nodeId: string, boot: string = randomBase62(12)): LeaseHolder {
  const node = createHash("sha256").update(nodeId).digest("hex").slice(0, 16);
  const live = new Set<string>();
  const listeners: ((err: unknown) => void)[] = [];
  return {
    node,
    boot,
    newLeaseId: () => `${node}.${boot}.${randomBase62(16)}`,
    nodePattern: `${node}.%`,
    bootPattern: `${node}.${boot}.%`,
    live: () => [...live],
    async work(leaseId, work) {
      live.add(leaseId);
      try {
        const result = await work();
        live.delete(leaseId);
        return result;
      } catch (err) {
        // No longer live before the listeners hear of it: a sweep they start may free it.
        live.delete(leaseId);
        for (const listener of listeners) listener(err);
        throw err;
      }
    },
    onLost: (listener) => void listeners.push(listener),
  };
}
