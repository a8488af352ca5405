import type { Storage } from "../../adapters/storage/storage.js";
import type { Db } from "../../db/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { AppError, ConflictError, type ErrorCode, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from "../../lib/errors.js";
import { uuidv7Hex } from "../../lib/ids.js";
import type { AuthContext } from "../../plugins/auth.js";
import { type EventSource, recordEvent } from "../events/index.js";
import { recordUploadedMedia, sniffImage } from "../media/index.js";
import { requiresListingReview } from "../platforms/index.js";
import type { IMAGE_TYPES } from "./products.schemas.js";
import { assertMayManage, productEvent, type ProductsService, type ProductView } from "./products.service.js";

/**
 * Product images through pre-signed uploads (docs/api/products.md): `PUT /products/:id/images` hands out a
 * URL valid for 60 s; the client PUTs the bytes there; the product's `image` is set once the bytes
 * are really there and really an image — at once for our own signed URLs (we receive the bytes),
 * and on `POST /products/:id/images/confirm` for S3 (we HEAD the object and sniff its first bytes).
 */
export const IMAGE_UPLOAD_TTL_SECONDS = 60;

type ImageType = (typeof IMAGE_TYPES)[number];
const EXTENSIONS: Record<ImageType, string> = { "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif" };
const KEY = /^products\/(plat_[0-9a-f]{32})\/(prod_[0-9a-f]{32})\/[0-9a-f]{32}\.(jpg|png|gif)$/;
const SNIFF_BYTES = 16;

export class GoneError extends AppError {
  constructor(code: ErrorCode, message: string) {
    super(410, "invalid_request_error", code, message);
  }
}

function parseKey(key: string): { platformId: string; productId: string; ext: string } | null {
  const match = KEY.exec(key);
  return match ? { platformId: match[1]!, productId: match[2]!, ext: match[3]! } : null;
}

export function createProductImagesService(deps: {
  db: Db;
  storage: Storage;
  products: Pick<ProductsService, "view" | "retrieve" | "changed" | "now">;
  uploadLimit: number;
  publicUrl: string;
}) {
  const { db, storage, products, uploadLimit, publicUrl } = deps;

  /**
   * Records the stored image (once per key) and makes it the product's image, with a
   * `product.updated` event when the image changed (setting the same one again records nothing).
   */
  async function attach(
    product: { id: string; platformId: string; mode: Mode; userId: string },
    key: string,
    type: string,
    size: number,
    requestId: string | undefined,
  ): Promise<ProductView> {
    const url = storage.urlFor(key);
    const source: EventSource = { platformId: product.platformId, mode: product.mode, requestId };
    return db.$transaction(async (tx) => {
      await recordUploadedMedia(tx, { platformId: product.platformId, mode: product.mode, userId: product.userId, storageKey: key, url, type, size });
      const [current] = await tx.$queryRaw<{ image: string | null; admin_status: string }[]>`
        SELECT image, admin_status FROM products WHERE id = ${product.id} AND platform_id = ${product.platformId} FOR UPDATE`;
      if (!current) throw new NotFoundError("product", product.id, "id");
      if (current.image === url) return products.view(source, product.id, tx);
      // A new image is new content: a published listing goes back to review when the platform requires it
      // (whoever uploads it: the signed URL does not say who).
      const resubmitted = current.admin_status === "published" && (await requiresListingReview(tx, product.platformId));
      await tx.product.update({ where: { id: product.id, platformId: product.platformId }, data: { image: url, ...(resubmitted ? { adminStatus: "pending" } : {}) } });
      const changed = await products.changed(tx, source, product.id, "product.updated");
      if (resubmitted) await recordEvent(tx, productEvent(source, "product.submitted", changed, products.now()));
      return changed;
    });
  }

  return {
    async requestUpload(auth: AuthContext, productId: string, contentType: ImageType) {
      const product = await products.retrieve(auth, productId);
      assertMayManage(auth, product);
      const key = `products/${auth.platformId}/${product.id}/${uuidv7Hex()}.${EXTENSIONS[contentType]}`;
      const upload = await storage.presignUpload(key, contentType, IMAGE_UPLOAD_TTL_SECONDS);
      return {
        ...upload,
        expiresIn: IMAGE_UPLOAD_TTL_SECONDS,
        key,
        confirm: { method: "POST" as const, url: `${publicUrl}/v1/products/${product.id}/images/confirm` },
      };
    },

    /**
     * The bytes of a signed upload to our own server (disk storage); the signature was checked.
     * They must be an image of the type that was signed for.
     */
    async receive(key: string, contentType: string, data: Buffer, requestId?: string): Promise<{ key: string; url: string; type: string; size: number }> {
      const parsed = parseKey(key);
      if (!parsed) throw new NotFoundError("upload", key);
      if (data.length === 0) throw new ValidationError("parameter_missing", "The upload is empty: send the image's bytes as the request body.", "body");
      const kind = sniffImage(data);
      if (!kind || kind.type !== contentType || kind.ext !== parsed.ext) {
        throw new UnsupportedMediaTypeError(`The bytes are not a ${contentType} image (JPEG, PNG and GIF are recognised by their content).`, "body");
      }
      const product = await db.product.findFirst({
        where: { id: parsed.productId, platformId: parsed.platformId },
        select: { id: true, platformId: true, mode: true, userId: true },
      });
      if (!product) throw new NotFoundError("product", parsed.productId);
      await storage.put(key, data, kind.type);
      await attach(product, key, kind.type, data.length, requestId);
      return { key, url: storage.urlFor(key), type: kind.type, size: data.length };
    },

    /**
     * Sets the product's image from an upload made to a pre-signed URL, once it is there: the object
     * must exist (409 before), be at most UPLOAD_LIMIT bytes (413) and be an image of the type its key
     * says (415); a rejected object is deleted. Repeating the call is harmless.
     */
    async confirm(auth: AuthContext, productId: string, key: string): Promise<ProductView> {
      const product = await products.retrieve(auth, productId);
      assertMayManage(auth, product);
      const parsed = parseKey(key);
      if (!parsed || parsed.platformId !== auth.platformId || parsed.productId !== product.id) {
        throw new ValidationError("parameter_invalid", "`key` is not an image upload of this product: use the key from PUT /v1/products/:id/images.", "key");
      }
      const stored = await storage.inspect(key, SNIFF_BYTES);
      if (!stored) throw new ConflictError("upload_missing", "Nothing has been uploaded to this key yet: PUT the image to the upload URL first.", "key");
      if (stored.size > uploadLimit) {
        await storage.delete(key);
        throw new PayloadTooLargeError(`The uploaded image is larger than ${uploadLimit} bytes; it has been deleted.`);
      }
      const kind = sniffImage(stored.head);
      if (!kind || kind.ext !== parsed.ext) {
        await storage.delete(key);
        throw new UnsupportedMediaTypeError("The uploaded file is not the image type it was signed for; it has been deleted.", "key");
      }
      return attach(product, key, kind.type, stored.size, auth.requestId);
    },
  };
}

export type ProductImagesService = ReturnType<typeof createProductImagesService>;
