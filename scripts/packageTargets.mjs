// The platform packages: what npm installs for each VS Code target, and which of those
// native files the pipeline can load there. scripts/package.mjs keeps exactly these;
// test/package/checkVsix.mjs fails a package that holds any other native file.

/** The node-llama-cpp build folders (one per GPU backend) whose binaries a target ships. */
const llama = (...builds) => builds.map((build) => ({ pkg: `@node-llama-cpp/${build}`, files: /^bins\/[^/]+\/[^/]+\.(node|so|dylib|dll|metal)$/ }));

/** onnxruntime-node's binding and the runtime it links: the embedding worker runs on the CPU. */
const onnx = (dir, runtime) => ({ pkg: 'onnxruntime-node', dir: `bin/napi-v6/${dir}`, files: ['onnxruntime_binding.node', runtime] });

/**
 * `vsce` target → npm's --os/--cpu, the llama.cpp builds, onnxruntime's folder. CUDA's
 * libggml-cuda alone is 132 MB compressed (159 MB on disk, Windows' likewise), more than a
 * lean package may weigh: the lean package uses Vulkan on NVIDIA GPUs, and a `-cuda`
 * flavour of the same target adds node-llama-cpp's CUDA build for those who want it.
 */
export const TARGETS = {
  'darwin-arm64': { os: 'darwin', cpu: 'arm64', natives: [...llama('mac-arm64-metal'), onnx('darwin/arm64', 'libonnxruntime.1.dylib')] },
  'darwin-x64': {
    os: 'darwin',
    cpu: 'x64',
    natives: [...llama('mac-x64'), onnx('darwin/x64', 'libonnxruntime.1.23.2.dylib')],
    // onnxruntime-node 1.30.0 (what transformers.js pins) ships no Intel-Mac binary;
    // 1.23.2 is the last release with one, and its InferenceSession API is the same.
    onnxruntimeNode: '1.23.2',
  },
  'win32-x64': { os: 'win32', cpu: 'x64', natives: [...llama('win-x64', 'win-x64-vulkan'), onnx('win32/x64', 'onnxruntime.dll')] },
  'linux-x64': { os: 'linux', cpu: 'x64', natives: [...llama('linux-x64', 'linux-x64-vulkan'), onnx('linux/x64', 'libonnxruntime.so.1')] },
  'linux-arm64': { os: 'linux', cpu: 'arm64', natives: [...llama('linux-arm64'), onnx('linux/arm64', 'libonnxruntime.so.1')] },
};

/** The CUDA flavours: same VS Code target, node-llama-cpp's CUDA build added. */
export const FLAVOURS = {
  'linux-x64-cuda': { target: 'linux-x64', addLlama: 'linux-x64-cuda' },
  'win32-x64-cuda': { target: 'win32-x64', addLlama: 'win-x64-cuda' },
};

/** Every package built by `npm run package:all`, name → its spec. */
export function allPackages() {
  const specs = Object.entries(TARGETS).map(([name, spec]) => [name, { ...spec, target: name }]);
  for (const [name, flavour] of Object.entries(FLAVOURS)) {
    const base = TARGETS[flavour.target];
    specs.push([name, { ...base, target: flavour.target, natives: [...base.natives, ...llama(flavour.addLlama)] }]);
  }
  return Object.fromEntries(specs);
}

/** The target of the machine this runs on, as `vsce --target` spells it. */
export function hostTarget() {
  return `${process.platform}-${process.arch}`;
}

export const LIMITS = { bytes: 120 * 1024 * 1024, files: 1500 };
/** A flavour outside the lean limits must still fit the Open VSX registry (256 MB). */
export const FLAVOUR_LIMITS = { bytes: 256 * 1024 * 1024, files: 1500 };

export function vsixName(name, version) {
  return `local-rag-${name}-${version}.vsix`;
}
