// The browser's side of the engine: what src/node/backend.ts is for Node. Import it from "convlab/browser".
export { useBrowserBackend, type BrowserBackendOptions } from "./backend.js";
