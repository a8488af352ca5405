import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";
import type { Logger } from "pino";
import type { EmailMessage, Mailer } from "./mailer.js";

/**
 * The development mailer: each message is written as an .eml file under `<dataDir>/outbox`, so a
 * newcomer can read a sign-in code without any mail server. The files and their folder are the
 * server user's alone (0600 / 0700), and the log line names the file but never carries the subject
 * or text: a sign-in code is in both, and logs are read by more people than the mailbox is.
 */
export function createOutboxMailer(options: { dir: string; from: string; logger: Pick<Logger, "info"> }): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    kind: "outbox",
    async send(message: EmailMessage) {
      const info = await transport.sendMail({ from: options.from, ...message });
      await fs.mkdir(options.dir, { recursive: true, mode: 0o700 });
      // mkdir leaves an existing folder's mode alone (and the umask narrows a new one): set it.
      await fs.chmod(options.dir, 0o700);
      const safeTo = message.to.replace(/[^A-Za-z0-9@._-]/g, "_");
      const file = path.join(options.dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${randomBytes(3).toString("hex")}-${safeTo}.eml`);
      // Created with 0600 (the flag "wx" never follows a file planted under the same name, and the
      // random part keeps two emails in one millisecond apart); chmod
      // again because the process umask can only narrow the mode given at creation.
      await fs.writeFile(file, info.message as Buffer, { mode: 0o600, flag: "wx" });
      await fs.chmod(file, 0o600);
      options.logger.info({ to: message.to, file }, `outbox email to ${message.to} written to ${file}`);
      return { messageId: info.messageId };
    },
    async close() {},
  };
}
