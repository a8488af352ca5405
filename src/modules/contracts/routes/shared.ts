import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { ContractsService } from "../contracts.service.js";
import type { ContractSettlement } from "../contracts.settlement.js";

/** The Fastify instance the contracts plugin is given (zod type provider); each routes/ file adds its routes to it. */
export type ContractsApp = Parameters<FastifyPluginAsyncZod>[0];

export interface ContractsRoutesDeps {
  contracts: ContractsService;
  settlement: ContractSettlement;
}

export const tags = ["Contracts"];
/** Any credentials; who may do what with a given contract is decided by the service (creator, parties, editors). */
export const signedIn = { auth: {} } as const;
export const editor = { auth: { role: "editor" } } as const;
export const self = { auth: { user: true } } as const;

/** What every change to a contract's items, parties and fees answers, and who may make it. */
export const CHANGE =
  "Answers the contract with its figures rebalanced, and voids every buyer's acceptance (they accept the changed contract again). " +
  "The contract's creator (once it is sent, only a creator who is also a buyer or seller), an editor or the platform key; only while nothing is paid (409 `contract_locked`). " +
  "A member must be one of the contract's buyers or sellers after the change (adding themself in this request counts), else 403 `not_contract_party` and nothing changes. " +
  "422 when pinned amounts could no longer add up (`gap_cents` says by how much), and nothing changes.";
