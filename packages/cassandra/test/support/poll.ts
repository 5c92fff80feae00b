/**
 * Checks `condition` every `intervalMs` until it holds; fails after `timeoutMs` of real time. For waits
 * on real processes (a node starting, a driver reconnecting), where no fake clock can stand in.
 */
export async function pollUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  intervalMs = 100,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, intervalMs));
  }
}
