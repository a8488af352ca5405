// `medusa exec ./src/scripts/seed.js`: seeds Medusa with the bench's catalogue through Medusa's own
// workflows (as its starter's seed does), from the JSON the bench runner exported from our seeded
// database (BENCH_CATALOGUE), and writes what the runner needs to drive it (BENCH_MEDUSA_OUT):
// the publishable key, the region, the category to filter on, each product's and variant's id.
//
// Mapping: each of our top-level products is a Medusa product; our variants (children of a product)
// are its variants, otherwise it has one variant. Price in usd (cents to Medusa's major units). Our
// unlimited stock is `manage_inventory: false`; limited stock is an inventory level at the one
// stock location. A seller is kept as `metadata.seller_id` (no seller module: the marketplace
// recipe's link would only add work to Medusa's side). Archived products are drafts.
const fs = require("node:fs");
const {
  createApiKeysWorkflow,
  createInventoryLevelsWorkflow,
  createProductCategoriesWorkflow,
  createProductsWorkflow,
  createRegionsWorkflow,
  createSalesChannelsWorkflow,
  createShippingOptionsWorkflow,
  createShippingProfilesWorkflow,
  createStockLocationsWorkflow,
  createTaxRegionsWorkflow,
  linkSalesChannelsToApiKeyWorkflow,
  linkSalesChannelsToStockLocationWorkflow,
  updateStoresWorkflow,
} = require("@medusajs/medusa/core-flows");
const { ContainerRegistrationKeys, Modules, ProductStatus } = require("@medusajs/framework/utils");

const BATCH = 250;

