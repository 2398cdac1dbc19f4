import type { ReceivedMail, TestSmtpServer } from './smtp-server';

/** Waits for the next mail to `to` with this subject (among those not taken yet) and returns it. */
export async function nextMail(mailbox: TestSmtpServer, to: string, subject: string, taken: Set<ReceivedMail>): Promise<ReceivedMail> {
  const mail = await mailbox.waitForMessage(
    (candidate) => !taken.has(candidate) && candidate.subject === subject && candidate.to.some((address) => address.toLowerCase() === to.toLowerCase()),
    10_000,
  );
  taken.add(mail);
  return mail;
}

/** The single link a mail carries to `path` (e.g. /reset-password), from its text body; fails when there is none. */
export function linkIn(mail: ReceivedMail, path: string): URL {
  const links = [...mail.text.matchAll(/https?:\/\/\S+/g)].map((match) => new URL(match[0]));
  const matching = links.filter((link) => link.pathname === path);
  if (matching.length !== 1) throw new Error(`expected one link to ${path} in "${mail.subject}", found: ${links.map(String).join(', ')}`);
  return matching[0]!;
}

/** The token of the mail's link to `path`. */
export function tokenIn(mail: ReceivedMail, path: string): string {
  const token = linkIn(mail, path).searchParams.get('token');
  if (!token) throw new Error(`the link to ${path} in "${mail.subject}" has no token`);
  return token;
}
