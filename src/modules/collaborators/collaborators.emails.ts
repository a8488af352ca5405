import type { EmailMessage } from "../../adapters/mailer/mailer.js";

/** The invite a new (not managed) collaborator gets: who invited them, and where to sign in with their email. */
export function collaboratorInviteEmail(input: { to: string; firstName: string | null; platformName: string; signInUrl: string }): EmailMessage {
  const hello = input.firstName ? `Hello ${input.firstName},` : "Hello,";
  return {
    to: input.to,
    subject: `You are invited to ${input.platformName} as a collaborator`,
    text:
      `${hello}\n\n${input.platformName} invited you as a collaborator: you can read its catalogue and orders, as far as the permissions it gave you allow.\n\n` +
      `Sign in here with this address (${input.to}); a code is emailed to you each time, there is no password:\n${input.signInUrl}\n\n` +
      `If you did not expect this, ignore this email: nothing happens until you sign in.\n`,
  };
}
