// What the API reference leaves out on purpose, per package, and why. Shared by
// the site build and the API docs check (docs/test/api-docs.test.ts).

/**
 * Symbols that exported declarations reference but the package does not export,
 * by package name. TypeDoc's notExported validation accepts exactly these.
 */
export const INTENTIONALLY_NOT_EXPORTED = {
  // ts-proto writes a private MessageFns interface and DeepPartial helper into every
  // generated *.pb.ts file; src/index.ts re-exports one MessageFns (from errors.pb.ts),
  // the per-file copies are identical and would only repeat it.
  // BinaryWriter (src/wire/writer.ts) is the generated encoders' drop-in replacement
  // for @bufbuild/protobuf's writer, same API; it appears only as the optional
  // `writer` parameter of MessageFns.encode.
  "@kabar/protocol": ["MessageFns", "DeepPartial", "BinaryWriter"],
};

/** The package a TypeDoc options object is converting in packages mode, by its directory name. */
export function packageNameOf(dir, packages) {
  return packages.find((p) => p.dir === dir || dir.startsWith(`${p.dir}/`))?.name;
}

/** Exported symbols (full names) that need no doc comment, by package name. */
export const INTENTIONALLY_NOT_DOCUMENTED = {};
