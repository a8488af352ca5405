import nodemailer from "nodemailer";
import type { EmailMessage, Mailer } from "./mailer.js";

export function createSmtpMailer(options: { url: string; from: string }): Mailer {
  // A slow or absent SMTP server must fail the send (which the job queue then retries), not hang it.
  const url = new URL(options.url);
  for (const [name, value] of [
    ["connectionTimeout", "10000"],
    ["greetingTimeout", "10000"],
    ["socketTimeout", "20000"],
  ] as const) {
    if (!url.searchParams.has(name)) url.searchParams.set(name, value);
  }
  const transport = nodemailer.createTransport(url.toString());
  return {
    kind: "smtp",
    async send(message: EmailMessage) {
      const info = await transport.sendMail({ from: options.from, ...message });
      return { messageId: info.messageId };
    },
    async close() {
      transport.close();
    },
  };
}
