import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/generated/prisma/client.js";
import type { Cycle, TransactionStatus, TransactionType } from "../../src/generated/prisma/enums.js";
import { newId } from "../../src/lib/ids.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";

/**
 * The analytics against brute force: random transactions, contracts and subscriptions are seeded,
 * and every figure the API answers is recomputed here from the seeded rows, in plain TypeScript.
 */

const NOW = new Date("2026-07-15T12:34:56Z");

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let admin: TestUser;
let member: TestUser;
let users: TestUser[];
let strangers: TestUser[];

interface Row {
  id: string;
  type: TransactionType;
  status: TransactionStatus;
  amount: number;
  currency: string;
  buyer: string | null;
  seller: string | null;
  created: Date;
}
const rows: Row[] = [];
interface ContractRow {
  id: string;
  status: "paid" | "open" | "void";
  total: number;
  currency: string;
  paid: Date | null;
}
const contracts: ContractRow[] = [];
interface SubRow {
  price: number;
  cycle: Cycle;
  currency: string;
  isActive: boolean;
  isPaused: boolean;
  ended: Date | null;
}
const subs: SubRow[] = [];

/** A small, seeded generator (mulberry32), so failures reproduce. */
function generator(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

const TYPES: readonly TransactionType[] = [
  "incoming",
  "incoming",
  "incoming",
  "outgoing",
  "outgoing",
  "fee_stripe",
  "fee_candle",
  "fee_platform",
  "incoming_refund",
  "outgoing_refund",
  "fee_platform_refund",
  "fee_candle_refund",
];
const STATUSES: readonly TransactionStatus[] = ["succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "failed", "processing", "canceled"];
const CURRENCIES = ["usd", "usd", "usd", "eur", "gbp"] as const;
const START = Date.parse("2025-01-01T00:00:00Z");
const END = Date.parse("2026-07-01T00:00:00Z");
/** Instants on the edges buckets are made of. */
const EDGES = [
  "2025-03-01T00:00:00.000Z",
  "2025-02-28T23:59:59.999Z",
  "2025-12-29T00:00:00.000Z",
  "2025-12-28T23:59:59.999Z",
  "2026-01-01T00:00:00.000Z",
  "2026-06-30T23:59:59.999Z",
];

beforeAll(async () => {
  t = await createTestContext({}, { clock: { now: () => NOW } });
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  admin = await t.createUser(acme, "admin");
  member = await t.createUser(acme, "member");
  users = [];
  for (let i = 0; i < 10; i++) users.push(await t.createUser(acme, "member"));
  strangers = [await t.createUser(other, "member"), await t.createUser(other, "member")];

  const rnd = generator(20260715);
  const data: Prisma.TransactionCreateManyInput[] = [];
  const add = (platform: TestPlatform, people: TestUser[], n: number, keep: boolean) => {
    for (let i = 0; i < n; i++) {
      const type = rnd.pick(TYPES);
      const buyerSide = type === "incoming" || type === "incoming_refund";
      const sellerSide = type === "outgoing" || type === "outgoing_refund";
      const row: Row = {
        id: newId("transaction"),
        type,
        status: rnd.pick(STATUSES),
        amount: rnd.next() < 0.05 ? 1 : rnd.int(1, 250_000),
        currency: rnd.pick(CURRENCIES),
        buyer: buyerSide ? rnd.pick(people).id : null,
        seller: sellerSide ? rnd.pick(people).id : null,
        created: rnd.next() < 0.1 ? new Date(rnd.pick(EDGES)) : new Date(START + Math.floor(rnd.next() * (END - START))),
      };
      if (keep) rows.push(row);
      data.push({
        id: row.id,
        platformId: platform.id,
        mode: platform.mode,
        type: row.type,
        status: row.status,
        amount: row.amount,
        currency: row.currency,
        buyerUserId: row.buyer,
        sellerUserId: row.seller,
        created: row.created,
      });
    }
  };
  add(acme, users, 1_500, true);
  add(other, strangers, 200, false);
  await t.db.transaction.createMany({ data });

  const contractData: Prisma.ContractCreateManyInput[] = [];
  for (let i = 0; i < 300; i++) {
    const status = rnd.pick(["paid", "paid", "paid", "open", "void"] as const);
    // Many equal totals, so medians of even counts land between equal and unequal neighbours alike.
    const total = rnd.next() < 0.3 ? rnd.pick([1_000, 2_500, 2_501]) : rnd.int(1, 500_000);
    const row: ContractRow = {
      id: newId("contract"),
      status,
      total,
      currency: rnd.pick(CURRENCIES),
      paid: status === "paid" ? new Date(START + Math.floor(rnd.next() * (END - START))) : null,
    };
    contracts.push(row);
    contractData.push({ id: row.id, platformId: acme.id, mode: acme.mode, status, total, currency: row.currency, paid: row.paid });
  }
  contractData.push({ id: newId("contract"), platformId: other.id, mode: other.mode, status: "paid", total: 999_999, currency: "usd", paid: new Date("2025-06-01T00:00:00Z") });
  await t.db.contract.createMany({ data: contractData });

  const subData: Prisma.SubscriptionCreateManyInput[] = [];
  const holder = await t.db.contract.findFirstOrThrow({ where: { platformId: acme.id } });
  for (let i = 0; i < 200; i++) {
    const isActive = rnd.next() < 0.8;
    const row: SubRow = {
      price: rnd.next() < 0.1 ? rnd.int(1, 20) : rnd.int(1, 100_000),
      cycle: rnd.pick(["hourly", "daily", "weekly", "biweekly", "monthly", "monthly", "yearly"] as const),
      currency: rnd.pick(CURRENCIES),
      isActive,
      isPaused: rnd.next() < 0.2,
      ended: isActive && rnd.next() > 0.1 ? null : new Date("2026-01-01T00:00:00Z"),
    };
    subs.push(row);
    subData.push({
      id: newId("subscription"),
      platformId: acme.id,
      mode: acme.mode,
      userId: rnd.pick(users).id,
      contractId: holder.id,
      price: row.price,
      cycle: row.cycle,
      currency: row.currency,
      isActive: row.isActive,
      isPaused: row.isPaused,
      ended: row.ended,
      startDate: new Date("2025-01-01T00:00:00Z"),
      currentPeriodStart: NOW,
      currentPeriodEnd: NOW,
    });
  }
  await t.db.subscription.createMany({ data: subData });
});
afterAll(() => t.close());

const key = () => bearer(acme.apiKey);

async function get(url: string, headers = key()) {
  const res = await t.request({ method: "GET", url, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

// ── brute force ──────────────────────────────────────────────────────────────────────────────────

type Interval = "day" | "week" | "month";

function bucketOf(date: Date, interval: Interval): number {
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth();
  const d = date.getUTCDate();
  if (interval === "month") return Date.UTC(y, m, 1);
  const day = Date.UTC(y, m, d);
  if (interval === "day") return day;
  const sinceMonday = (date.getUTCDay() + 6) % 7;
  return day - sinceMonday * 86_400_000;
}

function nextBucket(start: number, interval: Interval): number {
  const d = new Date(start);
  if (interval === "month") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return start + (interval === "day" ? 1 : 7) * 86_400_000;
}

const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

interface Period {
  from?: string;
  to?: string;
}

const inPeriod = (date: Date, p: Period) => (!p.from || date >= new Date(p.from)) && (!p.to || date < new Date(p.to));

function expectedFlow(kind: "spend" | "revenue", p: Period & { interval: Interval; currency?: string }, userId?: string) {
  const [pay, refund] = kind === "spend" ? (["incoming", "incoming_refund"] as const) : (["outgoing", "outgoing_refund"] as const);
  const counted = rows.filter(
    (r) =>
      r.status === "succeeded" &&
      (r.type === pay || r.type === refund) &&
      inPeriod(r.created, p) &&
      (!userId || (kind === "spend" ? r.buyer : r.seller) === userId) &&
      (!p.currency || r.currency === p.currency),
  );
  const currencies = [...new Set([...counted.map((r) => r.currency), ...(p.currency ? [p.currency] : [])])].sort();
  const cell = (rs: Row[]) => {
    const gross = rs.filter((r) => r.type === pay).reduce((s, r) => s + r.amount, 0);
    const refunded = rs.filter((r) => r.type === refund).reduce((s, r) => s + r.amount, 0);
    return { amount: gross - refunded, gross, refunded, count: rs.filter((r) => r.type === pay).length, refund_count: rs.filter((r) => r.type === refund).length };
  };
  const totals = currencies.map((currency) => ({ currency, ...cell(counted.filter((r) => r.currency === currency)) }));
  const buckets = counted.map((r) => bucketOf(r.created, p.interval));
  const first = p.from ? bucketOf(new Date(p.from), p.interval) : buckets.length ? Math.min(...buckets) : null;
  const last = p.to ? bucketOf(new Date(Date.parse(p.to) - 1), p.interval) : Math.max(...buckets, bucketOf(NOW, p.interval));
  const series = [];
  if (first !== null) {
    for (let b = first; b <= last; b = nextBucket(b, p.interval)) {
      for (const currency of currencies) {
        const { refund_count: _, ...figures } = cell(counted.filter((r) => r.currency === currency && bucketOf(r.created, p.interval) === b));
        series.push({ start: iso(b), currency, ...figures });
      }
    }
  }
  return {
    from: p.from ? iso(Date.parse(p.from)) : null,
    to: p.to ? iso(Date.parse(p.to)) : null,
    interval: p.interval,
    totals,
    count: totals.reduce((n, x) => n + x.count, 0),
    series,
  };
}

function expectedTop(kind: "spend" | "revenue", p: Period & { currency: string; limit: number }) {
  const [pay, refund] = kind === "spend" ? (["incoming", "incoming_refund"] as const) : (["outgoing", "outgoing_refund"] as const);
  const by = new Map<string, { gross: number; refunded: number; count: number }>();
  for (const r of rows) {
    const who = kind === "spend" ? r.buyer : r.seller;
    if (!who || r.status !== "succeeded" || r.currency !== p.currency || !inPeriod(r.created, p) || (r.type !== pay && r.type !== refund)) continue;
    const e = by.get(who) ?? { gross: 0, refunded: 0, count: 0 };
    if (r.type === pay) {
      e.gross += r.amount;
      e.count += 1;
    } else e.refunded += r.amount;
    by.set(who, e);
  }
  return [...by.entries()]
    .map(([user_id, e]) => ({ user_id, amount: e.gross - e.refunded, ...e }))
    .filter((e) => e.amount > 0)
    .sort((a, b) => b.amount - a.amount || (a.user_id < b.user_id ? -1 : 1))
    .slice(0, p.limit)
    .map((e, i) => ({ rank: i + 1, ...e }));
}

const halfUp = (n: bigint, d: bigint) => Number((2n * n + d) / (2n * d));

function expectedCartValue(p: Period) {
  const paid = contracts.filter((c) => c.status === "paid" && inPeriod(c.paid!, p));
  return [...new Set(paid.map((c) => c.currency))].sort().map((currency) => {
    const totals = paid
      .filter((c) => c.currency === currency)
      .map((c) => c.total)
      .sort((a, b) => a - b);
    const n = totals.length;
    const sum = totals.reduce((s, x) => s + x, 0);
    const median = n % 2 === 1 ? totals[(n - 1) / 2]! : halfUp(BigInt(totals[n / 2 - 1]! + totals[n / 2]!), 2n);
    return { currency, count: n, sum, average: halfUp(BigInt(sum), BigInt(n)), median };
  });
}

/** MRR as exact fractions of a month per cycle (365.25-day year), summed, rounded half up once. */
function expectedRecurring() {
  const perMonth: Record<Cycle, [bigint, bigint]> = { hourly: [1461n, 2n], daily: [487n, 16n], weekly: [487n, 112n], biweekly: [487n, 224n], monthly: [1n, 1n], yearly: [1n, 12n] };
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
  const live = subs.filter((s) => s.isActive && !s.isPaused && s.ended === null);
  return [...new Set(live.map((s) => s.currency))].sort().map((currency) => {
    let num = 0n;
    let den = 1n;
    const mine = live.filter((s) => s.currency === currency);
    for (const s of mine) {
      const [a, b] = perMonth[s.cycle];
      num = num * b + BigInt(s.price) * a * den;
      den *= b;
      const g = gcd(num, den);
      num /= g;
      den /= g;
    }
    const mrr = halfUp(num, den);
    return { currency, subscriptions: mine.length, mrr, arr: 12 * mrr };
  });
}

const query = (params: Record<string, string | number | undefined>) =>
  Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join("&");

const PERIODS: (Period & { name: string })[] = [
  { name: "all time" },
  { name: "a year, aligned", from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" },
  { name: "unaligned edges", from: "2025-02-28T23:59:59.999Z", to: "2025-12-29T00:00:00Z" },
  { name: "from only", from: "2026-01-01T00:00:00Z" },
  { name: "to only, mid-day", to: "2025-06-15T13:30:00+02:00" },
  { name: "empty, in the future", from: "2030-01-01T00:00:00Z", to: "2030-02-01T00:00:00Z" },
];
const INTERVALS: Interval[] = ["day", "week", "month"];

// ── the figures ─────────────────────────────────────────────────────────────────────────────────

describe("GET /v1/transactions/volume", () => {
  for (const period of PERIODS) {
    for (const interval of INTERVALS) {
      it(`equals the brute-force sums: ${period.name}, by ${interval}`, async () => {
        const body = await get(`/v1/transactions/volume?${query({ from: period.from, to: period.to, interval })}`);
        expect(body).toEqual(expectedFlow("spend", { ...period, interval }));
      });
    }
  }

  it("defaults to monthly buckets; a currency without figures is zero-filled", async () => {
    const body = await get(`/v1/transactions/volume?${query({ from: "2025-01-01T00:00:00Z", to: "2025-04-01T00:00:00Z", currency: "jpy" })}`);
    expect(body).toEqual(expectedFlow("spend", { from: "2025-01-01T00:00:00Z", to: "2025-04-01T00:00:00Z", interval: "month", currency: "jpy" }));
    expect(body.series.map((s: { start: string; amount: number }) => [s.start, s.amount])).toEqual([
      ["2025-01-01T00:00:00Z", 0],
      ["2025-02-01T00:00:00Z", 0],
      ["2025-03-01T00:00:00Z", 0],
    ]);
    expect(body.totals).toEqual([{ currency: "jpy", amount: 0, gross: 0, refunded: 0, count: 0, refund_count: 0 }]);
  });

  it("one currency, by week", async () => {
    const p = { from: "2025-03-03T00:00:00Z", to: "2025-09-01T00:00:00Z", interval: "week" as const, currency: "eur" };
    expect(await get(`/v1/transactions/volume?${query(p)}`)).toEqual(expectedFlow("spend", p));
  });
});

describe("GET /v1/transactions/user/:user_id/revenue and /spend", () => {
  it("equal the brute-force sums for every user, period and interval", async () => {
    for (const user of users.slice(0, 5)) {
      for (const period of PERIODS.slice(0, 4)) {
        const interval = INTERVALS[(users.indexOf(user) + PERIODS.indexOf(period)) % 3]!;
        for (const kind of ["revenue", "spend"] as const) {
          const body = await get(`/v1/transactions/user/${user.id}/${kind}?${query({ from: period.from, to: period.to, interval })}`);
          expect(body, `${kind} of user ${users.indexOf(user)}, ${period.name}, by ${interval}`).toEqual({
            user_id: user.id,
            ...expectedFlow(kind, { ...period, interval }, user.id),
          });
        }
      }
    }
  });

  it("a user without transactions gets empty totals", async () => {
    const body = await get(`/v1/transactions/user/${member.id}/revenue`);
    expect(body).toMatchObject({ user_id: member.id, totals: [], count: 0, series: [] });
  });

  it("a signed-in user reads their own figures, not anyone else's", async () => {
    const me = users[0]!;
    expect((await t.request({ method: "GET", url: `/v1/transactions/user/${me.id}/spend`, headers: bearer(me.token) })).statusCode).toBe(200);
    const theirs = await t.request({ method: "GET", url: `/v1/transactions/user/${users[1]!.id}/spend`, headers: bearer(me.token) });
    expect(theirs.statusCode).toBe(403);
    expect(theirs.json().error.code).toBe("insufficient_role");
    expect((await t.request({ method: "GET", url: `/v1/transactions/user/${users[1]!.id}/revenue`, headers: bearer(admin.token) })).statusCode).toBe(200);
  });

  it("is 404 for an unknown user or another platform's, 401 without credentials", async () => {
    for (const kind of ["revenue", "spend"]) {
      const stranger = await t.request({ method: "GET", url: `/v1/transactions/user/${strangers[0]!.id}/${kind}`, headers: key() });
      expect(stranger.statusCode).toBe(404);
      expect(stranger.json().error).toMatchObject({ code: "resource_missing", param: "user_id" });
      expect((await t.request({ method: "GET", url: `/v1/transactions/user/user_nobody/${kind}`, headers: key() })).statusCode).toBe(404);
      expect((await t.request({ method: "GET", url: `/v1/transactions/user/${users[0]!.id}/${kind}` })).statusCode).toBe(401);
    }
  });
});

describe("GET /v1/transactions/top/spenders and /top/earners", () => {
  it("rank users by net amount, per currency and period, as brute force does", async () => {
    for (const [kind, path] of [
      ["spend", "spenders"],
      ["revenue", "earners"],
    ] as const) {
      for (const period of PERIODS) {
        for (const [currency, limit] of [
          ["usd", 10],
          ["eur", 3],
          ["gbp", 1],
        ] as const) {
          const body = await get(`/v1/transactions/top/${path}?${query({ from: period.from, to: period.to, currency, limit })}`);
          expect(body, `${path}, ${period.name}, ${currency}`).toEqual({
            from: period.from ? iso(Date.parse(period.from)) : null,
            to: period.to ? iso(Date.parse(period.to)) : null,
            currency,
            data: expectedTop(kind, { ...period, currency, limit }),
          });
        }
      }
    }
  });

  it("default to the platform's currency and ten users", async () => {
    const body = await get("/v1/transactions/top/spenders");
    expect(body.currency).toBe("usd");
    expect(body.data).toEqual(expectedTop("spend", { currency: "usd", limit: 10 }));
  });
});

describe("GET /v1/transactions/cart_value", () => {
  for (const period of PERIODS) {
    it(`averages and medians paid contracts: ${period.name}`, async () => {
      const body = await get(`/v1/transactions/cart_value?${query({ from: period.from, to: period.to })}`);
      expect(body.totals).toEqual(expectedCartValue(period));
    });
  }
});

describe("GET /v1/transactions/recurring", () => {
  it("MRR and ARR from active, unpaused subscriptions, as exact fractions rounded once", async () => {
    const body = await get("/v1/transactions/recurring");
    expect(body).toEqual({ as_of: "2026-07-15T12:34:56Z", totals: expectedRecurring() });
    expect(body.totals.length).toBeGreaterThan(1);
  });
});

describe("analytics access and validation", () => {
  const ADMIN_ONLY = ["/v1/transactions/volume", "/v1/transactions/top/spenders", "/v1/transactions/top/earners", "/v1/transactions/cart_value", "/v1/transactions/recurring"];

  it("admin routes: 401 without credentials, 403 for members, 200 for admins and keys", async () => {
    for (const url of ADMIN_ONLY) {
      expect((await t.request({ method: "GET", url })).statusCode, url).toBe(401);
      expect((await t.request({ method: "GET", url, headers: bearer(member.token) })).statusCode, url).toBe(403);
      expect((await t.request({ method: "GET", url, headers: bearer(admin.token) })).statusCode, url).toBe(200);
    }
  });

  it("another platform's key sees only its own figures", async () => {
    const body = await get("/v1/transactions/cart_value", bearer(other.apiKey));
    expect(body.totals).toEqual([{ currency: "usd", count: 1, sum: 999_999, average: 999_999, median: 999_999 }]);
  });

  it.each([
    ["/v1/transactions/volume?interval=year", "interval"],
    ["/v1/transactions/volume?from=last-week", "from"],
    ["/v1/transactions/volume?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"],
    ["/v1/transactions/volume?interval=day&from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "interval"],
    ["/v1/transactions/volume?currency=USD", "currency"],
    ["/v1/transactions/volume?user=me", "user"],
    ["/v1/transactions/top/spenders?limit=0", "limit"],
    ["/v1/transactions/top/earners?limit=101", "limit"],
    ["/v1/transactions/top/earners?limit=ten", "limit"],
    ["/v1/transactions/cart_value?to=soon", "to"],
    ["/v1/transactions/recurring?from=2026-01-01T00:00:00Z", "from"],
  ])("is 400 for %s, naming %s", async (url, param) => {
    const res = await t.request({ method: "GET", url, headers: key() });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe(param);
  });

  it("the user routes validate too", async () => {
    const res = await t.request({ method: "GET", url: `/v1/transactions/user/${users[0]!.id}/spend?interval=hour`, headers: key() });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe("interval");
  });
});

describe("the rollups behind volume, rankings and cart value", () => {
  // Last in the file: it changes the seeded rows (and the brute-force copies with them).
  const compact = async () => Number((await t.db.$queryRaw<{ moved: bigint }[]>`SELECT analytics_compact() AS moved`)[0]!.moved);
  const pending = async () =>
    Number((await t.db.$queryRaw<{ n: bigint }[]>`SELECT (SELECT count(*) FROM transaction_flow_deltas) + (SELECT count(*) FROM contract_value_deltas) AS n`)[0]!.n);
  const CHECKED: (Period & { name: string })[] = [
    ...PERIODS,
    { name: "a month", from: "2025-06-01T00:00:00Z", to: "2025-07-01T00:00:00Z" },
    { name: "across years, unaligned", from: "2025-03-17T08:00:00Z", to: "2026-02-03T00:00:00Z" },
    { name: "within a day", from: "2025-12-29T00:00:00Z", to: "2025-12-29T18:00:00Z" },
    { name: "to now", from: "2025-07-15T00:00:00Z", to: "2026-07-15T00:00:00Z" },
  ];

  async function expectBruteForce(stage: string) {
    for (const period of CHECKED) {
      const range = { from: period.from, to: period.to };
      for (const interval of ["day", "month"] as const) {
        expect(await get(`/v1/transactions/volume?${query({ ...range, interval })}`), `${stage}: volume, ${period.name}, ${interval}`).toEqual(
          expectedFlow("spend", { ...period, interval }),
        );
      }
      for (const [kind, path] of [
        ["spend", "spenders"],
        ["revenue", "earners"],
      ] as const) {
        for (const [currency, limit] of [
          ["usd", 4],
          ["eur", 100],
        ] as const) {
          const body = await get(`/v1/transactions/top/${path}?${query({ ...range, currency, limit })}`);
          expect(body.data, `${stage}: top ${path}, ${period.name}, ${currency}`).toEqual(expectedTop(kind, { ...period, currency, limit }));
        }
      }
      expect((await get(`/v1/transactions/cart_value?${query(range)}`)).totals, `${stage}: cart value, ${period.name}`).toEqual(expectedCartValue(period));
    }
  }

  it("answer as brute force does from deltas alone, from compacted rollups, and from both after rows change", async () => {
    await compact(); // whatever the worker left
    await expectBruteForce("compacted");

    // Statuses flipped both ways (several rows per statement), amounts changed, rows deleted and added.
    const acmeRows = rows.filter((r) => r.type === "incoming" || r.type === "outgoing" || r.type === "incoming_refund" || r.type === "outgoing_refund");
    const failing = acmeRows.filter((r) => r.status === "succeeded").slice(0, 40);
    await t.db.transaction.updateMany({ where: { id: { in: failing.map((r) => r.id) } }, data: { status: "failed" } });
    for (const r of failing) r.status = "failed";
    const succeeding = acmeRows.filter((r) => r.status === "processing").slice(0, 30);
    await t.db.transaction.updateMany({ where: { id: { in: succeeding.map((r) => r.id) } }, data: { status: "succeeded" } });
    for (const r of succeeding) r.status = "succeeded";
    for (const r of acmeRows.filter((x) => x.status === "succeeded").slice(0, 15)) {
      r.amount += 777;
      await t.db.transaction.update({ where: { id: r.id }, data: { amount: r.amount } });
    }
    const removed = acmeRows.filter((r) => r.status === "succeeded").slice(20, 30);
    await t.db.transaction.deleteMany({ where: { id: { in: removed.map((r) => r.id) } } });
    rows.splice(0, rows.length, ...rows.filter((r) => !removed.includes(r)));
    const added: Row[] = Array.from({ length: 12 }, (_, i) => ({
      id: newId("transaction"),
      type: i % 2 === 0 ? "incoming" : "outgoing_refund",
      status: "succeeded",
      amount: 10_000 + i,
      currency: "usd",
      buyer: i % 2 === 0 ? users[i % users.length]!.id : null,
      seller: i % 2 === 0 ? null : users[(i + 3) % users.length]!.id,
      created: new Date(Date.parse("2026-07-01T00:00:00Z") + i * 3_600_000),
    }));
    await t.db.transaction.createMany({
      data: added.map((r) => ({
        id: r.id,
        platformId: acme.id,
        mode: acme.mode,
        type: r.type,
        status: r.status,
        amount: r.amount,
        currency: r.currency,
        buyerUserId: r.buyer,
        sellerUserId: r.seller,
        created: r.created,
      })),
    });
    rows.push(...added);

    // Contracts paid, voided and repriced.
    const voided = contracts.filter((c) => c.status === "paid").slice(0, 20);
    await t.db.contract.updateMany({ where: { id: { in: voided.map((c) => c.id) } }, data: { status: "void" } });
    for (const c of voided) c.status = "void";
    const nowPaid = contracts.filter((c) => c.status === "open").slice(0, 10);
    for (const [i, c] of nowPaid.entries()) {
      Object.assign(c, { status: "paid", paid: new Date(Date.parse("2025-05-10T00:00:00Z") + i * 86_400_000 * 17) });
      await t.db.contract.update({ where: { id: c.id }, data: { status: "paid", paid: c.paid } });
    }
    for (const c of contracts.filter((x) => x.status === "paid").slice(0, 10)) {
      c.total = c.total * 3 + 1;
      await t.db.contract.update({ where: { id: c.id }, data: { total: c.total } });
    }

    expect(await pending()).toBeGreaterThan(0);
    await expectBruteForce("rollups and deltas");
    expect(await compact()).toBeGreaterThan(0);
    expect(await pending()).toBe(0);
    await expectBruteForce("compacted again");
  });

  it("an update that moves no money writes no delta", async () => {
    await compact();
    const r = rows.find((x) => x.type === "incoming" && x.status === "succeeded")!;
    await t.db.transaction.update({ where: { id: r.id }, data: { description: "a note", amountRefunded: 1 } });
    const c = contracts.find((x) => x.status === "paid")!;
    await t.db.contract.update({ where: { id: c.id }, data: { updated: new Date(), due: new Date("2026-08-01T00:00:00Z") } });
    expect(await pending()).toBe(0);
  });

  it("compacting from several connections at once moves each delta once", async () => {
    const r = rows.find((x) => x.type === "outgoing" && x.status === "succeeded" && x.currency === "usd" && x.seller)!;
    r.amount += 1;
    await t.db.transaction.update({ where: { id: r.id }, data: { amount: r.amount } });
    const moved = await Promise.all(Array.from({ length: 4 }, () => compact()));
    expect(moved.reduce((a, b) => a + b, 0)).toBe(1);
    const body = await get(`/v1/transactions/top/earners?${query({ currency: "usd", limit: 100 })}`);
    expect(body.data).toEqual(expectedTop("revenue", { currency: "usd", limit: 100 }));
  });
});
