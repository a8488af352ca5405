import type { EmailMessage } from "../../adapters/mailer/mailer.js";

/** The seller's news of a review: their listing is published, or rejected and why. */
export function listingReviewedEmail(input: {
  to: string;
  platformName: string;
  url: string | null;
  product: { id: string; name: string; adminStatus: string; rejectionReason: string | null };
}): EmailMessage {
  const { to, platformName, url, product } = input;
  if (product.adminStatus === "published") {
    return {
      to,
      subject: `Your listing "${product.name}" is published on ${platformName}`,
      text: `Your listing "${product.name}" (${product.id}) was approved: it is now published${url ? ` at ${url}` : ""}, and buyers can see and buy it.\n`,
    };
  }
  return {
    to,
    subject: `Your listing "${product.name}" was not approved on ${platformName}`,
    text:
      `Your listing "${product.name}" (${product.id}) was not approved, for this reason:\n\n${product.rejectionReason ?? "(none given)"}\n\n` +
      "Change it and submit it for review again when it is ready.\n",
  };
}
