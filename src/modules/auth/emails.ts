import type { EmailMessage } from "../../adapters/mailer/mailer.js";

export function signInCodeEmail(to: string, code: string, platformName: string, minutes: number): EmailMessage {
  return {
    to,
    subject: `${code} is your ${platformName} sign-in code`,
    text:
      `Your sign-in code for ${platformName} is ${code}\n\n` +
      `It expires in ${minutes} minutes and works once. If you did not ask for it, ignore this email: nobody can sign in without the code.\n`,
  };
}

export function waitlistGrantedEmail(to: string, platformName: string, url: string | null): EmailMessage {
  return {
    to,
    subject: `You're in: ${platformName} is ready for you`,
    text: `Good news: your place on the ${platformName} waitlist came up, and you can now sign in${url ? ` at ${url}` : ""} with this email address.\n`,
  };
}
