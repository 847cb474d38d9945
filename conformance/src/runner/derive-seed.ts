// One seed per run, printed and recorded; each property gets its own seed
// derived from it and its id, so adding a property does not change the
// inputs of the others and any one property replays alone.

/** A 32-bit seed for `propertyId` derived from the run's seed (FNV-1a). */
export function deriveSeed(runSeed: number, propertyId: string): number {
  let hash = 0x811c9dc5;
  for (const ch of `${runSeed}:${propertyId}`) {
    hash ^= ch.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

/** A fresh run seed when none was given. */
export function freshSeed(): number {
  return (Date.now() ^ Math.floor(Math.random() * 0x100000000)) | 0;
}
