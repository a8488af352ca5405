import type { EmailMessage } from "../../adapters/mailer/mailer.js";

export function emailChangeCodeEmail(to: string, code: string, platformName: string, minutes: number): EmailMessage {
  return {
    to,
    subject: `${code} is your ${platformName} email confirmation code`,
    text:
      `Someone asked to make ${to} the email address of an account on ${platformName}. The confirmation code is ${code}\n\n` +
      `It expires in ${minutes} minutes and works once. If you did not ask for it, ignore this email: the address changes only with the code.\n`,
  };
}

/** To the address an account is leaving: the change was asked for (`pending`) or made. */
export function emailChangeNotice(to: string, newEmail: string, platformName: string, pending: boolean): EmailMessage {
  return pending
    ? {
        to,
        subject: `Your ${platformName} email address is about to change`,
        text: `Someone asked to change the email address of your ${platformName} account from ${to} to ${newEmail}. It changes once a code sent to ${newEmail} is entered. If this was not you, tell the ${platformName} team at once.\n`,
      }
    : {
        to,
        subject: `Your ${platformName} email address was changed`,
        text: `The email address of your ${platformName} account was changed from ${to} to ${newEmail}; you now sign in with ${newEmail}. If this was not you, tell the ${platformName} team at once.\n`,
      };
}
