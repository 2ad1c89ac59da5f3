/** Closes what was opened, in reverse order, once; later calls return the same promise. */
export class Lifecycle {
  private readonly closers: { name: string; close: () => void | Promise<void> }[] = [];
  private closing: Promise<void> | null = null;

  /** `onFailure` hears each closer that failed, while the ones after it (the log, added first) are still open. */
  constructor(private readonly onFailure: (name: string, error: unknown) => void = () => undefined) {}

  add(name: string, close: () => void | Promise<void>): void {
    if (this.closing) throw new Error(`cannot add ${name}: services are closing`);
    this.closers.push({ name, close });
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    const failures: string[] = [];
    for (const { name, close } of this.closers.reverse()) {
      try {
        await close();
      } catch (error) {
        // The others still close; the failures are reported together at the end.
        this.onFailure(name, error);
        failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (failures.length > 0) throw new Error(`some services did not close cleanly: ${failures.join('; ')}`);
  }
}
