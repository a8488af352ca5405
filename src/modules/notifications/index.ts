/** The notifications module's public API: emails about orders, payouts and refunds, branded per platform. */
export { NOTIFICATION_KINDS, notifyContract, onEvent as notifyOnEvent, type NotificationKind, type NotifyInput } from "./notifications.js";
export { escapeHtml, renderEmail, type Branding, type EmailContent } from "./templates.js";
