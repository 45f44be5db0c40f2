// `npm run bench -- NAME [args]` runs dist-bench/bench/NAME.bench.js; without NAME, every benchmark.
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const dir = join(__dirname, '..', 'dist-bench', 'bench');
const [name, ...args] = process.argv.slice(2);
const names = name && !name.startsWith('--') ? [name] : readdirSync(dir).filter((f) => f.endsWith('.bench.js')).map((f) => f.replace('.bench.js', ''));
for (const bench of names) {
  execFileSync(process.execPath, [join(dir, `${bench}.bench.js`), ...(name && !name.startsWith('--') ? args : process.argv.slice(2))], { stdio: 'inherit' });
}
