// The browser's side of the engine: what src/node/ is for Node. Import it from "convlab/browser".
export { useBrowserBackend, type BrowserBackendOptions } from "./backend.js";
export { fetchMnist, type FetchMnistOptions } from "./mnist.js";
export { IdbStorage } from "./idb-storage.js";
