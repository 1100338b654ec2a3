/**
 * Why a test that needs root does not run here, or undefined when it does: `withoutRoot` when
 * not root; as root, when run by `make unit` (XDPERF_UNIT=1), which promises only what any user
 * can run.
 */
export function rootSkipReason(withoutRoot: string): string | undefined {
  if (process.getuid?.() !== 0) return withoutRoot;
  if (process.env.XDPERF_UNIT === '1') return 'make unit runs no test that needs root or the lab';
  return undefined;
}
