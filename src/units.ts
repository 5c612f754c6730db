// Number formats shared by the reports and the CLI.

/** A count in billions with 3 decimals (GMACs, GFLOPs; 1 MAC = 2 FLOPs). */
export function giga(x: number): string {
  return (x / 1e9).toFixed(3);
}
