import pg from "pg";

/**
 * A normalised description of a database's `public` schema: enums, columns, constraints and
 * indexes, one sorted line each. Two databases with the same lines have the same shape.
 *
 * Prisma's schema engine cannot introspect a live database here (prisma/orm#27403), so drift is
 * checked by building one database from the migrations and one straight from schema.prisma and
 * comparing their catalogs.
 */
export async function describeSchema(connectionString: string): Promise<string[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const lines: string[] = [];
    const enums = await client.query<{ name: string; labels: string[] }>(`
      SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' GROUP BY t.typname`);
    for (const r of enums.rows) lines.push(`enum ${r.name} (${r.labels.join(", ")})`);

    const columns = await client.query<{ tbl: string; col: string; type: string; notnull: boolean; dflt: string | null }>(`
      SELECT c.relname AS tbl, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type,
             a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS dflt
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        AND c.relname <> '_prisma_migrations'`);
    for (const r of columns.rows) lines.push(`column ${r.tbl}.${r.col} ${r.type}${r.notnull ? " not null" : ""}${r.dflt ? ` default ${r.dflt}` : ""}`);

    const constraints = await client.query<{ tbl: string; name: string; def: string }>(`
      SELECT c.relname AS tbl, con.conname AS name, pg_get_constraintdef(con.oid) AS def
      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relname <> '_prisma_migrations' AND con.contype NOT IN ('n', 't')`);
    // 't': constraint triggers (order numbers) are a migration's own SQL, which schema.prisma has no word for.
    for (const r of constraints.rows) lines.push(`constraint ${r.tbl}.${r.name} ${r.def}`);

    const indexes = await client.query<{ def: string }>(`
      SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`);
    for (const r of indexes.rows) lines.push(`index ${r.def}`);

    return lines.sort();
  } finally {
    await client.end();
  }
}

/** Lines only in `a` (prefixed "-") and only in `b` (prefixed "+"). */
export function diffSchemas(a: string[], b: string[]): string[] {
  const inA = new Set(a);
  const inB = new Set(b);
  return [...a.filter((l) => !inB.has(l)).map((l) => `- ${l}`), ...b.filter((l) => !inA.has(l)).map((l) => `+ ${l}`)];
}
