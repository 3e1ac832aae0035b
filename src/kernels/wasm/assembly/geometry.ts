// The geometry descriptor the host writes into memory before a convolution or pooling call: 13 i32 fields in the
// order of `Window2d`/`Conv2dGeometry` in src/kernels/types.ts (written by WasmArena.putGeometry in src/kernels/wasm/memory.ts).

@inline export function batch(g: usize): i32 { return load<i32>(g, 0); }
@inline export function inChannels(g: usize): i32 { return load<i32>(g, 4); }
@inline export function inHeight(g: usize): i32 { return load<i32>(g, 8); }
@inline export function inWidth(g: usize): i32 { return load<i32>(g, 12); }
@inline export function outChannels(g: usize): i32 { return load<i32>(g, 16); }
@inline export function kernelHeight(g: usize): i32 { return load<i32>(g, 20); }
@inline export function kernelWidth(g: usize): i32 { return load<i32>(g, 24); }
@inline export function strideHeight(g: usize): i32 { return load<i32>(g, 28); }
@inline export function strideWidth(g: usize): i32 { return load<i32>(g, 32); }
@inline export function padHeight(g: usize): i32 { return load<i32>(g, 36); }
@inline export function padWidth(g: usize): i32 { return load<i32>(g, 40); }
@inline export function outHeight(g: usize): i32 { return load<i32>(g, 44); }
@inline export function outWidth(g: usize): i32 { return load<i32>(g, 48); }

@inline export function f32At(base: usize, index: i32): usize { return base + (<usize>index << 2); }
