// `npm run contract:diff [contract] [schema]`: graphql-inspector's diff of the public contract
// (docs/api-contract.graphql, a copy of ../shared/api.graphql) as the old schema against schema.gql as
// the new one. It reports what `graphql-inspector diff docs/api-contract.graphql schema.gql` reports
// (a change that would break a client written against the contract is BREAKING: a type, field,
// argument or enum value missing, a type changed, a required argument added), with one difference:
// breaking changes of the pieces listed in test/support/contract-not-yet-built.json are shown
// as "not yet built" and do not fail. Exits 1 on any other breaking change, and on a listed piece that
// no longer differs (it was built: take it off the list).
const { readFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const { CriticalityLevel, diff } = require('@graphql-inspector/core');
const { buildSchema } = require('graphql');

const root = join(__dirname, '..');
const contractFile = process.argv[2] ?? join(root, 'docs', 'api-contract.graphql');
const schemaFile = process.argv[3] ?? join(root, 'schema.gql');
const { '//': _about, ...notYetBuilt } = require('../test/support/contract-not-yet-built.json');

const coveredBy = (path) =>
  Object.keys(notYetBuilt).find((entry) => path === entry || (path ?? '').startsWith(`${entry}.`));

async function main() {
  const contract = buildSchema(readFileSync(contractFile, 'utf8'));
  const schema = buildSchema(readFileSync(schemaFile, 'utf8'));
  const changes = await diff(contract, schema);

  const breaking = [];
  const pending = new Map();
  const lines = [];
  let safe = 0;
  for (const change of changes) {
    const level = change.criticality.level;
    if (level === CriticalityLevel.Breaking) {
      const entry = coveredBy(change.path);
      if (entry) {
        pending.set(entry, [...(pending.get(entry) ?? []), change]);
        lines.push(`-  not yet built (${notYetBuilt[entry]}): ${change.message}`);
      } else {
        breaking.push(change);
        lines.push(`✖  breaking: ${change.message}`);
      }
    } else if (level === CriticalityLevel.Dangerous) {
      lines.push(`⚠  dangerous: ${change.message}`);
    } else {
      safe += 1;
    }
  }
  const built = Object.keys(notYetBuilt).filter((entry) => !pending.has(entry));

  const names = `${relative(process.cwd(), contractFile)} → ${relative(process.cwd(), schemaFile)}`;
  process.stdout.write(`graphql-inspector diff ${names}: ${changes.length} changes\n`);
  for (const line of lines) process.stdout.write(`  ${line}\n`);
  process.stdout.write(`  ✔  ${safe} safe changes (additions, descriptions) not listed\n`);
  for (const entry of built) {
    process.stdout.write(`✖  "${entry}" is listed as not yet built (${notYetBuilt[entry]}) but matches the contract: `);
    process.stdout.write(`remove it from test/support/contract-not-yet-built.json\n`);
  }
  const summary =
    `${breaking.length} breaking, ${pending.size} of ${Object.keys(notYetBuilt).length} listed pieces ` +
    `not yet built, ${built.length} listed but built`;
  if (breaking.length || built.length) {
    process.stdout.write(`contract diff FAILED: ${summary}\n`);
    process.exit(1);
  }
  process.stdout.write(`contract diff ok: ${summary}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
