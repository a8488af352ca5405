import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { requireAuth } from "../../plugins/auth.js";
import { type MediaService, readMediaField, toMediaResponse } from "../media/index.js";
import type { PlatformsService } from "../platforms/index.js";
import { estimateFeeBody, feeEstimateSchema } from "../contracts/index.js";
import { generatedUsernameSchema, generateUsernameBody, mediaSchema } from "./utils.schemas.js";
import type { UtilsService } from "./utils.service.js";

const tags = ["Utils"];

export const utilsRoutes: FastifyPluginAsyncZod<{ utils: UtilsService; media: MediaService; platforms: Pick<PlatformsService, "resolvePublic"> }> = async (
  app,
  { utils, media, platforms },
) => {
  // The reference documents the path with a typo; both spellings are served.
  for (const [url, operationId] of [
    ["/utils/generate/username", "generateUsername"],
    ["/utils/gnerate/username", "generateUsernameDocumentedTypo"],
  ] as const) {
    app.post(
      url,
      {
        schema: {
          operationId,
          tags,
          summary: "Generate an unused username from text (public)",
          body: generateUsernameBody,
          response: { 200: generatedUsernameSchema, ...errors(400, 404, 429) },
        },
        config: { auth: "public" },
      },
      async (request) => {
        const platform = await platforms.resolvePublic(request.auth, request.body.platform_id);
        return utils.generateUsername(platform, request.body.text);
      },
    );
  }

  app.post(
    "/utils/estimate/fee",
    {
      schema: {
        operationId: "estimateFee",
        tags,
        summary: "Estimate the fees of a sale (public)",
        description:
          "`{ amount }` in cents: what a buyer pays and a seller receives for a one-buyer, one-seller contract of that amount, with the Stripe, Candle and platform fees — computed by the same code that prices contracts. " +
          "The platform (for its fee) comes from the key when one is sent, else from `platform_id`; with neither, there is no platform fee. " +
          "Fee inclusion as on a contract: `feeInclusion` for all three, or each include…Fees flag (default: the seller bears every fee). 422 `amount_too_small` when the seller's fees exceed the amount.",
        body: estimateFeeBody,
        response: { 200: feeEstimateSchema, ...errors(400, 404, 422, 429) },
      },
      config: { auth: "public" },
    },
    async (request) => {
      const { platform_id: platformId, ...input } = request.body;
      const platform = request.auth || platformId !== undefined ? await platforms.resolvePublic(request.auth, platformId) : null;
      return utils.estimateFee(platform, input);
    },
  );

  app.post(
    "/utils/media/upload",
    {
      schema: {
        operationId: "uploadMedia",
        tags,
        summary: "Upload an image (JPEG, PNG or GIF)",
        description: "multipart/form-data with the file in the field `media`. The type is decided by the file's bytes, not its name. Use the answer's `id` as `media_id`.",
        response: { 201: mediaSchema, ...errors(400, 401, 413, 415) },
      },
      config: { auth: {} },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const file = await readMediaField(request);
      const stored = await media.store({ platformId: auth.platformId, mode: auth.mode, userId: auth.user?.id ?? null, filename: file.filename, data: file.data });
      return reply.code(201).send(toMediaResponse(stored));
    },
  );
};
