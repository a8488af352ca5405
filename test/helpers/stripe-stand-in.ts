import http, { type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real HTTP server on loopback standing in for api.stripe.com, for the Stripe gateway's tests:
 * it records every request (method, path, headers, form-encoded parameters) and answers with what
 * the test scripted. Unscripted requests get Stripe's 404 for an unknown URL.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The form-encoded parameters, with Stripe's bracketed keys as they are (`metadata[user]`). */
  form: Record<string, string>;
}

export type StandInReply = { status?: number; body: unknown; headers?: Record<string, string> } | { hang: true };
type Script = StandInReply | ((request: RecordedRequest) => StandInReply);

export interface StripeStandIn {
  /** SDK options that point the Stripe gateway here. */
  readonly address: { host: string; port: number; protocol: "http" };
  readonly requests: RecordedRequest[];
  /** Scripts the answer to `method path`; queued answers are used in order and the last one repeats. */
  on(method: string, path: string | RegExp, ...replies: Script[]): void;
  /** Forgets the scripts and the recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export async function startStripeStandIn(): Promise<StripeStandIn> {
  const requests: RecordedRequest[] = [];
  let routes: { method: string; path: string | RegExp; replies: Script[] }[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://stand-in");
      const raw = Buffer.concat(chunks).toString("utf8");
      const params = new URLSearchParams(req.method === "GET" || req.method === "DELETE" ? url.search : raw);
      const recorded: RecordedRequest = { method: req.method ?? "GET", path: url.pathname, headers: req.headers, form: Object.fromEntries(params) };
      requests.push(recorded);
      const route = routes.find((r) => r.method === recorded.method && (typeof r.path === "string" ? r.path === recorded.path : r.path.test(recorded.path)));
      const script = route ? (route.replies.length > 1 ? route.replies.shift()! : route.replies[0]!) : undefined;
      const reply: StandInReply = !script
        ? { status: 404, body: { error: { type: "invalid_request_error", message: `Unrecognized request URL (${recorded.method}: ${recorded.path}).` } } }
        : typeof script === "function"
          ? script(recorded)
          : script;
      if ("hang" in reply) return; // never answered: the client's timeout has to fire
      res.writeHead(reply.status ?? 200, { "content-type": "application/json", "request-id": `req_standin${requests.length}`, ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    address: { host: "127.0.0.1", port, protocol: "http" },
    requests,
    on(method, path, ...replies) {
      routes.unshift({ method, path, replies });
    },
    reset() {
      routes = [];
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A loopback port with nothing listening on it (taken from a server that was just closed). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ── what Stripe answers (the fields the gateway reads, plus enough to look real) ──

export const stripeObjects = {
  customer: (id: string, email: string) => ({ id, object: "customer", email, livemode: false, metadata: {} }),

  setupIntent: (id: string, customer: string) => ({
    id,
    object: "setup_intent",
    client_secret: `${id}_secret_Standin0123456789abcdefghij`,
    customer,
    status: "requires_payment_method",
    usage: "off_session",
  }),

  card: (id: string, card: { brand: string; last4: string; funding?: string; expMonth?: number; expYear?: number }, customer: string | null = null) => ({
    id,
    object: "payment_method",
    type: "card",
    customer,
    card: { brand: card.brand, last4: card.last4, exp_month: card.expMonth ?? 12, exp_year: card.expYear ?? 2034, funding: card.funding ?? "credit", country: "US" },
    livemode: false,
    metadata: {},
  }),

  bankAccount: (id: string, customer: string | null = null) => ({
    id,
    object: "payment_method",
    type: "us_bank_account",
    customer,
    us_bank_account: { bank_name: "STRIPE TEST BANK", last4: "6789", account_holder_type: "individual", account_type: "checking", routing_number: "110000000" },
    livemode: false,
    metadata: {},
  }),

  paymentIntent: (input: {
    id: string;
    amount: number;
    currency: string;
    customer: string;
    paymentMethod: string;
    status?: string;
    charge?: string | null;
    metadata?: Record<string, string>;
    lastPaymentError?: { code: string; decline_code?: string; message: string } | null;
  }) => ({
    id: input.id,
    object: "payment_intent",
    amount: input.amount,
    currency: input.currency,
    customer: input.customer,
    payment_method: input.paymentMethod,
    status: input.status ?? "succeeded",
    latest_charge: input.charge === undefined ? `ch_${input.id.slice(3)}` : input.charge,
    last_payment_error: input.lastPaymentError ? { type: "card_error", ...input.lastPaymentError } : null,
    metadata: input.metadata ?? {},
    livemode: false,
  }),

  account: (id: string, onboarded: boolean) => ({
    id,
    object: "account",
    type: "express",
    country: "US",
    default_currency: "usd",
    charges_enabled: onboarded,
    details_submitted: onboarded,
    payouts_enabled: onboarded,
    settings: onboarded ? { payouts: { schedule: { interval: "daily", delay_days: 2 } } } : { payouts: { schedule: null } },
    external_accounts: {
      object: "list",
      data: onboarded ? [{ id: "ba_standin", object: "bank_account", last4: "6789", default_for_currency: true }] : [],
      has_more: false,
    },
  }),

  accountLink: (url: string, expiresAt: number) => ({ object: "account_link", url, created: expiresAt - 300, expires_at: expiresAt }),
  transfer: (id: string, amount: number, currency: string, destination: string) => ({ id, object: "transfer", amount, currency, destination, amount_reversed: 0 }),
  refund: (id: string, amount: number, paymentIntent: string) => ({ id, object: "refund", amount, payment_intent: paymentIntent, status: "succeeded", currency: "usd" }),
  reversal: (id: string, amount: number, transfer: string) => ({ id, object: "transfer_reversal", amount, transfer, currency: "usd" }),

  /** Stripe's error answer; `status` follows Stripe: 402 for card errors, 400/404 for invalid requests. */
  error: (status: number, error: { type: string; code?: string; decline_code?: string; message: string; param?: string; payment_intent?: unknown; charge?: string }) => ({
    status,
    body: { error },
  }),
};
