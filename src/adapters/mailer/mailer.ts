/** Outgoing email. SMTP when SMTP_URL is set; otherwise the dev outbox (kept on disk, readable by the server user only). */
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
