import type { EmailMessage } from "../../adapters/mailer/mailer.js";

export function waitlistGrantedEmail(to: string, platformName: string, url: string | null): EmailMessage {
  return {
    to,
    subject: `You're in: ${platformName} is ready for you`,
    text: `Good news: your place on the ${platformName} waitlist came up, and you can now sign in${url ? ` at ${url}` : ""} with this email address.\n`,
  };
}