exports.default = async function seed({ container }) {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER);
  const link = container.resolve(ContainerRegistrationKeys.LINK);
  const query = container.resolve(ContainerRegistrationKeys.QUERY);
  const catalogue = JSON.parse(fs.readFileSync(process.env.BENCH_CATALOGUE, "utf8"));
  const started = Date.now();

  const salesChannels = container.resolve(Modules.SALES_CHANNEL);
  let [channel] = await salesChannels.listSalesChannels({ name: "Default Sales Channel" });
  if (!channel) {
    ({
      result: [channel],
    } = await createSalesChannelsWorkflow(container).run({ input: { salesChannelsData: [{ name: "Default Sales Channel" }] } }));
  }
  const [store] = await container.resolve(Modules.STORE).listStores();
  await updateStoresWorkflow(container).run({
    input: { selector: { id: store.id }, update: { supported_currencies: [{ currency_code: "usd", is_default: true }], default_sales_channel_id: channel.id } },
  });
  const {
    result: [region],
  } = await createRegionsWorkflow(container).run({
    input: { regions: [{ name: "United States", currency_code: "usd", countries: ["us"], payment_providers: ["pp_system_default"] }] },
  });
  await createTaxRegionsWorkflow(container).run({ input: [{ country_code: "us", provider_id: "tp_system" }] });

  const {
    result: [location],
  } = await createStockLocationsWorkflow(container).run({
    input: { locations: [{ name: "Bench warehouse", address: { city: "New York", country_code: "US", address_1: "1 Bench St" } }] },
  });
  await link.create({ [Modules.STOCK_LOCATION]: { stock_location_id: location.id }, [Modules.FULFILLMENT]: { fulfillment_provider_id: "manual_manual" } });
  const fulfillment = container.resolve(Modules.FULFILLMENT);
  let [profile] = await fulfillment.listShippingProfiles({ type: "default" });
  if (!profile) {
    ({
      result: [profile],
    } = await createShippingProfilesWorkflow(container).run({ input: { data: [{ name: "Default Shipping Profile", type: "default" }] } }));
  }
  const fulfillmentSet = await fulfillment.createFulfillmentSets({
    name: "Bench delivery",
    type: "shipping",
    service_zones: [{ name: "United States", geo_zones: [{ country_code: "us", type: "country" }] }],
  });
  await link.create({ [Modules.STOCK_LOCATION]: { stock_location_id: location.id }, [Modules.FULFILLMENT]: { fulfillment_set_id: fulfillmentSet.id } });
  const {
    result: [shippingOption],
  } = await createShippingOptionsWorkflow(container).run({
    input: [
      {
        name: "Standard",
        price_type: "flat",
        provider_id: "manual_manual",
        service_zone_id: fulfillmentSet.service_zones[0].id,
        shipping_profile_id: profile.id,
        type: { label: "Standard", description: "Ships in 2-3 days.", code: "standard" },
        prices: [
          { currency_code: "usd", amount: 10 },
          { region_id: region.id, amount: 10 },
        ],
        rules: [
          { attribute: "enabled_in_store", value: "true", operator: "eq" },
          { attribute: "is_return", value: "false", operator: "eq" },
        ],
      },
    ],
  });
  await linkSalesChannelsToStockLocationWorkflow(container).run({ input: { id: location.id, add: [channel.id] } });
  const {
    result: [key],
  } = await createApiKeysWorkflow(container).run({ input: { api_keys: [{ title: "Bench storefront", type: "publishable", created_by: "" }] } });
  await linkSalesChannelsToApiKeyWorkflow(container).run({ input: { id: key.id, add: [channel.id] } });

  const { result: categories } = await createProductCategoriesWorkflow(container).run({
    input: { product_categories: catalogue.categories.map((name) => ({ name, is_active: true })) },
  });
  const categoryId = new Map(categories.map((c) => [c.name, c.id]));

  // Our product id → Medusa's product and variant ids.
  const productIds = {};
  const variantIds = {};
  const levels = [];
  for (let at = 0; at < catalogue.products.length; at += BATCH) {
    const batch = catalogue.products.slice(at, at + BATCH);
    const input = batch.map((p) => {
      const variants = p.variants.length ? p.variants : [p];
      return {
        title: p.name,
        description: p.description,
        handle: p.id.replace(/_/g, "-"),
        status: p.archived ? ProductStatus.DRAFT : ProductStatus.PUBLISHED,
        category_ids: [categoryId.get(p.category)],
        shipping_profile_id: profile.id,
        thumbnail: p.image,
        metadata: { seller_id: p.seller, bench_id: p.id },
        options: [{ title: "Variant", values: variants.map((v) => v.id) }],
        variants: variants.map((v) => ({
          title: v.name,
          sku: v.id,
          manage_inventory: v.quantity !== null,
          options: { Variant: v.id },
          prices: [{ amount: v.price / 100, currency_code: "usd" }],
        })),
        sales_channels: [{ id: channel.id }],
      };
    });
    const { result } = await createProductsWorkflow(container).run({ input: { products: input } });
    const stock = new Map(batch.flatMap((p) => (p.variants.length ? p.variants : [p]).map((v) => [v.id, v.quantity])));
    const limited = [];
    for (const product of result) {
      productIds[product.metadata.bench_id] = product.id;
      for (const variant of product.variants) {
        variantIds[variant.sku] = variant.id;
        if (stock.get(variant.sku) !== null) limited.push(variant.id);
      }
    }
    if (limited.length) {
      const { data } = await query.graph({ entity: "product_variant", fields: ["id", "sku", "inventory_items.inventory_item_id"], filters: { id: limited } });
      for (const v of data) {
        for (const item of v.inventory_items) levels.push({ location_id: location.id, inventory_item_id: item.inventory_item_id, stocked_quantity: stock.get(v.sku) });
      }
    }
    if (levels.length >= BATCH * 4 || at + BATCH >= catalogue.products.length) {
      await createInventoryLevelsWorkflow(container).run({ input: { inventory_levels: levels.splice(0) } });
    }
    if ((at / BATCH) % 8 === 0) logger.info(`seeded ${at + batch.length} of ${catalogue.products.length} products in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }

  fs.writeFileSync(
    process.env.BENCH_MEDUSA_OUT,
    JSON.stringify({
      publishableKey: key.token,
      regionId: region.id,
      salesChannelId: channel.id,
      shippingOptionId: shippingOption.id,
      categoryId: categoryId.get(catalogue.category),
      productIds,
      variantIds,
    }),
  );
  logger.info(`seeded ${catalogue.products.length} products in ${((Date.now() - started) / 1000).toFixed(0)} s`);
};
