// The `agov` command line.
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write("agov: under construction\n");
  return 1;
}
