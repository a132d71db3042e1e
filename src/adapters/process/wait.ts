/** Polling for a condition the kernel gives no event for (a process found by pid file going away). */

const POLL_MS = 25;

/** Resolves true once `condition` holds, false after `timeoutMs` or as soon as `abort` fires. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, abort?: AbortSignal): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (condition()) return true;
    if (abort?.aborted || performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - performance.now()))));
  }
}

/** Resolves true when `promise` settles within `timeoutMs`, false otherwise (or when `abort` fires first). */
export async function settlesWithin(promise: Promise<unknown>, timeoutMs: number, abort?: AbortSignal): Promise<boolean> {
  if (abort?.aborted) return false;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      promise.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
        onAbort = () => resolve(false);
        abort?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) abort?.removeEventListener('abort', onAbort);
  }
}
