import type { EmailMessage } from "../../adapters/mailer/mailer.js";

/**
 * Every notification email in one layout, branded per platform: its name, logo and colours
 * (`brandColor`, `accentColor`: platform settings). A plain-text part and an HTML part carry the
 * same words; in the HTML every value is escaped (a platform's or a user's text is never markup),
 * and only `#rrggbb` colours and http(s) logo and link URLs are used.
 */

export interface Branding {
  name: string;
  url: string | null;
  logo: string | null;
  brandColor: string | null;
  accentColor: string | null;
}

export interface EmailContent {
  subject: string;
  /** The first line, as a heading. */
  heading: string;
  /** Paragraphs. */
  paragraphs: string[];
  /** Label and value rows (items, amounts). */
  rows?: [string, string][];
  /** A link to the platform, with its label. */
  action?: { label: string; url: string } | null;
}

export const DEFAULT_BRAND_COLOR = "#1f2937";
export const DEFAULT_ACCENT_COLOR = "#2563eb";

export function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const safeColor = (value: string | null, fallback: string) => (value && /^#[0-9a-fA-F]{6}$/.test(value) ? value : fallback);
const safeUrl = (value: string | null | undefined) => (value && /^https?:\/\//i.test(value) ? value : null);

export function renderEmail(to: string, brand: Branding, content: EmailContent): EmailMessage {
  const action = content.action && safeUrl(content.action.url) ? content.action : null;
  const text = [
    content.heading,
    "",
    ...content.paragraphs.flatMap((p) => [p, ""]),
    ...(content.rows?.length ? [...content.rows.map(([label, value]) => `- ${label}: ${value}`), ""] : []),
    ...(action ? [`${action.label}: ${action.url}`, ""] : []),
    `— ${brand.name}`,
    "",
  ].join("\n");

  const main = safeColor(brand.brandColor, DEFAULT_BRAND_COLOR);
  const accent = safeColor(brand.accentColor, DEFAULT_ACCENT_COLOR);
  const logo = safeUrl(brand.logo);
  const e = escapeHtml;
  const html = [
    "<!doctype html>",
    `<html><body style="margin:0;padding:0;background:#f3f4f6;font-family:Helvetica,Arial,sans-serif;color:#111827">`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px">`,
    `<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:8px;overflow:hidden">`,
    `<tr><td style="background:${main};color:#ffffff;padding:16px 24px;font-size:18px;font-weight:bold">`,
    logo ? `<img src="${e(logo)}" alt="${e(brand.name)}" height="32" style="vertical-align:middle;margin-right:8px">` : "",
    `${e(brand.name)}</td></tr>`,
    `<tr><td style="padding:24px">`,
    `<h1 style="font-size:20px;margin:0 0 16px">${e(content.heading)}</h1>`,
    ...content.paragraphs.map((p) => `<p style="margin:0 0 12px;line-height:1.5">${e(p)}</p>`),
    content.rows?.length
      ? `<table role="presentation" cellpadding="4" cellspacing="0" style="margin:8px 0 16px">${content.rows.map(([label, value]) => `<tr><td>${e(label)}</td><td style="text-align:right;font-weight:bold">${e(value)}</td></tr>`).join("")}</table>`
      : "",
    action
      ? `<p><a href="${e(action.url)}" style="display:inline-block;background:${accent};color:#ffffff;padding:10px 16px;border-radius:6px;text-decoration:none">${e(action.label)}</a></p>`
      : "",
    `</td></tr></table></td></tr></table></body></html>`,
  ].join("");
  return { to, subject: `${brand.name}: ${content.subject}`, text, html };
}
