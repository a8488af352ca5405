// The console's pages. Each renders into `view` from API answers; each action is one API call
// whose answer (or error, with its code) is shown in the page's status line.
import { api, listAll } from "./api.js";
import { badge, button, columnChart, day, facts, field, h, input, money, pager, rankingChart, select, shortMoney, statusLine, table, tiles, when } from "./ui.js";

const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
const link = (href, text) => h("a", { href }, text);
const ROLES = ["member", "editor", "admin", "owner"];

/** Users named by id across a page, looked up once each (the API answers 404 for what the caller may not see). */
const userCache = new Map();
async function userLabel(id) {
  if (!id) return "—";
  if (!userCache.has(id))
    userCache.set(
      id,
      api("GET", `/users/${encodeURIComponent(id)}`).then(
        (u) => u.email ?? u.username ?? id,
        () => id,
      ),
    );
  return userCache.get(id);
}
async function withUserLabels(ids) {
  const unique = [...new Set(ids.filter(Boolean))];
  const labels = await Promise.all(unique.map(userLabel));
  return new Map(unique.map((id, i) => [id, labels[i]]));
}
const userLink = (labels, id) => (id ? link(`#/users/${encodeURIComponent(id)}`, labels?.get(id) ?? id) : "—");

/** A section whose content can be drawn again in place (after an action), keeping the rest of the page. */
function section(title, draw, { level = "h2" } = {}) {
  const body = h("div", { class: "section-body" });
  const el = h("section", { "aria-label": title }, h(level, {}, title), body);
  const redraw = async () => {
    try {
      const content = await draw(redraw);
      body.replaceChildren(...[content].flat().filter(Boolean));
    } catch (err) {
      const note = statusLine();
      note.fail(err);
      note.setAttribute("role", "alert");
      body.replaceChildren(note);
    }
  };
  el.ready = redraw();
  el.redraw = redraw;
  return el;
}

/** A form whose submit runs `action`; its status line says what happened. */
function form(label, controls, submitLabel, action, { status = statusLine(), className = "inline" } = {}) {
  const submit = h("button", { type: "submit" }, submitLabel);
  return h(
    "form",
    {
      class: className,
      "aria-label": label,
      onsubmit: async (event) => {
        event.preventDefault();
        status.clear();
        submit.disabled = true;
        try {
          const message = await action();
          if (message) status.ok(message);
        } catch (err) {
          status.fail(err);
        } finally {
          submit.disabled = false;
        }
      },
    },
    controls,
    submit,
    status,
  );
}

/** A button that runs one API call after an optional confirmation. */
function actionButton(label, run, { confirmText, status, tone, name } = {}) {
  return button(
    label,
    async (event) => {
      if (confirmText && !window.confirm(confirmText)) return;
      const target = event.currentTarget;
      target.disabled = true;
      status?.clear();
      try {
        const message = await run();
        if (message) status?.ok(message);
      } catch (err) {
        if (status) status.fail(err);
        else window.alert(err.message);
      } finally {
        target.disabled = false;
      }
    },
    { class: tone ?? "", ...(name ? { "aria-label": name } : {}) },
  );
}

const stamp = (date) => h("span", { class: "nowrap" }, when(date));

/** An id shortened for a table (its prefix and last characters), whole in its title and to screen readers. */
function shortId(id) {
  if (!id || id.length <= 16) return h("code", {}, id ?? "—");
  const short = `${id.slice(0, id.indexOf("_") + 1)}…${id.slice(-6)}`;
  return h("code", { title: id, class: "id" }, h("span", { "aria-hidden": "true" }, short), h("span", { class: "visually-hidden" }, id));
}

const statusTone = { paid: "good", succeeded: "good", open: "info", draft: "", processing: "warn", pending: "warn", void: "bad", failed: "bad", uncollectible: "bad" };
const statusBadge = (status) => badge(status, statusTone[status] ?? "");

function jsonDetails(summary, value) {
  return h("details", {}, h("summary", {}, summary), h("pre", {}, JSON.stringify(value, null, 2)));
}

// ── settings ─────────────────────────────────────────────────────────────
async function settings(view, _params, ctx) {
  const platform = await api("GET", "/platforms");
  ctx.platform = platform;
  view.append(h("h1", {}, "Platform settings"));

  const name = input({ name: "name", value: platform.name, required: true });
  const description = h("textarea", { name: "description", rows: "2" });
  description.value = platform.description ?? "";
  const url = input({ type: "url", name: "url", value: platform.url ?? "", placeholder: "https://" });
  const fee = input({ type: "number", name: "platformFee", value: platform.platformFee, min: "0", max: "100", step: "0.01", inputmode: "decimal" });
  const currency = input({ name: "currency", value: platform.currency ?? "usd", maxlength: "3", pattern: "[a-z]{3}" });
  const domains = input({ name: "domains", value: (platform.domains ?? []).join(", ") });
  const waitlist = h("input", { type: "checkbox", name: "waitlistEnabled", checked: platform.waitlistEnabled });
  const review = h("input", { type: "checkbox", name: "requireListingReview", checked: platform.requireListingReview });
  view.append(
    h(
      "section",
      { "aria-label": "Platform" },
      h("h2", {}, "Platform"),
      facts([
        ["ID", platform.id],
        ["Mode", platform.mode],
        ["Created", when(platform.created)],
      ]),
      form(
        "Platform settings",
        [
          field("Name", name),
          field("Description", description),
          field("Website URL", url),
          field("Platform fee (%)", fee, "Percent of each contract's subtotal, at most two decimals."),
          field("Currency", currency, "Three lower-case letters (usd, eur…)."),
          field("Domains", domains, "Comma-separated; replaces the list."),
          h("div", { class: "field checkbox" }, waitlist, h("label", { for: (waitlist.id = "waitlist-enabled") }, "Waitlist on (only granted emails may sign up)")),
          h("div", { class: "field checkbox" }, review, h("label", { for: (review.id = "listing-review") }, "Review listings (new and edited listings wait for approval)")),
        ],
        "Save settings",
        async () => {
          const saved = await api("PUT", `/platforms/${platform.id}`, {
            body: {
              name: name.value.trim(),
              description: description.value.trim() || null,
              url: url.value.trim() || null,
              platformFee: Number(fee.value),
              currency: currency.value.trim().toLowerCase(),
              domains: domains.value
                .split(",")
                .map((d) => d.trim())
                .filter(Boolean),
              waitlistEnabled: waitlist.checked,
              requireListingReview: review.checked,
            },
          });
          ctx.platform = saved;
          document.getElementById("platform-name").textContent = saved.name;
          return `Saved. Platform fee ${saved.platformFee} %, ${saved.domains.length} domain(s), waitlist ${saved.waitlistEnabled ? "on" : "off"}, listing review ${saved.requireListingReview ? "on" : "off"}.`;
        },
        { className: "stacked" },
      ),
    ),
  );

  const keys = section("API keys", async (redraw) => {
    const status = statusLine();
    const list = await listAll(`/platforms/${platform.id}/keys`);
    const keyName = input({ name: "key_name", placeholder: "Backend" });
    const secret = h("div", { class: "secret", "aria-live": "polite" });
    return [
      h("p", {}, "A key acts as the platform's owner. Its secret is shown once, when it is created."),
      table({
        caption: "API keys",
        rows: list,
        columns: [
          ["Name", (k) => k.name ?? "—"],
          ["Key", (k) => h("code", {}, `${k.prefix}…${k.last4}`)],
          ["Created", (k) => stamp(k.created)],
          ["Last used", (k) => stamp(k.lastUsed)],
          ["State", (k) => (k.revoked ? badge(`revoked ${day(k.revoked)}`, "bad") : badge("active", "good"))],
          [
            "Actions",
            (k) =>
              k.revoked
                ? "—"
                : actionButton(
                    "Revoke",
                    async () => {
                      await api("DELETE", `/platforms/${platform.id}/keys/${k.id}`);
                      await redraw();
                    },
                    { confirmText: `Revoke the key …${k.last4}? Anything using it stops working at once.`, status, tone: "danger" },
                  ),
          ],
        ],
      }),
      status,
      form("Create an API key", [field("New key's name", keyName)], "Create key", async () => {
        const created = await api("POST", `/platforms/${platform.id}/keys`, { body: keyName.value.trim() ? { name: keyName.value.trim() } : {} });
        await redraw();
        keys.querySelector(".secret")?.replaceChildren(h("p", {}, "Copy the new key now; it will not be shown again:"), h("code", { class: "key-secret" }, created.secret));
        return null;
      }),
      secret,
    ];
  });
  view.append(keys);
  await keys.ready;
}

