// What `tsc` does not do for dist/: the CLI made executable (npx runs it directly) and the tutorial's PyTorch script
// copied beside the bench that runs it. `npm run build` calls it, and the packed-package tests with their own dist.
//   node scripts/finish-dist.mjs [DIST]     (default: dist)
import { chmodSync, copyFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = resolve(process.argv[2] ?? join(root, "dist"));
chmodSync(join(dist, "cli", "main.js"), 0o755);
copyFileSync(join(root, "bench", "seed_torch.py"), join(dist, "bench", "seed_torch.py"));
