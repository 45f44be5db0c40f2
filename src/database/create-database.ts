import { createConnection } from 'mysql2/promise';

// `migrate` on MySQL/MariaDB creates the database DATABASE_URL names when it does not exist yet and
// the user may; otherwise it says what to run. The service itself never creates one (at boot a
// missing database is an error to fix, not to paper over).

export class DatabaseCreationError extends Error {}

interface Connection {
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}
export type Connect = (uri: string) => Promise<Connection>;

const defaultConnect: Connect = (uri) => createConnection({ uri, connectTimeout: 10_000 });
const DENIED = new Set(['ER_DBACCESS_DENIED_ERROR', 'ER_SPECIFIC_ACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_ERROR']);

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string })?.code;
}

/** The database's name and user from a mysql:// or mariadb:// URL, and the URL of the server itself. */
function parse(url: string): { name: string; user: string; server: string } {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const user = decodeURIComponent(parsed.username);
  parsed.pathname = '/';
  return { name, user, server: parsed.toString() };
}

/**
 * Creates the database when the server says it is unknown (utf8mb4, binary collation, as the schema
 * expects). Answers its name when it created it, null when there was nothing to do (it exists, or
 * the server cannot be reached: TypeORM then reports that itself).
 */
export async function createDatabaseIfMissing(raw: string, connect: Connect = defaultConnect): Promise<string | null> {
  const url = raw.replace(/^mariadb:/i, 'mysql:');
  try {
    await (await connect(url)).end();
    return null;
  } catch (error) {
    if (codeOf(error) !== 'ER_BAD_DB_ERROR') return null;
  }
  const { name, user, server } = parse(url);
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(name)) {
    throw new DatabaseCreationError(`database "${name}" does not exist; create it yourself (an unusual name)`);
  }
  const create = `CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`;
  let connection: Connection | undefined;
  try {
    connection = await connect(server);
    await connection.query(create);
    return name;
  } catch (error) {
    if (!DENIED.has(codeOf(error) ?? '')) throw error;
    throw new DatabaseCreationError(
      `database "${name}" does not exist, and user "${user}" may not create it. As an administrator, run\n` +
        `  ${create};\n  GRANT ALL PRIVILEGES ON \`${name}\`.* TO '${user}'@'%';\n` +
        `then run migrate again.`,
    );
  } finally {
    await connection?.end().catch(() => undefined);
  }
}
