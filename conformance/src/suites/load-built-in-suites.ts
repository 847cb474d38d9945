// Registers the built-in suites on demand, for library users who want the
// kit's properties and mutants without the command line.

/** Imports every built-in suite, registering its properties and mutants (idempotent). */
export async function loadBuiltInSuites(): Promise<void> {
  await import("./all.js");
}