// ── users ────────────────────────────────────────────────────────────────
const userQuery = { search: "", role: "", suspended: "", page: 1 };
async function users(view, params, ctx) {
  if (params[0]) return userDetail(view, params[0], ctx);
  view.append(h("h1", {}, "Users"));
  const search = input({ type: "search", name: "search", value: userQuery.search, placeholder: "email, username or name" });
  const role = select([["", "any role"], ...ROLES], { name: "role", value: userQuery.role });
  const suspended = select(
    [
      ["", "any"],
      ["true", "suspended"],
      ["false", "not suspended"],
    ],
    { name: "suspended", value: userQuery.suspended },
  );
  const results = h("div", { "aria-live": "polite" });
  const load = async (page = 1) => {
    userQuery.page = page;
    const answer = await api("GET", "/users", {
      query: { search: userQuery.search, "filter[role]": userQuery.role, "filter[suspended]": userQuery.suspended, sort: "-created", page, per_page: 20 },
    });
    results.replaceChildren(
      table({
        caption: `Users (${answer.meta.total})`,
        rows: answer.data,
        empty: "no user matches.",
        columns: [
          ["Email", (u) => link(`#/users/${u.id}`, u.email ?? "(erased)")],
          ["Name", (u) => u.name ?? ([u.firstName, u.lastName].filter(Boolean).join(" ") || "—")],
          ["Username", (u) => u.username ?? "—"],
          ["Role", (u) => badge(u.role)],
          ["Joined", (u) => day(u.created)],
          ["Suspended", (u) => (u.suspended ? badge(`since ${day(u.suspended)}`, "bad") : "—")],
          ["Erasure", (u) => (u.scheduledDeletion ? badge(`due ${day(u.scheduledDeletion)}`, "bad") : "—")],
        ],
      }),
      pager(answer.meta, load) ?? "",
    );
  };
  view.append(
    form(
      "Find users",
      [field("Search", search), field("Role", role), field("Suspension", suspended)],
      "Search",
      async () => {
        userQuery.search = search.value.trim();
        userQuery.role = role.value;
        userQuery.suspended = suspended.value;
        await load(1);
        return null;
      },
      { className: "inline filters" },
    ),
    results,
  );
  await load(userQuery.page);
}

async function userDetail(view, id, ctx) {
  const user = await api("GET", `/users/${encodeURIComponent(id)}`);
  view.append(
    h("p", { class: "crumbs" }, link("#/users", "Users"), " / "),
    h("h1", {}, user.email ?? user.id),
    facts([
      ["ID", h("code", {}, user.id)],
      ["Name", user.name ?? ([user.firstName, user.lastName].filter(Boolean).join(" ") || "—")],
      ["Username", user.username],
      ["Role", user.role],
      ["Joined", when(user.created)],
      ["Last sign-in", when(user.authenticated)],
      ["Pending email", user.pendingEmail],
      ["Suspended", user.suspended ? `since ${when(user.suspended)}` : "no"],
      ["Erasure scheduled", user.scheduledDeletion ? when(user.scheduledDeletion) : "no"],
    ]),
  );

  const roleStatus = statusLine();
  const role = select(ROLES, { name: "role", value: user.role });
  const eraseStatus = statusLine();
  view.append(
    h(
      "section",
      { "aria-label": "Role and account" },
      h("h2", {}, "Role and account"),
      form(
        "Change role",
        [field("Role", role, "Only owners (or the key) give roles; nobody changes a user of their own rank or above.")],
        "Change role",
        async () => {
          const saved = await api("PUT", `/users/${encodeURIComponent(user.id)}`, { body: { role: role.value } });
          return `Role is now ${saved.role}.`;
        },
        { status: roleStatus },
      ),
      h(
        "div",
        { class: "actions" },
        user.scheduledDeletion
          ? h("p", {}, `Erasure is scheduled for ${when(user.scheduledDeletion)}; signing in before then cancels it.`)
          : actionButton(
              "Schedule erasure",
              async () => {
                const saved = await api("DELETE", `/users/${encodeURIComponent(user.id)}`);
                return `Erasure scheduled for ${when(saved.scheduledDeletion)}.`;
              },
              { confirmText: `Erase ${user.email ?? user.id} in 30 days? Signing in before then cancels it.`, status: eraseStatus, tone: "danger" },
            ),
        user.suspended
          ? actionButton(
              "Unsuspend",
              async () => {
                await api("PUT", `/users/${encodeURIComponent(user.id)}/unsuspend`);
                reload();
                return null;
              },
              { status: eraseStatus },
            )
          : actionButton(
              "Suspend",
              async () => {
                await api("PUT", `/users/${encodeURIComponent(user.id)}/suspend`);
                reload();
                return null;
              },
              {
                confirmText: `Suspend ${user.email ?? user.id}? They cannot sign in, buy, sell or be paid until unsuspended.`,
                status: eraseStatus,
                tone: "danger",
              },
            ),
        eraseStatus,
        h(
          "p",
          { class: "note" },
          "A suspended user cannot sign in or use their sessions; settlements that would charge or pay them are refused and their renewals pause. Only the key or a higher role suspends.",
        ),
      ),
    ),
  );

  const currency = ctx.platform?.currency ?? "usd";
  const flows = section("Revenue and spend (last 12 months)", async () => {
    const from = monthsAgo(11);
    const [revenue, spend] = await Promise.all([
      api("GET", `/transactions/user/${encodeURIComponent(user.id)}/revenue`, { query: { from, interval: "month", currency } }),
      api("GET", `/transactions/user/${encodeURIComponent(user.id)}/spend`, { query: { from, interval: "month", currency } }),
    ]);
    return h(
      "div",
      { class: "columns" },
      columnChart({ title: `Revenue as a seller (${currency.toUpperCase()})`, points: seriesPoints(revenue.series, "month"), format: (n) => shortMoney(n, currency) }),
      columnChart({ title: `Spend as a buyer (${currency.toUpperCase()})`, points: seriesPoints(spend.series, "month"), format: (n) => shortMoney(n, currency) }),
    );
  });
  const contracts = section("Contracts", async () => {
    const [asBuyer, asSeller] = await Promise.all([
      api("GET", `/contracts/user/${encodeURIComponent(user.id)}/buyer`, { query: { per_page: 20 } }),
      api("GET", `/contracts/user/${encodeURIComponent(user.id)}/seller`, { query: { per_page: 20 } }),
    ]);
    return [contractsTable("As a buyer", asBuyer.data), contractsTable("As a seller", asSeller.data)];
  });
  const subs = section("Subscriptions", async () => {
    const answer = await api("GET", `/subscriptions/user/${encodeURIComponent(user.id)}`, { query: { per_page: 50 } });
    return subscriptionsTable(answer.data);
  });
  view.append(flows, contracts, subs);
  await Promise.all([flows.ready, contracts.ready, subs.ready]);
}

