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
