import type { RequestSpec, Scenario } from "./scenario.js";

/**
 * `GET /v1/contracts/:id` with the platform key, cycling through 1 000 of the seeded contracts (20 000
 * in every status, 1–4 items, one or two buyers, their sellers, 2–4 fee rows each).
 *
 * The baseline reads the same contract with the same JSON built by PostgreSQL (items, buyers,
 * sellers and fees nested, dates formatted), from a bare pg pool: no auth, no validation, no ORM.
 */
const date = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

export const CONTRACT_JSON_SQL = `json_build_object(
  'id', c.id, 'number', c.number, 'platform_id', c.platform_id, 'mode', c.mode, 'user_id', c.user_id, 'cart_id', c.cart_id,
  'items', coalesce((SELECT json_agg(json_build_object('id', i.id, 'contract_id', i.contract_id, 'user_id', i.user_id, 'type', i.type, 'product_id', i.product_id,
      'startDate', ${date("i.start_date")}, 'endDate', ${date("i.end_date")}, 'quantity', i.quantity, 'price', i.price, 'total', i.total, 'description', i.description,
      'add_ons', i.add_ons)
    ORDER BY i.created, i.id) FROM contract_items i WHERE i.contract_id = c.id), '[]'),
  'notes', c.notes, 'sent', ${date("c.sent")}, 'lastSent', ${date("c.last_sent")}, 'due', ${date("c.due")},
  'lastPaymentAttempt', ${date("c.last_payment_attempt")}, 'paid', ${date("c.paid")},
  'shipping', coalesce((SELECT json_agg(json_build_object('id', sh.id, 'shipping_rate_id', sh.shipping_rate_id, 'user_id', sh.user_id, 'payee', sh.payee,
      'title', sh.title, 'amount', sh.amount) ORDER BY sh.created, sh.id) FROM contract_shipping sh WHERE sh.contract_id = c.id), '[]'),
  'shippingTotal', (SELECT coalesce(sum(sh.amount), 0)::int FROM contract_shipping sh WHERE sh.contract_id = c.id),
  'subTotal', c.sub_total, 'total', c.total, 'currency', c.currency, 'status', c.status,
  'buyers', coalesce((SELECT json_agg(json_build_object('id', b.id, 'user_id', b.user_id, 'email', b.email, 'name', b.name,
      'baseAmountDue', b.base_amount_due, 'amountDue', b.amount_due, 'amountPaid', b.amount_paid, 'amountAuthorized', b.amount_authorized,
      'accepted', ${date("b.accepted")}, 'acceptedAmount', b.accepted_amount) ORDER BY b.position, b.id)
    FROM contract_buyers b WHERE b.contract_id = c.id), '[]'),
  'sellers', coalesce((SELECT json_agg(json_build_object('id', s.id, 'user_id', s.user_id, 'email', s.email, 'name', s.name,
      'baseAmountOwed', s.base_amount_owed, 'amountOwed', s.amount_owed, 'amountReceived', s.amount_received) ORDER BY s.position, s.id)
    FROM contract_sellers s WHERE s.contract_id = c.id), '[]'),
  'fees', coalesce((SELECT json_agg(json_build_object('id', f.id, 'buyer_user_id', f.buyer_user_id, 'type', f.type, 'amount', f.amount,
      'description', f.description, 'payer', f.payer)
    ORDER BY CASE f.type WHEN 'stripe:cc' THEN 0 WHEN 'stripe:us_bank_account' THEN 1 WHEN 'candle:base' THEN 2 WHEN 'platform:base' THEN 3 WHEN 'shipping' THEN 4 ELSE 5 END, f.created, f.id)
    FROM contract_fees f WHERE f.contract_id = c.id), '[]'),
  'includeStripeFees', c.include_stripe_fees, 'includeCandleFees', c.include_candle_fees, 'includePlatformFees', c.include_platform_fees,
  'metafields', coalesce((SELECT json_agg(json_build_object('namespace', mf.namespace, 'key', mf.key, 'type', mf.type, 'value', mf.value,
      'created', ${date("mf.created")}, 'updated', ${date("mf.updated")}) ORDER BY mf.namespace, mf.key) FROM metafields mf WHERE mf.contract_id = c.id), '[]'),
  'orderStatus', c.order_status, 'acceptBy', ${date("c.accept_by")}, 'fulfilled', ${date("c.fulfilled")}, 'completed', ${date("c.completed")},
  'tracking', CASE WHEN coalesce(c.tracking_carrier, c.tracking_number, c.tracking_url) IS NULL THEN NULL
    ELSE json_build_object('carrier', c.tracking_carrier, 'number', c.tracking_number, 'url', c.tracking_url) END,
  'fundsHeld', (c.hold_funds AND c.funds_released IS NULL AND c.status IN ('paid', 'disputed')),
  'created', ${date("c.created")}, 'updated', ${date("c.updated")})`;

const get = (id: string, apiKey: string): RequestSpec => ({ method: "GET", path: `/v1/contracts/${id}`, headers: { authorization: `Bearer ${apiKey}` } });

export const retrieveContract: Scenario = {
  name: "retrieve-contract",
  description: "GET /v1/contracts/:id (1 000 contracts in turn)",
  kind: "read",
  minRatio: 0.4,
  needs: { contracts: true },
  request: (data) => get(data.contractIds[0]!, data.apiKey),
  pool: (data) => data.contractIds.map((id) => get(id, data.apiKey)),
  baseline(app, pool, data) {
    app.get("/v1/contracts/:id", async (request, reply) => {
      const { id } = request.params as { id: string };
      const { rows } = await pool.query<{ contract: string }>(
        `SELECT ${CONTRACT_JSON_SQL}::text AS contract FROM contracts c WHERE c.id = $1 AND c.platform_id = $2 AND c.mode = 'test'`,
        [id, data.platformId],
      );
      if (!rows[0]) return reply.code(404).send({ error: "not found" });
      return reply.type("application/json").send(rows[0].contract);
    });
  },
};