// ── products ─────────────────────────────────────────────────────────────
const productQuery = { search: "", archived: "false", enabled: "", review: "", page: 1 };
const REVIEW_STATES = ["draft", "pending", "published", "rejected"];
const REVIEW_BADGES = { draft: ["draft", ""], pending: ["pending review", "warn"], published: ["published", "good"], rejected: ["rejected", "bad"] };
async function products(view) {
  view.append(h("h1", {}, "Products"));
  const search = input({ type: "search", name: "search", value: productQuery.search, placeholder: "name or description" });
  const archived = select(
    [
      ["false", "listed"],
      ["true", "archived"],
      ["all", "listed and archived"],
    ],
    { name: "archived", value: productQuery.archived },
  );
  const review = select([["", "any review state"], ...REVIEW_STATES.map((s) => [s, REVIEW_BADGES[s][0]])], { name: "review", value: productQuery.review });
  const enabled = select(
    [
      ["", "enabled or not"],
      ["true", "enabled"],
      ["false", "disabled"],
    ],
    { name: "enabled", value: productQuery.enabled },
  );
  const status = statusLine();
  const results = h("div", { "aria-live": "polite" });
  const load = async (page = productQuery.page) => {
    productQuery.page = page;
    const answer = await api("GET", "/products", {
      query: {
        search: productQuery.search,
        "filter[archived]": productQuery.archived === "false" ? undefined : productQuery.archived,
        "filter[isEnabled]": productQuery.enabled,
        // Every state the credential may see (all of them for the key, owners and admins; the API narrows it for others).
        "filter[adminStatus]": productQuery.review || REVIEW_STATES.join(","),
        page,
        per_page: 20,
      },
    });
    const sellers = await withUserLabels(answer.data.map((p) => p.user_id));
    results.replaceChildren(
      table({
        caption: `Products (${answer.meta.total})`,
        rows: answer.data,
        empty: "no product matches.",
        columns: [
          ["Name", (p) => h("span", {}, p.name, p.variants?.length ? h("small", {}, ` (${p.variants.length} variants)`) : "")],
          ["Seller", (p) => userLink(sellers, p.user_id)],
          ["Price", (p) => money(p.effectivePrice ?? p.price, p.currency)],
          ["Stock", (p) => stockForm(p, status, () => load())],
          [
            "State",
            (p) => [
              p.archived ? badge("archived", "bad") : p.isEnabled ? badge("enabled", "good") : badge("disabled", "warn"),
              " ",
              badge(...(REVIEW_BADGES[p.adminStatus] ?? [p.adminStatus, ""])),
              p.rejectionReason ? h("small", { class: "reason" }, ` ${p.rejectionReason}`) : "",
            ],
          ],
          [
            "Moderation",
            (p) =>
              h(
                "div",
                { class: "actions" },
                ...(p.adminStatus === "pending" ? reviewControls(p, status, () => load()) : []),
                p.isEnabled
                  ? actionButton(`Disable`, async () => (await api("PUT", `/products/${p.id}/disable`), await load(), `${p.name} disabled.`), { status })
                  : actionButton(`Enable`, async () => (await api("PUT", `/products/${p.id}/enable`), await load(), `${p.name} enabled.`), { status }),
                p.archived
                  ? actionButton("Unarchive", async () => (await api("POST", `/products/${p.id}/unarchive`), await load(), `${p.name} unarchived.`), { status })
                  : actionButton("Archive", async () => (await api("POST", `/products/${p.id}/archive`), await load(), `${p.name} archived.`), {
                      status,
                      confirmText: `Archive ${p.name}? It leaves the catalogue and cannot be bought.`,
                    }),
              ),
          ],
        ],
      }),
      pager(answer.meta, load) ?? "",
    );
  };
  view.append(
    form(
      "Find products",
      [field("Search", search), field("Listing", archived), field("Sale", enabled), field("Review", review)],
      "Search",
      async () => {
        Object.assign(productQuery, { search: search.value.trim(), archived: archived.value, enabled: enabled.value, review: review.value });
        await load(1);
        return null;
      },
      { className: "inline filters" },
    ),
    status,
    results,
  );
  await load();
}

/** Approve, or reject with a reason, a listing pending review (the API refuses those who may not review it). */
function reviewControls(product, status, done) {
  const reason = input({ name: "reason", class: "narrow", placeholder: "reason", required: true, maxlength: "1000", "aria-label": `Reason to reject ${product.name}` });
  const approve = actionButton("Approve", async () => (await api("PUT", `/products/${product.id}/approve`), await done(), `${product.name} approved: published.`), {
    status,
    tone: "primary",
    name: `Approve ${product.name}`,
  });
  const reject = h(
    "form",
    {
      class: "reject",
      onsubmit: async (event) => {
        event.preventDefault();
        status.clear();
        try {
          await api("PUT", `/products/${product.id}/reject`, { body: { reason: reason.value.trim() } });
          status.ok(`${product.name} rejected.`);
          await done();
        } catch (err) {
          status.fail(err);
        }
      },
    },
    reason,
    h("button", { type: "submit", class: "danger", "aria-label": `Reject ${product.name}` }, "Reject"),
  );
  return [approve, reject];
}

