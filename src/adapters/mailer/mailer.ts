/** Outgoing email. SMTP when SMTP_URL is set; otherwise the dev outbox (logged and kept on disk). */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  readonly kind: "smtp" | "outbox";
  send(message: EmailMessage): Promise<{ messageId: string }>;
  close(): Promise<void>;
}
