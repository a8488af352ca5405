import fs from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";
import type { Logger } from "pino";
import type { EmailMessage, Mailer } from "./mailer.js";

/**
 * The development mailer: each message is written as an .eml file under `<dataDir>/outbox` and
 * logged with its text, so a newcomer can read a sign-in code without any mail server.
 */
export function createOutboxMailer(options: { dir: string; from: string; logger: Pick<Logger, "info"> }): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    kind: "outbox",
    async send(message: EmailMessage) {
      const info = await transport.sendMail({ from: options.from, ...message });
      await fs.mkdir(options.dir, { recursive: true });
      const safeTo = message.to.replace(/[^A-Za-z0-9@._-]/g, "_");
      const file = path.join(options.dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${safeTo}.eml`);
      await fs.writeFile(file, info.message as Buffer);
      options.logger.info({ to: message.to, subject: message.subject, file }, `outbox email to ${message.to}: ${message.subject}\n${message.text}`);
      return { messageId: info.messageId };
    },
    async close() {},
  };
}