function stockForm(product, status, done) {
  const quantity = input({
    type: "number",
    min: "0",
    step: "1",
    inputmode: "numeric",
    value: product.quantity ?? "",
    placeholder: "unlimited",
    class: "narrow",
    "aria-label": `Stock of ${product.name}`,
  });
  return h(
    "form",
    {
      class: "stock",
      onsubmit: async (event) => {
        event.preventDefault();
        status.clear();
        try {
          const saved = await api("PATCH", `/products/${product.id}`, { body: { quantity: quantity.value === "" ? null : Number(quantity.value) } });
          status.ok(`${saved.name}: stock ${saved.quantity ?? "unlimited"}.`);
          await done();
        } catch (err) {
          status.fail(err);
        }
      },
    },
    quantity,
    h("button", { type: "submit", "aria-label": `Save stock of ${product.name}` }, "Save"),
  );
}

// ── contracts ────────────────────────────────────────────────────────────
const contractQuery = { status: "", buyer: "", seller: "", sort: "-created", page: 1 };
const CONTRACT_STATUSES = ["draft", "open", "processing", "paid", "void", "uncollectible"];

function contractsTable(caption, rows) {
  return table({
    caption,
    rows,
    empty: "none.",
    columns: [
      ["Contract", (c) => link(`#/contracts/${c.id}`, c.id)],
      ["Status", (c) => statusBadge(c.status)],
      ["Total", (c) => money(c.total, c.currency)],
      ["Buyers", (c) => String(c.buyers?.length ?? 0)],
      ["Sellers", (c) => String(c.sellers?.length ?? 0)],
      ["Due", (c) => day(c.due)],
      ["Created", (c) => day(c.created)],
    ],
  });
}

async function contracts(view, params, ctx) {
  if (params[0]) return contractDetail(view, params[0], ctx);
  view.append(h("h1", {}, "Contracts"));
  const status = select([["", "any status"], ...CONTRACT_STATUSES], { name: "status", value: contractQuery.status });
  const buyer = input({ name: "buyer", value: contractQuery.buyer, placeholder: "user_…", spellcheck: "false" });
  const seller = input({ name: "seller", value: contractQuery.seller, placeholder: "user_…", spellcheck: "false" });
  const sort = select(
    [
      ["-created", "newest"],
      ["created", "oldest"],
      ["-total", "largest total"],
      ["due", "due soonest"],
    ],
    { name: "sort", value: contractQuery.sort },
  );
  const results = h("div", { "aria-live": "polite" });
  const load = async (page = contractQuery.page) => {
    contractQuery.page = page;
    const answer = await api("GET", "/contracts", {
      query: {
        "filter[status]": contractQuery.status,
        "filter[buyer_user_id]": contractQuery.buyer,
        "filter[seller_user_id]": contractQuery.seller,
        sort: contractQuery.sort,
        page,
        per_page: 20,
      },
    });
    results.replaceChildren(contractsTable(`Contracts (${answer.meta.total})`, answer.data), pager(answer.meta, load) ?? "");
  };
  view.append(
    form(
      "Filter contracts",
      [field("Status", status), field("Buyer (user ID)", buyer), field("Seller (user ID)", seller), field("Sort", sort)],
      "Filter",
      async () => {
        Object.assign(contractQuery, { status: status.value, buyer: buyer.value.trim(), seller: seller.value.trim(), sort: sort.value });
        await load(1);
        return null;
      },
      { className: "inline filters" },
    ),
    results,
  );
  await load();
}

async function contractDetail(view, id) {
  const contract = await api("GET", `/contracts/${encodeURIComponent(id)}`);
  const c = contract;
  const cur = c.currency;
  const people = await withUserLabels([c.user_id, ...c.buyers.map((b) => b.user_id), ...c.sellers.map((s) => s.user_id), ...c.items.map((i) => i.user_id)]);
  const status = statusLine();
  const redrawPage = () => reload();

  const actions = [];
  if (c.status === "draft" || c.status === "open") {
    actions.push(
      actionButton(c.status === "draft" ? "Send to buyers" : "Send a reminder", async () => (await api("POST", `/contracts/${c.id}/send`), redrawPage(), null), { status }),
    );
  }
  if (c.status === "draft" || c.status === "open" || c.status === "processing") {
    actions.push(
      actionButton(
        c.status === "processing" ? "Finish settling" : "Settle",
        async () => {
          const settled = await api("PUT", `/contracts/${c.id}/settle`);
          redrawPage();
          return `Contract ${settled.status}.`;
        },
        { status, confirmText: `Charge the buyers ${money(c.total, cur)} in all and pay the sellers?`, tone: "primary" },
      ),
    );
  }
  if (c.status !== "void") actions.push(actionButton("Re-read payment status", async () => (await api("PUT", `/contracts/${c.id}/sync`), redrawPage(), null), { status }));
  if (c.status === "draft" || c.status === "open") {
    actions.push(
      actionButton(
        c.status === "draft" ? "Delete draft" : "Void",
        async () => {
          await api("DELETE", `/contracts/${c.id}`);
          if (c.status === "draft") location.hash = "#/contracts";
          else redrawPage();
          return null;
        },
        { status, tone: "danger", confirmText: c.status === "draft" ? "Delete this draft?" : "Void this contract? Its stock goes back; it cannot be paid after." },
      ),
    );
  }

  view.append(
    h("p", { class: "crumbs" }, link("#/contracts", "Contracts"), " / "),
    h("h1", {}, `Contract ${c.id}`),
    facts([
      ["Status", statusBadge(c.status)],
      ["Total", money(c.total, cur)],
      ["Subtotal", money(c.subTotal, cur)],
      ["Creator", userLink(people, c.user_id)],
      ["Created", when(c.created)],
      ["Sent", when(c.sent)],
      ["Due", when(c.due)],
      ["Paid", when(c.paid)],
      ["Fees on buyers", [c.includeStripeFees && "Stripe", c.includeCandleFees && "Candle", c.includePlatformFees && "platform"].filter(Boolean).join(", ") || "none"],
      c.notes ? ["Notes", c.notes] : null,
    ]),
    h(
      "section",
      { "aria-label": "Actions" },
      h("h2", {}, "Actions"),
      actions.length ? h("div", { class: "actions" }, actions) : h("p", {}, `Nothing can be done to a ${c.status} contract but refunds.`),
      status,
    ),
    table({
      caption: "Items",
      rows: c.items,
      columns: [
        ["Description", (i) => i.description ?? i.product_id ?? "—"],
        ["Seller", (i) => userLink(people, i.user_id)],
        ["Quantity", (i) => String(i.quantity)],
        ["Price", (i) => money(i.price, cur)],
        ["Total", (i) => money(i.total, cur)],
      ],
    }),
    table({
      caption: "Buyers",
      rows: c.buyers,
      columns: [
        ["Buyer", (b) => userLink(people, b.user_id)],
        ["Due", (b) => money(b.amountDue, cur)],
        ["Paid", (b) => money(b.amountPaid, cur)],
        ["Accepted", (b) => (b.accepted ? `${money(b.acceptedAmount, cur)} on ${day(b.accepted)}` : "—")],
      ],
    }),
    table({
      caption: "Sellers",
      rows: c.sellers,
      columns: [
        ["Seller", (s) => userLink(people, s.user_id)],
        ["Owed", (s) => money(s.amountOwed, cur)],
        ["Received", (s) => money(s.amountReceived, cur)],
      ],
    }),
    table({
      caption: "Fees",
      rows: c.fees,
      columns: [
        ["Type", (f) => f.type],
        ["Description", (f) => f.description ?? "—"],
        ["Paid by", (f) => f.payer ?? "—"],
        ["Amount", (f) => money(f.amount, cur)],
      ],
    }),
  );

  const refundStatus = statusLine();
  const money_ = section("Payments, transfers and refunds", async (redraw) => {
    const rows = await listAll("/transactions", { "filter[contract_id]": c.id, sort: "created" });
    const labels = await withUserLabels(rows.flatMap((t) => [t.buyer_user_id, t.seller_user_id]));
    const payments = rows.filter((t) => t.type === "incoming");
    const transfers = rows.filter((t) => t.type === "outgoing");
    const fees = rows.filter((t) => t.type.startsWith("fee:") && !t.type.endsWith(":refund"));
    const refunds = rows.filter((t) => t.type.endsWith(":refund"));
    return [
      transactionsTable("Payments", payments, labels, { refund: true, done: redraw, status: refundStatus, contract: false }),
      transactionsTable("Transfers", transfers, labels, { contract: false }),
      transactionsTable("Fee transactions", fees, labels, { contract: false }),
      transactionsTable("Refunds", refunds, labels, { contract: false }),
    ];
  });
  const history = section("Event history", async () => {
    const events = await listAll("/events", { "filter[object_id]": c.id }, 200);
    return eventsTable("Events of this contract", events);
  });
  view.append(money_, refundStatus, history);
  await Promise.all([money_.ready, history.ready]);
}

