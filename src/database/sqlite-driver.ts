/**
 * The better-sqlite3 module TypeORM uses for SQLite, chosen by what this Node can load.
 *
 * - better-sqlite3 13 is a Node-API 10 addon shipped prebuilt for Linux, macOS and Windows: on Node
 *   22.14+ and 24 nothing is compiled at install and the same binary serves every Node version.
 * - Node 20 (end of life; still CI's own Node) has Node-API 9 and crashes loading it. There the
 *   optional dependency `better-sqlite3-node20` (better-sqlite3 12, compiled at install for the Node
 *   that ran `npm install`) is used instead. Version 12 cannot be the default: on Node 24 its
 *   statements abort the process when garbage-collected (Node 24's ObjectWrap cleanup hooks).
 */
export function loadSqliteDriver(): unknown {
  if (Number(process.versions.napi) >= 10) return require('better-sqlite3');
  try {
    return require('better-sqlite3-node20');
  } catch (error) {
    throw new Error(
      `SQLite on Node ${process.version} needs the optional dependency better-sqlite3-node20 built for it ` +
        `(npm rebuild better-sqlite3-node20), or Node 22.14+ (${(error as Error).message})`,
    );
  }
}
