/**
 * Process warnings on one line of stderr each, in the CLI's own format, in place of Node's
 * default two-line "(node:PID) Warning: ..." and "(Use `node --trace-warnings ...`)".
 */

/** Formats a warning as the CLI prints it: `isbe: warning: <message> (<code>)`. */
export function formatWarning(warning: Error & { code?: string }): string {
  const message = warning.message.replace(/\s*\n\s*/g, ' ');
  const code = warning.code === undefined ? '' : ` (${warning.code})`;
  return `isbe: warning: ${message}${code}`;
}

/** Replaces Node's warning printer with one that writes formatWarning() lines. */
export function printWarningsOnOneLine(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    process.stderr.write(`${formatWarning(warning)}\n`);
    if (process.env.ISBE_DEBUG && warning.stack) process.stderr.write(`${warning.stack}\n`);
  });
}
