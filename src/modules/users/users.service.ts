import { listMetafields, type MetafieldResponse } from "../metafields/index.js";
import { createHmac } from "node:crypto";
import type { Db } from "../../db/client.js";
import type { Prisma } from "../../db/client.js";
import type { Tenant } from "../../db/tenant.js";
import type { Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import type { MediaService } from "../media/index.js";
import { confirmEmail } from "./operations/confirm-email.js";
import { create } from "./operations/create.js";
import { setImage } from "./operations/image.js";
import { addLink, removeLink } from "./operations/links.js";
import { list } from "./operations/list.js";
import { scheduleDeletion } from "./operations/schedule-deletion.js";
import { changed, findUser, manageable, type UsersContext } from "./operations/shared.js";
import { signIn } from "./operations/sign-in.js";
import { suspend, unsuspend } from "./operations/suspend.js";
import { update } from "./operations/update.js";
import type { PaymentMethodsOf, UserView } from "./users.view.js";
import { seal } from "../../lib/sealed.js";

export type { Tenant };
export {
  DELETION_GRACE_DAYS,
  EMAIL_CODE_MAX_ATTEMPTS,
  EMAIL_CODE_TTL_SECONDS,
  MAX_LINKS,
  UserOutranksYouError,
  WaitlistNotGrantedError,
  toPaymentMethodResponse,
  toUserResponse,
  userInclude,
  type PaymentMethodsOf,
  type UserView,
} from "./users.view.js";

/** The users' operations, one file each under operations/, bound to their dependencies. */
export function createUsersService(deps: {
  db: Db;
  /** Whether an address was granted a place on the platform's waitlist (the waitlists module answers). */
  isWaitlistGranted: (tx: Prisma.TransactionClient, platformId: string, email: string) => Promise<boolean>;
  media: Pick<MediaService, "store" | "retrieve">;
  clock: Clock;
  /** Keys the HMAC of email confirmation codes. */
  secret: string;
  /** Evicts this node's cached sessions of a user (other nodes hear the NOTIFY). */
  invalidate?: (message: string) => void;
  /** Users' payment methods, for the user object (the payment-methods module answers: it sits above this one). */
  paymentMethodsOf: PaymentMethodsOf;
}) {
  const ctx: UsersContext = {
    paymentMethodsOf: deps.paymentMethodsOf,
    db: deps.db,
    clock: deps.clock,
    media: deps.media,
    isWaitlistGranted: deps.isWaitlistGranted,
    invalidateLocally: deps.invalidate ?? (() => {}),
    emailCodeHash: (userId, email, code) => createHmac("sha256", deps.secret).update(`email\n${userId}\n${email}\n${code}`).digest("hex"),
    seal: (value) => seal(deps.secret, value),
  };
  type Rest<F> = F extends (ctx: UsersContext, ...rest: infer A) => infer R ? (...rest: A) => R : never;
  const bind = <F extends (ctx: UsersContext, ...rest: never[]) => unknown>(f: F): Rest<F> =>
    ((...rest: unknown[]) => (f as unknown as (...a: unknown[]) => unknown)(ctx, ...rest)) as Rest<F>;
  // A declaration, not a property: the transaction-pool test reads its pool default to check the callers.
  const view = (tenant: Tenant, id: string, client: Db | Prisma.TransactionClient = deps.db): Promise<UserView> => findUser(ctx, client, tenant, id);
  return {
    view,

    /** Throws 403 `user_role_protected` unless `auth` may change the user (routes of other modules acting on a user). */
    async assertMayManage(auth: AuthContext, id: string): Promise<void> {
      await manageable(ctx, auth, id);
    },

    signIn: bind(signIn),
    create: bind(create),
    retrieve: (tenant: Tenant, id: string) => findUser(ctx, deps.db, tenant, id),
    list: bind(list),
    update: bind(update),
    confirmEmail: bind(confirmEmail),
    scheduleDeletion: bind(scheduleDeletion),
    suspend: bind(suspend),
    unsuspend: bind(unsuspend),
    setImage: bind(setImage),
    addLink: bind(addLink),
    removeLink: bind(removeLink),
    metafields: async (tenant: Tenant, id: string) => (await findUser(ctx, deps.db, tenant, id)).metafields,
    /** A change to the user's metafields, by whoever may change the user; answers them after (`user.updated` when something changed). */
    async changeMetafields(auth: AuthContext, id: string, apply: (tx: Prisma.TransactionClient) => Promise<boolean>): Promise<MetafieldResponse[]> {
      await manageable(ctx, auth, id);
      return deps.db.$transaction(async (tx) => {
        if (!(await apply(tx))) return listMetafields(tx, "user", id);
        await tx.user.update({ where: { id }, data: { updated: deps.clock.now() } });
        return (await changed(ctx, tx, auth, id, "user.updated")).metafields;
      });
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