// ── transactions and analytics ───────────────────────────────────────────
/** `status`: where refunds report (kept outside anything `done` draws again). */
function transactionsTable(caption, rows, labels, { refund = false, done, status, contract = true } = {}) {
  const own = status ? null : statusLine();
  status ??= own;
  return h(
    "div",
    {},
    table({
      caption,
      rows,
      empty: "none.",
      columns: [
        ["Transaction", (t) => shortId(t.id)],
        ["Type", (t) => t.type],
        ["Amount", (t) => money(t.amount, t.currency)],
        ["Refunded", (t) => (t.amountRefunded ? money(t.amountRefunded, t.currency) : "—")],
        ["Status", (t) => statusBadge(t.status)],
        // One party per movement: the buyer charged or refunded, or the seller paid or reversed.
        ["Party", (t) => userLink(labels, t.buyer_user_id ?? t.seller_user_id)],
        ...(contract ? [["Contract", (t) => (t.contract_id ? link(`#/contracts/${t.contract_id}`, shortId(t.contract_id)) : "—")]] : []),
        ["Date", (t) => stamp(t.created)],
        ...(refund ? [["Refund", (t) => (t.type === "incoming" && t.status === "succeeded" && t.amountRefunded < t.amount ? refundForm(t, status, done) : "—")]] : []),
      ],
    }),
    own,
  );
}

function refundForm(transaction, status, done) {
  const left = transaction.amount - (transaction.amountRefunded ?? 0);
  const amount = input({
    type: "number",
    min: "1",
    max: String(left),
    step: "1",
    inputmode: "numeric",
    class: "narrow",
    placeholder: String(left),
    "aria-label": `Cents to refund of ${transaction.id} (empty: all ${left})`,
  });
  return h(
    "form",
    {
      class: "stock",
      onsubmit: async (event) => {
        event.preventDefault();
        const cents = amount.value === "" ? left : Number(amount.value);
        if (!window.confirm(`Refund ${money(cents, transaction.currency)} to the buyer? The sellers give back their share.`)) return;
        status.clear();
        try {
          const answer = await api("POST", `/transactions/${transaction.id}/refund`, { body: amount.value === "" ? {} : { amount: cents } });
          status.ok(`Refunded ${money(answer.refunds[0]?.amount ?? cents, transaction.currency)} (${answer.refunds[0]?.status ?? "processing"}).`);
          await done?.();
        } catch (err) {
          status.fail(err);
        }
      },
    },
    amount,
    h("button", { type: "submit" }, "Refund"),
  );
}

function monthsAgo(n) {
  const now = new Date();
  return `${new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n, 1)).toISOString().slice(0, 19)}Z`;
}

function seriesPoints(series, interval) {
  return series.map((p) => ({ label: interval === "month" ? p.start.slice(0, 7) : p.start.slice(5, 10), value: p.amount }));
}

