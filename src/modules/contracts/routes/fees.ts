import { errors } from "../../../lib/route.js";
import { noBody } from "../../../lib/schemas.js";
import { requireAuth } from "../../../plugins/auth.js";
import { contractParams, contractSchema, customFeeBody, feeInclusionBody, feeParams, modifyFeeBody } from "../contracts.schemas.js";
import { tags, signedIn, CHANGE, type ContractsApp, type ContractsRoutesDeps } from "./shared.js";

/** A contract's custom fees and who bears the fees. */
export function feeRoutes(app: ContractsApp, { contracts }: ContractsRoutesDeps): void {
  app.post(
    "/contracts/:id/fee",
    {
      schema: {
        operationId: "addContractFee",
        tags,
        summary: "Add a custom fee",
        description: `\`{ amount, description?, payer? }\`: the platform keeps it; \`payer: "buyers"\` (default) adds it on top, \`"sellers"\` deducts it from them (an editor or the key only). ${CHANGE}`,
        params: contractParams,
        body: customFeeBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.addFee(requireAuth(request), request.params.id, request.body),
  );

  app.put(
    "/contracts/:id/fee/:fee_id",
    {
      schema: {
        operationId: "modifyContractFee",
        tags,
        summary: "Modify a custom fee",
        description: `Computed fees (\`stripe:cc\`, \`candle:base\`, \`platform:base\`) follow the rates and cannot be changed (422 \`fee_not_custom\`). ${CHANGE}`,
        params: feeParams,
        body: modifyFeeBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.modifyFee(requireAuth(request), request.params.id, request.params.fee_id, request.body),
  );

  app.delete(
    "/contracts/:id/fee/:fee_id",
    {
      schema: {
        operationId: "removeContractFee",
        tags,
        summary: "Remove a custom fee",
        description: `Computed fees cannot be removed (422 \`fee_not_custom\`). ${CHANGE}`,
        params: feeParams,
        body: noBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.removeFee(requireAuth(request), request.params.id, request.params.fee_id),
  );

  app.put(
    "/contracts/:id/fee_inclusion",
    {
      schema: {
        operationId: "setContractFeeInclusion",
        tags,
        summary: "Choose who bears the fees",
        description: `\`{ feeInclusion }\` (the SDK's switch: true puts the Stripe, Candle and platform fees on the buyers, false on the sellers) and/or the three include…Fees flags, which win over it. ${CHANGE}`,
        params: contractParams,
        body: feeInclusionBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.setFeeInclusion(requireAuth(request), request.params.id, request.body),
  );
}
