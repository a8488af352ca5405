import { createHash } from "node:crypto";
import { randomBase62 } from "./crypto.js";

/**
 * Who holds a lease (a contract's settlement, a subscription period's charge): this node in this
 * boot. A lease id reads `<node>.<boot>.<random>` — `node` a hash of NODE_ID, `boot` drawn when the
 * app starts — so a node that starts again knows the leases its earlier life held: that life is
 * over, and they are resumed at once instead of when they lapse. A lease of another node is left
 * to lapse (short, and renewed while its holder works). Only letters and digits: LIKE-safe.
 */
export interface LeaseHolder {
  readonly node: string;
  readonly boot: string;
  newLeaseId(): string;
  /** LIKE pattern of every lease this node ever held. */
  readonly nodePattern: string;
  /** LIKE pattern of the leases of this boot. */
  readonly bootPattern: string;
}

export function createLeaseHolder(nodeId: string, boot: string = randomBase62(12)): LeaseHolder {
  const node = createHash("sha256").update(nodeId).digest("hex").slice(0, 16);
  return {
    node,
    boot,
    newLeaseId: () => `${node}.${boot}.${randomBase62(16)}`,
    nodePattern: `${node}.%`,
    bootPattern: `${node}.${boot}.%`,
  };
}