const txQuery = { type: "", status: "", page: 1, months: "12", interval: "month" };
async function transactions(view, _params, ctx) {
  view.append(h("h1", {}, "Transactions and analytics"));
  const currency = ctx.platform?.currency ?? "usd";
  const months = select(
    [
      ["1", "this month"],
      ["3", "3 months"],
      ["12", "12 months"],
      ["36", "3 years"],
    ],
    { name: "months", value: txQuery.months },
  );
  const interval = select(
    [
      ["day", "by day"],
      ["week", "by week"],
      ["month", "by month"],
    ],
    { name: "interval", value: txQuery.interval },
  );
  const charts = h("div", { class: "charts", "aria-live": "polite" });
  const draw = async () => {
    const from = monthsAgo(Number(txQuery.months) - 1);
    const q = { from, currency };
    const [volume, spenders, earners, cart, recurring] = await Promise.all([
      api("GET", "/transactions/volume", { query: { ...q, interval: txQuery.interval } }),
      api("GET", "/transactions/top/spenders", { query: { ...q, limit: 5 } }),
      api("GET", "/transactions/top/earners", { query: { ...q, limit: 5 } }),
      api("GET", "/transactions/cart_value", { query: { from } }),
      api("GET", "/transactions/recurring"),
    ]);
    const labels = await withUserLabels([...spenders.data, ...earners.data].map((r) => r.user_id));
    const total = volume.totals.find((t) => t.currency === currency);
    const carts = cart.totals.find((t) => t.currency === currency);
    const mrr = recurring.totals.find((t) => t.currency === currency);
    const fmt = (n) => shortMoney(n, currency);
    charts.replaceChildren(
      tiles([
        ["Volume", money(total?.amount ?? 0, currency)],
        ["Payments", String(total?.count ?? 0)],
        ["Refunded", money(total?.refunded ?? 0, currency)],
        ["Average contract", money(carts?.average ?? 0, currency)],
        ["MRR", money(mrr?.mrr ?? 0, currency)],
        ["ARR", money(mrr?.arr ?? 0, currency)],
      ]),
      columnChart({
        title: `Volume: what buyers paid, less refunds (${currency.toUpperCase()})`,
        points: seriesPoints(
          volume.series.filter((p) => p.currency === currency),
          txQuery.interval,
        ),
        format: fmt,
      }),
      h(
        "div",
        { class: "columns" },
        rankingChart({ title: "Top buyers", rows: spenders.data.map((r) => ({ label: labels.get(r.user_id) ?? r.user_id, value: r.amount })), format: (n) => money(n, currency) }),
        rankingChart({
          title: "Top sellers (revenue)",
          rows: earners.data.map((r) => ({ label: labels.get(r.user_id) ?? r.user_id, value: r.amount })),
          format: (n) => money(n, currency),
        }),
      ),
      columnChart({
        title: "Recurring revenue now (MRR, by currency)",
        points: recurring.totals.map((t) => ({ label: `${t.currency.toUpperCase()} (${t.subscriptions} subs)`, value: t.mrr })),
        format: (n) => shortMoney(n, recurring.totals[0]?.currency ?? currency),
      }),
    );
  };
  view.append(
    form(
      "Analytics period",
      [field("Period", months), field("Buckets", interval)],
      "Show",
      async () => {
        Object.assign(txQuery, { months: months.value, interval: interval.value });
        await draw();
        return null;
      },
      { className: "inline filters" },
    ),
    charts,
  );

  const type = select(
    [["", "any type"], "incoming", "outgoing", "fee:stripe", "fee:candle", "fee:platform", "incoming:refund", "outgoing:refund", "fee:candle:refund", "fee:platform:refund"],
    { name: "type", value: txQuery.type },
  );
  const status = select([["", "any status"], "succeeded", "processing", "failed", "pending", "canceled"], { name: "status", value: txQuery.status });
  const list = h("div", { "aria-live": "polite" });
  const listStatus = statusLine();
  const load = async (page = txQuery.page) => {
    txQuery.page = page;
    const answer = await api("GET", "/transactions", { query: { "filter[type]": txQuery.type, "filter[status]": txQuery.status, page, per_page: 20 } });
    const labels = await withUserLabels(answer.data.flatMap((t) => [t.buyer_user_id, t.seller_user_id]));
    list.replaceChildren(
      transactionsTable(`Transactions (${answer.meta.total})`, answer.data, labels, { refund: true, done: () => load(), status: listStatus }),
      pager(answer.meta, load) ?? "",
    );
  };
  view.append(
    h("h2", {}, "All transactions"),
    form(
      "Filter transactions",
      [field("Type", type), field("Status", status)],
      "Filter",
      async () => {
        Object.assign(txQuery, { type: type.value, status: status.value });
        await load(1);
        return null;
      },
      { className: "inline filters" },
    ),
    listStatus,
    list,
  );
  await Promise.all([draw(), load()]);
}

// ── subscriptions ────────────────────────────────────────────────────────
function subscriptionsTable(rows, { labels, caption = "Subscriptions" } = {}) {
  return table({
    caption,
    rows,
    empty: "none.",
    columns: [
      ["Subscription", (s) => link(`#/subscriptions/${s.id}`, shortId(s.id))],
      ...(labels ? [["Subscriber", (s) => userLink(labels, s.user_id)]] : []),
      ["Price", (s) => h("span", { class: "nowrap" }, `${money(s.price, s.currency)} / ${s.cycle}`)],
      ["State", (s) => (s.ended ? badge("ended", "bad") : s.pastDue ? badge("past due", "bad") : s.isPaused ? badge("paused", "warn") : badge("active", "good"))],
      ["Contract", (s) => link(`#/contracts/${s.contract_id}`, shortId(s.contract_id))],
      ["Period ends", (s) => h("span", { class: "nowrap" }, day(s.currentPeriodEnd))],
      ["Next charge", (s) => stamp(s.nextAttempt)],
    ],
  });
}

const subscriptionQuery = { status: "", subscriber: "", contract: "", sort: "-created", page: 1 };
async function subscriptions(view, params, ctx) {
  if (params[0]?.startsWith("subs_")) return subscriptionDetail(view, params[0]);
  view.append(h("h1", {}, "Subscriptions"));
  const recurring = await api("GET", "/transactions/recurring");
  const currency = ctx.platform?.currency ?? "usd";
  const mrr = recurring.totals.find((t) => t.currency === currency);
  view.append(
    tiles([
      ["Active subscriptions", String(recurring.totals.reduce((s, t) => s + t.subscriptions, 0))],
      ["MRR", money(mrr?.mrr ?? 0, currency)],
      ["ARR", money(mrr?.arr ?? 0, currency)],
    ]),
  );
  const status = select(
    [
      ["", "any state"],
      ["active", "active"],
      ["paused", "paused"],
      ["past_due", "past due"],
      ["ended", "ended"],
    ],
    {
      name: "status",
      value: subscriptionQuery.status,
    },
  );
  const subscriber = input({ type: "search", name: "subscriber", value: subscriptionQuery.subscriber, placeholder: "user_… or an email", spellcheck: "false" });
  const contract = input({ name: "contract", value: subscriptionQuery.contract, placeholder: "inv_…", spellcheck: "false" });
  const sort = select(
    [
      ["-created", "newest first"],
      ["created", "oldest first"],
      ["-price", "highest price"],
      ["price", "lowest price"],
    ],
    { name: "sort", value: subscriptionQuery.sort },
  );
  const results = h("div", { "aria-live": "polite" });
  const load = async (page = subscriptionQuery.page) => {
    subscriptionQuery.page = page;
    let userId = subscriptionQuery.subscriber;
    // An email (or a name) is looked up: the list filters by user id.
    if (userId && !userId.startsWith("user_")) {
      const found = await api("GET", "/users", { query: { search: userId, per_page: 1 } });
      if (!found.data.length) {
        results.replaceChildren(h("p", { class: "empty" }, `No user matches “${userId}”.`));
        return;
      }
      userId = found.data[0].id;
    }
    const answer = await api("GET", "/subscriptions", {
      query: {
        "filter[status]": subscriptionQuery.status,
        "filter[user_id]": userId,
        "filter[contract_id]": subscriptionQuery.contract,
        sort: subscriptionQuery.sort,
        page,
        per_page: 25,
      },
    });
    const labels = await withUserLabels(answer.data.map((row) => row.user_id));
    results.replaceChildren(subscriptionsTable(answer.data, { labels, caption: `Subscriptions (${answer.meta.total})` }), pager(answer.meta, load) ?? "");
  };
  view.append(
    form(
      "Filter subscriptions",
      [field("State", status), field("Subscriber", subscriber), field("Contract ID", contract), field("Sort", sort)],
      "Filter",
      async () => {
        Object.assign(subscriptionQuery, { status: status.value, subscriber: subscriber.value.trim(), contract: contract.value.trim(), sort: sort.value });
        await load(1);
        return null;
      },
      { className: "inline filters" },
    ),
    results,
  );
  await load();
}

