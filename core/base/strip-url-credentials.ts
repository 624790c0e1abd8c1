/**
 * Remove `user:password@` from every URL in `text` (and from a bare URL), so
 * connection strings can go into messages and logs.
 */
export function stripUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1');
}
