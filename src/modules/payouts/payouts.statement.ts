/** A statement as CSV (RFC 4180): a header, one line per movement, amounts in cents. */
export function statementCsv(statement: {
  lines: {
    date: string;
    kind: string;
    amount: number;
    currency: string;
    conversion: { original_amount: number; original_currency: string; exchange_rate: number } | null;
    reference: string;
    contract_id: string | null;
    subscription_id: string | null;
    description: string | null;
  }[];
}): string {
  const header = ["date", "kind", "amount", "currency", "reference", "contract_id", "subscription_id", "description", "original_amount", "original_currency", "exchange_rate"];
  const rows = statement.lines.map((l) => [
    l.date,
    l.kind,
    String(l.amount),
    l.currency,
    l.reference,
    l.contract_id ?? "",
    l.subscription_id ?? "",
    l.description ?? "",
    l.conversion ? String(l.conversion.original_amount) : "",
    l.conversion?.original_currency ?? "",
    l.conversion ? String(l.conversion.exchange_rate) : "",
  ]);
  return `${[header, ...rows].map((cells) => cells.map(cell).join(",")).join("\r\n")}\r\n`;
}

/** Quoted when it must be; a leading =, +, - or @ is prefixed with ' so a spreadsheet never runs it as a formula. */
function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d+$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