async function subscriptionDetail(view, id) {
  const s = await api("GET", `/subscriptions/${encodeURIComponent(id)}`);
  const labels = await withUserLabels([s.user_id]);
  const status = statusLine();
  const until = input({ type: "datetime-local", name: "pausedUntil" });
  view.append(
    h("p", { class: "crumbs" }, link("#/subscriptions", "Subscriptions"), " / "),
    h("h1", {}, `Subscription ${s.id}`),
    facts([
      ["Subscriber", userLink(labels, s.user_id)],
      ["Contract", link(`#/contracts/${s.contract_id}`, s.contract_id)],
      ["Price", `${money(s.price, s.currency)} / ${s.cycle}`],
      [
        "State",
        s.ended
          ? "ended"
          : s.pastDue
            ? "past due"
            : s.isPaused
              ? `paused (${{ admin: "by an admin", buyer_suspended: "the subscriber is suspended", seller_suspended: "a seller is suspended" }[s.pauseReason] ?? s.pauseReason})`
              : "active",
      ],
      ["Started", when(s.startDate)],
      ["Current period", `${when(s.currentPeriodStart)} – ${when(s.currentPeriodEnd)}`],
      ["Next charge", when(s.nextAttempt)],
      ["Paused until", when(s.pausedUntil)],
      ["Ended", when(s.ended)],
    ]),
    s.isActive && !s.isPaused && !s.ended
      ? form(
          "Pause",
          [field("Pause until (empty: until the subscriber resumes)", until)],
          "Pause renewals",
          async () => {
            const body = until.value ? { pausedUntil: `${new Date(until.value).toISOString().slice(0, 19)}Z` } : {};
            await api("PUT", `/subscriptions/${s.id}/pause`, { body });
            reload();
            return null;
          },
          { status },
        )
      : h("p", { class: "note" }, "Only the subscriber resumes or ends a subscription."),
  );
  const tx = section("Charges", async () => {
    const rows = await listAll("/transactions", { "filter[subscription_id]": s.id });
    return transactionsTable("Charges, transfers and fees", rows, await withUserLabels(rows.flatMap((t) => [t.buyer_user_id, t.seller_user_id])));
  });
  view.append(tx);
  await tx.ready;
}

// ── events and webhooks ──────────────────────────────────────────────────
function objectLink(event) {
  const routes = { contract: "contracts", user: "users", subscription: "subscriptions" };
  const route = routes[event.object_type];
  return route ? link(`#/${route}/${event.object_id}`, event.object_id) : h("code", {}, event.object_id);
}

function eventsTable(caption, rows) {
  return table({
    caption,
    rows,
    empty: "none.",
    columns: [
      ["When", (e) => stamp(e.created)],
      ["Type", (e) => h("code", {}, e.type)],
      ["Object", (e) => objectLink(e)],
      ["Event", (e) => jsonDetails(e.id, e)],
    ],
  });
}

const eventQuery = { type: "", object: "", page: 1 };
async function events(view) {
  view.append(h("h1", {}, "Events"));
  const type = input({ name: "type", value: eventQuery.type, placeholder: "contract.paid, user.updated", spellcheck: "false" });
  const object = input({ name: "object", value: eventQuery.object, placeholder: "inv_…, user_…", spellcheck: "false" });
  const results = h("div", { "aria-live": "polite" });
  const load = async (page = eventQuery.page) => {
    eventQuery.page = page;
    const answer = await api("GET", "/events", { query: { "filter[type]": eventQuery.type, "filter[object_id]": eventQuery.object, page, per_page: 25 } });
    results.replaceChildren(eventsTable(`Events (${answer.meta.total})`, answer.data), pager(answer.meta, load) ?? "");
  };
  view.append(
    form(
      "Filter events",
      [field("Types (comma-separated)", type), field("Object IDs", object)],
      "Filter",
      async () => {
        Object.assign(eventQuery, { type: type.value.replace(/\s+/g, ""), object: object.value.replace(/\s+/g, "") });
        await load(1);
        return null;
      },
      { className: "inline filters" },
    ),
    results,
  );
  await load();
}

async function webhooks(view, params) {
  if (params[0]) return webhookDetail(view, params[0]);
  view.append(h("h1", {}, "Webhook endpoints"));
  const list = section("Endpoints", async (redraw) => {
    const rows = await listAll("/webhooks");
    const url = input({ type: "url", name: "url", required: true, placeholder: "https://example.com/candle" });
    const types = input({ name: "events", value: "*", spellcheck: "false" });
    const name = input({ name: "name" });
    const secret = h("div", { class: "secret", "aria-live": "polite" });
    return [
      table({
        caption: "Endpoints",
        rows,
        empty: "none yet.",
        columns: [
          ["Name", (w) => link(`#/webhooks/${w.id}`, w.name ?? w.id)],
          ["URL", (w) => h("code", {}, w.url)],
          ["Events", (w) => w.events.join(", ")],
          ["State", (w) => (w.isEnabled ? badge("enabled", "good") : badge("disabled", "warn"))],
        ],
      }),
      h("h3", {}, "Add an endpoint"),
      form(
        "Add a webhook endpoint",
        [field("URL", url), field("Event types", types, "Comma-separated, or * for all."), field("Name", name)],
        "Add endpoint",
        async () => {
          const created = await api("POST", "/webhooks", {
            body: {
              url: url.value.trim(),
              events: types.value
                .split(",")
                .map((t) => t.trim())
                .filter(Boolean),
              ...(name.value.trim() ? { name: name.value.trim() } : {}),
            },
          });
          await redraw();
          list.querySelector(".secret")?.replaceChildren(h("p", {}, "Signing secret, shown once:"), h("code", { class: "key-secret" }, created.secret));
          return null;
        },
        { className: "stacked" },
      ),
      secret,
    ];
  });
  view.append(list);
  await list.ready;
}

