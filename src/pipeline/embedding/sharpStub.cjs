// transformers.js imports sharp for image models at load time; Local RAG embeds text only,
// so the bundle gets this stand-in instead of ~20 MB of native image libraries.
module.exports = function sharp() {
  throw new Error('Image processing is not part of Local RAG.');
};
