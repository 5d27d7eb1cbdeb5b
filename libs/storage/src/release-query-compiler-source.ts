/** The modules Prisma's generated client imports its WebAssembly query compiler from, as base64 (one per build). */
const QUERY_COMPILER_SOURCE = /[/\\]@prisma[/\\]client[/\\]runtime[/\\]query_compiler_\w+\.\w+\.wasm-base64\.js$/;

/**
 * Prisma loads its query compiler once per process, from a module whose one export is the WebAssembly as a
 * base64 string (2.3 MB for the small build prisma/schema.prisma asks for, 4.4 MB for the fast one), and keeps
 * the compiled module it makes of it. require's cache and the importing module's `children` would keep the
 * loaded module, and with it that string and the module's source (twice the string in JavaScript heap,
 * measured), for the life of the process. Called once the client has its compiler, this drops both
 * references; a process that loaded it again would read the file again.
 */
export function releaseQueryCompilerSource(): void {
  const cached = Object.entries(require.cache).filter(([path]) => QUERY_COMPILER_SOURCE.test(path));
  for (const [path, loaded] of cached) {
    delete require.cache[path];
    for (const parent of Object.values(require.cache)) {
      if (parent?.children.includes(loaded!)) parent.children = parent.children.filter((child) => child !== loaded);
    }
  }
}