async function webhookDetail(view, id) {
  const w = await api("GET", `/webhooks/${encodeURIComponent(id)}`);
  const status = statusLine();
  const secret = h("div", { class: "secret", "aria-live": "polite" });
  view.append(
    h("p", { class: "crumbs" }, link("#/webhooks", "Webhooks"), " / "),
    h("h1", {}, w.name ?? w.id),
    facts([
      ["ID", h("code", {}, w.id)],
      ["URL", h("code", {}, w.url)],
      ["Events", w.events.join(", ")],
      ["State", w.isEnabled ? "enabled" : "disabled"],
      ["Created", when(w.created)],
    ]),
    h(
      "div",
      { class: "actions" },
      actionButton(w.isEnabled ? "Disable" : "Enable", async () => (await api("PUT", `/webhooks/${w.id}`, { body: { isEnabled: !w.isEnabled } }), reload(), null), { status }),
      actionButton(
        "Send a test event",
        async () => {
          const sent = await api("POST", `/webhooks/${w.id}/test`);
          await deliveries.redraw();
          return `Test event queued (${sent.id}).`;
        },
        { status },
      ),
      actionButton(
        "Rotate secret",
        async () => {
          const rotated = await api("POST", `/webhooks/${w.id}/rotate_secret`, { body: {} });
          secret.replaceChildren(
            h("p", {}, "New signing secret, shown once (the old one keeps signing beside it for 24 hours):"),
            h("code", { class: "key-secret" }, rotated.secret),
          );
          return null;
        },
        { status, confirmText: "Make a new signing secret? The old one keeps working for 24 hours." },
      ),
      actionButton("Delete endpoint", async () => (await api("DELETE", `/webhooks/${w.id}`), (location.hash = "#/webhooks"), null), {
        status,
        tone: "danger",
        confirmText: "Delete this endpoint and its deliveries?",
      }),
    ),
    status,
    secret,
    h("p", { class: "note" }, "Failed deliveries are retried by the server for 3 days; Resend sends one again now (owners and the key)."),
  );
  const deliveries = section("Deliveries", async (redraw) => {
    const answer = await api("GET", `/webhooks/${w.id}/deliveries`, { query: { per_page: 50 } });
    return table({
      caption: `Deliveries (${answer.meta.total})`,
      rows: answer.data,
      empty: "none yet.",
      columns: [
        ["Event", (d) => h("code", {}, d.eventType)],
        ["Event ID", (d) => shortId(d.event_id)],
        ["Status", (d) => statusBadge(d.status)],
        ["Attempts", (d) => String(d.attempts)],
        ["Answer", (d) => (d.responseStatus ? String(d.responseStatus) : (d.error ?? "—"))],
        ["Last attempt", (d) => stamp(d.lastAttempt)],
        ["Delivered", (d) => stamp(d.delivered)],
        ["Next attempt", (d) => stamp(d.nextAttempt)],
        [
          "Resend",
          (d) =>
            d.status === "pending"
              ? "—"
              : actionButton(
                  "Resend",
                  async () => {
                    await api("POST", `/webhooks/${w.id}/deliveries/${d.id}/resend`);
                    await redraw();
                    status.ok(`Delivery ${d.id} is pending again.`);
                    return null;
                  },
                  { status, name: `Resend delivery ${d.id} (${d.eventType})` },
                ),
        ],
      ],
    });
  });
  view.append(deliveries);
  await deliveries.ready;
}

// ── waitlist ─────────────────────────────────────────────────────────────
const waitQuery = { search: "", granted: "", page: 1 };
async function waitlist(view, _params, ctx) {
  view.append(h("h1", {}, "Waitlist"));
  const status = statusLine();
  const counts = h("div", { "aria-live": "polite" });
  const results = h("div", { "aria-live": "polite" });
  const drawCounts = async () => {
    const c = await api("GET", "/waitlists/count");
    counts.replaceChildren(
      tiles([
        ["On the list", String(c.count)],
        ["Waiting", String(c.waiting)],
        ["Granted", String(c.granted)],
        ["Waitlist", ctx.platform?.waitlistEnabled ? "on" : "off"],
      ]),
    );
  };
  const load = async (page = waitQuery.page) => {
    waitQuery.page = page;
    const answer = await api("GET", "/waitlists", { query: { search: waitQuery.search, "filter[granted]": waitQuery.granted, sort: "position", page, per_page: 25 } });
    results.replaceChildren(
      table({
        caption: `Entries (${answer.meta.total})`,
        rows: answer.data,
        empty: "nobody.",
        columns: [
          ["#", (e) => String(e.position)],
          ["Email", (e) => e.email],
          ["Name", (e) => e.name ?? "—"],
          ["Joined", (e) => day(e.created)],
          ["Granted", (e) => (e.granted ? day(e.granted) : "—")],
          [
            "Actions",
            (e) =>
              h(
                "div",
                { class: "actions" },
                e.granted
                  ? null
                  : actionButton("Grant", async () => (await api("POST", `/waitlists/${e.id}/grant`), await Promise.all([load(), drawCounts()]), `${e.email} may sign in.`), {
                      status,
                    }),
                actionButton("Remove", async () => (await api("DELETE", `/waitlists/${e.id}/remove`), await Promise.all([load(), drawCounts()]), `${e.email} removed.`), {
                  status,
                  tone: "danger",
                  confirmText: `Remove ${e.email} from the list?`,
                }),
              ),
          ],
        ],
      }),
      pager(answer.meta, load) ?? "",
    );
  };
  const search = input({ type: "search", name: "search", value: waitQuery.search });
  const granted = select(
    [
      ["", "everyone"],
      ["false", "waiting"],
      ["true", "granted"],
    ],
    { name: "granted", value: waitQuery.granted },
  );
  const email = input({ type: "email", name: "email", required: true });
  const name = input({ name: "name" });
  view.append(
    counts,
    form(
      "Add to the waitlist",
      [field("Email", email), field("Name", name)],
      "Add",
      async () => {
        await api("POST", "/waitlists", { body: { email: email.value.trim(), ...(name.value.trim() ? { name: name.value.trim() } : {}) } });
        await Promise.all([load(), drawCounts()]);
        return `${email.value.trim()} is on the list.`;
      },
      { className: "inline filters" },
    ),
    form(
      "Filter the waitlist",
      [field("Search", search), field("Show", granted)],
      "Filter",
      async () => {
        Object.assign(waitQuery, { search: search.value.trim(), granted: granted.value });
        await load(1);
        return null;
      },
      { className: "inline filters" },
    ),
    status,
    results,
  );
  await Promise.all([drawCounts(), load()]);
}

export const pages = { settings, users, products, contracts, subscriptions, transactions, events, webhooks, waitlist };
